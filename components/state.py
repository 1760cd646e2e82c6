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
MESSAGES = f"{PAGE}.messages"  # non-widget: list of {"role", "content", "tool_call_id"}
ADD_MESSAGE = f"{PAGE}.messages.add"  # widget: button


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


def message_delete(i: int) -> str:
    """Widget key of message i's delete button."""
    return f"{PAGE}.messages.{i}.delete"


def message_keys(i: int) -> tuple[str, ...]:
    return (message_role(i), message_content(i), message_name(i), message_tool_call_id(i))


# --- sidebar fields ----------------------------------------------------------------
def field(key: str) -> str:
    """Widget key of the sidebar widget for fields.FIELDS[key], e.g. "playground.temperature"."""
    return f"{PAGE}.{key}"


SETTINGS = f"{PAGE}.settings"  # non-widget: {field key: last value}, re-seeds sidebar widgets after a page switch
RESPONSE_SCHEMA = f"{PAGE}.response_format.schema"  # widget: JSON schema text area
LOGIT_BIAS_ROWS = f"{PAGE}.logit_bias.rows"  # non-widget: base rows of the logit-bias table
TOOLS_EXAMPLE = f"{PAGE}.tools.example"  # widget: button filling the tools editor with an example

# --- running -----------------------------------------------------------------------
RUN = f"{PAGE}.run"  # widget: Run button
ANSWER = f"{PAGE}.answer"  # container holding the newest answer (streamed text, then the Completion)
RUNS = f"{PAGE}.runs"  # non-widget: list of run dicts, newest first
REQUEST_ERROR = f"{PAGE}.request_error"  # non-widget: errors.RequestError of the last Run, or None
UPSTREAM_ERROR = f"{PAGE}.upstream_error"  # non-widget: errors.PlaygroundError of the last Run, or None
NOTES = f"{PAGE}.notes"  # non-widget: conversions build_request made on the last Run

# --- draft (survives a browser reload) ---------------------------------------------
DRAFT_PARAM = "draft"  # st.query_params name holding the draft id (a random hex id, never a secret)
DRAFT_ID = f"{PAGE}.draft.id"  # non-widget: this session's draft id; absent on a new session
DRAFT_SAVED = f"{PAGE}.draft.saved"  # non-widget: signature of the draft last saved, to skip unchanged saves


def add_answer(run_id: str) -> str:
    """Widget key of the "Add answer to conversation" button of one run."""
    return f"{PAGE}.runs.{run_id}.add_answer"
