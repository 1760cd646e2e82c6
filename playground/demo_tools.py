"""Built-in demo tools for one-click tool-calling round trips: calculator, clock, fake weather, unit converter.

The playground's "Run tools and continue" answers each tool call of the model with the demo tool of the same
name and runs again. Arguments come from a model, so they are untrusted: they are parsed and validated against
the tool's JSON Schema first, every failure becomes a plain `{"error": …}` result the model can read, and
nothing here ever raises or evaluates code (the calculator walks Python's `ast` over a whitelist).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
import math
import operator
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from playground import examples
from playground.errors import PlaygroundError
from playground.schema import validate_instance

# Arguments longer than this are refused before parsing (a tool call's arguments are a few dozen characters).
MAX_ARGUMENTS_CHARS = 20_000
# The calculator's bounds: expression length, and the size of any integer it builds (≈1,000 decimal digits).
MAX_EXPRESSION_CHARS = 500
MAX_INT_BITS = 3_400
MAX_ROUND_DIGITS = 100
# Error texts quoting the caller's input are cut to this length.
_QUOTE_CHARS = 80


def _utc_now() -> datetime:
    return datetime.now(UTC)


# The clock `get_time` reads unless `answer(..., now=...)` passes another (tests pass a fixed one).
clock: Callable[[], datetime] = _utc_now


class ToolError(PlaygroundError):
    """A refusal or failure worth telling the model in plain words (never a crash)."""


class ToolResult(BaseModel):
    """What a demo tool answered. `content` is JSON text, the tool message's content: the result object, or
    `{"error": "…"}` so the model can read what went wrong; `error` says which."""

    model_config = ConfigDict(frozen=True)
    content: str
    error: bool = False

    @classmethod
    def ok(cls, value: Mapping[str, Any]) -> ToolResult:
        return cls(content=json.dumps(value, ensure_ascii=False))

    @classmethod
    def fail(cls, message: str) -> ToolResult:
        return cls(content=json.dumps({"error": message}, ensure_ascii=False), error=True)


_Handler = Callable[[dict[str, Any], datetime], dict[str, Any]]


class DemoTool(BaseModel):
    """One demo tool: the definition the model sees, and the function that answers it on this machine."""

    model_config = ConfigDict(frozen=True)
    name: str
    description: str
    parameters: dict[str, Any]
    handler: _Handler = Field(exclude=True, repr=False)

    def definition(self) -> dict[str, Any]:
        """The tool in the API's shape, `{"type": "function", "function": {name, description, parameters}}`."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": copy.deepcopy(self.parameters)},
        }


def _quote(text: str) -> str:
    return json.dumps(text if len(text) <= _QUOTE_CHARS else text[:_QUOTE_CHARS] + "…", ensure_ascii=False)


# ---------------------------------------------------------------------------------------------- calculator

_Number = int | float


def _check_size(value: Any) -> _Number:
    """Every intermediate value: a real number, finite, and an integer of bounded size."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError("The result is not a real number (for example a negative number to a fractional power).")
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolError("The result is too large to compute.")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolError("The result is too large (more than about 1,000 digits).")
    return value


def _power(base: _Number, exponent: _Number) -> _Number:
    """`**` with the size checked before computing, so 9**9**9 or 10**100000 are refused at once."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent > MAX_INT_BITS or (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
            raise ToolError("The result is too large (more than about 1,000 digits).")
    return base**exponent


def _multiply(a: _Number, b: _Number) -> _Number:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
        raise ToolError("The result is too large (more than about 1,000 digits).")
    return a * b


_BINARY: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", _multiply),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", _power),
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _round(x: _Number, ndigits: _Number | None = None) -> _Number:
    if ndigits is None:
        return round(x)
    if not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS:
        raise ToolError(f"round's second argument must be a whole number between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}.")
    return round(x, ndigits)


def _log(x: _Number, base: _Number | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


# name → (function, fewest arguments, most arguments; None = any number)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "sqrt": (math.sqrt, 1, 1),
    "abs": (abs, 1, 1),
    "round": (_round, 1, 2),
    "min": (min, 2, None),
    "max": (max, 2, None),
    "log": (_log, 1, 2),
    "log10": (math.log10, 1, 1),
    "exp": (math.exp, 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
}
_ALLOWED_TEXT = (
    "numbers, + - * / // % **, parentheses, the functions "
    + ", ".join(_FUNCTIONS)
    + " and the constants "
    + ", ".join(_CONSTANTS)
)


# Plain names for the syntax people (and models) most often try; anything else is named by its ast class.
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "Attribute access (a.b)",
    ast.Subscript: "Indexing (a[b])",
    ast.Lambda: "lambda",
    ast.Compare: "Comparison (<, ==, …)",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.Tuple: "A tuple (a, b)",
    ast.List: "A list [a, b]",
    ast.Dict: "A dict {a: b}",
    ast.Set: "A set {a, b}",
    ast.ListComp: "A comprehension",
    ast.SetComp: "A comprehension",
    ast.DictComp: "A comprehension",
    ast.GeneratorExp: "A generator",
    ast.JoinedStr: "Text (an f-string)",
    ast.NamedExpr: "Assignment (:=)",
    ast.BinOp: "This operator (only + - * / // % ** are allowed)",
    ast.UnaryOp: "This operator (only unary + and - are allowed)",
}


def _evaluate(node: ast.AST) -> _Number:
    """Walk the parsed expression over the whitelist; anything else is refused by name, never run."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            kind = "text" if isinstance(node.value, str | bytes) else type(node.value).__name__
            raise ToolError(f"Only real numbers are allowed, not {kind} ({_ALLOWED_TEXT}).")
        return _check_size(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        symbol, fn = _BINARY[type(node.op)]
        left, right = _evaluate(node.left), _evaluate(node.right)
        try:
            return _check_size(fn(left, right))
        except ZeroDivisionError:
            raise ToolError(f"Division by zero (in {symbol}).") from None
        except OverflowError:
            raise ToolError("The result is too large to compute.") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _check_size(_UNARY[type(node.op)](_evaluate(node.operand)))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in _FUNCTIONS:
            raise ToolError(f"{node.id} is a function: call it with parentheses, like {node.id}(2).")
        raise ToolError(f"Unknown name {_quote(node.id)}. Allowed: {_ALLOWED_TEXT}.")
    if isinstance(node, ast.Call):
        return _call(node)
    what = _REFUSED_NODES.get(type(node), type(node).__name__)
    raise ToolError(f"{what} is not allowed in an expression. Allowed: {_ALLOWED_TEXT}.")


def _call(node: ast.Call) -> _Number:
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
        what = _quote(ast.unparse(node.func))
        raise ToolError(f"Calling {what} is not allowed. Allowed functions: {', '.join(_FUNCTIONS)}.")
    name = node.func.id
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ToolError(f"{name}() takes plain arguments only, no keywords or *.")
    fn, fewest, most = _FUNCTIONS[name]
    if len(node.args) < fewest or (most is not None and len(node.args) > most):
        count = str(fewest) if fewest == most else f"{fewest} or more" if most is None else f"{fewest} to {most}"
        raise ToolError(f"{name}() takes {count} argument{'s' if count != '1' else ''}, not {len(node.args)}.")
    args = [_evaluate(a) for a in node.args]
    try:
        return _check_size(fn(*args))
    except ZeroDivisionError:
        raise ToolError(f"Division by zero in {name}().") from None
    except OverflowError:
        raise ToolError(f"The result of {name}() is too large to compute.") from None
    except ValueError:
        raise ToolError(f"{name}() is undefined for {', '.join(_format(a) for a in args)}.") from None


def _format(value: _Number) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def calculate(expression: str) -> _Number:
    """The value of an arithmetic expression; raises ToolError (with a plain message) for anything else."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.")
    if not expression.strip():
        raise ToolError("The expression is empty.")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"Not a valid expression ({exc.msg}). Allowed: {_ALLOWED_TEXT}.") from None
    except UnicodeError:  # before ValueError, its base: Python source cannot hold half a character
        raise ToolError("The expression has text that is not valid Unicode (an unpaired surrogate such as \\ud800).") from None
    except (ValueError, RecursionError, MemoryError):
        raise ToolError("Not a valid expression (too deeply nested or malformed).") from None
    try:
        return _evaluate(tree)
    except RecursionError:
        raise ToolError("The expression is too deeply nested.") from None


def _calculator(args: dict[str, Any], _now: datetime) -> dict[str, Any]:
    result = calculate(args["expression"])
    if isinstance(result, float):
        result = float(f"{result:.15g}")  # 0.1 + 0.2 → 0.3, as a calculator shows it
    return {"expression": args["expression"], "result": result}


# ---------------------------------------------------------------------------------------------- clock


@cache
def _zone_names() -> dict[str, str]:
    """Every IANA zone name (the `tzdata` package's list), keyed by lower case so "europe/paris" also works.
    Not `zoneinfo.available_timezones()`: it lists every file under the system's zoneinfo folder, "localtime"
    (this machine's own zone) included. Looking keys up here also keeps paths like "../x" away from the files."""
    names = set(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()) | {"UTC"}
    return {n.lower(): n for n in names}


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _get_time(args: dict[str, Any], current: datetime) -> dict[str, Any]:
    asked = args.get("timezone", "UTC").strip() or "UTC"
    name = _zone_names().get(asked.lower())
    if name is None:
        raise ToolError(f"Unknown time zone {_quote(asked)}. Use an IANA name such as Europe/Paris, Asia/Seoul or UTC.")
    moment = current.astimezone(zoneinfo.ZoneInfo(name))
    return {
        "timezone": name,
        "time": moment.isoformat(timespec="seconds"),
        "weekday": moment.strftime("%A"),
        "utc_offset": _offset_text(moment),
        "abbreviation": moment.tzname(),
    }


# ---------------------------------------------------------------------------------------------- weather

_CONDITIONS = ("clear", "partly cloudy", "cloudy", "light rain", "rain", "thunderstorm", "fog", "snow", "windy")
WEATHER_SOURCE = "demo data, not a real forecast"


def _normalised_city(city: str) -> str:
    return " ".join(city.split()).casefold()


def _get_weather(args: dict[str, Any], _now: datetime) -> dict[str, Any]:
    """Fake but stable weather: the same city always gets the same numbers (a SHA-256 of its normalised name,
    not Python's salted hash), so a demo can be rerun and compared."""
    city = " ".join(args["city"].split())
    if not city:
        raise ToolError("The city is empty: give a city name, like Seoul.")
    unit = args.get("unit", "metric")
    digest = hashlib.sha256(_normalised_city(city).encode()).digest()
    celsius = -10 + digest[0] % 46  # -10 … 35 °C
    condition = _CONDITIONS[digest[1] % len(_CONDITIONS)]
    if condition == "snow" and celsius > 2:
        condition = "cloudy"
    wind_kmh = digest[3] % 41
    metric = unit == "metric"
    return {
        "city": city,
        "unit": unit,
        "temperature": celsius if metric else round(celsius * 9 / 5 + 32),
        "temperature_unit": "°C" if metric else "°F",
        "condition": condition,
        "humidity_percent": 20 + digest[2] % 76,
        "wind_speed": wind_kmh if metric else round(wind_kmh / 1.609344),
        "wind_speed_unit": "km/h" if metric else "mph",
        "source": WEATHER_SOURCE,
    }


# ---------------------------------------------------------------------------------------------- units


# unit → (quantity, factor to the quantity's base unit); temperature is handled with offsets below.
_UNITS: dict[str, tuple[str, float]] = {
    # length, base metre
    "mm": ("length", 0.001),
    "cm": ("length", 0.01),
    "m": ("length", 1.0),
    "km": ("length", 1000.0),
    "in": ("length", 0.0254),
    "ft": ("length", 0.3048),
    "yd": ("length", 0.9144),
    "mi": ("length", 1609.344),
    "nmi": ("length", 1852.0),
    # mass, base kilogram
    "mg": ("mass", 1e-6),
    "g": ("mass", 0.001),
    "kg": ("mass", 1.0),
    "t": ("mass", 1000.0),
    "oz": ("mass", 0.028349523125),
    "lb": ("mass", 0.45359237),
    "st": ("mass", 6.35029318),
    # volume, base litre (US customary units)
    "ml": ("volume", 0.001),
    "l": ("volume", 1.0),
    "m3": ("volume", 1000.0),
    "tsp": ("volume", 0.00492892159375),
    "tbsp": ("volume", 0.01478676478125),
    "fl_oz": ("volume", 0.0295735295625),
    "cup": ("volume", 0.2365882365),
    "pt": ("volume", 0.473176473),
    "gal": ("volume", 3.785411784),
    # speed, base metre per second
    "m/s": ("speed", 1.0),
    "km/h": ("speed", 1 / 3.6),
    "mph": ("speed", 0.44704),
    "kn": ("speed", 1852 / 3600),
    "ft/s": ("speed", 0.3048),
    # temperature (the factor is unused)
    "C": ("temperature", 1.0),
    "F": ("temperature", 1.0),
    "K": ("temperature", 1.0),
}
UNITS: tuple[str, ...] = tuple(_UNITS)
_UNITS_LOWER: dict[str, str] = {u.lower(): u for u in _UNITS}

# Spellings a model is likely to use instead of the enum's symbols (matched in lower case).
_UNIT_ALIASES: dict[str, str] = {
    "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "inch": "in", "inches": "in", "foot": "ft", "feet": "ft", "yard": "yd", "yards": "yd",
    "mile": "mi", "miles": "mi", "nautical mile": "nmi", "nautical miles": "nmi",
    "milligram": "mg", "milligrams": "mg", "gram": "g", "grams": "g",
    "kilogram": "kg", "kilograms": "kg", "kgs": "kg", "tonne": "t", "tonnes": "t",
    "ounce": "oz", "ounces": "oz", "pound": "lb", "pounds": "lb", "lbs": "lb", "stone": "st",
    "milliliter": "ml", "milliliters": "ml", "millilitre": "ml", "millilitres": "ml",
    "liter": "l", "liters": "l", "litre": "l", "litres": "l",
    "cubic meter": "m3", "cubic meters": "m3", "cubic metre": "m3", "cubic metres": "m3", "m^3": "m3", "m³": "m3",
    "teaspoon": "tsp", "teaspoons": "tsp", "tablespoon": "tbsp", "tablespoons": "tbsp",
    "fl oz": "fl_oz", "fluid ounce": "fl_oz", "fluid ounces": "fl_oz", "floz": "fl_oz",
    "cups": "cup", "pint": "pt", "pints": "pt", "gallon": "gal", "gallons": "gal",
    "mps": "m/s", "meters per second": "m/s", "metres per second": "m/s",
    "kph": "km/h", "kmh": "km/h", "kilometers per hour": "km/h", "kilometres per hour": "km/h",
    "miles per hour": "mph", "knot": "kn", "knots": "kn", "kt": "kn", "fps": "ft/s", "feet per second": "ft/s",
    "c": "C", "°c": "C", "celsius": "C", "centigrade": "C",
    "f": "F", "°f": "F", "fahrenheit": "F",
    "k": "K", "kelvin": "K", "kelvins": "K",
}  # fmt: skip


def _unit_symbol(value: Any) -> Any:
    """The enum's symbol for a known spelling ("Celsius" → "C"); anything else unchanged for the schema to judge."""
    if not isinstance(value, str) or value in _UNITS:
        return value
    key = " ".join(value.split()).lower()
    return _UNIT_ALIASES.get(key) or _UNITS_LOWER.get(key, value)


def _shown(unit: str) -> str:
    return {"C": "°C", "F": "°F"}.get(unit, unit)


def _to_kelvin(value: float, unit: str) -> float:
    return {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[unit]


def _from_kelvin(kelvin: float, unit: str) -> float:
    return {"C": kelvin - 273.15, "F": (kelvin - 273.15) * 9 / 5 + 32, "K": kelvin}[unit]


def _tidy(x: float) -> float | int:
    """12 significant digits, so 0.1 km → 100 m and not 100.00000000000001; whole numbers as integers."""
    rounded = float(f"{x:.12g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def convert(value: float, from_unit: str, to_unit: str) -> float | int:
    """`value` in `from_unit` expressed in `to_unit`; raises ToolError for unknown or incompatible units."""
    for unit in (from_unit, to_unit):
        if unit not in _UNITS:
            raise ToolError(f"Unknown unit {_quote(unit)}. Known units: {', '.join(UNITS)}.")
    (q_from, f_from), (q_to, f_to) = _UNITS[from_unit], _UNITS[to_unit]
    if q_from != q_to:
        raise ToolError(f"Cannot convert {q_from} ({from_unit}) to {q_to} ({to_unit}).")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ToolError("The value must be a finite number.")
    value = float(value)  # huge JSON integers: OverflowError is reported by the caller as too large
    if q_from == "temperature":
        kelvin = _to_kelvin(value, from_unit)
        if kelvin < 0:
            raise ToolError(f"{_tidy(value)} {from_unit} is below absolute zero.")
        result = _from_kelvin(kelvin, to_unit)
    else:
        result = value * f_from / f_to
    if not math.isfinite(result):
        raise ToolError("The result is too large to compute.")
    return _tidy(result)


def _convert_units(args: dict[str, Any], _now: datetime) -> dict[str, Any]:
    try:
        result = convert(args["value"], args["from_unit"], args["to_unit"])
    except OverflowError:
        raise ToolError("The value is too large.") from None
    quantity = _UNITS[args["from_unit"]][0]
    value = args["value"]
    return {
        "value": value,
        "from_unit": args["from_unit"],
        "to_unit": args["to_unit"],
        "result": result,
        "quantity": quantity,
        "text": f"{_tidy(float(value))} {_shown(args['from_unit'])} = {result} {_shown(args['to_unit'])}",
    }


# ---------------------------------------------------------------------------------------------- registry

_TOOLS = [
    DemoTool(
        name="calculator",
        description=(
            "Evaluates an arithmetic expression and returns the number (whole numbers exactly). Supports "
            + _ALLOWED_TEXT
            + ". Angles are in radians."
        ),
        parameters={
            "type": "object",
            "properties": {
                "expression": {
                    "type": "string",
                    "description": "The arithmetic expression, for example (12 + 30) * 2 or sqrt(2).",
                }
            },
            "required": ["expression"],
            "additionalProperties": False,
        },
        handler=_calculator,
    ),
    DemoTool(
        name="get_time",
        description="Returns the current date and time in an IANA time zone, with the weekday and UTC offset.",
        parameters={
            "type": "object",
            "properties": {
                "timezone": {
                    "type": "string",
                    "description": "IANA time zone name, for example Europe/Paris, Asia/Seoul or UTC (the default).",
                }
            },
            "additionalProperties": False,
        },
        handler=_get_time,
    ),
    DemoTool(
        name="get_weather",
        description=examples.GET_WEATHER["function"]["description"],
        parameters=copy.deepcopy(examples.GET_WEATHER["function"]["parameters"]),  # exactly the seed's tool
        handler=_get_weather,
    ),
    DemoTool(
        name="convert_units",
        description=(
            "Converts a value between units of length, mass, temperature (C, F, K), volume (US cups, gallons…) or speed."
        ),
        parameters={
            "type": "object",
            "properties": {
                "value": {"type": "number", "description": "The amount to convert."},
                "from_unit": {"type": "string", "enum": list(UNITS), "description": "The unit of the value."},
                "to_unit": {"type": "string", "enum": list(UNITS), "description": "The unit to convert to."},
            },
            "required": ["value", "from_unit", "to_unit"],
            "additionalProperties": False,
        },
        handler=_convert_units,
    ),
]
DEMO_TOOLS: dict[str, DemoTool] = {t.name: t for t in _TOOLS}


def definitions() -> list[dict[str, Any]]:
    """Every demo tool in the API's shape, ready for the request's `tools`."""
    return [t.definition() for t in DEMO_TOOLS.values()]


# ---------------------------------------------------------------------------------------------- answering


def parse_arguments(arguments: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """The arguments as a dict: JSON text is decoded, None and blank text mean no arguments."""
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        if len(arguments) > MAX_ARGUMENTS_CHARS:
            raise ToolError(f"The arguments are longer than {MAX_ARGUMENTS_CHARS} characters.")
        if not arguments.strip():
            return {}
        try:
            decoded = json.loads(arguments)
        except RecursionError:
            raise ToolError("The arguments are not valid JSON (nested too deeply).") from None
        except ValueError as exc:  # JSONDecodeError, and integers too long to convert
            raise ToolError(f"The arguments are not valid JSON: {exc}.") from None
        if not isinstance(decoded, dict):
            raise ToolError(f'The arguments must be a JSON object like {{"key": value}}, not {type(decoded).__name__}.')
        return decoded
    if isinstance(arguments, Mapping):
        return dict(arguments)
    raise ToolError(f"The arguments must be a JSON object, not {type(arguments).__name__}.")


def _prepared(tool: DemoTool, args: dict[str, Any]) -> dict[str, Any]:
    if tool.name == "convert_units":
        args = {k: _unit_symbol(v) if k in ("from_unit", "to_unit") else v for k, v in args.items()}
    problems = validate_instance(args, tool.parameters)
    if problems:
        shown = [p if len(p) <= 300 else p[:300] + "…" for p in problems[:5]]
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ToolError(f"Invalid arguments for {tool.name}: " + " ".join(shown) + more)
    return args


def answer(
    name: str, arguments: Mapping[str, Any] | str | None, *, now: Callable[[], datetime] | None = None
) -> ToolResult | None:
    """Answer one tool call with the demo tool `name`; None when there is no demo tool of that name.

    Never raises: malformed JSON, wrong types, missing keys and refused expressions all become an error
    result (`{"error": "…"}`) naming the problem. `now` replaces the module's clock (for tests).
    """
    tool = DEMO_TOOLS.get(name) if isinstance(name, str) else None
    if tool is None:
        return None
    try:
        args = _prepared(tool, parse_arguments(arguments))
        current = (now or clock)()
        if current.tzinfo is None:
            current = current.replace(tzinfo=UTC)
        return ToolResult.ok(tool.handler(args, current))
    except ToolError as exc:
        return ToolResult.fail(str(exc))
    except Exception as exc:  # a bug here must not break the conversation; the text says so
        return ToolResult.fail(f"Internal error in the demo tool {name}: {type(exc).__name__}.")
