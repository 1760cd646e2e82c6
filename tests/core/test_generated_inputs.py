"""Generated input (issue 11): hypothesis throws random types, values past every bound, unicode with lone
surrogates, huge strings, NaN/Infinity and nested junk at every field of fields.py, at message shapes, at
imported notebook and conversation files and at pasted tools and response schemas. Each input must give a
valid body (or value) or an error naming the field; never an uncaught exception. 10,800 inputs in all
(`COUNTS`) when fuzzing deliberately (PLAYGROUND_FUZZ_DEEP=1), a fifth of them in `make test` (tests/fuzz.py);
tests/integration/test_gateway_fuzz.py sends the same bodies to the running gateway.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import backends, runner
from playground import fields as F
from playground.errors import RequestError
from playground.notebook import FORMAT, ChatMessage, NotebookFile, conversation_from_json
from playground.request import build_request, validate_body
from playground.schema import (
    InputError,
    parse_response_schema,
    parse_tools,
    validate_response_schema,
    validate_tools,
)
from tests.fuzz import examples

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")]  # 200 kB reprs

COUNTS = {"settings_and_messages": 3500, "prepare": 1000, "api_body": 1500, "notebook_file": 1300, "conversation_file": 1300,
          "tools": 1300, "response_schema": 900}  # fmt: skip


def _run(n: int) -> settings:
    """`n` inputs when fuzzing deliberately, fewer in `make test` (tests/fuzz.py); deadline and database off, and big
    inputs allowed; the same inputs every run unless PLAYGROUND_FUZZ_NEW is set."""
    return settings(
        max_examples=examples(n),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# ---------------------------------------------------------------------------------------------- generators

SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\ud83d"])  # lone halves: not encodable as UTF-8
WEIRD_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=20),  # anything, surrogates too
    SURROGATES,
    st.sampled_from(["", " ", "\x00", "‮evil", "`", "<img src=x>", "![x](http://t.test/a.png)", "🧪" * 50, "NaN", "-0"]),
    st.integers(0, 9).flatmap(lambda i: st.just("x" * 200_000) if i == 0 else st.text(max_size=10)),  # now and then huge
)
NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2, 16, 17, 100, 101, -101, 2**31, -(2**31), 2**63, 2**64, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 0.5, 2.0000001]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, WEIRD_TEXT)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(WEIRD_TEXT, inner, max_size=3)),
    max_leaves=6,
)


def _deep(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": [value]}
    return value


DEEP = st.integers(50, 400).map(_deep)  # nested far beyond any real request

TOOL_NAMES = st.one_of(st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True), WEIRD_TEXT)
SCHEMAS = st.one_of(
    st.just({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    st.just({"type": "object", "properties": {"x": {"type": "nope"}}}),
    st.just({"type": "object", "properties": {"e": {"enum": list(range(500))}}}),
    st.just({"type": "object", "properties": {"p": {"type": "string", "pattern": "(["}}}),
    st.just({"type": "object", "required": ["missing"]}),
    st.dictionaries(st.sampled_from(["type", "properties", "required", "items", "enum", "$ref", "anyOf"]), JUNK, max_size=4),
    DEEP,
    JUNK,
)
TOOLS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("function"), "function": st.fixed_dictionaries({"name": TOOL_NAMES, "parameters": SCHEMAS})}
    ),
    st.fixed_dictionaries({"name": TOOL_NAMES, "description": WEIRD_TEXT, "parameters": SCHEMAS}),  # bare function
    JUNK,
)
TOOL_CALLS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "id": st.one_of(st.just("call_1"), WEIRD_TEXT),
                "type": st.just("function"),
                "function": st.fixed_dictionaries(
                    {"name": TOOL_NAMES, "arguments": st.one_of(st.just('{"city": "Paris"}'), WEIRD_TEXT, JUNK)}
                ),
            }
        ),
        JUNK,
    ),
    max_size=3,
)
MESSAGE = st.one_of(
    st.fixed_dictionaries(
        {
            "role": st.sampled_from(F.ROLES),
            "content": st.one_of(
                st.text(max_size=30),
                WEIRD_TEXT,
                st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": WEIRD_TEXT}), max_size=2),
                JUNK,
            ),
        },
        optional={
            "name": WEIRD_TEXT,
            "tool_call_id": st.one_of(st.just("call_1"), WEIRD_TEXT),
            "tool_calls": TOOL_CALLS,
            "arguments": st.one_of(st.just({"city": "Paris"}), JUNK),  # the seed document's tool message
        },
    ),
    st.dictionaries(st.sampled_from(["role", "content", "name", "tool_calls", "tool_call_id", "refusal"]), JUNK, max_size=4),
    JUNK,
)
MESSAGES = st.one_of(
    st.lists(MESSAGE, max_size=3),
    st.just([{"role": "user", "content": "hi"}]),
    st.integers(0, 19).flatmap(
        lambda i: st.just([{"role": "user", "content": "hi"}] * (600 if i == 0 else 1))
    ),  # now and then many
)


def _field_values(f: F.Field) -> st.SearchStrategy[Any]:
    """Mostly hostile, sometimes right: values of the field's own kind near and past its bounds, and junk."""
    near: list[Any] = []
    if f.minimum is not None:
        near += [f.minimum, f.minimum - 1, f.minimum - 1e-9]
    if f.maximum is not None:
        near += [f.maximum, f.maximum + 1, f.maximum + 1e-9]
    own: st.SearchStrategy[Any] = {
        F.Kind.INT: st.one_of(st.integers(), st.sampled_from(near or [0]), st.text(max_size=6)),
        F.Kind.FLOAT: st.one_of(st.floats(), st.sampled_from(near or [0.0]), st.text(max_size=6)),
        F.Kind.BOOL: st.booleans(),
        F.Kind.TEXT: WEIRD_TEXT,
        F.Kind.STOP: st.one_of(st.lists(WEIRD_TEXT, max_size=6), WEIRD_TEXT),
        F.Kind.TOKEN_MAP: st.one_of(
            st.dictionaries(st.one_of(st.integers().map(str), WEIRD_TEXT), NUMBERS, max_size=4), WEIRD_TEXT
        ),
        F.Kind.CHOICE: st.one_of(st.sampled_from(f.choices or ("x",)), WEIRD_TEXT),
        F.Kind.TOOLS: st.one_of(st.lists(TOOLS, max_size=3), st.lists(TOOLS, max_size=3).map(json.dumps), WEIRD_TEXT),
        F.Kind.TOOL_CHOICE: st.one_of(st.sampled_from([*F.TOOL_CHOICE_MODES, "get_weather"]), JUNK),
        F.Kind.RESPONSE_FORMAT: st.one_of(
            st.sampled_from(F.RESPONSE_FORMAT_TYPES),
            st.fixed_dictionaries({"type": st.just("json_schema"), "json_schema": st.one_of(SCHEMAS, st.builds(dict))}),
            st.fixed_dictionaries(
                {"type": st.just("json_schema"), "json_schema": st.fixed_dictionaries({"name": TOOL_NAMES, "schema": SCHEMAS})}
            ),
            WEIRD_TEXT,
        ),
        F.Kind.MESSAGES: MESSAGES,
    }[f.kind]
    return st.one_of(own, JUNK, st.none())


SETTING_KEYS = [k for k in F.FIELDS if k not in ("model", "messages")]
EXTRA_KEYS = ["stream", "stream_options", "parallel_tool_calls", "reasoning_effort", "max_tokens", "functions", "", "\ud800"]
_VALUES = {
    **{k: _field_values(F.FIELDS[k]) for k in SETTING_KEYS},
    **{k: JUNK for k in EXTRA_KEYS},
    "model": st.one_of(st.just("grok-4"), WEIRD_TEXT, JUNK),
}
# a few fields at a time (drawing all of them each time is slow, and one bad field hides nothing here)
SETTINGS = st.lists(st.sampled_from(sorted(_VALUES)), max_size=5, unique=True).flatmap(
    lambda keys: st.fixed_dictionaries({k: _VALUES[k] for k in keys})
)


def _json_safe(value: Any) -> bool:
    """A body the client can send: strict JSON (no NaN/Infinity)."""
    try:
        json.dumps(value, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True


def _names_a_field(err: RequestError, given: dict[str, Any]) -> None:
    """Every problem names a field (a body key, or `messages…`) and says something about it in words."""
    assert err.errors
    for e in err.errors:
        root = e.field.split(".")[0]
        known = ("messages", "model", "body", "max_completion_tokens", "tool_choice")
        assert e.field in given or root in given or root in known, e
        assert e.message.strip() and e.code, e


# ---------------------------------------------------------------------------------------------- the properties


@_run(COUNTS["settings_and_messages"])
@given(settings_=SETTINGS, messages=MESSAGES)
def test_every_field_and_message_shape_gives_a_body_or_names_the_field(settings_: dict[str, Any], messages: Any) -> None:
    raw = {"model": "grok-4", **settings_}
    try:
        built = build_request(raw, messages if isinstance(messages, list) else [messages])
    except RequestError as exc:
        _names_a_field(exc, raw)
        return
    body = built.request.to_body()
    assert _json_safe(body), body
    assert validate_body(body).to_body() == body  # what is sent is what the gateway accepts


@_run(COUNTS["prepare"])
@given(
    settings_=SETTINGS, contents=st.lists(WEIRD_TEXT, min_size=1, max_size=3), backend=st.sampled_from(sorted(backends.BACKENDS))
)
def test_prepare_as_the_page_calls_it(settings_: dict[str, Any], contents: list[str], backend: str) -> None:
    conversation = [ChatMessage(role="user", content=c) for c in contents]
    model = settings_.pop("model", "m")
    try:
        built = runner.prepare(
            settings_,
            conversation,
            model=model if isinstance(model, str) else None,
            caps=backends.backend(backend).capabilities,  # type: ignore[arg-type]
            client=None,
        )
    except RequestError as exc:
        _names_a_field(exc, {**settings_, "model": model})
        return
    assert _json_safe(built.request.to_body())


@_run(COUNTS["api_body"])
@given(body=st.one_of(SETTINGS.map(lambda s: {"model": "m", "messages": [{"role": "user", "content": "hi"}], **s}), JUNK, DEEP))
def test_a_raw_api_body_as_the_gateway_receives_it(body: Any) -> None:
    try:
        request = validate_body(body)
    except RequestError as exc:
        _names_a_field(exc, body if isinstance(body, dict) else {})
        return
    assert _json_safe(request.to_body())


NOTEBOOK_SHAPES = st.one_of(
    st.fixed_dictionaries(
        {"format": st.one_of(st.just(FORMAT), WEIRD_TEXT), "version": st.one_of(st.just(1), JUNK), "notebook": JUNK}
    ),
    st.fixed_dictionaries(
        {
            "format": st.just(FORMAT),
            "version": st.just(1),
            "notebook": st.fixed_dictionaries(
                {},
                optional={
                    "id": WEIRD_TEXT,
                    "title": WEIRD_TEXT,
                    "conversation": st.one_of(st.lists(MESSAGE, max_size=3), JUNK),
                    "settings": st.one_of(SETTINGS, JUNK),
                    "cells": st.one_of(
                        st.lists(
                            st.fixed_dictionaries(
                                {"backend": WEIRD_TEXT, "body": JUNK},
                                optional={"status": WEIRD_TEXT, "completion": JUNK, "partial": JUNK, "error": JUNK},
                            ),
                            max_size=2,
                        ),
                        JUNK,
                    ),
                    "version": NUMBERS,
                    "updated": NUMBERS,
                },
            ),
        }
    ),
    JUNK,
)


def _file_bytes(value: Any) -> st.SearchStrategy[bytes]:
    text = json.dumps(value, allow_nan=True)  # NaN/Infinity as they appear in a sloppy file; surrogates escaped
    return st.sampled_from([text.encode(), text.encode("utf-8", "surrogatepass"), text.encode()[: len(text) // 2]])


DEEP_BYTES = st.integers(500, 100_000).map(lambda n: b"[" * n + b"]" * n)  # RecursionError in json.loads, once
FILES = st.one_of(st.binary(max_size=200), DEEP_BYTES, NOTEBOOK_SHAPES.flatmap(_file_bytes))


@_run(COUNTS["notebook_file"])
@given(data=FILES)
def test_an_imported_notebook_file_loads_or_says_why(data: bytes) -> None:
    try:
        notebook, _ = NotebookFile.load(data)
    except ValueError as exc:
        assert str(exc).strip()
        return
    again, notes = NotebookFile.load(NotebookFile.dump(notebook))
    assert again.conversation == notebook.conversation and notes == []  # what was imported needs no more changes


@_run(COUNTS["conversation_file"])
@given(
    data=st.one_of(
        st.binary(max_size=200),
        DEEP_BYTES,
        st.one_of(MESSAGES, st.fixed_dictionaries({"messages": MESSAGES}), JUNK).flatmap(_file_bytes),
    )
)
def test_an_imported_conversation_loads_or_names_the_message(data: bytes) -> None:
    try:
        messages, notes = conversation_from_json(data)
    except ValueError as exc:
        assert str(exc).strip()
        return
    assert all(isinstance(m, ChatMessage) for m in messages) and all(isinstance(n, str) for n in notes)
    for m in messages:  # what was imported can be saved
        m.model_dump_json()


@_run(COUNTS["tools"])
@given(value=st.one_of(st.lists(TOOLS, max_size=4), TOOLS, st.fixed_dictionaries({"tools": st.lists(TOOLS, max_size=3)}), JUNK),
       as_text=st.booleans())  # fmt: skip
def test_pasted_tools_parse_or_name_the_tool(value: Any, as_text: bool) -> None:
    pasted: Any = json.dumps(value, allow_nan=True) if as_text else value
    try:
        tools = parse_tools(pasted)
    except InputError as exc:
        assert exc.problems and all(p.path.startswith("tools") and p.message for p in exc.problems), exc.problems
        return
    for problem in validate_tools(tools):
        assert problem.path.startswith("tools") and problem.message, problem


@_run(COUNTS["response_schema"])
@given(
    value=st.one_of(
        SCHEMAS,
        st.fixed_dictionaries({"name": TOOL_NAMES, "schema": SCHEMAS}),
        st.fixed_dictionaries({"type": st.just("json_schema"), "json_schema": SCHEMAS}),
        JUNK,
    ),
    as_text=st.booleans(),
)
def test_a_pasted_response_schema_parses_or_names_the_place(value: Any, as_text: bool) -> None:
    pasted: Any = json.dumps(value, allow_nan=True) if as_text else value
    try:
        entry = parse_response_schema(pasted)
    except InputError as exc:
        assert exc.problems and all(p.path.startswith("response_format") and p.message for p in exc.problems), exc.problems
        return
    for problem in validate_response_schema(entry):
        assert problem.path.startswith("response_format") and problem.message, problem


def test_the_counts_reach_ten_thousand() -> None:
    assert sum(COUNTS.values()) >= 10_000
