"""The dispatcher: the demo tools by name, their definitions, and one tool call answered.

Arguments come from a model, so they are untrusted: they are parsed and validated against the tool's JSON
Schema first, and every failure becomes a plain `{"error": …}` result the model can read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from playground.demo_tools.base import DemoTool, ToolError, ToolResult
from playground.demo_tools.calculator import CALCULATOR
from playground.demo_tools.clock import GET_TIME
from playground.demo_tools.units import CONVERT_UNITS
from playground.demo_tools.weather import GET_WEATHER
from playground.schema import validate_instance

# Arguments longer than this are refused before parsing (a tool call's arguments are a few dozen characters).
MAX_ARGUMENTS_CHARS = 20_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


# The clock `get_time` reads unless `answer(..., now=...)` passes another (tests pass a fixed one).
clock: Callable[[], datetime] = _utc_now

DEMO_TOOLS: dict[str, DemoTool] = {t.name: t for t in (CALCULATOR, GET_TIME, GET_WEATHER, CONVERT_UNITS)}


def definitions() -> list[dict[str, Any]]:
    """Every demo tool in the API's shape, ready for the request's `tools`."""
    return [t.definition() for t in DEMO_TOOLS.values()]


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
    if tool.tidy_arguments is not None:
        args = tool.tidy_arguments(args)
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
