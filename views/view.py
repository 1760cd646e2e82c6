"""A read-only link (`?view=<id>`): a notebook or a comparison as it was when it was shared.

Drawn by the same components as the pages, in their read-only mode: no input, no Run, no key, no sidebar, and no
request to any server; a notebook's newest evaluation as the Evaluate page reads it, with nothing to run or mark.
"Make a copy to edit" saves the snapshot as a new notebook and opens it on the Playground.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from components import cells, compare_view, conversation, evaluate_results
from components import state as keys
from components.cells import when
from components.text import plain
from playground.errors import StoreError
from playground.evaluate.results import newest
from playground.notebook import Notebook
from playground.shares import Share, Shares
from playground.store import NotebookStore

ss = st.session_state


def _make_copy(snapshot: Notebook, title: str) -> None:
    """Save the snapshot as a new notebook of the person's own, and open it (the URL then names it, not this link)."""
    try:
        copy = NotebookStore().save(snapshot.duplicate(f"Copy of {title}"))
    except StoreError as exc:
        ss[keys.VW_COPY_ERROR] = str(exc)
        return
    st.query_params.clear()
    st.query_params[keys.NOTEBOOK_PARAM] = copy.id


def _comparisons(nb: Notebook, *, heading: bool) -> None:
    saved = compare_view.comparisons_of(nb)
    if not saved:
        return
    if heading:
        st.subheader("Comparisons", divider="gray")
    shown = saved[0]
    if len(saved) > 1:
        by_id = {c.id: c for c in saved}
        chosen = st.segmented_control(
            "Comparison",
            list(by_id),
            key=keys.VW_COMPARISON,
            default=shown.id,
            format_func=lambda i: compare_view.option_label(by_id[i]),
        )
        shown = by_id.get(chosen or shown.id, shown)
    compare_view.reading(shown, read_only=True)


def _evaluation(nb: Notebook) -> None:
    try:
        ev = newest(nb.evaluation)
    except ValidationError:
        st.warning("This notebook's evaluation could not be read.", icon=":material/warning:")
        return
    if ev is not None:
        st.subheader("Evaluation", divider="gray", anchor=False)
        evaluate_results.read_only(ev, kept=len(nb.evaluation.get("runs") or []))


def _show(share: Share) -> None:
    assert share.notebook is not None
    what = "comparison" if share.kind == "comparison" else "notebook"
    st.title(plain(share.title), anchor=False)
    st.caption(f"A read-only {what}, shared {when(share.created)}: as it was then. Nothing here runs or changes.")
    st.button(
        "Make a copy to edit",
        key=keys.VW_COPY,
        on_click=_make_copy,
        args=(share.notebook, share.title),
        icon=":material/content_copy:",
        help="Save a copy as a notebook of your own and open it on the Playground page",
    )
    if error := ss.pop(keys.VW_COPY_ERROR, None):
        st.error(f"No copy was made: {plain(error)}", icon=":material/warning:")
    if share.kind == "notebook":
        cells.render_notebook(share.notebook, read_only=True)
        _comparisons(share.notebook, heading=True)
        _evaluation(share.notebook)
    else:
        conversation.show(share.notebook.conversation, after_message=lambda _k: None)
        _comparisons(share.notebook, heading=False)


def main() -> None:
    try:
        share = Shares().get(st.query_params.get(keys.VIEW_PARAM))
    except StoreError as exc:
        st.error(f"This shared view cannot be read: {plain(str(exc))}", icon=":material/warning:")
        return
    if share is None:
        st.error(
            "This link does not lead to anything shared here. Check that it was copied whole, or ask for a new one.",
            icon=":material/link_off:",
        )
    elif share.revoked is not None:
        st.warning(
            f"This link was revoked on {when(share.revoked)} by the person who shared it: what it showed is no longer "
            "shared. Ask them for a new link.",
            icon=":material/link_off:",
        )
    else:
        _show(share)


main()
