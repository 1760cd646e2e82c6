"""Integration fixtures: plain HTTP to the session's embedded gateway."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from playground.local import Gateway


@pytest.fixture
def api(gateway: Gateway) -> Iterator[httpx.Client]:
    """An httpx client on the gateway's base URL; generous timeout for a busy 2-core machine."""
    with httpx.Client(base_url=gateway.base_url, timeout=180) as client:
        yield client
