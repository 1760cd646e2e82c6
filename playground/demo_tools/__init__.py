"""Built-in demo tools for one-click tool-calling round trips: calculator, clock, fake weather, unit converter.

The playground's "Run tools and continue" answers each tool call of the model with the demo tool of the same
name and runs again. Nothing here ever raises or evaluates code. One module per tool (`calculator`, `clock`,
`weather`, `units`), what they share in `base`, and `dispatch` (the tools by name, `answer`). Import from
`playground.demo_tools`.
"""

from __future__ import annotations

from playground.demo_tools.base import DemoTool, ToolError, ToolResult
from playground.demo_tools.calculator import MAX_EXPRESSION_CHARS, calculate
from playground.demo_tools.dispatch import DEMO_TOOLS, MAX_ARGUMENTS_CHARS, answer, definitions, parse_arguments
from playground.demo_tools.units import UNITS, convert
from playground.demo_tools.weather import WEATHER_SOURCE

__all__ = [
    "DEMO_TOOLS",
    "MAX_ARGUMENTS_CHARS",
    "MAX_EXPRESSION_CHARS",
    "UNITS",
    "WEATHER_SOURCE",
    "DemoTool",
    "ToolError",
    "ToolResult",
    "answer",
    "calculate",
    "convert",
    "definitions",
    "parse_arguments",
]
