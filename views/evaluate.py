"""Evaluate page: the open notebook's conversation run over a table of test cases, each answer checked.

Wiring only: the table is drawn by components/evaluate_cases.py and the checks by components/evaluate_checks.py;
both are kept in the notebook (`Notebook.evaluation`) and saved with it. `{{variables}}` and test cases are
`playground.evaluate`'s.
"""

from __future__ import annotations

import streamlit as st

from components import evaluate_cases, evaluate_checks, sidebar
from components import state as keys
from components.text import plain
from playground import errors
from playground.library import Library
from views import shared

ss = st.session_state


def _schemas() -> dict[str, object]:
    """The library's response schemas by name (their JSON Schema), for the check "Matches a schema from the library"."""
    try:
        items = Library().list("schema")
    except errors.StoreError:
        return {}
    return {item.name: (item.value.get("schema") or {}) for item in items}


def main() -> None:
    shared.open_notebook()
    shown: errors.RequestError | None = ss.get(keys.CHECK)
    with st.sidebar:
        _choice, _config, _model, values = shared.sidebar_panel(shown, None)
    nb = shared.notebook()
    st.title("Evaluate", anchor=False)
    st.caption(
        f"The conversation of notebook “{plain(nb.title)}” run over a table of test cases, every answer checked. "
        "Write {{city}} in a message on the Playground page: each row gives the variables their values."
    )
    shared.show_notice()
    names = shared.names_in(nb.conversation)
    if not names:
        st.info("The conversation uses no {{variables}} yet: write one in a message, e.g. “Weather in {{city}}?”.")
        st.page_link("views/playground.py", label="Open the Playground", icon=":material/chat:")
    st.subheader("Test cases", anchor=False)
    cases = evaluate_cases.table(nb, names)
    evaluate_cases.problem_words(cases.problems(names))
    st.subheader("Checks", anchor=False)
    tools = sidebar.tool_names(values.settings.get("tools"))
    evaluate_checks.editor(nb, cases.columns, tools=tools, schemas=_schemas())
    shared.show_saved(shared.save())


main()
