"""Tool calling for a model whose chat template knows nothing about tools.

SmolLM2's template has no tool syntax, so the gateway does the work itself, as pure functions
(no HTTP here; `server.py` calls them):

1. `plan(body)` reads `tools`, `tool_choice` and the conversation and decides what to do.
2. `ToolPlan.upstream_body(body)` rewrites the request for llama.cpp: tools become a system message
   listing each function's JSON, prior tool calls and results become plain text the model can read,
   and the output is constrained by `response_format` json_schema — one branch per callable tool,
   `{"name": {"const": TOOL}, "arguments": PARAMETERS}`, llama.cpp turning it into a grammar.
3. `ToolPlan.to_message(content)` turns the constrained text back into an OpenAI/xAI assistant
   message with `tool_calls` and `finish_reason: "tool_calls"`, or a plain answer.

Choices made (measured on SmolLM2-135M at temperature 0, see tests/integration/test_tools.py).
With `get_weather` and `add` offered: `auto` picked the right tool for 6 of 7 tool questions (5 of 7
with the right arguments; those runs reused llama.cpp's prompt cache over its f16 K cache, which made
"Seoul" come out as "S Korea" at times — with the engine's q8_0 K cache it is "Seoul" every time, cache or not) but
answered in text for only 2 of 5 chit-chat prompts; `required` and a named function gave a
schema-valid call 12 of 12 times (the grammar guarantees it unless `max_completion_tokens` cuts it).

- `auto` offers the model one more branch, a pseudo-tool (`ANSWER_TOOL`, "reply") whose single
  argument is the text of a plain answer. The 135M model picks *which tool* far more reliably than
  *whether to use a tool*: with a separate `{"answer": …}` object it called a tool for every prompt,
  even "Tell me a joke". The pseudo-tool is unwrapped by `to_message` into a normal text answer.
- After a tool result (the last message has role "tool") under `auto`, nothing is constrained and no
  tools are described: the model answers the user in plain text from the result. Asked to choose
  again (constrained, with the reply branch) it called `get_weather` for Seoul again 4 times of 4,
  which would loop forever; multi-step tool use is out of a 135M model's reach. `required` and a
  named function stay constrained there too, because the caller demanded a call.
- `none` drops the tools and constrains nothing; prior tool messages are still rendered as text.
- If the request also has `response_format`, the tools win while a call is constrained (one grammar
  per request); whenever nothing is constrained, the caller's `response_format` is passed through.
- One call per response: `parallel_tool_calls` is accepted and dropped.
- Tool parameter schemas are sent to the grammar with `additionalProperties: false` added to objects
  that list properties and do not say otherwise (the model otherwise invents extra keys), and with
  keywords no grammar can enforce (`not`, `if`/`then`, `uniqueItems`, …) removed.
- The constraint goes through `response_format` (llama.cpp's own JSON-schema → GBNF converter, which
  handles `oneOf`/`anyOf`/`const`/`enum`/`$ref`/`pattern` and ignores keywords it does not know).
  Not through the `grammar` field with `%llguidance`: that gives compact JSON, but measured, a schema
  llguidance cannot compile (`not`, `uniqueItems`, `if`) makes llama.cpp generate *unconstrained*
  text with status 200. The price of GBNF is pretty-printed JSON, ~2× the tokens of a compact call
  (a `get_weather` call is ~30 tokens): keep `max_completion_tokens` ≥ 64 for tool calls.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from playground.errors import FieldError, RequestError

__all__ = [
    "ANSWER_TOOL",
    "Function",
    "ToolPlan",
    "call_names",
    "grammar_schema",
    "new_call_id",
    "plan",
    "render_messages",
]

Mode = Literal["auto", "none", "required", "function"]

ANSWER_TOOL = "reply"
"""Name of the pseudo-tool offered under `auto` for a plain answer (changed if a real tool has it)."""

ANSWER_ARGUMENT = "text"

SCHEMA_NAME = "tool_call"

# Tool-request keys that must not reach llama.cpp (it has no tool support of its own here).
_TOOL_KEYS = ("tools", "tool_choice", "parallel_tool_calls")

# Keywords that describe values but that llama.cpp's schema-to-grammar converters do not accept
# or cannot enforce; kept out of the grammar only (arguments are still meant to satisfy them).
_GRAMMAR_DROP = (
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "$schema",
    "$id",
    "examples",
    "default",
    "title",
    "format",
    "uniqueItems",
)

EMPTY_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class Function:
    """One callable function, as the request defined it."""

    name: str
    description: str | None
    parameters: dict[str, Any]

    def describe(self) -> str:
        """One line of JSON the model reads in the system message."""
        d: dict[str, Any] = {"name": self.name}
        if self.description:
            d["description"] = self.description
        d["parameters"] = self.parameters
        return json.dumps(d, ensure_ascii=False)


@dataclass(frozen=True)
class ToolPlan:
    """What the gateway does for one request with tools or tool messages.

    `offered` are the functions the model may call (all for auto/required, one for a named choice,
    none for `none`); `constrained` says whether the output is held to the tool-call schema.
    """

    mode: Mode
    functions: tuple[Function, ...]
    offered: tuple[Function, ...]
    constrained: bool
    answer_tool: str | None = None  # the pseudo-tool's name when a plain answer is allowed
    names: dict[str, str] = field(default_factory=dict)  # tool_call_id -> function name, from the history

    # ---- request side -------------------------------------------------------------------------

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema the output is constrained to, or None when it is free text."""
        if not self.constrained:
            return None
        branches = [_branch(f.name, grammar_schema(f.parameters)) for f in self.offered]
        if self.answer_tool:
            branches.append(_branch(self.answer_tool, _answer_parameters()))
        return {"oneOf": branches}

    @property
    def system_prompt(self) -> str | None:
        """The text that tells the model which tools exist; None when none are offered."""
        if not self.constrained:
            return None
        listed = list(self.offered)
        if self.answer_tool:
            listed.append(Function(self.answer_tool, _ANSWER_DESCRIPTION, _answer_parameters()))
        return "You can call these tools:\n" + "\n".join(f.describe() for f in listed)

    def upstream_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """The request to send to llama.cpp: no tool fields, history as text, output constrained."""
        out = {k: copy.deepcopy(v) for k, v in body.items() if k not in _TOOL_KEYS}
        messages = render_messages(body.get("messages") or [])
        prompt = self.system_prompt
        if prompt is not None:
            if messages and messages[0].get("role") == "system" and messages[0].get("content"):
                messages[0] = {"role": "system", "content": f"{messages[0]['content']}\n\n{prompt}"}
            else:
                if messages and messages[0].get("role") == "system":
                    messages = messages[1:]
                messages.insert(0, {"role": "system", "content": prompt})
        out["messages"] = messages
        schema = self.schema
        if schema is not None:
            out["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True},
            }
        return out

    # ---- response side ------------------------------------------------------------------------

    def to_message(self, content: str | None, finish_reason: str | None = None) -> tuple[dict[str, Any], str]:
        """Turn the model's text into an assistant message and a finish_reason; never raises.

        `finish_reason` is llama.cpp's, when known. Output that is not a whole call (cut by
        `max_completion_tokens`, or unparsable) comes back as text with "length" (or "stop"),
        never as a broken call; a plain answer cut short keeps the text written so far.
        """
        text = content or ""
        upstream = finish_reason or "stop"
        if not self.constrained:
            return {"role": "assistant", "content": text}, upstream
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            cut = upstream == "length" or _looks_cut(text)
            partial = self._partial_answer(text)
            if partial is not None:
                return {"role": "assistant", "content": partial}, ("length" if cut else upstream)
            return {"role": "assistant", "content": text}, ("length" if cut else upstream)
        name = data.get("name")
        arguments = data.get("arguments")
        if self.answer_tool and name == self.answer_tool and isinstance(arguments, dict):
            return {"role": "assistant", "content": str(arguments.get(ANSWER_ARGUMENT, ""))}, "stop"
        if name not in {f.name for f in self.offered} or not isinstance(arguments, dict):
            return {"role": "assistant", "content": text}, upstream
        call = {
            "id": new_call_id(),
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"

    def _partial_answer(self, text: str) -> str | None:
        """The answer text of a plain-answer branch that was cut short, or None."""
        if not self.answer_tool:
            return None
        head = re.match(
            r'\s*\{\s*"name"\s*:\s*"'
            + re.escape(self.answer_tool)
            + r'"\s*,\s*"arguments"\s*:\s*\{\s*"'
            + ANSWER_ARGUMENT
            + r'"\s*:\s*"',
            text,
        )
        if head is None:
            return None
        return _partial_json_string(text[head.end() :])

    def function(self, name: str) -> Function | None:
        """The request's function of that name, if any."""
        return next((f for f in self.functions if f.name == name), None)


_ANSWER_DESCRIPTION = "Answer the user directly in plain text, when no other tool fits."


def _answer_parameters() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {ANSWER_ARGUMENT: {"type": "string"}},
        "required": [ANSWER_ARGUMENT],
        "additionalProperties": False,
    }


def _branch(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"name": {"const": name}, "arguments": parameters},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


def _looks_cut(text: str) -> bool:
    """A JSON text that stops mid-value (unbalanced braces or an open string) was cut short."""
    depth, in_str, esc = 0, False, False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
    return in_str or depth > 0


def _partial_json_string(rest: str) -> str:
    """Decode the body of a JSON string up to its closing quote or the end of a cut text."""
    out: list[str] = []
    i = 0
    while i < len(rest):
        ch = rest[i]
        if ch == '"':
            break
        if ch == "\\":
            esc = rest[i : i + 6] if rest[i + 1 : i + 2] == "u" else rest[i : i + 2]
            try:
                out.append(json.loads(f'"{esc}"'))
            except ValueError:
                break  # an escape cut in half
            i += len(esc)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def new_call_id() -> str:
    """A fresh tool-call id in OpenAI's style (`call_` + 24 random characters)."""
    return "call_" + secrets.token_hex(12)


def grammar_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    """A copy of a parameters schema that llama.cpp turns into a grammar, as tight as the original.

    Objects that list properties get `additionalProperties: false` unless they say otherwise;
    keywords in `_GRAMMAR_DROP` are removed. Nested schemas are handled the same way.
    """

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _GRAMMAR_DROP:
                continue
            if key in ("properties", "$defs", "definitions"):
                out[key] = {k: walk(v) for k, v in value.items()} if isinstance(value, dict) else value
            elif key in ("enum", "const", "required"):
                out[key] = copy.deepcopy(value)
            else:
                out[key] = walk(value)
        if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out

    return walk(parameters or EMPTY_PARAMETERS)


# ---- the conversation -----------------------------------------------------------------------------


def _arguments_value(arguments: Any) -> Any:
    """Arguments as the model would have written them: parsed JSON when they are a JSON string."""
    if isinstance(arguments, str):
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def _text(content: Any) -> str:
    """Message content as text (content parts are joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return json.dumps(content, ensure_ascii=False)


def call_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """tool_call_id -> function name, from the assistant messages' tool_calls."""
    names: dict[str, str] = {}
    for m in messages:
        for call in m.get("tool_calls") or []:
            fn = call.get("function") or {}
            if call.get("id") and fn.get("name"):
                names[call["id"]] = fn["name"]
    return names


def render_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation in roles the template-less model understands (system/user/assistant, text).

    - An assistant message with `tool_calls` becomes assistant text `Calling get_weather({"city": "Seoul"}).`
      (one line per call, after any text it had). Not the call's JSON: measured, the model then
      copies that JSON again instead of answering from the result.
    - A `tool` message becomes a user message "Result of get_weather: …", the function's name found
      through `tool_call_id` (or the message's `name`), so the model reads it as new information.
      With these two, "What's the weather in Seoul?" + a result "18°C and sunny" gave
      "The weather in Seoul is mostly sunny, with a high of 18°C…" at temperature 0.
    Other messages keep their role and content; keys llama.cpp does not need are dropped.
    """
    names = call_names(messages)
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m.get("role")
        if role == "assistant" and m.get("tool_calls"):
            lines = [_text(m.get("content"))] if m.get("content") else []
            for call in m["tool_calls"]:
                fn = call.get("function") or {}
                args = json.dumps(_arguments_value(fn.get("arguments")), ensure_ascii=False)
                lines.append(f"Calling {fn.get('name')}({args}).")
            out.append({"role": "assistant", "content": "\n".join(lines)})
        elif role == "tool":
            name = names.get(m.get("tool_call_id") or "") or m.get("name") or "the tool"
            out.append({"role": "user", "content": f"Result of {name}: {_text(m.get('content'))}"})
        else:
            kept = {"role": role, "content": _text(m.get("content"))}
            if m.get("name"):
                kept["name"] = m["name"]
            out.append(kept)
    return out


def _has_tool_history(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("role") == "tool" or m.get("tool_calls") for m in messages)


def _functions(tools: list[dict[str, Any]]) -> tuple[Function, ...]:
    out = []
    for t in tools:
        fn = t.get("function") or {}
        params = fn.get("parameters")
        out.append(Function(fn.get("name", ""), fn.get("description"), params if params else dict(EMPTY_PARAMETERS)))
    return tuple(out)


def _choice(tool_choice: Any) -> tuple[Mode, str | None]:
    """(mode, function name) from tool_choice; a bare non-mode string is taken as a function name."""
    if tool_choice is None:
        return "auto", None
    if isinstance(tool_choice, str):
        if tool_choice in ("auto", "none", "required"):
            return tool_choice, None  # type: ignore[return-value]
        return "function", tool_choice
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name") or tool_choice.get("name")
        if isinstance(name, str):
            return "function", name
    raise RequestError([FieldError("tool_choice", "tool_choice must be auto, none, required or a function", "invalid")])


def plan(body: dict[str, Any]) -> ToolPlan | None:
    """How to serve this request's tools; None when it has neither tools nor tool messages.

    Raises `RequestError` only for a tool_choice naming a function that `tools` lacks (the gateway's
    validation normally refuses that first).
    """
    messages = body.get("messages") or []
    tools = body.get("tools") or []
    if not tools and not _has_tool_history(messages):
        return None
    functions = _functions(tools)
    mode, name = _choice(body.get("tool_choice")) if tools else ("none", None)
    after_result = bool(messages) and messages[-1].get("role") == "tool"
    answer_tool = None
    if mode == "none":
        offered: tuple[Function, ...] = ()
    elif mode == "function":
        offered = tuple(f for f in functions if f.name == name)
        if not offered:
            raise RequestError([FieldError("tool_choice", f"tool_choice names {name!r}, which is not in tools", "unknown_tool")])
    else:
        offered = functions
        if mode == "auto":
            taken = {f.name for f in functions}
            answer_tool = ANSWER_TOOL
            n = 2
            while answer_tool in taken:
                answer_tool, n = f"{ANSWER_TOOL}_{n}", n + 1
    constrained = bool(offered) and not (mode == "auto" and after_result)
    return ToolPlan(
        mode=mode,
        functions=functions,
        offered=offered,
        constrained=constrained,
        answer_tool=answer_tool if constrained else None,
        names=call_names(messages),
    )
