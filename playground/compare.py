"""One request under many seeds or settings, run side by side: how much does the answer vary, and where?

Three steps, each usable alone (the Compare page only draws them):

1. Set up: `parse_seeds` / `parse_values` read what a person typed ("1, 2, 7", "1-16", "0.2, 0.7, 1.2")
   with bounds from `playground.fields`; `variants` turns the current body into one `Variant` per seed,
   swept value or whole setting set (e.g. two models), each `repeat` times for a reproducibility check.
2. Run: `run_comparison` streams every variant through `ChatClient.stream` on a bounded thread pool (the
   embedded gateway serves 4 at once; xAI's 429 / Retry-After are the client's own retries), records
   partial text, time to first token, total time and tokens/s, reports progress through `on_update`, keeps
   a failed run's error beside the others, and on cancel keeps what finished. `start_comparison` does
   the same on a background thread for a page that polls.
3. Read: `divergence` (where each text departs from the others, by token and by word), `first_difference`,
   `group_identical`, `similarity`, `reproducibility`, all gathered by `analyse`; `to_csv` exports the table.

Positions are Python string offsets (code points), moved back so a marker never splits a character from
its combining marks, a ZWJ sequence or a surrogate pair. Nothing here imports Streamlit.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import difflib
import io
import re
import secrets
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import BaseModel, Field

from playground import fields
from playground.client import ChatClient
from playground.errors import FieldError, PlaygroundError, RequestError
from playground.notebook import safe_base_url
from playground.response import Completion, Done, TextDelta, ThinkingDelta, TokenLogprob, Usage

__all__ = [
    "MAX_RUNS",
    "MAX_SETS",
    "MIN_SETS",
    "SEED_NOTE",
    "SWEEP_FIELDS",
    "Analysis",
    "Comparison",
    "ComparisonJob",
    "CompareSetupError",
    "Difference",
    "Divergence",
    "Group",
    "Mode",
    "Point",
    "ReproCheck",
    "RunResult",
    "RunStatus",
    "SettingsSet",
    "Sweep",
    "TokensBy",
    "Variant",
    "analyse",
    "divergence",
    "first_difference",
    "group_identical",
    "group_summary",
    "mode_of",
    "parse_seeds",
    "parse_values",
    "reproducibility",
    "reproducibility_summary",
    "run_comparison",
    "similarity",
    "similarity_matrix",
    "start_comparison",
    "tokens_of",
    "tokenize_words",
    "to_csv",
    "variants",
]

MAX_RUNS = 32  # runs in one comparison, repeats included: columns a person can still read
MIN_SETS, MAX_SETS = 2, 4
SWEEP_FIELDS: tuple[str, ...] = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
SEED_NOTE = (
    "xAI documents seeds as best effort: the same seed and settings usually, but not always, give the same "
    "answer. A changed system_fingerprint (the serving configuration) explains some differences."
)
UPDATE_EVERY_S = 0.2  # at most this often per run, `on_update` hears about streamed text

Mode = Literal["single", "seeds", "sweep", "sets", "mixed"]
RunStatus = Literal["pending", "running", "done", "error", "cancelled"]
TokensBy = Literal["logprobs", "words"]  # the model's own tokens (from logprobs), or word tokens


# --------------------------------------------------------------------------------------------
# setting up


class CompareSetupError(RequestError, ValueError):
    """A comparison could not be set up; `.errors` names the field (seed, temperature, repeat, …)."""


def _fail(field: str, message: str, code: str) -> CompareSetupError:
    return CompareSetupError([FieldError(field, message, code)])


def _label_of(key: str) -> str:
    return fields.FIELDS[key].label if key in fields.FIELDS else key.replace("_", " ").capitalize()


def _num(value: float) -> str:
    """0.7 not 0.7000000000000001; 1 not 1.0."""
    return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else repr(value)


_RANGE = re.compile(r"^(\d+)\s*(?:-|–|\.\.)\s*(\d+)$")


def parse_seeds(text: str, *, max_runs: int = MAX_RUNS) -> list[int]:
    """Seeds from "1, 2, 7", "1-16" or a mix ("1-4, 9"), in order, duplicates dropped.

    Commas, semicolons or spaces separate items. Raises CompareSetupError on field "seed" in plain words.
    """
    spec = fields.FIELDS["seed"]
    low, high = int(spec.minimum or 0), int(spec.maximum or 2**32 - 1)
    items = [item for item in re.split(r"[,;\s]+", _join_ranges(text or "")) if item]
    if not items:
        raise _fail("seed", "Give at least one seed, e.g. 1, 2, 7 or 1-16.", "empty")
    seeds: list[int] = []
    for item in items:
        match = _RANGE.match(item)
        if match:
            first, last = int(match.group(1)), int(match.group(2))
            if last < first:
                raise _fail("seed", f"The range {item} runs backwards; write it as {last}-{first}.", "range_reversed")
            if last - first + 1 > max_runs:
                raise _fail(
                    "seed",
                    f"The range {item} has {last - first + 1} seeds; at most {max_runs} runs fit in one comparison.",
                    "too_many",
                )
            numbers = range(first, last + 1)
        elif re.fullmatch(r"[+-]?\d+", item):
            numbers = range(int(item), int(item) + 1)
        else:
            raise _fail("seed", f"{item!r} is not a whole number or a range like 1-16.", "not_a_number")
        for seed in numbers:
            if not low <= seed <= high:
                raise _fail("seed", f"Seed {seed} is out of range: seeds go from {low} to {high}.", "out_of_range")
            if seed not in seeds:
                seeds.append(seed)
        if len(seeds) > max_runs:
            raise _fail("seed", f"That is more than {max_runs} seeds; at most {max_runs} runs fit in one comparison.", "too_many")
    return seeds


def _join_ranges(text: str) -> str:
    """ "1 - 16" → "1-16", so spaces around a range's dash do not split it into items."""
    return re.sub(r"(\d)\s*(-|–|\.\.)\s*(\d)", r"\1\2\3", text.strip())


def parse_values(field_key: str, text: str, *, max_runs: int = MAX_RUNS) -> list[float]:
    """Values of one sampling field to sweep ("0.2, 0.7, 1.2"), bounds from `playground.fields`, duplicates dropped."""
    if field_key not in SWEEP_FIELDS:
        names = ", ".join(_label_of(k) for k in SWEEP_FIELDS)
        raise _fail("sweep", f"{field_key!r} cannot be swept; choose one of {names}.", "not_sweepable")
    spec = fields.FIELDS[field_key]
    items = [item for item in re.split(r"[,;\s]+", (text or "").strip()) if item]
    if not items:
        raise _fail(field_key, f"Give at least one {spec.label.lower()} value, e.g. 0.2, 0.7, 1.2.", "empty")
    values: list[float] = []
    for item in items:
        try:
            value = float(item)
        except ValueError:
            raise _fail(field_key, f"{item!r} is not a number.", "not_a_number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise _fail(field_key, f"{item!r} is not a number.", "not_a_number")
        if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
            raise _fail(
                field_key,
                f"{spec.label} {_num(value)} is out of range: it goes from {_num(spec.minimum or 0)} "
                f"to {_num(spec.maximum or 0)}.",
                "out_of_range",
            )
        if value not in values:
            values.append(value)
    if len(values) > max_runs:
        raise _fail(field_key, f"That is {len(values)} values; at most {max_runs} runs fit in one comparison.", "too_many")
    return values


class Sweep(BaseModel):
    """One sampling field and the values it takes, one run per value."""

    field: str
    values: list[float]


class SettingsSet(BaseModel):
    """One whole set of settings beside the others: fields to change in the body (None removes one),
    and optionally its own backend (an id from `playground.backends` and a base URL; never a key)."""

    label: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    backend: str | None = None
    base_url: str | None = None


class Variant(BaseModel):
    """One column: the body it sends and where. Runs with the same `key` send the same request
    (`attempt` counts them), which is what the reproducibility check pairs."""

    label: str
    body: dict[str, Any]
    changes: dict[str, Any] = Field(default_factory=dict)  # fields that differ from the base body
    backend: str | None = None  # None: the comparison's own backend
    base_url: str | None = None
    set_label: str | None = None
    seed: int | None = None
    sweep_field: str | None = None
    sweep_value: float | None = None
    key: str = ""
    attempt: int = 1


def _as_sweep(sweep: Sweep | tuple[str, Sequence[float] | str] | None) -> Sweep | None:
    if sweep is None:
        return None
    field_key, values = (sweep.field, sweep.values) if isinstance(sweep, Sweep) else sweep
    if isinstance(values, str):
        return Sweep(field=field_key, values=parse_values(field_key, values))
    return Sweep(field=field_key, values=parse_values(field_key, ", ".join(map(repr, values))))


def _as_sets(settings_sets: Sequence[SettingsSet | Mapping[str, Any]] | None) -> list[SettingsSet]:
    if settings_sets is None:
        return []
    sets = [s if isinstance(s, SettingsSet) else SettingsSet.model_validate(s) for s in settings_sets]
    if not MIN_SETS <= len(sets) <= MAX_SETS:
        raise _fail(
            "settings_sets", f"Compare {MIN_SETS} to {MAX_SETS} setting sets side by side (got {len(sets)}).", "set_count"
        )
    labels = [s.label or f"set {chr(ord('A') + i)}" for i, s in enumerate(sets)]
    if len(set(labels)) != len(labels):
        raise _fail("settings_sets", "Two setting sets have the same name; give each its own.", "duplicate")
    return [
        s.model_copy(update={"label": label, "base_url": safe_base_url(s.base_url)})
        for s, label in zip(sets, labels, strict=True)
    ]


def variants(
    base_body: Mapping[str, Any],
    *,
    seeds: Sequence[int] | str | None = None,
    sweep: Sweep | tuple[str, Sequence[float] | str] | None = None,
    settings_sets: Sequence[SettingsSet | Mapping[str, Any]] | None = None,
    repeat: int = 1,
) -> list[Variant]:
    """The runs of a comparison: every setting set × swept value × seed, each `repeat` times.

    With none of them, the base body alone (with `repeat=2`: is the current request reproducible?).
    Each body is a deep copy of `base_body` with its change. Raises CompareSetupError when the seeds,
    values, sets or repeat are wrong or there would be more than MAX_RUNS runs.
    """
    seed_list: list[int] | None = None
    if seeds is not None:  # a list goes through the same checks as typed text
        seed_list = parse_seeds(seeds if isinstance(seeds, str) else ", ".join(str(s) for s in seeds))
    the_sweep = _as_sweep(sweep)
    sets = _as_sets(settings_sets)
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise _fail("repeat", "Repeat each run at least once.", "too_small")
    total = max(len(sets), 1) * (len(the_sweep.values) if the_sweep else 1) * (len(seed_list) if seed_list else 1) * repeat
    if total > MAX_RUNS:
        raise _fail(
            "repeat" if repeat > 1 else "seed" if seed_list else "sweep" if the_sweep else "settings_sets",
            f"That makes {total} runs; at most {MAX_RUNS} fit in one comparison.",
            "too_many",
        )

    out: list[Variant] = []
    set_options: list[SettingsSet | None] = list(sets) if sets else [None]
    for the_set in set_options:
        for value in the_sweep.values if the_sweep else [None]:
            seed_options: list[int | None] = list(seed_list) if seed_list else [None]
            for seed in seed_options:
                body = copy.deepcopy(dict(base_body))
                changes: dict[str, Any] = {}
                parts: list[str] = []
                if the_set is not None:
                    for key, new in the_set.fields.items():
                        if new is None:
                            body.pop(key, None)
                        else:
                            body[key] = copy.deepcopy(new)
                        changes[key] = new
                    parts.append(the_set.label or "")
                if the_sweep is not None and value is not None:
                    body[the_sweep.field] = value
                    changes[the_sweep.field] = value
                    parts.append(f"{the_sweep.field} {_num(value)}")
                if seed is not None:
                    body["seed"] = seed
                    changes["seed"] = seed
                    parts.append(f"seed {seed}")
                key = " · ".join(parts) or "run"
                for attempt in range(1, repeat + 1):
                    label = key if repeat == 1 else f"{key} · run {attempt}" if parts else f"run {attempt}"
                    out.append(
                        Variant(
                            label=label,
                            body=copy.deepcopy(body),
                            changes=dict(changes),
                            backend=the_set.backend if the_set else None,
                            base_url=the_set.base_url if the_set else None,
                            set_label=the_set.label if the_set else None,
                            seed=seed,
                            sweep_field=the_sweep.field if the_sweep else None,
                            sweep_value=value,
                            key=key,
                            attempt=attempt,
                        )
                    )
    return out


def mode_of(variant_list: Sequence[Variant]) -> Mode:
    """What a comparison varies, read off its variants."""
    dims = set()
    for v in variant_list:
        if v.set_label is not None:
            dims.add("sets")
        if v.seed is not None:
            dims.add("seeds")
        if v.sweep_field is not None:
            dims.add("sweep")
    if not dims:
        return "single"
    if len(dims) > 1:
        return "mixed"
    return dims.pop()  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# results


class RunResult(BaseModel):
    """One column's outcome. `text` grows while the run streams; `completion` is set once it is done."""

    index: int
    label: str
    key: str = ""
    attempt: int = 1
    body: dict[str, Any]
    status: RunStatus = "pending"
    text: str = ""
    thinking: str = ""
    completion: Completion | None = None
    error: str | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    tokens_per_s: float | None = None
    usage: Usage | None = None
    system_fingerprint: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "error", "cancelled")


class Comparison(BaseModel):
    """A whole comparison as it is kept in a notebook: what was asked, every variant, every result."""

    id: str = Field(default_factory=lambda: secrets.token_hex(6))
    created: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    base_body: dict[str, Any] = Field(default_factory=dict)
    mode: Mode = "single"
    variants: list[Variant] = Field(default_factory=list)
    results: list[RunResult] = Field(default_factory=list)
    wall_s: float | None = None

    @property
    def finished_count(self) -> int:
        return sum(r.finished for r in self.results)

    @property
    def progress(self) -> float:
        """0–1, for a progress bar."""
        return self.finished_count / len(self.results) if self.results else 1.0


# --------------------------------------------------------------------------------------------
# running


def _pending(index: int, v: Variant) -> RunResult:
    return RunResult(index=index, label=v.label, key=v.key, attempt=v.attempt, body=copy.deepcopy(v.body))


def _slim(completion: Completion) -> Completion:
    """The normalised completion without its raw chunk list (all of it is in the normalised fields),
    so a notebook holding 32 streamed runs with logprobs stays small."""
    return completion.model_copy(update={"raw": {}})


def _run_one(
    index: int,
    variant: Variant,
    client_for: Callable[[Variant], ChatClient],
    cancel: threading.Event,
    report: Callable[[RunResult, bool], None],
) -> RunResult:
    result = _pending(index, variant)
    if cancel.is_set():
        result.status = "cancelled"
        report(result, True)
        return result
    result.status = "running"
    report(result, True)
    started = time.perf_counter()
    text: list[str] = []
    thinking: list[str] = []
    events = None
    try:
        client = client_for(variant)
        events = client.stream(variant.body)
        for event in events:
            if cancel.is_set():
                result.status = "cancelled"
                break
            if isinstance(event, Done):
                result.completion = _slim(event.completion)
                result.usage = event.completion.usage
                result.system_fingerprint = event.completion.system_fingerprint
                result.status = "done"
                continue
            if isinstance(event, TextDelta | ThinkingDelta) and event.choice == 0:
                if result.ttft_s is None:
                    result.ttft_s = time.perf_counter() - started
                (text if isinstance(event, TextDelta) else thinking).append(event.text)
                result.text, result.thinking = "".join(text), "".join(thinking)
                report(result, False)
    except PlaygroundError as exc:
        result.status, result.error = "error", str(exc)
    except Exception as exc:  # one broken run must not take the other columns down
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # a cancelled stream's HTTP response is closed, so the gateway frees its slot
    result.total_s = time.perf_counter() - started
    if result.status == "running":  # the stream ended without Done and without raising
        result.status = "cancelled" if cancel.is_set() else "error"
        result.error = None if cancel.is_set() else "The stream ended without an answer."
    if result.completion is not None:
        try:
            result.text = result.completion.text(0)
        except IndexError:
            pass  # no choice 0 in the answer: keep what streamed
        tokens = result.completion.usage.output_tokens
        generating = result.total_s - (result.ttft_s or 0.0)
        result.tokens_per_s = tokens / generating if tokens and generating > 0 else None
    report(result, True)
    return result


def run_comparison(
    variant_list: Sequence[Variant],
    client_for: Callable[[Variant], ChatClient],
    *,
    concurrency: int = 4,
    on_update: Callable[[RunResult], None] | None = None,
    cancel: threading.Event | None = None,
    base_body: Mapping[str, Any] | None = None,
    mode: Mode | None = None,
    update_every_s: float = UPDATE_EVERY_S,
) -> Comparison:
    """Stream every variant, at most `concurrency` at once, and return all results in variant order.

    `client_for(variant)` gives the client for a run (e.g. `runner.Clients.get(...)`); the clients stay
    the caller's (they are not closed here). `on_update` gets a copy of a run's result when it starts,
    as text arrives (at most every `update_every_s` per run) and when it ends; calls come from worker
    threads but never two at once. A failed run keeps its error (`str()` of the PlaygroundError) and the
    others go on. Setting `cancel` stops running streams (keeping their text) and skips the rest; they
    are marked "cancelled", finished runs keep their result.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    cancel = cancel or threading.Event()
    lock = threading.Lock()
    last_sent: dict[int, float] = {}

    def report(result: RunResult, always: bool) -> None:
        if on_update is None:
            return
        now = time.monotonic()
        if not always and now - last_sent.get(result.index, 0.0) < update_every_s:
            return
        last_sent[result.index] = now
        snapshot = result.model_copy(deep=False)
        with lock:
            on_update(snapshot)

    items = list(variant_list)
    if base_body is None:
        base_body = {k: v for k, v in items[0].body.items() if k not in items[0].changes} if items else {}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(items) or 1)), thread_name_prefix="compare") as pool:
        futures = [pool.submit(_run_one, i, v, client_for, cancel, report) for i, v in enumerate(items)]
        results = [f.result() for f in futures]
    return Comparison(
        base_body=copy.deepcopy(dict(base_body)),
        mode=mode or mode_of(items),
        variants=[v.model_copy(deep=True) for v in items],
        results=results,
        wall_s=time.perf_counter() - started,
    )


class ComparisonJob:
    """A comparison running on a background thread, for a page that polls (`st.fragment(run_every=…)`).

    `snapshot()` is the comparison so far (pending and running columns included); `cancel()` stops it,
    keeping what finished; `result` is the finished Comparison (None until then). Every delta updates
    the snapshot (storing it is cheap; the page's own poll interval is the throttle), and `on_update`
    hears each one too.
    """

    def __init__(
        self,
        variant_list: Sequence[Variant],
        client_for: Callable[[Variant], ChatClient],
        *,
        concurrency: int = 4,
        base_body: Mapping[str, Any] | None = None,
        on_update: Callable[[RunResult], None] | None = None,
    ) -> None:
        self._variants = [v.model_copy(deep=True) for v in variant_list]
        self._lock = threading.Lock()
        self._latest = [_pending(i, v) for i, v in enumerate(self._variants)]
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._on_update = on_update
        self._base_body = copy.deepcopy(dict(base_body)) if base_body is not None else None
        self._id = secrets.token_hex(6)
        self._created = dt.datetime.now(dt.UTC)
        self.result: Comparison | None = None
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(client_for, concurrency), name="compare-job", daemon=True)
        self._thread.start()

    def _update(self, result: RunResult) -> None:
        with self._lock:
            self._latest[result.index] = result
        if self._on_update is not None:
            self._on_update(result)

    def _run(self, client_for: Callable[[Variant], ChatClient], concurrency: int) -> None:
        try:
            comparison = run_comparison(
                self._variants,
                client_for,
                concurrency=concurrency,
                on_update=self._update,
                update_every_s=0,
                cancel=self._cancel,
                base_body=self._base_body,
            )
            self.result = comparison.model_copy(update={"id": self._id, "created": self._created})
        except BaseException as exc:  # kept for the page to show; the thread must end cleanly
            self.failure = exc
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> Comparison | None:
        self._done.wait(timeout)
        return self.result

    def snapshot(self) -> Comparison:
        if self.result is not None:
            return self.result
        with self._lock:
            results = list(self._latest)
        base = self._base_body
        if base is None and self._variants:
            base = {k: v for k, v in self._variants[0].body.items() if k not in self._variants[0].changes}
        return Comparison(
            id=self._id,
            created=self._created,
            base_body=base or {},
            mode=mode_of(self._variants),
            variants=list(self._variants),
            results=results,
        )


def start_comparison(
    variant_list: Sequence[Variant],
    client_for: Callable[[Variant], ChatClient],
    *,
    concurrency: int = 4,
    base_body: Mapping[str, Any] | None = None,
    on_update: Callable[[RunResult], None] | None = None,
) -> ComparisonJob:
    """`run_comparison` on a background thread; poll the returned job."""
    return ComparisonJob(variant_list, client_for, concurrency=concurrency, base_body=base_body, on_update=on_update)


# --------------------------------------------------------------------------------------------
# reading: tokens


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


def _common(a: Sequence[Any], b: Sequence[Any]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


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
    k = _common(ta, tb)
    words_a, words_b = list(_WORDS.finditer(a)), list(_WORDS.finditer(b))
    w: int | None = _common([m.group() for m in words_a], [m.group() for m in words_b])
    if w is not None and w >= len(words_a) and w >= len(words_b):
        w = None  # the same words, different whitespace
    c = _common(a, b)
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
            score = (_common(toks[i], toks[j]), _common(text, other), -j)
            if best is None or score > best:
                best = score
        if best is None:
            out.append(Divergence(index=i, diverges=False, tokens=by))
            continue
        j = -best[2]
        diff = _difference(text, texts[j], toks[i], toks[j], by)
        out.append(Divergence(index=i, diverges=True, closest=j, tokens=by, point=diff.a, other=diff.b))
    return out


# --------------------------------------------------------------------------------------------
# reading: groups, similarity, reproducibility


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


def analyse(comparison: Comparison) -> Analysis:
    """Divergence, groups, similarity and reproducibility over the runs that finished."""
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
    )


# --------------------------------------------------------------------------------------------
# export


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
        f"{k}={'unset' if x is None else _num(x) if isinstance(x, float) else x}"
        for k, x in v.changes.items()
        if not isinstance(x, dict | list)
    ]
    if v.backend:
        parts.append(f"backend={v.backend}")
    return "; ".join(parts)


def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def to_csv(comparison: Comparison) -> str:
    """The comparison table as CSV text (one row per run; the text exactly as the model wrote it)."""
    analysis = analyse(comparison)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in comparison.results:
        v = comparison.variants[r.index] if r.index < len(comparison.variants) else None
        div = analysis.divergence.get(r.index)
        writer.writerow(
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
    return out.getvalue()
