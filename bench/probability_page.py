"""The probability view of a long answer as a person meets it: the real page in headless Chromium.

A notebook holding one finished run of a 10,000-token answer with top_logprobs = 8 (`analysis.synthetic_completion`)
is stored and opened by its URL on the page `streamlit run serve.py` serves; the run's Details and its
Probabilities tab are opened as a person clicks them. Measured from the click on Details until the whole view is
drawn: the wall time, the longest task of the browser's main thread the page caused (a Chromium trace, begun before
the click; the task that starts the trace is left out), the CPU the browser's main thread and the Streamlit server
spent, and what the server sent; then each task over 50 ms and which charts put their canvas in it (charts
numbered in page order).
Goals (issue 18): drawn in under 2 s, no main-thread block over 200 ms. Prints figures only.
Run: `uv run python -m bench.probability_page [--tokens N] [--rounds N]` (part of `make bench`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.analysis import synthetic_completion  # noqa: E402
from bench.page import finished_cell  # noqa: E402
from components import state as keys  # noqa: E402
from playground.notebook import ChatMessage, Notebook  # noqa: E402
from playground.response import from_chat_completion  # noqa: E402
from playground.store import NotebookStore  # noqa: E402
from tests.browser.pagekit import css  # noqa: E402
from tests.processes import free_port, stop  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOAL_DRAWN_S = 2.0
GOAL_BLOCK_MS = 200
# Installed in every page: the long tasks the browser reports, and the moment each chart's canvas is put in the page
# (in page order), so a long task can be told apart by the charts drawn in it.
WATCH = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push({start: e.startTime, duration: e.duration});
}).observe({type: 'longtask', buffered: true});
window.__canvases = [];
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeName !== 'CANVAS' || !n.closest('[data-testid=stVegaLiteChart]')) continue;
    const all = [...document.querySelectorAll('[data-testid=stVegaLiteChart]')];
    window.__canvases.push({at: performance.now(), chart: all.indexOf(n.closest('[data-testid=stVegaLiteChart]'))});
  }
}).observe(document, {childList: true, subtree: true});
"""
# True when the view is whole: the list of the lowest tokens is there, every chart in the cell has its canvas, and
# nothing is stale (a chart drawn on a later run counts only once that run has drawn it).
DRAWN = """(cell) => {
  const root = document.querySelector(cell);
  if (!root || document.querySelector('[data-stale="true"]')) return false;
  const charts = [...root.querySelectorAll('[data-testid=stVegaLiteChart]')];
  return charts.length >= 2 && charts.every((c) => c.querySelector('canvas'))
    && [...root.querySelectorAll('[data-testid=stCaptionContainer]')].some((c) => c.innerText.startsWith('Lowest-confidence'));
}"""


def long_answer_notebook(tokens: int) -> Notebook:
    """One question and a finished run answering it with `tokens` tokens, each with its top-8 alternatives."""
    conversation = [ChatMessage(role="user", content="Write a very long story about a dragon.")]
    cell = finished_cell(conversation, 0, "")
    cell.completion = from_chat_completion(synthetic_completion(tokens, 8))
    cell.continued = False
    return Notebook(title=f"{tokens} tokens", conversation=conversation, cells=[cell])


@dataclass
class Round:
    """What one opening of the view cost, from the click on Details until it is drawn."""

    drawn_s: float  # wall time
    longest_wall_ms: float  # the longest task after the click, as PerformanceObserver reports it
    longest_cpu_ms: float  # the longest task after the click, its CPU time (trace)
    browser_cpu_s: float  # the page's main thread, CPU time of its tasks until drawn (trace)
    server_cpu_s: float  # the Streamlit server process (the script's reruns, sending the view)
    received_kb: float  # what the server sent over the page's WebSocket
    tasks: list[str]  # the main-thread tasks over 50 ms CPU after the click, in order, with the charts drawn in them


@contextmanager
def served(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`streamlit run serve.py` on a free loopback port; yields its URL once healthy, and its process id."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # loading the model and the pages took over a minute on a busy machine
        while True:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        stop(proc, 10)


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main_thread_tasks(trace: bytes, since: str) -> tuple[float, list[tuple[float, float, float]]]:
    """The trace time (µs) of the user-timing mark `since`, and the (start µs, wall ms, CPU ms) of each task the page's
    main thread began after it. Tasks before the mark (such as the one that starts the trace) are left out."""
    events = json.loads(trace)["traceEvents"]
    main = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    mark = min(e["ts"] for e in events if e.get("name") == since and (e["pid"], e["tid"]) in main)
    tasks = [
        (e["ts"], e["dur"] / 1000, e.get("tdur", e["dur"]) / 1000)
        for e in events
        if e.get("name") == "RunTask" and e.get("ph") == "X" and (e["pid"], e["tid"]) in main and "dur" in e and e["ts"] >= mark
    ]
    return mark, sorted(tasks)


def open_view(browser, url: str, cell_id: str, pid: int, shot: Path | None = None) -> Round:  # type: ignore[no-untyped-def]
    """Open the run's Details, then its Probabilities tab, as a person does, and measure until the view is drawn
    (then save a screenshot of the cell to `shot`, if given)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=300_000)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(300_000)
    page.add_init_script(WATCH)
    received: list[int] = []
    counting = [False]

    def on_socket(ws) -> None:  # type: ignore[no-untyped-def]
        ws.on("framereceived", lambda payload: received.append(len(payload)) if counting[0] else None)

    page.on("websocket", on_socket)
    page.goto(url)
    cell = page.locator(css(keys.cell(cell_id)))
    expect(cell.get_by_text("Details", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    page.wait_for_timeout(1000)  # let the first draw settle: only what the clicks cost is measured
    browser.start_tracing(
        page=page, categories=["disabled-by-default-devtools.timeline", "devtools.timeline", "blink.user_timing"]
    )
    page.wait_for_timeout(300)  # the task that starts the trace is over before the mark
    clicked = page.evaluate("performance.mark('bench-click'), performance.now()")
    server_before = process_cpu_s(pid)
    counting[0] = True
    started = time.perf_counter()
    cell.get_by_text("Details", exact=True).click()
    cell.get_by_role("tab", name="Probabilities").click()
    page.wait_for_function(DRAWN, arg=css(keys.cell(cell_id)), polling=50)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    drawn = time.perf_counter() - started
    server_cpu = process_cpu_s(pid) - server_before
    drawn_at = page.evaluate("performance.mark('bench-drawn'), performance.now()")
    counting[0] = False
    page.wait_for_timeout(1000)  # long tasks still queued after the last element appeared count too
    longest_wall = max((t["duration"] for t in page.evaluate("window.__longtasks") if t["start"] >= clicked), default=0.0)
    canvases = page.evaluate("window.__canvases")
    if shot is not None:
        cell.screenshot(path=str(shot))
    mark, tasks = main_thread_tasks(browser.stop_tracing(), "bench-click")
    context.close()

    def charts_in(start: float, wall: float) -> str:
        inside = sorted({c["chart"] for c in canvases if start <= mark + (c["at"] - clicked) * 1000 <= start + wall * 1000})
        return f" (canvas of chart {', '.join(str(i + 1) for i in inside)} put in)" if inside else ""

    until_drawn = mark + (drawn_at - clicked) * 1000
    return Round(
        drawn_s=drawn,
        longest_wall_ms=longest_wall,
        longest_cpu_ms=max((c for _, _, c in tasks), default=0.0),
        browser_cpu_s=sum(c for ts, _, c in tasks if ts <= until_drawn) / 1000,
        server_cpu_s=server_cpu,
        received_kb=sum(received) / 1024,
        tasks=[f"{c:.0f}{charts_in(ts, w)}" for ts, w, c in tasks if c >= 50],
    )


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--screenshot", type=Path, help="save a screenshot of the drawn view (last round) to this PNG")
    args = ap.parse_known_args()[0]  # `make bench` runs every module with the same command line

    from playwright.sync_api import sync_playwright

    from playground.local import start_gateway

    chromium = os.environ.get("PLAYGROUND_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    print(f"  before: {uptime()}", flush=True)
    with tempfile.TemporaryDirectory() as data, start_gateway() as gateway:
        env = {**os.environ, "PLAYGROUND_DATA_DIR": data, "PLAYGROUND_BASE_URL": gateway.base_url}
        env.pop("XAI_API_KEY", None)
        env.pop("PLAYGROUND_DATABASE_URL", None)
        os.environ["PLAYGROUND_DATA_DIR"] = data
        notebook = NotebookStore().save(long_answer_notebook(args.tokens))
        url = f"/?{keys.NOTEBOOK_PARAM}={notebook.id}"
        with served(env) as (base, pid), sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
            cell_id = notebook.cells[0].id
            rounds = [
                open_view(browser, base + url, cell_id, pid, args.screenshot if i == args.rounds - 1 else None)
                for i in range(args.rounds)
            ]
            browser.close()
    print(f"  after:  {uptime()}")
    print(
        f"  {args.tokens:,}-token answer, top-8 alternatives, {args.rounds} rounds on {os.cpu_count()} CPUs; from the click"
        " on Details (the task that starts the trace left out). CPU figures are what a loaded machine inflates least."
    )

    def line(name: str, values: list[float], fmt: str, unit: str, summary: float, goal: str = "") -> None:
        runs = ", ".join(format(v, fmt) for v in values)
        print(f"  {name:<38}{format(summary, fmt):>7} {unit} (runs: {runs}){goal}")

    drawn = [r.drawn_s for r in rounds]
    line("probability view drawn (wall)", drawn, ".2f", "s median", statistics.median(drawn), f"  goal < {GOAL_DRAWN_S:.0f} s")
    cpu = [r.longest_cpu_ms for r in rounds]
    line("longest main-thread task, CPU", cpu, ".0f", "ms max", max(cpu), f"  goal < {GOAL_BLOCK_MS} ms")
    wall = [r.longest_wall_ms for r in rounds]
    line("  the longest block, wall", wall, ".0f", "ms max", max(wall))
    browser_cpu = [r.browser_cpu_s for r in rounds]
    line("browser main thread's CPU until drawn", browser_cpu, ".2f", "s median", statistics.median(browser_cpu))
    server = [r.server_cpu_s for r in rounds]
    line("server process's CPU until drawn", server, ".2f", "s median", statistics.median(server))
    sent = [r.received_kb for r in rounds]
    line("sent to the browser", sent, ".0f", "kB median", statistics.median(sent))
    for i, r in enumerate(rounds, 1):
        print(f"  round {i}: tasks over 50 ms CPU, in order: {'; '.join(r.tasks) or 'none'}")


if __name__ == "__main__":
    main()
