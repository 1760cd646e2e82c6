"""Fake but stable weather: the same city always gets the same numbers, so a demo can be rerun and compared."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from typing import Any

from playground import examples
from playground.demo_tools.base import DemoTool, ToolError

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


GET_WEATHER = DemoTool(
    name="get_weather",
    description=examples.GET_WEATHER["function"]["description"],
    parameters=copy.deepcopy(examples.GET_WEATHER["function"]["parameters"]),  # exactly the seed's tool
    handler=_get_weather,
)
