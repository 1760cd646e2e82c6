"""Browser journeys: the real page served by `streamlit run`, driven in headless Chromium.

Playwright cannot download its own browser here, so it drives Debian's Chromium. On failure a
screenshot lands in test-artifacts/ (CI prints the folder).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from playground.local.settings import ENV_THREADS
from tests.browser.pagekit import watch
from tests.fake_server import FakeServer, fake_server, xai_like
from tests.mcp_servers import TIME_ENV
from tests.processes import free_port, stop, workers

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def _chromium() -> str:
    for candidate in (
        os.environ.get("PLAYGROUND_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("No Chromium found: install Debian's `chromium` (make test does this as root).")


@contextmanager
def serve_app(env: dict[str, str], logs: Path, count: int = 1) -> Iterator[list[str]]:
    """`count` processes of `streamlit run serve.py` (the page behind its Content-Security-Policy, as `make run` serves
    it), started side by side, each on a free port of 127.0.0.1 with `env`; yields their URLs once all are healthy
    (with no PLAYGROUND_BASE_URL, once each one's own model is loaded at its /v1), stops them afterwards."""
    started: list[tuple[subprocess.Popen[bytes], str, IO[str]]] = []
    try:
        for _ in range(count):
            port = free_port()
            log = (logs / f"streamlit-{port}.log").open("w")
            command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.address", "127.0.0.1"]
            command += ["--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            started.append((proc, f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + 180
        for proc, url, log in started:
            while not _healthy(url):
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited with {proc.returncode}; see {log.name}")
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not become healthy within 180 s; see {log.name}")
                time.sleep(0.2)
        yield [url for _, url, _ in started]
    finally:
        for proc, _, log in started:
            stop(proc, 10)
            log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/_stcore/health", timeout=2).text == "ok"
    except httpx.HTTPError:
        return False


def app_env(base_url: str, **extra: str) -> dict[str, str]:
    """The app's environment: its model server at `base_url` (it loads no model of its own), no xAI key, plus `extra`."""
    env = {**os.environ, "PLAYGROUND_BASE_URL": base_url, **extra}
    env.pop("XAI_API_KEY", None)
    return env


@pytest.fixture(scope="session")
def fake_xai() -> Iterator[FakeServer]:
    """A stand-in for api.x.ai (tests/fake_server.py) that answers with xAI's usage: the page's xAI backend goes
    there (PLAYGROUND_XAI_BASE_URL), so nothing leaves the machine."""
    with fake_server() as server:
        server.reply = xai_like()
        yield server


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, fake_xai: FakeServer) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The page as `make run` serves it: one address for the page and its embedded model's API (its own /v1), no
    xAI key (xAI itself is `fake_xai`), notebooks in a SQLite folder of its own, mcp-server-time configured."""
    drop = ("XAI_API_KEY", "PLAYGROUND_BASE_URL", "PLAYGROUND_DATABASE_URL", "PLAYGROUND_GATEWAY_KEY")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PLAYGROUND_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    env["PLAYGROUND_XAI_BASE_URL"] = fake_xai.base_url
    env["PLAYGROUND_MCP_SERVERS"] = TIME_ENV  # the operator's MCP server: mcp-server-time over stdio
    if workers() > 1:  # beside other test processes: see tests/conftest.py
        env[ENV_THREADS] = "1"
    with serve_app(env, tmp_path_factory.mktemp("streamlit")) as (url,):
        yield url


VIEWPORT = {"width": 1400, "height": 1000}

# The journeys' one Playwright, Chromium and browser context, while journeys run in a row.
_RUNNING: list[tuple[Playwright, Browser, BrowserContext]] = []


def _running() -> tuple[Playwright, Browser, BrowserContext]:
    """Start Playwright, Chromium and the context the journeys' pages open in, once for the journeys in a row."""
    if not _RUNNING:
        pw = sync_playwright().start()
        args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
        args += ["--disable-sync", "--no-first-run", "--disable-quic"]
        chromium = pw.chromium.launch(executable_path=_chromium(), headless=True, args=args)
        context = chromium.new_context(viewport=VIEWPORT)
        watch(context)
        _RUNNING.append((pw, chromium, context))
    return _RUNNING[0]


@pytest.fixture
def browser() -> Browser:
    """One Chromium for the journeys in a row, started by the first of them. Playwright's sync API keeps an event loop
    running in the main thread while it is open, which would break a later non-browser test that calls asyncio.run(),
    so `pytest_runtest_teardown` stops it after the last journey in a row (tests/schedule.py keeps them in a row)."""
    return _running()[1]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last journey in a row (its fixtures already torn down), stop Playwright and its Chromium."""
    if _RUNNING and (nextitem is None or nextitem.get_closest_marker("browser") is None):
        pw, chromium, _ = _RUNNING.pop()
        chromium.close()
        pw.stop()


@pytest.fixture
def blank_page(request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new tab, not yet on the app, in the journeys' one browser context. A journey's tab gets a Streamlit session of
    its own when it opens the page (the app keeps nothing in cookies), while the page's scripts, fonts and their
    compiled code stay in the context's cache from one journey to the next (a fresh context loads and compiles them
    again for every page). Afterwards the tabs close and the site's local storage (Streamlit's sidebar width and the
    like) and cookies are cleared, so the next journey starts as a new visitor."""
    context = _running()[2]
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    refused: list[str] = []  # what the Content-Security-Policy blocked: normal use of the page trips none of it

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    context.on("console", note)
    yield pg
    context.remove_listener("console", note)
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not pg.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    for tab in context.pages:
        if tab.url.startswith("http"):
            tab.evaluate("() => localStorage.clear()")
        tab.close()
    context.clear_cookies()
    assert not refused, refused


@pytest.fixture
def page(blank_page: Page, app_url: str) -> Page:
    """A new tab on the app (see `blank_page`)."""
    blank_page.goto(app_url)
    return blank_page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
