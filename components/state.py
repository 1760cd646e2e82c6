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
API_KEY = f"{PAGE}.api_key"  # widget: password text input, showing the key typed for API_KEY_FOR's server
API_KEY_FOR = f"{PAGE}.api_key.for"  # non-widget: the server (backends.server_slot) the key box shows the key of
API_KEYS = f"{PAGE}.api_keys"  # non-widget: {server slot: key typed for it}, this session only, never copied elsewhere
SERVERS_CONFIRMED = f"{PAGE}.servers_confirmed"  # non-widget: server slots the person chose or confirmed this session
CONFIRM_SERVER = f"{PAGE}.confirm_server"  # widget: button "Use this server" (a base URL a notebook named)
CONFIRM_RERUN = f"{PAGE}.confirm_rerun"  # non-widget: id of the cell whose Rerun waits for the person to confirm its server
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
ADD_USER = f"{PAGE}.messages.add_user"  # widget: button beside Run when the conversation ends with the model's message
CHAT_INPUT = f"{PAGE}.chat_input"  # widget: chat input at the bottom; Enter adds the message and runs
AUTO_APPEND = f"{PAGE}.auto_append"  # widget: toggle, add each answer to the conversation
EDITING = f"{PAGE}.editing"  # non-widget: set of message indexes being edited in the chat view
IMPORT_CONVERSATION = f"{PAGE}.conversation.import"  # widget: file uploader (JSON)
EXPORT_CONVERSATION = f"{PAGE}.conversation.export"  # widget: download button
EXAMPLE_CONVERSATION = f"{PAGE}.conversation.example"  # widget: select box of examples.CONVERSATIONS
LOAD_EXAMPLE = f"{PAGE}.conversation.example.load"  # widget: button putting that example in place of the conversation
IMPORTED = f"{PAGE}.conversation.imported"  # non-widget: file id of the last conversation imported
SHOWN_MESSAGES = f"{PAGE}.messages.shown"  # non-widget: how many of the latest messages the page draws
SHOW_EARLIER = f"{PAGE}.messages.show_earlier"  # widget: button "Show earlier messages (N)"
SHOWN_WHOLE = f"{PAGE}.messages.shown_whole"  # non-widget: indexes of long messages shown in full ("Show all")
IMAGE_UPLOADS = f"{PAGE}.images.uploads"  # non-widget: {message index: uploads taken}, so each upload gets a fresh uploader
IMAGE_TAKEN = f"{PAGE}.images.taken"  # non-widget: ids of uploads already taken (one the browser sends twice: once)
IMAGE_PROBLEMS = f"{PAGE}.images.problems"  # non-widget: {message index: why files or an address were refused}
IMAGES_REFUSED = f"{PAGE}.images.refused"  # non-widget: why the chosen model cannot see images (None when it may)


def confirm_cell(cell_id: str, answer: str) -> str:
    """Widget key of a button answering whether to contact a cell's server: "ask" (poll), "yes" or "no" (Rerun)."""
    return f"{PAGE}.confirm.{cell_id}.{answer}"


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
    """Widget key of one of message i's buttons: edit, up, down, duplicate, insert, delete, show_all."""
    return f"{PAGE}.messages.{i}.{action}"


def bubble(i: int, role: str) -> str:
    """Key of the container around message i's chat bubble (browser tests find bubbles by role with it)."""
    return f"{PAGE}.bubble.{i}.{role}"


def message_delete(i: int) -> str:
    return message_action(i, "delete")


def message_image(i: int, what: str) -> str:
    """Widget key of message i's image inputs: "upload.<n>" (file uploader, a fresh one after each upload), "url" (an
    address typed), "add_url" (its button), and "<j>.<action>" for image j (detail, up, down, remove)."""
    return f"{PAGE}.messages.{i}.images.{what}"


def message_keys(i: int) -> tuple[str, ...]:
    """Every widget key of message i, dropped together when messages move."""
    return (message_role(i), message_content(i), message_name(i), message_tool_call_id(i), message_tool_calls(i))


# --- sidebar fields ----------------------------------------------------------------
def field(key: str) -> str:
    """Widget key of the sidebar widget for fields.FIELDS[key], e.g. "playground.temperature"."""
    return f"{PAGE}.{key}"


SIDEBAR_PAGE = f"{PAGE}.sidebar_page"  # non-widget: the page that drew the sidebar last (its widgets' state is that page's)
DEFAULTS_FOR = f"{PAGE}.defaults_for"  # non-widget: the backend whose own field defaults (fields.BACKEND_DEFAULTS) are shown
RESET = f"{PAGE}.reset"  # widget: button putting every field back to its default
SETTINGS = f"{PAGE}.settings"  # non-widget: {field key: last value}, re-seeds sidebar widgets after a page switch
RESPONSE_SCHEMA = f"{PAGE}.response_format.schema"  # widget: JSON schema text area
LOGIT_BIAS_ROWS = f"{PAGE}.logit_bias.rows"  # non-widget: base rows of the logit-bias table
TOOLS_EXAMPLE = f"{PAGE}.tools.example"  # widget: button filling the tools editor with an example

# --- variables ({{name}} in the conversation) --------------------------------------
VARIABLES = f"{PAGE}.variables"  # non-widget: {name: value} typed in the Variables form (re-seeds it after a page switch)


def variable(name: str) -> str:
    """Widget key of the Variables form's text input for {{name}}."""
    return f"{PAGE}.variables.{name}"


# --- running -----------------------------------------------------------------------
RUN = f"{PAGE}.run"  # widget: Run button (runs the conversation as it is)
STOP = f"{PAGE}.run.stop"  # widget: Stop button shown while a run streams
STOP_REQUESTED = f"{PAGE}.stop_requested"  # non-widget: set by Stop's callback, read by the next script run
STREAMING = f"{PAGE}.streaming"  # non-widget: id of the cell this session's run is streaming into (until it ends)
LIVE = f"{PAGE}.live"  # container of the run being streamed
PENDING = f"{PAGE}.pending"  # non-widget: the action a callback asked for (run, rerun, tools, step…), done by the page
REVIEW = f"{PAGE}.review"  # non-widget: id of the cell whose tool calls wait for the person's review
REVIEW_BOX = f"{PAGE}.review.box"  # container of the review of a run's tool calls
REVIEW_GO = f"{PAGE}.review.go"  # widget: button running the reviewed calls and continuing
REVIEW_CANCEL = f"{PAGE}.review.cancel"  # widget: button closing the review (the tool messages stay empty)
APPROVED = f"{PAGE}.approved"  # non-widget: {notebook id: [sources]} whose calls run without review (this session)


def review(call_id: str, setting: str) -> str:
    """Widget key of one reviewed call's setting: "action", "arguments" or "result"."""
    return f"{PAGE}.review.call.{call_id}.{setting}"


def review_all(source: str) -> str:
    """Widget key of the checkbox approving every call to `source` (tool_calls.DEMO or an MCP server's name)."""
    return f"{PAGE}.review.all.{source}"


CLIENTS = f"{PAGE}.clients"  # non-widget: runner.Clients of this session (holds the key; never shared)
BRANCH_PICK = f"{PAGE}.branch.pick"  # non-widget: branch.Pick of the last "Continue from here", run by the page
BRANCH_ERROR = f"{PAGE}.branch.error"  # non-widget: (cell id, why its last "Continue from here" did not run)
CONTINUE_PROBES = f"{PAGE}.branch.probes"  # non-widget: branch.Probes, which servers continue an unfinished answer
NOTICE = f"{PAGE}.notice"  # non-widget: one message to show once at the top (conflict saved as a copy, …)
NOTICE_SHOWN = f"{PAGE}.notice_shown"  # non-widget: the notice as last drawn (the next save clears it)
KEEP_COPY = f"{PAGE}.keep_copy"  # widget: button saving a notebook deleted elsewhere as a new one
REQUEST_ERROR = f"{PAGE}.request_error"  # non-widget: errors.RequestError of the last Run, or None
UPSTREAM_ERROR = f"{PAGE}.upstream_error"  # non-widget: errors.PlaygroundError of the last Run, or None
NOTES = f"{PAGE}.notes"  # non-widget: conversions build_request made on the last Run
CHECK = f"{PAGE}.check"  # non-widget: errors.RequestError found in what is on screen now (shown as you type)
NEW_NOTEBOOK = f"{PAGE}.new_notebook"  # widget: button
REPORT = f"{PAGE}.report"  # widget: "Download report" (the notebook as one HTML file)

# --- notebook (survives a browser reload) ------------------------------------------
NOTEBOOK_PARAM = "notebook"  # st.query_params name holding the notebook id (random hex, never a secret)
VIEW_PARAM = "view"  # st.query_params name holding a read-only link's id (playground.shares; unguessable, never a secret)
DRAFT_PARAM = "draft"  # the first versions' parameter; its id is the migrated notebook's
NOTEBOOK = f"{PAGE}.notebook"  # non-widget: the open notebook.Notebook
SAVED = f"{PAGE}.notebook.saved"  # non-widget: signature of what was last saved, to skip unchanged saves
TITLE = f"{PAGE}.title"  # widget: the notebook's title


def cell_action(cell_id: str, action: str) -> str:
    """Widget key of a cell's button or switch: rerun, fork, continue, use, tools, delete, details, raw, tab, code_tab, json."""
    return f"{PAGE}.cells.{cell_id}.{action}"


def branch_with(cell_id: str, choice: int, position: int) -> str:
    """Widget key of "Put in place of the token at position N": the alternatives there (or a word of one's own)."""
    return cell_action(cell_id, f"branch.{choice}.{position}.with")


def branch_word(cell_id: str, choice: int, position: int) -> str:
    """Widget key of the word typed to put in place of a token."""
    return cell_action(cell_id, f"branch.{choice}.{position}.word")


def branch_compare(cell_id: str) -> str:
    """Widget key of the button "Compare branches" (a run and its branches side by side on the Compare page)."""
    return cell_action(cell_id, "branch.compare")


def branch_go(cell_id: str) -> str:
    """Widget key of the button "Continue from here with …"."""
    return cell_action(cell_id, "branch.go")


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


# --- compare page ------------------------------------------------------------------
CMP_PAGE = "compare"
CMP_SOURCE = f"{CMP_PAGE}.source"  # widget: segmented control, start from the conversation or from a run
CMP_CELL = f"{CMP_PAGE}.cell"  # widget: select box of the notebook's runs (cell ids)
CMP_PROMPT = f"{CMP_PAGE}.prompt"  # widget: a first message, when the conversation is empty
CMP_MODE = f"{CMP_PAGE}.mode"  # widget: segmented control, "seeds", "sweep" or "sets"
CMP_SEEDS = f"{CMP_PAGE}.seeds"  # widget: text input, "1, 2, 7" or "1-16"
CMP_SWEEP_FIELD = f"{CMP_PAGE}.sweep.field"  # widget: select box of compare.SWEEP_FIELDS
CMP_SWEEP_VALUES = f"{CMP_PAGE}.sweep.values"  # widget: text input, "0.2, 0.7, 1.2"
CMP_SET_COUNT = f"{CMP_PAGE}.sets.count"  # widget: how many setting sets (2–4)
CMP_REPEAT = f"{CMP_PAGE}.repeat"  # widget: toggle, run each twice (reproducibility check)
CMP_RUN = f"{CMP_PAGE}.run"  # widget: the Compare button
CMP_CANCEL = f"{CMP_PAGE}.cancel"  # widget: Cancel button shown while a comparison runs
CMP_PENDING = f"{CMP_PAGE}.pending"  # non-widget: the Compare button was pressed; the page starts the runs
CMP_JOB = f"{CMP_PAGE}.job"  # non-widget: the comparison running now (compare.ComparisonJob and its notebook)
CMP_ERROR = f"{CMP_PAGE}.error"  # non-widget: what was wrong with the last Compare (the request or an input), shown by it
CMP_SET_CHECK = f"{CMP_PAGE}.sets.check"  # non-widget: errors.RequestError in the set forms as typed now (shown under each)
CMP_FAILURE = f"{CMP_PAGE}.failure"  # non-widget: why the last comparison could not finish (shown once)
CMP_ANALYSIS = f"{CMP_PAGE}.analysis"  # non-widget: (comparison id, compare.Analysis) of the comparison shown
CMP_SHOWN = f"{CMP_PAGE}.shown"  # widget: select box of this notebook's comparisons (ids), newest first
CMP_DELETE = f"{CMP_PAGE}.delete"  # widget: button deleting the comparison shown
CMP_STRIPS = f"{CMP_PAGE}.strips"  # widget: toggle, draw the probability strips (off: the page stays fast)
CMP_CLOSER = f"{CMP_PAGE}.closer"  # widget: select box of the run whose probabilities are shown in full
CMP_CSV = f"{CMP_PAGE}.csv"  # widget: CSV download button
CMP_REPORT = f"{CMP_PAGE}.report"  # widget: "Download report" (the comparison as one HTML file)


def cmp_set(i: int, setting: str) -> str:
    """Widget key of one input of setting set i (0-based): label, backend, base_url, model, temperature, top_p,
    seed, max_completion_tokens, more."""
    return f"{CMP_PAGE}.sets.{i}.{setting}"


def cmp_run(i: int) -> str:
    """Key of the container (column) of run i of the comparison shown or running."""
    return f"{CMP_PAGE}.runs.{i}"


def cmp_probabilities(comparison_id: str, i: int) -> str:
    """key_prefix of run i's probability view (components.chart_views.keys_for gives its widget keys)."""
    return f"{CMP_PAGE}.probs.{comparison_id}.{i}"


# --- notebooks page ----------------------------------------------------------------
NB_PAGE = "notebooks"
NB_SEARCH = f"{NB_PAGE}.search"
NB_IMPORT = f"{NB_PAGE}.import"
NB_IMPORTED = f"{NB_PAGE}.imported"  # non-widget: file id of the last notebook imported
NB_UNDO = f"{NB_PAGE}.undo"  # non-widget: the notebook last deleted, for Undo
NB_ERROR = f"{NB_PAGE}.error"  # non-widget: what a store that failed under a button said, shown once


NB_SHARED = f"{NB_PAGE}.shared"  # non-widget: id of the link just made on this page, shown above the list


def share_action(share_id: str, action: str) -> str:
    """Widget keys of a read-only link's row on the Notebooks page (e.g. revoke)."""
    return f"{NB_PAGE}.share.{share_id}.{action}"


VW_PAGE = "view"
VW_COPY = f"{VW_PAGE}.copy"  # widget: button "Make a copy to edit"
VW_COPY_ERROR = f"{VW_PAGE}.copy_error"  # non-widget: why "Make a copy to edit" failed
VW_COMPARISON = f"{VW_PAGE}.comparison"  # widget: segmented control choosing which comparison of a shared notebook to show
CMP_SHARE = f"{CMP_PAGE}.share"  # widget: button making a read-only link to the comparison shown
CMP_SHARED = f"{CMP_PAGE}.shared"  # non-widget: (comparison id, link id) of the link just made


def nb_action(notebook_id: str, action: str) -> str:
    """Widget key of a Notebooks-page control of one notebook: open, rename, duplicate, delete, export."""
    return f"{NB_PAGE}.{notebook_id}.{action}"


# --- tool & schema builder (Playground sidebar and the Tools & schemas page) --------
def builder_key(scope: str, path: tuple[int | str, ...] | list[int | str], setting: str) -> str:
    """Widget key of one setting in a builder: of the tool or schema itself (`path` ()), e.g.
    "playground.tools.0.name", or of one row, e.g. "playground.tools.0.p.1.enum" (row 2) or
    "playground.tools.0.p.1.items.0.name" (row 1 of the items of row 2, an array of objects)."""
    return f"{scope}.p.{'.'.join(map(str, path))}.{setting}" if path else f"{scope}.{setting}"


SIDEBAR_TOOLS = f"{PAGE}.tools"  # prefix of the sidebar's tool editors (== field("tools"), the JSON tab's text area)


def sidebar_tool(i: int) -> str:
    """Scope of the sidebar's editor of tool i (its widgets are `builder_key(sidebar_tool(i), …)`)."""
    return f"{SIDEBAR_TOOLS}.{i}"


TOOLS_ADD = f"{PAGE}.tools.add"  # widget: popover "Add a tool"
TOOLS_NEW = f"{PAGE}.tools.new"  # widget: button adding an empty tool
MCP = f"{PAGE}.mcp"  # non-widget: mcp.Connections, the MCP servers this session listed (their tools, or why not)
MCP_CONNECT = f"{PAGE}.mcp.connect"  # non-widget: the server name or URL whose tools a button asked to list
MCP_URL = f"{PAGE}.mcp.url"  # widget: text input, a streamable-HTTP MCP server's URL
MCP_URL_CONNECT = f"{PAGE}.mcp.url_connect"  # widget: button listing the tools of the server at MCP_URL


def mcp_connect(server: str) -> str:
    """Widget key of the button listing an MCP server's tools (Add a tool menu)."""
    return f"{PAGE}.mcp.server.{server}.connect"


def mcp_tool(server: str, tool: str) -> str:
    """Widget key of the button adding an MCP server's tool to this run (Add a tool menu)."""
    return f"{PAGE}.mcp.server.{server}.tool.{tool}"


TOOLS_DEPENDABLE = f"{PAGE}.tools.dependable"  # widget: button beside Tool choice setting fields.DEPENDABLE_TOOL_CALL
TOOLS_DEPENDABLE_AFTER = (
    f"{PAGE}.tools.dependable.after"  # widget: the same, offered after a text answer where a call was expected
)


def tools_preset(name: str) -> str:
    """Widget key of the button adding preset `name` (the seed's get_weather is TOOLS_EXAMPLE)."""
    return f"{PAGE}.tools.preset.{name}"


def tools_from_library(item_id: str) -> str:
    """Widget key of the button adding a copy of a library tool."""
    return f"{PAGE}.tools.library.{item_id}"


SIDEBAR_SCHEMA = f"{PAGE}.response_format.form"  # scope of the sidebar's response-schema editor
SCHEMA_LOAD = f"{PAGE}.response_format.load"  # widget: popover "Start from…"
SCHEMA_EMPTY = f"{PAGE}.response_format.empty"  # widget: button starting an empty schema


def schema_preset(name: str) -> str:
    return f"{PAGE}.response_format.preset.{name}"


def schema_from_library(item_id: str) -> str:
    return f"{PAGE}.response_format.library.{item_id}"


BUILDER_EDITING = f"{PAGE}.builder.editing"  # non-widget: ("tool", i) or ("schema", 0) whose editor dialog is open
BUILDER_DONE = f"{PAGE}.builder.done"  # widget: the editor dialog's Done button
BUILDER_TOOLS = f"{PAGE}.builder.tools"  # non-widget: list[builder.ToolRow], this run's tools
BUILDER_TOOLS_SEEN = f"{PAGE}.builder.tools_seen"  # non-widget: signature of the settings the tools were last synced with
BUILDER_TOOLS_DRAFT = f"{PAGE}.builder.tools_draft"  # non-widget: unreadable JSON typed into the tools JSON tab
BUILDER_SCHEMA = f"{PAGE}.builder.schema"  # non-widget: the response schema being edited
BUILDER_SCHEMA_SEEN = f"{PAGE}.builder.schema_seen"
BUILDER_SCHEMA_DRAFT = f"{PAGE}.builder.schema_draft"
ANSWER_CHECKS = f"{PAGE}.answer_checks"  # non-widget: {cell id: (completion, its checks)}, checked once per answer

# --- tools page ("Tools & schemas") -------------------------------------------------
TP_PAGE = "tools"
TP_EDIT = f"{TP_PAGE}.edit"  # scope of the page's builder (widgets `builder_key(TP_EDIT, …)`)
TP_SELECTED = f"{TP_PAGE}.selected"  # non-widget: id of the library item in the builder
TP_MODEL = f"{TP_PAGE}.model"  # non-widget: (item id, the tool or schema being edited)
TP_NEW_TOOL = f"{TP_PAGE}.new_tool"  # widget: button
TP_NEW_SCHEMA = f"{TP_PAGE}.new_schema"  # widget: button
TP_PASTE = f"{TP_PAGE}.paste"  # widget: text area for pasted JSON
TP_PASTE_ADD = f"{TP_PAGE}.paste.add"  # widget: button adding what was pasted to the library
TP_NOTICE = f"{TP_PAGE}.notice"  # non-widget: one message to show once
TP_UNDO = f"{TP_PAGE}.undo"  # non-widget: the library item last deleted, for Undo
TP_UNDO_BUTTON = f"{TP_PAGE}.undo.button"  # widget


def tp_preset(name: str) -> str:
    """Widget key of the Tools page's button adding preset `name` to the library."""
    return f"{TP_PAGE}.preset.{name}"


def tp_item(item_id: str, action: str) -> str:
    """Widget key of a library item's control on the Tools page: open, duplicate, delete, on (for this run)."""
    return f"{TP_PAGE}.item.{item_id}.{action}"


# ------------------------------------------------------------------------------------ the Present page
PRESENT_PAGE = "present"
PRESENT_SLIDE = f"{PRESENT_PAGE}.slide"  # the slide's container (class st-key-present-slide: the page's CSS enlarges it)
PRESENT_AT = f"{PRESENT_PAGE}.at"  # non-widget: the shown run's index, per notebook {notebook id: index}
PRESENT_PREVIOUS = f"{PRESENT_PAGE}.previous"  # widget: button
PRESENT_NEXT = f"{PRESENT_PAGE}.next"  # widget: button

# ------------------------------------------------------------------------------------ prices (Tools & schemas page)
PR_PAGE = f"{TP_PAGE}.prices"  # under the Tools & schemas page
PR_BACKEND = f"{PR_PAGE}.backend"  # widget: which kind of server the price is for
PR_MODEL = f"{PR_PAGE}.model"  # widget: the model's name
PR_SAVE = f"{PR_PAGE}.save"  # widget: form submit, keeps the price
PR_RESET = f"{PR_PAGE}.reset"  # widget: form submit, back to the default
PR_NOTICE = f"{PR_PAGE}.notice"  # non-widget: one message to show once


def pr_rate(rate: str) -> str:
    """Widget: one rate of the price being set (dollars per million tokens), by `pricing.RATES` name."""
    return f"{PR_PAGE}.rate.{rate}"


# ------------------------------------------------------------------------------------ the Evaluate page
EV_PAGE = "evaluate"
EV_TABLE = f"{EV_PAGE}.table"  # widget: st.data_editor of the test cases
EV_TABLE_BASE = f"{EV_PAGE}.table.base"  # non-widget: the test cases the editor was drawn from (its edits apply to them)
EV_EXPECTED = f"{EV_PAGE}.expected"  # widget: toggle, the table has an "expected" column
EV_IMPORT = f"{EV_PAGE}.import"  # widget: file uploader (CSV or JSONL)
EV_IMPORTED = f"{EV_PAGE}.imported"  # non-widget: file id of the last table imported
EV_EXPORT_CSV = f"{EV_PAGE}.export.csv"  # widget: download button
EV_EXPORT_JSONL = f"{EV_PAGE}.export.jsonl"  # widget: download button
EV_PASTE = f"{EV_PAGE}.paste"  # widget: text area for rows pasted from a spreadsheet
EV_PASTE_ADD = f"{EV_PAGE}.paste.add"  # widget: button adding the pasted rows
EV_ROW = f"{EV_PAGE}.row"  # widget: number input, the row to duplicate
EV_DUPLICATE = f"{EV_PAGE}.row.duplicate"  # widget: button
EV_NOTICE = f"{EV_PAGE}.notice"  # non-widget: (kind, message) about the table, shown once
EV_IMAGE_COLUMN = f"{EV_PAGE}.image.column"  # widget: select box, the image column ({{photo}}) a row's image goes in
EV_IMAGE_ROW = f"{EV_PAGE}.image.row"  # widget: number input, the row whose image is shown and set
EV_IMAGE_UPLOADS = f"{EV_PAGE}.image.uploads"  # non-widget: images taken so far (each gets a fresh, empty uploader)
EV_IMAGE_URL = f"{EV_PAGE}.image.url"  # widget: text input, an https address for the row's image
EV_IMAGE_URL_ADD = f"{EV_PAGE}.image.url.add"  # widget: button putting that address in the row
EV_CHECK_KIND = f"{EV_PAGE}.checks.kind"  # widget: select box of checks.KINDS
EV_CHECK_ADD = f"{EV_PAGE}.checks.add"  # widget: button adding a check of that kind
EV_SEEDS = f"{EV_PAGE}.seeds"  # widget: text input, "1, 2" or "1-4"
EV_RUN = f"{EV_PAGE}.run"  # widget: the Run button
EV_CONCURRENCY = f"{EV_PAGE}.concurrency"  # widget: how many runs at once (fields.EVAL_CONCURRENCY)
EV_CONTINUE = f"{EV_PAGE}.continue_tools"  # widget: toggle, answer tool calls with the demo tools and check the final answer
EV_RERUN_FAILED = f"{EV_PAGE}.rerun.failed"  # widget: button running the failed results again
EV_RERUN_ROW = f"{EV_PAGE}.rerun.row"  # widget: button running the opened result's row again
EV_SHOWN = f"{EV_PAGE}.shown"  # non-widget: (the stored evaluation's dict id, playground.evaluate Evaluation) last read
EV_CANCEL = f"{EV_PAGE}.cancel"  # widget: Cancel button shown while an evaluation runs
EV_PENDING = f"{EV_PAGE}.pending"  # non-widget: Run was pressed; the page starts the runs
EV_JOB = f"{EV_PAGE}.job"  # non-widget: the evaluation running now and the notebook it is saved into
EV_ERROR = f"{EV_PAGE}.error"  # non-widget: why the last Run did not start or finish (shown once)
EV_OPEN = f"{EV_PAGE}.open"  # widget: select box of the result opened as a cell
EV_CSV = f"{EV_PAGE}.csv"  # widget: CSV download of every result with its checks
EV_GROUP = f"{EV_PAGE}.group"  # widget: toggle, each row's identical answers shown once instead of the grid
EV_ACROSS = f"{EV_PAGE}.across"  # widget: radio, rows × seeds only, or also × a field sweep or setting sets
EV_ACROSS_CHECK = f"{EV_PAGE}.across.check"  # non-widget: the sweep's and set forms' mistakes, drawn under them


def ev_check(check_id: str, setting: str) -> str:
    """Widget key of one setting of one check (tool, text, column, pattern, tokens, ms, ignore_case, remove)."""
    return f"{EV_PAGE}.checks.{check_id}.{setting}"


def ev_mark(result_key: str, setting: str) -> str:
    """Widget key of a person's mark on one result: "thumb" (👍/👎) or "note"."""
    return f"{EV_PAGE}.marks.{result_key}.{setting}"


def ev_image_upload(n: int) -> str:
    """Widget: the file uploader of a row's image (`n` counts the images taken, so each upload starts a fresh one)."""
    return f"{EV_PAGE}.image.upload.{n}"
