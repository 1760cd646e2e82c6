"""The operator's knob for the page's embedded model: PLAYGROUND_MODEL_THREADS."""

from __future__ import annotations

import pytest

from playground.local.settings import ENV_THREADS, GatewaySettings, page_settings


def test_without_the_variable_the_model_uses_the_defaults() -> None:
    assert page_settings({}) == GatewaySettings()
    assert page_settings({ENV_THREADS: " "}).threads is None


def test_the_variable_sets_the_models_threads() -> None:
    assert page_settings({ENV_THREADS: "1"}).threads == 1


@pytest.mark.parametrize("raw", ["0", "two", "-1", "1.5"])
def test_a_wrong_value_is_named_with_the_variable(raw: str) -> None:
    with pytest.raises(ValueError, match=f"{ENV_THREADS} must be a whole number of threads, 1 or more; it is '{raw}'"):
        page_settings({ENV_THREADS: raw})
