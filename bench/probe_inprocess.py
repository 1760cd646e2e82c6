"""Can the gateway call llama.cpp in-process? Probes xllamacpp's `Server.handle_chat_completions`.

Prints one line per capability the gateway needs, yes/no with the evidence seen. Run:
`uv run python bench/probe_inprocess.py` (not part of `make bench`: its name starts with "probe").
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.local.engine import Engine  # noqa: E402

ASK = [{"role": "user", "content": "Tell me a long story about the sea."}]


def report(name: str, ok: bool, evidence: str) -> None:
    print(f"{'yes' if ok else 'NO ':>3}  {name}: {evidence}", flush=True)


def streamed(srv: Any, body: dict[str, Any], stop_after: int | None = None) -> tuple[list[dict[str, Any]], float]:
    """Chunks of one streamed call (the callback returns True after `stop_after` chunks), and its seconds."""
    chunks: list[dict[str, Any]] = []

    def on_chunk(chunk: dict[str, Any]) -> bool:
        chunks.append(chunk)
        return stop_after is not None and len(chunks) >= stop_after

    started = time.perf_counter()
    srv.handle_chat_completions({"messages": ASK, "stream": True, **body}, on_chunk)
    return chunks, time.perf_counter() - started


def main() -> None:
    engine = Engine(n_parallel=4, n_ctx=8192)
    srv = engine.server
    assert srv is not None

    chunks, _ = streamed(srv, {"max_tokens": 6, "temperature": 0, "stream_options": {"include_usage": True}})
    deltas = [c for c in chunks if c.get("choices")]
    report(
        "streaming, one callback per chunk",
        len(deltas) >= 6 and all(isinstance(c, dict) for c in chunks),
        f"{len(chunks)} dict chunks for 6 tokens; last has usage={('usage' in chunks[-1])}",
    )

    chunks, _ = streamed(srv, {"max_tokens": 3, "temperature": 0, "logprobs": True, "top_logprobs": 3})
    entries = [e for c in chunks for ch in c["choices"] for e in ((ch.get("logprobs") or {}).get("content") or [])]
    report(
        "logprobs/top_logprobs",
        len(entries) == 3 and all(len(e["top_logprobs"]) == 3 for e in entries),
        f"{len(entries)} token entries, top_logprobs per entry {[len(e['top_logprobs']) for e in entries]}",
    )

    schema = {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Oslo"]}}, "required": ["city"]}
    chunks, _ = streamed(
        srv,
        {"max_tokens": 30, "temperature": 0, "response_format": {"type": "json_schema", "json_schema": {"schema": schema}}},
    )
    text = "".join((ch.get("delta") or {}).get("content") or "" for c in chunks for ch in c["choices"])
    report("json_schema (grammar)", json.loads(text).get("city") in ("Paris", "Oslo"), f"text {text!r}")

    chunks, _ = streamed(srv, {"max_tokens": 40, "temperature": 0, "stop": [" the"], "verbose": True})
    final = next(c for c in chunks if any(ch.get("finish_reason") for ch in c["choices"]))
    verbose = final.get("__verbose") or {}
    report(
        "stopping word",
        verbose.get("stopping_word") == " the",
        f"__verbose.stop_type={verbose.get('stop_type')!r} stopping_word={verbose.get('stopping_word')!r}",
    )

    try:
        srv.handle_chat_completions(
            {
                "messages": ASK,
                "stream": True,
                "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "x"}}},
            },
            lambda c: False,
        )
        report("errors raised", False, "a bad schema was accepted")
    except Exception as exc:  # noqa: BLE001 - the probe reports whatever comes
        report(
            "errors raised before streaming", True, f"{type(exc).__name__}: {str(exc)[:90]} (no HTTP status: the gateway maps it)"
        )

    # The GIL: does a blocking call let other Python threads (the event loop) run?
    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            time.sleep(0.001)
            ticks += 1

    ticker = threading.Thread(target=tick)
    ticker.start()
    _, seconds = streamed(srv, {"max_tokens": 24, "temperature": 0})
    stop.set()
    ticker.join()
    report(
        "releases the GIL while generating",
        ticks > 0.3 * seconds * 1000,
        f"{ticks} 1-ms ticks of another thread in {seconds:.2f} s",
    )

    # n over slots: four calls from four threads at once; their generations must overlap in time
    spans: list[tuple[float, float, int]] = []

    def worker(seed: int) -> None:
        started = time.perf_counter()
        chunks, seconds = streamed(srv, {"max_tokens": 32, "seed": seed, "logit_bias": {"2": -100}, "verbose": True})
        slot = next((int(c["__verbose"].get("id_slot", -1)) for c in chunks if "__verbose" in c), -1)
        spans.append((started, started + seconds, slot))

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    overlap = min(end for _, end, _ in spans) - max(start for start, _, _ in spans)
    report(
        "parallel calls from threads share the slots",
        overlap > 0 and len({s for _, _, s in spans}) == 4,
        f"4 calls on slots {sorted(s for _, _, s in spans)}, all running together for {overlap:.2f} s",
    )

    # Cancellation: the callback returns True after 3 chunks; the call returns and the slot is free again.
    chunks, seconds = streamed(srv, {"max_tokens": 400, "temperature": 0, "logit_bias": {"2": -100}}, stop_after=3)
    report(
        "cancellation (callback returns True)",
        len(chunks) == 3,
        f"returned after {len(chunks)} chunks, {seconds:.2f} s into a 400-token answer",
    )
    # ...and the slots it held serve others at once: four cancelled, then a fifth runs to its end
    for _ in range(4):
        streamed(srv, {"max_tokens": 400, "temperature": 0, "logit_bias": {"2": -100}}, stop_after=2)
    chunks, seconds = streamed(srv, {"max_tokens": 4, "temperature": 0})
    report("cancelled slots are freed", seconds < 5, f"a 4-token call after 4 cancelled 400-token ones took {seconds:.2f} s")
    report("tokenize in-process", hasattr(srv, "handle_tokenize"), "Server has no handle_tokenize: /tokenize stays over HTTP")
    engine.close()


if __name__ == "__main__":
    main()
