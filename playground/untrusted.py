"""What a notebook brought from elsewhere must pass before a page shows it: an imported file, or a notebook
read back from the store (another version, or another process, may have written it).

Files: `read_json` refuses, in words naming the limit, what is too big, too deep, not finite (NaN, Infinity,
1e999) or longer than the caps of `LIMITS` allow. Settings: `check_settings` holds every value the sidebar
will show against its field in `playground.fields` (type and bounds), and drops a value that does not fit
to the field's default, with a note naming the field. Nothing here imports Streamlit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from playground import backends, fields
from playground.fields import Kind

__all__ = ["LIMITS", "Limits", "check_settings", "label", "read_json"]


@dataclass(frozen=True)
class Limits:
    """The caps of an import. Generous: far beyond what a person makes by hand, small enough that a page opens it.
    `depth` stays well under the store's JSON parser's own nesting limit (200), so what is imported can be read back."""

    bytes: int = 16 * 1024 * 1024
    messages: int = 2_000
    cells: int = 500
    depth: int = 64

    @property
    def megabytes(self) -> int:
        """`bytes` in whole MB, what a file uploader is told to take."""
        return self.bytes // (1024 * 1024)


LIMITS = Limits()


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"it has the number {text}, too large to be a number here.")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"it has {name}, which is not a number JSON allows.")


def read_json(data: bytes | str, what: str, limits: Limits | None = None) -> Any:
    """`data` parsed, or ValueError in plain words ("This file …") naming the problem or the cap it passes."""
    limits = limits or LIMITS
    check_size(data, what, limits)
    try:
        raw = json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"This file is nested more than {limits.depth} levels deep, too deep for a {what}.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"This file is not JSON: {exc}") from None
    if (depth := _depth(raw)) > limits.depth:
        raise ValueError(f"This file is nested {depth} levels deep; a {what} can be nested at most {limits.depth}.")
    _refuse_lone_surrogates(raw)
    return raw


def check_size(data: bytes | str, what: str, limits: Limits | None = None) -> None:
    """ValueError naming the cap ("This file is 17.0 MB; a {what} can be at most 16.0 MB.") when `data` passes it."""
    limits = limits or LIMITS
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > limits.bytes:
        raise ValueError(f"This file is {_megabytes(size)}; a {what} can be at most {_megabytes(limits.bytes)}.")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def _depth(raw: Any) -> int:
    """How deeply lists and objects nest in `raw` (a scalar is 0), without recursion."""
    deepest, todo = 0, [(raw, 1)]
    while todo:
        value, level = todo.pop()
        inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        if inner is None:
            continue
        deepest = max(deepest, level)
        todo.extend((v, level + 1) for v in inner if isinstance(v, dict | list))
    return deepest


def _refuse_lone_surrogates(raw: Any) -> None:
    """JSON may spell half a character ("\\ud800"); such text can be neither saved nor sent, so say so on import."""
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("This file has text that is not valid Unicode (an unpaired surrogate such as \\ud800).") from None


# ------------------------------------------------------------------------------------ settings


def check_settings(settings: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The settings with every value the sidebar cannot show dropped (so its field is back to its default), and
    a note per dropped value naming the field and what was wrong. Values the sidebar does not read directly
    (tools, the response schema: their builders read any JSON and say what is wrong) are kept as they are."""
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in settings.items():
        fitted, problem = _fit(key, value)
        if problem is None:
            out[key] = fitted
        else:
            notes.append(f"{label(key)}: {problem}, so it is back to {_default(key)}.")
    return out, notes


def label(key: str) -> str:
    """The name a note gives the setting `key` (its label in fields.py)."""
    if key.startswith("model."):  # only for a backend of backends.BACKENDS (other keys are not read, nor checked)
        return f"Model, for {backends.backend(key.removeprefix('model.')).label}"
    return {"logit_bias.rows": "Logit bias", "backend": "Backend", "base_url": "Base URL"}.get(key) or fields.field(key).label


def _default(key: str) -> str:
    f = fields.FIELDS.get(key)
    if f is None or f.default is None:
        return "its default"
    if isinstance(f.default, bool):
        return f"its default ({'on' if f.default else 'off'})"
    return f"its default ({f.default})"


def _kind(value: Any) -> str:
    """What a value is, in words (never the value itself when it is text: it is untrusted)."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    if isinstance(value, int | float):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _fit(key: str, value: Any) -> tuple[Any, str | None]:
    """(the value as the sidebar takes it, None) or (None, what is wrong with it)."""
    if (key.startswith("model.") and key.removeprefix("model.") in backends.BACKENDS) or key == "base_url":
        return (value, None) if value is None or isinstance(value, str) else (None, f"{_kind(value)} is not a name")
    if key == "backend":
        return (value, None) if isinstance(value, str) and value in backends.BACKENDS else (None, "it names no backend")
    if key == "logit_bias.rows":
        return _bias_rows(value)
    f = fields.FIELDS.get(key)
    if f is None or f.kind in (Kind.TOOLS, Kind.TOKEN_MAP, Kind.MESSAGES):
        return value, None
    if value is None:
        return (None, None) if f.default is None else (None, "empty (null) is not a value it can take")
    if f.kind is Kind.BOOL:
        return (value, None) if isinstance(value, bool) else (None, f"{_kind(value)} is not yes or no")
    if f.kind in (Kind.FLOAT, Kind.INT):
        return _number(f, value)
    if f.kind is Kind.RESPONSE_FORMAT:
        return (value, None) if value in f.choices else (None, f"{_kind(value)} is not one of {', '.join(f.choices)}")
    return (value, None) if isinstance(value, str) else (None, f"{_kind(value)} is not text")  # TEXT, STOP, TOOL_CHOICE


_BROWSER_INT = 2**53 - 1  # the largest whole number a browser's number box holds exactly


def _number(f: fields.Field, value: Any) -> tuple[Any, str | None]:
    """A number the field's widget holds. A number box shows any value and the request check names one out of
    range under it (so what was typed is kept); a slider (a float field bounded on both sides) cannot leave its
    bounds, so a value outside them is dropped."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None, f"{_kind(value)} is not a number"
    if f.kind is Kind.INT:
        if not float(value).is_integer():
            return None, f"{_kind(value)} is not a whole number"
        if abs(value) > _BROWSER_INT:
            return None, f"{_kind(value)} is too large for its box"
        return int(value), None
    value = float(value)
    if f.minimum is None or f.maximum is None:
        return value, None
    if not f.minimum <= value <= f.maximum:
        return None, f"{_kind(value)} is outside its range (from {f.minimum:g} to {f.maximum:g})"
    return value, None


def _bias_rows(value: Any) -> tuple[Any, str | None]:
    """Rows of the logit-bias table: `{"token": text, "bias": a whole number in bounds, or null}`."""
    if not isinstance(value, list):
        return None, f"{_kind(value)} is not a list of rows"
    low, high = fields.LOGIT_BIAS_MIN, fields.LOGIT_BIAS_MAX
    for i, row in enumerate(value, start=1):
        bias = row.get("bias") if isinstance(row, dict) else None
        fits = (
            isinstance(row, dict)
            and isinstance(row.get("token"), str)
            and "bias" in row
            and (bias is None or (isinstance(bias, int) and not isinstance(bias, bool) and low <= bias <= high))
        )
        if not fits:
            return None, f"row {i} is not a token (text) with a whole-number bias from {low} to {high}"
    return value, None
