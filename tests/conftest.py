"""Shared fixtures. Only `gateway`: one embedded model load per test session, shared by the
integration, AppTest and browser tests (each test that needs other settings builds its own
app with `playground.local.server.create_app`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from playground.local import Gateway, GatewaySettings, start_gateway


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    """The embedded gateway on a free 127.0.0.1 port; `.base_url` ends in "/v1"."""
    gw = start_gateway(GatewaySettings())
    try:
        yield gw
    finally:
        gw.close()
