"""Cost of the probability view for a long answer: normalise + analyse, then build and draw the charts.

A synthetic chat.completion of 1,000 tokens with top_logprobs = 8 (some multi-byte characters, some
sampled outside the top 8) goes through `from_chat_completion`, the analysis frames and summary, the
Altair chart specs (`to_dict()`, what Streamlit serialises) and one AppTest run of the component.
Goals (issue 9): normalise + analyse under 20 ms; the page's script under 300 ms. Prints figures only.
Run: `uv run python -m bench.analysis` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground import analysis  # noqa: E402
from playground.response import from_chat_completion  # noqa: E402

WORDS = [
    " the",
    " a",
    " model",
    " token",
    " probability",
    ",",
    ".",
    "\n",
    " café",
    " naïve",
    " 日本",
    "🌟",
    " of",
    " is",
    " and",
    " to",
    " in",
    " answer",
    " entropy",
    " chart",
]


def synthetic_completion(tokens: int = 1000, top: int = 8, seed: int = 0) -> dict[str, Any]:
    """A chat.completion body shaped like the gateway's, with `tokens` logprob entries of `top` alternatives."""
    rng = random.Random(seed)
    entries = []
    for _ in range(tokens):
        weights = sorted((rng.random() ** 3 for _ in range(top + 1)), reverse=True)
        total = sum(weights)
        alts = [{"token": rng.choice(WORDS), "logprob": math.log(w / total)} for w in weights[:top]]
        for a in alts:
            a["bytes"] = list(a["token"].encode())
        if rng.random() < 0.9:
            chosen = dict(alts[rng.randrange(min(3, top))])
        else:  # sampled outside the top-k
            chosen = {"token": rng.choice(WORDS), "logprob": math.log(weights[-1] / total)}
            chosen["bytes"] = list(chosen["token"].encode())
        entries.append({**chosen, "top_logprobs": alts})
    text = "".join(e["token"] for e in entries)
    return {
        "id": "bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "length",
                "logprobs": {"content": entries},
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": tokens, "total_tokens": tokens + 20},
    }


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(median wall, best wall, median CPU) time of fn in ms.

    CPU time (this process, all its threads) is what other programs on a shared machine inflate least:
    on a busy machine read it as the idle machine's wall time of single-threaded work.
    """
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), min(times), statistics.median(cpu)


def _line(name: str, figures: tuple[float, float, float], note: str = "") -> None:
    median, best, cpu = figures
    print(
        f"  {name:<52} {median:8.1f} ms median {best:8.1f} ms best {cpu:8.1f} ms CPU{('  ' + note) if note else ''}",
        flush=True,
    )


def _apptest_script(path: str) -> None:
    import json

    from components import chart_views
    from playground.response import from_chat_completion

    completion = from_chat_completion(json.loads(open(path, encoding="utf-8").read()))
    chart_views.probability_view(completion, key_prefix="bench.probs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=1000)
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_known_args()[0]  # `make bench` runs every module with the same command line

    body = synthetic_completion(args.tokens, args.top)
    raw = json.dumps(body)
    print(
        f"  synthetic answer: {args.tokens} tokens, top_logprobs={args.top}, {len(raw) / 1e6:.2f} MB of JSON; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (best-of figures are the steadier ones)"
    )
    completion = from_chat_completion(json.loads(raw))

    normalise = timed(lambda: from_chat_completion(body), args.repeat)
    _line("normalise (from_chat_completion)", normalise)
    frame_t = timed(lambda: analysis.token_frame(completion), args.repeat)
    _line("token_frame", frame_t)
    frame = analysis.token_frame(completion)
    summary_t = timed(lambda: analysis.summary(completion, frame=frame), args.repeat)
    _line("summary (given the frame)", summary_t)
    alts_t = timed(lambda: analysis.alternatives_frame(completion, args.tokens // 2), args.repeat)
    _line("alternatives_frame (one position)", alts_t)

    def analyse() -> None:
        c = from_chat_completion(body)
        f = analysis.token_frame(c)
        analysis.summary(c, frame=f)
        analysis.alternatives_frame(c, args.tokens // 2)

    _line("normalise + analyse, together", timed(analyse, args.repeat), "(goal < 20 ms)")

    from components import charts  # Streamlit and Altair imports stay out of the figures above

    selected = args.tokens // 2
    alts = analysis.alternatives_frame(completion, selected)
    templates = (charts._template_strip, charts._template_alternatives, charts._template_along, charts._template_usage)

    def cold_templates() -> None:
        for template in templates:
            template.cache_clear()
        charts.strip_chart(frame)
        charts.alternatives_chart(alts)
        charts.along_chart(frame)
        charts.usage_chart(analysis.usage_frame([]))

    _line("chart templates, first use in a process (Altair)", timed(cold_templates, 3), "(once, then cached)")
    _line("strip chart (layout + data)", timed(lambda: charts.strip_chart(frame, selected=selected), args.repeat))
    _line("alternatives chart", timed(lambda: charts.alternatives_chart(alts), args.repeat))
    _line("along-the-answer chart", timed(lambda: charts.along_chart(frame, selected=selected), args.repeat))
    rows = [
        analysis.RunStats(label=f"run {i}", input_tokens=30, output_tokens=200 + i, total_s=2.0, ttft_s=0.2) for i in range(50)
    ]
    _line("usage chart, 50 runs", timed(lambda: charts.usage_chart(analysis.usage_frame(rows)), args.repeat))
    drawn = (charts.strip_chart(frame, selected=selected), charts.alternatives_chart(alts), charts.along_chart(frame))
    _line("the three charts as full specs (to_dict, for export)", timed(lambda: [c.to_dict() for c in drawn], args.repeat))
    inline = sum(len(json.dumps(c.to_dict(), ensure_ascii=False)) for c in drawn)
    print(f"  the three charts with inline data: {inline / 1e3:.0f} kB of JSON (Streamlit sends the data as Arrow)")

    def all_charts() -> None:
        c = from_chat_completion(body)
        f = analysis.token_frame(c)
        analysis.summary(c, frame=f)
        a = analysis.alternatives_frame(c, selected)
        charts.strip_chart(f, selected=selected)
        charts.alternatives_chart(a)
        charts.along_chart(f, selected=selected)

    _line("normalise + analyse + the three charts", timed(all_charts, args.repeat))

    from streamlit.testing.v1 import AppTest

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answer.json"
        path.write_text(raw, encoding="utf-8")
        at = AppTest.from_function(_apptest_script, args=(str(path),), default_timeout=120)
        at.run()  # first run: imports and caches
        if at.exception:
            print(f"  AppTest run failed: {at.exception[0].message}")
            return

        def rerun() -> None:
            at.run()

        _line(
            "AppTest run of probability_view (incl. reading JSON)",
            timed(rerun, max(3, args.repeat // 3)),
            "(goal: page script < 300 ms)",
        )


if __name__ == "__main__":
    main()
