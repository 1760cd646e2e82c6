"""The gateway's own cost per streamed chunk, without a model: CPU time of the gateway's process per relayed chunk.

The gateway (`create_app`, in-process upstream, served by uvicorn in a child process) is given an engine whose
in-process handler emits CHUNKS chunks shaped like llama.cpp's at once, so what the process spends is the relay:
the thread-to-loop hand-over, rewriting each chunk, JSON encoding and uvicorn's HTTP layer. Four streams at a
time, ten such batches a round; prints the median and minimum over the rounds. A probe, run by hand:
`uv run python bench/probe_relay.py [--rounds N]` (bench/README.md, "Sampled answers").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHUNKS = 128
STREAMS = 4


class InstantServer:
    """Stands in for `xllamacpp.Server`: every chunk of a CHUNKS-token answer, as fast as the callback takes them."""

    def handle_chat_completions(self, body: dict[str, Any], callback: Any) -> None:
        env = {"created": int(time.time()), "id": "chatcmpl-probe", "model": "probe", "object": "chat.completion.chunk"}
        callback({**env, "choices": [{"finish_reason": None, "index": 0, "delta": {"role": "assistant", "content": None}}]})
        for _ in range(CHUNKS):
            if callback({**env, "choices": [{"finish_reason": None, "index": 0, "delta": {"content": " word"}}]}):
                return
        callback({**env, "choices": [{"finish_reason": "length", "index": 0, "delta": {}}]})
        usage = {"completion_tokens": CHUNKS, "prompt_tokens": 9, "total_tokens": CHUNKS + 9}
        callback({**env, "choices": [], "usage": usage})


class InstantEngine:
    """What the gateway reads of an `Engine`, around `InstantServer`."""

    def __init__(self) -> None:
        self.server = InstantServer()
        self.n_parallel, self.n_ctx = STREAMS, 8192
        self.gguf = Path("probe.gguf")
        self.base_url = "http://127.0.0.1:9"  # never called: the gateway calls the handler in-process

    def close(self) -> None:
        """Nothing to stop."""


def serve(port: int) -> None:
    import uvicorn

    from playground.local import GatewaySettings
    from playground.local.server import create_app

    app = create_app(GatewaySettings(), engine=InstantEngine())  # type: ignore[arg-type]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(port: int, pid: int, rounds: int) -> list[float]:
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    body = {"model": "probe", "messages": [{"role": "user", "content": "hi"}], "stream": True, "temperature": 0.8}

    async def one(client: httpx.AsyncClient) -> int:
        async with client.stream("POST", url, json=body) as r:
            return sum([line.startswith("data: {") async for line in r.aiter_lines()])

    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_keepalive_connections=0)) as client:
        for _ in range(300):  # until the server answers
            try:
                await client.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
        await asyncio.gather(*(one(client) for _ in range(STREAMS)))
        per_chunk = []
        for _ in range(rounds):
            cpu, chunks = cpu_seconds(pid), 0
            for _ in range(10):
                chunks += sum(await asyncio.gather(*(one(client) for _ in range(STREAMS))))
            per_chunk.append((cpu_seconds(pid) - cpu) / chunks)
    return per_chunk


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], cwd=ROOT)
    try:
        per_chunk = asyncio.run(measure(port, child.pid, args.rounds))
    finally:
        child.terminate()
        child.wait(timeout=30)
    print(
        f"gateway process CPU per relayed chunk ({STREAMS} streams of {CHUNKS} chunks, 10 batches a round, "
        f"{args.rounds} rounds): median {1e6 * statistics.median(per_chunk):.0f} us, min {1e6 * min(per_chunk):.0f} us; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
