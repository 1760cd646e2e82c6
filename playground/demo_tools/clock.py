"""The clock: the current time in an IANA time zone, with the weekday and UTC offset."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from playground.demo_tools.base import DemoTool, ToolError, quote


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
        raise ToolError(f"Unknown time zone {quote(asked)}. Use an IANA name such as Europe/Paris, Asia/Seoul or UTC.")
    moment = current.astimezone(zoneinfo.ZoneInfo(name))
    return {
        "timezone": name,
        "time": moment.isoformat(timespec="seconds"),
        "weekday": moment.strftime("%A"),
        "utc_offset": _offset_text(moment),
        "abbreviation": moment.tzname(),
    }


GET_TIME = DemoTool(
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
)
