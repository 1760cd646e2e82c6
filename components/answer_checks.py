"""Every answer checked against what was asked for, under the answer: each tool call's arguments against its tool's
parameters, and an answer given under a json_schema response format against the schema.

Shown as ✅ or each violation with its JSON path and the rule broken; an answer that is not JSON says so and
keeps the model's text intact (as plain text). The checks run once per completion and are kept in the
session, so redrawing a notebook of many cells stays cheap. Tool names and values are untrusted: they only
appear inside code spans or through `safe_inline`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import BaseModel, Field

from components import state as keys
from components.text import safe_inline
from playground.notebook import Cell
from playground.response import Completion
from playground.schema import AnswerCheck, CallCheck, Violation, check_answer, check_tool_calls, code

ss = st.session_state


class ChoiceChecks(BaseModel):
    """The checks of one choice: its tool calls, and its text under a json_schema format (None: not checked)."""

    index: int
    calls: list[CallCheck] = Field(default_factory=list)
    answer: AnswerCheck | None = None


def applies(cell: Cell) -> bool:
    """Whether the cell has anything to check against: tools, or a json_schema response format."""
    return bool(cell.body.get("tools")) or _schema_format(cell) is not None


def _schema_format(cell: Cell) -> dict[str, Any] | None:
    fmt = cell.body.get("response_format")
    return fmt if isinstance(fmt, dict) and fmt.get("type") == "json_schema" else None


def check(cell: Cell) -> list[ChoiceChecks]:
    """Checks for every choice of the cell's completion (none without a completion)."""
    completion = cell.completion
    if completion is None:
        return []
    tools = [t for t in cell.body.get("tools") or [] if isinstance(t, dict)]
    fmt = _schema_format(cell)
    out = []
    for i in range(max(len(completion.choices), 1)):
        calls = completion.tool_uses(i)
        result = ChoiceChecks(index=i)
        if calls:
            result.calls = check_tool_calls(calls, tools)
        text = _text(completion, i)
        if fmt is not None and (text.strip() or not calls):
            result.answer = check_answer(text, fmt)
        out.append(result)
    return out


def _text(completion: Completion, i: int) -> str:
    try:
        return completion.text(i)
    except IndexError:
        return ""


def _cached(cell: Cell) -> list[ChoiceChecks]:
    """`check(cell)`, computed once per completion (a completion is replaced, never changed in place)."""
    memo: dict[str, tuple[Any, list[ChoiceChecks]]] = ss.setdefault(keys.ANSWER_CHECKS, {})
    held = memo.get(cell.id)
    if held is not None and held[0] is cell.completion:
        return held[1]
    result = check(cell)
    memo[cell.id] = (cell.completion, result)
    return result


RULE_WORDS = {"not_json": "not JSON", "not_object": "not a JSON object"}


def _violation(v: Violation) -> str:
    return f"- {code(v.path)} {safe_inline(v.message)}"


def _rules(violations: list[Violation]) -> str:
    """The technical terms, for the help: each place and the JSON Schema keyword it breaks."""
    parts = [f"{code(v.path)}: {RULE_WORDS.get(v.rule) or code(v.rule)}" for v in violations]
    return "`$` is the whole answer. The JSON Schema keyword each problem breaks: " + "; ".join(parts) + "."


def _call(c: CallCheck, prefix: str) -> None:
    tool = code(c.name) if c.name else "a tool without a name"
    if c.ok:
        st.markdown(f"{prefix}:green[**✅ Valid**] call to {tool}: its arguments match the tool's parameters.")
        return
    n = len(c.violations)
    st.markdown(
        f"{prefix}:red[**❌ Invalid**] call to {tool}: {n} problem{'s' * (n != 1)} with its arguments:\n"
        + "\n".join(_violation(v) for v in c.violations),
        help=_rules(c.violations),
    )
    if c.raw_arguments is not None:
        st.caption("The arguments as the model wrote them:")
        st.text(c.raw_arguments)


def _answer(a: AnswerCheck, schema_name: str, prefix: str) -> None:
    if a.ok:
        st.markdown(f"{prefix}:green[**✅ Valid**] answer: it matches the schema {code(schema_name)}.")
        return
    if not a.parsed:
        st.markdown(
            f"{prefix}:red[**❌ Not JSON**]: the answer cannot match the schema "
            f"{code(schema_name)}:\n" + "\n".join(_violation(v) for v in a.violations),
            help=_rules(a.violations),
        )
        st.caption("The answer as the model wrote it:")
        st.text(a.text or "(empty)")
        return
    n = len(a.violations)
    st.markdown(
        f"{prefix}:red[**❌ Invalid**] answer: {n} way{'s' * (n != 1)} it breaks the schema {code(schema_name)}:\n"
        + "\n".join(_violation(v) for v in a.violations),
        help=_rules(a.violations),
    )


def render(cell: Cell) -> None:
    """Under a cell's answer: ✅ or the violations of each tool call and of a json_schema answer."""
    if cell.completion is None or not applies(cell):
        return
    results = _cached(cell)
    fmt = _schema_format(cell) or {}
    spec = fmt.get("json_schema")
    schema_name = str(spec.get("name") or "response") if isinstance(spec, dict) else "response"
    many = len(results) > 1
    with st.container(key=keys.cell_action(cell.id, "checks")):
        for r in results:
            prefix = f"Choice {r.index + 1}: " if many else ""
            for c in r.calls:
                _call(c, prefix)
            if r.answer is not None:
                _answer(r.answer, schema_name, prefix)
