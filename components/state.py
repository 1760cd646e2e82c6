"""Every session-state and widget key, in one place, named "<page>.<field>".

AppTest and browser tests address widgets by these keys (a key becomes the CSS class
`st-key-<key with "." replaced by "-">`), so a key is never spelled anywhere else.
Values that must outlive a page switch (conversation, settings, runs, errors) live under
non-widget keys; widgets are re-seeded from them whenever Streamlit has dropped a widget's state.
"""

from __future__ import annotations

PAGE = "playground"

# --- backend -----------------------------------------------------------------------
BACKEND = f"{PAGE}.backend"  # widget: selectbox of backends.BACKENDS ids
API_KEY = f"{PAGE}.api_key"  # widget: password text input (never copied anywhere else)
BASE_URL = f"{PAGE}.base_url"  # widget: base URL of an OpenAI-compatible server
MODEL = f"{PAGE}.model"  # widget: selectbox with free text
MODEL_FOR = f"{PAGE}.model.for_backend"  # non-widget: the backend id the model box was last filled for
MODELS_CACHE = f"{PAGE}.models_cache"  # non-widget: {"<backend>|<base_url>": [model ids]}
MODELS_ERROR = f"{PAGE}.models_error"  # non-widget: message of the last failed model listing
REFRESH_MODELS = f"{PAGE}.refresh_models"  # widget: button

# --- conversation ------------------------------------------------------------------
VIEW = f"{PAGE}.view"  # widget: segmented control, "Chat" or "Form"
SYSTEM = f"{PAGE}.system"  # widget: the system prompt text area at the top of the chat
ADD_SYSTEM = f"{PAGE}.system.add"  # widget: button adding a system prompt
ADD_MESSAGE = f"{PAGE}.messages.add"  # widget: button (form view)
CHAT_INPUT = f"{PAGE}.chat_input"  # widget: chat input at the bottom; Enter adds the message and runs
AUTO_APPEND = f"{PAGE}.auto_append"  # widget: toggle, add each answer to the conversation
EDITING = f"{PAGE}.editing"  # non-widget: set of message indexes being edited in the chat view
IMPORT_CONVERSATION = f"{PAGE}.conversation.import"  # widget: file uploader (JSON)
EXPORT_CONVERSATION = f"{PAGE}.conversation.export"  # widget: download button
IMPORTED = f"{PAGE}.conversation.imported"  # non-widget: file id of the last conversation imported


def message_role(i: int) -> str:
    """Widget key of message i's role selectbox."""
    return f"{PAGE}.messages.{i}.role"


def message_content(i: int) -> str:
    """Widget key of message i's content text area."""
    return f"{PAGE}.messages.{i}.content"


def message_name(i: int) -> str:
    """Widget key of message i's optional participant name."""
    return f"{PAGE}.messages.{i}.name"


def message_tool_call_id(i: int) -> str:
    """Widget key of message i's tool call id (tool messages only)."""
    return f"{PAGE}.messages.{i}.tool_call_id"


def message_tool_calls(i: int) -> str:
    """Widget key of message i's tool-call rows (assistant messages)."""
    return f"{PAGE}.messages.{i}.tool_calls"


def message_action(i: int, action: str) -> str:
    """Widget key of one of message i's buttons: edit, up, down, duplicate, insert, delete."""
    return f"{PAGE}.messages.{i}.{action}"


def bubble(i: int, role: str) -> str:
    """Key of the container around message i's chat bubble (browser tests find bubbles by role with it)."""
    return f"{PAGE}.bubble.{i}.{role}"


def message_delete(i: int) -> str:
    return message_action(i, "delete")


def message_keys(i: int) -> tuple[str, ...]:
    """Every widget key of message i, dropped together when messages move."""
    return (message_role(i), message_content(i), message_name(i), message_tool_call_id(i), message_tool_calls(i))


# --- sidebar fields ----------------------------------------------------------------
def field(key: str) -> str:
    """Widget key of the sidebar widget for fields.FIELDS[key], e.g. "playground.temperature"."""
    return f"{PAGE}.{key}"


SETTINGS = f"{PAGE}.settings"  # non-widget: {field key: last value}, re-seeds sidebar widgets after a page switch
RESPONSE_SCHEMA = f"{PAGE}.response_format.schema"  # widget: JSON schema text area
LOGIT_BIAS_ROWS = f"{PAGE}.logit_bias.rows"  # non-widget: base rows of the logit-bias table
TOOLS_EXAMPLE = f"{PAGE}.tools.example"  # widget: button filling the tools editor with an example

# --- running -----------------------------------------------------------------------
RUN = f"{PAGE}.run"  # widget: Run button (runs the conversation as it is)
STOP = f"{PAGE}.run.stop"  # widget: Stop button shown while a run streams
STOP_REQUESTED = f"{PAGE}.stop_requested"  # non-widget: set by Stop's callback, read by the next script run
LIVE = f"{PAGE}.live"  # container of the run being streamed
PENDING = f"{PAGE}.pending"  # non-widget: the action a callback asked for (run, rerun, tools), done by the page
CLIENTS = f"{PAGE}.clients"  # non-widget: runner.Clients of this session (holds the key; never shared)
NOTICE = f"{PAGE}.notice"  # non-widget: one message to show once at the top (conflict saved as a copy, …)
REQUEST_ERROR = f"{PAGE}.request_error"  # non-widget: errors.RequestError of the last Run, or None
UPSTREAM_ERROR = f"{PAGE}.upstream_error"  # non-widget: errors.PlaygroundError of the last Run, or None
NOTES = f"{PAGE}.notes"  # non-widget: conversions build_request made on the last Run
CHECK = f"{PAGE}.check"  # non-widget: errors.RequestError found in what is on screen now (shown as you type)
NEW_NOTEBOOK = f"{PAGE}.new_notebook"  # widget: button

# --- notebook (survives a browser reload) ------------------------------------------
NOTEBOOK_PARAM = "notebook"  # st.query_params name holding the notebook id (random hex, never a secret)
DRAFT_PARAM = "draft"  # the first versions' parameter; its id is the migrated notebook's
NOTEBOOK = f"{PAGE}.notebook"  # non-widget: the open notebook.Notebook
SAVED = f"{PAGE}.notebook.saved"  # non-widget: signature of what was last saved, to skip unchanged saves
TITLE = f"{PAGE}.title"  # widget: the notebook's title


def cell_action(cell_id: str, action: str) -> str:
    """Widget key of a cell's button: rerun, fork, continue, tools, delete, details, raw."""
    return f"{PAGE}.cells.{cell_id}.{action}"


def cell(cell_id: str) -> str:
    """Key of the container around one cell."""
    return f"{PAGE}.cell.{cell_id}"


def cell_charts(cell_id: str) -> str:
    """Key prefix of one cell's probability charts (components/charts.py derives its widget keys from it)."""
    return f"{PAGE}.cells.{cell_id}.charts"


USAGE = f"{PAGE}.usage"  # widget: toggle showing usage and speed across the notebook's runs
USAGE_CHARTS = f"{PAGE}.usage.charts"  # key prefix of the usage chart's downloads


def sibling(at: int) -> str:
    """Widget key of the selector between runs made at the same point of the conversation."""
    return f"{PAGE}.cells.at{at}"


# --- notebooks page ----------------------------------------------------------------
NB_PAGE = "notebooks"
NB_SEARCH = f"{NB_PAGE}.search"
NB_IMPORT = f"{NB_PAGE}.import"
NB_IMPORTED = f"{NB_PAGE}.imported"  # non-widget: file id of the last notebook imported
NB_UNDO = f"{NB_PAGE}.undo"  # non-widget: the notebook last deleted, for Undo


def nb_action(notebook_id: str, action: str) -> str:
    """Widget key of a Notebooks-page control of one notebook: open, rename, duplicate, delete, export."""
    return f"{NB_PAGE}.{notebook_id}.{action}"
