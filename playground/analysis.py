"""Logprobs and usage as pandas frames: what the probability view and the usage charts draw.

Everything here works on the normalised `Completion` (never raw JSON) and never raises on odd
answers: no logprobs at all, empty `top_logprobs`, `-inf` (or missing) log-probabilities and
tokens that are not valid UTF-8 on their own all give a result the page can show.

Definitions, so the figures mean the same everywhere they appear:
- probability = exp(logprob) of the chosen token (natural log, as the API reports it).
- entropy_bits: Shannon entropy, in bits, of the alternatives the API gave (top_logprobs), plus the
  chosen token when it is not among them, renormalised to sum to 1 over what is given. It is the
  entropy of the top-k slice, not of the whole vocabulary: a lower bound of how undecided the model
  was. `top_mass` says how much probability that slice covers.
- rank: 1 for the most likely alternative; None when the chosen token is not among the alternatives.
- mean_logprob / perplexity: over the tokens with a finite logprob; tokens whose logprob is missing
  or -inf are counted in `unscored_tokens` and left out (one of them would make perplexity infinite).
"""

from __future__ import annotations

import math
import threading
import unicodedata
import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from playground.response import Completion, TokenLogprob, TopLogprob

__all__ = [
    "ALTERNATIVE_COLUMNS",
    "NO_LOGPROBS",
    "TOKEN_COLUMNS",
    "USAGE_COLUMNS",
    "LogprobSummary",
    "LowToken",
    "RunStats",
    "ALONG_COLUMNS",
    "alternatives_frame",
    "along_series",
    "choices_with_logprobs",
    "csv_bytes",
    "decode_token",
    "logprobs_of",
    "run_stats",
    "show_token",
    "summary",
    "summary_of",
    "token_frame",
    "usage_frame",
]

NO_LOGPROBS = "This answer carries no logprobs: turn on logprobs (and top_logprobs for alternatives) and run again."

TOKEN_COLUMNS = [
    "choice",
    "position",
    "token",
    "raw",
    "text",
    "partial_utf8",
    "logprob",
    "probability",
    "entropy_bits",
    "top_mass",
    "alternatives",
    "rank",
]
ALTERNATIVE_COLUMNS = ["rank", "token", "raw", "logprob", "probability", "chosen"]
USAGE_COLUMNS = [
    "run",
    "label",
    "choice",
    "series",
    "started",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "ttft_s",
    "total_s",
    "tokens_per_s",
]

# --------------------------------------------------------------------------------------------
# token text: bytes first, whitespace made visible

_VISIBLE = {" ": "␣", "\n": "↵", "\t": "→", "\r": "␍"}
_VISIBLE_TABLE = str.maketrans(_VISIBLE)
_KEEP_FORMAT = {"\u200d"}  # zero-width joiner: part of emoji sequences, harmless


def decode_token(token: str, raw_bytes: Sequence[int] | None) -> tuple[str, bool]:
    """The token's text from its bytes when given, and whether those bytes are not valid UTF-8 on their own.

    llama.cpp sends one byte of a multi-byte character as token "\\ufffd" with `bytes` [159]: such bytes
    come back as "<0x9F>" so the page shows something exact instead of a replacement character.
    """
    if not raw_bytes:
        return token, False
    try:
        data = bytes(raw_bytes)
    except (ValueError, TypeError):
        data = bytes(int(b) & 0xFF for b in raw_bytes)
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    rest = data
    while rest:
        try:
            out.append(rest.decode("utf-8"))
            break
        except UnicodeDecodeError as exc:
            out.append(rest[: exc.start].decode("utf-8"))
            out.extend(f"<0x{b:02X}>" for b in rest[exc.start : exc.end])
            rest = rest[exc.end :]
    return "".join(out), True


def show_token(text: str) -> str:
    """Text with whitespace and control characters visible (␣ ↵ → ␍, others as <U+XXXX>); "∅" when empty."""
    if not text:
        return "∅"
    visible = text.translate(_VISIBLE_TABLE)
    if visible.isprintable():  # the common case; isprintable() is False for Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs but " "
        return visible
    out: list[str] = []
    for ch in visible:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp") or (category == "Cf" and ch not in _KEEP_FORMAT) or category == "Zs":
            out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    return "".join(out)


def _label(entry: TopLogprob) -> tuple[str, str, bool]:
    """(shown text, decoded text, partial UTF-8) of one token."""
    text, partial = decode_token(entry.token, entry.bytes)
    return show_token(text), text, partial


# --------------------------------------------------------------------------------------------
# per-token numbers


def _prob(logprob: float) -> float:
    if math.isnan(logprob) or logprob == -math.inf:
        return 0.0
    return math.exp(min(logprob, 0.0))


def _chosen_index(entry: TokenLogprob) -> int | None:
    """Where the chosen token sits among its alternatives, or None.

    Matched by text (and bytes when both have them). llama.cpp merges the byte tokens of one multi-byte
    character into the chosen entry but keeps the alternatives of its last byte: then the alternative
    whose bytes end the chosen bytes, with the same logprob, is the chosen one.
    """
    for i, alt in enumerate(entry.top_logprobs):
        if alt.token == entry.token and (alt.bytes is None or entry.bytes is None or alt.bytes == entry.bytes):
            return i
    if entry.bytes:
        for i, alt in enumerate(entry.top_logprobs):
            if (
                alt.bytes
                and len(alt.bytes) < len(entry.bytes)
                and entry.bytes[-len(alt.bytes) :] == alt.bytes
                and math.isclose(alt.logprob, entry.logprob, rel_tol=1e-6, abs_tol=1e-9)
            ):
                return i
    return None


def _ranked(entry: TokenLogprob) -> list[tuple[int, TopLogprob]]:
    """Alternatives by logprob, most likely first (stable: the API's order breaks ties)."""
    return sorted(
        enumerate(entry.top_logprobs), key=lambda pair: -pair[1].logprob if not math.isnan(pair[1].logprob) else math.inf
    )


def logprobs_of(completion: Completion, choice: int = 0) -> list[TokenLogprob] | None:
    """The logprob entries of one choice; None when that choice (or the whole answer) has none."""
    for c in completion.choices:
        if c.index == choice:
            return c.logprobs
    return None


def choices_with_logprobs(completion: Completion) -> list[int]:
    """Indexes of the choices that carry at least one logprob entry, in order."""
    return [c.index for c in sorted(completion.choices, key=lambda c: c.index) if c.logprobs]


def _empty_token_frame() -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in TOKEN_COLUMNS}).astype(_TOKEN_DTYPES)


_TOKEN_DTYPES = {
    "choice": "int64",
    "position": "int64",
    "partial_utf8": "bool",
    "logprob": "float64",
    "probability": "float64",
    "entropy_bits": "float64",
    "top_mass": "float64",
    "alternatives": "int64",
    "rank": "Int64",
}


def token_frame(completion: Completion, choice: int = 0) -> pd.DataFrame:
    """One row per generated token (columns TOKEN_COLUMNS); an empty frame when there are no logprobs.

    `token` is for display (whitespace visible, lone bytes as <0x..>), `raw` the API's token string,
    `text` the decoded text (the answer is `"".join(frame.text)`). Numbers are computed with numpy over
    a tokens × alternatives matrix: a 1,000-token answer with 8 alternatives takes a few milliseconds.
    """
    entries = logprobs_of(completion, choice) or []
    n = len(entries)
    if not n:
        return _empty_token_frame()
    k = max(len(e.top_logprobs) for e in entries)
    # alternatives' logprobs padded with -inf, plus a last column for a chosen token outside its alternatives
    alt = np.full((n, k + 1), -np.inf)
    chosen_at = np.full(n, -1, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    shown: list[str] = []
    texts: list[str] = []
    partial: list[bool] = []
    flat: list[float] = []  # every alternative's logprob, row after row
    for i, entry in enumerate(entries):
        tops = entry.top_logprobs
        if tops:
            counts[i] = len(tops)
            flat.extend([a.logprob for a in tops])
            at = _chosen_index(entry)
            if at is None:
                alt[i, k] = entry.logprob
            else:
                chosen_at[i] = at
        label, text, is_partial = _label(entry)
        shown.append(label)
        texts.append(text)
        partial.append(is_partial)
    if flat:
        rows_of = np.repeat(np.arange(n), counts)
        cols_of = np.arange(len(flat)) - np.repeat(np.cumsum(counts) - counts, counts)
        alt[rows_of, cols_of] = flat
    logprob = np.fromiter((e.logprob for e in entries), dtype=np.float64, count=n)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        alt = np.minimum(np.nan_to_num(alt, nan=-np.inf), 0.0)
        p = np.exp(alt)
        mass = p.sum(axis=1)
        q = p / mass[:, None]
        entropy = -np.where(q > 0, q * np.log2(np.where(q > 0, q, 1.0)), 0.0).sum(axis=1)
        probability = np.exp(np.minimum(np.nan_to_num(logprob, nan=-np.inf), 0.0))
    given = (counts > 0) & (mass > 0)
    # rank of the chosen alternative: 1 + those more likely + equally likely ones listed before it
    rank = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero(chosen_at >= 0)
    if len(rows):
        cols = chosen_at[rows]
        mine = alt[rows, cols][:, None]
        others = alt[rows, :k]
        before = np.arange(k)[None, :] < cols[:, None]
        rank[rows] = 1 + (others > mine).sum(axis=1) + ((others == mine) & before).sum(axis=1)
    frame = pd.DataFrame(
        {
            "choice": np.full(n, choice, dtype=np.int64),
            "position": np.arange(n, dtype=np.int64),
            "token": shown,
            "raw": [e.token for e in entries],
            "text": texts,
            "partial_utf8": np.array(partial, dtype=bool),
            "logprob": logprob,
            "probability": probability,
            "entropy_bits": np.where(given, np.maximum(entropy, 0.0) + 0.0, np.nan),
            "top_mass": np.where(given, np.minimum(mass, 1.0), np.nan),
            "alternatives": counts,
            "rank": pd.arrays.IntegerArray(rank, mask=chosen_at < 0),
        },
        columns=TOKEN_COLUMNS,
    )
    return frame


ALONG_COLUMNS = ["start", "end", "low", "mean", "high", "uncertainty"]


def along_series(frame: pd.DataFrame, bins: int) -> pd.DataFrame:
    """A token frame along its length in at most `bins` rows of consecutive tokens (columns ALONG_COLUMNS).

    Each row covers positions `start`..`end` and holds the lowest, mean and highest probability of those tokens and
    their mean uncertainty (entropy_bits), so a long answer draws light while its least likely token still shows as
    its bin's `low`. An answer of at most `bins` tokens gives one row per token.
    """
    n = len(frame)
    size = max(-(-n // max(bins, 1)), 1)
    group = np.arange(n) // size
    probability = frame["probability"].to_numpy(dtype=np.float64)
    entropy = frame["entropy_bits"].to_numpy(dtype=np.float64)
    starts = np.arange(0, n, size)
    with np.errstate(invalid="ignore"):
        counts = np.bincount(group, minlength=len(starts))
        known = ~np.isnan(entropy)
        sums = np.bincount(group[known], weights=entropy[known], minlength=len(starts))
        seen = np.bincount(group[known], minlength=len(starts))
        uncertainty = np.where(seen > 0, sums / np.maximum(seen, 1), np.nan)
    return pd.DataFrame(
        {
            "start": starts.astype(np.int64),
            "end": np.minimum(starts + size, n).astype(np.int64) - 1,
            "low": np.minimum.reduceat(probability, starts) if n else probability,
            "mean": np.bincount(group, weights=probability, minlength=len(starts)) / np.maximum(counts, 1),
            "high": np.maximum.reduceat(probability, starts) if n else probability,
            "uncertainty": uncertainty,
        },
        columns=ALONG_COLUMNS,
    )


def alternatives_frame(completion: Completion, position: int, choice: int = 0) -> pd.DataFrame:
    """The alternatives at one position, most likely first (columns ALTERNATIVE_COLUMNS), the chosen one marked.

    A chosen token that is not among the alternatives is added as a last row with rank <NA>, so a chart
    can still mark it. Empty when there are no logprobs or no alternatives at that position; IndexError
    for a position outside the answer.
    """
    entries = logprobs_of(completion, choice)
    if not entries:
        return pd.DataFrame({name: [] for name in ALTERNATIVE_COLUMNS}).astype({"rank": "Int64", "chosen": "bool"})
    if not 0 <= position < len(entries):
        raise IndexError(f"no token at position {position} (the answer has {len(entries)})")
    entry = entries[position]
    chosen = _chosen_index(entry)
    rows: list[dict[str, object]] = []
    for rank, (i, alt) in enumerate(_ranked(entry), start=1):
        shown, _, _ = _label(alt)
        rows.append(
            {
                "rank": rank,
                "token": shown,
                "raw": alt.token,
                "logprob": alt.logprob,
                "probability": _prob(alt.logprob),
                "chosen": i == chosen,
            }
        )
    if chosen is None and entry.top_logprobs:
        shown, _, _ = _label(entry)
        rows.append(
            {
                "rank": None,
                "token": shown,
                "raw": entry.token,
                "logprob": entry.logprob,
                "probability": _prob(entry.logprob),
                "chosen": True,
            }
        )
    frame = pd.DataFrame(rows, columns=ALTERNATIVE_COLUMNS)
    return frame.astype({"rank": "Int64", "logprob": "float64", "probability": "float64", "chosen": "bool"})


# --------------------------------------------------------------------------------------------
# summary


class LowToken(BaseModel):
    """One of the least likely chosen tokens, with the alternative the model liked best there."""

    position: int
    token: str  # shown text (whitespace visible)
    probability: float
    logprob: float
    best_alternative: str | None = None  # shown text of the most likely alternative when it is not the chosen one
    best_alternative_probability: float | None = None


class LogprobSummary(BaseModel):
    """Summary figures of one choice's logprobs; `has_logprobs` False (and `note` set) when there are none."""

    choice: int = 0
    has_logprobs: bool = False
    tokens: int = 0
    scored_tokens: int = 0  # tokens with a finite logprob: the ones mean_logprob and perplexity are over
    unscored_tokens: int = 0  # logprob missing or -inf
    mean_logprob: float | None = None
    perplexity: float | None = None
    below_half: int = 0  # chosen tokens with probability < 0.5
    top_k: int = 0  # the most alternatives given at any position (0: top_logprobs was not asked for)
    mean_entropy_bits: float | None = None
    lowest: list[LowToken] = Field(default_factory=list)
    note: str | None = None


def summary(completion: Completion, choice: int = 0, *, lowest_n: int = 5, frame: pd.DataFrame | None = None) -> LogprobSummary:
    """Mean logprob, perplexity, count below 50 % and the `lowest_n` least likely tokens of one choice.

    Pass `frame` (this choice's token_frame) to skip recomputing it.
    """
    frame = token_frame(completion, choice) if frame is None else frame
    if frame.empty:
        return LogprobSummary(choice=choice, note=NO_LOGPROBS)
    finite = frame["logprob"][frame["logprob"].map(math.isfinite)]
    mean = float(finite.mean()) if len(finite) else None
    entropy = frame["entropy_bits"].dropna()
    entries = logprobs_of(completion, choice) or []
    lowest: list[LowToken] = []
    for row in frame.sort_values(["probability", "position"], kind="stable").head(max(lowest_n, 0)).itertuples():
        position = int(row.position)
        best = _ranked(entries[position])[0] if position < len(entries) and entries[position].top_logprobs else None
        best_shown = best_p = None
        if best is not None and best[0] != _chosen_index(entries[position]):
            best_shown, best_p = _label(best[1])[0], _prob(best[1].logprob)
        lowest.append(
            LowToken(
                position=position,
                token=str(row.token),
                probability=float(row.probability),
                logprob=float(row.logprob),
                best_alternative=best_shown,
                best_alternative_probability=best_p,
            )
        )
    return LogprobSummary(
        choice=choice,
        has_logprobs=True,
        tokens=len(frame),
        scored_tokens=len(finite),
        unscored_tokens=len(frame) - len(finite),
        mean_logprob=mean,
        perplexity=_perplexity(mean),
        below_half=int((frame["probability"] < 0.5).sum()),
        top_k=int(frame["alternatives"].max()),
        mean_entropy_bits=float(entropy.mean()) if len(entropy) else None,
        lowest=lowest,
    )


# id(completion) -> (the completion, weakly; {(choice, lowest_n): (id of its logprob list, its length, frame, summary)})
_SUMMARIES: dict[int, tuple[weakref.ref[Completion], dict[tuple[int, int], tuple[int, int, pd.DataFrame, LogprobSummary]]]] = {}
_SUMMARIES_LOCK = threading.Lock()


def summary_of(completion: Completion, choice: int = 0, *, lowest_n: int = 5) -> tuple[pd.DataFrame, LogprobSummary]:
    """`token_frame` and `summary` of one choice, computed once per completion and reused while it lives.

    A page redraws the same answer on every rerun; a long answer's frame is the costly part. The cache holds the
    completion weakly (its entry goes when the completion does) and is checked against the choice's logprob list
    (same list, same length), so an answer that grows or is replaced is computed again. The frame is shared: copy
    it before changing it.
    """
    entries = logprobs_of(completion, choice)
    stamp = (id(entries), len(entries or ()))
    with _SUMMARIES_LOCK:
        ref, known = _SUMMARIES.get(id(completion), (None, {}))
        hit = known.get((choice, lowest_n)) if ref is not None and ref() is completion else None
    if hit is not None and hit[:2] == stamp:
        return hit[2], hit[3]
    frame = token_frame(completion, choice)
    result = summary(completion, choice, lowest_n=lowest_n, frame=frame)
    with _SUMMARIES_LOCK:
        ref, known = _SUMMARIES.get(id(completion), (None, {}))
        if ref is None or ref() is not completion:
            key = id(completion)
            ref, known = weakref.ref(completion, lambda _: _forget(key)), {}
            _SUMMARIES[key] = (ref, known)
        known[(choice, lowest_n)] = (*stamp, frame, result)
    return frame, result


def _forget(key: int) -> None:
    with _SUMMARIES_LOCK:
        entry = _SUMMARIES.get(key)
        if entry is not None and entry[0]() is None:
            del _SUMMARIES[key]


def _perplexity(mean_logprob: float | None) -> float | None:
    """exp(−mean log-probability); infinite when that is beyond what a float holds (a token at −9999)."""
    if mean_logprob is None:
        return None
    try:
        return math.exp(-mean_logprob)
    except OverflowError:
        return math.inf


# --------------------------------------------------------------------------------------------
# usage and speed across runs


class RunStats(BaseModel):
    """Usage and timing of one run (choice None) or of one choice of it; the page fills it from its cells.

    Counts are None when unknown (e.g. per-choice input tokens). `tokens_per_s` left None is filled by
    usage_frame as output_tokens / total_s (end to end, including the time to first token).
    """

    label: str
    started: float | None = None  # time.time() of the run, for ordering and display
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None
    choice: int | None = None


def run_stats(
    completion: Completion, *, label: str, started: float | None = None, ttft_s: float | None = None, total_s: float | None = None
) -> list[RunStats]:
    """The run's row from its usage, plus one row per choice when n > 1 (output tokens counted from logprobs).

    Per-choice timings are not in a Completion: the page may set ttft_s/total_s on those rows itself.
    """
    u = completion.usage
    rows = [
        RunStats(
            label=label,
            started=started,
            input_tokens=u.input_tokens,
            output_tokens=u.output_tokens,
            cached_tokens=u.cache_read_input_tokens,
            reasoning_tokens=u.reasoning_tokens,
            ttft_s=ttft_s,
            total_s=total_s,
        )
    ]
    if len(completion.choices) > 1:
        for c in sorted(completion.choices, key=lambda c: c.index):
            rows.append(
                RunStats(
                    label=label,
                    started=started,
                    choice=c.index,
                    output_tokens=len(c.logprobs) if c.logprobs is not None else None,
                )
            )
    return rows


def usage_frame(rows: Sequence[RunStats]) -> pd.DataFrame:
    """One row per RunStats in the given order (columns USAGE_COLUMNS).

    `run` is the row's 0-based order, `series` a unique display name ("label" or "label · choice k",
    numbered when labels repeat) so a chart can put every row on its own bar.
    """
    data: dict[str, list[object]] = {name: [] for name in USAGE_COLUMNS}
    seen: dict[str, int] = {}
    for run, r in enumerate(rows):
        series = r.label if r.choice is None else f"{r.label} · choice {r.choice + 1}"
        seen[series] = seen.get(series, 0) + 1
        if seen[series] > 1:
            series = f"{series} ({seen[series]})"
        speed = r.tokens_per_s
        if speed is None and r.output_tokens is not None and r.total_s:
            speed = r.output_tokens / r.total_s
        values = {
            "run": run,
            "label": r.label,
            "choice": r.choice,
            "series": series,
            "started": r.started,
            "input_tokens": r.input_tokens,
            "output_tokens": r.output_tokens,
            "cached_tokens": r.cached_tokens,
            "reasoning_tokens": r.reasoning_tokens,
            "ttft_s": r.ttft_s,
            "total_s": r.total_s,
            "tokens_per_s": speed,
        }
        for name in USAGE_COLUMNS:
            data[name].append(values[name])
    frame = pd.DataFrame(data, columns=USAGE_COLUMNS)
    return frame.astype(
        {
            "run": "int64",
            "choice": "Int64",
            "input_tokens": "Int64",
            "output_tokens": "Int64",
            "cached_tokens": "Int64",
            "reasoning_tokens": "Int64",
            "started": "float64",
            "ttft_s": "float64",
            "total_s": "float64",
            "tokens_per_s": "float64",
        }
    )


# --------------------------------------------------------------------------------------------
# export


FORMULA_START = (  # a cell starting with one of these runs as a formula in a spreadsheet
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as UTF-8 CSV, text cells that a spreadsheet would run as a formula prefixed with "'".

    Token text is untrusted: a token "=HYPERLINK(…)" must stay text when the CSV is opened in a spreadsheet.
    """
    safe = frame.copy()
    for name in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[name]) or pd.api.types.is_bool_dtype(safe[name])):
            safe[name] = safe[name].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return safe.to_csv(index=False).encode("utf-8")
