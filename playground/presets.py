"""Named starting points for the tool and schema builder, so a demo needs no typing.

The seed's `get_weather` tool and weather answer schema (copied from `playground.examples`), the demo tools'
own definitions (`playground.demo_tools.definitions()`, when that module exists: those tools can be run with one
click), a unit converter and a web-search stub that says it is a demo. Names never repeat: the first
definition of a name wins, in the order seed → demo tools → the two below.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from playground import examples

__all__ = ["Preset", "presets"]


class Preset(BaseModel):
    """One preset. `value` is a tool in the API's shape (kind "tool") or a bare JSON Schema (kind "schema")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["tool", "schema"]
    description: str
    value: dict[str, Any]


_LENGTH = ["millimeter", "centimeter", "meter", "kilometer", "inch", "foot", "yard", "mile"]
_MASS = ["gram", "kilogram", "ounce", "pound"]
_TEMPERATURE = ["celsius", "fahrenheit", "kelvin"]
_UNITS = _LENGTH + _MASS + _TEMPERATURE

CONVERT_UNITS: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "convert_units",
        "description": "Convert a value from one unit to another of the same kind (length, mass or temperature).",
        "parameters": {
            "type": "object",
            "properties": {
                "value": {"type": "number", "description": "The amount to convert"},
                "from_unit": {"type": "string", "enum": _UNITS, "description": "The unit the value is in"},
                "to_unit": {"type": "string", "enum": _UNITS, "description": "The unit to convert to"},
            },
            "required": ["value", "from_unit", "to_unit"],
        },
    },
}

WEB_SEARCH: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "web_search",
        "description": (
            "Demo stub: pretends to search the web for a query. Nothing is searched; "
            "you type the results in yourself when the model calls it."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to search for"},
                "max_results": {
                    "type": "integer",
                    "description": "How many results to return",
                    "minimum": 1,
                    "maximum": 10,
                },
            },
            "required": ["query"],
        },
    },
}


def _tool(value: dict[str, Any]) -> Preset:
    function = value["function"]
    return Preset(name=function["name"], kind="tool", description=function.get("description", ""), value=copy.deepcopy(value))


def _demo_tools() -> list[dict[str, Any]]:
    """The demo tools' definitions, or none when `playground.demo_tools` does not exist (yet)."""
    if importlib.util.find_spec("playground.demo_tools") is None:
        return []
    module = importlib.import_module("playground.demo_tools")
    return list(module.definitions())


def presets() -> list[Preset]:
    """Every preset, tools first, each name once (built afresh: callers may edit what they get)."""
    candidates = [_tool(v) for v in (examples.GET_WEATHER, *_demo_tools(), CONVERT_UNITS, WEB_SEARCH)]
    candidates.append(
        Preset(
            name="weather_report",
            kind="schema",
            description="The seed's weather answer: temperature, condition, humidity and city.",
            value=copy.deepcopy(examples.WEATHER_SCHEMA),
        )
    )
    out: list[Preset] = []
    for preset in candidates:
        if all(p.name != preset.name for p in out):
            out.append(preset)
    return out
