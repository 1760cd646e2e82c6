"""The review of a run's tool calls before they run: each call with its source and arguments, to run (arguments
editable), answer with a typed result, or decline; and "approve every call to this source in this notebook".
Drawing and callbacks only: the page runs the calls (`keys.PENDING` "review")."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from components import state as keys
from components.text import inline_code, plain
from playground.notebook import Cell, Notebook
from playground.tool_calls import Call, Decision, arguments_problem, servers_of, waiting

ss = st.session_state
ACTIONS = {"run": "Run it", "typed": "Type the result instead", "decline": "Decline"}


def _go(cell_id: str) -> None:
    ss[keys.PENDING] = ("review", cell_id)


def _cancel() -> None:
    ss.pop(keys.REVIEW, None)


def _action(call: Call) -> str:
    return ss.get(keys.review(call.id, "action")) or ("run" if call.source else "typed")


def show(nb: Notebook, cell: Cell) -> None:
    """The review of `cell`'s calls, drawn right under its "Run tools and continue" (where the person is looking),
    while it is the cell under review (`keys.REVIEW`) and some of its calls still wait for a result."""
    if ss.get(keys.REVIEW) != cell.id:
        return
    calls = waiting(nb.conversation, servers_of(cell.settings))
    if not calls:
        ss.pop(keys.REVIEW, None)
        return
    review(cell.id, calls)


def review(cell_id: str, calls: Sequence[Call]) -> None:
    """The waiting calls, each with what to do; Continue runs them (off while something typed cannot be sent)."""
    blocked = False
    with st.container(border=True, key=keys.REVIEW_BOX):
        st.markdown(f"**Before {'these calls run' if len(calls) > 1 else 'this call runs'}**")
        for call in calls:
            st.markdown(f"{inline_code(call.name)} · {plain(call.source_words())}")
            options = [a for a in ACTIONS if call.source or a != "run"]
            action = st.segmented_control(
                "What to do",
                options,
                format_func=ACTIONS.get,
                default=_action(call),
                key=keys.review(call.id, "action"),
                label_visibility="collapsed",
            )
            if action == "run":
                text = st.text_area("Arguments (JSON)", value=call.arguments, key=keys.review(call.id, "arguments"), height=68)
                if problem := arguments_problem(text):
                    st.error(plain(problem), icon=":material/error:")
                    blocked = True
            elif action == "typed":
                st.text_area("Result", key=keys.review(call.id, "result"), height=68, placeholder='e.g. {"temperature": 18}')
            elif action is None:
                st.caption("Choose what to do with this call.")
                blocked = True
        for source in sorted({c.source for c in calls if c.source}):
            words = next(c.source_words() for c in calls if c.source == source)
            st.checkbox(
                f"Run every call to {plain(words)} in this notebook without asking",
                key=keys.review_all(source),
            )
        with st.container(horizontal=True):
            st.button("Continue", key=keys.REVIEW_GO, type="primary", on_click=_go, args=(cell_id,), disabled=blocked)
            st.button(
                "Cancel", key=keys.REVIEW_CANCEL, type="tertiary", on_click=_cancel, help="Leave the results to type by hand"
            )


def decisions(calls: Sequence[Call]) -> dict[str, Decision]:
    """What the person chose for each call (by call id), read from the review's widgets."""
    out = {}
    for call in calls:
        action = _action(call)
        out[call.id] = Decision(
            action=action if action in ACTIONS else "typed",
            arguments=ss.get(keys.review(call.id, "arguments"), call.arguments),
            result=ss.get(keys.review(call.id, "result"), ""),
        )
    return out


def approved(notebook_id: str) -> set[str]:
    """The sources whose calls run without review in this notebook (this session)."""
    return set(ss.get(keys.APPROVED, {}).get(notebook_id, []))


def remember(notebook_id: str, calls: Sequence[Call]) -> None:
    """Keep the sources the person ticked "without asking" for, beside those approved before."""
    ticked = {c.source for c in calls if c.source and ss.get(keys.review_all(c.source))}
    ss.setdefault(keys.APPROVED, {})[notebook_id] = sorted(approved(notebook_id) | ticked)
