"""The Playground's Variables form: a box for each `{{name}}` the conversation or system prompt holds.

Run puts the values in (`views.shared.prepare`); the values typed are kept for the session under VARIABLES, so a
page switch or a new message does not lose them, and a run's cell records the ones it used (an opened notebook's
newest runs give the values not typed yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from components import errors as error_view
from components import state as keys
from components.text import inline_code
from playground import errors
from playground.notebook import Cell

ss = st.session_state
PER_ROW = 3  # boxes side by side


def values() -> dict[str, str]:
    """Every value typed this session, by variable name."""
    return ss.setdefault(keys.VARIABLES, {})


def _keep(name: str) -> None:
    values()[name] = ss.get(keys.variable(name)) or ""


def remember(cells: Sequence[Cell]) -> None:
    """A notebook was opened: each variable not typed this session starts as its newest run's value (after a reload
    the boxes show what was last run, and those runs are not marked outdated for values nobody changed)."""
    typed = values()
    for cell in reversed(cells):
        for name, value in cell.variables.items():
            typed.setdefault(name, value)


def load(used: Mapping[str, str]) -> None:
    """Put a run's values back into the form (Fork): its boxes are drawn with them on the next run."""
    for name, value in used.items():
        values()[name] = value
        ss.pop(keys.variable(name), None)


def form(names: Sequence[str], problem: errors.RequestError | None) -> None:
    """A box per variable in `names` (nothing when there is none); a mistake (a missing value) under its box."""
    if not names:
        return
    with st.container(border=True, key=keys.VARIABLES):
        st.caption(
            ":material/data_object: Variables in the conversation: Run puts these values in. "
            "The Evaluate page runs it over a table of them."
        )
        columns = st.columns(min(len(names), PER_ROW))
        for i, name in enumerate(names):
            key = keys.variable(name)
            if key not in ss:
                ss[key] = values().get(name, "")
            with columns[i % len(columns)]:
                st.text_input(inline_code("{{" + name + "}}"), key=key, on_change=_keep, args=(name,))
                error_view.show_field(problem, f"variables.{name}", exact=True)
