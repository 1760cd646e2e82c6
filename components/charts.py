"""Charts of an answer's token probabilities and of usage across runs, with their Streamlit pieces.

Two kinds of functions:
- chart builders (`strip_chart`, `alternatives_chart`, `along_chart`, `usage_chart`, `strip_layout`) take
  analysis frames and return a `VegaChart`: a Vega-Lite spec authored with Altair once per process, plus
  the data frame it draws. They never touch Streamlit, so the bench and tests time them alone;
- views (`probability_view`, `usage_metrics`, `usage_view`) draw with `st.vega_lite_chart` (the data goes to
  the browser as Arrow; a click on a token comes back through `on_select`). Every widget key is built from the
  caller's `key_prefix` (see `keys_for`), so a page can place several views side by side.

Token text is untrusted model output: it reaches the screen only as Vega text marks, select box options,
`st.text` and data frames, never through Markdown or HTML.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
import vl_convert as vlc

from playground import analysis
from playground.analysis import LogprobSummary, RunStats
from playground.response import Completion

__all__ = [
    "VegaChart",
    "ViewKeys",
    "along_chart",
    "alternatives_chart",
    "keys_for",
    "probability_view",
    "strip_chart",
    "strip_layout",
    "usage_chart",
    "usage_metrics",
    "usage_view",
]

# One accessible, perceptually even colour scale (readable in greyscale and by colour-blind people) for
# every "probability of the chosen token": dark purple = unlikely, yellow = certain.
SCHEME = "viridis"
DARK_BELOW = 0.45  # viridis is dark under this probability: text on it is white, black above
CHOSEN_COLOUR = "#d95f02"
OTHER_COLOUR = "#9e9e9e"
FONT_PX = 13
# a family list, not the bare generic: vl-convert's exports fall back to a serif font for "monospace" with ␣ in it
MONO_FONT = "Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace"
CHAR_PX = FONT_PX * 0.6  # width of one monospace character (0.6 em in common monospace fonts)
PAD_PX = 3  # inside each token box, either side
GAP_PX = 2  # between token boxes
ROW_PX = 22
WINDOW_TOKENS = 500  # tokens the strip shows at a time: a long answer is paged through
ALONG_POINTS = 500  # points of the chart along the answer at most: a longer answer is drawn as means


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

    def lowest(self, choice: int, generation: int) -> str:
        """The table of the least likely tokens (a click on a row picks that token); renewed with the strip chart."""
        return f"{self.prefix}.c{choice}.lowest{generation}"

    def download(self, chart: str, fmt: str) -> str:
        return f"{self.prefix}.download.{chart}.{fmt}"


def keys_for(key_prefix: str) -> ViewKeys:
    """The keys a view with this prefix uses, for tests and pages that address its widgets."""
    return ViewKeys(key_prefix)


# --------------------------------------------------------------------------------------------
# chart builders (no Streamlit)


def _pct(p: float) -> str:
    """A probability as a percentage that stays informative for tiny values (0.049 %, not 0.0 %)."""
    if pd.isna(p):
        return "—"
    if 0 < p < 0.001:  # two significant digits, never an exponent ("0.0000012%", not "1.2e-06%")
        return np.format_float_positional(p * 100, precision=2, unique=False, fractional=False, trim="-") + "%"
    return f"{p:.1%}"


def _width(text: str) -> int:
    """Monospace columns a text takes: East Asian wide characters and emoji take two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 0 if unicodedata.combining(ch) else 1 for ch in text)


def strip_layout(frame: pd.DataFrame, wrap: int = 80) -> pd.DataFrame:
    """The token frame with pixel boxes (x0, x1, y0, y1, yc) laying tokens out as wrapped lines of text.

    A line holds about `wrap` characters; a token holding a newline ends its line, as in the answer.
    """
    limit = wrap * CHAR_PX
    x = 0.0
    row = 0
    xs0: list[float] = []
    xs1: list[float] = []
    rows: list[int] = []
    for token, raw in zip(frame["token"].tolist(), frame["text"].tolist(), strict=True):
        w = _width(token) * CHAR_PX + 2 * PAD_PX
        if x > 0 and x + w > limit:
            row, x = row + 1, 0.0
        xs0.append(x)
        xs1.append(x + w)
        rows.append(row)
        x += w + GAP_PX
        if "\n" in raw:
            row, x = row + 1, 0.0
    out = frame.copy()
    out["x0"] = xs0
    out["x1"] = xs1
    out["y0"] = [r * ROW_PX for r in rows]
    out["y1"] = [r * ROW_PX + ROW_PX - GAP_PX for r in rows]
    out["yc"] = [r * ROW_PX + (ROW_PX - GAP_PX) / 2 for r in rows]
    return out


# the Vega-Lite version Altair writes specs for, as vl-convert names it ("v6.4.1" -> "v6_4")
_VL_VERSION = "v" + "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


@dataclass(frozen=True)
class VegaChart:
    """A chart as Streamlit draws it: a Vega-Lite spec without data, and the data frame beside it.

    The specs are authored with Altair once per process (`_template_*`, cached): Altair validates every
    encoding against the Vega-Lite schema, ~100-200 ms per chart here, far too slow to redo on each rerun.
    What changes per answer (the tokens, the selected one, sizes) lives in the data, so the page only pays
    for the frame; Streamlit sends it as Arrow. `to_dict()` inlines the data for export and tests.
    """

    spec: dict[str, Any]
    data: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        values = json.loads(self.data.to_json(orient="records", force_ascii=False))
        return {**self.spec, "data": {"values": values}}

    def image(self, fmt: str) -> bytes:
        """The chart as "svg" or "png" bytes, rendered offline by vl-convert."""
        if fmt == "svg":
            return vlc.vegalite_to_svg(self.to_dict(), vl_version=_VL_VERSION).encode("utf-8")
        if fmt == "png":
            return bytes(vlc.vegalite_to_png(self.to_dict(), vl_version=_VL_VERSION, scale=2))
        raise ValueError(f"unknown image format {fmt!r}")


def _without_data(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with Altair's placeholder data ({"name": "empty"}) removed at every level, so views inherit ours."""
    out = {k: v for k, v in spec.items() if k not in ("data", "datasets")}
    for key in ("layer", "vconcat", "hconcat", "concat"):
        if isinstance(out.get(key), list):
            out[key] = [_without_data(child) if isinstance(child, dict) else child for child in out[key]]
    if isinstance(out.get("spec"), dict):
        out["spec"] = _without_data(out["spec"])
    return out


def _spec(chart: alt.TopLevelMixin, autosize: str = "pad") -> dict[str, Any]:
    """An Altair chart built without data as a reusable Vega-Lite spec (no data, no Altair theme sizes).

    `autosize` is set because Streamlit otherwise picks "fit", which squeezes the plot of a chart with a
    title and a legend into its width and height (the token strip became a blank line).
    """
    spec = _without_data(chart.to_dict())
    spec["autosize"] = {"type": autosize, "contains": "padding"}
    view = spec.get("config", {}).get("view", {})
    view.pop("continuousWidth", None)
    view.pop("continuousHeight", None)
    return spec


_TOKEN_TOOLTIP = [
    alt.Tooltip("position:Q", title="position"),
    alt.Tooltip("token:N", title="token"),
    alt.Tooltip("probability:Q", title="probability", format=".1%"),
    alt.Tooltip("logprob:Q", title="logprob", format=".3f"),
    alt.Tooltip("rank:Q", title="rank among alternatives"),
    alt.Tooltip("entropy_bits:Q", title="uncertainty (bits; entropy of the alternatives)", format=".2f"),
]

_STRIP_COLUMNS = ["position", "token", "probability", "logprob", "rank", "entropy_bits", "x0", "x1", "y0", "y1", "yc"]


@functools.cache
def _template_strip() -> dict[str, Any]:
    pick = alt.selection_point(name="token", fields=["position"], on="click", clear="dblclick")
    base = alt.Chart().encode(tooltip=_TOKEN_TOOLTIP)
    boxes = (
        base.mark_rect(cornerRadius=3, cursor="pointer")
        .encode(
            x=alt.X("x0:Q", scale=None, axis=None),
            x2="x1:Q",
            y=alt.Y("y0:Q", scale=None, axis=None),
            y2="y1:Q",
            color=alt.Color(
                "probability:Q",
                scale=alt.Scale(scheme=SCHEME, domain=[0, 1]),
                legend=alt.Legend(
                    title="Probability of the chosen token",
                    titleLimit=400,
                    format="%",
                    orient="top",
                    direction="horizontal",
                    gradientLength=240,
                ),
            ),
            stroke=alt.condition("datum.selected", alt.value("#e8175d"), alt.value(None)),
            strokeWidth=alt.condition("datum.selected", alt.value(3), alt.value(0)),
        )
        .add_params(pick)
    )
    text = base.mark_text(align="left", baseline="middle", font=MONO_FONT, fontSize=FONT_PX, dx=PAD_PX, cursor="pointer").encode(
        x=alt.X("x0:Q", scale=None, axis=None),
        y=alt.Y("yc:Q", scale=None, axis=None),
        text="token:N",
        color=alt.condition(f"datum.probability < {DARK_BELOW}", alt.value("white"), alt.value("black")),
    )
    chart = alt.layer(boxes, text).properties(width=200, height=ROW_PX, title="Tokens by probability")
    return _spec(chart.configure_view(strokeWidth=0))


def strip_chart(frame: pd.DataFrame, *, selected: int | None = None, wrap: int = 80) -> VegaChart:
    """The answer as boxes of tokens coloured by probability, with a legend; a click selects a token.

    The selection parameter is named "token" and holds the clicked token's `position`; `selected` is outlined.
    """
    data = strip_layout(frame, wrap)[_STRIP_COLUMNS].astype({"rank": "float64"})
    data["selected"] = data["position"] == (-1 if selected is None else selected)
    rows = int(data["y1"].max() // ROW_PX) + 1 if len(data) else 1
    width = max(int(data["x1"].max()) + 1 if len(data) else 0, 200)
    return VegaChart({**_template_strip(), "width": width, "height": rows * ROW_PX}, data)


@functools.cache
def _template_alternatives() -> dict[str, Any]:
    base = alt.Chart().encode(
        y=alt.Y(
            "label:N",
            sort=alt.EncodingSortField("order", order="ascending"),
            title=None,
            axis=alt.Axis(labelFont=MONO_FONT, labelLimit=240),
        ),
        tooltip=[
            alt.Tooltip("token:N"),
            alt.Tooltip("probability:Q", format=".2%"),
            alt.Tooltip("logprob:Q", format=".3f"),
            alt.Tooltip("chosen:N"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="probability"),
        color=alt.Color(
            "kind:N",
            scale=alt.Scale(domain=["chosen", "alternative"], range=[CHOSEN_COLOUR, OTHER_COLOUR]),
            legend=alt.Legend(title=None, orient="bottom"),
        ),
    )
    notes = base.mark_text(align="left", dx=4).encode(x="probability:Q", text="note:N")
    return _spec(alt.layer(bars, notes).properties(width=360, height=alt.Step(22), title="Alternatives"))


def alternatives_chart(frame: pd.DataFrame, *, title: str = "Alternatives at this position") -> VegaChart:
    """Bars of the alternatives' probabilities, most likely on top, the chosen one in its own colour and labelled."""
    data = frame[["rank", "token", "probability", "logprob", "chosen"]].copy()
    data["rank"] = data["rank"].astype("float64")
    data["order"] = range(len(data))
    data["label"] = [f"{'–' if pd.isna(r) else int(r)} · {t}" for r, t in zip(data["rank"], data["token"], strict=True)]
    data["note"] = [_pct(p) + ("  ← chosen" if c else "") for p, c in zip(data["probability"], data["chosen"], strict=True)]
    data["kind"] = ["chosen" if c else "alternative" for c in data["chosen"]]
    return VegaChart({**_template_alternatives(), "title": title}, data)


@functools.cache
def _template_along(points: bool) -> dict[str, Any]:
    colour = alt.Color(
        "measure:N",
        scale=alt.Scale(domain=["probability", "uncertainty (bits)"], range=["#3b528b", CHOSEN_COLOUR]),
        legend=alt.Legend(title=None, orient="top"),
    )
    x = alt.X("position:Q", title="token position", axis=alt.Axis(tickMinStep=1))
    tooltip = [alt.Tooltip("position:Q"), alt.Tooltip("token:N"), alt.Tooltip("measure:N"), alt.Tooltip("value:Q", format=".3f")]
    prob = (
        alt.Chart()
        .transform_filter("datum.measure == 'probability'")
        .mark_line(point=points)
        .encode(
            x=x,
            y=alt.Y("value:Q", title="probability", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=colour,
            tooltip=tooltip,
        )
    )
    entropy = (
        alt.Chart()
        .transform_filter("datum.measure == 'uncertainty (bits)'")
        .mark_line(strokeDash=[4, 2])
        .encode(
            x=x,
            y=alt.Y("value:Q", title="uncertainty (bits)", scale=alt.Scale(zero=True), axis=alt.Axis(orient="right")),
            color=colour,
            tooltip=tooltip,
        )
    )
    rule = (
        alt.Chart()
        .transform_filter("datum.selected && datum.measure == 'probability'")
        .mark_rule(color="#e8175d", strokeWidth=2)
        .encode(x="position:Q")
    )
    band = (  # the tokens the strip shows, for a long answer
        alt.Chart()
        .transform_filter("datum.measure == 'shown in the strip'")
        .mark_rect(color="#e8175d", opacity=0.12)
        .encode(x="position:Q", x2="end:Q")
    )
    chart = alt.layer(band, prob, entropy, rule).resolve_scale(y="independent")
    return _spec(chart.properties(width=640, height=200, title="Along the answer"), autosize="fit-x")


def along_chart(
    frame: pd.DataFrame,
    *,
    selected: int | None = None,
    shown: tuple[int, int] | None = None,
    max_points: int | None = None,
) -> VegaChart:
    """Probability of each chosen token (left axis) and the uncertainty among its alternatives (entropy of the top-k,
    in bits; right axis) along the answer.

    `shown` (first, last position) shades the tokens the strip shows. An answer of more than `max_points` tokens is
    drawn as the means over runs of consecutive tokens (each point starts at its run's first position), so a
    long answer stays one light chart.
    """
    data = frame[["position", "token", "probability", "entropy_bits"]].rename(columns={"entropy_bits": "uncertainty (bits)"})
    data["end"] = data["position"]
    if max_points is not None and len(data) > max_points:
        size = -(-len(data) // max_points)
        groups = data.groupby(data["position"] // size, sort=True)
        data = groups.agg({"position": "min", "end": "max", "probability": "mean", "uncertainty (bits)": "mean"})
        data["token"] = [f"mean of tokens {a:,}–{b:,}" for a, b in zip(data["position"], data["end"], strict=True)]
    long = data.melt(
        id_vars=["position", "end", "token"],
        value_vars=["probability", "uncertainty (bits)"],
        var_name="measure",
        value_name="value",
    ).dropna(subset=["value"])
    at = -1 if selected is None else selected
    long["selected"] = (long["position"] <= at) & (at <= long["end"])
    if shown is not None:
        band = {"position": shown[0], "end": shown[1], "token": "", "measure": "shown in the strip", "selected": False}
        long = pd.concat([long, pd.DataFrame([band])], ignore_index=True)
    return VegaChart(_template_along(len(data) <= 200), long.reset_index(drop=True))


_USAGE_PANELS = {
    "tokens": ["input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"],
    "seconds": ["ttft_s", "total_s"],
    "tokens/s": ["tokens_per_s"],
}
_USAGE_NAMES = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cached_tokens": "cached",
    "reasoning_tokens": "reasoning",
    "ttft_s": "time to first token",
    "total_s": "total time",
    "tokens_per_s": "tokens/s",
}


@functools.cache
def _template_usage() -> dict[str, Any]:
    charts: list[alt.Chart] = []
    for panel, columns in _USAGE_PANELS.items():
        names = [_USAGE_NAMES[c] for c in columns]
        encoding: dict[str, Any] = {
            "x": alt.X(
                "series:N",
                sort=alt.EncodingSortField("run", op="min", order="ascending"),
                title=None,
                axis=alt.Axis(labelAngle=-30, labelLimit=160),
            ),
            "y": alt.Y("value:Q", title=panel),
            "color": alt.Color(
                "measure:N",
                sort=names,
                scale=alt.Scale(domain=names, scheme="tableau10"),
                legend=alt.Legend(title=panel, orient="right"),
            ),
            "tooltip": [alt.Tooltip("series:N", title="run"), alt.Tooltip("measure:N"), alt.Tooltip("value:Q", format=",.3~f")],
        }
        if len(names) > 1:
            encoding["xOffset"] = alt.XOffset("measure:N", sort=names, scale=alt.Scale(domain=names))
        bars = alt.Chart().transform_filter(alt.FieldEqualPredicate(field="panel", equal=panel))
        # a run without this panel's figures keeps its (empty) place, so the panels line up
        bars = bars.mark_bar(invalid="break-paths-show-domains", width=alt.RelativeBandSize(0.8 if len(names) > 1 else 0.3))
        charts.append(bars.encode(**encoding).properties(width=alt.Step(80 // len(names)), height=130))
    chart = alt.vconcat(*charts).resolve_scale(color="independent", xOffset="independent")
    return _spec(chart.properties(title="Usage and speed per run"))


def usage_chart(frame: pd.DataFrame) -> VegaChart:
    """Tokens, times and speed of each run (a usage_frame), one bar group per run in the given order."""
    panel_of = {column: panel for panel, columns in _USAGE_PANELS.items() for column in columns}
    numbers = frame[list(panel_of)].astype("float64")  # unknown (<NA>) becomes NaN: not drawn
    data = pd.concat([frame[["run", "series"]], numbers], axis=1).melt(
        id_vars=["run", "series"], var_name="measure", value_name="value"
    )
    data["panel"] = data["measure"].map(panel_of)
    data["measure"] = data["measure"].map(_USAGE_NAMES)
    return VegaChart(_template_usage(), data)


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
    """Start a new strip chart (and table of lowest tokens), whose own selection is empty again.

    Called when the token is chosen some other way than a click on the strip (the select box, the window, the
    table): otherwise the strip still holds the token clicked before, and clicking that token again would not
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


def _on_lowest_pick(table_key: str, positions: list[int], keys: ViewKeys, choice: int, size: int) -> None:
    """A click on a row of the lowest tokens picks that token, moving the strip's window to it."""
    rows = ((st.session_state.get(table_key) or {}).get("selection") or {}).get("rows") or []
    if rows and 0 <= rows[0] < len(positions):
        position = positions[rows[0]]
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
    cols = st.columns(4)
    cols[0].metric(
        "Mean log-probability",
        f"{s.mean_logprob:.3f}" if s.mean_logprob is not None else "—",
        help="Natural log, averaged over the tokens with a finite logprob.",
    )
    cols[1].metric(
        "Perplexity",
        f"{s.perplexity:.2f}" if s.perplexity is not None else "—",
        help="exp(−mean log-probability): 1 means the model was sure of every token.",
    )
    cols[2].metric("Tokens below 50 %", f"{s.below_half} of {s.tokens}")
    cols[3].metric(
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
    return lambda p: f"{p} · {tokens[p]} · {_pct(probs[p])}"


def _alternatives_text(alts: pd.DataFrame, position: int, token: str) -> str:
    """The alternatives as plain lines (shown with st.text: readable on screen and by tests, never Markdown)."""
    lines = [f"Alternatives at position {position} (chosen: {token})"]
    for row in alts.itertuples():
        rank = "–" if pd.isna(row.rank) else str(int(row.rank))
        lines.append(f"{rank:>2}. {row.token}  {_pct(row.probability)}" + ("  ← chosen" if row.chosen else ""))
    return "\n".join(lines)


def probability_view(
    completion: Completion,
    *,
    key_prefix: str,
    wrap: int = 80,
    lowest_n: int = 8,
    window: int = WINDOW_TOKENS,
    read_only: bool = False,
) -> int | None:
    """The probability view of one answer: summary, token strip, alternatives, along-the-answer chart, lowest tokens.

    n > 1: a radio picks the choice. An answer longer than `window` tokens shows that many in the strip and the
    select box at a time (`keys.window(choice)` moves them); the summary, the chart along the answer, the lowest
    tokens and the CSV downloads cover the whole answer. Returns the chosen token's position (None without logprobs).
    `read_only` (a shared view): the first choice, the alternatives at its least likely token, no token to pick.
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
    frame = analysis.token_frame(completion, choice)
    s = analysis.summary(completion, choice, lowest_n=lowest_n, frame=frame)
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
        _draw(chart, width="content")
        st.text(_alternatives_text(alts, selected, str(frame["token"].iloc[selected])))
        _downloads(chart, alts, keys=keys, name="alternatives", stem=f"alternatives-choice{choice + 1}-pos{selected}")

    shown_span = (positions[0], positions[-1]) if len(shown) < len(frame) else None
    along = along_chart(frame, selected=selected, shown=shown_span, max_points=ALONG_POINTS)
    per_point = -(-len(frame) // ALONG_POINTS)
    st.caption(
        "Along the answer: how likely each chosen token was, and how uncertain the model was among its alternatives "
        "(the dashed line)."
        + (f" Each point is the mean of {per_point} tokens in a row." if per_point > 1 else "")
        + (" The shaded part is what the strip shows." if shown_span else ""),
        help="The uncertainty is the entropy of the top-k alternatives the API returned, in bits.",
    )
    _draw(along, width="stretch")
    _downloads(along, frame, keys=keys, name="along", stem=f"along-choice{choice + 1}")

    if s.lowest:
        _lowest_table(s, keys, choice, generation, window)
    return selected


def _lowest_table(s: LogprobSummary, keys: ViewKeys, choice: int, generation: int, window: int) -> None:
    """The least likely tokens of the whole answer; a click on a row picks that token (and its window)."""
    st.caption(f"Lowest-confidence tokens (the {len(s.lowest)} least likely; click a row to look at one)")
    lowest = pd.DataFrame([t.model_dump() for t in s.lowest])
    if lowest["best_alternative"].isna().all():  # the chosen token was always the most likely one
        lowest = lowest.drop(columns=["best_alternative", "best_alternative_probability"])
    else:
        lowest["best_alternative"] = lowest["best_alternative"].fillna("(this one)")
    table_key = keys.lowest(choice, generation)
    st.dataframe(
        lowest,
        hide_index=True,
        width="stretch",
        key=table_key,
        on_select=functools.partial(_on_lowest_pick, table_key, lowest["position"].tolist(), keys, choice, window),
        selection_mode="single-row",
        column_config={
            "position": st.column_config.NumberColumn("position"),
            "token": st.column_config.TextColumn("token"),
            "probability": st.column_config.NumberColumn("probability", format="percent"),
            "logprob": st.column_config.NumberColumn("logprob", format="%.3f"),
            "best_alternative": st.column_config.TextColumn("model preferred"),
            "best_alternative_probability": st.column_config.NumberColumn("its probability", format="percent"),
        },
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
    cols = st.columns(7)
    cols[0].metric("Input tokens", number(run.input_tokens, ","))
    cols[1].metric("Output tokens", number(run.output_tokens, ","))
    cols[2].metric("Cached tokens", number(run.cached_tokens, ","))
    cols[3].metric("Reasoning tokens", number(run.reasoning_tokens, ","))
    cols[4].metric("Time to first token", number(run.ttft_s, ".2f") + (" s" if run.ttft_s is not None else ""))
    cols[5].metric("Total time", number(run.total_s, ".2f") + (" s" if run.total_s is not None else ""))
    cols[6].metric(
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
