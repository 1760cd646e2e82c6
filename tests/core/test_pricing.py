"""What a run cost (playground.pricing) and the prices a person keeps (playground.price_store)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from playground.price_store import PriceStore
from playground.pricing import (
    FREE,
    XAI_PRICES,
    Cost,
    Price,
    cell_cost,
    column_costs,
    default_price,
    dollar_words,
    price_for,
    run_cost,
    total,
)
from playground.response import Usage

GROK = Price(input=3.0, cached_input=0.75, output=15.0, reasoning=15.0)


def test_cached_input_output_and_reasoning_are_each_billed_at_their_own_rate() -> None:
    usage = Usage(input_tokens=1_000, cache_read_input_tokens=400, output_tokens=200, reasoning_tokens=300)
    cost = run_cost(usage, GROK)
    # 600 fresh input at $3, 400 cached at $0.75, 200 output at $15, 300 reasoning at $15, per million
    assert cost.dollars == pytest.approx((600 * 3 + 400 * 0.75 + 200 * 15 + 300 * 15) / 1e6)
    assert cost.known and cost.words() == "$0.009600"


def test_cached_tokens_beyond_the_prompt_are_not_billed_twice() -> None:
    assert run_cost(Usage(input_tokens=10, cache_read_input_tokens=50), GROK).dollars == pytest.approx(10 * 0.75 / 1e6)


def test_no_price_or_no_usage_is_unknown_never_a_guess() -> None:
    assert run_cost(Usage(input_tokens=5), None).words() == "unknown"
    assert run_cost(None, GROK).words() == "unknown"
    assert not run_cost(None, GROK).known


def test_the_embedded_model_is_free_other_servers_unknown_and_xai_published() -> None:
    assert default_price("embedded", "smollm2-135m-instruct") == FREE
    assert run_cost(Usage(input_tokens=99, output_tokens=9), FREE).words() == "free"
    assert default_price("openai", "llama-3") is None
    assert default_price("xai", "grok-3-mini") == XAI_PRICES["grok-3-mini"]
    assert default_price("xai", "grok-99") is None


def test_a_saved_price_wins_over_the_default() -> None:
    mine = Price(input=1, cached_input=0, output=2, reasoning=2)
    saved = {("xai", "grok-3"): mine, ("openai", "llama-3"): mine}
    assert price_for("xai", "grok-3", saved) == mine
    assert price_for("openai", "llama-3", saved) == mine
    assert price_for("xai", "grok-3-mini", saved) == XAI_PRICES["grok-3-mini"]


def test_a_total_over_unknown_runs_says_so() -> None:
    known = run_cost(Usage(input_tokens=1_000_000), GROK)
    assert total([known, known]).words() == "$6.00"
    assert total([known, run_cost(None, None)]).words() == "$3.00 + 1 run of unknown cost"
    assert total([run_cost(None, None)] * 2).words() == "unknown"
    assert total([run_cost(Usage(), FREE), run_cost(Usage(), FREE)]).words() == "free"
    assert total([]).words() == "nothing run" and total([]).runs == 0
    assert Cost(dollars=0.5, runs=3, unknown=2).words() == "$0.5000 + 2 runs of unknown cost"


@pytest.mark.parametrize(
    ("dollars", "words"), [(12.345, "$12.35"), (0.0123, "$0.0123"), (0.000045, "$0.000045"), (3e-9, "$3.00e-09")]
)
def test_small_amounts_keep_their_digits(dollars: float, words: str) -> None:
    assert dollar_words(dollars) == words


@pytest.mark.parametrize("bad", [{"input": -1}, {"output": float("nan")}, {"reasoning": float("inf")}, {"input": "x"}])
def test_a_price_is_never_negative_or_not_a_number(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Price.model_validate({"input": 1, "cached_input": 1, "output": 1, "reasoning": 1} | bad)


def test_prices_are_kept_changed_and_reset_in_the_store(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "playground.sqlite3")
    assert store.saved() == {}
    store.set("openai", " llama-3 ", GROK)
    store.set("openai", "llama-3", FREE)
    assert PriceStore(tmp_path / "playground.sqlite3").saved() == {("openai", "llama-3"): FREE}
    store.reset("openai", "llama-3")
    assert store.saved() == {}


def test_a_cell_and_each_comparison_column_are_priced_where_they_ran() -> None:
    from playground.compare.run import Comparison, RunResult
    from playground.notebook import Cell
    from playground.response import Completion

    usage = Usage(input_tokens=1_000_000)
    done = Cell(
        backend="xai",
        model="grok-3",
        body={"model": "grok-3"},
        status="done",
        completion=Completion(id="x", model="grok-3", content=[], choices=[], usage=usage),
    )
    assert cell_cost(done, {}).dollars == pytest.approx(3.0)
    assert cell_cost(done.model_copy(update={"completion": None, "status": "error"}), {}).words() == "unknown"
    results = [
        RunResult(index=0, label="a", body={"model": "grok-3"}, backend="xai", usage=usage),
        RunResult(index=1, label="b", body={"model": "smollm2"}, backend="embedded", usage=usage),
        RunResult(index=2, label="c", body={"model": "llama"}, backend="openai", usage=usage),
        RunResult(index=3, label="d", body={"model": "grok-3"}, backend=None, usage=usage),  # kept before costs were
    ]
    costs = column_costs(Comparison(results=results), {})
    assert [c.words() for c in costs] == ["$3.00", "free", "unknown", "unknown"]
    assert total(costs).words() == "$3.00 + 2 runs of unknown cost"
