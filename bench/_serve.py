"""The paths `gateway_throughput` measures, served from a process of their own.

The benchmark's client then shares no interpreter (and no GIL) with the gateway, as an API client of
`python -m playground.local` would not; llama.cpp's HTTP server (the "raw" path) runs on the gateway's
engine, so both reach one loaded model. Prints the URLs as one JSON line, then serves until its stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.local import Engine, GatewaySettings, start_gateway  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    gateway = start_gateway(GatewaySettings(n_parallel=4, threads=args.threads))
    recompute = start_gateway(GatewaySettings(n_parallel=4, prompt_cache=False), engine=gateway.engine)
    # As `llama-server -np 4` runs by default: its f16 K cache, flash attention "auto", its host-RAM prompt cache
    plain = Engine(n_parallel=4, threads=args.threads, flash_attn=None, batch_invariant=False, cache_ram_mib=None)
    assert gateway.engine is not None
    urls = {
        "model": gateway.model_id,
        "load_seconds": gateway.engine.load_seconds,
        "gguf": gateway.engine.gguf.name,
        "gateway": f"{gateway.base_url}/chat/completions",
        "gateway recompute": f"{recompute.base_url}/chat/completions",
        "raw": f"{gateway.engine.base_url}/v1/chat/completions",
        "llama.cpp defaults": f"{plain.base_url}/v1/chat/completions",
    }
    print(json.dumps(urls), flush=True)
    try:
        sys.stdin.read()
    finally:
        recompute.close()
        gateway.close()
        plain.close()


if __name__ == "__main__":
    main()
