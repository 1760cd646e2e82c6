"""Shared fixtures. `gateway`: one embedded model load per test session, shared by the
integration, AppTest and browser tests (each test that needs other settings builds its own
app with `playground.local.server.create_app`); and a fresh PLAYGROUND_DATA_DIR per test, so no
test ever writes drafts into the real ./data/."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import stamina
from xdist.scheduler import LoadFileScheduling

import tests.fuzz  # noqa: F401  (loads the hypothesis profile: the same examples every run unless asked otherwise)
from playground.local import Gateway, GatewaySettings, start_gateway
from tests.processes import workers
from tests.schedule import JourneysTogether


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadFileScheduling | None:  # type: ignore[no-untyped-def]
    """`--dist loadfile` keeps the journeys together (see JourneysTogether)."""
    return JourneysTogether(config, log) if config.getvalue("dist") == "loadfile" else None


_PRIORITY_SET: list[bool] = []  # whether this worker has decided its priority yet


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """When the journeys run beside the other tests (`make test`: one pytest-xdist worker drives them, the others
    take the rest), a worker lowers its priority before its first test that is not a journey: the journeys wait on
    a page and a model that must answer in time, the other tests only need the cores' leftover time. The worker
    that drives the journeys reaches its other tests only after them."""
    if _PRIORITY_SET or "PYTEST_XDIST_WORKER" not in os.environ or item.get_closest_marker("browser") is not None:
        return
    _PRIORITY_SET.append(True)
    if any(other.get_closest_marker("browser") is not None for other in item.session.items):
        os.nice(10)


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    """The embedded gateway on a free 127.0.0.1 port; `.base_url` ends in "/v1". Beside other pytest-xdist workers
    its engine uses one thread: llama.cpp's threads wait for each other at every token, so two of them share a
    core badly with another busy process."""
    gw = start_gateway(GatewaySettings(threads=1 if workers() > 1 else None))
    try:
        yield gw
    finally:
        gw.close()


@pytest.fixture
def instant_retries() -> Iterator[None]:
    """stamina's test mode: no backoff sleeps between attempts, but the client's own attempt count
    (max_retries + 1) still applies, so a refused connection is still tried as often as on the page."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where this test's notebook store lives (playground.store reads PLAYGROUND_DATA_DIR); a developer's own
    PLAYGROUND_DATABASE_URL is ignored, so tests never write to that database (PostgreSQL tests set theirs)."""
    path = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(path))
    monkeypatch.delenv("PLAYGROUND_DATABASE_URL", raising=False)
    return path


@pytest.fixture(autouse=True)
def main_module() -> Iterator[None]:
    """Streamlit's script runner (AppTest runs it in this process) installs the page as `__main__` and never puts
    the real one back; a later `multiprocessing` spawn would then run that page, or a deleted AppTest script,
    in every child. Each test leaves `__main__` as it found it."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main
