"""The Compare page's drawing: the set-up inputs, the columns filling in while runs stream, and the reading.

Drawing only: no HTTP, no threads. The page (views/compare.py) turns what `setup` returns into variants and
runs them with `playground.compare`; everything read off a finished comparison comes from `compare.analyse`.

Model text is untrusted: it reaches the screen through `plain` (every Markdown character escaped, so no
link, image, LaTeX or directive can come out of it), `st.text`, `st.code`, data frames and Vega text marks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import streamlit as st

from components import charts
from components import errors as error_view
from components import state as keys
from components.cells import when
from components.text import plain, safe_inline, speed_words
from playground import analysis as probabilities
from playground import backends, compare, errors, fields
from playground.compare import Analysis, Comparison, Divergence, RunResult
from playground.notebook import Cell

ss = st.session_state

CARD_WIDTH = 240  # pixels: four answers side by side on a wide screen, one under another on a narrow one
Source = Literal["conversation", "cell"]
SetupMode = Literal["seeds", "sweep", "sets"]
MODES: dict[str, str] = {"seeds": "Seeds", "sweep": "Sweep one field", "sets": "Setting sets"}
SOURCES: dict[str, str] = {"conversation": "The conversation and the sidebar's settings", "cell": "A run of this notebook"}
SET_NUMBERS = ("temperature", "top_p", "seed", "max_completion_tokens")  # the fields each set form offers
SAME = ""  # a set's backend: the same as the comparison's

# --------------------------------------------------------------------------------------------
# untrusted text


def shown_token(token: str) -> str:
    """A token as it reads in a sentence: quoted, with its whitespace visible (' blue', '\\n')."""
    return repr(token)


# --------------------------------------------------------------------------------------------
# set-up


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


def _remembered() -> dict[str, Any]:
    return ss.setdefault(keys.CMP_REMEMBERED, {})


def _seed(key: str, default: Any) -> None:
    """Give an input its remembered value (or `default`) before it is drawn: widget state is dropped on a page switch."""
    if key not in ss:
        ss[key] = _remembered().get(key, default)


def current(key: str, default: Any = None) -> Any:
    """An input's value before it is drawn this run: its widget state, else what is remembered for it."""
    return ss[key] if key in ss else _remembered().get(key, default)


def forget(key: str) -> None:
    """Empty an input (its widget state and what is remembered for it)."""
    ss.pop(key, None)
    _remembered().pop(key, None)


def _keep(key: str) -> Any:
    value = ss.get(key)
    _remembered()[key] = value
    return value


def cell_label(cell: Cell) -> str:
    """A run as the select box lists it: when, the first words of what it answered, the model."""
    asked = next((m.content for m in reversed(cell.conversation) if m.role == "user" and m.content.strip()), "")
    words = " ".join(asked.split())
    words = (words[:40] + "…") if len(words) > 40 else words or "(no user message)"
    return f"{when(cell.created)} · “{words}” · {cell.model or cell.backend}"


def _field_errors(problem: errors.RequestError | None, path: str) -> None:
    error_view.show_field(problem, path, exact=True)


def _set_form(i: int, problem: errors.RequestError | None, *, model_hint: str) -> SetInputs:
    letter = chr(ord("A") + i)
    with st.container(border=True):
        _seed(keys.cmp_set(i, "label"), "")
        label = st.text_input("Name", key=keys.cmp_set(i, "label"), placeholder=f"set {letter}")
        _field_errors(problem, f"sets.{i}.label")
        _seed(keys.cmp_set(i, "backend"), SAME)
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
            base_url = st.text_input("Base URL", key=keys.cmp_set(i, "base_url"), placeholder="http://127.0.0.1:8000/v1")
            _field_errors(problem, f"sets.{i}.base_url")
        _seed(keys.cmp_set(i, "model"), "")
        model = st.text_input("Model", key=keys.cmp_set(i, "model"), placeholder=model_hint or "unchanged")
        _field_errors(problem, f"sets.{i}.model")
        numbers: dict[str, Any] = {}
        grid = st.columns(2)
        for n, key in enumerate(SET_NUMBERS):
            f = fields.FIELDS[key]
            wkey = keys.cmp_set(i, key)
            _seed(wkey, None)
            is_int = f.kind is fields.Kind.INT
            cast = int if is_int else float
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
    for key in ("label", "backend", "base_url", "model", *SET_NUMBERS, "more"):
        _keep(keys.cmp_set(i, key))
    return SetInputs(
        label=label.strip(), backend=backend, base_url=base_url.strip(), model=model.strip(), numbers=numbers, more=more
    )


def setup(cells: Sequence[Cell], *, problem: errors.RequestError | None, model_hint: str) -> SetupInputs:
    """The set-up inputs; errors in `problem` (fields "seed", "sweep", a swept field, "repeat", "settings_sets",
    "sets.<i>.<field>", "cell", "prompt") are drawn under the input they belong to."""
    out = SetupInputs()
    if cells:
        _seed(keys.CMP_SOURCE, "conversation")
        out.source = st.radio("Start from", list(SOURCES), key=keys.CMP_SOURCE, format_func=SOURCES.__getitem__, horizontal=True)
        _keep(keys.CMP_SOURCE)
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

    _seed(keys.CMP_MODE, "seeds")
    out.mode = st.radio("Compare", list(MODES), key=keys.CMP_MODE, format_func=MODES.__getitem__, horizontal=True)
    _keep(keys.CMP_MODE)
    if out.mode == "seeds":
        _seed(keys.CMP_SEEDS, "1, 2, 3")
        out.seeds = st.text_input(
            "Seeds",
            key=keys.CMP_SEEDS,
            placeholder="1, 2, 7 or 1-16",
            help=f"A list like 1, 2, 7 or a range like 1-16; at most {compare.MAX_RUNS} runs.",
        )
        _keep(keys.CMP_SEEDS)
        _field_errors(problem, "seed")
    elif out.mode == "sweep":
        left, right = st.columns([1, 2])
        _seed(keys.CMP_SWEEP_FIELD, "temperature")
        out.sweep_field = left.selectbox(
            "Field", list(compare.SWEEP_FIELDS), key=keys.CMP_SWEEP_FIELD, format_func=lambda k: fields.FIELDS[k].label
        )
        _keep(keys.CMP_SWEEP_FIELD)
        f = fields.FIELDS[out.sweep_field]
        _seed(keys.CMP_SWEEP_VALUES, "0.2, 0.7, 1.2")
        with right:
            out.sweep_values = st.text_input(
                "Values",
                key=keys.CMP_SWEEP_VALUES,
                placeholder="0.2, 0.7, 1.2",
                help=f"{f.label} goes from {f.minimum:g} to {f.maximum:g}; one run per value.",
            )
            _keep(keys.CMP_SWEEP_VALUES)
            _field_errors(problem, "sweep")
            _field_errors(problem, out.sweep_field)
    else:
        _seed(keys.CMP_SET_COUNT, compare.MIN_SETS)
        count = st.radio(
            "Sets",
            list(range(compare.MIN_SETS, compare.MAX_SETS + 1)),
            key=keys.CMP_SET_COUNT,
            horizontal=True,
            help="Each set changes some fields of the base request; empty inputs keep it.",
        )
        _keep(keys.CMP_SET_COUNT)
        _field_errors(problem, "settings_sets")
        with st.container(horizontal=True, gap="small"):
            for i in range(count):
                with st.container(width=CARD_WIDTH):
                    out.sets.append(_set_form(i, problem, model_hint=model_hint))
    _seed(keys.CMP_REPEAT, False)
    out.repeat = st.toggle(
        "Run each twice (reproducibility check)",
        key=keys.CMP_REPEAT,
        help="Sends every request twice and says, token for token, whether the answers matched.",
    )
    _keep(keys.CMP_REPEAT)
    _field_errors(problem, "repeat")
    return out


def prompt_input(problem: errors.RequestError | None) -> str:
    """A first message, for an empty conversation (it joins the notebook's conversation on Compare)."""
    st.info("The conversation is empty. Write the first message here, or on the Playground page.", icon=":material/chat:")
    _seed(keys.CMP_PROMPT, "")
    text = st.text_area("Message", key=keys.CMP_PROMPT, height=80, placeholder="Name a colour and say why you like it.")
    _keep(keys.CMP_PROMPT)
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


# --------------------------------------------------------------------------------------------
# describing a comparison


def describe(c: Comparison) -> str:
    """ "seeds 1, 2, 3 · each twice", "temperature 0.2, 0.7", "set A vs set B" — what varies."""
    firsts = [v for v in c.variants if v.attempt == 1]
    parts: list[str] = []
    sets = list(dict.fromkeys(v.set_label for v in firsts if v.set_label))
    if sets:
        parts.append(" vs ".join(sets))
    sweep = next((v.sweep_field for v in firsts if v.sweep_field), None)
    if sweep:
        values = list(dict.fromkeys(v.sweep_value for v in firsts if v.sweep_value is not None))
        parts.append(f"{sweep} " + ", ".join(f"{x:g}" for x in values))
    seeds = list(dict.fromkeys(v.seed for v in firsts if v.seed is not None))
    if seeds:
        parts.append(("seed " if len(seeds) == 1 else "seeds ") + ", ".join(map(str, seeds)))
    if not parts:
        parts.append("the same request")
    repeats = max((v.attempt for v in c.variants), default=1)
    if repeats > 1:
        parts.append("each twice" if repeats == 2 else f"each {repeats} times")
    return " · ".join(parts)


def option_label(c: Comparison) -> str:
    """A comparison in the select box of this notebook's comparisons."""
    local = c.created.astimezone()
    done = sum(r.status == "done" for r in c.results)
    runs = f"{done} of {len(c.results)} runs" if done != len(c.results) else f"{len(c.results)} runs"
    return f"{when(local.timestamp())} · {describe(c)} · {runs}"


def _metrics_line(r: RunResult) -> str:
    tokens = f"{r.usage.output_tokens} tokens" if r.usage is not None else ""
    return " · ".join(p for p in (tokens, speed_words(r.ttft_s, r.total_s, r.tokens_per_s)) if p)


# --------------------------------------------------------------------------------------------
# one column


def _unit(a: Analysis | None) -> str:
    return "token" if a is not None and a.tokens == "logprobs" else "word"


def marked_answer(text: str, d: Divergence) -> str:
    """The answer with the token where it diverges highlighted, as escaped Markdown. The token's leading
    whitespace stays plain text (a line break stays a line break); a token of whitespace only is drawn as
    ␣ and ↵ so the highlight has something to show."""
    p = d.point
    assert p is not None
    before = text[: p.char]
    if p.token is None:  # the text ends where the other goes on
        return plain(before) + " :orange-background[⟂ ends here]"
    after = text[p.char + len(p.token) :]
    core = p.token.lstrip()
    lead = p.token[: len(p.token) - len(core)]
    if core:
        shown = plain(core.replace("\n", "↵"))
        tail = "  \n" if core.endswith("\n") else ""
    else:
        shown = "".join("↵" if ch == "\n" else "␣" for ch in lead)
        lead, tail = "", "  \n" if lead.endswith("\n") else ""
    return plain(before + lead) + f":orange-background[{shown}]" + tail + plain(after)


def divergence_words(c: Comparison, a: Analysis, index: int) -> str | None:
    """ "Diverges at token 5: ' blue' (seed 2 has ' red')", or None when no other answer differs from it."""
    d = a.divergence.get(index)
    if d is None or not d.diverges or d.point is None:
        return None
    unit = _unit(a)
    p, other = d.point, d.other
    closest = c.results[d.closest].label if d.closest is not None else "another run"
    if p.token is None:
        said = f"Ends after {unit} {p.token_index}"
        if other is not None and other.token is not None:
            said += f", where {closest} goes on with {shown_token(other.token)}"
        return said
    said = f"Diverges at {unit} {p.token_index + 1}: {shown_token(p.token)}"
    if other is not None:
        said += f" ({closest} has {shown_token(other.token)})" if other.token is not None else f" ({closest} ends there)"
    return said


def _group_words(c: Comparison, a: Analysis, index: int) -> str | None:
    number = a.group_of.get(index)
    group = next((g for g in a.groups if g.number == number), None)
    if group is None or group.count < 2:
        return None
    others = [c.results[m].label for m in group.members if m != index]
    return f"Identical to {', '.join(others)}"


def set_words(c: Comparison, index: int) -> str:
    """What a setting set changes, for its result card: "Temperature 1.4, Model smollm2" ("" when not a set)."""
    v = c.variants[index] if index < len(c.variants) else None
    if v is None or v.set_label is None:
        return ""
    parts = []
    if v.backend and v.backend in backends.BACKENDS:
        parts.append(backends.BACKENDS[v.backend].label)  # type: ignore[index]
    for key, value in v.changes.items():
        if key == v.sweep_field or (key == "seed" and v.seed is not None) or c.base_body.get(key) == value:
            continue  # already in the label, or not a difference
        name = fields.FIELDS[key].label if key in fields.FIELDS else key.replace("_", " ").capitalize()
        shown = "default" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{name} {shown}")
    return ", ".join(parts) or "the same settings as the others"


def run_column(c: Comparison, r: RunResult, a: Analysis | None) -> None:
    """One run: its label (and what its set changes), status and figures, and its answer (with the divergence
    marked once finished)."""
    with st.container(border=True, key=keys.cmp_run(r.index)):
        changes = set_words(c, r.index)
        st.markdown(f"**{plain(r.label)}**" + (f" · {plain(changes)}" if changes else ""))
        if r.status == "pending":
            st.caption(":material/hourglass_top: waiting for a free slot")
            return
        if r.status == "running":
            st.caption(
                f":material/progress_activity: streaming… {len(r.text)} characters"
                if r.text
                else ":material/progress_activity: waiting for the first token"
            )
            st.markdown(plain(r.text) + " ▌" if r.text else "…")
            return
        line = _metrics_line(r)
        if line:
            st.caption(line)
        if r.status == "error":
            st.error(plain(r.error or "This run failed."), icon=":material/error:")
            if r.text:
                st.markdown(plain(r.text))
            return
        if r.status == "cancelled":
            if r.total_s is None:
                st.warning("Cancelled before it started.", icon=":material/pause:")
                return
            st.warning(
                "Cancelled; the text received is kept." if r.text else "Cancelled before the first token.",
                icon=":material/pause:",
            )
            if not r.text:
                return
        d = a.divergence.get(r.index) if a is not None else None
        words = divergence_words(c, a, r.index) if a is not None else None
        group = _group_words(c, a, r.index) if a is not None else None
        if group:
            st.caption(f":material/content_copy: {plain(group)}")
        if words and d is not None:
            st.caption(f":material/call_split: {plain(words)}")
            st.markdown(marked_answer(r.text, d))
        elif r.text:
            st.markdown(plain(r.text))
        else:
            st.caption("(no text)")
        if r.thinking:
            with st.popover("Thinking", icon=":material/psychology:"):
                st.text(r.thinking)


def columns(c: Comparison, a: Analysis | None) -> None:
    """Every run as a card of at least CARD_WIDTH pixels, side by side as far as the page is wide, wrapping
    onto further rows (fixed columns squeezed four answers into a few words each on a narrow screen)."""
    with st.container(horizontal=True, gap="small"):
        for r in c.results:
            with st.container(width=CARD_WIDTH):
                run_column(c, r, a)


# --------------------------------------------------------------------------------------------
# while it runs


def running(c: Comparison, *, on_cancel: Callable[[], None]) -> None:
    """Progress, Cancel, and the columns as they fill in."""
    finished = c.finished_count
    with st.container(horizontal=True, vertical_alignment="center"):
        st.progress(c.progress, text=f"{finished} of {len(c.results)} runs finished · {plain(describe(c))}")
        st.button(
            "Cancel",
            key=keys.CMP_CANCEL,
            on_click=on_cancel,
            icon=":material/cancel:",
            help="Stop the runs still going; what finished is kept",
        )
    columns(c, None)


# --------------------------------------------------------------------------------------------
# reading a finished comparison


def _summary(c: Comparison, a: Analysis) -> None:
    done = len(a.compared)
    failed = sum(r.status == "error" for r in c.results)
    cancelled = sum(r.status == "cancelled" for r in c.results)
    parts = [f"**{plain(a.summary)}**"]
    if failed:
        parts.append(f"{failed} failed")
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    if done > 1:
        parts.append("compared by the model's tokens" if a.tokens == "logprobs" else "compared word by word")
    if c.wall_s is not None:
        busy = sum(r.total_s or 0.0 for r in c.results)
        parts.append(f"{c.wall_s:.1f} s on the clock for {busy:.1f} s of runs")
    st.markdown(" · ".join(parts))
    for g in a.groups:
        if g.count > 1 and g.count < done:
            names = ", ".join(c.results[m].label for m in g.members)
            st.caption(plain(f"{g.count} identical: {names}"))


def _reproducibility(c: Comparison, a: Analysis) -> None:
    checks = a.reproducibility
    if not checks:
        return
    st.subheader("Reproducibility", divider="gray")
    verdict = compare.reproducibility_summary(checks).split(";")[0]  # where each differed is said below, by its unit
    if all(ch.matched for ch in checks):
        st.success(plain(f"Reproducible: {verdict}."), icon=":material/check_circle:")
    else:
        st.warning(plain(f"Not reproducible: {verdict}."), icon=":material/difference:")
    unit = _unit(a)
    for ch in checks:
        first, again = ch.labels
        if ch.matched:
            line = f"{again} matched {first} token for token."
        else:
            diff = ch.difference
            line = f"{again} differed from {first}"
            if diff is not None and diff.b is not None:
                line += f" at {unit} {diff.b.token_index + 1}: "
                line += shown_token(diff.b.token) if diff.b.token is not None else "(it ended)"
                line += " vs " + (shown_token(diff.a.token) if diff.a is not None and diff.a.token is not None else "(it ended)")
            line += "."
        if ch.fingerprint_changed:
            line += f" The system_fingerprint changed ({ch.fingerprints[0]} → {ch.fingerprints[1]})."
        st.text(line)
    st.caption(plain(compare.SEED_NOTE))


def _table(c: Comparison, a: Analysis) -> None:
    rows = []
    for r in c.results:
        d = a.divergence.get(r.index)
        rows.append(
            {
                "run": r.label,
                "status": r.status,
                "group": a.group_of.get(r.index),
                "input_tokens": r.usage.input_tokens if r.usage else None,
                "output_tokens": r.usage.output_tokens if r.usage else None,
                "ttft_s": r.ttft_s,
                "total_s": r.total_s,
                "tokens_per_s": r.tokens_per_s,
                "similarity": a.similarity_to_first.get(r.index),
                "diverges_at": str(d.point.token_index + 1) if d is not None and d.point is not None else "—",
                "fingerprint": r.system_fingerprint,
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "run": st.column_config.TextColumn("Run"),
            "status": st.column_config.TextColumn("Status"),
            "group": st.column_config.NumberColumn("Group", help="Runs with the same number gave identical answers"),
            "input_tokens": st.column_config.NumberColumn("Input tokens"),
            "output_tokens": st.column_config.NumberColumn("Output tokens"),
            "ttft_s": st.column_config.NumberColumn("First token (s)", format="%.2f"),
            "total_s": st.column_config.NumberColumn("Total (s)", format="%.2f"),
            "tokens_per_s": st.column_config.NumberColumn("Tokens/s", format="%.1f"),
            "similarity": st.column_config.NumberColumn("Similar to the first", format="percent"),
            "diverges_at": st.column_config.TextColumn(f"Diverges at {_unit(a)}", help="— : no other answer differs from it"),
            "fingerprint": st.column_config.TextColumn("system_fingerprint"),
        },
    )


def _similarity(c: Comparison, a: Analysis) -> None:
    if len(a.compared) < 2:
        return
    labels = [c.results[i].label for i in a.compared]
    frame = pd.DataFrame([[a.similarity[i][j] for j in a.compared] for i in a.compared], index=labels, columns=labels)
    st.caption(
        f"How much of each pair's {_unit(a)}s line up (1 = identical, 0 = nothing in common).",
        help="Python difflib's SequenceMatcher ratio: twice the matching length over the total length of both.",
    )
    st.dataframe(frame, width="content", column_config={name: st.column_config.NumberColumn(format="%.2f") for name in labels})


def _strips(c: Comparison, a: Analysis) -> None:
    with_logprobs = [r for r in c.results if r.completion is not None and probabilities.choices_with_logprobs(r.completion)]
    if not with_logprobs:
        return
    if not st.toggle(
        "Probability strips",
        key=keys.CMP_STRIPS,
        help="Each answer's tokens coloured by how likely the model found them; the divergence is outlined.",
    ):
        return
    for r in with_logprobs:
        assert r.completion is not None
        d = a.divergence.get(r.index)
        marked = d.point.token_index if a.tokens == "logprobs" and d is not None and d.point is not None else None
        st.caption(plain(r.label + (f" · outlined: {_unit(a)} {marked + 1}, where it diverges" if marked is not None else "")))
        frame = probabilities.token_frame(r.completion)
        chart = charts.strip_chart(frame, selected=marked, wrap=100)
        st.vega_lite_chart(chart.data, chart.spec, width="content")
    by_index = {r.index: r for r in with_logprobs}
    chosen = st.selectbox("Look closer at", list(by_index), key=keys.CMP_CLOSER, format_func=lambda i: by_index[i].label)
    completion = by_index[chosen].completion
    assert completion is not None
    charts.probability_view(completion, key_prefix=keys.cmp_probabilities(c.id, chosen))


def reading(c: Comparison) -> Analysis:
    """A finished (or cancelled) comparison: summary, the answers side by side with where they diverge,
    reproducibility, the table, similarity, probability strips on demand, and the CSV."""
    memo = ss.get(keys.CMP_ANALYSIS)
    if memo is not None and memo[0] == c.id:
        a = memo[1]
    else:  # a saved comparison never changes: analyse it once per session, not on every rerun
        a = compare.analyse(c)
        ss[keys.CMP_ANALYSIS] = (c.id, a)
    _summary(c, a)
    columns(c, a)
    _reproducibility(c, a)
    st.subheader("Runs", divider="gray")
    _table(c, a)
    _similarity(c, a)
    _strips(c, a)
    st.download_button(
        "Download CSV",
        lambda: compare.to_csv(c),  # built on click: it analyses every run again
        file_name=f"comparison-{c.id}.csv",
        mime="text/csv",
        key=keys.CMP_CSV,
        icon=":material/download:",
        on_click="ignore",
    )
    return a
