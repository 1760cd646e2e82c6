"""components/charts.py: the chart builders alone, and the views under AppTest on answers recorded from the gateway."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from components import chart_views, charts
from components.text import plain
from playground import analysis
from playground.analysis import RunStats
from playground.response import Completion, from_chat_completion

DATA = Path(__file__).resolve().parents[1] / "data"
PREFIX = "t.probs"
KEYS = chart_views.keys_for(PREFIX)


def _recorded(name: str) -> Completion:
    return from_chat_completion(json.loads((DATA / f"logprobs_{name}.json").read_text()))


def _view_script(path: str, usage_paths: list[str]) -> None:
    """A tiny page: the probability view of one recorded answer, and the usage chart of some recorded runs."""
    import json

    from components import chart_views
    from playground import analysis
    from playground.response import from_chat_completion

    completion = from_chat_completion(json.loads(open(path, encoding="utf-8").read()))
    chart_views.probability_view(completion, key_prefix="t.probs")
    rows = []
    for i, p in enumerate(usage_paths):
        run = from_chat_completion(json.loads(open(p, encoding="utf-8").read()))
        rows += analysis.run_stats(run, label=f"run {i + 1}", ttft_s=0.1, total_s=1.0 + i)
    if rows:
        chart_views.usage_metrics(rows)
        chart_views.usage_view(rows, key_prefix="t.usage")


def _app(name: str, usage: tuple[str, ...] = ()) -> AppTest:
    at = AppTest.from_function(
        _view_script,
        args=(str(DATA / f"logprobs_{name}.json"), [str(DATA / f"logprobs_{u}.json") for u in usage]),
        default_timeout=60,
    )
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("text", "caption", "info") for e in getattr(at, kind))


pytestmark = pytest.mark.apptest


# --------------------------------------------------------------------------------------------
# the views


def test_view_draws_the_strip_select_box_metrics_and_downloads() -> None:
    at = _app("top5", usage=("top5", "n2"))
    completion = _recorded("top5")
    frame = analysis.token_frame(completion)
    box = at.selectbox(key=KEYS.token(0))
    assert len(box.options) == len(frame)
    assert box.value == analysis.summary(completion).lowest[0].position  # starts on the least likely token
    assert len(at.get("vega_lite_chart")) == 3  # strip, along the answer, usage (the alternatives are lines of text)
    labels = {m.label: m.value for m in at.metric}
    assert labels["Perplexity"] == f"{analysis.summary(completion).perplexity:.2f}"
    assert labels["Tokens below 50 %"] == "0%"
    below = next(m for m in at.metric if m.label == "Tokens below 50 %")
    assert below.help == f"0 of the {len(frame)} chosen tokens had a probability under 50 %."
    assert labels["Input tokens"] == str(completion.usage.input_tokens)
    keys = {b.key for b in at.download_button}
    for chart in ("strip", "alternatives", "along"):
        for fmt in ("svg", "png", "csv"):
            assert KEYS.download(chart, fmt) in keys
    assert {chart_views.keys_for("t.usage").download("usage", fmt) for fmt in ("svg", "png", "csv")} <= keys


def test_choosing_a_token_shows_its_alternatives() -> None:
    at = _app("top5")
    completion = _recorded("top5")
    position = analysis.token_frame(completion)["token"].tolist().index("␣Paris")
    at.selectbox(key=KEYS.token(0)).set_value(position).run()
    assert not at.exception
    shown = _texts(at)
    assert f"Alternatives at position {position} (chosen: ␣Paris)" in shown
    alts = analysis.alternatives_frame(completion, position)
    for row in alts.itertuples():
        assert f"{row.token}  {row.probability:.1%}" in shown
    assert "␣Paris  98.0%  ← chosen" in shown
    assert at.selectbox(key=KEYS.token(0)).value == position  # kept on the rerun
    # a pick in the box starts a fresh strip chart, so clicking the token clicked before counts again
    assert at.session_state[KEYS.strip_generation(0)] == 1


def test_the_alternatives_are_shown_once_as_lines_of_text() -> None:
    """The alternatives were a list and a table of the same rows (and before that a chart): now the list alone, so
    the browser draws neither a chart nor a table for them when the view opens. Their CSV keeps the logprobs."""
    at = _app("top5")
    completion = _recorded("top5")
    position = at.selectbox(key=KEYS.token(0)).value
    alts = analysis.alternatives_frame(completion, position)
    shown = _texts(at)
    for row in alts.itertuples():
        assert f"{row.token}  {row.probability:.1%}" in shown
    assert not at.dataframe  # no table: the lowest tokens are a list too
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert not [s for s in specs if "Alternatives" in s] and len(specs) == 2  # the strip and the chart along the answer


def test_the_lowest_tokens_show_tiny_probabilities_in_digits_not_as_zero() -> None:
    """The least likely tokens are often far under 0.01 %: a percent format showed every one of them as "0%"."""
    at = _app("n2")
    lowest = analysis.summary(_recorded("n2"), lowest_n=8).lowest  # the view lists 8
    options = at.radio(key=KEYS.lowest(0)).options
    assert len(options) == len(lowest)
    for line, t in zip(options, lowest, strict=True):
        assert line.startswith(plain(f"position {t.position:,} · {t.token} · {charts.percent(t.probability)} · "))
    assert any(t.probability < 0.001 for t in lowest) and not [o for o in options if plain("· 0.0% ·") in o]


def test_lone_bytes_show_as_hex_on_screen() -> None:
    at = _app("top8_emoji")
    shown = _texts(at)
    assert "<0x9F>" in shown and "(chosen: 🌟)" in shown
    assert "\ufffd" not in shown


def test_each_choice_of_n2_has_its_own_tokens() -> None:
    at = _app("n2")
    completion = _recorded("n2")
    radio = at.radio(key=KEYS.choice)
    assert radio.options == ["Choice 1", "Choice 2"]
    radio.set_value(1).run()
    assert not at.exception
    second = analysis.token_frame(completion, 1)
    box = at.selectbox(key=KEYS.token(1))
    assert len(box.options) == len(second)
    assert box.value == analysis.summary(completion, 1).lowest[0].position
    assert f"(chosen: {second['token'].iloc[box.value]})" in _texts(at)


def test_without_logprobs_the_view_says_so() -> None:
    path = DATA / "logprobs_top5.json"
    payload = json.loads(path.read_text())
    for choice in payload["choices"]:
        choice.pop("logprobs", None)

    def script(body: str) -> None:
        import json

        from components import chart_views
        from playground.response import from_chat_completion

        chart_views.probability_view(from_chat_completion(json.loads(body)), key_prefix="t.probs")

    at = AppTest.from_function(script, args=(json.dumps(payload),), default_timeout=60)
    at.run()
    assert not at.exception
    assert [i.value for i in at.info] == [analysis.NO_LOGPROBS]
    assert not at.selectbox and not at.download_button


def test_without_top_logprobs_the_strip_stays_and_alternatives_are_explained() -> None:
    at = _app("no_top")
    assert at.selectbox(key=KEYS.token(0)).options
    assert "No alternatives at this position" in _texts(at)
    assert len(at.get("vega_lite_chart")) == 2  # strip and along the answer


def _windowed(name: str, window: int) -> AppTest:
    """The probability view of a recorded answer, paged `window` tokens at a time (as a long answer is)."""

    def script(path: str, window: int) -> None:
        import json

        from components import chart_views
        from playground.response import from_chat_completion

        completion = from_chat_completion(json.loads(open(path, encoding="utf-8").read()))
        chart_views.probability_view(completion, key_prefix="t.probs", window=window)

    at = AppTest.from_function(script, args=(str(DATA / f"logprobs_{name}.json"), window), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _strip_positions(at: AppTest) -> list[int]:
    """The positions of the tokens the strip chart was sent (its data goes to the browser as Arrow)."""
    strip = next(c for c in at.get("vega_lite_chart") if "Tokens by probability" in c.proto.spec)
    return dataframe_util.convert_arrow_bytes_to_pandas_df(strip.proto.data.data)["position"].tolist()


def test_a_long_answer_shows_one_window_of_tokens_and_opens_on_the_least_likely_one() -> None:
    completion = _recorded("top8_cafe")  # 12 tokens, the least likely at position 8
    frame = analysis.token_frame(completion)
    lowest = analysis.summary(completion).lowest[0].position
    at = _windowed("top8_cafe", 5)
    window = at.select_slider(key=KEYS.window(0))
    assert window.options == ["1–5", "6–10", "11–12"] and window.value == 5
    assert _strip_positions(at) == [5, 6, 7, 8, 9]
    box = at.selectbox(key=KEYS.token(0))
    assert box.options == [f"{p} · {frame['token'][p]} · {frame['probability'][p]:.1%}" for p in range(5, 10)]
    assert box.value == lowest == 8
    assert f"Alternatives at position {lowest} (chosen: {frame['token'][lowest]})" in _texts(at)
    # the metrics, the chart along the answer and the CSV cover the whole answer
    labels = {m.label: m.value for m in at.metric}
    below = int((frame["probability"] < 0.5).sum())
    assert labels["Tokens below 50 %"] == f"{below / len(frame):.0%}"
    along = next(c for c in at.get("vega_lite_chart") if "Along the answer" in c.proto.spec)
    assert dataframe_util.convert_arrow_bytes_to_pandas_df(along.proto.data.data)["start"].tolist() == list(range(len(frame)))


def test_a_person_moves_to_a_later_window_and_picks_a_token_there() -> None:
    frame = analysis.token_frame(_recorded("top8_cafe"))
    at = _windowed("top8_cafe", 5)
    at.button(key=KEYS.step(0, "next")).click().run()
    assert not at.exception
    assert at.select_slider(key=KEYS.window(0)).value == 10
    assert at.button(key=KEYS.step(0, "next")).disabled  # the last window
    assert _strip_positions(at) == [10, 11]
    box = at.selectbox(key=KEYS.token(0))
    assert box.value == 10  # the least likely token of the window shown (39.6 % against 96.0 %)
    box.set_value(11).run()
    assert not at.exception
    assert f"Alternatives at position 11 (chosen: {frame['token'][11]})" in _texts(at)
    assert at.selectbox(key=KEYS.token(0)).value == 11
    at.select_slider(key=KEYS.window(0)).set_value(0).run()  # back to the start with the slider
    assert not at.exception
    assert at.button(key=KEYS.step(0, "previous")).disabled
    assert at.selectbox(key=KEYS.token(0)).value == 2  # that window's least likely token
    assert f"Alternatives at position 2 (chosen: {frame['token'][2]})" in _texts(at)


def test_a_short_answer_has_no_window_control() -> None:
    at = _windowed("top8_cafe", 12)
    assert not at.select_slider and not at.button
    assert len(at.selectbox(key=KEYS.token(0)).options) == 12


def test_picking_one_of_the_lowest_tokens_shows_it_and_moves_the_window() -> None:
    """The list of the least likely tokens of the whole answer: picking one outside the window shown moves the strip
    to it and shows its alternatives; the pick stays marked while that token is the one looked at."""
    at = _windowed("top8_cafe", 5)  # opens on the least likely token, 8, in the window 5–9
    lowest = at.radio(key=KEYS.lowest(0))
    assert lowest.value == 8
    at = lowest.set_value(2).run()  # the second least likely, in the first window
    assert not at.exception, at.exception
    assert at.selectbox(key=KEYS.token(0)).value == 2 and at.select_slider(key=KEYS.window(0)).value == 0
    assert _strip_positions(at) == [0, 1, 2, 3, 4]
    frame = analysis.token_frame(_recorded("top8_cafe"))
    assert f"Alternatives at position 2 (chosen: {frame['token'][2]})" in _texts(at)
    assert at.radio(key=KEYS.lowest(0)).value == 2
    at = at.selectbox(key=KEYS.token(0)).set_value(3).run()  # a token that is not among the lowest
    assert at.radio(key=KEYS.lowest(0)).value is None


def test_a_click_on_the_strip_moves_the_select_box() -> None:
    """The strip's on_select callback reads the selection Streamlit stores and sets the select box."""

    def script() -> None:
        import streamlit as st

        from components import chart_views

        st.session_state["k.strip"] = {"selection": {"token": [{"position": 4}]}}
        chart_views._on_strip_click("k.strip", "k.token")
        st.session_state["k.empty"] = {"selection": {"token": []}}
        chart_views._on_strip_click("k.empty", "k.token")  # a cleared selection keeps the token
        st.text(f"token {st.session_state['k.token']}")

    at = AppTest.from_function(script, default_timeout=30)
    at.run()
    assert not at.exception
    assert at.text[0].value == "token 4"


# --------------------------------------------------------------------------------------------
# the builders


def test_strip_layout_wraps_lines_and_breaks_after_newlines() -> None:
    frame = analysis.token_frame(_recorded("top8_cafe"))
    laid = charts.strip_layout(frame, wrap=12)
    rows = (laid["y0"] // charts.ROW_PX).astype(int).tolist()
    assert rows == sorted(rows)  # reading order
    newline_rows = [rows[i] for i, t in enumerate(frame["text"]) if "\n" in t]
    for i, t in enumerate(frame["text"]):
        if "\n" in t and i + 1 < len(rows):
            assert rows[i + 1] == rows[i] + 1
    assert newline_rows
    fits = laid["x1"] <= 12 * charts.CHAR_PX + 1e-9
    assert (fits | (laid["x0"] == 0)).all()  # a token passes the width only when it is alone at a line start
    assert rows[-1] > len(newline_rows)  # wrapping made lines beyond the newlines
    for _, line in laid.groupby("y0"):
        assert (line["x0"].diff().dropna() > 0).all()  # left to right, no overlap
        assert (line["x0"].iloc[1:].to_numpy() >= line["x1"].iloc[:-1].to_numpy()).all()


def test_wide_characters_take_two_columns() -> None:
    frame = pd.DataFrame({"token": ["🌟", "a"], "text": ["🌟", "a"]})
    laid = charts.strip_layout(frame)
    widths = (laid["x1"] - laid["x0"] - 2 * charts.PAD_PX) / charts.CHAR_PX
    assert widths.round(6).tolist() == [2.0, 1.0]


def test_strip_spec_carries_the_token_selection_and_one_colour_scale() -> None:
    frame = analysis.token_frame(_recorded("top5"))
    spec = charts.strip_chart(frame, selected=2).to_dict()
    params = spec.get("params") or spec["layer"][0].get("params")
    assert [p["name"] for p in params] == ["token"]
    colour = spec["layer"][0]["encoding"]["color"]
    assert colour["scale"] == {"scheme": charts.SCHEME, "domain": [0, 1]}
    assert colour["field"] == "probability"
    rows = spec["data"]["values"]
    outline = spec["layer"][-1]["data"]["values"]  # the selected token, outlined
    assert outline == [pytest.approx({k: rows[2][k] for k in ("x0", "x1", "y0", "y1")})]
    assert [r["token"] for r in rows] == frame["token"].tolist()


def test_templates_hold_no_data_so_one_spec_serves_every_answer() -> None:
    first = charts.strip_chart(analysis.token_frame(_recorded("top5")))
    second = charts.strip_chart(analysis.token_frame(_recorded("top8_cafe")), selected=1)
    assert "data" not in first.spec and "datasets" not in first.spec
    assert all("data" not in layer for layer in first.spec["layer"])
    assert {k: v for k, v in first.spec.items() if k not in ("width", "height", "layer")} == {
        k: v for k, v in second.spec.items() if k not in ("width", "height", "layer")
    }
    assert second.spec["layer"][:-1] == first.spec["layer"]  # and the selected token's outline, a layer of one box


def test_alternatives_chart_marks_the_chosen_token() -> None:
    alts = analysis.alternatives_frame(_recorded("n2"), 2)  # sampled outside the top 5
    data = charts.alternatives_chart(alts).to_dict()["data"]["values"]
    chosen = [d for d in data if d["kind"] == "chosen"]
    assert len(chosen) == 1 and chosen[0]["note"].endswith("← chosen") and chosen[0]["label"].startswith("–")
    assert [d["order"] for d in data] == list(range(len(alts)))  # drawn most likely first


def test_a_long_answer_is_drawn_along_as_bins_with_the_strips_tokens_shaded() -> None:
    frame = analysis.token_frame(_recorded("top8_cafe"))  # 12 tokens
    chart = charts.along_chart(frame, selected=7, shown=(5, 9), max_points=5)  # bins of 3 tokens
    data = chart.data
    assert data["start"].tolist() == [0, 3, 6, 9] and data["end"].tolist() == [2, 5, 8, 11]
    assert data["low"].tolist() == [frame["probability"][i : i + 3].min() for i in (0, 3, 6, 9)]
    layers = {layer["name"]: layer for layer in chart.spec["layer"]}
    assert layers["strip"]["data"]["values"] == [{"start": 5, "end": 10}]  # the strip's tokens, shaded
    assert layers["selected"]["data"]["values"] == [{"start": 7.5}]  # the middle of the chosen token
    whole = charts.along_chart(frame, max_points=12)  # short enough: every token, nothing shaded or marked
    assert whole.data["start"].tolist() == list(range(12))
    assert {layer["name"] for layer in whole.spec["layer"]} == {"range", "mean", "uncertainty", "hover"}


def _walk(spec: object) -> list[dict]:
    """Every dict in a spec, nested ones included."""
    if isinstance(spec, dict):
        return [spec] + [d for v in spec.values() for d in _walk(v)]
    if isinstance(spec, list):
        return [d for v in spec for d in _walk(v)]
    return []


def test_the_charts_of_a_long_answer_are_light_for_the_browser() -> None:
    """The browser draws a chart's data without transforms or per-mark expressions, on a canvas, at most a few
    hundred rows along the answer: a 10,000-token answer's view blocked the browser for over 200 ms before."""
    from bench.analysis import synthetic_completion

    completion = from_chat_completion(synthetic_completion(10_000, 8))
    frame = analysis.token_frame(completion)
    drawn = {
        "strip": charts.strip_chart(frame.iloc[: charts.WINDOW_TOKENS], selected=3),
        "alternatives": charts.alternatives_chart(analysis.alternatives_frame(completion, 3)),
        "along": charts.along_chart(frame, selected=3, shown=(0, charts.WINDOW_TOKENS - 1), max_points=charts.ALONG_POINTS),
    }
    for name, chart in drawn.items():
        parts = _walk(chart.spec)
        assert not [d for d in parts if "transform" in d or "condition" in d or "expr" in d], name
        assert chart.spec["usermeta"] == {"embedOptions": {"renderer": "canvas"}}, name
        assert chart.spec["config"]["aria"] is False, name
    # each chart is put in the page in a task of its own: 250 tokens (a box and a text each) and 150 bins keep each
    # under 200 ms of the browser's main thread (500 and 300 took 193-250 ms on a quiet machine)
    assert len(drawn["along"].data) <= charts.ALONG_POINTS <= 150
    assert len(drawn["strip"].data) <= charts.WINDOW_TOKENS <= 250
    tips = [d for d in _walk(drawn["strip"].spec) if "tooltip" in d.get("encoding", {})]
    assert len(tips) == 1  # the boxes only: the text on them is not a second set of tooltips
    for name, chart in drawn.items():  # a tooltip is one preformatted text per mark, not an object built per mark
        for d in _walk(chart.spec):
            tip = d.get("encoding", {}).get("tooltip")
            assert tip is None or (isinstance(tip, dict) and set(tip) <= {"field", "type"}), (name, tip)
    text = next(d for d in _walk(drawn["strip"].spec) if d.get("mark", {}).get("type") == "text")
    assert text["encoding"]["fill"]["scale"] is None  # the ink is a colour in the data: no scale to look it up in


def test_a_rerun_does_not_end_in_a_sweep_of_every_object_in_the_server() -> None:
    """Streamlit's post-script gc.collect() walks every object of the process after each rerun: with a 10,000-token
    answer held in the notebook, that sweep took a few hundred ms of each rerun before the page could finish."""
    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_usage_chart_keeps_the_run_order_and_every_run_in_every_panel() -> None:
    rows = [RunStats(label=name, input_tokens=5, output_tokens=10, total_s=1.0) for name in ("b", "a", "c")]
    rows.append(RunStats(label="a", choice=0, output_tokens=4))
    chart = charts.usage_chart(analysis.usage_frame(rows))
    assert all(p["encoding"]["x"]["sort"] == {"field": "run", "op": "min", "order": "ascending"} for p in chart.spec["vconcat"])
    data = chart.data
    assert data.groupby("series")["run"].min().sort_values().index.tolist() == ["b", "a", "c", "a · choice 1"]
    for panel in ("tokens", "seconds", "tokens/s"):
        assert set(data[data["panel"] == panel]["series"]) == {"b", "a", "c", "a · choice 1"}
    seconds = data[(data["panel"] == "seconds") & (data["series"] == "a · choice 1")]
    assert seconds["value"].isna().all()  # unknown, not zero


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_charts_export_offline(fmt: str, magic: bytes) -> None:
    frame = analysis.token_frame(_recorded("top8_emoji"))
    assert charts.strip_chart(frame).image(fmt).startswith(magic)


@pytest.mark.parametrize(
    ("p", "shown"),
    [(0.5, "50.0%"), (0.0123, "1.2%"), (0.00049, "0.049%"), (1.2e-8, "0.0000012%"), (0.0, "0.0%"), (float("nan"), "—")],
)
def test_a_probability_reads_as_a_percentage_never_an_exponent(p: float, shown: str) -> None:
    """A token sampled at temperature 1 may have a probability of one in a billion: still plain digits."""
    assert charts.percent(p) == shown


def test_the_views_speak_plain_words_and_keep_the_technical_terms_in_the_help() -> None:
    at = _app("top5")
    labels = {m.label: m.proto.help for m in at.metric}
    assert "entropy" in labels["Mean uncertainty"]  # the term, in the help
    charts_json = json.dumps([c.proto.spec for c in at.get("vega_lite_chart")])
    assert "uncertainty (bits)" in charts_json and "top-k" not in charts_json
    assert "entropy" not in " ".join(labels) and "entropy" not in _texts(at)


def test_runs_are_labelled_by_their_place_in_the_notebook() -> None:
    from components.cells import run_stats
    from playground.notebook import Cell

    cell = Cell(backend="embedded", body={}, completion=_recorded("top5"))
    assert run_stats(cell, 3)[0].label.startswith("Run 3 (") and cell.id[:4] not in run_stats(cell, 3)[0].label
