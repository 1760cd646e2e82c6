"""playground.presets: the named tools and schemas a demo starts from; each one is valid and fits the form."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from playground import examples, presets
from playground.presets import Preset
from playground.request import validate_body
from playground.schema import (
    SchemaForm,
    ToolForm,
    example_for,
    parse_response_schema,
    parse_tools,
    tools_to_json,
    validate_response_schema,
    validate_tools,
)

FIXED = ["get_weather", "convert_units", "web_search", "weather_report"]


def _demo_names() -> list[str]:
    if importlib.util.find_spec("playground.demo_tools") is None:
        return []
    module = importlib.import_module("playground.demo_tools")
    return [d["function"]["name"] for d in module.definitions()]


def _preset(name: str) -> Preset:
    [found] = [p for p in presets.presets() if p.name == name]
    return found


def test_the_fixed_presets_and_the_demo_tools_each_once() -> None:
    names = [p.name for p in presets.presets()]
    assert len(names) == len(set(names))
    assert set(FIXED) <= set(names) and set(_demo_names()) <= set(names)
    assert names[0] == "get_weather" and names[-1] == "weather_report"


def test_seed_presets_are_the_seed_examples() -> None:
    assert _preset("get_weather") == Preset(
        name="get_weather",
        kind="tool",
        value=examples.GET_WEATHER,
        description="Fetches the current weather for a specific city.",
    )
    assert _preset("weather_report").kind == "schema"
    assert _preset("weather_report").value == examples.WEATHER_SCHEMA


def test_web_search_says_it_is_a_demo() -> None:
    assert "demo" in _preset("web_search").description.lower()
    assert "nothing is searched" in _preset("web_search").value["function"]["description"].lower()


def test_presets_are_copies() -> None:
    _preset("get_weather").value["function"]["name"] = "changed"
    assert _preset("get_weather").value == examples.GET_WEATHER
    assert examples.GET_WEATHER["function"]["name"] == "get_weather"


@pytest.mark.parametrize("preset", presets.presets(), ids=lambda p: p.name)
def test_every_preset_is_valid_fits_the_form_and_has_a_valid_example(preset: Preset) -> None:
    if preset.kind == "tool":
        [tool] = parse_tools(preset.value)
        assert isinstance(tool, ToolForm), tool  # the form shows all of it
        assert validate_tools([tool]) == []
        assert tools_to_json([tool]) == [preset.value]
        schema = preset.value["function"]["parameters"]
        body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [preset.value]}
    else:
        entry = parse_response_schema(preset.value)
        assert isinstance(entry, SchemaForm) and validate_response_schema(entry) == []
        schema = preset.value
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": preset.name, "schema": schema}},
        }
    sent = validate_body(body).to_body()  # raises if the request would refuse it
    assert sent.get("tools", sent.get("response_format")) is not None
    assert list(Draft202012Validator(schema).iter_errors(example_for(schema))) == []


def test_demo_tools_join_without_repeating_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """When playground.demo_tools is present, its tools are added; a name already taken is not repeated."""
    clock = {
        "type": "function",
        "function": {"name": "clock", "description": "Current time.", "parameters": {"type": "object", "properties": {}}},
    }
    other_weather: dict[str, Any] = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    module = types.ModuleType("playground.demo_tools")
    module.__spec__ = importlib.machinery.ModuleSpec("playground.demo_tools", None)
    module.definitions = lambda: [other_weather, clock]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "playground.demo_tools", module)
    listed = presets.presets()
    names = [p.name for p in listed]
    assert names == ["get_weather", "clock", "convert_units", "web_search", "weather_report"]
    assert _preset("get_weather").value == examples.GET_WEATHER
    assert _preset("clock") == Preset(name="clock", kind="tool", description="Current time.", value=clock)
