"""playground/analysis.py on hand-made payloads (exact figures) and on answers recorded from the embedded gateway."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from playground import analysis
from playground.analysis import RunStats
from playground.response import Completion, from_chat_completion

DATA = Path(__file__).resolve().parents[1] / "data"
RECORDED = sorted(DATA.glob("logprobs_*.json"))


def _alt(token: str, p: float | None, raw: list[int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"token": token, "logprob": math.log(p) if p else p}
    if raw is not None:
        out["bytes"] = raw
    return out


def _entry(token: str, p: float | None, alts: list[dict[str, Any]] | None, raw: list[int] | None = None) -> dict[str, Any]:
    out = _alt(token, p, raw)
    if alts is not None:
        out["top_logprobs"] = alts
    return out


def _completion(*choices: list[dict[str, Any]] | None) -> Completion:
    """A chat.completion with one choice per argument: a list of logprob entries, or None for no logprobs."""
    raw_choices = []
    for i, entries in enumerate(choices):
        text = "".join(e["token"] for e in entries) if entries else "hi"
        choice: dict[str, Any] = {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        if entries is not None:
            choice["logprobs"] = {"content": entries}
        raw_choices.append(choice)
    return from_chat_completion({"id": "x", "model": "m", "choices": raw_choices})


def _recorded(name: str) -> Completion:
    return from_chat_completion(json.loads((DATA / f"logprobs_{name}.json").read_text()))


# --------------------------------------------------------------------------------------------
# token text


@pytest.mark.parametrize(
    ("token", "raw", "shown", "partial"),
    [
        ("€", [0xE2, 0x82, 0xAC], "€", False),
        ("\ufffd", [0xE2], "<0xE2>", True),
        ("\ufffd", [0x9F], "<0x9F>", True),
        ("A\ufffd", [0x41, 0xE2, 0x82], "A<0xE2><0x82>", True),
        ("\ufffdb", [0x9F, 0x62], "<0x9F>b", True),
        (" café", None, "␣café", False),
        ("\n\n", [10, 10], "↵↵", False),
        ("\t x\r", None, "→␣x␍", False),
        ("", [], "∅", False),
        ("a\u202eb\x00", None, "a<U+202E>b<U+0000>", False),
        ("\u00a0", None, "<U+00A0>", False),
        ("👨\u200d👩", None, "👨\u200d👩", False),
    ],
)
def test_tokens_are_shown_from_their_bytes_with_visible_whitespace(
    token: str, raw: list[int] | None, shown: str, partial: bool
) -> None:
    text, is_partial = analysis.decode_token(token, raw)
    assert (analysis.show_token(text), is_partial) == (shown, partial)


# --------------------------------------------------------------------------------------------
# per-token figures on hand-made payloads


def test_entropy_is_over_the_given_alternatives_renormalised() -> None:
    c = _completion(
        [
            _entry("a", 0.5, [_alt("a", 0.5), _alt("b", 0.5)]),  # 1 bit
            _entry("c", 0.2, [_alt("c", 0.2), _alt("d", 0.2)]),  # mass 0.4, still 1 bit once renormalised
            _entry("e", 0.25, [_alt(t, 0.25) for t in "efgh"]),  # 2 bits
            _entry("i", 0.9, [_alt("i", 0.9)]),  # a single alternative: certain, 0 bits
        ]
    )
    frame = analysis.token_frame(c)
    assert frame["entropy_bits"].tolist() == pytest.approx([1.0, 1.0, 2.0, 0.0])
    assert frame["top_mass"].tolist() == pytest.approx([1.0, 0.4, 1.0, 0.9])
    assert frame["probability"].tolist() == pytest.approx([0.5, 0.2, 0.25, 0.9])
    assert frame["rank"].tolist() == [1, 1, 1, 1]


def test_a_chosen_token_outside_the_top_k_has_no_rank_and_counts_in_the_entropy() -> None:
    c = _completion([_entry("z", 0.25, [_alt("x", 0.5), _alt("y", 0.25)])])
    row = analysis.token_frame(c).iloc[0]
    assert row["rank"] is pd.NA
    assert row["entropy_bits"] == pytest.approx(1.5)  # 0.5, 0.25 and the chosen 0.25
    alts = analysis.alternatives_frame(c, 0)
    assert alts["token"].tolist() == ["x", "y", "z"]
    assert alts["chosen"].tolist() == [False, False, True]
    assert alts["rank"].tolist()[:2] == [1, 2] and alts["rank"].tolist()[2] is pd.NA


def test_rank_follows_probability_not_the_order_given() -> None:
    c = _completion([_entry("b", 0.3, [_alt("b", 0.3), _alt("a", 0.6), _alt("c", 0.1)])])
    assert analysis.token_frame(c)["rank"].tolist() == [2]
    alts = analysis.alternatives_frame(c, 0)
    assert alts["token"].tolist() == ["a", "b", "c"]
    assert alts["chosen"].tolist() == [False, True, False]
    assert alts["probability"].tolist() == pytest.approx([0.6, 0.3, 0.1])


def test_perplexity_mean_logprob_and_tokens_below_half() -> None:
    c = _completion([_entry("a", 0.5, []), _entry("b", 0.5, []), _entry("c", 0.125, []), _entry("d", 1.0, [])])
    s = analysis.summary(c)
    assert s.has_logprobs and s.tokens == 4 and s.scored_tokens == 4 and s.note is None
    mean = 5 * math.log(0.5) / 4  # ln 0.5 + ln 0.5 + ln 0.125 (= 3 ln 0.5) + ln 1
    assert s.mean_logprob == pytest.approx(mean)
    assert s.perplexity == pytest.approx(math.exp(-mean))
    assert s.below_half == 1  # exactly 0.5 is not below 50 %


def test_uniform_halves_give_perplexity_two() -> None:
    c = _completion([_entry(t, 0.5, [_alt(t, 0.5), _alt("?", 0.5)]) for t in "abcd"])
    s = analysis.summary(c)
    assert s.perplexity == pytest.approx(2.0)
    assert s.mean_entropy_bits == pytest.approx(1.0)
    assert s.top_k == 2


def test_lowest_confidence_tokens_in_order_with_the_alternative_preferred_there() -> None:
    c = _completion(
        [
            _entry("a", 0.9, [_alt("a", 0.9)]),
            _entry(" b", 0.1, [_alt(" x", 0.7), _alt(" b", 0.1)]),
            _entry("c", 0.4, [_alt("c", 0.4), _alt("y", 0.3)]),
            _entry("d", 0.1, [_alt("d", 0.1)]),
        ]
    )
    lowest = analysis.summary(c, lowest_n=3).lowest
    assert [(t.position, t.token) for t in lowest] == [(1, "␣b"), (3, "d"), (2, "c")]  # ties keep answer order
    assert lowest[0].best_alternative == "␣x" and lowest[0].best_alternative_probability == pytest.approx(0.7)
    assert lowest[1].best_alternative is None  # the chosen token was the most likely one
    assert lowest[0].probability == pytest.approx(0.1)


def test_minus_infinity_and_missing_logprobs_are_left_out_of_the_mean_and_counted() -> None:
    entries = [_entry("a", 0.5, [_alt("a", 0.5), _alt("b", None)]), _entry("b", None, [_alt("a", 0.5)])]
    entries[1]["logprob"] = None  # missing: the normaliser makes it -inf
    c = _completion(entries + [_entry("c", 0.5, [])])
    frame = analysis.token_frame(c)
    assert frame["logprob"].iloc[1] == -math.inf
    assert frame["probability"].tolist() == pytest.approx([0.5, 0.0, 0.5])
    assert frame["entropy_bits"].iloc[0] == pytest.approx(0.0)  # the -inf alternative carries no mass
    s = analysis.summary(c)
    assert (s.tokens, s.scored_tokens, s.unscored_tokens) == (3, 2, 1)
    assert s.mean_logprob == pytest.approx(math.log(0.5))
    assert s.perplexity == pytest.approx(2.0)
    assert s.lowest[0].position == 1 and s.lowest[0].probability == 0.0


def test_only_minus_infinity_gives_no_mean_but_no_error() -> None:
    entry = _entry("a", None, [])
    entry["logprob"] = None
    s = analysis.summary(_completion([entry]))
    assert s.has_logprobs and s.mean_logprob is None and s.perplexity is None and s.unscored_tokens == 1


def test_a_hugely_unlikely_token_gives_an_infinite_perplexity_not_an_error() -> None:
    entry = _entry("a", 0.5, [])
    entry["logprob"] = -9999.0
    s = analysis.summary(_completion([entry]))
    assert s.mean_logprob == -9999.0 and s.perplexity == math.inf


def test_no_logprobs_at_all_is_a_clear_result() -> None:
    c = _completion(None)
    frame = analysis.token_frame(c)
    assert frame.empty and list(frame.columns) == analysis.TOKEN_COLUMNS
    assert analysis.alternatives_frame(c, 0).empty
    s = analysis.summary(c)
    assert not s.has_logprobs and s.note == analysis.NO_LOGPROBS and s.mean_logprob is None and s.lowest == []
    assert analysis.choices_with_logprobs(c) == []


def test_no_choices_and_an_unknown_choice_are_empty_too() -> None:
    c = from_chat_completion({"id": "x", "model": "m", "choices": []})
    assert analysis.token_frame(c).empty and not analysis.summary(c).has_logprobs
    assert analysis.token_frame(_completion([_entry("a", 0.5, [])]), choice=3).empty


@pytest.mark.parametrize("alts", [[], None], ids=["empty top_logprobs", "no top_logprobs key"])
def test_without_alternatives_the_probabilities_remain(alts: list[dict[str, Any]] | None) -> None:
    c = _completion([_entry("a", 0.25, alts), _entry("b", 0.75, alts)])
    frame = analysis.token_frame(c)
    assert frame["probability"].tolist() == pytest.approx([0.25, 0.75])
    assert frame["entropy_bits"].isna().all() and frame["top_mass"].isna().all()
    assert frame["rank"].isna().all() and frame["alternatives"].tolist() == [0, 0]
    assert analysis.alternatives_frame(c, 1).empty
    s = analysis.summary(c)
    assert s.top_k == 0 and s.mean_entropy_bits is None and s.below_half == 1


def test_a_position_outside_the_answer_is_an_index_error() -> None:
    c = _completion([_entry("a", 0.5, [_alt("a", 0.5)])])
    with pytest.raises(IndexError):
        analysis.alternatives_frame(c, 1)


def test_merged_multibyte_token_matches_its_last_byte_alternative() -> None:
    """llama.cpp: the chosen "€" (3 bytes) comes with the alternatives of its last byte."""
    c = _completion([_entry("€", 0.6, [_alt("\ufffd", 0.6, [0xAC]), _alt("\ufffd", 0.3, [0xAD])], raw=[0xE2, 0x82, 0xAC])])
    row = analysis.token_frame(c).iloc[0]
    assert (row["token"], row["partial_utf8"], row["rank"]) == ("€", False, 1)
    alts = analysis.alternatives_frame(c, 0)
    assert alts["token"].tolist() == ["<0xAC>", "<0xAD>"]
    assert alts["chosen"].tolist() == [True, False]


def test_n_greater_than_one_is_per_choice() -> None:
    c = _completion([_entry("a", 0.5, [])], None, [_entry("b", 0.25, []), _entry("c", 0.25, [])])
    assert analysis.choices_with_logprobs(c) == [0, 2]
    second = analysis.token_frame(c, choice=2)
    assert second["raw"].tolist() == ["b", "c"] and set(second["choice"]) == {2}
    assert analysis.summary(c, 2).perplexity == pytest.approx(4.0)
    assert not analysis.summary(c, 1).has_logprobs


# --------------------------------------------------------------------------------------------
# recorded answers from the embedded gateway


def test_recordings_are_present() -> None:
    names = {p.stem for p in RECORDED}
    assert {"logprobs_top5", "logprobs_top8_emoji", "logprobs_top8_cafe", "logprobs_n2", "logprobs_no_top"} <= names


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recorded_tokens_rebuild_the_answer(path: Path) -> None:
    c = from_chat_completion(json.loads(path.read_text()))
    assert analysis.choices_with_logprobs(c)
    for index in analysis.choices_with_logprobs(c):
        frame = analysis.token_frame(c, index)
        assert "".join(frame["text"]) == c.text(index)
        assert frame["probability"].between(0, 1).all()
        assert not frame["partial_utf8"].any()  # llama.cpp merges a character's bytes for the chosen token
        s = analysis.summary(c, index, frame=frame)
        assert s.tokens == len(frame) and s.perplexity is not None and s.perplexity >= 1.0
        assert s.below_half == int((frame["probability"] < 0.5).sum())


def test_recorded_top5_has_five_ranked_alternatives_per_token() -> None:
    c = _recorded("top5")
    frame = analysis.token_frame(c)
    assert set(frame["alternatives"]) == {5}
    assert frame["rank"].notna().all()  # temperature 0: the chosen token is always among them, first
    assert set(frame["rank"].dropna()) == {1}
    assert (frame["entropy_bits"] >= 0).all() and (frame["entropy_bits"] <= math.log2(5) + 1e-9).all()
    paris = frame.index[frame["token"] == "␣Paris"][0]
    alts = analysis.alternatives_frame(c, int(paris))
    assert len(alts) == 5 and alts["chosen"].sum() == 1
    assert alts["token"].iloc[0] == "␣Paris" and alts["chosen"].iloc[0]
    assert alts["probability"].is_monotonic_decreasing


def test_recorded_emoji_alternatives_are_lone_bytes() -> None:
    c = _recorded("top8_emoji")
    frame = analysis.token_frame(c)
    assert frame["token"].iloc[0] == "🌟" and frame["alternatives"].iloc[0] == 8
    alts = analysis.alternatives_frame(c, 0)
    assert len(alts) == 8
    assert all(t.startswith("<0x") and t.endswith(">") for t in alts["token"])
    assert alts["chosen"].sum() == 1


def test_recorded_cafe_keeps_accents_and_newlines() -> None:
    frame = analysis.token_frame(_recorded("top8_cafe"))
    assert "é" in set(frame["token"]) and "ïve" in set(frame["token"])
    assert "↵" in set(frame["token"])
    assert set(frame["alternatives"]) == {8}


def test_recorded_n2_differs_per_choice_and_has_tokens_outside_the_top_k() -> None:
    c = _recorded("n2")
    assert analysis.choices_with_logprobs(c) == [0, 1]
    first, second = analysis.summary(c, 0), analysis.summary(c, 1)
    assert first.perplexity != second.perplexity
    frames = [analysis.token_frame(c, i) for i in (0, 1)]
    assert any(f["rank"].isna().any() for f in frames)  # sampled at temperature 1 outside the top 5
    rows = analysis.run_stats(c, label="run 1", total_s=2.0)
    assert [r.choice for r in rows] == [None, 0, 1]
    assert sum(r.output_tokens or 0 for r in rows[1:]) == c.usage.output_tokens


def test_recorded_without_top_logprobs() -> None:
    c = _recorded("no_top")
    frame = analysis.token_frame(c)
    assert not frame.empty and frame["entropy_bits"].isna().all()
    assert analysis.summary(c).top_k == 0


# --------------------------------------------------------------------------------------------
# usage and export


def test_usage_frame_orders_names_and_fills_speed() -> None:
    rows = [
        RunStats(label="seed 1", input_tokens=10, output_tokens=20, total_s=2.0, ttft_s=0.5),
        RunStats(label="seed 1", input_tokens=10, output_tokens=30, total_s=3.0, tokens_per_s=12.5),
        RunStats(label="seed 2", choice=1, output_tokens=4),
    ]
    frame = analysis.usage_frame(rows)
    assert frame["series"].tolist() == ["seed 1", "seed 1 (2)", "seed 2 · choice 2"]
    assert frame["run"].tolist() == [0, 1, 2]
    assert frame["tokens_per_s"].iloc[0] == pytest.approx(10.0)
    assert frame["tokens_per_s"].iloc[1] == pytest.approx(12.5)  # given, not recomputed
    assert math.isnan(frame["tokens_per_s"].iloc[2])  # no time, no speed
    assert frame["input_tokens"].iloc[2] is pd.NA


def test_usage_frame_of_nothing_has_the_columns() -> None:
    frame = analysis.usage_frame([])
    assert frame.empty and list(frame.columns) == analysis.USAGE_COLUMNS


def test_run_stats_of_a_single_choice_is_one_row_from_usage() -> None:
    c = _recorded("top5")
    (row,) = analysis.run_stats(c, label="r", ttft_s=0.1, total_s=0.5, started=5.0)
    assert (row.input_tokens, row.output_tokens, row.choice, row.started) == (
        c.usage.input_tokens,
        c.usage.output_tokens,
        None,
        5.0,
    )


def test_csv_keeps_tokens_as_text_in_spreadsheets() -> None:
    frame = pd.DataFrame({"token": ["=HYPERLINK(1)", "+1", "ok", "@x"], "probability": [-0.5, 0.1, 0.2, 0.3]})
    back = pd.read_csv(io.BytesIO(analysis.csv_bytes(frame)))
    assert back["token"].tolist() == ["'=HYPERLINK(1)", "'+1", "ok", "'@x"]
    assert back["probability"].tolist() == [-0.5, 0.1, 0.2, 0.3]  # numbers untouched


def test_the_along_series_of_a_long_answer_is_a_few_hundred_bins_that_keep_each_least_likely_token() -> None:
    """A 10,000-token answer drawn along its length: at most `bins` rows, each the lowest, mean and highest
    probability of consecutive tokens, so one unlikely token stands out instead of being averaged away."""
    from bench.analysis import synthetic_completion

    frame = analysis.token_frame(from_chat_completion(synthetic_completion(10_000, 8)))
    frame.loc[4_321, "probability"] = 1e-6
    series = analysis.along_series(frame, bins=300)
    assert len(series) <= 300
    assert series["start"].iloc[0] == 0 and series["end"].iloc[-1] == 9_999
    assert (series["start"].iloc[1:].to_numpy() == series["end"].iloc[:-1].to_numpy() + 1).all()  # no token left out
    for row in series.itertuples():
        tokens = frame.iloc[row.start : row.end + 1]
        assert row.low == tokens["probability"].min() and row.high == tokens["probability"].max()
        assert row.mean == pytest.approx(tokens["probability"].mean())
        assert row.uncertainty == pytest.approx(tokens["entropy_bits"].mean())
    holding = series[(series["start"] <= 4_321) & (4_321 <= series["end"])]
    assert holding["low"].tolist() == [1e-6]


def test_the_along_series_of_a_short_answer_is_every_token() -> None:
    frame = analysis.token_frame(_recorded("top8_cafe"))
    series = analysis.along_series(frame, bins=300)
    assert series["start"].tolist() == series["end"].tolist() == list(range(len(frame)))
    assert series["low"].tolist() == series["mean"].tolist() == series["high"].tolist() == frame["probability"].tolist()


def test_the_frame_and_summary_of_an_answer_are_computed_once_and_again_when_it_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    c = _completion([_entry("a", 0.5, [_alt("a", 0.5), _alt("b", 0.25)]), _entry("c", 0.25, [])])
    built: list[int] = []
    token_frame = analysis.token_frame
    monkeypatch.setattr(
        analysis, "token_frame", lambda completion, choice=0: built.append(choice) or token_frame(completion, choice)
    )
    frame, s = analysis.summary_of(c, lowest_n=1)
    again, s_again = analysis.summary_of(c, lowest_n=1)
    assert built == [0] and again is frame and s_again == s and s.tokens == 2
    assert s.lowest[0].position == 1  # the summary asked for: its least likely token
    c.choices[0].logprobs.append(c.choices[0].logprobs[0])  # a streamed answer grew in place
    grown, s_grown = analysis.summary_of(c, lowest_n=1)
    assert built == [0, 0] and len(grown) == 3 and s_grown.tokens == 3
    other = _completion([_entry("a", 0.5, [])])  # another answer is computed for itself
    assert analysis.summary_of(other)[1].tokens == 1 and built == [0, 0, 0]


def test_an_answer_no_longer_held_leaves_nothing_behind() -> None:
    import gc

    c = _completion([_entry("a", 0.5, [])])
    analysis.summary_of(c)
    key = id(c)
    del c
    gc.collect()
    assert key not in analysis._SUMMARIES
