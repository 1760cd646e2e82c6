"""The Playground page's controls around the conversation: the notebook's header (title, All notebooks, New),
the Run button with what it has to say, the chat input, and the questions asked before anything goes to a server
a notebook names. Drawing and callbacks only: the page runs what they ask for (`keys.PENDING`).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import attachments, conversation, report, sidebar
from components import errors as error_view
from components import state as keys
from components.text import plain, safe_inline
from playground import backends, errors, fields
from playground.notebook import Cell, ChatMessage, Notebook

ss = st.session_state
# what a new notebook keeps of the session: clients, keys and the servers the person confirmed
KEPT = (keys.CLIENTS, keys.API_KEY, keys.API_KEY_FOR, keys.API_KEYS, keys.SERVERS_CONFIRMED)


def _new_notebook() -> None:
    ss.pop(keys.NOTEBOOK, None)
    st.query_params.clear()
    for key in [k for k in ss if str(k).startswith(f"{keys.PAGE}.") and k not in KEPT]:
        del ss[key]


def _ask_run() -> None:
    ss.update({keys.PENDING: ("run", ""), keys.REQUEST_ERROR: None, keys.UPSTREAM_ERROR: None, keys.NOTES: []})


def _renamed() -> None:
    """A name typed in stays; an emptied box lets the title follow the first message again."""
    nb = ss[keys.NOTEBOOK]
    typed = (ss.get(keys.TITLE) or "").strip()
    nb.named = bool(typed)
    nb.title = typed or nb.title


def header(nb: Notebook) -> None:
    """The notebook's title (editable; until the person names it, it follows the first user message), a link to
    all notebooks, Present, Download report, and New on a row of their own (beside the title, in a column, they were
    squeezed to empty slivers on a 1280-pixel screen)."""
    if not nb.named:
        nb.retitle()
        ss[keys.TITLE] = nb.title
    ss.setdefault(keys.TITLE, nb.title)
    st.text_input(
        "Notebook",
        key=keys.TITLE,
        on_change=_renamed,
        help="The name this notebook is listed under on the Notebooks page; until you name it, its first message",
    )
    with st.container(horizontal=True, vertical_alignment="center"):
        st.page_link("views/notebooks.py", label="All notebooks", icon=":material/folder_open:")
        st.page_link(
            "views/present.py",
            label="Present",
            icon=":material/slideshow:",
            query_params={keys.NOTEBOOK_PARAM: nb.id} if nb.version > 0 else None,
            help="One run at a time in large type, for showing this notebook to others",
        )
        st.download_button(
            "Download report",
            lambda: report.notebook_report(nb).encode("utf-8"),  # built on click: it renders every chart
            file_name=report.file_name(nb.title, "notebook"),
            mime="text/html",
            key=keys.REPORT,
            icon=":material/description:",
            on_click="ignore",
            help="The conversation, every run's answer, charts and code as one HTML file that opens offline",
        )
        st.button("New", key=keys.NEW_NOTEBOOK, on_click=_new_notebook, icon=":material/add:", help="Start a new notebook")


def run_button(shown: errors.RequestError | None) -> None:
    """Run (or "continue the model's message"), the auto-append toggle, and why Run is off while it is."""
    continues = conversation.ends_with_answer()
    if continues:
        st.caption(
            ":material/info: The conversation ends with the model's own message: Run asks the model to continue "
            "that message. To ask something new, add a user message (or type below)."
        )
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            "Run: continue the model's message" if continues else "Run",
            key=keys.RUN,
            type="primary",
            icon=":material/play_arrow:",
            disabled=shown is not None,
            on_click=_ask_run,
            help="Send the conversation as it is",
        )
        if continues:
            conversation.add_user_button()
        st.toggle(
            "Add answers to the conversation",
            key=keys.AUTO_APPEND,
            value=True,
            help="Off: run the same conversation many times; each answer stays in its cell",
        )
    error_view.blocked("Run", shown, where="marked where it is set")


def outcome(nb: Notebook) -> None:
    """What the last Run left to say: its error (fields with no widget of their own listed here), notes, and
    the one-click fix when a call was expected but the model answered in words."""
    placed = ["model", "messages", backends.API_KEY_FIELD, backends.BASE_URL_FIELD, *fields.SIDEBAR_KEYS]
    error_view.show_run_error(ss.get(keys.REQUEST_ERROR) or ss.get(keys.UPSTREAM_ERROR), placed=placed)
    for note in ss.get(keys.NOTES) or []:
        st.info(safe_inline(note), icon=":material/info:")
    if nb.cells:
        sidebar.offer_dependable_calls(nb.cells[-1])


def confirm_rerun(cell: Cell, server: str, on_yes: Callable[[], None]) -> None:
    """Rerun of a cell whose server this session never chose: say where it would go; `on_yes` only on yes."""

    def answer(yes: bool) -> None:
        ss.pop(keys.CONFIRM_RERUN, None)
        if yes:
            on_yes()

    st.warning(
        f"This run went to {plain(server)}, a server this notebook names. Rerun sends the same "
        "request there again (with only a key typed for that server). Send it?",
        icon=":material/help:",
    )
    with st.container(horizontal=True):
        st.button("Send it there", key=keys.confirm_cell(cell.id, "yes"), on_click=answer, args=(True,), type="primary")
        st.button("Cancel", key=keys.confirm_cell(cell.id, "no"), on_click=answer, args=(False,))


def ask_for_result(cell: Cell, server: str, on_yes: Callable[[], None]) -> None:
    """A deferred run of a notebook from elsewhere: opening it contacts no server it names until the person asks."""
    st.info(
        f"A run waits for its answer from {plain(server)}, a server this notebook names. Nothing is sent there until you ask.",
        icon=":material/help:",
    )
    st.button("Ask that server for the result", key=keys.confirm_cell(cell.id, "ask"), on_click=on_yes)


def ask_to_use_server(server: str, on_yes: Callable[[], None]) -> None:
    """The sidebar's server came with a notebook: nothing is sent there (not even GET /models) until the person says so."""
    st.warning(
        f"This notebook names the server {plain(server)}. Nothing is sent there until you use it (this button, or Run).",
        icon=":material/help:",
    )
    st.button("Use this server", key=keys.CONFIRM_SERVER, on_click=on_yes, icon=":material/check:")


def _submitted() -> None:
    """Enter in the chat input: the message (its text, and images attached or pasted) joins the conversation and the
    page runs it. A file that cannot be sent keeps the message back, open for editing, with the reason under it."""
    value = ss.get(keys.CHAT_INPUT)
    text = getattr(value, "text", value) or ""
    taken, problems = attachments.from_files(getattr(value, "files", None) or [])
    if not (text or taken or problems):
        return
    # A run still streaming ends now (this new run interrupts it): its cell says why, and the message is sent.
    streaming = ss[keys.NOTEBOOK].cell(ss.get(keys.STREAMING) or "")
    if streaming is not None and streaming.status in ("streaming", "stopped", "interrupted"):
        streaming.stop_cause = "new_message"
    conversation.append(ChatMessage(role="user", content=text, images=taken))
    if problems:
        index = len(ss[keys.NOTEBOOK].conversation) - 1
        ss.setdefault(keys.EDITING, set()).add(index)
        ss.setdefault(keys.IMAGE_PROBLEMS, {})[index] = problems
        return
    _ask_run()


def chat_input(*, disabled: bool) -> None:
    """The chat input at the bottom: Enter adds the message and runs; while a run streams, its button is Stop."""
    st.chat_input(
        "Type a message, press Enter (images: + or paste)",  # one line of the box in an 800-pixel window
        key=keys.CHAT_INPUT,
        submit_mode="stop",
        on_submit=_submitted,
        disabled=disabled,
        accept_file="multiple",
        file_type=attachments.FILE_TYPES,
        max_upload_size=attachments.MAX_UPLOAD_MB,
    )
