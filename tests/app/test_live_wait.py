"""The live view's countdown while the server asks to wait (Retry-After): the line the page draws, and the
words for each second. The client side (the hook heard each second) is in tests/core/test_faults.py."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components.cells import wait_words
from tests.markdown import readable

pytestmark = pytest.mark.apptest


def test_wait_words_count_down_in_whole_seconds() -> None:
    assert wait_words(6.2, "429 Too Many Requests") == "The server asked to wait (429 Too Many Requests): retrying in 7 s…"
    assert wait_words(0.4, "503 Service Unavailable") == "The server asked to wait (503 Service Unavailable): retrying in 1 s…"
    assert wait_words(0.0, "429 Too Many Requests") == "The server asked to wait (429 Too Many Requests): retrying now…"


def _script() -> None:
    from components.cells import Live

    live = Live(on_stop=lambda: None)
    for left in (3.0, 2.0, 1.0):  # as the client calls it, each second
        live.waiting(left, "429 Too Many Requests")


def test_the_live_line_shows_the_last_second_of_the_wait() -> None:
    at = AppTest.from_function(_script, default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    captions = [readable(c.value) for c in at.caption]
    assert any("The server asked to wait (429 Too Many Requests): retrying in 1 s…" in c for c in captions), captions
    assert not any("retrying in 3 s" in c for c in captions)  # one line, redrawn in place
