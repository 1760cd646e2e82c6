"""What every demo tool shares: the tool (its definition and handler), its result, its refusal, and quoting input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from playground.errors import PlaygroundError

# Error texts quoting the caller's input are cut to this length.
QUOTE_CHARS = 80

Handler = Callable[[dict[str, Any], datetime], dict[str, Any]]


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


class DemoTool(BaseModel):
    """One demo tool: the definition the model sees, and the function that answers it on this machine.

    `tidy_arguments`, when set, rewrites the arguments before they are validated (e.g. "Celsius" → "C")."""

    model_config = ConfigDict(frozen=True)
    name: str
    description: str
    parameters: dict[str, Any]
    handler: Handler = Field(exclude=True, repr=False)
    tidy_arguments: Callable[[dict[str, Any]], dict[str, Any]] | None = Field(default=None, exclude=True, repr=False)

    def definition(self) -> dict[str, Any]:
        """The tool in the API's shape, `{"type": "function", "function": {name, description, parameters}}`."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": copy.deepcopy(self.parameters)},
        }


def quote(text: str) -> str:
    """The caller's text as a JSON string, cut to QUOTE_CHARS, to quote in an error."""
    return json.dumps(text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…", ensure_ascii=False)
