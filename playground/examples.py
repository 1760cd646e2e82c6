"""The seed document's own examples, once: the UI's "Example" buttons and the tests start from them."""

from __future__ import annotations

from typing import Any

# "What is Tools?": fetch the current weather of a city.
GET_WEATHER: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Fetches the current weather for a specific city.",
        "parameters": {
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
        },
    },
}

# A second, numeric tool: tool choice and argument types are easier to see with two tools.
ADD: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two numbers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
}

# "What is JSON Schema?": the weather report the answer must match.
WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "temperature": {"type": "number"},
        "condition": {"type": "string"},
        "humidity": {"type": "integer"},
        "city": {"type": "string"},
    },
    "required": ["temperature", "condition", "city"],
}
