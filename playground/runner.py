"""Running cells: prepare a request, stream or defer it, poll, list models, answer tool calls.

Every page runs requests through here, so a second page never copies the first one's run logic.
A cell is filled in place as events arrive, and whatever arrived is kept when a stream is stopped,
cut or fails. Clients are long-lived, one per (backend, base URL, key), held by the caller's session:
`Clients` is never shared between people, because a client holds its key.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from playground import backends, branch, images
from playground.client import ChatClient, ClientConfig, WaitHook
from playground.errors import FieldError, PlaygroundError, RequestError
from playground.notebook import Cell, CellError, ChatMessage, Notebook, ToolCallRow, safe_base_url
from playground.request import Built, build_request, logit_bias_from_rows
from playground.response import Completion, Done, TextDelta, ThinkingDelta

__all__ = [
    "Clients",
    "ModelList",
    "check",
    "continuation",
    "list_models",
    "model_slot",
    "new_cell",
    "next_step_settings",
    "poll",
    "prepare",
    "rerun_of",
    "stream",
    "submit_deferred",
]


def _fingerprint(config: ClientConfig) -> str:
    key = config.api_key.get_secret_value() if config.api_key is not None else ""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16] if key else ""


class Clients:
    """One open `ChatClient` per (backend, base URL, key, timeout) for one person's session."""

    def __init__(self) -> None:
        self._clients: dict[tuple[Any, ...], ChatClient] = {}

    def get(self, config: ClientConfig) -> ChatClient:
        slot = (config.kind, config.base_url, _fingerprint(config), config.timeout, config.max_retries)
        client = self._clients.get(slot)
        if client is None:
            client = self._clients[slot] = ChatClient(config)
        return client

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


class ModelList(BaseModel):
    """A backend's models, or why they could not be listed; and what the list tells of the server's limits."""

    models: list[str] = Field(default_factory=list)
    context: dict[str, int] = Field(default_factory=dict)  # model id -> its context, where the server says
    llama_cpp: bool = False  # the server is llama.cpp's own (it says so in its model list)
    inputs: dict[str, list[str]] = Field(default_factory=dict)  # model id -> what it reads, where the server says
    error: str | None = None

    def takes_images(self) -> list[str]:
        """The models the server says read images."""
        return [m for m, kinds in self.inputs.items() if "image" in kinds]

    def image_refusal(self, model: str | None, backend_id: str) -> str | None:
        """Why `model` cannot see images, said under a message with images before Run; None when it may (or nobody
        says). The embedded backend's models read text only, whatever a list says."""
        if backend_id == "embedded" or (model and "image" not in self.inputs.get(model, ["image"])):
            return images.refuses_images(model or "The embedded model")
        return None

    def warning(self, model: str | None, field: str, value: Any) -> str | None:
        """A warning under `field`, before anything is sent, when this server cannot do what `value` asks."""
        if field == "max_completion_tokens":
            limit = self.context.get(model or "")
            if limit is not None and isinstance(value, int) and value > limit:
                return f"{model} holds at most {limit:,} tokens per request, prompt included: {value:,} cannot fit."
        if self.llama_cpp and field == "n" and isinstance(value, int) and value > 1:
            return "llama.cpp's server gives at most one choice per slot (its --parallel); a larger n is refused."
        if self.llama_cpp and field == "tools" and value:
            return (
                "llama.cpp's server calls tools only when the model's chat template has them (started with --jinja); "
                "otherwise it answers in plain text."
            )
        return None


def list_models(client: ChatClient) -> ModelList:
    """The server's models. For xAI, also what each reads (`/language-models`); when that list fails, the models
    are still listed and what they read is said to be unknown in `error`."""
    try:
        infos = client.models()
    except PlaygroundError as exc:
        return ModelList(error=str(exc))
    note = None
    if client.config.kind == "xai":
        try:
            infos = [*infos, *client.language_models()]
        except PlaygroundError as exc:
            note = f"the models are listed, but not which of them read images ({exc})"
    return ModelList(
        models=list(dict.fromkeys(m.id for m in infos)),
        context={m.id: m.context_length for m in infos if m.context_length},
        llama_cpp=any(m.owned_by == "llamacpp" for m in infos),
        inputs={m.id: m.inputs for m in infos if m.inputs is not None},
        error=note,
    )


def model_slot(config: ClientConfig) -> str:
    """Where a session remembers a model list: per backend, base URL and key (a corrected key lists again)."""
    return f"{config.kind}|{config.base_url}|{_fingerprint(config)}"


def prepare(
    settings: Mapping[str, Any],
    conversation: Sequence[ChatMessage],
    *,
    model: str | None,
    logit_bias_rows: Sequence[Mapping[str, Any]] = (),
    caps: backends.Capabilities,
    client: ChatClient | None,
    found: Sequence[FieldError] = (),
) -> Built:
    """Validate everything (no generation yet). Raises RequestError listing every problem with its field.

    `found` are problems the caller already found while reading its widgets (bad JSON in a text area).
    Logit-bias rows given as text are looked up with the backend's tokenizer, which is the only request made.
    """
    problems: list[FieldError] = list(found)
    raw = dict(settings)
    raw["model"] = model or ""
    if not caps.deferred:
        raw["deferred"] = None
    looked_up: list[str] = []
    if logit_bias_rows:
        tokenize: Callable[[str], list[int]] | None = None
        if caps.tokenize and client is not None and model:

            def tokenize(text: str) -> list[int]:
                ids = [t.token_id for t in client.tokenize(text, model)]
                looked_up.append(
                    f"Logit bias: {text!r} is token{'s' if len(ids) != 1 else ''} {', '.join(map(str, ids))} for {model}."
                )
                return ids

        try:
            raw["logit_bias"] = logit_bias_from_rows(logit_bias_rows, tokenize)
        except RequestError as exc:
            problems.extend(exc.errors)
    built: Built | None = None
    try:
        built = build_request(raw, [m.to_request() for m in conversation])
    except RequestError as exc:
        problems.extend(exc.errors)
    if problems:
        raise RequestError(problems)
    assert built is not None
    built.notes[:0] = looked_up
    return built


def check(
    settings: Mapping[str, Any],
    conversation: Sequence[ChatMessage],
    *,
    model: str | None,
    caps: backends.Capabilities,
    found: Sequence[FieldError] = (),
    lookup_left: bool = False,
) -> tuple[RequestError | None, Built | None]:
    """Every mistake in the request on screen, sending nothing (`found`: those met on the way, e.g. a missing key or
    variable, first), an empty conversation aside (the chat input starts one); and the request when there is no
    mistake and no logit-bias text is left to look up (`lookup_left`), so a Run validates its request once."""
    problems = list(found)
    built: Built | None = None
    try:
        built = prepare(settings, conversation, model=model, caps=caps, client=None)
    except RequestError as exc:
        problems.extend(e for e in exc.errors if not (e.field == "messages" and e.code == "too_short"))
    return (RequestError(problems) if problems else None), (built if not problems and not lookup_left else None)


def new_cell(
    built: Built,
    *,
    backend: str,
    base_url: str | None,
    conversation: Sequence[ChatMessage],
    settings: Mapping[str, Any],
    step_of: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> Cell:
    """A cell about to send `built`; `conversation` as on screen, `variables` the values `built` put into it."""
    body = built.request.to_body()
    return Cell(
        backend=backend,
        base_url=safe_base_url(base_url),
        model=str(body.get("model", "")),
        body=body,
        notes=list(built.notes),
        conversation=[m.model_copy(deep=True) for m in conversation],
        settings=dict(settings),
        step_of=step_of,
        variables=dict(variables or {}),
    )


def rerun_of(cell: Cell) -> Cell:
    """A new cell sending exactly what `cell` sent, from the same conversation and settings."""
    return Cell(
        backend=cell.backend,
        base_url=cell.base_url,
        model=cell.model,
        body=copy.deepcopy(cell.body),
        notes=list(cell.notes),
        conversation=[m.model_copy(deep=True) for m in cell.conversation],
        settings=dict(cell.settings),
        step_of=cell.step_of,
        branch=cell.branch.model_copy(deep=True) if cell.branch is not None else None,
        variables=dict(cell.variables),
    )


def _finish_timings(cell: Cell, started: float, deltas: int) -> None:
    """Time to first token, total and tokens/s; `deltas` (the text pieces received) count tokens when no usage came."""
    total = time.monotonic() - started
    cell.timings.total_s = round(total, 3)
    tokens = cell.completion.usage.output_tokens if cell.completion is not None else 0
    if not tokens:
        tokens = deltas
    generating = total - (cell.timings.ttft_s or 0.0)
    if generating < 0.1 * total:  # everything arrived at once (a server that does not stream): end to end
        generating = total
    cell.timings.tokens_per_s = round(tokens / generating, 1) if tokens and generating > 0 else None


def stream(client: ChatClient, cell: Cell, *, on_wait: WaitHook | None = None) -> Iterator[TextDelta | ThinkingDelta]:
    """Stream `cell.body`, filling the cell as deltas arrive, and yield the deltas for drawing.

    Ends with the cell "done" (its Completion set; a branch's joined to the answer it continues) or "error". If
    the caller stops iterating (a Stop, a rerun, a closed tab), the cell keeps the text received and is marked
    "interrupted"; a caller that knows the person pressed Stop marks it "stopped" afterwards. `on_wait` hears a
    server's Retry-After counted down (the live view shows it).
    """
    started = time.monotonic()
    deltas = 0
    cell.status = "streaming"
    cell.error = None
    try:
        for event in client.stream(cell.body, on_wait=on_wait):
            if isinstance(event, Done):
                cell.completion = event.completion if cell.branch is None else branch.join(cell.branch, event.completion)
                cell.status = "done"
                if cell.timings.ttft_s is None:
                    cell.timings.ttft_s = round(time.monotonic() - started, 3)
                continue
            if cell.timings.ttft_s is None:
                cell.timings.ttft_s = round(time.monotonic() - started, 3)
            target = cell.partial_thinking if isinstance(event, ThinkingDelta) else cell.partial
            target[event.choice] = target.get(event.choice, "") + event.text
            deltas += 1
            yield event
    except PlaygroundError as exc:
        cell.status = "error"
        cell.error = CellError.of(exc)
    finally:
        _finish_timings(cell, started, deltas)
        if cell.status == "streaming":
            cell.status = "interrupted"


def submit_deferred(client: ChatClient, cell: Cell) -> None:
    """Queue the cell's request; it becomes "pending" with its request id, or "error"."""
    try:
        cell.request_id = client.submit_deferred(cell.body)
        cell.status = "pending"
    except PlaygroundError as exc:
        cell.status = "error"
        cell.error = CellError.of(exc)


def poll(client: ChatClient, cell: Cell) -> bool:
    """Ask once for a pending cell's result; True when the cell changed (arrived or failed).

    xAI hands a deferred result out exactly once: the caller must save the cell as soon as this is True.
    """
    if cell.status != "pending" or not cell.request_id:
        return False
    try:
        completion = client.poll_deferred(cell.request_id, stop=cell.body.get("stop"))
    except PlaygroundError as exc:
        cell.status = "error"
        cell.error = CellError.of(exc)
        return True
    if completion is None:
        return False
    cell.completion = completion
    cell.status = "done"
    cell.timings.total_s = round(time.time() - cell.created, 3)
    return True


# ------------------------------------------------------------------------------------ continuing


def _arguments_text(block_input: Mapping[str, Any] | None) -> str:
    """The arguments as the model wrote them: unparseable text stays text, it is never wrapped in an object."""
    value = dict(block_input or {})
    if set(value) == {"_raw"} and isinstance(value["_raw"], str):
        return value["_raw"]
    return json.dumps(value, ensure_ascii=False)


def continuation(completion: Completion, choice: int = 0) -> list[ChatMessage]:
    """The answer as conversation messages: the assistant's text and tool calls, then one empty tool
    message per call, to fill with its result."""
    calls = completion.tool_uses(choice)
    try:
        text = completion.text(choice)
    except IndexError:
        text = ""
    rows = [
        ToolCallRow(id=c.id or f"call_{secrets.token_hex(4)}", name=c.name or "", arguments=_arguments_text(c.input))
        for c in calls
    ]
    out = [ChatMessage(role="assistant", content=text, tool_calls=rows)]
    out.extend(ChatMessage(role="tool", tool_call_id=r.id, name=r.name) for r in rows)
    return out


MAX_TOOL_STEPS = 5  # "Run tools and continue" follows at most this many rounds of calls in a row


def next_step_settings(notebook: Notebook, cell: Cell, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of the run that answers `cell`'s tool results: tool choice "none" (answer in words) after
    MAX_TOOL_STEPS steps in a row, or when a call was forced, since a forced call would loop forever."""
    steps, parent = 1, cell
    while parent.step_of and (up := notebook.cell(parent.step_of)) is not None:
        steps, parent = steps + 1, up
    out = dict(settings)
    if steps >= MAX_TOOL_STEPS or out.get("tool_choice") not in (None, "auto", "none"):
        out["tool_choice"] = "none"
    return out
