"""Every documented chat-completions field, described once.

The sidebar, request validation (`playground.request`), the embedded gateway's
bounds and the code export all read this module, so a label, help text, default
or bound is never written twice. Names follow the API body (`logit_bias`), labels
follow what a person reads ("Logit bias"; the seed document says "Logic Bias").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """How a field's value is typed; the sidebar picks a widget from it."""

    TEXT = "text"  # free string
    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    STOP = "stop"  # up to MAX_STOP strings, typed comma-separated
    TOKEN_MAP = "token_map"  # token id -> bias
    CHOICE = "choice"  # one of `choices`
    MESSAGES = "messages"
    TOOLS = "tools"
    TOOL_CHOICE = "tool_choice"
    RESPONSE_FORMAT = "response_format"


class Section(StrEnum):
    """Sidebar groups, in display order."""

    MODEL = "Model"
    SAMPLING = "Sampling"
    OUTPUT = "Output"
    TOOLS = "Tools"
    ADVANCED = "Advanced"


@dataclass(frozen=True)
class Field:
    """One API field. `default=None` means: left out of the body when unset."""

    key: str
    label: str
    help: str
    kind: Kind
    section: Section
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    requires: str | None = None  # another field that must be truthy for this one to apply
    seed_name: str | None = None  # the name the seed document uses, where it differs from `label`
    xai_note: str | None = None  # shown next to the widget when the backend is api.x.ai
    optional: bool = True


MAX_STOP = 4
MAX_TOOLS = 128
MAX_N = 16  # the embedded gateway's cap; also the widget's upper bound
LOGIT_BIAS_MIN = -100
LOGIT_BIAS_MAX = 100
TOOL_NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
TOOL_CHOICE_MODES: tuple[str, ...] = ("auto", "none", "required")  # or a function name
RESPONSE_FORMAT_TYPES: tuple[str, ...] = ("none", "text", "json_object", "json_schema")
# Evaluate: how big one evaluation may be (rows of test cases; results = rows × seeds × setting sets)
EVAL_MAX_ROWS = 200
EVAL_MAX_RESULTS = 400
EVAL_MAX_CELL_CHARS = 20_000  # one value in a test-case table
EVAL_EXPECTED = "expected"  # the optional column a check can compare an answer with

_REASONING_NOTE = "xAI's reasoning models (grok-3-mini, grok-4) reject this field; leave it unset for them."

FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Field(
            "model",
            "Model",
            "Which model answers. The list comes from the backend; you can also type a name.",
            Kind.TEXT,
            Section.MODEL,
            optional=False,
        ),
        Field(
            "messages",
            "Messages",
            "The conversation so far: system, user, assistant and tool messages, oldest first.",
            Kind.MESSAGES,
            Section.MODEL,
            optional=False,
        ),
        Field(
            "temperature",
            "Temperature",
            "Randomness of sampling. 0 always picks the most likely token; higher values vary more.",
            Kind.FLOAT,
            Section.SAMPLING,
            default=1.0,
            minimum=0.0,
            maximum=2.0,
            step=0.05,
        ),
        Field(
            "top_p",
            "Top P",
            "Nucleus sampling: only tokens within this much probability mass are considered. "
            "Change this or temperature, not usually both.",
            Kind.FLOAT,
            Section.SAMPLING,
            default=1.0,
            minimum=0.0,
            maximum=1.0,
            step=0.01,
        ),
        Field(
            "frequency_penalty",
            "Frequency penalty",
            "Positive values make a token less likely the more often it already appeared, so the model repeats itself less.",
            Kind.FLOAT,
            Section.SAMPLING,
            default=0.0,
            minimum=-2.0,
            maximum=2.0,
            step=0.1,
            xai_note=_REASONING_NOTE,
        ),
        Field(
            "presence_penalty",
            "Presence penalty",
            "Positive values make any token that already appeared less likely, nudging the model toward new topics.",
            Kind.FLOAT,
            Section.SAMPLING,
            default=0.0,
            minimum=-2.0,
            maximum=2.0,
            step=0.1,
            seed_name="Precense penalty",
            xai_note=_REASONING_NOTE,
        ),
        Field(
            "seed",
            "Seed",
            "Ask for deterministic sampling: the same seed and settings should give the same answer. "
            "Leave empty for a random one.",
            Kind.INT,
            Section.SAMPLING,
            minimum=0,
            maximum=2**32 - 1,
            step=1,
        ),
        Field(
            "logit_bias",
            "Logit bias",
            "Push particular tokens up or down: token id → bias from -100 (never) to 100 (always). "
            "Pick tokens by their text; the ids are looked up for you.",
            Kind.TOKEN_MAP,
            Section.ADVANCED,
            minimum=LOGIT_BIAS_MIN,
            maximum=LOGIT_BIAS_MAX,
            seed_name="Logic Bias",
            xai_note="xAI's hosted models do not support logit bias; it is sent, and the API may refuse it.",
        ),
        Field(
            "max_completion_tokens",
            "Max completion tokens",
            "Upper bound on tokens generated for each answer, reasoning tokens included.",
            Kind.INT,
            Section.OUTPUT,
            minimum=1,
            step=1,
        ),
        Field(
            "n",
            "N (choices)",
            "How many alternative answers to generate for the same conversation.",
            Kind.INT,
            Section.OUTPUT,
            default=1,
            minimum=1,
            maximum=MAX_N,
            step=1,
        ),
        Field(
            "stop",
            "Stop sequences",
            f"Up to {MAX_STOP} sequences that end the answer when generated. Separate them with commas; "
            "write \\, for a comma and \\n for a new line.",
            Kind.STOP,
            Section.OUTPUT,
            maximum=MAX_STOP,
            xai_note=_REASONING_NOTE,
        ),
        Field(
            "logprobs",
            "Logprobs",
            "Return the log probability of every generated token, for the probability charts.",
            Kind.BOOL,
            Section.OUTPUT,
            default=False,
        ),
        Field(
            "top_logprobs",
            "Top logprobs",
            "How many most likely alternatives (0 to 8) to return at each position. Needs Logprobs.",
            Kind.INT,
            Section.OUTPUT,
            minimum=0,
            maximum=8,
            step=1,
            requires="logprobs",
        ),
        Field(
            "response_format",
            "Response format",
            "Constrain the answer: plain text, any JSON object, or JSON matching a schema.",
            Kind.RESPONSE_FORMAT,
            Section.OUTPUT,
            choices=RESPONSE_FORMAT_TYPES,
        ),
        Field(
            "tools",
            "Tools",
            f"Functions the model may call, each with a name, a description and JSON-schema parameters (at most {MAX_TOOLS}).",
            Kind.TOOLS,
            Section.TOOLS,
            maximum=MAX_TOOLS,
        ),
        Field(
            "tool_choice",
            "Tool choice",
            "Whether the model may call tools: auto (it decides), none, required (it must call one), or one named function.",
            Kind.TOOL_CHOICE,
            Section.TOOLS,
            choices=TOOL_CHOICE_MODES,
            requires="tools",
        ),
        Field(
            "deferred",
            "Deferred",
            "Queue the request and get a request id at once; the result is fetched later. "
            "On xAI a deferred result can be fetched only once, so the playground saves it on arrival.",
            Kind.BOOL,
            Section.ADVANCED,
            default=False,
        ),
        Field(
            "user",
            "User",
            "An identifier for your end user, which helps the provider detect abuse.",
            Kind.TEXT,
            Section.ADVANCED,
        ),
    )
}


@dataclass(frozen=True)
class MessageKey:
    """One key of a message object, as the seed's "How to make Messages?" lists them."""

    key: str
    label: str
    help: str


MESSAGE_KEYS: dict[str, MessageKey] = {
    k.key: k
    for k in (
        MessageKey(
            "role",
            "Role",
            "system: instructions for the model; user: the person's turn; "
            "assistant: the model's turn; tool: the result of a tool call.",
        ),
        MessageKey("content", "Content", "The text of the message (a user message may carry images beside it)."),
        MessageKey("name", "Name", "Optional name of the participant, to tell speakers of one role apart."),
        MessageKey("tool_call_id", "Tool call id", "For a tool message: the id of the call it answers."),
    )
}

# Images in a user message: content parts `{"type": "image_url", "image_url": {"url", "detail"}}`, as xAI documents them.
IMAGE_TYPES: dict[str, str] = {"image/png": "png", "image/jpeg": "jpg"}  # MIME type -> file extension
IMAGE_MAX_BYTES = 10 * 1024 * 1024  # one image, as a file (its data URL is about a third longer)
IMAGE_DETAILS: tuple[str, ...] = ("auto", "low", "high")
IMAGE_KEYS: dict[str, MessageKey] = {
    k.key: k
    for k in (
        MessageKey(
            "file",
            "Attach images",
            f"PNG or JPEG, up to {IMAGE_MAX_BYTES // (1024 * 1024)} MB each; drop files here, or click to choose. "
            "Sent inside the request, so the model server sees them without fetching anything.",
        ),
        MessageKey(
            "url",
            "Image address (https://…)",
            "The model server fetches it; this page never loads it. Local, private, link-local and cloud-metadata "
            "addresses are refused. Or a variable, {{photo}}: each test case on the Evaluate page gives its own image.",
        ),
        MessageKey(
            "detail",
            "Detail",
            "How closely the model looks: low is cheaper and faster, high reads fine print; auto lets the server choose.",
        ),
    )
}


# A backend's own default for a field the API leaves unset: shown in the field, marked as that backend's
# default, and sent like a typed value; emptying the field sends none. The embedded model, a small one,
# can write for minutes without a limit.
@dataclass(frozen=True)
class BackendDefault:
    """A backend's default for one field, and why it has one (said next to the field)."""

    value: Any
    why: str


BACKEND_DEFAULTS: dict[str, dict[str, BackendDefault]] = {
    "embedded": {
        "max_completion_tokens": BackendDefault(512, "so an answer ends in seconds instead of running on for minutes"),
    },
}


def backend_default(backend_id: str, key: str) -> BackendDefault | None:
    """The default `backend_id` sets for field `key`, or None where it sets none."""
    return BACKEND_DEFAULTS.get(backend_id, {}).get(key)


NO_FORMAT = "none"  # the sidebar's response format when none is chosen
LOGIT_BIAS_ROWS = "logit_bias.rows"  # where the sidebar keeps its logit-bias table in a notebook's settings


def changed(f: Field, value: Any, backend_id: str, *, logit_bias_rows: Sequence[Any] = ()) -> bool:
    """Whether a field differs from its default (the backend's own, else the documented one; empty counts as the
    default of optional fields; the logit-bias map counts as set when its table has rows)."""
    if (own := backend_default(backend_id, f.key)) is not None:
        return value != own.value
    if f.kind is Kind.TOKEN_MAP:
        return bool(logit_bias_rows)
    if f.kind is Kind.TOOL_CHOICE:
        return value not in (None, "auto")
    if f.kind is Kind.RESPONSE_FORMAT:
        return value not in (None, NO_FORMAT)
    if f.default is None:
        return value not in (None, "", [], {})
    return value != f.default


def changed_in(settings: Mapping[str, Any]) -> list[str]:
    """The sidebar fields a notebook's remembered settings hold at something other than their default."""
    backend_id = str(settings.get("backend") or "")
    rows = settings.get(LOGIT_BIAS_ROWS) or ()
    return [k for k in SIDEBAR_KEYS if k in settings and changed(FIELDS[k], settings[k], backend_id, logit_bias_rows=rows)]


# One click in the sidebar when tools are on: the settings under which a tool demo calls its tool every time.
# "required" makes the model call one of the tools (the embedded gateway constrains the answer to a call); the low
# temperature keeps the arguments to the likeliest ones. Both are ordinary fields, shown where they are set.
DEPENDABLE_TOOL_CALL: dict[str, Any] = {"tool_choice": "required", "temperature": 0.2}


# Fields the API accepts that the sidebar edits (all but the conversation and model).
SIDEBAR_KEYS: tuple[str, ...] = tuple(k for k in FIELDS if k not in ("model", "messages"))


def field(key: str) -> Field:
    """The field named `key`; a KeyError names it if it is not documented."""
    return FIELDS[key]


def sections() -> dict[Section, list[Field]]:
    """Sidebar fields grouped by section, in display order."""
    out: dict[Section, list[Field]] = {s: [] for s in Section}
    for key in SIDEBAR_KEYS:
        out[FIELDS[key].section].append(FIELDS[key])
    return {s: fs for s, fs in out.items() if fs}


# Evaluate's own setting: how many answers are generated at once. The default suits the embedded model, which
# serves 4 at a time (playground/local/settings.py: n_parallel); a hosted API may allow more or answer 429.
EVAL_CONCURRENCY = Field(
    "concurrency",
    "Runs at once",
    "How many answers are generated at the same time. The embedded model serves 4 at once; a hosted API may allow "
    "more, or answer 429 (too many requests), which is retried after the wait it asks for.",
    Kind.INT,
    Section.ADVANCED,
    default=4,
    minimum=1,
    maximum=16,
    step=1,
    optional=False,
)
