"""playground.demo_tools: each demo tool's answers and refusals, argument handling, and that nothing runs code."""

from __future__ import annotations

import json
import math
import operator
import string
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.demo_tools import (
    DEMO_TOOLS,
    MAX_EXPRESSION_CHARS,
    UNITS,
    WEATHER_SOURCE,
    DemoTool,
    ToolResult,
    answer,
    definitions,
    dispatch,
    units,
)
from playground.request import build_request
from playground.schema import check_schema
from tests.fuzz import examples

SEED_WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "Name of the city to get weather for"},
        "unit": {
            "type": "string",
            "enum": ["metric", "imperial"],
            "description": "Temperature unit (metric = Celsius, imperial = Fahrenheit)",
        },
    },
    "required": ["city"],
}


def ok(name: str, arguments: Any, **kwargs: Any) -> dict[str, Any]:
    """The decoded result of a call that must succeed."""
    result = answer(name, arguments, **kwargs)
    assert result is not None and not result.error, result
    decoded = json.loads(result.content)
    assert "error" not in decoded
    return decoded


def refused(name: str, arguments: Any, **kwargs: Any) -> str:
    """The error text of a call that must fail (as a result, never an exception)."""
    result = answer(name, arguments, **kwargs)
    assert result is not None and result.error, result
    decoded = json.loads(result.content)
    assert list(decoded) == ["error"] and isinstance(decoded["error"], str) and decoded["error"]
    assert "Internal error" not in decoded["error"]
    return decoded["error"]


def calc(expression: str) -> Any:
    return ok("calculator", {"expression": expression})["result"]


def calc_error(expression: str) -> str:
    return refused("calculator", {"expression": expression})


# ---------------------------------------------------------------------------------------------- definitions


def test_definitions_are_api_tools_the_request_builder_accepts() -> None:
    tools = definitions()
    assert [t["function"]["name"] for t in tools] == ["calculator", "get_time", "get_weather", "convert_units"]
    for tool in tools:
        assert tool["type"] == "function" and set(tool["function"]) == {"name", "description", "parameters"}
        assert check_schema(tool["function"]["parameters"]) == []
        assert tool["function"]["parameters"]["type"] == "object"
    built = build_request({"model": "m", "tools": tools}, [{"role": "user", "content": "hi"}])
    assert [t.function.name for t in built.request.tools or []] == list(DEMO_TOOLS)


def test_get_weather_is_exactly_the_seed_documents_tool() -> None:
    function = DEMO_TOOLS["get_weather"].definition()["function"]
    assert function == {
        "name": "get_weather",
        "description": "Fetches the current weather for a specific city.",
        "parameters": SEED_WEATHER_PARAMETERS,
    }


def test_definition_is_a_copy_so_callers_cannot_change_the_tool() -> None:
    definition = DEMO_TOOLS["calculator"].definition()
    definition["function"]["parameters"]["properties"]["expression"]["type"] = "integer"
    assert DEMO_TOOLS["calculator"].parameters["properties"]["expression"]["type"] == "string"
    assert isinstance(DEMO_TOOLS["calculator"], DemoTool)


def test_convert_units_schema_lists_every_known_unit() -> None:
    properties = DEMO_TOOLS["convert_units"].parameters["properties"]
    assert properties["from_unit"]["enum"] == properties["to_unit"]["enum"] == list(UNITS)
    assert {"km", "mi", "C", "F", "K", "kg", "lb", "l", "gal", "km/h", "mph"} <= set(UNITS)


def test_unknown_tool_name_gives_none() -> None:
    assert answer("lookup_stock_price", {"symbol": "X"}) is None
    assert answer("", None) is None
    assert answer("Calculator", {"expression": "1"}) is None


# ---------------------------------------------------------------------------------------------- calculator


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("2 ** 10", 1024),
        ("2 ** -1", 0.5),
        ("-2 ** 2", -4),
        ("+-+3", -3),
        ("2 ** 3 ** 2", 512),
        ("2 ** 100", 2**100),
        ("0.1 + 0.2", 0.3),
        ("1_000 * 3", 3000),
        ("sqrt(16)", 4.0),
        ("abs(-3.5)", 3.5),
        ("round(2.675, 1)", 2.7),
        ("round(1234, -2)", 1200),
        ("round(2.5)", 2),
        ("min(3, 1, 2)", 1),
        ("max(3, 1.5)", 3),
        ("floor(-1.5) + ceil(1.2)", 0),
        ("log(e)", 1.0),
        ("log(8, 2)", 3.0),
        ("log10(1000)", 3.0),
        ("exp(0)", 1.0),
        ("cos(0) + sin(0)", 1.0),
        ("round(tan(pi / 4), 9)", 1.0),
        ("tau / pi", 2.0),
        ("  12+30  ", 42),
    ],
)
def test_calculator_values(expression: str, expected: float) -> None:
    result = calc(expression)
    assert result == expected and type(result) is type(expected)


def test_calculator_result_echoes_the_expression() -> None:
    assert ok("calculator", '{"expression": "6*7"}') == {"expression": "6*7", "result": 42}


def test_calculator_large_exact_integers_survive_json() -> None:
    assert calc("10 ** 1000") == 10**1000
    assert calc("3 ** 2000 - 3 ** 2000 + 1") == 1


@pytest.mark.parametrize(
    "expression",
    ["9**9**9", "10**100000", "10**10**10", "2**(2**64)", "(10**1000) * (10**1000)", "(-7) ** 99999999999", "10**1100"],
)
def test_calculator_refuses_huge_integer_results_without_computing_them(expression: str) -> None:
    # Each of these would take minutes to hours (or exhaust memory) if computed; the size is checked first.
    assert "too large" in calc_error(expression)


@pytest.mark.parametrize(
    "expression", ["10.0 ** 400", "1e308 * 10", "exp(1000)", "(10**1000) / 3", "1e999", "2.0 ** (10**1000)", "sqrt(10**1000)"]
)
def test_calculator_refuses_float_overflow(expression: str) -> None:
    assert "too large" in calc_error(expression)


@pytest.mark.parametrize("expression", ["1 / 0", "1 // 0", "5 % 0", "0 ** -1", "1.5 / 0.0", "log(5, 1)"])
def test_calculator_division_by_zero_is_a_plain_message(expression: str) -> None:
    assert "Division by zero" in calc_error(expression)


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("sqrt(-1)", "undefined"),
        ("log(0)", "undefined"),
        ("(-8) ** (1/3)", "not a real number"),
        ("2j", "real numbers"),
        ("True + 1", "real numbers"),
        ("'abc'", "text"),
        ("b'abc' * 2", "text"),
        ("x + 1", 'Unknown name "x"'),
        ("sqrt", "is a function"),
        ("sqrt(1, 2)", "takes 1 argument"),
        ("min(1)", "2 or more"),
        ("round(1, 2, 3)", "1 to 2"),
        ("round(1.5, 10**6)", "round's second argument"),
        ("round(1.5, 0.5)", "round's second argument"),
        ("max(*[1, 2])", "no keywords or *"),
        ("round(2.5, ndigits=1)", "no keywords or *"),
        ("1 < 2", "Comparison"),
        ("1 and 2", "and/or"),
        ("1 if 1 else 2", "if/else"),
        ("1 << 40", "This operator"),
        ("~1", "This operator"),
        ("[1, 2][0]", "Indexing"),
        ("(1, 2)", "tuple"),
        ("lambda: 1", "lambda"),
        ("[x for x in (1, 2)]", "comprehension"),
        ("f'{1}'", "f-string"),
        ("(y := 3)", "Assignment"),
        ("", "empty"),
        ("   ", "empty"),
        ("1 +", "Not a valid expression"),
        ("import os", "Not a valid expression"),
        ("1; 2", "Not a valid expression"),
        ("(" * 210 + "1" + ")" * 210, "Not a valid expression"),
        ("1\x002", "Not a valid expression"),
    ],
)
def test_calculator_refusals_say_why(expression: str, words: str) -> None:
    assert words in calc_error(expression)


def test_calculator_expression_length_is_bounded() -> None:
    assert calc("+".join(["1"] * (MAX_EXPRESSION_CHARS // 2))) == MAX_EXPRESSION_CHARS // 2
    assert "longer than" in calc_error("1" + "+1" * MAX_EXPRESSION_CHARS)


def test_calculator_deep_unary_chain_within_the_limit() -> None:
    assert calc("-" * (MAX_EXPRESSION_CHARS - 2) + "1") == 1  # an even number of minus signs
    assert calc("-" * (MAX_EXPRESSION_CHARS - 1) + "1") == -1


class _AuditTrap:
    """Records audit events (imports, opens, exec, os.system, subprocess…) raised while armed.

    `compile` is left out: ast.parse raises it. Audit hooks cannot be removed, so this one stays installed
    for the process but records nothing unless a test arms it.
    """

    installed = False
    armed = False
    events: list[str] = []  # noqa: RUF012

    @classmethod
    def hook(cls, event: str, args: tuple[Any, ...]) -> None:
        if cls.armed and event != "compile":
            cls.events.append(event)

    @classmethod
    @contextmanager
    def watching(cls) -> Iterator[list[str]]:
        if not cls.installed:
            sys.addaudithook(cls.hook)
            cls.installed = True
        cls.events = []
        cls.armed = True
        try:
            yield cls.events
        finally:
            cls.armed = False


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('touch {marker}')",
        "open('{marker}', 'w')",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "eval('1+1')",
        'exec(\'open("{marker}", "w")\')',
        "__builtins__",
        "globals()",
        "(lambda: __import__('os'))()",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "sqrt.__globals__",
        "max.__self__",
        "round.__call__(1)",
        "getattr(1, 'real')",
        "breakpoint()",
    ],
)
def test_calculator_refuses_code_and_runs_none_of_it(expression: str, tmp_path: Path) -> None:
    marker = tmp_path / "x"
    answer("calculator", {"expression": "1"})  # warm up: first-use imports are not the expression's doing
    with _AuditTrap.watching() as events:
        error = calc_error(expression.format(marker=marker))
    assert events == []
    assert not marker.exists()
    assert "not allowed" in error or "Unknown name" in error


_CALC_TOKENS = [
    "__import__", "os", "system", "open", "eval", "exec", "lambda", "x", ".", "__class__", "__globals__",
    "(", ")", "'", '"', ",", "[", "]", ":", "+", "-", "*", "**", "/", "//", "%", "1", "9", "0.5", "1e3",
    "sqrt", "min", "round", "pi", "e", " ", "_", "if", "for", "in", "=", "<", "j", "\\",
]  # fmt: skip


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(alphabet=string.ascii_letters + string.digits + "_.()'\"[]{}+-*/%, :=<>!~^&|\\@#\n", max_size=80),
        st.lists(st.sampled_from(_CALC_TOKENS), max_size=25).map("".join),
        st.text(max_size=40),
    )
)
def test_calculator_never_raises_and_never_runs_code(expression: str) -> None:
    answer("calculator", {"expression": "1"})
    with _AuditTrap.watching() as events:
        result = answer("calculator", {"expression": expression})
    assert events == []
    assert isinstance(result, ToolResult)
    decoded = json.loads(result.content)
    if result.error:
        assert list(decoded) == ["error"] and "Internal error" not in decoded["error"]
    else:
        assert decoded["expression"] == expression and _is_plain_number(decoded["result"])


def _arith() -> st.SearchStrategy[tuple[str, int]]:
    """Random integer expressions of + - * with their value computed here, to check the walker's arithmetic."""
    leaf = st.integers(-50, 50).map(lambda n: (f"({n})", n))
    ops: list[tuple[str, Callable[[int, int], int]]] = [("+", operator.add), ("-", operator.sub), ("*", operator.mul)]

    def extend(children: st.SearchStrategy[tuple[str, int]]) -> st.SearchStrategy[tuple[str, int]]:
        return st.tuples(children, st.sampled_from(ops), children).map(
            lambda t: (f"({t[0][0]} {t[1][0]} {t[2][0]})", t[1][1](t[0][1], t[2][1]))
        )

    return st.recursive(leaf, extend, max_leaves=12)


@settings(max_examples=examples(150), deadline=None)
@given(_arith())
def test_calculator_agrees_with_integer_arithmetic(case: tuple[str, int]) -> None:
    expression, value = case
    if len(expression) <= MAX_EXPRESSION_CHARS:
        assert calc(expression) == value


# ---------------------------------------------------------------------------------------------- clock

# 00:30 UTC on the day Europe moves its clocks forward (at 01:00 UTC).
FIXED = datetime(2025, 3, 30, 0, 30, 15, tzinfo=UTC)


def fixed(moment: datetime = FIXED) -> Callable[[], datetime]:
    return lambda: moment


def test_get_time_defaults_to_utc() -> None:
    assert ok("get_time", None, now=fixed()) == {
        "timezone": "UTC",
        "time": "2025-03-30T00:30:15+00:00",
        "weekday": "Sunday",
        "utc_offset": "+00:00",
        "abbreviation": "UTC",
    }
    assert ok("get_time", "", now=fixed())["timezone"] == "UTC"
    assert ok("get_time", {"timezone": "  "}, now=fixed())["timezone"] == "UTC"


@pytest.mark.parametrize(
    ("zone", "moment", "time", "weekday", "offset"),
    [
        ("Europe/Paris", FIXED, "2025-03-30T01:30:15+01:00", "Sunday", "+01:00"),
        ("Europe/Paris", FIXED + timedelta(hours=1), "2025-03-30T03:30:15+02:00", "Sunday", "+02:00"),
        ("Asia/Kolkata", FIXED, "2025-03-30T06:00:15+05:30", "Sunday", "+05:30"),
        ("America/St_Johns", FIXED, "2025-03-29T22:00:15-02:30", "Saturday", "-02:30"),
        ("Asia/Seoul", FIXED, "2025-03-30T09:30:15+09:00", "Sunday", "+09:00"),
    ],
)
def test_get_time_in_a_zone(zone: str, moment: datetime, time: str, weekday: str, offset: str) -> None:
    result = ok("get_time", {"timezone": zone}, now=fixed(moment))
    assert (result["timezone"], result["time"], result["weekday"], result["utc_offset"]) == (zone, time, weekday, offset)


def test_get_time_zone_names_are_case_insensitive() -> None:
    assert ok("get_time", '{"timezone": "europe/paris"}', now=fixed())["timezone"] == "Europe/Paris"
    assert ok("get_time", {"timezone": "utc"}, now=fixed())["timezone"] == "UTC"


def test_get_time_takes_naive_and_other_zone_clocks_as_the_same_instant() -> None:
    naive = ok("get_time", {"timezone": "Asia/Seoul"}, now=fixed(FIXED.replace(tzinfo=None)))
    shifted = ok("get_time", {"timezone": "Asia/Seoul"}, now=fixed(FIXED.astimezone(timezone(timedelta(hours=-7)))))
    assert naive["time"] == shifted["time"] == "2025-03-30T09:30:15+09:00"


def test_get_time_uses_the_module_clock_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "clock", fixed())
    assert ok("get_time", {"timezone": "UTC"})["time"] == "2025-03-30T00:30:15+00:00"


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "Paris", "../../etc/passwd", "/etc/localtime", "localtime", "LocalTime", "Europe", "x" * 5000]
)
def test_get_time_unknown_zone_names_an_example(zone: str) -> None:
    error = refused("get_time", {"timezone": zone}, now=fixed())
    assert "Unknown time zone" in error and "Europe/Paris" in error
    assert len(error) < 300


def test_calculator_says_a_lone_surrogate_is_not_valid_text() -> None:
    error = calc_error("1 + \ud800")
    assert "not valid Unicode" in error and "nested" not in error


def test_get_time_wrong_argument_types() -> None:
    assert "not of type 'string'" in refused("get_time", {"timezone": 9})
    assert "Additional properties" in refused("get_time", {"zone": "UTC"})


# ---------------------------------------------------------------------------------------------- weather


def test_get_weather_is_deterministic_and_labelled_demo_data() -> None:
    first = ok("get_weather", {"city": "Seoul"})
    assert ok("get_weather", '{"city": "Seoul", "unit": "metric"}') == first
    assert first["source"] == WEATHER_SOURCE and "demo" in first["source"] and "not a real" in first["source"]
    assert first["city"] == "Seoul" and first["unit"] == "metric" and first["temperature_unit"] == "°C"
    assert isinstance(first["temperature"], int) and -10 <= first["temperature"] <= 35
    assert 20 <= first["humidity_percent"] <= 95
    assert isinstance(first["condition"], str) and first["condition"]


def test_get_weather_city_is_normalised_for_the_numbers() -> None:
    a = ok("get_weather", {"city": "New York"})
    b = ok("get_weather", {"city": "  new   YORK "})
    assert b["city"] == "new YORK"
    assert {k: v for k, v in a.items() if k != "city"} == {k: v for k, v in b.items() if k != "city"}


def test_get_weather_imperial_is_the_same_weather_in_fahrenheit() -> None:
    for city in ["Seoul", "Paris", "Tokyo", "Reykjavík", "São Paulo"]:
        metric = ok("get_weather", {"city": city})
        imperial = ok("get_weather", {"city": city, "unit": "imperial"})
        assert imperial["temperature_unit"] == "°F" and imperial["wind_speed_unit"] == "mph"
        assert imperial["temperature"] == round(metric["temperature"] * 9 / 5 + 32)
        assert imperial["condition"] == metric["condition"] and imperial["humidity_percent"] == metric["humidity_percent"]


def test_get_weather_differs_between_cities() -> None:
    cities = ["Seoul", "Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Perth", "Quito", "Dakar", "Hanoi"]
    readings = {
        (r["temperature"], r["condition"], r["humidity_percent"]) for r in (ok("get_weather", {"city": c}) for c in cities)
    }
    assert len(readings) > 5


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({}, "'city' is a required property"),
        ({"unit": "metric"}, "'city' is a required property"),
        ({"city": 12}, "not of type 'string'"),
        ({"city": "Seoul", "unit": "kelvin"}, "is not one of ['metric', 'imperial']"),
        ({"city": "   "}, "The city is empty"),
        ('{"city": "Seoul"', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"Seoul"', "must be a JSON object"),
        ("NaN", "must be a JSON object"),
    ],
)
def test_get_weather_bad_arguments(arguments: Any, words: str) -> None:
    assert words in refused("get_weather", arguments)


# ---------------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (5, "km", "mi", 3.10685596119),
        (1, "mi", "m", 1609.344),
        (12, "in", "ft", 1),
        (0.1, "km", "m", 100),
        (1, "kg", "lb", 2.20462262185),
        (16, "oz", "lb", 1),
        (1, "t", "g", 1_000_000),
        (0, "C", "F", 32),
        (100, "C", "F", 212),
        (-40, "F", "C", -40),
        (0, "K", "C", -273.15),
        (98.6, "F", "C", 37),
        (300, "K", "F", 80.33),
        (1, "gal", "l", 3.785411784),
        (1, "cup", "tbsp", 16),
        (1, "m3", "l", 1000),
        (1, "kn", "km/h", 1.852),
        (100, "km/h", "mph", 62.1371192237),
        (10, "m/s", "km/h", 36),
        (5, "km", "km", 5),
    ],
)
def test_convert_units_values(value: float, from_unit: str, to_unit: str, expected: float) -> None:
    result = ok("convert_units", {"value": value, "from_unit": from_unit, "to_unit": to_unit})
    assert result["result"] == pytest.approx(expected, rel=1e-11, abs=1e-9)
    assert result["from_unit"] == from_unit and result["to_unit"] == to_unit and result["value"] == value


def test_convert_units_result_fields() -> None:
    result = ok("convert_units", '{"value": 100, "from_unit": "C", "to_unit": "F"}')
    assert result == {
        "value": 100,
        "from_unit": "C",
        "to_unit": "F",
        "result": 212,
        "quantity": "temperature",
        "text": "100 °C = 212 °F",
    }


@pytest.mark.parametrize(
    ("written", "symbol"),
    [("Celsius", "C"), ("fahrenheit", "F"), ("kelvin", "K"), ("kilometers", "km"), ("Miles", "mi"), ("KM", "km"), ("lbs", "lb")],
)
def test_convert_units_accepts_common_spellings(written: str, symbol: str) -> None:
    other = {"temperature": "K", "length": "m", "mass": "kg"}
    result = ok("convert_units", {"value": 1, "from_unit": written, "to_unit": symbol})
    assert result["from_unit"] == symbol and result["result"] == 1
    assert result["quantity"] in other


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"value": 1, "from_unit": "km", "to_unit": "kg"}, "Cannot convert length (km) to mass (kg)"),
        ({"value": 1, "from_unit": "C", "to_unit": "m/s"}, "Cannot convert temperature (C) to speed (m/s)"),
        ({"value": 1, "from_unit": "parsec", "to_unit": "km"}, "'parsec' is not one of"),
        ({"value": "5", "from_unit": "km", "to_unit": "mi"}, "not of type 'number'"),
        ({"value": True, "from_unit": "km", "to_unit": "mi"}, "not of type 'number'"),
        ({"from_unit": "km", "to_unit": "mi"}, "'value' is a required property"),
        ({"value": 1, "from_unit": "km"}, "'to_unit' is a required property"),
        ({"value": 1, "from_unit": "km", "to_unit": "mi", "extra": 1}, "Additional properties"),
        ({"value": -300, "from_unit": "C", "to_unit": "K"}, "below absolute zero"),
        ({"value": -1, "from_unit": "K", "to_unit": "C"}, "below absolute zero"),
        ('{"value": NaN, "from_unit": "km", "to_unit": "mi"}', "finite number"),
        ('{"value": 1e400, "from_unit": "km", "to_unit": "mi"}', "finite number"),
        ({"value": 10**400, "from_unit": "km", "to_unit": "mi"}, "too large"),
        ({"value": 1e308, "from_unit": "km", "to_unit": "mm"}, "too large"),
    ],
)
def test_convert_units_refusals(arguments: Any, words: str) -> None:
    assert words in refused("convert_units", arguments)


def _same_quantity_pairs() -> st.SearchStrategy[tuple[str, str]]:
    by_quantity: dict[str, list[str]] = {}
    for unit, (quantity, _) in units._UNITS.items():
        by_quantity.setdefault(quantity, []).append(unit)
    return st.sampled_from(sorted(by_quantity)).flatmap(
        lambda q: st.tuples(st.sampled_from(by_quantity[q]), st.sampled_from(by_quantity[q]))
    )


@settings(max_examples=examples(200), deadline=None)
@given(_same_quantity_pairs(), st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_convert_units_round_trip(pair: tuple[str, str], value: float) -> None:
    from_unit, to_unit = pair
    there = ok("convert_units", {"value": value, "from_unit": from_unit, "to_unit": to_unit})["result"]
    back = ok("convert_units", {"value": there, "from_unit": to_unit, "to_unit": from_unit})["result"]
    assert back == pytest.approx(value, rel=1e-9, abs=1e-6)


# ---------------------------------------------------------------------------------------------- any arguments

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
_KEYS = ["expression", "timezone", "city", "unit", "value", "from_unit", "to_unit"]
_arguments = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=8), _json, max_size=5),
    st.dictionaries(
        st.sampled_from(_KEYS), st.sampled_from(["UTC", "Seoul", "km", "C", "1+1", "metric", ""]) | _json, max_size=4
    ),
    _json.map(json.dumps),
    st.text(max_size=60),
)


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DEMO_TOOLS)), _arguments)
def test_any_arguments_give_a_result_never_an_exception(name: str, arguments: Any) -> None:
    result = answer(name, arguments, now=fixed())
    assert isinstance(result, ToolResult)
    decoded = json.loads(result.content)
    assert isinstance(decoded, dict)
    assert result.error == ("error" in decoded)
    if result.error:
        assert "Internal error" not in decoded["error"] and len(decoded["error"]) < 3000


def test_oversized_argument_text_is_refused_before_parsing() -> None:
    assert "longer than" in refused("get_weather", '{"city": "' + "a" * 30_000 + '"}')
    assert "nested too deeply" in refused("get_weather", "[" * 19_000)
    assert "not valid JSON" in refused("convert_units", '{"value": ' + "9" * 5000 + "}")


def test_arguments_that_are_not_an_object() -> None:
    assert "not list" in refused("calculator", [1, 2])  # type: ignore[arg-type]
    assert "not int" in refused("calculator", 7)  # type: ignore[arg-type]


def test_the_audit_trap_sees_code_running(tmp_path: Path) -> None:
    """The no-code-ran tests above rely on this trap; it must see an eval and a file being opened."""
    with _AuditTrap.watching() as events:
        eval("1 + 1")
        (tmp_path / "y").write_text("y")
    assert "exec" in events and "open" in events
