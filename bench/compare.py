"""A 4-seed comparison on the embedded model: wall time run concurrently vs one after another, in one run.

Both ways send the same four streamed requests (the same seeds, so the same answers; end-of-text banned so
every answer is exactly TOKENS tokens) through `playground.compare.run_comparison`, with concurrency 4 and
1, measured in alternating rounds so drift on a shared machine hits both alike. Prints the comparison,
the median wall times and their ratio (goal: concurrent <= 0.80x sequential).
Run: `uv run python bench/compare.py` (make bench).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.client import ChatClient, ClientConfig  # noqa: E402
from playground.compare import Comparison, analyse, run_comparison, variants  # noqa: E402
from playground.local import start_gateway  # noqa: E402

SEEDS = "1-4"
PROMPT = [{"role": "user", "content": "Tell me a short story about a lighthouse."}]


def _wall(client: ChatClient, body: dict[str, Any], concurrency: int) -> tuple[float, Comparison]:
    started = time.perf_counter()
    comparison = run_comparison(variants(body, seeds=SEEDS), lambda v: client, concurrency=concurrency)
    wall = time.perf_counter() - started
    failed = [r.error for r in comparison.results if r.status != "done"]
    if failed:
        raise SystemExit(f"a run failed: {failed[0]}")
    return wall, comparison


def _print_comparison(comparison: Comparison) -> None:
    analysis = analyse(comparison)
    print(f"{'run':<8} {'tokens':>6} {'ttft s':>7} {'total s':>8} {'tok/s':>6} {'group':>5} {'sim.1st':>7} {'div.tok':>7}")
    for r in comparison.results:
        div = analysis.divergence[r.index].point
        print(
            f"{r.label:<8} {r.usage.output_tokens if r.usage else 0:>6} {r.ttft_s or 0:>7.2f} {r.total_s or 0:>8.2f} "
            f"{r.tokens_per_s or 0:>6.1f} {analysis.group_of[r.index]:>5} {analysis.similarity_to_first[r.index]:>7.3f} "
            f"{div.token_index + 1 if div else '-':>7}"
        )
    print(f"groups: {analysis.summary}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (median kept)")
    ap.add_argument("--tokens", type=int, default=48, help="tokens generated per answer")
    args = ap.parse_args()

    gw = start_gateway()
    try:
        body = {
            "model": gw.model_id,
            "messages": PROMPT,
            "temperature": 1.0,
            "max_completion_tokens": args.tokens,
            "logit_bias": {"0": -100, "2": -100},
        }
        with ChatClient(ClientConfig(base_url=gw.base_url, kind="embedded", timeout=300.0)) as client:
            _wall(client, {**body, "max_completion_tokens": 4}, 4)  # warm up connections and slots
            walls: dict[int, list[float]] = {4: [], 1: []}
            shown: Comparison | None = None
            for k in range(args.rounds):
                for concurrency in (4, 1) if k % 2 == 0 else (1, 4):
                    wall, comparison = _wall(client, body, concurrency)
                    walls[concurrency].append(wall)
                    if concurrency == 4 and shown is None:
                        shown = comparison
    finally:
        gw.close()
    assert shown is not None
    print(f"4 seeds ({SEEDS}), {args.tokens} tokens each, temperature 1, {args.rounds} alternating rounds")
    _print_comparison(shown)
    concurrent, sequential = statistics.median(walls[4]), statistics.median(walls[1])
    print(f"wall s, concurrent (4 at once):  {concurrent:.2f}  rounds: {', '.join(f'{w:.2f}' for w in walls[4])}")
    print(f"wall s, one after another:       {sequential:.2f}  rounds: {', '.join(f'{w:.2f}' for w in walls[1])}")
    print(f"concurrent / sequential: {concurrent / sequential:.3f}x (goal <= 0.80x)")


if __name__ == "__main__":
    main()
