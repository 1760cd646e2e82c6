"""Answering a run's tool calls: which calls wait for a result, who can answer each (a built-in demo tool, an MCP
server, or only the person), running one, and writing the answers into the conversation.

"Run tools and continue" shows the waiting calls for review first: the person runs each (with the arguments as
the model wrote them, or edited), types a result instead, or declines; a source they approved for the notebook
runs without asking. A server's failure becomes the call's result (`{"error": …}`), so the conversation goes on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from playground import builder, demo_tools, mcp
from playground.demo_tools import ToolError, ToolResult
from playground.notebook import ChatMessage

__all__ = [
    "DEMO",
    "Call",
    "Decision",
    "answer",
    "apply",
    "arguments_problem",
    "decided",
    "declined",
    "run_all",
    "servers_of",
    "to_run",
    "waiting",
]

DEMO = "demo"  # the source of the built-in demo tools
DECLINED = "The person declined to run this tool call."


class Call(BaseModel):
    """One call waiting for its result: the tool message at `index` answers it. `source` is who can run it: an MCP
    server's name, DEMO, or "" (no tool of that name here: the person types its result)."""

    model_config = ConfigDict(frozen=True)
    index: int
    id: str
    name: str
    arguments: str
    source: str = ""

    def source_words(self) -> str:
        if self.source == DEMO:
            return "the built-in demo tool"
        if self.source.startswith(("http://", "https://")):
            return f"the MCP server at {self.source}"
        if self.source:
            return f"the MCP server “{self.source}”"
        return "no tool here: type its result, or decline"


class Decision(BaseModel):
    """What the person chose for one call: run it (with `arguments`), use the `result` they typed, or decline."""

    action: Literal["run", "typed", "decline"]
    arguments: str = ""
    result: str = ""


def servers_of(settings: Mapping[str, Any]) -> dict[str, str]:
    """Tool name -> MCP server name, for the tools of a run's settings that came from a server."""
    rows = settings.get("tools.rows")
    restored = [builder.ToolRow.restored(r) for r in rows] if isinstance(rows, list) else []
    return {r.tool.name: r.server for r in restored if r is not None and r.server}


def waiting(messages: Sequence[ChatMessage], servers: Mapping[str, str]) -> list[Call]:
    """The calls of the latest assistant message with tool calls whose tool message after it is still empty.
    An empty tool message that names no call of that message, and the calls of earlier rounds, do not wait."""
    last = max((i for i, m in enumerate(messages) if m.role == "assistant" and m.tool_calls), default=None)
    if last is None:
        return []
    calls = {c.id: c for c in messages[last].tool_calls if c.id}
    out = []
    for i in range(last + 1, len(messages)):
        m = messages[i]
        if m.role == "assistant":
            break
        call = calls.get(m.tool_call_id) if m.role == "tool" and not m.content else None
        if call is None:
            continue
        source = servers.get(call.name) or (DEMO if call.name in demo_tools.DEMO_TOOLS else "")
        out.append(Call(index=i, id=call.id, name=call.name, arguments=call.arguments, source=source))
    return out


def need_review(calls: Sequence[Call], approved: Collection[str]) -> bool:
    """Whether the person must see `calls` before they run: unless every call's source was approved (a call no
    tool here answers always waits for the person)."""
    return not all(c.source and c.source in approved for c in calls)


def to_run(
    calls: Sequence[Call], approved: Collection[str], reviewed: Mapping[str, Decision] | None = None
) -> dict[str, Decision] | None:
    """What "Run tools and continue" does with each waiting call (by call id): what the person chose in the review
    (`reviewed`); else, when every call's source is `approved`, each run as the model wrote it. None when nothing runs
    yet: the person reviews the calls first (or none waits)."""
    if reviewed is not None:
        return dict(reviewed)
    if calls and not need_review(calls, approved):
        return {c.id: Decision(action="run", arguments=c.arguments) for c in calls}
    return None


def arguments_problem(arguments: str) -> str | None:
    """Why `arguments` cannot be sent to a tool (not a JSON object), in plain words; None when they can."""
    try:
        demo_tools.parse_arguments(arguments)
    except ToolError as exc:
        return str(exc)
    return None


def answer(call: Call, arguments: str, env: Mapping[str, str], secrets: Mapping[str, object]) -> ToolResult:
    """Run `call` with `arguments` on its source. Never raises for a server's failure: it is the result's error."""
    if call.source == DEMO:
        result = demo_tools.answer(call.name, arguments)
        assert result is not None
        return result
    if not call.source:
        return ToolResult.fail(f"No tool named {call.name} is available here.")
    try:
        return mcp.call_tool(mcp.find(call.source, env, secrets), call.name, arguments)
    except (mcp.McpError, ToolError) as exc:
        return ToolResult.fail(str(exc))


def declined() -> ToolResult:
    return ToolResult.fail(DECLINED)


def apply(messages: Sequence[ChatMessage], results: Mapping[int, tuple[str, str]]) -> list[ChatMessage]:
    """The conversation with each tool message at index i answered: `results[i]` is (arguments sent, result).
    Where the arguments were edited before the call ran, the assistant's call shows the ones sent."""
    out = list(messages)
    sent: dict[str, str] = {}
    for i, (arguments, content) in results.items():
        out[i] = out[i].model_copy(update={"content": content})
        sent[out[i].tool_call_id] = arguments
    for j, m in enumerate(out):
        if m.role == "assistant" and any(c.id in sent and c.arguments != sent[c.id] for c in m.tool_calls):
            rows = [c.model_copy(update={"arguments": sent[c.id]}) if c.id in sent else c for c in m.tool_calls]
            out[j] = m.model_copy(update={"tool_calls": rows})
    return out


def run_all(
    messages: Sequence[ChatMessage], calls: Sequence[Call], env: Mapping[str, str], secrets: Mapping[str, object]
) -> list[ChatMessage]:
    """The conversation with every call in `calls` run as the model wrote it (their sources were approved)."""
    return decided(messages, calls, {c.id: Decision(action="run", arguments=c.arguments) for c in calls}, env, secrets)


def decided(
    messages: Sequence[ChatMessage],
    calls: Sequence[Call],
    chosen: Mapping[str, Decision],
    env: Mapping[str, str],
    secrets: Mapping[str, object],
) -> list[ChatMessage]:
    """The conversation with each call answered as the person chose (`chosen` by call id): run with the arguments
    given, the result they typed, or declined."""
    results: dict[int, tuple[str, str]] = {}
    for call in calls:
        d = chosen[call.id]
        if d.action == "run":
            results[call.index] = (d.arguments, answer(call, d.arguments, env, secrets).content)
        else:
            results[call.index] = (call.arguments, d.result if d.action == "typed" else declined().content)
    return apply(messages, results)
