"""Reading finished runs: where texts diverge (by token and by word), identical groups, similarity,
reproducibility and, from logprobs, why they diverged (`explain`), all gathered by `analyse`; and the table as CSV.

Positions are Python string offsets (code points), moved back so a marker never splits a character from
its combining marks, a ZWJ sequence or a surrogate pair."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

import pandas as pd
from pydantic import BaseModel

from playground import backends, fields
from playground.analysis import csv_bytes
from playground.compare._shared import common_length
from playground.compare.explain import Stability, explain
from playground.compare.run import Comparison, RunResult
from playground.compare.setup import Variant, number_text
from playground.response import TokenLogprob

TokensBy = Literal["logprobs", "words"]  # the model's own tokens (from logprobs), or word tokens


_WORD_TOKENS = re.compile(r"\s*\S+|\s+")
_WORDS = re.compile(r"\S+")


def tokenize_words(text: str) -> list[str]:
    """Word tokens for texts without logprobs: each word with the whitespace before it (as BPE tokens
    carry their leading space), plus trailing whitespace; they join back to `text`."""
    return _WORD_TOKENS.findall(text)


def _logprob_tokens(entries: Sequence[TokenLogprob]) -> list[str] | None:
    """Token strings from logprob entries; byte pieces of one character are merged back into it."""
    if all(e.bytes is not None for e in entries):
        out: list[str] = []
        buffer = b""
        for e in entries:
            buffer += bytes(b for b in e.bytes or [] if 0 <= b < 256)
            try:
                out.append(buffer.decode("utf-8"))
            except UnicodeDecodeError:
                continue  # an incomplete character: wait for the next piece
            buffer = b""
        if buffer:
            return None
        return out
    return [e.token for e in entries]


def tokens_of(result: RunResult) -> list[str] | None:
    """The run's own tokens (from logprobs, when asked for and they rebuild its text); None otherwise."""
    completion = result.completion
    if completion is None:
        return None
    choice = next((c for c in completion.choices if c.index == 0), None)
    if choice is None or not choice.logprobs:
        return None
    tokens = _logprob_tokens(choice.logprobs)
    if tokens is None or "".join(tokens) != result.text:
        return None
    return tokens


def _token_lists(texts: Sequence[str], tokens: Sequence[Sequence[str] | None] | None) -> tuple[list[list[str]], TokensBy]:
    """The model's tokens when every text has them and they rebuild it; word tokens for all otherwise
    (mixing two tokenisations would compare unlike pieces)."""
    if (
        tokens is not None
        and len(tokens) == len(texts)
        and all(t is not None and "".join(t) == text for t, text in zip(tokens, texts, strict=True))
    ):
        return [list(t or []) for t in tokens], "logprobs"
    return [tokenize_words(t) for t in texts], "words"


_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


def _boundary(text: str, i: int) -> int:
    """`i` moved back to the start of its character: never inside a surrogate pair, before a combining
    mark or variation selector, or after a zero-width joiner."""
    while 0 < i < len(text) and (
        unicodedata.combining(text[i])
        or text[i] in _JOINERS
        or text[i - 1] == "\u200d"
        or ("\udc00" <= text[i] <= "\udfff" and "\ud800" <= text[i - 1] <= "\udbff")
        or 0x1F3FB <= ord(text[i]) <= 0x1F3FF  # skin-tone modifiers belong to the emoji before them
    ):
        i -= 1
    return i


class Point(BaseModel):
    """Where one text departs, in that text: the differing token (None: the text ended there) at
    `token_index`, starting at string offset `char`; the first differing word (None when the words
    are the same and only whitespace differs, or the text ran out of words)."""

    char: int
    token_index: int
    token: str | None
    word_index: int | None
    word: str | None
    word_char: int | None


class Difference(BaseModel):
    """How two texts first differ; `a`/`b` are None when they are identical."""

    identical: bool
    tokens: TokensBy
    first_char: int | None = None  # string offset of the first differing character (never mid-character)
    common_prefix: str = ""
    a: Point | None = None
    b: Point | None = None


def _point(toks: Sequence[str], k: int, words: list[re.Match[str]], w: int | None) -> Point:
    char = sum(len(t) for t in toks[:k])
    word = words[w] if w is not None and w < len(words) else None
    return Point(
        char=char,
        token_index=k,
        token=toks[k] if k < len(toks) else None,
        word_index=w if w is not None else None,
        word=word.group() if word else None,
        word_char=word.start() if word else None,
    )


def _difference(a: str, b: str, ta: Sequence[str], tb: Sequence[str], by: TokensBy) -> Difference:
    if a == b and list(ta) == list(tb):
        return Difference(identical=True, tokens=by, common_prefix=a)
    k = common_length(ta, tb)
    words_a, words_b = list(_WORDS.finditer(a)), list(_WORDS.finditer(b))
    w: int | None = common_length([m.group() for m in words_a], [m.group() for m in words_b])
    if w is not None and w >= len(words_a) and w >= len(words_b):
        w = None  # the same words, different whitespace
    c = common_length(a, b)
    first = min(_boundary(a, c), _boundary(b, c))
    return Difference(
        identical=False,
        tokens=by,
        first_char=first,
        common_prefix=a[:first],
        a=_point(ta, k, words_a, w),
        b=_point(tb, k, words_b, w),
    )


def first_difference(a: str, b: str, tokens_a: Sequence[str] | None = None, tokens_b: Sequence[str] | None = None) -> Difference:
    """Where `b` first differs from `a`, by token (the model's when both have them) and by word."""
    (ta, tb), by = _token_lists([a, b], [tokens_a, tokens_b])
    return _difference(a, b, ta, tb, by)


class Divergence(BaseModel):
    """Where one text departs from the others: from `closest`, the different text sharing its longest
    start. `point` is None when no other text differs from it (all identical, or it stands alone)."""

    index: int
    diverges: bool
    closest: int | None = None
    tokens: TokensBy = "words"
    point: Point | None = None
    other: Point | None = None  # the same place in the closest text


def divergence(texts: Sequence[str], tokens: Sequence[Sequence[str] | None] | None = None) -> list[Divergence]:
    """For each text, the first token and word where it departs from the others.

    Each text is measured against the *different* text that shares the longest start with it, so in
    "the cat sat" / "the cat ran" / "the dog" the marks fall on "sat", "ran" and "dog". Identical texts
    get the same mark; a text that no other text differs from gets none.
    """
    toks, by = _token_lists(texts, tokens)
    out: list[Divergence] = []
    for i, text in enumerate(texts):
        best: tuple[int, int, int] | None = None  # (common tokens, common chars, -j)
        for j, other in enumerate(texts):
            if j == i or other == text:
                continue
            score = (common_length(toks[i], toks[j]), common_length(text, other), -j)
            if best is None or score > best:
                best = score
        if best is None:
            out.append(Divergence(index=i, diverges=False, tokens=by))
            continue
        j = -best[2]
        diff = _difference(text, texts[j], toks[i], toks[j], by)
        out.append(Divergence(index=i, diverges=True, closest=j, tokens=by, point=diff.a, other=diff.b))
    return out


class Group(BaseModel):
    """Texts that are exactly the same; `members` are their indexes, `number` counts groups from 1
    in order of first appearance."""

    number: int
    text: str
    members: list[int]

    @property
    def count(self) -> int:
        return len(self.members)


def group_identical(texts: Sequence[str]) -> list[Group]:
    """Identical texts grouped, in order of first appearance."""
    by_text: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        by_text.setdefault(text, []).append(i)
    return [Group(number=n, text=text, members=members) for n, (text, members) in enumerate(by_text.items(), start=1)]


def group_summary(groups: Sequence[Group]) -> str:
    """ "3 of 8 identical", "all 4 identical", "all 4 different"."""
    total = sum(g.count for g in groups)
    if total == 0:
        return "no answers"
    if total == 1:
        return "1 answer"
    largest = max(groups, key=lambda g: g.count)
    if largest.count == total:
        return f"all {total} identical"
    if largest.count == 1:
        return f"all {total} different"
    others = sorted((g.count for g in groups if g.count > 1), reverse=True)
    if len(others) == 1:
        return f"{largest.count} of {total} identical"
    return f"{' + '.join(map(str, others))} of {total} identical in {len(others)} groups"


def similarity(a: str, b: str, tokens_a: Sequence[str] | None = None, tokens_b: Sequence[str] | None = None) -> float:
    """0–1: difflib's ratio over the two token lists (1 for identical, including two empty texts)."""
    (ta, tb), _ = _token_lists([a, b], [tokens_a, tokens_b])
    if not ta and not tb:
        return 1.0
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()


def similarity_matrix(texts: Sequence[str], tokens: Sequence[Sequence[str] | None] | None = None) -> list[list[float]]:
    """Pairwise `similarity`, symmetric, 1 on the diagonal."""
    toks, _ = _token_lists(texts, tokens)
    n = len(texts)
    out = [[1.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            value = (
                1.0 if not toks[i] and not toks[j] else difflib.SequenceMatcher(None, toks[i], toks[j], autojunk=False).ratio()
            )
            out[i][j] = out[j][i] = value
    return out


class ReproCheck(BaseModel):
    """A run of one request against its first run: the same token for token, or where it first differed."""

    key: str
    first: int  # result indexes
    again: int
    labels: tuple[str, str]
    matched: bool
    difference: Difference | None = None
    fingerprints: tuple[str | None, str | None] = (None, None)

    @property
    def fingerprint_changed(self) -> bool:
        a, b = self.fingerprints
        return a is not None and b is not None and a != b


def reproducibility(results: Sequence[RunResult]) -> list[ReproCheck]:
    """Pair each repeated run (same `key`) with the first finished run of that request. Runs that did
    not finish ("error", "cancelled") are left out."""
    by_key: dict[str, list[RunResult]] = defaultdict(list)
    for r in results:
        if r.status == "done":
            by_key[r.key or r.label].append(r)
    checks: list[ReproCheck] = []
    for key, runs in by_key.items():
        runs = sorted(runs, key=lambda r: (r.attempt, r.index))
        first = runs[0]
        for again in runs[1:]:
            diff = first_difference(first.text, again.text, tokens_of(first), tokens_of(again))
            checks.append(
                ReproCheck(
                    key=key,
                    first=first.index,
                    again=again.index,
                    labels=(first.label, again.label),
                    matched=diff.identical,
                    difference=None if diff.identical else diff,
                    fingerprints=(first.system_fingerprint, again.system_fingerprint),
                )
            )
    return checks


def reproducibility_summary(checks: Sequence[ReproCheck]) -> str:
    """ "2 of 2 repeats matched token for token" or where the first mismatch began."""
    if not checks:
        return "no repeated runs"
    matched = sum(c.matched for c in checks)
    text = f"{matched} of {len(checks)} repeat{'s' if len(checks) != 1 else ''} matched token for token"
    miss = next((c for c in checks if not c.matched), None)
    if miss is not None and miss.difference is not None and miss.difference.b is not None:
        text += f"; {miss.labels[1]} first differed at token {miss.difference.b.token_index + 1}"
    return text


class Analysis(BaseModel):
    """Everything the Compare page reads off finished runs (indexes are result indexes)."""

    compared: list[int]  # the finished ("done") runs the figures below are about
    tokens: TokensBy
    divergence: dict[int, Divergence]
    groups: list[Group]  # members are result indexes
    group_of: dict[int, int]
    summary: str
    similarity: dict[int, dict[int, float]]
    similarity_to_first: dict[int, float]
    reproducibility: list[ReproCheck]
    stability: Stability | None = None  # from logprobs, when every finished run has them


def analyse(comparison: Comparison) -> Analysis:
    """Divergence, groups, similarity, reproducibility and stability over the runs that finished."""
    done = [r for r in comparison.results if r.status == "done"]
    texts = [r.text for r in done]
    run_tokens = [tokens_of(r) for r in done]
    _, by = _token_lists(texts, run_tokens)
    divs = divergence(texts, run_tokens)
    groups = [Group(number=g.number, text=g.text, members=[done[m].index for m in g.members]) for g in group_identical(texts)]
    matrix = similarity_matrix(texts, run_tokens)
    sim = {done[i].index: {done[j].index: matrix[i][j] for j in range(len(done))} for i in range(len(done))}
    first = done[0].index if done else None
    return Analysis(
        compared=[r.index for r in done],
        tokens=by,
        divergence={
            done[d.index].index: d.model_copy(
                update={"index": done[d.index].index, "closest": done[d.closest].index if d.closest is not None else None}
            )
            for d in divs
        },
        groups=groups,
        group_of={m: g.number for g in groups for m in g.members},
        summary=group_summary(groups),
        similarity=sim,
        similarity_to_first={i: row[first] for i, row in sim.items()} if first is not None else {},
        reproducibility=reproducibility(comparison.results),
        stability=explain(comparison.results),
    )


CSV_COLUMNS = (
    "label",
    "setting",
    "status",
    "text",
    "tokens",
    "ttft_s",
    "total_s",
    "tokens_per_s",
    "group",
    "similarity_to_first",
    "diverges_at_token",
    "error",
)


def _setting(v: Variant | None) -> str:
    if v is None:
        return ""
    parts = [
        f"{k}={'unset' if x is None else number_text(x) if isinstance(x, float) else x}"
        for k, x in v.changes.items()
        if not isinstance(x, dict | list)
    ]
    if v.backend:
        parts.append(f"backend={v.backend}")
    return "; ".join(parts)


def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def to_csv(comparison: Comparison) -> bytes:
    """The comparison table as UTF-8 CSV (one row per run; the text exactly as the model wrote it), written by
    `analysis.csv_bytes`, so a text a spreadsheet would run as a formula stays text."""
    analysis = analyse(comparison)
    rows = []
    for r in comparison.results:
        v = comparison.variants[r.index] if r.index < len(comparison.variants) else None
        div = analysis.divergence.get(r.index)
        rows.append(
            [
                r.label,
                _setting(v),
                r.status,
                r.text,
                "" if r.usage is None else r.usage.output_tokens,
                _fmt(r.ttft_s, 3),
                _fmt(r.total_s, 3),
                _fmt(r.tokens_per_s, 1),
                analysis.group_of.get(r.index, ""),
                _fmt(analysis.similarity_to_first.get(r.index), 3),
                "" if div is None or div.point is None else div.point.token_index + 1,
                r.error or "",
            ]
        )
    return csv_bytes(pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object))


# ------------------------------------------------------------------------------------ in words


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
