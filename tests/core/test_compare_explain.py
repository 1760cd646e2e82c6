"""playground.compare.explain on real recorded logprobs: where seeds part ways, the odds each run gave the tokens
taken there, coin tosses, and the stability summary."""

from __future__ import annotations

import json
import math

import pytest

from playground.compare import RunResult
from playground.compare.explain import COIN_TOSS, explain, given_to, is_coin_toss, top_two
from tests.core.compare_cases import DATA, n2_runs, run_of, sea_runs


def probability(r: RunResult, position: int) -> float:
    assert r.completion is not None and r.completion.choices[0].logprobs is not None
    return math.exp(r.completion.choices[0].logprobs[position].logprob)


def cut(r: RunResult, tokens: int, index: int) -> RunResult:
    """The run's answer cut after `tokens` tokens, as a run of its own."""
    assert r.completion is not None
    (choice,) = r.completion.choices
    entries = (choice.logprobs or [])[:tokens]
    text = "".join(e.token for e in entries)
    completion = r.completion.model_copy(update={"choices": [choice.model_copy(update={"logprobs": entries})]})
    return r.model_copy(update={"index": index, "label": f"cut {tokens}", "text": text, "completion": completion})


def test_three_seeds_fork_after_their_shared_first_token_with_the_odds_each_run_gave() -> None:
    runs = sea_runs()
    assert [r.text.split()[:2] for r in runs] == [["The", "golden"], ["The", "ocean:"], ["The", "sea"]]
    s = explain(runs)
    assert s is not None
    (fork,) = s.forks
    assert (fork.position, fork.prefix, fork.runs) == (1, "The", [0, 1, 2])
    assert fork.tokens == [" golden", " ocean", " sea"]
    assert [(p.run, p.token) for p in fork.picks] == [(0, " golden"), (1, " ocean"), (2, " sea")]
    for p in fork.picks:
        assert p.probability == pytest.approx(probability(runs[p.run], 1))
    # the same start gives the same odds: seed 3 and seed 4 gave ' ocean' and ' sea' what their takers did;
    # ' golden' (1.5 %) was not among their top 5
    assert (
        fork.given[1]
        == fork.given[2]
        == [None, pytest.approx(fork.picks[1].probability), pytest.approx(fork.picks[2].probability)]
    )
    assert fork.given[0] == [pytest.approx(p.probability) for p in fork.picks]
    assert fork.top_two == (
        (" sea", pytest.approx(fork.picks[2].probability)),
        (" ocean", pytest.approx(fork.picks[1].probability)),
    )
    assert not fork.coin_toss and fork.coin_tosses_before == 0  # ' sea' 43 % against ' ocean' 16 %


def test_the_stability_summary_agreement_pairs_and_lowest_margins() -> None:
    runs = sea_runs()
    s = explain(runs)
    assert s is not None
    assert (s.agreed, s.positions) == (1, 16)  # only "The": after the fork no position lines up again
    assert [(p.a, p.b, p.position) for p in s.pairs] == [(0, 1, 1), (0, 2, 1), (1, 2, 1)]
    margins = [m.margin for m in s.lowest]
    assert len(margins) == 5 and margins == sorted(margins)
    every = [
        (r.index, i, e)
        for r in runs
        for i, e in enumerate(r.completion.choices[0].logprobs or [])  # type: ignore[union-attr]
        if top_two(e) is not None
    ]
    closest = min(every, key=lambda x: math.exp(top_two(x[2])[0].logprob) - math.exp(top_two(x[2])[1].logprob))  # type: ignore[index]
    assert (s.lowest[0].run, s.lowest[0].position) == closest[:2]
    assert (s.lowest[0].first, s.lowest[0].second, s.lowest[0].chosen) == (" timeless", " testament", " delicate")
    assert all(0 < m.margin < 0.03 for m in s.lowest[:1])
    for path, r in zip(s.paths, runs, strict=True):
        entries = r.completion.choices[0].logprobs or []  # type: ignore[union-attr]
        assert path.positions == len(entries) == 16
        assert path.coin_tosses == sum(is_coin_toss(e) for e in entries)
    assert [p.coin_tosses for p in s.paths] == [8, 2, 5]


def test_a_fork_on_a_coin_toss_says_so() -> None:
    runs = n2_runs()
    s = explain(runs)
    assert s is not None
    (fork,) = s.forks
    assert (fork.position, fork.prefix, fork.tokens) == (0, "", ["A", "The"])
    assert fork.top_two is not None and [t for t, _ in fork.top_two] == ["The", "A"]
    assert fork.top_two[0][1] - fork.top_two[1][1] <= COIN_TOSS  # 17.0 % and 14.1 %
    assert fork.coin_toss
    assert fork.given[0] == fork.given[1] == [pytest.approx(probability(runs[0], 0)), pytest.approx(probability(runs[1], 0))]


def test_identical_answers_agree_everywhere_and_fork_nowhere() -> None:
    first = sea_runs()[0]
    again = first.model_copy(update={"index": 1, "label": "again"})
    s = explain([first, again])
    assert s is not None
    assert s.forks == [] and s.agreed == s.positions == 16 and s.agreed_share == 1.0
    assert [(p.a, p.b, p.position) for p in s.pairs] == [(0, 1, None)]
    assert all(m.run == 0 for m in s.lowest)  # a position both reached the same way is listed once


def test_an_answer_that_ends_where_another_goes_on_forks_there() -> None:
    whole = sea_runs()[0]
    s = explain([whole, cut(whole, 6, 1)])
    assert s is not None
    (fork,) = s.forks
    assert fork.position == 6 and fork.tokens == [" are"]
    assert [(p.run, p.token) for p in fork.picks] == [(0, " are"), (1, None)]
    assert (s.agreed, s.positions) == (6, 16)
    assert [(p.a, p.b, p.position) for p in s.pairs] == [(0, 1, 6)]


def test_nested_forks_are_each_found() -> None:
    whole = sea_runs()[0]
    s = explain([whole, cut(whole, 6, 1), cut(whole, 3, 2), sea_runs()[1].model_copy(update={"index": 3})])
    assert s is not None
    assert [(f.position, f.runs) for f in s.forks] == [(1, [0, 1, 2, 3]), (3, [0, 1, 2]), (6, [0, 1])]


def test_no_explanation_without_logprobs_for_every_finished_run() -> None:
    runs = sea_runs()
    plain = runs[1].model_copy(update={"completion": None})
    assert explain([runs[0], plain]) is None
    assert explain(runs[:1]) is None
    failed = runs[2].model_copy(update={"status": "error"})
    assert explain([runs[0], runs[1], failed]) is not None  # only finished runs are read


def test_logprobs_without_alternatives_count_no_coin_tosses() -> None:
    payload = json.loads((DATA / "logprobs_no_top.json").read_text())
    a, b = run_of(payload, 0, "a"), run_of(payload, 1, "b")
    s = explain([a, b])
    assert s is not None
    assert [p.coin_tosses for p in s.paths] == [None, None] and s.lowest == []
    entry = a.completion.choices[0].logprobs[0]  # type: ignore[union-attr,index]
    assert given_to(entry, entry.token) == pytest.approx(math.exp(entry.logprob)) and given_to(entry, "zzz") is None
