"""The unit converter: length, mass, volume, speed and temperature, with the spellings models use for units."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from playground.demo_tools.base import DemoTool, ToolError, quote

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
            raise ToolError(f"Unknown unit {quote(unit)}. Known units: {', '.join(UNITS)}.")
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


def _tidy_units(args: dict[str, Any]) -> dict[str, Any]:
    """The unit arguments as the enum's symbols where a known spelling was used."""
    return {k: _unit_symbol(v) if k in ("from_unit", "to_unit") else v for k, v in args.items()}


CONVERT_UNITS = DemoTool(
    name="convert_units",
    description=("Converts a value between units of length, mass, temperature (C, F, K), volume (US cups, gallons…) or speed."),
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
    tidy_arguments=_tidy_units,
)
