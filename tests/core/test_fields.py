"""fields.py is the single source: every field of the seed document is there, once, with sane bounds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from playground import fields
from playground.fields import FIELDS, Kind

SEED = Path(__file__).resolve().parents[2] / "docs" / "chat-completions-fields.txt"  # copy of shared/seed

# The seed's labels, in its words, mapped to the API keys.
SEED_LABELS = {
    "Model": "model",
    "Messages": "messages",
    "Deferred": "deferred",
    "Frequency penalty": "frequency_penalty",
    "Logic Bias": "logit_bias",
    "Logprobs": "logprobs",
    "Max Completion Tokens": "max_completion_tokens",
    "N": "n",
    "Precense penalty": "presence_penalty",
    "Response Format": "response_format",
    "Seed": "seed",
    "Stop": "stop",
    "Temperature": "temperature",
    "Tools": "tools",
    "Tool Choice": "tool_choice",
    "Top Logprobs": "top_logprobs",
    "Top P": "top_p",
    "User": "user",
}


def test_every_seed_field_is_described() -> None:
    assert set(SEED_LABELS.values()) == set(FIELDS)


def test_seed_document_lists_the_labels_we_map() -> None:
    text = SEED.read_text()
    for label in SEED_LABELS:
        assert re.search(rf"^{re.escape(label)}$", text, re.M), label


@pytest.mark.parametrize(
    ("key", "minimum", "maximum", "default"),
    [
        ("temperature", 0, 2, 1),
        ("top_p", 0, 1, 1),
        ("frequency_penalty", -2, 2, 0),
        ("presence_penalty", -2, 2, 0),
        ("top_logprobs", 0, 8, None),
        ("n", 1, fields.MAX_N, 1),
        ("logit_bias", -100, 100, None),
        ("stop", None, 4, None),
        ("max_completion_tokens", 1, None, None),
    ],
)
def test_documented_bounds(key: str, minimum: float | None, maximum: float | None, default: object) -> None:
    f = FIELDS[key]
    assert (f.minimum, f.maximum, f.default) == (minimum, maximum, default)


def test_every_field_has_words_for_a_person() -> None:
    for f in FIELDS.values():
        assert f.label and len(f.help) > 20, f.key
        if f.minimum is not None and f.maximum is not None:
            assert f.minimum < f.maximum
        if f.default is not None and f.kind in (Kind.INT, Kind.FLOAT):
            assert f.minimum is None or f.default >= f.minimum
            assert f.maximum is None or f.default <= f.maximum


def test_requires_points_at_real_fields() -> None:
    for f in FIELDS.values():
        assert f.requires is None or f.requires in FIELDS


def test_sections_cover_every_sidebar_field_once() -> None:
    listed = [f.key for fs in fields.sections().values() for f in fs]
    assert sorted(listed) == sorted(fields.SIDEBAR_KEYS)
    assert "model" not in listed and "messages" not in listed


def test_message_keys_match_the_seed() -> None:
    assert {"role", "content", "name"} <= set(fields.MESSAGE_KEYS)
    assert fields.ROLES == ("system", "user", "assistant", "tool")
