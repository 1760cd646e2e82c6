"""What the page benchmarks share: notebooks stored in a fresh data folder beside a started gateway, each opened by its
URL under Streamlit's AppTest, a widget changed and every rerun timed (the page's script only: AppTest runs it in
this process), in alternating rounds so that every notebook sees the same machine. AppTest runs here as a server
does (`tests.apptest_runtime.like_a_server`): it would otherwise compile the page's scripts again on every rerun,
which the served page does once."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from components import state as keys
from playground.notebook import Notebook
from playground.store import NotebookStore
from tests.apptest_runtime import like_a_server

ROOT = Path(__file__).resolve().parents[1]
Times = list[tuple[float, float]]  # (wall, CPU) seconds of each rerun


def rerun_times(notebook_id: str, change: Callable[[Any, int], None], *, rounds: int, page: str | None = None) -> Times:
    """(wall, CPU) seconds of each rerun after `change(at, round)` moved a widget; CPU time (this process's threads)
    is what other programs on a shared machine inflate least."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params[keys.NOTEBOOK_PARAM] = notebook_id
    if page is not None:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    times = []
    for n in range(rounds):
        change(at, n)
        started, started_cpu = time.perf_counter(), time.process_time()
        at.run()
        times.append((time.perf_counter() - started, time.process_time() - started_cpu))
        assert not at.exception, at.exception
    return times


def measure(
    notebooks: Mapping[str, Notebook], change: Callable[[Any, int], None], *, rounds: int, page: str | None = None
) -> dict[str, Times]:
    """Each notebook (by name) stored and its reruns timed, twice over in alternating order, beside one gateway."""
    from playground.local import start_gateway

    with tempfile.TemporaryDirectory() as data, start_gateway() as gateway, like_a_server():
        os.environ["PLAYGROUND_DATA_DIR"] = data
        os.environ["PLAYGROUND_BASE_URL"] = gateway.base_url
        store = NotebookStore()
        ids = {name: store.save(nb).id for name, nb in notebooks.items()}
        results: dict[str, Times] = {name: [] for name in ids}
        for _ in range(2):
            for name, notebook_id in ids.items():
                results[name] += rerun_times(notebook_id, change, rounds=rounds, page=page)
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return results


def medians(results: Mapping[str, Times]) -> tuple[dict[str, float], dict[str, float]]:
    """The median wall and the median CPU seconds of each notebook's reruns."""
    wall = {name: statistics.median(w for w, _ in measured) for name, measured in results.items()}
    cpu = {name: statistics.median(c for _, c in measured) for name, measured in results.items()}
    return wall, cpu
