"""Why answers to one request diverged, read off their logprobs: where runs part ways, what each chose there
with the odds each run gave those tokens, how often the path was a coin toss, and how stable the answers were.

Why: seeds only pick among the model's alternatives, so a divergence is a place where the alternatives were
close. Positions are 0-based indexes into each run's logprob entries (the model's tokens); a run takes part only
when every finished run has logprobs that rebuild its text (the same rule as `read.tokens_of`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel

from playground.compare._shared import common_length
from playground.compare.run import RunResult
from playground.response import TokenLogprob, TopLogprob

COIN_TOSS = 0.10  # a position is a coin toss when its top two alternatives are within 10 points
LOWEST = 5  # how many lowest-margin positions the stability summary lists


class Pick(BaseModel):
    """The token one run took at a fork (None: its answer ended there) and the probability its run gave it."""

    run: int
    token: str | None
    probability: float | None = None


class Fork(BaseModel):
    """A place where runs that agreed so far part ways: at `position`, after `prefix`.

    `tokens` are the different tokens taken there (in the order of the runs); `given[run][i]` is the probability
    that run gave `tokens[i]` (None: not among the alternatives it reported). `top_two` are the two most likely
    alternatives there, `coin_toss` whether they were within COIN_TOSS; `coin_tosses_before` counts such positions
    on the shared path before it."""

    position: int
    prefix: str
    runs: list[int]
    tokens: list[str]
    picks: list[Pick]
    given: dict[int, list[float | None]]
    top_two: tuple[tuple[str, float], tuple[str, float]] | None = None  # (token, probability), most likely first
    coin_toss: bool = False
    coin_tosses_before: int = 0


class Margin(BaseModel):
    """One position of one run: its two most likely alternatives and the token it took."""

    run: int
    position: int
    chosen: str
    first: str
    first_p: float
    second: str
    second_p: float

    @property
    def margin(self) -> float:
        return self.first_p - self.second_p


class PairSplit(BaseModel):
    """Where two runs first differ (`position` None: the same tokens throughout)."""

    a: int
    b: int
    position: int | None


class PathTosses(BaseModel):
    """One run's answer: how many of its positions were coin tosses (None: no alternatives to tell)."""

    run: int
    positions: int
    coin_tosses: int | None


class Stability(BaseModel):
    """How stable the answers were: positions where every run took the same token (of the longest answer's
    `positions`), the first divergence of each pair, the lowest-margin positions, the forks and each run's coin
    tosses. Run numbers are result indexes."""

    runs: list[int]
    positions: int
    agreed: int
    pairs: list[PairSplit]
    lowest: list[Margin]
    forks: list[Fork]
    paths: list[PathTosses]

    @property
    def agreed_share(self) -> float:
        return self.agreed / self.positions if self.positions else 1.0


def _probability(logprob: float) -> float:
    return math.exp(logprob) if math.isfinite(logprob) else 0.0


def _entries(r: RunResult) -> list[TokenLogprob] | None:
    """The run's logprob entries when they rebuild its text; None otherwise."""
    if r.completion is None:
        return None
    choice = next((c for c in r.completion.choices if c.index == 0), None)
    if choice is None or not choice.logprobs or "".join(e.token for e in choice.logprobs) != r.text:
        return None
    return list(choice.logprobs)


def _ranked(entry: TokenLogprob) -> list[TopLogprob]:
    return sorted(entry.top_logprobs, key=lambda t: t.logprob, reverse=True)


def top_two(entry: TokenLogprob) -> tuple[TopLogprob, TopLogprob] | None:
    """The two most likely alternatives at a position, or None when fewer than two were reported."""
    ranked = _ranked(entry)
    return (ranked[0], ranked[1]) if len(ranked) >= 2 else None


def is_coin_toss(entry: TokenLogprob) -> bool:
    """Whether the top two alternatives at this position were within COIN_TOSS of each other."""
    pair = top_two(entry)
    return pair is not None and _probability(pair[0].logprob) - _probability(pair[1].logprob) <= COIN_TOSS


def given_to(entry: TokenLogprob, token: str) -> float | None:
    """The probability this position gave `token`: the chosen token's own, or an alternative's; None when the
    run did not report it."""
    if entry.token == token:
        return _probability(entry.logprob)
    found = next((t for t in entry.top_logprobs if t.token == token), None)
    return _probability(found.logprob) if found is not None else None


def _forks(runs: dict[int, list[TokenLogprob]]) -> list[Fork]:
    """Every place where runs that agreed up to it take different tokens (or one ends), by position."""
    forks: list[Fork] = []
    pending: list[tuple[int, list[int]]] = [(0, list(runs))]  # (position, runs sharing the path up to it)
    while pending:
        position, members = pending.pop()
        while True:
            nxt: dict[str | None, list[int]] = {}
            for r in members:
                entries = runs[r]
                nxt.setdefault(entries[position].token if position < len(entries) else None, []).append(r)
            if len(nxt) > 1 or None in nxt:
                break
            position += 1
        if len(nxt) == 1:  # every one of them ended here together: identical answers
            continue
        forks.append(_fork(runs, position, members, nxt))
        pending.extend((position + 1, rs) for token, rs in nxt.items() if token is not None and len(rs) > 1)
    return sorted(forks, key=lambda f: (f.position, f.runs))


def _fork(runs: dict[int, list[TokenLogprob]], position: int, members: list[int], nxt: dict[str | None, list[int]]) -> Fork:
    first = runs[members[0]]
    tokens = [t for t in nxt if t is not None]
    picks, given = [], {}
    for r in members:
        entries = runs[r]
        if position < len(entries):
            entry = entries[position]
            picks.append(Pick(run=r, token=entry.token, probability=_probability(entry.logprob)))
            given[r] = [given_to(entry, t) for t in tokens]
        else:
            picks.append(Pick(run=r, token=None))
    here = next((runs[r][position] for r in members if position < len(runs[r])), None)
    pair = top_two(here) if here is not None else None
    return Fork(
        position=position,
        prefix="".join(e.token for e in first[:position]),
        runs=members,
        tokens=tokens,
        picks=picks,
        given=given,
        top_two=((pair[0].token, _probability(pair[0].logprob)), (pair[1].token, _probability(pair[1].logprob)))
        if pair
        else None,
        coin_toss=here is not None and is_coin_toss(here),
        coin_tosses_before=sum(is_coin_toss(e) for e in first[:position]),
    )


def _lowest(runs: dict[int, list[TokenLogprob]], n: int) -> list[Margin]:
    """The `n` positions with the closest top two, across the answers. A position an earlier run reached by the
    same tokens (so with the same alternatives) is listed once, under that run."""
    tokens = {r: [e.token for e in entries] for r, entries in runs.items()}
    out: list[Margin] = []
    earlier: list[int] = []
    for r, entries in runs.items():
        covered = max((min(common_length(tokens[r], tokens[s]), len(tokens[s]) - 1) + 1 for s in earlier), default=0)
        earlier.append(r)
        for position, entry in enumerate(entries[covered:], start=covered):
            pair = top_two(entry)
            if pair is None:
                continue
            a, b = pair
            out.append(
                Margin(
                    run=r,
                    position=position,
                    chosen=entry.token,
                    first=a.token,
                    first_p=_probability(a.logprob),
                    second=b.token,
                    second_p=_probability(b.logprob),
                )
            )
    return sorted(out, key=lambda m: (m.margin, m.run, m.position))[:n]


def explain(results: Sequence[RunResult]) -> Stability | None:
    """The stability of the finished runs' answers and where they forked; None unless at least two runs
    finished and every finished run has logprobs that rebuild its text."""
    done = [r for r in results if r.status == "done"]
    runs: dict[int, list[TokenLogprob]] = {}
    for r in done:
        entries = _entries(r)
        if entries is None:
            return None
        runs[r.index] = entries
    if len(runs) < 2:
        return None
    tokens = {r: [e.token for e in entries] for r, entries in runs.items()}
    positions = max(len(t) for t in tokens.values())
    agreed = sum(1 for i in range(positions) if len({t[i] if i < len(t) else None for t in tokens.values()}) == 1)
    order = list(runs)
    pairs = [
        PairSplit(a=a, b=b, position=None if tokens[a] == tokens[b] else common_length(tokens[a], tokens[b]))
        for i, a in enumerate(order)
        for b in order[i + 1 :]
    ]
    paths = [
        PathTosses(
            run=r,
            positions=len(entries),
            coin_tosses=sum(is_coin_toss(e) for e in entries) if any(e.top_logprobs for e in entries) else None,
        )
        for r, entries in runs.items()
    ]
    return Stability(
        runs=order,
        positions=positions,
        agreed=agreed,
        pairs=pairs,
        lowest=_lowest(runs, LOWEST),
        forks=_forks(runs),
        paths=paths,
    )
