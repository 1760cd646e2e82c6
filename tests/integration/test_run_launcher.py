"""`make run`'s launcher (run.py) loads the embedded model while Streamlit starts: before anyone opens the page,
the process already serves the gateway (found among its listening ports, answering /v1/models)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.processes import free_port, stop

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[tuple[psutil.Process, int]]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("XAI_API_KEY", "PLAYGROUND_BASE_URL")}
    env["PLAYGROUND_DATA_DIR"] = str(tmp_path)
    args = [sys.executable, "run.py", "--server.port", str(port), "--server.headless", "true"]
    proc = subprocess.Popen(
        [*args, "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        yield psutil.Process(proc.pid), port
    finally:
        stop(proc, 15)


def _gateway_models(proc: psutil.Process, streamlit_port: int) -> list[str] | None:
    """The model ids served on any other port this process listens on, if one is our gateway."""
    for conn in proc.net_connections(kind="tcp"):
        if conn.status != psutil.CONN_LISTEN or conn.laddr.port == streamlit_port:
            continue
        try:
            r = httpx.get(f"http://127.0.0.1:{conn.laddr.port}/v1/models", timeout=2)
        except httpx.HTTPError:
            continue
        data = r.json().get("data") if r.status_code == 200 else None
        if data and all(m.get("owned_by") == "playground-local" for m in data):
            return [m["id"] for m in data]
    return None


def test_the_model_is_served_before_the_first_page_view(launched: tuple[psutil.Process, int]) -> None:
    proc, port = launched
    deadline = time.monotonic() + 120
    models = None
    while models is None and time.monotonic() < deadline:
        assert proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE, "run.py exited"
        models = _gateway_models(proc, port)
        time.sleep(0.5)
    assert models == ["smollm2-135m-instruct"]
    assert httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=5).text == "ok"  # Streamlit serves meanwhile
