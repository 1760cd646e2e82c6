"""The Compare page's set-up: where the runs start from, what varies, the setting-set forms, and a summary of
the request every run starts from. Drawing only: `playground.compare.inputs` turns what `setup` returns into
runs. What the person changes is kept in the open notebook (`Notebook.compare`), so the inputs come back after a page
switch (widget state is dropped there), a reload and in the exported file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from components import errors as error_view
from components import sidebar
from components import state as keys
from components.cells import when
from components.compare_view import CARD_WIDTH
from components.text import plain, safe_inline
from playground import backends, compare, errors, fields
from playground.compare.inputs import SAME, SetInputs, SetupInputs
from playground.notebook import Cell

ss = st.session_state

MODES: dict[str, str] = {"seeds": "Seeds", "sweep": "Sweep one field", "sets": "Setting sets"}
SEEDS, SWEEP_VALUES = "1, 2, 3", "0.2, 0.7, 1.2"  # what the seeds and the sweep's values start as
SOURCES: dict[str, str] = {"conversation": "The conversation and the sidebar's settings", "cell": "A run of this notebook"}
SET_NUMBERS = ("temperature", "top_p", "seed", "max_completion_tokens")  # the fields each set form offers
SET_TEXTS: dict[str, str] = {"label": "", "base_url": "", "model": "", "more": ""}  # each set's text inputs and defaults
SET_INPUTS = (*SET_TEXTS, "backend", *SET_NUMBERS)


def _kept() -> dict[str, Any]:
    """The open notebook's set-up (`Notebook.compare`): each input the person changed from its default, by name."""
    return ss[keys.NOTEBOOK].compare


def _name(key: str) -> str:
    return key.removeprefix(f"{keys.CMP_PAGE}.")


def _fits(value: Any, default: Any, options: Sequence[Any] | None, number: type | None) -> bool:
    """Whether an input can show `value` (a notebook is untrusted: an imported one may hold anything)."""
    if options is not None:
        return value in options
    if number is not None:
        return value is None or (isinstance(value, int | float) and not isinstance(value, bool) and isinstance(value, number))
    return isinstance(value, type(default))


def _seed(key: str, default: Any, *, options: Sequence[Any] | None = None, number: type | None = None) -> None:
    """Give an input the value its notebook keeps for it (or `default`) before it is drawn: widget state is dropped on a
    page switch and starts empty in a new session. A kept value the input cannot show gives the default. `number`: the
    type a number box takes (float also takes a whole number)."""
    if key in ss:
        return
    value = _kept().get(_name(key), default)
    if number is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    ss[key] = value if _fits(value, default, options, number) else default


def current(key: str, default: Any = None) -> Any:
    """An input's value before it is drawn this run: its widget state, else what the notebook keeps for it."""
    return ss[key] if key in ss else _kept().get(_name(key), default)


def forget(key: str) -> None:
    """Empty an input (its widget state and what the notebook keeps for it)."""
    ss.pop(key, None)
    _kept().pop(_name(key), None)


def _keep(key: str, default: Any) -> Any:
    """Keep the input's value in the notebook (only when it differs from `default`: an untouched page adds nothing)."""
    if key not in ss:  # not drawn this run (e.g. a set's base URL under another backend): kept as it was
        return _kept().get(_name(key), default)
    value = ss[key]
    if value == default:
        _kept().pop(_name(key), None)
    else:
        _kept()[_name(key)] = value
    return value


def forget_widgets() -> None:
    """Drop the inputs' widget state (another notebook was opened), so each re-seeds from that notebook's set-up."""
    for key in (
        keys.CMP_SOURCE,
        keys.CMP_CELL,
        keys.CMP_PROMPT,
        keys.CMP_MODE,
        keys.CMP_SEEDS,
        keys.CMP_SWEEP_FIELD,
        keys.CMP_SWEEP_VALUES,
        keys.CMP_SET_COUNT,
        keys.CMP_REPEAT,
        *(keys.cmp_set(i, k) for i in range(compare.MAX_SETS) for k in SET_INPUTS),
    ):
        ss.pop(key, None)


def cell_label(cell: Cell) -> str:
    """A run as the select box lists it: when, the first words of what it answered, the model."""
    asked = next((m.content for m in reversed(cell.conversation) if m.role == "user" and m.content.strip()), "")
    words = " ".join(asked.split())
    words = (words[:40] + "…") if len(words) > 40 else words or "(no user message)"
    return f"{when(cell.created)} · “{words}” · {cell.model or cell.backend}"


def _field_errors(problem: errors.RequestError | None, path: str) -> None:
    error_view.show_field(problem, path, exact=True)


def _url_typed(i: int) -> None:
    """The person typed this set's base URL: that server is theirs to use, as one typed in the sidebar. One the
    notebook brought (an imported notebook may name any server) gets nothing until then (views/compare.py)."""
    sidebar.confirm_server(backends.server_slot("openai", ss.get(keys.cmp_set(i, "base_url"))))


def _set_form(i: int, problem: errors.RequestError | None, *, model_hint: str) -> SetInputs:
    letter = chr(ord("A") + i)
    with st.container(border=True):
        _seed(keys.cmp_set(i, "label"), "")
        label = st.text_input("Name", key=keys.cmp_set(i, "label"), placeholder=f"set {letter}")
        _field_errors(problem, f"sets.{i}.label")
        _seed(keys.cmp_set(i, "backend"), SAME, options=[SAME, *backends.BACKENDS])
        backend = st.selectbox(
            "Backend",
            [SAME, *backends.BACKENDS],
            key=keys.cmp_set(i, "backend"),
            format_func=lambda b: "Unchanged" if b == SAME else backends.BACKENDS[b].label,  # type: ignore[index]
        )
        _field_errors(problem, f"sets.{i}.backend")
        base_url = ""
        if backend == "openai":
            _seed(keys.cmp_set(i, "base_url"), "")
            base_url = st.text_input(
                "Base URL",
                key=keys.cmp_set(i, "base_url"),
                placeholder="http://127.0.0.1:8000/v1",
                on_change=_url_typed,
                args=(i,),
            )
            _field_errors(problem, f"sets.{i}.base_url")
        _seed(keys.cmp_set(i, "model"), "")
        model = st.text_input("Model", key=keys.cmp_set(i, "model"), placeholder=model_hint or "unchanged")
        _field_errors(problem, f"sets.{i}.model")
        numbers: dict[str, Any] = {}
        grid = st.columns(2)
        for n, key in enumerate(SET_NUMBERS):
            f = fields.FIELDS[key]
            wkey = keys.cmp_set(i, key)
            is_int = f.kind is fields.Kind.INT
            cast = int if is_int else float
            _seed(wkey, None, number=cast)
            with grid[n % 2]:
                # no min/max: the box would clamp; the bounds are checked as the sidebar's are (views.compare)
                numbers[key] = st.number_input(
                    f.label,
                    value=None,
                    step=cast(f.step) if f.step is not None else (1 if is_int else 0.1),
                    placeholder="unchanged",
                    key=wkey,
                )
                _field_errors(problem, f"sets.{i}.{key}")
        _seed(keys.cmp_set(i, "more"), "")
        more = st.text_area(
            "More fields (JSON)",
            key=keys.cmp_set(i, "more"),
            height=68,
            placeholder='{"frequency_penalty": 0.5}',
            help="Any other documented fields for this set, as a JSON object; null removes a field.",
        )
        for e in problem.errors if problem else []:
            if e.field.startswith(f"sets.{i}.") and e.field.split(".", 2)[2] not in (
                "label",
                "backend",
                "base_url",
                "model",
                *SET_NUMBERS,
            ):
                st.error(safe_inline(e.message), icon=":material/warning:")
    for key, default in {**SET_TEXTS, "backend": SAME, **dict.fromkeys(SET_NUMBERS)}.items():
        _keep(keys.cmp_set(i, key), default)
    return SetInputs(
        label=label.strip(), backend=backend, base_url=base_url.strip(), model=model.strip(), numbers=numbers, more=more
    )


def sweep_inputs(out: SetupInputs, problem: errors.RequestError | None) -> None:
    """The field to sweep and its values, into `out` (the Evaluate page draws them too: the same inputs); errors on
    "sweep" and on the swept field under them."""
    left, right = st.columns([1, 2])
    _seed(keys.CMP_SWEEP_FIELD, "temperature", options=compare.SWEEP_FIELDS)
    out.sweep_field = left.selectbox(
        "Field", list(compare.SWEEP_FIELDS), key=keys.CMP_SWEEP_FIELD, format_func=lambda k: fields.FIELDS[k].label
    )
    _keep(keys.CMP_SWEEP_FIELD, "temperature")
    f = fields.FIELDS[out.sweep_field]
    _seed(keys.CMP_SWEEP_VALUES, SWEEP_VALUES)
    with right:
        out.sweep_values = st.text_input(
            "Values",
            key=keys.CMP_SWEEP_VALUES,
            placeholder="0.2, 0.7, 1.2",
            help=f"{f.label} goes from {f.minimum:g} to {f.maximum:g}; one run per value.",
        )
        _keep(keys.CMP_SWEEP_VALUES, SWEEP_VALUES)
        _field_errors(problem, "sweep")
        _field_errors(problem, out.sweep_field)


def set_inputs(out: SetupInputs, problem: errors.RequestError | None, *, model_hint: str) -> None:
    """How many setting sets and a form for each, into `out` (the Evaluate page draws them too); errors on
    "settings_sets" and "sets.<i>.<field>" under their inputs."""
    counts = list(range(compare.MIN_SETS, compare.MAX_SETS + 1))
    _seed(keys.CMP_SET_COUNT, compare.MIN_SETS, options=counts)
    count = st.radio(
        "Sets",
        counts,
        key=keys.CMP_SET_COUNT,
        horizontal=True,
        help="Each set changes some fields of the base request; empty inputs keep it.",
    )
    _keep(keys.CMP_SET_COUNT, compare.MIN_SETS)
    _field_errors(problem, "settings_sets")
    with st.grid(count, min_column_width=CARD_WIDTH, gap="small"):  # the sets fill the row, as the run cards do
        for i in range(count):
            out.sets.append(_set_form(i, problem, model_hint=model_hint))


def setup(cells: Sequence[Cell], *, problem: errors.RequestError | None, model_hint: str) -> SetupInputs:
    """The set-up inputs; errors in `problem` (fields "seed", "sweep", a swept field, "repeat", "settings_sets",
    "sets.<i>.<field>", "cell", "prompt") are drawn under the input they belong to."""
    out = SetupInputs()
    if cells:
        _seed(keys.CMP_SOURCE, "conversation", options=list(SOURCES))
        out.source = st.radio("Start from", list(SOURCES), key=keys.CMP_SOURCE, format_func=SOURCES.__getitem__, horizontal=True)
        _keep(keys.CMP_SOURCE, "conversation")
    if out.source == "cell":
        ids = [c.id for c in reversed(cells)]
        by_id = {c.id: c for c in cells}
        if ss.get(keys.CMP_CELL) not in ids:
            ss[keys.CMP_CELL] = ids[0]
        out.cell_id = st.selectbox(
            "Run",
            ids,
            key=keys.CMP_CELL,
            format_func=lambda i: cell_label(by_id[i]),
            help="Each comparison sends exactly what this run sent, with one thing changed.",
        )
        _field_errors(problem, "cell")

    _seed(keys.CMP_MODE, "seeds", options=list(MODES))
    out.mode = st.radio("Compare", list(MODES), key=keys.CMP_MODE, format_func=MODES.__getitem__, horizontal=True)
    _keep(keys.CMP_MODE, "seeds")
    if out.mode == "seeds":
        _seed(keys.CMP_SEEDS, SEEDS)
        out.seeds = st.text_input(
            "Seeds",
            key=keys.CMP_SEEDS,
            placeholder="1, 2, 7 or 1-16",
            help=f"A list like 1, 2, 7 or a range like 1-16; at most {compare.MAX_RUNS} runs.",
        )
        _keep(keys.CMP_SEEDS, SEEDS)
        _field_errors(problem, "seed")
    elif out.mode == "sweep":
        sweep_inputs(out, problem)
    else:
        set_inputs(out, problem, model_hint=model_hint)
    _seed(keys.CMP_REPEAT, False)
    out.repeat = st.toggle(
        "Run each twice (reproducibility check)",
        key=keys.CMP_REPEAT,
        help="Sends every request twice and says, token for token, whether the answers matched.",
    )
    _keep(keys.CMP_REPEAT, False)
    _field_errors(problem, "repeat")
    return out


def prompt_input(problem: errors.RequestError | None) -> str:
    """A first message, for an empty conversation (it joins the notebook's conversation on Compare)."""
    st.info("The conversation is empty. Write the first message here, or on the Playground page.", icon=":material/chat:")
    _seed(keys.CMP_PROMPT, "")
    text = st.text_area("Message", key=keys.CMP_PROMPT, height=80, placeholder="Name a colour and say why you like it.")
    _keep(keys.CMP_PROMPT, "")
    _field_errors(problem, "messages")
    return text


def request_summary(body: Mapping[str, Any], *, where: str, left_out: int = 0) -> None:
    """What every run starts from: the last message, the settings that are set, and the whole body on demand.

    `left_out`: answers at the end of the conversation that the runs do not send (each run answers again)."""
    messages = body.get("messages") or []
    settings = {k: v for k, v in body.items() if k not in ("messages", "model", "tools", "response_format")}
    parts = [f"{len(messages)} message{'s' if len(messages) != 1 else ''}", str(body.get("model") or "no model"), where]
    parts += [f"{k} {json.dumps(v, ensure_ascii=False)}" for k, v in settings.items() if not isinstance(v, dict | list)]
    st.caption(plain(" · ".join(parts)))
    last = next((m for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), None)
    if last is not None and isinstance(last.get("content"), str):
        words = " ".join(last["content"].split())
        asked = (words[:120] + "…") if len(words) > 120 else words
        answer = "the last answer is left out, so every run answers" if left_out else "every run answers"
        st.caption(f":material/chat: {answer}: “{plain(asked)}”")
    with st.expander("Request body every run starts from", icon=":material/data_object:"):
        st.json(dict(body), expanded=2)
