"""Setting a comparison up: seeds and swept values read from what a person typed, setting sets, and one
`Variant` (body, label, backend) per run."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from playground import fields
from playground.errors import FieldError, RequestError
from playground.notebook import safe_base_url

MAX_RUNS = 32  # runs in one comparison, repeats included: columns a person can still read
MIN_SETS, MAX_SETS = 2, 4
SWEEP_FIELDS: tuple[str, ...] = ("temperature", "top_p", "frequency_penalty", "presence_penalty")
SEED_NOTE = (
    "xAI documents seeds as best effort: the same seed and settings usually, but not always, give the same "
    "answer. A changed system_fingerprint (the serving configuration) explains some differences."
)

Mode = Literal["single", "seeds", "sweep", "sets", "mixed"]


class CompareSetupError(RequestError):
    """A comparison could not be set up; `.errors` names the field (seed, temperature, repeat, …)."""


def _fail(field: str, message: str, code: str) -> CompareSetupError:
    return CompareSetupError([FieldError(field, message, code)])


def _label_of(key: str) -> str:
    return fields.FIELDS[key].label if key in fields.FIELDS else key.replace("_", " ").capitalize()


def number_text(value: float) -> str:
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
                f"{spec.label} {number_text(value)} is out of range: it goes from {number_text(spec.minimum or 0)} "
                f"to {number_text(spec.maximum or 0)}.",
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
                    parts.append(f"{the_sweep.field} {number_text(value)}")
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


def base_body_of(variant_list: Sequence[Variant]) -> dict[str, Any]:
    """The body the variants were made from: the first one's body without the fields it changed."""
    if not variant_list:
        return {}
    first = variant_list[0]
    return {k: copy.deepcopy(v) for k, v in first.body.items() if k not in first.changes}
