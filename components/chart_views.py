"""The charts as the page draws them: the probability view and the usage view, with their controls and keys.

They draw the builders of components/charts.py with `st.vega_lite_chart` (the data goes to the browser as Arrow;
a click on a token comes back through `on_select`). Every widget key is built from the caller's `key_prefix`
(see `keys_for`), so a page can place several views side by side.

Token text is untrusted model output: it reaches the screen only as Vega text marks, select box options, `st.text`
and the list of the lowest tokens, whose Markdown labels are `text.plain` (nothing the text brings can format).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from components import response_view
from components.charts import (
    ALONG_POINTS,
    WINDOW_TOKENS,
    VegaChart,
    along_chart,
    alternatives_chart,
    percent,
    strip_chart,
    usage_chart,
)
from components.text import plain
from playground import analysis
from playground.analysis import LogprobSummary, LowToken, RunStats
from playground.response import Completion

__all__ = ["ViewKeys", "keys_for", "prepare", "probability_view", "usage_metrics", "usage_view", "window_start"]

# --------------------------------------------------------------------------------------------
# keys


@dataclass(frozen=True)
class ViewKeys:
    """Widget keys of one probability view (and its usage chart), all under the page's key_prefix."""

    prefix: str

    @property
    def choice(self) -> str:
        return f"{self.prefix}.choice"

    def strip(self, choice: int) -> str:
        """The container around the token strip (a stable CSS class `st-key-…` for browser tests)."""
        return f"{self.prefix}.c{choice}.strip"

    def strip_chart(self, choice: int, generation: int) -> str:
        """The strip chart itself; a new generation after each pick in the select box (see probability_view)."""
        return f"{self.prefix}.c{choice}.strip.chart{generation}"

    def strip_generation(self, choice: int) -> str:
        """Non-widget key: how many times the select box moved the choice away from the strip's own selection."""
        return f"{self.prefix}.c{choice}.strip.generation"

    def token(self, choice: int) -> str:
        """The select box of tokens (its value is the token's 0-based position)."""
        return f"{self.prefix}.c{choice}.token"

    def window(self, choice: int) -> str:
        """The slider of the tokens shown in the strip, for a long answer (its value is the window's first position)."""
        return f"{self.prefix}.c{choice}.window"

    def step(self, choice: int, direction: str) -> str:
        """The "previous" / "next" buttons beside the window slider."""
        return f"{self.prefix}.c{choice}.window.{direction}"

    def lowest(self, choice: int) -> str:
        """The list of the least likely tokens (picking one shows that token)."""
        return f"{self.prefix}.c{choice}.lowest"

    def download(self, chart: str, fmt: str) -> str:
        return f"{self.prefix}.download.{chart}.{fmt}"


def keys_for(key_prefix: str) -> ViewKeys:
    """The keys a view with this prefix uses, for tests and pages that address its widgets."""
    return ViewKeys(key_prefix)


# --------------------------------------------------------------------------------------------
# Streamlit views


def _draw(chart: VegaChart, **kwargs: Any) -> Any:
    """st.vega_lite_chart of a VegaChart: the spec as is, the data sent as Arrow."""
    return st.vega_lite_chart(chart.data, chart.spec, **kwargs)


def _downloads(chart: VegaChart, frame: pd.DataFrame, *, keys: ViewKeys, name: str, stem: str) -> None:
    """SVG, PNG and CSV buttons; the files are made only when clicked (vl-convert takes a while, and a long answer's
    CSV holds every token)."""

    def image(fmt: str) -> Callable[[], bytes]:
        return lambda: chart.image(fmt)

    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "SVG",
            image("svg"),
            file_name=f"{stem}.svg",
            mime="image/svg+xml",
            key=keys.download(name, "svg"),
            icon=":material/download:",
            on_click="ignore",
        )
        st.download_button(
            "PNG",
            image("png"),
            file_name=f"{stem}.png",
            mime="image/png",
            key=keys.download(name, "png"),
            icon=":material/download:",
            on_click="ignore",
        )
        st.download_button(
            "CSV",
            lambda: analysis.csv_bytes(frame),
            file_name=f"{stem}.csv",
            mime="text/csv",
            key=keys.download(name, "csv"),
            icon=":material/table:",
            on_click="ignore",
        )


def _renew_strip(generation_key: str) -> None:
    """Start a new strip chart, whose own selection is empty again.

    Called when the token is chosen some other way than a click on the strip (the select box, the window, the
    lowest tokens): otherwise the strip still holds the token clicked before, and clicking that token again would not
    count as a change, so nothing would happen.
    """
    st.session_state[generation_key] = st.session_state.get(generation_key, 0) + 1


def _on_strip_click(strip_key: str, token_key: str) -> None:
    """A click on the strip sets the select box, so both ways of choosing agree."""
    state = st.session_state.get(strip_key)
    points = (state or {}).get("selection", {}).get("token") or []
    if points and isinstance(points[0], dict) and "position" in points[0]:
        st.session_state[token_key] = int(points[0]["position"])


def window_start(position: int, size: int = WINDOW_TOKENS) -> int:
    """The first position of the window of `size` tokens holding `position`."""
    return position - position % size


def _step_window(window_key: str, generation_key: str, step: int, last: int) -> None:
    st.session_state[window_key] = min(max(st.session_state.get(window_key, 0) + step, 0), last)
    _renew_strip(generation_key)


def _on_lowest_pick(keys: ViewKeys, choice: int, size: int) -> None:
    """A pick among the lowest tokens shows that token, moving the strip's window to it."""
    position = st.session_state.get(keys.lowest(choice))
    if position is not None:
        st.session_state[keys.token(choice)] = position
        st.session_state[keys.window(choice)] = window_start(position, size)
        _renew_strip(keys.strip_generation(choice))


def _window(frame: pd.DataFrame, keys: ViewKeys, choice: int, selected: int, size: int) -> pd.DataFrame:
    """The part of a long answer the strip shows: `size` tokens, moved with a slider or previous / next.

    A short answer is shown whole, with no control. Opens on the window holding `selected`.
    """
    n = len(frame)
    if n <= size:
        return frame
    window_key, generation_key = keys.window(choice), keys.strip_generation(choice)
    starts = list(range(0, n, size))
    if st.session_state.get(window_key) not in starts:
        st.session_state[window_key] = window_start(selected, size)

    def label(start: int) -> str:
        return f"{start + 1:,}–{min(start + size, n):,}"

    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        st.button(
            "Previous",
            key=keys.step(choice, "previous"),
            icon=":material/chevron_left:",
            disabled=st.session_state[window_key] == 0,
            on_click=_step_window,
            args=(window_key, generation_key, -size, starts[-1]),
        )
        start = st.select_slider(
            f"Tokens shown (of {n:,})",
            starts,
            format_func=label,
            key=window_key,
            on_change=_renew_strip,
            args=(generation_key,),
            help=f"A long answer's strip shows {size} tokens at a time; the chart along the answer and the "
            "downloads cover all of it.",
        )
        st.button(
            "Next",
            key=keys.step(choice, "next"),
            icon=":material/chevron_right:",
            disabled=start == starts[-1],
            on_click=_step_window,
            args=(window_key, generation_key, size, starts[-1]),
        )
    return frame.iloc[start : start + size]


def _summary_metrics(s: LogprobSummary) -> None:
    row = response_view.metrics(4)
    row.metric(
        "Mean log-probability",
        f"{s.mean_logprob:.3f}" if s.mean_logprob is not None else "—",
        help="Natural log, averaged over the tokens with a finite logprob.",
    )
    row.metric(
        "Perplexity",
        f"{s.perplexity:.2f}" if s.perplexity is not None else "—",
        help="exp(−mean log-probability): 1 means the model was sure of every token.",
    )
    row.metric(  # a share: "9668 of 10000" did not fit a metric's width
        "Tokens below 50 %",
        f"{s.below_half / s.tokens:.0%}" if s.tokens else "—",
        help=f"{s.below_half:,} of the {s.tokens:,} chosen tokens had a probability under 50 %.",
    )
    row.metric(
        "Mean uncertainty",
        f"{s.mean_entropy_bits:.2f} bits" if s.mean_entropy_bits is not None else "—",
        help="How spread the model's choice was over the alternatives (0 bits: sure of every token). Technically the "
        "mean entropy of the top-k alternatives the API returned, renormalised over them: a lower bound on the model's "
        "uncertainty.",
    )
    if s.unscored_tokens:
        st.caption(f"{s.unscored_tokens} token(s) came without a finite logprob and are left out of the mean.")


def _token_label(frame: pd.DataFrame) -> Callable[[int], str]:
    tokens = frame["token"].tolist()
    probs = frame["probability"].tolist()
    return lambda p: f"{p} · {tokens[p]} · {percent(probs[p])}"


def _alternatives_text(alts: pd.DataFrame, position: int, token: str) -> str:
    """The alternatives as plain lines (shown with st.text: readable on screen and by tests, never Markdown)."""
    lines = [f"Alternatives at position {position} (chosen: {token})"]
    for row in alts.itertuples():
        rank = "–" if pd.isna(row.rank) else str(int(row.rank))
        lines.append(f"{rank:>2}. {row.token}  {percent(row.probability)}" + ("  ← chosen" if row.chosen else ""))
    return "\n".join(lines)


LOWEST_N = 8  # the least likely tokens listed under the view


def prepare(completion: Completion) -> None:
    """Compute what the probability view of `completion` needs first (its token frame and summary, kept per answer by
    `analysis.summary_of`), so the view opens without computing it. The page calls this after drawing the other tabs
    of the details, while the browser is still drawing them."""
    if choices := analysis.choices_with_logprobs(completion):
        analysis.summary_of(completion, choices[0], lowest_n=LOWEST_N)


def probability_view(
    completion: Completion,
    *,
    key_prefix: str,
    wrap: int = 80,
    lowest_n: int = LOWEST_N,
    window: int = WINDOW_TOKENS,
    read_only: bool = False,
    offer: Callable[[int, int], None] | None = None,
) -> int | None:
    """The probability view of one answer: summary, token strip, alternatives, along-the-answer chart, lowest tokens.

    n > 1: a radio picks the choice. An answer longer than `window` tokens shows that many in the strip and the
    select box at a time (`keys.window(choice)` moves them); the summary, the chart along the answer, the lowest
    tokens and the CSV downloads cover the whole answer. Returns the chosen token's position (None without logprobs).
    `read_only` (a shared view): the first choice, the alternatives at its least likely token, no token to pick.
    `offer(choice, position)` draws what can be done with the chosen token, under its alternatives (Continue from here).
    Widget keys: `keys_for(key_prefix)`; the select box of tokens is `keys_for(key_prefix).token(choice)`.
    """
    keys = keys_for(key_prefix)
    choices = analysis.choices_with_logprobs(completion)
    if not choices:
        st.info(analysis.NO_LOGPROBS, icon=":material/info:")
        return None
    choice = choices[0]
    if len(choices) > 1 and not read_only:
        choice = st.radio("Choice", choices, format_func=lambda i: f"Choice {i + 1}", horizontal=True, key=keys.choice)
    frame, s = analysis.summary_of(completion, choice, lowest_n=lowest_n)
    _summary_metrics(s)

    token_key, generation_key = keys.token(choice), keys.strip_generation(choice)
    if st.session_state.get(token_key) not in range(len(frame)):
        st.session_state[token_key] = s.lowest[0].position if s.lowest else 0
    shown = _window(frame, keys, choice, int(st.session_state[token_key]), window)
    positions = shown["position"].tolist()
    if st.session_state[token_key] not in positions:  # the window moved: start on its least likely token
        st.session_state[token_key] = int(shown.sort_values(["probability", "position"], kind="stable")["position"].iloc[0])
    selected = int(st.session_state[token_key])
    generation = st.session_state.get(generation_key, 0)
    strip_key = keys.strip_chart(choice, generation)

    strip = strip_chart(shown, selected=selected, wrap=wrap)
    with st.container(key=keys.strip(choice)):
        if read_only:
            _draw(strip, width="content")
        else:
            _draw(
                strip,
                key=strip_key,
                on_select=lambda: _on_strip_click(strip_key, token_key),
                selection_mode="token",
                width="content",
            )
    st.caption(
        (
            "The outlined token is the least likely one. "
            if read_only
            else "Click a token, or pick it below, to see the alternatives the model considered there. "
        )
        + "␣ is a space, ↵ a newline, <0x..> a byte that is only part of a character."
        + (" The images show the tokens above; the CSV holds every token." if len(shown) < len(frame) else "")
    )
    _downloads(strip, frame, keys=keys, name="strip", stem=f"tokens-choice{choice + 1}")

    if not read_only:
        selected = st.selectbox(
            "Token", positions, format_func=_token_label(frame), key=token_key, on_change=_renew_strip, args=(generation_key,)
        )
    alts = analysis.alternatives_frame(completion, selected, choice)
    if alts.empty:
        st.caption("No alternatives at this position: run with top_logprobs above 0 to see them.")
    else:
        chart = alternatives_chart(alts, title=f"Alternatives at position {selected}")
        st.text(_alternatives_text(alts, selected, str(frame["token"].iloc[selected])))
        _downloads(chart, alts, keys=keys, name="alternatives", stem=f"alternatives-choice{choice + 1}-pos{selected}")
    if offer is not None and not read_only:
        offer(choice, selected)

    shown_span = (positions[0], positions[-1]) if len(shown) < len(frame) else None
    along = along_chart(frame, selected=selected, shown=shown_span, max_points=ALONG_POINTS)
    per_point = -(-len(frame) // ALONG_POINTS)
    st.caption(
        "Along the answer: how likely each chosen token was, and how uncertain the model was among its alternatives "
        "(the dashed line)."
        + (
            f" The line is the mean of each {per_point} tokens in a row; the band reaches from the least to the most "
            "likely of them (hover for the figures)."
            if per_point > 1
            else ""
        )
        + (" The shaded part is what the strip shows." if shown_span else ""),
        help="The uncertainty is the entropy of the top-k alternatives the API returned, in bits.",
    )
    _draw(along, width="stretch")
    _downloads(along, frame, keys=keys, name="along", stem=f"along-choice{choice + 1}")

    if s.lowest:
        _lowest_list(s, keys, choice, selected, window, read_only)
    return selected


def _lowest_line(t: LowToken) -> str:
    preferred = (
        f" · the model preferred {t.best_alternative} ({percent(t.best_alternative_probability or 0.0)})"
        if t.best_alternative is not None
        else " · the most likely token there"
    )
    return f"position {t.position:,} · {t.token} · {percent(t.probability)} · logprob {t.logprob:.3f}{preferred}"


def _lowest_list(s: LogprobSummary, keys: ViewKeys, choice: int, selected: int, window: int, read_only: bool) -> None:
    """The least likely tokens of the whole answer, a line each; picking one shows it and moves the strip to it.

    A list of choices rather than a table: the data grid was the costliest element of the view for the browser."""
    st.caption(
        f"Lowest-confidence tokens (the {len(s.lowest)} least likely" + (")" if read_only else "; pick one to look at it)")
    )
    lines = {t.position: _lowest_line(t) for t in s.lowest}
    if read_only:
        st.text("\n".join(lines.values()))
        return
    key = keys.lowest(choice)
    st.session_state[key] = selected if selected in lines else None  # marked while it is the token looked at
    st.radio(
        "Lowest-confidence tokens",
        list(lines),
        format_func=lambda position: plain(lines[position]),
        key=key,
        on_change=_on_lowest_pick,
        args=(keys, choice, window),
        label_visibility="collapsed",
    )


def usage_metrics(rows: Sequence[RunStats]) -> None:
    """One run's usage and timing as metrics, and a table per choice when n > 1. No widgets.

    `rows`: that one run's RunStats (its row with choice None, plus its per-choice rows, e.g. `run_stats(...)`).
    """
    run = next((r for r in rows if r.choice is None), rows[0] if rows else None)
    if run is None:
        return

    def number(v: int | float | None, fmt: str) -> str:
        return "—" if v is None else format(v, fmt)

    frame = analysis.usage_frame([run])
    speed = frame["tokens_per_s"].iloc[0]
    row = response_view.metrics(7)
    row.metric("Input tokens", number(run.input_tokens, ","))
    row.metric("Output tokens", number(run.output_tokens, ","))
    row.metric("Cached tokens", number(run.cached_tokens, ","))
    row.metric("Reasoning tokens", number(run.reasoning_tokens, ","))
    row.metric("Time to first token", number(run.ttft_s, ".2f") + (" s" if run.ttft_s is not None else ""))
    row.metric("Total time", number(run.total_s, ".2f") + (" s" if run.total_s is not None else ""))
    row.metric(
        "Tokens/s",
        "—" if pd.isna(speed) else f"{speed:.1f}",
        help="Output tokens over the total time (end to end) unless the page measured it otherwise.",
    )
    per_choice = [r for r in rows if r.choice is not None]
    if per_choice:
        table = analysis.usage_frame(per_choice)[["choice", "output_tokens", "ttft_s", "total_s", "tokens_per_s"]]
        table["choice"] = table["choice"] + 1
        table = table.dropna(axis="columns", how="all")  # per-choice timings exist only when the page measured them
        st.dataframe(
            table,
            hide_index=True,
            width="content",
            column_config={
                "choice": st.column_config.NumberColumn("Choice"),
                "output_tokens": st.column_config.NumberColumn("Output tokens"),
                "ttft_s": st.column_config.NumberColumn("Time to first token (s)", format="%.2f"),
                "total_s": st.column_config.NumberColumn("Total time (s)", format="%.2f"),
                "tokens_per_s": st.column_config.NumberColumn("Tokens/s", format="%.1f"),
            },
        )


def usage_view(rows: Sequence[RunStats], *, key_prefix: str) -> None:
    """The usage and speed chart across runs (rows in the order to draw), with its downloads."""
    if not rows:
        st.caption("No runs yet: usage and speed appear here after a run.")
        return
    frame = analysis.usage_frame(rows)
    chart = usage_chart(frame)
    _draw(chart, width="content")
    _downloads(chart, frame, keys=keys_for(key_prefix), name="usage", stem="usage")
