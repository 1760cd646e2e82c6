"""The Playground page under AppTest, shared by the page's test modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def at(gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:  # type: ignore[no-untyped-def]
    """The app pointed at the session's embedded gateway, no xAI key around (a module may define its own)."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    yield app
