"""`make run`'s launcher (run.py) on a fresh start: one process, one port. Once the page's health check answers, the
embedded model's API answers at the page's own /v1 (curl), the openai SDK snippet the page exports for an embedded
cell runs unchanged against it, and requests from other machines need PLAYGROUND_GATEWAY_KEY. One launch, served to
other machines with a gateway key, serves every check; how the guard treats a request with no key set is
tests/local/test_guard.py's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from playground.codegen import export
from tests.processes import free_port, stop

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_KEY = "test-gateway-key-4f1c"
ELSEWHERE = {"X-Forwarded-For": "203.0.113.7"}  # how a request from another machine arrives through a local proxy


def launch(tmp_path: Path, host: str, **env_extra: str) -> Iterator[int]:
    """run.py as `make run HOST=<host>` starts it; yields its port once the page's health check answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("XAI_API_KEY", "PLAYGROUND_BASE_URL", "PLAYGROUND_GATEWAY_KEY")}
    env.update(PLAYGROUND_DATA_DIR=str(tmp_path), **env_extra)
    args = [sys.executable, "run.py", "--server.address", host, "--server.port", str(port), "--server.headless", "true"]
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen([*args, "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, f"run.py exited with {proc.returncode}: {(tmp_path / 'run.log').read_text()}"
            assert time.monotonic() < deadline, "the page did not become healthy within 180 s"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield port
    finally:
        stop(proc, 15)
        log.close()


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`make run HOST=0.0.0.0` with a gateway key, as a team serves the page."""
    yield from launch(tmp_path_factory.mktemp("run"), "0.0.0.0", PLAYGROUND_GATEWAY_KEY=GATEWAY_KEY)


def test_the_api_answers_at_the_pages_own_address_and_an_exported_snippet_runs(launched: int, tmp_path: Path) -> None:
    port = launched
    base_url = f"http://localhost:{port}/v1"
    curl = shutil.which("curl")
    assert curl is not None, "curl is not installed (apt-get install -y curl)"
    done = subprocess.run([curl, "-sS", "--max-time", "10", f"{base_url}/models"], capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    assert [m["id"] for m in json.loads(done.stdout)["data"]] == ["smollm2-135m-instruct"]
    # Other machines can reach only the page's port (llama.cpp's own listener, used inside, is on loopback).
    listening = [c.laddr for c in psutil.Process(_server_pid(port)).net_connections(kind="tcp") if c.status == "LISTEN"]
    assert all(a.ip == "127.0.0.1" for a in listening if a.port != port), listening

    body = {"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "Say hi."}], "seed": 3, "temperature": 0}
    body["max_completion_tokens"] = 8
    script = tmp_path / "snippet.py"
    script.write_text(export(body, base_url=base_url, backend="embedded").python_openai, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("XAI_API_KEY", "OPENAI_API_KEY")}
    ran = subprocess.run([sys.executable, str(script)], env=env, cwd=tmp_path, capture_output=True, timeout=240)
    assert ran.returncode == 0, ran.stderr.decode()
    assert ran.stdout.strip()

    # The page's port answers its health check for other machines too.
    assert httpx.get(f"http://127.0.0.1:{port}/_stcore/health", headers=ELSEWHERE, timeout=10).text == "ok"


def _server_pid(port: int) -> int:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == "LISTEN" and conn.laddr.port == port and conn.pid:
            return conn.pid
    raise AssertionError(f"nothing listens on {port}")


def test_served_to_other_machines_the_api_wants_the_gateway_key_from_them(launched: int) -> None:
    url = f"http://127.0.0.1:{launched}/v1/models"
    assert httpx.get(url, timeout=10).status_code == 200  # this machine needs no key
    missing = httpx.get(url, headers=ELSEWHERE, timeout=10)
    wrong = httpx.get(url, headers={**ELSEWHERE, "Authorization": "Bearer not-the-key"}, timeout=10)
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert GATEWAY_KEY not in missing.text + wrong.text
    right = httpx.get(url, headers={**ELSEWHERE, "Authorization": f"Bearer {GATEWAY_KEY}"}, timeout=10)
    assert right.status_code == 200
    assert right.json()["data"][0]["id"] == "smollm2-135m-instruct"
