"""The Compare page's inputs as typed, and what they become: the base request every run starts from, and the
variants (or the mistakes, each on the path of the input it belongs to, e.g. "sets.0.temperature")."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from playground import backends, fields, request, runner
from playground.compare.setup import SettingsSet, Variant, variants
from playground.errors import FieldError, RequestError
from playground.notebook import Cell, ChatMessage

Source = Literal["conversation", "cell"]
SetupMode = Literal["seeds", "sweep", "sets"]
SAME = ""  # a set's backend: the same as the comparison's


@dataclass
class SetInputs:
    """What one setting-set form holds: empty means "as the comparison's base"."""

    label: str = ""
    backend: str = SAME
    base_url: str = ""
    model: str = ""
    numbers: dict[str, Any] = field(default_factory=dict)  # field key → value (None: as the base)
    more: str = ""  # a JSON object of further fields


@dataclass
class SetupInputs:
    """Everything the set-up inputs hold, as typed."""

    source: Source = "conversation"
    cell_id: str | None = None
    prompt: str = ""
    mode: SetupMode = "seeds"
    seeds: str = ""
    sweep_field: str = "temperature"
    sweep_values: str = ""
    sets: list[SetInputs] = field(default_factory=list)
    repeat: bool = False


@dataclass
class Base:
    """What every run starts from, and where it goes unless a setting set says otherwise."""

    body: dict[str, Any]
    backend: str
    base_url: str | None
    model: str
    settings: dict[str, Any] = field(default_factory=dict)  # raw sidebar values a setting set is checked against
    conversation: list[ChatMessage] = field(default_factory=list)


@dataclass
class Problem:
    """Why Compare did nothing: "base" (the request itself) or "setup" (the comparison's inputs)."""

    stage: str
    error: RequestError
    sets: list[SetInputs] = field(default_factory=list)  # the set forms as they were when it was found


def still_true(problem: Problem, sets: Sequence[SetInputs]) -> Problem | None:
    """The problem without what was said about a set form the person has changed since (None: nothing left)."""

    def changed(path: str) -> bool:
        head, _, rest = path.partition(".")
        index = rest.split(".", 1)[0]
        if head != "sets" or not index.isdigit():
            return False
        i = int(index)
        return i >= len(sets) or i >= len(problem.sets) or sets[i] != problem.sets[i]

    kept = [e for e in problem.error.errors if not changed(e.field)]
    return Problem(problem.stage, RequestError(kept), problem.sets) if kept else None


def question(conv: Sequence[ChatMessage]) -> tuple[list[ChatMessage], int]:
    """The conversation without the answers at its end (assistant messages without tool calls), and how many
    were left out: after a chat the last message is the model's answer, and comparing means answering again."""
    kept = list(conv)
    while kept and kept[-1].role == "assistant" and not kept[-1].tool_calls:
        kept.pop()
    return (kept, len(conv) - len(kept)) if kept else (list(conv), 0)


def base_of(
    built: request.Built,
    *,
    backend: str,
    base_url: str | None,
    model: str | None,
    settings: Mapping[str, Any],
    conv: Sequence[ChatMessage],
) -> Base:
    """The base of a comparison: the request built from the sidebar's `settings` and `conv`, and where it goes."""
    return Base(
        body=built.request.to_body(),
        backend=backend,
        base_url=base_url,
        model=model or "",
        settings=dict(settings),
        conversation=list(conv),
    )


def base_of_cell(cell: Cell | None, unconfirmed: str | None) -> Base:
    """The base that resends what `cell` sent. `unconfirmed`: the server (in words) the person has not confirmed
    yet that the cell went to; nothing is sent there until they do."""
    if cell is None:
        raise RequestError([FieldError("cell", "That run is no longer in this notebook; choose another.", "missing")])
    if unconfirmed is not None:
        raise RequestError(
            [
                FieldError(
                    "cell",
                    f"That run went to {unconfirmed}, a server this notebook names: nothing is sent there until you "
                    "confirm it (Rerun it on the Playground page, or choose it in the sidebar and press Use this server).",
                    "server_unconfirmed",
                )
            ]
        )
    return Base(
        body=copy.deepcopy(cell.body),
        backend=cell.backend,
        base_url=cell.base_url,
        model=cell.model,
        conversation=list(cell.conversation),
    )


def settings_set(i: int, s: SetInputs, base: Base) -> tuple[SettingsSet, list[FieldError]]:
    """One set form as a SettingsSet: its fields checked by `runner.prepare` as the sidebar's would be."""
    problems: list[FieldError] = []
    overrides = {k: v for k, v in s.numbers.items() if v is not None}
    removed: list[str] = []
    if s.more.strip():
        try:
            more = json.loads(s.more)
        except json.JSONDecodeError as exc:
            more = {}
            problems.append(FieldError(f"sets.{i}.more", f"This is not valid JSON: {exc.msg}.", "json_invalid"))
        if not isinstance(more, dict):
            problems.append(FieldError(f"sets.{i}.more", 'Give a JSON object, e.g. {"top_p": 0.9}.', "not_an_object"))
            more = {}
        for key, value in more.items():
            if key not in fields.FIELDS or key in ("model", "messages"):
                problems.append(FieldError(f"sets.{i}.more", f"{key!r} is not a field a set can change.", "unknown"))
            elif value is None:
                removed.append(key)
            else:
                overrides.setdefault(key, value)
    backend = s.backend or base.backend
    model = s.model or base.model
    try:
        built = runner.prepare(
            {**base.settings, **overrides},
            base.conversation,
            model=model,
            caps=backends.backend(backend).capabilities,
            client=None,
        )
        body = built.request.to_body()
    except RequestError as exc:
        problems += [FieldError(f"sets.{i}.{e.field}", e.message, e.code) for e in exc.errors]
        body = {}
    changed: dict[str, Any] = {k: body.get(k) for k in overrides}
    changed.update({k: None for k in removed})
    if model != base.model:
        changed["model"] = model
    other_backend = s.backend not in (SAME, base.backend) or bool(s.base_url)
    return (
        SettingsSet(
            label=s.label or None,
            fields=changed,
            backend=backend if other_backend else None,
            base_url=(s.base_url or None) if other_backend else None,
        ),
        problems,
    )


def set_check(inputs: SetupInputs, settings: Mapping[str, Any]) -> RequestError | None:
    """Mistakes in the set forms' numbers as typed now, judged with the settings they change, nothing sent."""
    problems = []
    for i, s in enumerate(inputs.sets if inputs.mode == "sets" else []):
        typed = {k: v for k, v in s.numbers.items() if v is not None}
        problems += [
            FieldError(f"sets.{i}.{e.field}", e.message, e.code) for e in request.check_fields({**settings, **typed}, typed)
        ]
    return RequestError(problems) if problems else None


def set_field_words(path: str) -> str:
    """ "sets.0.temperature" → "set A temperature"."""
    _, i, key = path.split(".", 2)
    return f"set {chr(ord('A') + int(i))} {fields.FIELDS[key].label.lower() if key in fields.FIELDS else key}"


def variants_of(inputs: SetupInputs, base: Base) -> list[Variant]:
    """The runs the inputs ask for. Raises RequestError (CompareSetupError) naming each input that is wrong."""
    repeat = 2 if inputs.repeat else 1
    if inputs.mode == "seeds":
        return variants(base.body, seeds=inputs.seeds, repeat=repeat)
    if inputs.mode == "sweep":
        return variants(base.body, sweep=(inputs.sweep_field, inputs.sweep_values), repeat=repeat)
    return variants(base.body, settings_sets=sets_of(inputs, base), repeat=repeat)


def sets_of(inputs: SetupInputs, base: Base) -> list[SettingsSet]:
    """The set forms as SettingsSets (see `settings_set`). Raises RequestError naming each set field that is wrong."""
    sets, problems = [], []
    for i, s in enumerate(inputs.sets):
        the_set, found = settings_set(i, s, base)
        sets.append(the_set)
        problems += found
    if problems:
        raise RequestError(problems)
    return sets


Slot = tuple[str, str | None]  # (backend id, base URL)


def slot_of(v: Variant, base: Base) -> Slot:
    """Where a variant's run goes: its set's backend, else the base's."""
    return (base.backend, base.base_url) if v.backend is None else (v.backend, v.base_url)


def slots(variant_list: Sequence[Variant], base: Base) -> dict[Slot, int | None]:
    """Every place the runs go, each with the set form (its index) that named it, or None for the base's own."""
    order = {label: i for i, label in enumerate(dict.fromkeys(v.set_label for v in variant_list))}
    out: dict[Slot, int | None] = {}
    for v in variant_list:
        out.setdefault(slot_of(v, base), order.get(v.set_label) if v.backend is not None else None)
    return out


def on_set(exc: RequestError, index: int) -> RequestError:
    """A problem with a set's backend (its key or base URL) as the set form's own fields."""
    where = {backends.API_KEY_FIELD: "backend", backends.BASE_URL_FIELD: "base_url"}
    return RequestError([FieldError(f"sets.{index}.{where.get(e.field, 'backend')}", e.message, e.code) for e in exc.errors])
