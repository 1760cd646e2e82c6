"""What a run cost: a price per model (US dollars per million tokens) and the arithmetic, nothing guessed.

A `Price` has four rates: input, cached input, output and reasoning tokens. Where they come from, in order:
what the person set on the Tools & schemas page (kept in the store, `playground.store.PriceStore`); else the
defaults below — xAI's published prices for its models, and the embedded model is free; anything else (another
server, an xAI model not listed) has no price, and its cost is "unknown", never an estimate.

Usage is read as xAI reports it: `prompt_tokens` includes the cached ones (those are billed at the cached rate,
the rest at the input rate), and reasoning tokens are counted beside `completion_tokens` (xAI's examples give
total = prompt + completion + reasoning), each billed at its own rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from playground.response import Usage

if TYPE_CHECKING:
    from playground.compare.run import Comparison
    from playground.notebook import Cell

__all__ = [
    "FREE",
    "RATES",
    "XAI_PRICES",
    "Cost",
    "Price",
    "PriceKey",
    "default_price",
    "dollar_words",
    "price_for",
    "run_cost",
    "total",
]

PriceKey = tuple[str, str]
"""(backend id, model id): what a price is kept under."""

RATES: dict[str, str] = {
    "input": "Input",
    "cached_input": "Cached input",
    "output": "Output",
    "reasoning": "Reasoning",
}
"""The four rates of a price, by field name, with the words the page shows (each is dollars per million tokens)."""


class Price(BaseModel):
    """US dollars per million tokens of each kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    cached_input: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    output: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    reasoning: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)

    @property
    def free(self) -> bool:
        return not (self.input or self.cached_input or self.output or self.reasoning)


FREE = Price(input=0, cached_input=0, output=0, reasoning=0)


def _xai(input_: float, cached: float, output: float) -> Price:
    # xAI bills reasoning tokens at the model's output (completion) rate.
    return Price(input=input_, cached_input=cached, output=output, reasoning=output)


# xAI's published prices, per million tokens: input (cached input) / output. Sources, read 2026-12-06 through the
# search tool's stored copies: the grok-4.20 and grok-4-1-fast rows from "Models and Pricing", docs.x.ai/developers/models.md
# ("Pricing [in (cached in) / out]"); grok-3, grok-3-mini and their -fast variants from the same page as archived on
# 2 Jun 2025 (archive.fo/dYUtw). They are defaults: the Tools & schemas page changes them.
XAI_PRICES: dict[str, Price] = {
    "grok-4.20-0309-reasoning": _xai(2.00, 0.20, 6.00),
    "grok-4.20-0309-non-reasoning": _xai(2.00, 0.20, 6.00),
    "grok-4.20-multi-agent-0309": _xai(2.00, 0.20, 6.00),
    "grok-4-1-fast-reasoning": _xai(0.20, 0.05, 0.50),
    "grok-4-1-fast-non-reasoning": _xai(0.20, 0.05, 0.50),
    "grok-3": _xai(3.00, 0.75, 15.00),
    "grok-3-fast": _xai(5.00, 1.25, 25.00),
    "grok-3-mini": _xai(0.30, 0.075, 0.50),
    "grok-3-mini-fast": _xai(0.60, 0.15, 4.00),
}


def default_price(backend: str, model: str) -> Price | None:
    """The price before anyone sets one: the embedded model is free, xAI's listed models cost what xAI publishes,
    anything else is unknown (None)."""
    if backend == "embedded":
        return FREE
    if backend == "xai":
        return XAI_PRICES.get(model.strip().lower())
    return None


def price_for(backend: str, model: str, saved: Mapping[PriceKey, Price]) -> Price | None:
    """The price a run of `model` on `backend` is billed at: the one the person saved, else the default."""
    return saved.get((backend, model.strip())) or default_price(backend, model)


class Cost(BaseModel):
    """What some runs cost. `dollars` sums the runs whose price is known; `unknown` counts those whose price (or
    usage) is not, so a total over them is never shown as if it were whole."""

    model_config = ConfigDict(frozen=True)

    dollars: float = 0.0
    runs: int = 0
    unknown: int = 0

    @property
    def known(self) -> bool:
        return self.unknown == 0

    def words(self) -> str:
        """ "$0.000123", "free", "unknown", or "$0.0021 + 2 runs of unknown cost"."""
        if self.runs == 0:
            return "nothing run"
        if self.unknown == self.runs:
            return "unknown"
        money = "free" if self.dollars == 0 else dollar_words(self.dollars)
        if self.unknown:
            runs = "run" if self.unknown == 1 else "runs"
            return f"{money} + {self.unknown} {runs} of unknown cost"
        return money


def dollar_words(dollars: float) -> str:
    """An amount with enough digits to see a small one: $1.23, $0.0123, $0.000045."""
    if dollars >= 0.01:
        return f"${dollars:,.2f}" if dollars >= 1 else f"${dollars:.4f}"
    return f"${dollars:.6f}" if dollars >= 0.000001 else f"${dollars:.2e}"


def run_cost(usage: Usage | None, price: Price | None) -> Cost:
    """One run's cost; unknown without a price or without usage."""
    if price is None or usage is None:
        return Cost(runs=1, unknown=1)
    cached = min(usage.cache_read_input_tokens, usage.input_tokens)
    dollars = (
        (usage.input_tokens - cached) * price.input
        + cached * price.cached_input
        + usage.output_tokens * price.output
        + usage.reasoning_tokens * price.reasoning
    ) / 1_000_000
    return Cost(dollars=dollars, runs=1)


def total(costs: Iterable[Cost]) -> Cost:
    """Several runs' cost together."""
    out = Cost()
    for c in costs:
        out = Cost(dollars=out.dollars + c.dollars, runs=out.runs + c.runs, unknown=out.unknown + c.unknown)
    return out


def cell_cost(cell: Cell, saved: Mapping[PriceKey, Price]) -> Cost:
    """A notebook cell's cost: its usage at its backend's price for the model it asked for (unknown while it has
    no answer, since a stopped stream reports no usage)."""
    usage = cell.completion.usage if cell.completion is not None else None
    return run_cost(usage, price_for(cell.backend, cell.model or str(cell.body.get("model") or ""), saved))


def column_costs(comparison: Comparison, saved: Mapping[PriceKey, Price]) -> list[Cost]:
    """Each column's cost, in the order of `comparison.results`; unknown where the run has no usage or where it
    went is not recorded (comparisons kept before costs were)."""
    out = []
    for r in comparison.results:
        price = price_for(r.backend, str(r.body.get("model") or ""), saved) if r.backend else None
        out.append(run_cost(r.usage, price))
    return out
