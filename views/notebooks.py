"""Notebooks page: every notebook kept, to find, open, rename, copy, delete (with Undo), export and import.

Wiring only over `playground.store`; a notebook opens on the Playground page by its URL (`?notebook=<id>`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st

from components import share_link
from components import state as keys
from components.cells import when
from components.text import counted, marked, plain, safe_inline
from playground import untrusted
from playground.errors import StoreError
from playground.notebook import UNTITLED, Notebook, NotebookFile
from playground.shares import Share, Shares
from playground.store import NotebookStore, Summary
from playground.workspace import changed_to_open

ss = st.session_state


def _said_if_the_store_fails(action: Callable[..., None]) -> Callable[..., None]:
    """A button's action on the store: when the store fails, the page says so at its top instead of a traceback."""

    @functools.wraps(action)
    def run(*args: str) -> None:
        try:
            action(*args)
        except StoreError as exc:
            ss[keys.NB_ERROR] = str(exc)

    return run


@_said_if_the_store_fails
def _rename(notebook_id: str) -> None:
    title = (ss.get(keys.nb_action(notebook_id, "rename")) or "").strip()
    store = NotebookStore()
    notebook = store.load(notebook_id)
    if notebook is not None and title:
        store.save(notebook.model_copy(update={"title": title, "named": True}))
        _forget_if_open(notebook_id)


@_said_if_the_store_fails
def _duplicate(notebook_id: str) -> None:
    store = NotebookStore()
    notebook = store.load(notebook_id)
    if notebook is not None:
        store.save(notebook.duplicate())


@_said_if_the_store_fails
def _delete(notebook_id: str) -> None:
    ss[keys.NB_UNDO] = NotebookStore().delete(notebook_id)
    _forget_if_open(notebook_id)


@_said_if_the_store_fails
def _share(notebook_id: str) -> None:
    """A read-only link to the notebook as it is stored now (a snapshot: later edits do not reach it)."""
    notebook = NotebookStore().load(notebook_id)
    if notebook is not None:
        ss[keys.NB_SHARED] = Shares().share_notebook(notebook).id


@_said_if_the_store_fails
def _revoke(share_id: str) -> None:
    Shares().revoke(share_id)
    if ss.get(keys.NB_SHARED) == share_id:
        del ss[keys.NB_SHARED]


def _links() -> None:
    """Every read-only link made here: what it shows, since when, the link itself, and Revoke."""
    try:
        links = Shares().list()
    except StoreError as exc:
        st.error(f"The shared links cannot be read: {plain(str(exc))}", icon=":material/warning:")
        return
    if not links:
        return
    with st.expander(f"Shared links ({sum(s.revoked is None for s in links)} live)", icon=":material/link:"):
        for link in links:
            _link_row(link)


def _link_row(link: Share) -> None:
    with st.container(border=True, key=keys.share_action(link.id, "row")):
        what = "Comparison in" if link.kind == "comparison" else "Notebook"
        if link.revoked is not None:
            st.caption(f"{what} “{plain(link.title)}”, shared {when(link.created)} · revoked {when(link.revoked)}")
            return
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(f"{what} “{plain(link.title)}”, shared {when(link.created)}")
            st.button(
                "Revoke",
                key=keys.share_action(link.id, "revoke"),
                on_click=_revoke,
                args=(link.id,),
                icon=":material/link_off:",
                type="tertiary",
                help="End this link: whoever opens it is told it was revoked",
            )
        st.code(share_link.address(link.id), language=None)


@_said_if_the_store_fails
def _undo() -> None:
    notebook: Notebook | None = ss.pop(keys.NB_UNDO, None)
    if notebook is not None:
        NotebookStore().restore(notebook)


def _forget_if_open(notebook_id: str) -> None:
    """The Playground holds its notebook in the session: make it read the store again."""
    open_now = ss.get(keys.NOTEBOOK)
    if isinstance(open_now, Notebook) and open_now.id == notebook_id:
        del ss[keys.NOTEBOOK]


def _draft(summary: Summary) -> bool:
    """Never named, no user message to title it (a page titles a notebook from its first one) and no run: listed apart,
    so a session that only wrote a system prompt does not add an "Untitled notebook" among the ones a person made."""
    return summary.title == UNTITLED and summary.cells == 0 and summary.imported_from is None


@st.dialog("Delete this notebook?")
def _confirm_delete(summary: Summary) -> None:
    st.text(f"“{summary.title}”: {counted(summary.messages, 'message')}, {counted(summary.cells, 'run')}.")
    st.caption("You can undo this until you leave this page.")
    if st.button("Delete", key=keys.nb_action(summary.id, "confirm"), type="primary", icon=":material/delete:"):
        _delete(summary.id)
        st.rerun()


def _import() -> None:
    upload = st.file_uploader(
        "Import a notebook file (.json)",
        type=["json"],
        key=keys.NB_IMPORT,
        max_upload_size=untrusted.LIMITS.megabytes,
        help="A file exported from this page. A bad file is refused and changes nothing.",
    )
    if upload is None or ss.get(keys.NB_IMPORTED) == upload.file_id:
        return
    try:
        notebook, notes = NotebookFile.load(upload.getvalue(), upload.name)
        NotebookStore().save(notebook)
    except ValueError as exc:
        st.error(f"Nothing was imported: {plain(str(exc))}", icon=":material/warning:")
        return
    except StoreError as exc:
        st.error(f"Nothing was imported: the notebook could not be saved: {plain(str(exc))}", icon=":material/warning:")
        return
    ss[keys.NB_IMPORTED] = upload.file_id
    st.success(f"Imported “{plain(notebook.title)}”.", icon=":material/check:")
    if notes:
        st.warning(safe_inline(changed_to_open(notes)), icon=":material/info:")


def _export(notebook_id: str) -> str:
    """The notebook file, made only when Export is clicked (a list of many notebooks stays quick)."""
    notebook = NotebookStore().load(notebook_id)
    return NotebookFile.dump(notebook) if notebook is not None else "{}"


def _row(summary: Summary) -> None:
    with st.container(border=True, key=f"{keys.NB_PAGE}-row-{summary.id}"):
        top, actions = st.columns([3, 2], vertical_alignment="center")
        with top:
            st.page_link(
                "views/playground.py",
                label=plain(summary.title),
                icon=":material/description:",
                query_params={keys.NOTEBOOK_PARAM: summary.id},
            )
            facts = [f"changed {when(summary.updated)}", counted(summary.messages, "message"), counted(summary.cells, "run")]
            if summary.imported_from is not None:
                facts.append(f"imported from {plain(summary.imported_from)}")
            st.caption(" · ".join(facts))
            if summary.found is not None:
                st.caption(f":material/search: {marked(*summary.found)}")
            elif summary.preview:
                st.caption(plain("\n".join(summary.preview)))
        with actions.container(horizontal=True, gap="small"):
            with st.popover("Rename", icon=":material/edit:"):
                st.text_input(
                    "New name",
                    value=summary.title,
                    key=keys.nb_action(summary.id, "rename"),
                    on_change=_rename,
                    args=(summary.id,),
                )
            st.button(
                "Duplicate",
                key=keys.nb_action(summary.id, "duplicate"),
                on_click=_duplicate,
                args=(summary.id,),
                icon=":material/content_copy:",
                type="tertiary",
            )
            st.button(
                "Share",
                key=keys.nb_action(summary.id, "share"),
                on_click=_share,
                args=(summary.id,),
                icon=":material/share:",
                type="tertiary",
                help="Make a read-only link to this notebook as it is now",
            )
            st.download_button(
                "Export",
                lambda: _export(summary.id),
                file_name=f"{summary.title[:40]}.notebook.json",
                mime="application/json",
                key=keys.nb_action(summary.id, "export"),
                icon=":material/download:",
                type="tertiary",
                on_click="ignore",
            )
            if st.button("Delete", key=keys.nb_action(summary.id, "delete"), icon=":material/delete:", type="tertiary"):
                _confirm_delete(summary)


def main() -> None:
    st.title("Notebooks")
    st.caption("Every conversation you ran is kept here with its runs. Open one to carry on where you left off.")
    if failed := ss.pop(keys.NB_ERROR, None):
        st.error(f"That did not happen: {plain(failed)}", icon=":material/warning:")
    undo: Notebook | None = ss.get(keys.NB_UNDO)
    if undo is not None:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.info(f"Deleted “{plain(undo.title)}”.", icon=":material/delete:")
            st.button("Undo", key=keys.nb_action(undo.id, "undo"), on_click=_undo, icon=":material/undo:")
    search = st.text_input("Search", key=keys.NB_SEARCH, placeholder="Words in a title or a message", icon=":material/search:")
    _import()
    if just_made := ss.get(keys.NB_SHARED):
        share_link.show(just_made, "notebook")
    _links()
    store = NotebookStore()
    try:
        found = store.list(search)
    except StoreError as exc:
        st.error(f"The notebooks cannot be read: {plain(str(exc))}", icon=":material/warning:")
        return
    if not found:
        st.caption("No notebook matches." if search else "No notebooks yet: run something on the Playground page.")
    drafts = [s for s in found if _draft(s)]
    for summary in found:
        if not _draft(summary):
            _row(summary)
    if drafts:
        label = f"Drafts: {counted(len(drafts), 'untitled notebook')} with no run yet"
        with st.expander(label, icon=":material/draft:", expanded=bool(search)):
            st.caption("A system prompt or settings, no question yet: kept so that a reload loses nothing.")
            for summary in drafts:
                _row(summary)


main()
