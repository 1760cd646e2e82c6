"""The Evaluate page's checks, without code: picked from a list, each set in a small form.

The checks are kept in the open notebook (`Notebook.evaluation["checks"]`, `playground.evaluate.checks` models);
each form's widgets are seeded from its check and write back into it. A check's own mistakes (a pattern that does
not compile, a column the table does not have) are said under it, and the page runs nothing until they are fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st
from pydantic import ValidationError

from components import errors as error_view
from components import state as keys
from components.text import plain
from playground.evaluate import checks as ck
from playground.notebook import Notebook

ss = st.session_state
NO_COLUMN = ""
# the settings each kind's form shows, in order
SETTINGS: dict[str, tuple[str, ...]] = {
    "library_schema": ("schema",),
    "calls_tool": ("tool",),
    "argument_equals": ("tool", "argument", "column", "ignore_case"),
    "contains": ("text", "column", "ignore_case"),
    "not_contains": ("text", "column", "ignore_case"),
    "pattern": ("pattern", "ignore_case"),
    "equals_expected": ("ignore_case",),
    "max_tokens": ("tokens",),
    "ttft_under": ("ms",),
    "total_under": ("ms",),
}


def checks_of(nb: Notebook) -> list[ck.Check]:
    """The notebook's checks (none when what it holds cannot be read)."""
    try:
        return ck.parse_checks(nb.evaluation.get("checks") or [])
    except ValidationError:
        return []


def _keep(nb: Notebook, checks: Sequence[ck.Check]) -> None:
    nb.evaluation["checks"] = [c.model_dump() for c in checks]


def _add(nb: Notebook, tools: Sequence[str]) -> None:
    kind = ss.get(keys.EV_CHECK_KIND) or "contains"
    data: dict[str, Any] = {"kind": kind}
    if kind in ("calls_tool", "argument_equals") and tools:
        data["tool"] = tools[0]
    _keep(nb, [*checks_of(nb), *ck.parse_checks([data])])


def _remove(nb: Notebook, check_id: str) -> None:
    _keep(nb, [c for c in checks_of(nb) if c.id != check_id])


def _widget(check: ck.Check, setting: str, *, columns: Sequence[str], tools: Sequence[str], schemas: Mapping[str, Any]) -> Any:
    """Draw one setting of one check, seeded from the check; returns its value."""
    key = keys.ev_check(check.id, setting)
    current = getattr(check, setting, None)
    if setting == "schema":
        names = list(schemas)
        if key not in ss:
            ss[key] = getattr(check, "name", "") if getattr(check, "name", "") in names else (names[0] if names else None)
        return st.selectbox("Schema from the library", names, key=key, placeholder="No schema saved on the Tools & schemas page")
    if key not in ss:
        ss[key] = current
    if setting == "column":
        return st.selectbox(
            "Column", [NO_COLUMN, *columns], key=key, format_func=lambda c: c or "(none: use the text)", width=180
        )
    if setting == "tool" and tools and check.kind == "calls_tool":
        if ss[key] not in tools:
            ss[key] = tools[0]
        return st.selectbox("Tool", list(tools), key=key, width=200)
    if setting == "ignore_case":
        return st.checkbox("Ignore case", key=key)
    if setting in ("tokens", "ms"):
        return st.number_input("Tokens" if setting == "tokens" else "Milliseconds", min_value=1, step=1, key=key, width=150)
    labels = {"text": "Text", "tool": "Tool (empty: any)", "argument": "Argument", "pattern": "Pattern (regular expression)"}
    return st.text_input(labels[setting], key=key, width=220 if setting != "pattern" else "stretch")


def editor(nb: Notebook, columns: Sequence[str], *, tools: Sequence[str], schemas: Mapping[str, Any]) -> list[ck.Check]:
    """Every check's form with its mistakes under it, and the list to add one from; returns the checks as set now."""
    out: list[ck.Check] = []
    for check in checks_of(nb):
        with st.container(border=True, key=keys.ev_check(check.id, "form")):
            with st.container(horizontal=True, vertical_alignment="center"):
                st.markdown(f"**{plain(ck.KINDS[check.kind])}**")
                st.button("Remove", key=keys.ev_check(check.id, "remove"), on_click=_remove, args=(nb, check.id), type="tertiary")
            update: dict[str, Any] = {}
            with st.container(horizontal=True, vertical_alignment="bottom"):
                for setting in SETTINGS.get(check.kind, ()):
                    value = _widget(check, setting, columns=columns, tools=tools, schemas=schemas)
                    if setting == "schema":
                        update.update({"name": value or "", "json_schema": schemas.get(value) or {}})
                    else:
                        update[setting] = value if value is not None else getattr(check, setting)
            now = ck.parse_checks([{**check.model_dump(), **update}])[0]
            error_view.problem_slot(st, [plain(problem) for problem in ck.check_problems(now, list(columns))])
            out.append(now)
    if [c.model_dump() for c in out] != (nb.evaluation.get("checks") or []):
        _keep(nb, out)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.selectbox("Check", list(ck.KINDS), key=keys.EV_CHECK_KIND, format_func=ck.KINDS.__getitem__, width=320)
        st.button("Add check", key=keys.EV_CHECK_ADD, on_click=_add, args=(nb, list(tools)), icon=":material/add:")
    return out


def problems(checks: Sequence[ck.Check], columns: Sequence[str]) -> list[str]:
    """Every check's own mistakes, named by the check (what blocks Run)."""
    return [f"{ck.describe(c)}: {p}" for c in checks for p in ck.check_problems(c, list(columns))]
