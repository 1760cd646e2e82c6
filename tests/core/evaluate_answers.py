"""Answers as an evaluation's runs hold them (a compare RunResult around a normalised completion), for the tests
of playground/evaluate."""

from __future__ import annotations

from typing import Any

from playground.compare import RunResult
from playground.examples import GET_WEATHER
from playground.response import from_chat_completion

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": False}
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "place", "schema": SCHEMA, "strict": True}}


def answer(
    text: str | None = "It is sunny in Paris.",
    *,
    calls: list[tuple[str, str]] = (),  # type: ignore[assignment]
    finish: str | None = "stop",
    tokens: int = 6,
    body: dict[str, Any] | None = None,
    ttft_s: float | None = 0.2,
    total_s: float | None = 0.9,
    status: str = "done",
    label: str = "seed 1",
) -> RunResult:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}} for i, (n, a) in enumerate(calls)
        ]
    data = {
        "id": "x",
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 3, "completion_tokens": tokens, "total_tokens": 3 + tokens},
    }
    completion = from_chat_completion(data) if status == "done" else None
    return RunResult(
        index=0,
        label=label,
        body=body or {"messages": [], "tools": [GET_WEATHER]},
        status=status,  # type: ignore[arg-type]
        text=text or "",
        completion=completion,
        error="NetworkError: refused" if status == "error" else None,
        ttft_s=ttft_s,
        total_s=total_s,
    )
