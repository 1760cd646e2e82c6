"""The notebook a session holds: opened from the URL (`?notebook=<id>`) before any widget is drawn, autosaved by
`playground.workspace` at the end of every page's run, and what the page says when saving met a conflict, a failing
store or a notebook deleted elsewhere. Every page works on this notebook (`views.shared` re-exports these names).
"""

from __future__ import annotations

import streamlit as st

from components import compare_setup, conversation, sidebar, variables_form
from components import state as keys
from components.text import plain, safe_inline
from playground import errors
from playground.notebook import Notebook
from playground.store import Finished
from playground.workspace import Saved, Workspace, signature

ss = st.session_state


def notebook() -> Notebook:
    return ss[keys.NOTEBOOK]


def hold(opened: Notebook) -> None:
    """Show the `opened` notebook: its conversation, title and settings re-seed every widget."""
    if keys.NOTEBOOK in ss:  # another notebook was open: its widgets must not carry over
        ss.pop(keys.TITLE, None)
        conversation.forget_widgets()
        sidebar.forget_widgets()
        compare_setup.forget_widgets()
    ss[keys.NOTEBOOK] = opened
    ss[keys.SETTINGS] = opened.settings
    _name_in_url(opened)
    st.query_params.pop(keys.DRAFT_PARAM, None)


def _name_in_url(shown: Notebook) -> None:
    """The URL names a notebook once it is stored: a reload of a fresh, empty one (never saved) opens a fresh one
    again, instead of asking the store for an id it never held."""
    if shown.version > 0:
        st.query_params[keys.NOTEBOOK_PARAM] = shown.id
    else:
        st.query_params.pop(keys.NOTEBOOK_PARAM, None)


def open_notebook() -> None:
    """Open the notebook the URL names (or a new one) before any widget is drawn; keep the session's otherwise."""
    wanted = st.query_params.get(keys.NOTEBOOK_PARAM) or st.query_params.get(keys.DRAFT_PARAM)
    if keys.NOTEBOOK in ss and wanted in (None, notebook().id):
        _name_in_url(notebook())
        return
    opened = Workspace().open(wanted)
    hold(opened.notebook)
    variables_form.remember(opened.notebook.cells)
    ss[keys.SAVED] = signature(opened.notebook)
    if opened.warning:
        ss[keys.NOTICE] = opened.warning


def show_notice() -> None:
    """The message the opening or saving of the notebook left for the page. The next `save` clears it once it was
    shown (so a rerun before that, the live check's, does not lose it; one left by that save stays for the next run)."""
    if notice := ss.get(keys.NOTICE):
        st.warning(safe_inline(notice), icon=":material/info:")
        ss[keys.NOTICE_SHOWN] = notice


def save() -> Saved:
    """Save when something changed. After a conflict the page holds the copy that was saved instead."""
    if ss.get(keys.NOTICE) is not None and ss.get(keys.NOTICE) is ss.get(keys.NOTICE_SHOWN):
        del ss[keys.NOTICE]
    saved, ss[keys.SAVED] = Workspace().save(notebook(), ss.get(keys.SAVED))
    if saved.wrote:
        _name_in_url(notebook())
    if saved.conflict_copy:
        hold(saved.notebook)
        ss[keys.NOTICE] = (
            "This notebook was changed in another tab at the same time. Both are kept: you are now "
            f"working in a copy, “{saved.notebook.title}”."
        )
    return saved


def show_saved(saved: Saved) -> None:
    """The end of a page's run: show the copy a conflict made, or say why the work is not saved (and, for a
    notebook deleted elsewhere, offer to keep it as a new one)."""
    if saved.conflict_copy:
        st.rerun()  # show the copy, and say why
    if saved.error:
        st.warning(
            f"Your work is not being saved, so a reload would lose it: {plain(str(saved.error))}", icon=":material/warning:"
        )
    if saved.deleted:
        st.button(
            "Keep a copy",
            key=keys.KEEP_COPY,
            on_click=_keep_copy,
            icon=":material/content_copy:",
            help="Save what is on this page as a new notebook",
        )


def _keep_copy() -> None:
    saved = Workspace().keep_copy(notebook())
    if saved.error:
        ss[keys.NOTICE] = f"The copy could not be saved: {saved.error}"
        return
    hold(saved.notebook)
    ss[keys.SAVED] = signature(saved.notebook)
    ss[keys.NOTICE] = f"Kept as a new notebook, “{saved.notebook.title}”: your work is saved again."


def finish_cell(cell_id: str) -> Finished | None:
    """Store a deferred result once (see `NotebookStore.finish_cell`); None while the notebook is not stored yet."""
    try:
        return Workspace().store.finish_cell(notebook(), cell_id)
    except errors.StoreError:
        return None  # the ordinary save below reports a failing store
