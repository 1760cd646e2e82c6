"""An evaluation of 50 rows × 4 seeds on the embedded model: wall time through `playground.evaluate` vs the same
200 streamed requests sent to the gateway alone (httpx, the same concurrency), in alternating rounds.

Both sides send identical bodies (each row's variables filled in, seeds 1-4; end-of-text banned so every answer is
exactly TOKENS tokens), so the difference is what the evaluation adds: planning, `runner.stream` and its cells,
normalising each answer, grading every check. Both sides are warmed first (one untimed round each: connections,
slots, the prompt cache), then timed in `--rounds` alternating rounds. Prints each round's wall times and ratio, this
process's CPU seconds, and the median ratio next to its goal (evaluation <= 1.10x the gateway alone).
Run: `uv run python bench/evaluate.py` (make bench).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.client import ChatClient, ClientConfig  # noqa: E402
from playground.evaluate import TestCases, make_plan, pass_rates, run_evaluation  # noqa: E402
from playground.evaluate import checks as c  # noqa: E402
from playground.evaluate.plan import Plan  # noqa: E402
from playground.local import start_gateway  # noqa: E402

CITIES = ("Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Quito", "Seoul", "Rome", "Delhi", "Accra")
CHECKS = [
    c.Contains(column="city", ignore_case=True),
    c.MaxTokens(tokens=64),
    c.EndedByItself(),
    c.MatchesPattern(pattern=r"\w+"),
]


def _plan(model: str, rows: int, tokens: int) -> Plan:
    cases = TestCases(columns=["city"], rows=[{"city": f"{CITIES[i % len(CITIES)]} {i // len(CITIES) + 1}"} for i in range(rows)])
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "Describe {{city}} in one sentence."}],
        "temperature": 1.0,
        "max_completion_tokens": tokens,
        "logit_bias": {"0": -100, "2": -100},
    }
    return make_plan(body, cases, CHECKS, seeds="1-4")


def _stream_one(http: httpx.Client, body: dict[str, Any]) -> int:
    chunks = 0
    with http.stream("POST", "/chat/completions", json={**body, "stream": True}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            chunks += line.startswith("data:")
    return chunks


def _gateway_alone(base_url: str, plan: Plan, concurrency: int) -> float:
    bodies = [r.variant.body for r in plan.runs]
    started = time.perf_counter()
    with httpx.Client(base_url=base_url, timeout=600) as http, ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda b: _stream_one(http, b), bodies))
    return time.perf_counter() - started


def _evaluation(client: ChatClient, plan: Plan, concurrency: int) -> float:
    started = time.perf_counter()
    ev = run_evaluation(plan, lambda v: client, concurrency=concurrency)
    failed = [r.error for r in ev.results if r.status != "done"]
    if failed:
        raise SystemExit(f"a run failed: {failed[0]}")
    pass_rates(ev)  # every answer graded, as the page shows it
    return time.perf_counter() - started


def _side(side: str, client: ChatClient, base_url: str, plan: Plan, concurrency: int) -> float:
    if side == "evaluate":
        return _evaluation(client, plan, concurrency)
    return _gateway_alone(base_url, plan, concurrency)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50, help="test cases (× 4 seeds)")
    ap.add_argument("--tokens", type=int, default=16, help="tokens generated per answer")
    ap.add_argument("--rounds", type=int, default=3, help="timed alternating rounds after one untimed round each")
    ap.add_argument("--concurrency", type=int, default=4, help="requests at once, both sides")
    args = ap.parse_args()

    sides = ("evaluate", "gateway")
    load = os.getloadavg()[0]
    gw = start_gateway()
    try:
        plan = _plan(gw.model_id, args.rows, args.tokens)
        walls: dict[str, list[float]] = {side: [] for side in sides}
        cpus: dict[str, list[float]] = {side: [] for side in sides}
        with ChatClient(ClientConfig(base_url=gw.base_url, kind="embedded", timeout=600.0)) as client:
            for side in sides:  # warm both: untimed
                _side(side, client, gw.base_url, plan, args.concurrency)
            for k in range(args.rounds):
                for side in sides if k % 2 == 0 else sides[::-1]:
                    cpu = time.process_time()
                    walls[side].append(_side(side, client, gw.base_url, plan, args.concurrency))
                    cpus[side].append(time.process_time() - cpu)
    finally:
        gw.close()
    print(f"{args.rows} rows × 4 seeds = {len(plan.runs)} requests, {args.tokens} tokens each, {args.concurrency} at once")
    print(f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs")
    for side, label in (("evaluate", "evaluation"), ("gateway", "gateway alone")):
        rounds = ", ".join(f"{w:.1f}" for w in walls[side])
        wall, cpu = statistics.median(walls[side]), statistics.median(cpus[side])
        print(f"wall s, {label:<14} {wall:7.1f}  rounds: {rounds}  cpu s: {cpu:.1f}")
    ratios = [e / g for e, g in zip(walls["evaluate"], walls["gateway"], strict=True)]
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= 1.10 else "not met"
    print(f"evaluation / gateway alone, per round: {', '.join(f'{r:.3f}x' for r in ratios)}")
    print(f"evaluation / gateway alone: {ratio:.3f}x wall, median of {len(ratios)} rounds (goal <= 1.10x: {verdict})")
    print("(this process's CPU includes the in-process engine: both sides generate the same tokens)")


if __name__ == "__main__":
    main()
