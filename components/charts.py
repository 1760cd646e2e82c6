"""Charts of an answer's token probabilities and of usage across runs: the chart builders.

`strip_chart`, `alternatives_chart`, `along_chart`, `usage_chart` and `strip_layout` take analysis frames and
return a `VegaChart`: a Vega-Lite spec authored with Altair once per process, plus the data frame it draws. They
never touch Streamlit, so the bench, tests and the HTML report (components/report.py) use them alone; the page's
views of them, with their controls, are in components/chart_views.py.

Token text is untrusted model output: it reaches the screen only as Vega text marks, select box options,
`st.text` and data frames, never through Markdown or HTML.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from playground import analysis

__all__ = [
    "VegaChart",
    "along_chart",
    "alternatives_chart",
    "percent",
    "strip_chart",
    "strip_layout",
    "usage_chart",
]

# One accessible, perceptually even colour scale (readable in greyscale and by colour-blind people) for
# every "probability of the chosen token": dark purple = unlikely, yellow = certain.
SCHEME = "viridis"
DARK_BELOW = 0.45  # viridis is dark under this probability: text on it is white, black above
CHOSEN_COLOUR = "#d95f02"
PROBABILITY_COLOUR = "#3b528b"
OTHER_COLOUR = "#9e9e9e"
FONT_PX = 13
# a family list, not the bare generic: vl-convert's exports fall back to a serif font for "monospace" with ␣ in it
MONO_FONT = "Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace"
CHAR_PX = FONT_PX * 0.6  # width of one monospace character (0.6 em in common monospace fonts)
PAD_PX = 3  # inside each token box, either side
GAP_PX = 2  # between token boxes
ROW_PX = 22
WINDOW_TOKENS = 250  # tokens the strip shows at a time: a long answer is paged through (each is two marks to draw)
ALONG_POINTS = 150  # bins of the chart along the answer at most: a longer answer is drawn as bins of tokens
ALONG_HEIGHT = 200


# --------------------------------------------------------------------------------------------
# chart builders (no Streamlit)


def percent(p: float) -> str:
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
    title and a legend into its width and height (the token strip became a blank line). The browser draws it on
    a canvas without ARIA labels per mark: as SVG, every mark is a DOM node with a label built by an expression,
    which blocked the page's main thread for long stretches on a long answer. The tokens are also a select box
    and a table.
    """
    spec = _without_data(chart.to_dict())
    spec["autosize"] = {"type": autosize, "contains": "padding"}
    spec["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    spec.setdefault("config", {})["aria"] = False
    view = spec.get("config", {}).get("view", {})
    view.pop("continuousWidth", None)
    view.pop("continuousHeight", None)
    return spec


_STRIP_COLUMNS = ["position", "token", "probability", "x0", "x1", "y0", "y1", "yc"]
_OUTLINE = {"mark": {"type": "rect", "cornerRadius": 3, "fill": None, "stroke": "#e8175d", "strokeWidth": 3}}


@functools.cache
def _template_strip() -> dict[str, Any]:
    pick = alt.selection_point(name="token", fields=["position"], on="click", clear="dblclick")
    boxes = (
        alt.Chart()
        .mark_rect(cornerRadius=3, cursor="pointer")
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
            tooltip=alt.Tooltip("tip:N"),  # one preformatted line per token: the browser builds nothing per mark
        )
        .add_params(pick)
    )
    text = (  # no tooltip of its own: a hover or click on the text reaches the box under it
        alt.Chart()
        .mark_text(align="left", baseline="middle", font=MONO_FONT, fontSize=FONT_PX, dx=PAD_PX)
        .encode(
            x=alt.X("x0:Q", scale=None, axis=None),
            y=alt.Y("yc:Q", scale=None, axis=None),
            text="token:N",
            fill=alt.Fill("ink:N", scale=None),  # the colour itself, in the data
        )
    )
    chart = alt.layer(boxes, text).properties(width=200, height=ROW_PX, title="Tokens by probability")
    return _spec(chart.configure_view(strokeWidth=0))


def strip_chart(frame: pd.DataFrame, *, selected: int | None = None, wrap: int = 80) -> VegaChart:
    """The answer as boxes of tokens coloured by probability, with a legend; a click selects a token.

    The selection parameter is named "token" and holds the clicked token's `position`; `selected` is outlined (a
    layer of one box, so the browser tests nothing per token).
    """
    laid = strip_layout(frame, wrap)
    data = laid[_STRIP_COLUMNS].assign(
        ink=np.where(laid["probability"] < DARK_BELOW, "white", "black"),
        tip=[
            f"position {position:,} · {token} · probability {percent(p)} · logprob {lp:.3f} · rank "
            + ("—" if pd.isna(rank) else str(int(rank)))
            + ("" if pd.isna(bits) else f" · uncertainty {bits:.2f} bits")
            for position, token, p, lp, rank, bits in zip(
                laid["position"],
                laid["token"],
                laid["probability"],
                laid["logprob"],
                laid["rank"],
                laid["entropy_bits"],
                strict=True,
            )
        ],
    )
    rows = int(data["y1"].max() // ROW_PX) + 1 if len(data) else 1
    width = max(int(data["x1"].max()) + 1 if len(data) else 0, 200)
    spec = {**_template_strip(), "width": width, "height": rows * ROW_PX}
    box = data[data["position"] == selected]
    if len(box):
        outline = {
            **_OUTLINE,
            "data": {"values": box[["x0", "x1", "y0", "y1"]].to_dict(orient="records")},
            "encoding": {
                "x": {"field": "x0", "type": "quantitative", "scale": None},
                "x2": {"field": "x1"},
                "y": {"field": "y0", "type": "quantitative", "scale": None},
                "y2": {"field": "y1"},
            },
        }
        spec["layer"] = [*spec["layer"], outline]
    return VegaChart(spec, data)


@functools.cache
def _template_alternatives() -> dict[str, Any]:
    base = alt.Chart().encode(
        y=alt.Y(
            "label:N",
            sort=alt.EncodingSortField("order", order="ascending"),
            title=None,
            axis=alt.Axis(labelFont=MONO_FONT, labelLimit=240),
        ),
    )  # no tooltip: the chart is an image (downloads, the report); the page shows the alternatives as a table
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
    data["note"] = [percent(p) + ("  ← chosen" if c else "") for p, c in zip(data["probability"], data["chosen"], strict=True)]
    data["kind"] = ["chosen" if c else "alternative" for c in data["chosen"]]
    return VegaChart({**_template_alternatives(), "title": title}, data)


@functools.cache
def _template_along() -> dict[str, Any]:
    x = alt.X("middle:Q", title="token position", axis=alt.Axis(tickMinStep=1))
    probability = alt.Scale(domain=[0, 1])
    left = alt.Axis(format="%", titleColor=PROBABILITY_COLOUR)
    spread = alt.Chart().mark_area(color=PROBABILITY_COLOUR, opacity=0.3)
    spread = spread.encode(x=x, y=alt.Y("low:Q", title="probability", scale=probability, axis=left), y2="high:Q")
    mean = alt.Chart().mark_line(color=PROBABILITY_COLOUR).encode(x=x, y=alt.Y("mean:Q", scale=probability, axis=None))
    uncertainty = (
        alt.Chart()
        .mark_line(color=CHOSEN_COLOUR, strokeDash=[4, 2])
        .encode(
            x=x,
            y=alt.Y(
                "uncertainty:Q",
                title="uncertainty (bits)",
                scale=alt.Scale(zero=True),
                axis=alt.Axis(orient="right", titleColor=CHOSEN_COLOUR),
            ),
        )
    )
    hover = (
        alt.Chart()
        .mark_rect(opacity=0)
        .encode(  # one invisible column per bin, for its tooltip
            x=alt.X("start:Q"),
            x2="stop:Q",
            y=alt.YValue(0),
            y2=alt.Y2Value(ALONG_HEIGHT),
            tooltip=alt.Tooltip("tip:N"),  # one preformatted line per bin
        )
    )
    layers = [
        spread.properties(name="range"),
        mean.properties(name="mean"),
        uncertainty.properties(name="uncertainty"),
        hover.properties(name="hover"),
    ]
    chart = alt.layer(*layers).resolve_scale(y="independent")
    return _spec(chart.properties(width=640, height=ALONG_HEIGHT, title="Along the answer"), autosize="fit-x")


_STRIP_SHADE = {
    "mark": {"type": "rect", "color": "#e8175d", "opacity": 0.12},
    "encoding": {"x": {"field": "start", "type": "quantitative"}, "x2": {"field": "end"}},
}
_SELECTED_RULE = {
    "mark": {"type": "rule", "color": "#e8175d", "strokeWidth": 2},
    "encoding": {"x": {"field": "start", "type": "quantitative"}},
}


def along_chart(
    frame: pd.DataFrame,
    *,
    selected: int | None = None,
    shown: tuple[int, int] | None = None,
    max_points: int | None = None,
) -> VegaChart:
    """Probability of the chosen tokens (left axis) and the uncertainty among their alternatives (entropy of the top-k,
    in bits; right axis) along the answer.

    An answer of more than `max_points` tokens is drawn in bins of consecutive tokens (`analysis.along_series`): the
    mean probability as a line, the band from each bin's least to its most likely token around it, so an unlikely
    token never disappears in a mean. `shown` (first, last position) shades the tokens the strip shows and
    `selected` is a rule; both are small layers of their own, so the browser runs no filter over the bins.
    """
    series = analysis.along_series(frame, max_points or max(len(frame), 1))
    data = series.assign(
        middle=(series["start"] + series["end"] + 1) / 2,
        stop=series["end"] + 1,
        tip=[
            (
                f"token {a:,} · probability {percent(low)}"
                if a == b
                else f"tokens {a:,}–{b:,} · least likely {percent(low)} · mean {percent(mean)} · most likely {percent(high)}"
            )
            + ("" if pd.isna(bits) else f" · {'' if a == b else 'mean '}uncertainty {bits:.2f} bits")
            for a, b, low, mean, high, bits in zip(
                series["start"],
                series["end"],
                series["low"],
                series["mean"],
                series["high"],
                series["uncertainty"],
                strict=True,
            )
        ],
    )
    spec = _template_along()
    layers = list(spec["layer"])
    if shown is not None:
        layers.insert(0, {"name": "strip", "data": {"values": [{"start": shown[0], "end": shown[1] + 1}]}, **_STRIP_SHADE})
    if selected is not None:
        layers.append({"name": "selected", "data": {"values": [{"start": selected + 0.5}]}, **_SELECTED_RULE})
    return VegaChart({**spec, "layer": layers}, data)


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


# Built when the module is imported (the server imports the pages' modules before it answers): Altair's checks cost
# a few hundred ms, which the first probability view of a process would otherwise wait for.
for _template in (_template_strip, _template_alternatives, _template_along, _template_usage):
    _template()
