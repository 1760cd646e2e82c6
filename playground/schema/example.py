"""A valid example of any schema, shown beside it, so people see what an answer that obeys it looks like.

Why: a schema is easier to read from an instance. Required fields, the first allowed value (or const,
default), type-appropriate placeholders within the bounds, one item per array, the first branch of
oneOf/anyOf that validates, references followed; each choice is checked against the schema.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Mapping
from fractions import Fraction
from re import _constants as _re_constants  # type: ignore[attr-defined]  # the regex parser behind `re`
from re import _parser as _re_parser  # type: ignore[attr-defined]
from typing import Any, Final

from jsonschema import Draft202012Validator

from playground.schema._shared import NUMERIC, declared_types, is_int, is_number
from playground.schema.form import schema_json
from playground.schema.models import FieldForm, JsonResponseSchema, SchemaForm

__all__ = [
    "example_for",
]

# ---------------------------------------------------------------------------------------------- examples

_FORMAT_EXAMPLES: Final[dict[str, str]] = {
    "date": "2025-01-31",
    "date-time": "2025-01-31T12:00:00Z",
    "time": "12:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "iri": "https://example.com/",
    "iri-reference": "https://example.com/",
    "uri-template": "https://example.com/{id}",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "json-pointer": "/example",
    "relative-json-pointer": "0",
    "regex": "^example$",
}
_MAX_DEPTH = 24


class _Examples:
    """Builds example values; every choice is checked against the schema and the first valid one kept."""

    def __init__(self, root: Any, required_only: bool = False) -> None:
        self.root = root
        self.required_only = required_only
        self.validator = (
            Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
            if isinstance(root, Mapping | bool)
            else None
        )

    def valid(self, value: Any, schema: Any) -> bool:
        if self.validator is None:
            return False
        try:
            return self.validator.evolve(schema=schema).is_valid(value)
        except Exception:  # an unresolvable $ref or a bad pattern: cannot say it is valid
            return False

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def make(self, schema: Any, depth: int = 0) -> Any:
        candidates = self.candidates(schema, depth)
        for value in candidates:
            if self.valid(value, schema):
                return value
        return candidates[0] if candidates else None

    def candidates(self, schema: Any, depth: int) -> list[Any]:
        if schema is True or schema is None:
            return ["example"]
        if schema is False or not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return [None]
        s = dict(schema)
        out: list[Any] = []
        if "const" in s:
            return [copy.deepcopy(s["const"])]
        if isinstance(s.get("enum"), list) and s["enum"]:
            return [copy.deepcopy(v) for v in s["enum"]]
        if "default" in s:
            out.append(copy.deepcopy(s["default"]))
        if isinstance(s.get("examples"), list):
            out.extend(copy.deepcopy(s["examples"]))
        for _hop in range(_MAX_DEPTH):
            if not isinstance(s.get("$ref"), str):
                break
            target = self.resolve(s.pop("$ref"))
            s = _merge(target, s) if isinstance(target, Mapping) else s
        for part in s.pop("allOf", []) if isinstance(s.get("allOf"), list) else []:
            if isinstance(part, Mapping):
                if isinstance(part.get("$ref"), str):
                    target = self.resolve(part["$ref"])
                    part = _merge(target, {k: w for k, w in part.items() if k != "$ref"}) if isinstance(target, Mapping) else part
                s = _merge(s, part)
        for key in ("oneOf", "anyOf"):
            branches = s.pop(key, None)
            if isinstance(branches, list) and branches:
                for branch in branches:
                    merged = _merge(s, branch) if isinstance(branch, Mapping) else s
                    out.extend(self.candidates(merged, depth + 1))
                return out
        if "const" in s or "enum" in s:
            return out + self.candidates(s, depth + 1)
        return out + self.by_type(s, depth)

    def by_type(self, s: dict[str, Any], depth: int) -> list[Any]:
        types = declared_types(s)
        if types is None:
            types = [_infer_type(s)]
        non_null = [t for t in types if t != "null"]
        out: list[Any] = []
        for t in non_null or ["null"]:
            out.extend(self.of_type(t, s, depth))
        return out

    def of_type(self, t: str, s: dict[str, Any], depth: int) -> list[Any]:
        if t == "null":
            return [None]
        if t == "boolean":
            return [True, False]
        if t == "string":
            return _strings(s)
        if t in NUMERIC:
            return _numbers(s, t == "integer")
        if t == "array":
            return self.arrays(s, depth)
        if t == "object":
            return self.objects(s, depth)
        return ["example"]

    def arrays(self, s: dict[str, Any], depth: int) -> list[Any]:
        prefix: list[Any] = s["prefixItems"] if isinstance(s.get("prefixItems"), list) else []
        items = s.get("items", True)
        low = s["minItems"] if is_int(s.get("minItems")) else 0
        high = s["maxItems"] if is_int(s.get("maxItems")) else None
        n = max(low, 1) if high is None else min(max(low, 1), high)
        values = [self.make(p, depth + 1) for p in prefix[:n]]
        if len(values) < n:
            first = self.make(items, depth + 1)
            values += [copy.deepcopy(first) for _ in range(n - len(values))]
        if s.get("uniqueItems") is True and len(values) > 1:
            values = self.distinct(values, items, depth)
        out = [values]
        if "contains" in s and not any(self.valid(v, s["contains"]) for v in values):
            contained = self.make(s["contains"], depth + 1)
            out = [values + [contained], [contained] + values[1:], values]
        return [*out, []]

    def distinct(self, values: list[Any], items: Any, depth: int) -> list[Any]:
        """Make repeated items different where the item schema allows (enum values, numbers, suffixes)."""
        pool: list[Any] = []
        if isinstance(items, Mapping):
            if isinstance(items.get("enum"), list):
                pool = [v for v in items["enum"] if self.valid(v, items)]
            pool += [v for v in self.candidates(items, depth + 1) if self.valid(v, items)]
        out: list[Any] = []
        for v in values:
            if any(_json_equal(v, o) for o in out):
                v = next((p for p in pool if not any(_json_equal(p, o) for o in out)), _vary(v, len(out)))
            out.append(v)
        return out

    def objects(self, s: dict[str, Any], depth: int) -> list[Any]:
        props: Mapping[str, Any] = s["properties"] if isinstance(s.get("properties"), Mapping) else {}
        required = [r for r in s.get("required", []) if isinstance(r, str)] if isinstance(s.get("required"), list) else []
        extra = s.get("additionalProperties", True)
        full: dict[str, Any] = {}
        names = list(props) + [r for r in required if r not in props]
        for name in names:
            sub = props.get(name, extra if isinstance(extra, Mapping) else True)
            if sub is False and name not in required:
                continue
            recursive = isinstance(sub, Mapping) and "$ref" in sub and depth >= 2  # stop a self-reference early
            if name in required or (not self.required_only and depth < _MAX_DEPTH // 2 and not recursive):
                full[name] = self.make(sub, depth + 1)
        only_required = {k: v for k, v in full.items() if k in required}
        return [full, only_required]


def _infer_type(s: Mapping[str, Any]) -> str:
    if any(k in s for k in ("properties", "required", "additionalProperties", "patternProperties", "minProperties")):
        return "object"
    if any(k in s for k in ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")):
        return "array"
    if any(k in s for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in s for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    return "string"


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Two schemas that must both hold, as one (properties merged, required united, the rest from b)."""
    out = dict(a)
    for key, value in b.items():
        if key == "properties" and isinstance(out.get(key), Mapping) and isinstance(value, Mapping):
            out[key] = {**out[key], **value}
        elif key == "required" and isinstance(out.get(key), list) and isinstance(value, list):
            out[key] = out[key] + [r for r in value if r not in out[key]]
        else:
            out[key] = value
    return out


def _json_equal(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _vary(value: Any, i: int) -> Any:
    if isinstance(value, str):
        return f"{value}{i}"
    if is_number(value):
        return value + i
    if isinstance(value, dict):
        return {**value, f"_{i}": i}
    if isinstance(value, list):
        return [*value, i]
    return value


def _strings(s: Mapping[str, Any]) -> list[str]:
    base = _FORMAT_EXAMPLES.get(str(s.get("format")), "example")
    candidates = [base]
    if isinstance(s.get("pattern"), str):
        matched = _from_pattern(s["pattern"])
        if matched is not None:
            candidates.insert(0, matched)
    low: int = s["minLength"] if is_int(s.get("minLength")) else 0
    high: int | None = s["maxLength"] if is_int(s.get("maxLength")) else None
    out: list[str] = []
    for c in candidates:
        if len(c) < low:
            c = c + "x" * (low - len(c))
        if high is not None and len(c) > high:
            c = c[:high]
        out.append(c)
    return out + candidates


def _numbers(s: Mapping[str, Any], integer: bool) -> list[Any]:
    """Numbers near the lower bound (else near 0, else near the upper bound), on multipleOf's grid, best
    first; the caller keeps the first that validates (float rounding can spoil a multiple)."""

    def num(key: str) -> Fraction | None:
        v = s.get(key)
        return Fraction(v) if isinstance(v, int | float) and is_number(v) else None

    lo, hi, xlo, xhi, step = (num(k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"))
    if step is not None and step <= 0:
        step = None
    if integer:  # the smallest whole multiple of p/q (reduced) is p
        step = Fraction(1) if step is None else Fraction(step.numerator)
    lows = [b for b in (lo, xlo) if b is not None]
    highs = [b for b in (hi, xhi) if b is not None]
    low, high = (max(lows) if lows else None), (min(highs) if highs else None)
    points: list[Fraction] = []
    if low is not None:
        points += [low, low + Fraction(1, 2), low + 1]
    if low is not None and high is not None:
        points.append((low + high) / 2)
    points.append(Fraction(0))
    if high is not None:
        points += [high, high - Fraction(1, 2), high - 1]
    grid: list[Fraction] = []
    for p in points:
        if step is None:
            grid.append(p)
        else:
            grid += [math.ceil(p / step) * step, math.floor(p / step) * step, (math.ceil(p / step) + 1) * step]
    out: list[Any] = []
    for v in grid:
        value: Any = int(v) if v.denominator == 1 else float(v)
        if isinstance(value, float):  # a short decimal near the value reads better, when it still fits
            for digits in (0, 1, 2, 3):
                short = round(value, digits)
                if short not in out and (low is None or short >= low) and (high is None or short <= high):
                    out.append(short)
        if integer and not isinstance(value, int):
            continue
        if not integer and isinstance(value, int) and not lows and not highs and step is None:
            value = float(value)
        if value not in out:
            out.append(value)
    return out or [0]


def _from_pattern(pattern: str) -> str | None:
    """A string matching a (Python-compatible) regular expression, for common constructs; None otherwise."""
    try:
        tree = _re_parser.parse(pattern)
        text = _gen(list(tree), {})
    except Exception:  # an unusual construct: fall back to the placeholder
        return None
    return text if re.search(pattern, text) else None


def _gen(items: list[Any], groups: dict[int, str]) -> str:
    c = _re_constants
    out = []
    for op, av in items:
        if op is c.LITERAL:
            out.append(chr(av))
        elif op is c.NOT_LITERAL:
            out.append("a" if av != ord("a") else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_gen_in(av))
        elif op is c.BRANCH:
            out.append(_gen(list(av[1][0]), groups))
        elif op is c.SUBPATTERN:
            text = _gen(list(av[-1]), groups)
            if av[0] is not None:
                groups[av[0]] = text
            out.append(text)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = av
            out.append(_gen(list(sub), groups) * max(low, 1 if _high else 0))
        elif op is c.GROUPREF:
            out.append(groups.get(av, ""))
        elif op is c.AT or op in (c.ASSERT, c.ASSERT_NOT):
            continue
        elif op is c.CATEGORY:
            out.append(_category(av))
        else:
            raise ValueError(op)
    return "".join(out)


def _gen_in(items: list[Any]) -> str:
    c = _re_constants
    if items and items[0][0] is c.NEGATE:
        rest = items[1:]
        for ch in "aZ0_ x-":
            if not re.fullmatch(_class_regex(rest), ch):
                return ch
        raise ValueError("negated class")
    op, av = items[0]
    if op is c.LITERAL:
        return chr(av)
    if op is c.RANGE:
        return chr(av[0])
    if op is c.CATEGORY:
        return _category(av)
    raise ValueError(op)


def _class_regex(items: list[Any]) -> str:
    c = _re_constants
    parts = []
    for op, av in items:
        if op is c.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is c.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is c.CATEGORY:
            parts.append(
                {
                    "CATEGORY_DIGIT": r"\d",
                    "CATEGORY_NOT_DIGIT": r"\D",
                    "CATEGORY_SPACE": r"\s",
                    "CATEGORY_NOT_SPACE": r"\S",
                    "CATEGORY_WORD": r"\w",
                    "CATEGORY_NOT_WORD": r"\W",
                }[str(av)]
            )
        else:
            raise ValueError(op)
    return f"[{''.join(parts)}]"


def _category(av: Any) -> str:
    return {
        "CATEGORY_DIGIT": "0",
        "CATEGORY_NOT_DIGIT": "a",
        "CATEGORY_SPACE": " ",
        "CATEGORY_NOT_SPACE": "a",
        "CATEGORY_WORD": "a",
        "CATEGORY_NOT_WORD": "-",
    }[str(av)]


def example_for(
    schema: FieldForm | SchemaForm | JsonResponseSchema | Mapping[str, Any] | bool, *, required_only: bool = False
) -> Any:
    """A valid example of `schema`: every property (only the required ones with `required_only`), the first
    allowed value (or const, default), type-appropriate placeholders within the bounds, one item per array,
    the first branch of oneOf/anyOf that validates, references followed. Valid for every schema the form makes;
    for a schema no value can satisfy (an empty enum) or a regex beyond the simple generator, the closest try
    is returned."""
    root = schema_json(schema)
    return _Examples(root, required_only).make(root)
