"""The seed document's own examples, once: the UI's "Example" buttons and the tests start from them.

`CONVERSATIONS` are example requests' messages in the API's shape, by the name the page lists them under: the
seed's "How to make Messages?" example, and (the seed: "Different models support different message types, such
as image and text") a question about a picture, its image a small PNG inside the request as a data URL, so it
needs no network.
"""

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

# "How to make Messages?": the seed's example conversation.
MESSAGES: list[dict[str, Any]] = [
    {"role": "user", "content": "Hello"},
    {"role": "assistant", "content": "Nice to meet you. How can I help you?"},
    {"role": "user", "content": "Could you explain automation workflows in English?"},
]

# A 16 × 16 red square, PNG (83 bytes), made with Pillow: the image example's picture.
RED_SQUARE_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAGklEQVR42mO8IyfHQApgYiARjGoY1TB0NAAAjEsBOPY5fDQAAAAASUVORK5CYII="
)

# Text and an image in one user message, as content parts (for a model that reads images).
IMAGE_MESSAGES: list[dict[str, Any]] = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What colour is this square?"},
            {"type": "image_url", "image_url": {"url": RED_SQUARE_PNG, "detail": "low"}},
        ],
    },
]

CONVERSATIONS: dict[str, list[dict[str, Any]]] = {
    "The seed's messages (text)": MESSAGES,
    "A question about a picture (text and an image)": IMAGE_MESSAGES,
}
