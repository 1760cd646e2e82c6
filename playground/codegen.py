"""A sent request ("cell") as code a person can copy and run: curl, Python with httpx, and the `openai` SDK.

Why its own module: what is shown, sent and exported must not drift apart, so the snippets carry the exact body
that was sent (only `stream`/`stream_options` change, and only by choice), to the same base URL in the same
normal form (`addresses.normalise_base_url`). The API key never enters a snippet: each reads the variable of its
own backend when it runs (`KEY_ENVS`: xAI's key only ever goes to xAI, an OpenAI-compatible server gets
`$PLAYGROUND_API_KEY`, the embedded model no key at all). Quoting is where export goes wrong, because message text is
arbitrary (quotes, `$(...)`, backticks, newlines, U+2028, emoji): curl gets the JSON through a quoted heredoc, in
which bash expands nothing, and Python gets a literal escaped character by character, which round-trips exactly.
Characters that are invisible or reorder text (controls, U+2028, bidi overrides) are written as escapes in both,
so what a person reads is what runs.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from playground.addresses import normalise_base_url
from playground.errors import RequestError

__all__ = ["KEY_ENVS", "SDK_PARAMETERS", "Snippets", "export", "exported_body", "python_literal", "streamable"]

# The variable each backend's code reads its key from; None: no key is sent at all.
KEY_ENVS: dict[str, str | None] = {"xai": "XAI_API_KEY", "openai": "PLAYGROUND_API_KEY", "embedded": None}
BACKEND_KINDS = tuple(KEY_ENVS)
_KEY_REQUIRED = frozenset({"xai"})  # an OpenAI-compatible server may need no key: its variable is sent when set
_STREAM_KEYS = ("stream", "stream_options")
_WIDTH = 100  # a Python literal longer than this is spread over lines
_HEREDOC = "JSON"
_POLL_SECONDS = 1

# Parameters of `client.chat.completions.create` in every openai SDK since 1.60; any other key (xAI's
# `deferred`, newer or server-specific fields) goes through `extra_body`, which every version accepts.
SDK_PARAMETERS = frozenset(
    {
        "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens",
        "max_tokens", "messages", "metadata", "modalities", "model", "n", "parallel_tool_calls", "prediction",
        "presence_penalty", "reasoning_effort", "response_format", "seed", "service_tier", "stop", "store", "stream",
        "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user",
    }
)  # fmt: skip


class Snippets(BaseModel):
    """The same request three ways. The Pythons print the answer text (and tool calls) of every choice; curl prints
    the server's JSON, or its server-sent events when streamed (no jq needed)."""

    model_config = ConfigDict(frozen=True)

    curl: str
    python_httpx: str
    python_openai: str


# --------------------------------------------------------------------------------------------
# the body


def _is_deferred(body: Mapping[str, Any]) -> bool:
    return body.get("deferred") is True


def streamable(body: Mapping[str, Any]) -> bool:
    """Whether a streaming variant exists: a deferred request is answered later, never streamed."""
    return not _is_deferred(body)


def exported_body(body: Mapping[str, Any], *, stream: bool = False) -> dict[str, Any]:
    """The body the snippets send: `body` as JSON sees it (keys as strings, tuples as lists), without
    `stream`/`stream_options` unless `stream`, in which case `"stream": true` and the body's own
    `stream_options` are kept. ValueError for a body JSON cannot carry (NaN, sets, objects) or a
    deferred body asked to stream."""
    if stream and _is_deferred(body):
        raise ValueError("A deferred request cannot be streamed: its answer is fetched later by polling.")
    try:
        data = json.loads(json.dumps(body, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The body is not plain JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object")
    options = data.get("stream_options")
    out = {k: v for k, v in data.items() if k not in _STREAM_KEYS}
    if stream:
        out["stream"] = True
        if options is not None:
            out["stream_options"] = options
    return out


def _check_url(base_url: str) -> str:
    """`base_url` in the normal form the page sends to; ValueError (its words) when the page would refuse it too."""
    try:
        return normalise_base_url(base_url)
    except RequestError as exc:
        raise ValueError(exc.errors[0].message) from exc


# --------------------------------------------------------------------------------------------
# literals


def _escape_char(c: str) -> str:
    """`c` as a Python escape (\\xNN, \\uNNNN or \\UNNNNNNNN); lone surrogates included."""
    return repr(c)[1:-1]


def _py_str(text: str) -> str:
    """A Python string literal of `text`, quoted the way `ruff format` picks (double unless single needs fewer
    escapes); anything not printable becomes an escape."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = [quote]
    for c in text:
        if c == "\\" or c == quote:
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c.isprintable():
            out.append(c)
        else:
            out.append(_escape_char(c))
    out.append(quote)
    return "".join(out)


def _py_inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_py_str(k)}: {_py_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_py_inline(v) for v in value) + "]"
    if isinstance(value, str):
        return _py_str(value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)  # True/False/None; repr of a float round-trips
    raise ValueError(f"not a JSON value: {type(value).__name__}")


def python_literal(value: Any, indent: int = 0, *, column: int | None = None) -> str:
    """A Python expression equal to the JSON value `value` (dict/list/str/int/float/bool/None), spread over
    lines like `ruff format` would when it is long. `indent` is the indentation of the line it sits on,
    `column` where on that line it starts (default: `indent`)."""
    inline = _py_inline(value)
    start = indent if column is None else column
    if start + len(inline) < _WIDTH or not isinstance(value, dict | list) or not value:
        return inline
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            key = f"{pad}{_py_str(k)}: "
            items.append(f"{key}{python_literal(v, indent + 4, column=len(key))},")
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{python_literal(v, indent + 4)}," for v in value]
    return "[\n" + "\n".join(items) + "\n" + " " * indent + "]"


def _json_escape(c: str) -> str:
    code = ord(c)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _json_text(body: dict[str, Any]) -> str:
    """Indented JSON; non-ASCII kept readable except what is invisible (those become \\u escapes)."""
    text = json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False)
    return "".join(c if c < "\x7f" or c.isprintable() else _json_escape(c) for c in text)


# --------------------------------------------------------------------------------------------
# curl


def _curl(body: dict[str, Any], url: str, backend: str, stream: bool) -> str:
    data = _json_text(body)
    delimiter = _HEREDOC
    while delimiter in data.splitlines():  # cannot happen with indented JSON; never trust it blindly
        delimiter += "_"
    env = KEY_ENVS[backend]
    key = f"${env}" if backend in _KEY_REQUIRED else f"${{{env}:-}}"
    auth = f'  -H "Authorization: Bearer {key}" \\\n' if env else ""
    need = _key_comment(backend)
    heredoc = f"--data-binary @- <<'{delimiter}'\n{data}\n{delimiter}\n"
    if not _is_deferred(body):
        flags = "-sS -N" if stream else "-sS"
        note = "# Streams server-sent events: one `data: {...}` line per chunk, then `data: [DONE]`.\n" if stream else ""
        return (
            need
            + note
            + f"curl {flags} {shlex.quote(url + '/chat/completions')} \\\n"
            + auth
            + "  -H 'Content-Type: application/json' \\\n"
            + f"  {heredoc}"
        )
    return (
        need
        + f"base_url={shlex.quote(url)}\n"
        + "answer=$(mktemp)\n"
        + '# Submit: the server answers {"request_id": "..."} at once.\n'
        + 'curl -sS "$base_url/chat/completions" -o "$answer" \\\n'
        + auth
        + "  -H 'Content-Type: application/json' \\\n"
        + f"  {heredoc}"
        + 'request_id=$(sed -n \'s/.*"request_id" *: *"\\([^"]*\\)".*/\\1/p\' "$answer")\n'
        + 'if [ -z "$request_id" ]; then\n'
        + '  cat "$answer" >&2\n'
        + "else\n"
        + "  # Poll: 202 = not ready yet, 200 = the completion (xAI hands it out only once: keep it).\n"
        + "  while :; do\n"
        + "    status=$(curl -sS -o \"$answer\" -w '%{http_code}' \\\n"
        + (f"    {auth}" if auth else "")
        + '      "$base_url/chat/deferred-completion/$request_id")\n'
        + '    if [ "$status" = 200 ]; then cat "$answer"; echo; break; fi\n'
        + '    if [ "$status" != 202 ]; then echo "HTTP $status" >&2; cat "$answer" >&2; break; fi\n'
        + f"    sleep {_POLL_SECONDS}\n"
        + "  done\n"
        + "fi\n"
        + 'rm -f "$answer"\n'
    )


# --------------------------------------------------------------------------------------------
# Python, shared pieces


def _key_expr(backend: str, *, sdk: bool) -> str:
    env = KEY_ENVS[backend]
    if env is None:
        return '"not-needed"'  # the SDK refuses an empty key even where the server needs none
    if backend in _KEY_REQUIRED:
        return f'os.environ["{env}"]'
    if sdk:
        return f'os.environ.get("{env}") or "not-needed"'
    return f'os.environ.get("{env}", "")'


def _key_comment(backend: str) -> str:
    env = KEY_ENVS[backend]
    if env is None:
        return "# The embedded model needs no key: none is sent.\n"
    if backend in _KEY_REQUIRED:
        return f"# Needs your key in the environment: export {env}=...\n"
    return f"# This server's key, when it needs one: export {env}=... (sent only when set; never your xAI key).\n"


def _many(body: dict[str, Any]) -> bool:
    n = body.get("n")
    return isinstance(n, int) and not isinstance(n, bool) and n > 1


def _print_dict_choices(body: dict[str, Any], source: str, indent: str = "") -> str:
    """Code printing each choice of a chat.completion held as a dict in `source`."""
    lines = [f'for choice in {source}["choices"]:']
    if _many(body):
        lines.append("    print(f\"--- choice {choice['index']} ---\")")
    lines.append('    print(choice["message"].get("content") or "")')
    if body.get("tools"):
        lines.append('    for call in choice["message"].get("tool_calls") or []:')
        lines.append("        print(f\"tool call: {call['function']['name']}({call['function']['arguments']})\")")
    return "".join(f"{indent}{line}\n" for line in lines)


def _stream_collect(body: dict[str, Any], delta: str, indent: str, *, sdk: bool) -> list[str]:
    """Lines that handle one streamed `choice` whose delta is `delta`: text printed as it comes (one
    choice) or gathered per choice (several); tool calls gathered by index."""
    index = "choice.index" if sdk else 'choice["index"]'
    content = f"{delta}.content" if sdk else f'{delta}.get("content")'
    lines = [f'{indent}text = {content} or ""']
    if _many(body):
        lines.append(f'{indent}texts[{index}] = texts.get({index}, "") + text')
    else:
        lines.append(f'{indent}print(text, end="", flush=True)')
    if body.get("tools"):
        if sdk:
            lines += [
                f"{indent}for call in {delta}.tool_calls or []:",
                f'{indent}    entry = calls.setdefault(({index}, call.index), ["", ""])',
                f'{indent}    entry[0] += (call.function and call.function.name) or ""',
                f'{indent}    entry[1] += (call.function and call.function.arguments) or ""',
            ]
        else:
            lines += [
                f'{indent}for call in {delta}.get("tool_calls") or []:',
                f'{indent}    function = call.get("function") or {{}}',
                f'{indent}    entry = calls.setdefault(({index}, call.get("index", 0)), ["", ""])',
                f'{indent}    entry[0] += function.get("name") or ""',
                f'{indent}    entry[1] += function.get("arguments") or ""',
            ]
    return lines


def _stream_setup(body: dict[str, Any]) -> str:
    out = ""
    if _many(body):
        out += "texts: dict[int, str] = {}\n"
    if body.get("tools"):
        out += "calls: dict[tuple[int, int], list[str]] = {}  # (choice, call) -> [name, arguments]\n"
    return out


def _stream_finish(body: dict[str, Any]) -> str:
    if _many(body):
        out = 'for index, text in sorted(texts.items()):\n    print(f"--- choice {index} ---")\n    print(text)\n'
    else:
        out = "print()\n"
    if body.get("tools") and _many(body):
        out += (
            "for (choice, _), (name, arguments) in sorted(calls.items()):\n"
            '    print(f"tool call (choice {choice}): {name}({arguments})")\n'
        )
    elif body.get("tools"):
        out += 'for _, (name, arguments) in sorted(calls.items()):\n    print(f"tool call: {name}({arguments})")\n'
    return out


# --------------------------------------------------------------------------------------------
# Python with httpx


def _httpx_headers(backend: str) -> str:
    if KEY_ENVS[backend] is None:
        return "HEADERS: dict[str, str] = {}  # no key\n\n"
    if backend in _KEY_REQUIRED:
        return f'API_KEY = {_key_expr(backend, sdk=False)}\nHEADERS = {{"Authorization": f"Bearer {{API_KEY}}"}}\n\n'
    return (
        f"API_KEY = {_key_expr(backend, sdk=False)}\n"
        'HEADERS = {"Authorization": f"Bearer {API_KEY}"} if API_KEY else {}  # httpx refuses "Bearer "\n\n'
    )


def _httpx(body: dict[str, Any], url: str, backend: str, stream: bool) -> str:
    uses_env = KEY_ENVS[backend] is not None
    imports = (
        ("import json\n" if stream else "")
        + ("import os\n" if uses_env else "")
        + ("import time\n" if _is_deferred(body) else "")
    )
    head = (
        _key_comment(backend)
        + imports
        + "\nimport httpx\n\n"
        + f"BASE_URL = {_py_str(url)}\n"
        + _httpx_headers(backend)
        + f"body = {python_literal(body)}\n\n"
    )
    if _is_deferred(body):
        return (
            head
            + "with httpx.Client(headers=HEADERS, timeout=120) as http:\n"
            + '    # Submit: the server answers {"request_id": "..."} at once.\n'
            + '    submitted = http.post(f"{BASE_URL}/chat/completions", json=body)\n'
            + "    if submitted.is_error:\n"
            + '        raise SystemExit(f"HTTP {submitted.status_code}: {submitted.text}")\n'
            + '    request_id = submitted.json()["request_id"]\n'
            + "    # Poll: 202 = not ready yet, 200 = the completion (xAI hands it out only once: keep it).\n"
            + "    while True:\n"
            + '        response = http.get(f"{BASE_URL}/chat/deferred-completion/{request_id}")\n'
            + "        if response.status_code != 202:\n"
            + "            break\n"
            + f"        time.sleep({_POLL_SECONDS})\n"
            + "if response.is_error:\n"
            + '    raise SystemExit(f"HTTP {response.status_code}: {response.text}")\n'
            + _print_dict_choices(body, "response.json()")
        )
    if not stream:
        return (
            head
            + 'response = httpx.post(f"{BASE_URL}/chat/completions", headers=HEADERS, json=body, timeout=300)\n'
            + "if response.is_error:\n"
            + '    raise SystemExit(f"HTTP {response.status_code}: {response.text}")\n'
            + _print_dict_choices(body, "response.json()")
        )
    loop = "\n".join(_stream_collect(body, 'choice["delta"]', " " * 12, sdk=False))
    return (
        head
        + _stream_setup(body)
        + "with httpx.stream(\n"
        + '    "POST", f"{BASE_URL}/chat/completions", headers=HEADERS, json=body, timeout=300\n'
        + ") as response:\n"
        + "    if response.is_error:\n"
        + "        response.read()\n"
        + '        raise SystemExit(f"HTTP {response.status_code}: {response.text}")\n'
        + "    # Server-sent events: one `data: {...}` line per chunk, then `data: [DONE]`.\n"
        + "    for line in response.iter_lines():\n"
        + '        if not line.startswith("data:"):\n'
        + "            continue\n"
        + '        data = line.removeprefix("data:").strip()\n'
        + '        if data == "[DONE]":\n'
        + "            break\n"
        + "        chunk = json.loads(data)\n"
        + '        if "error" in chunk and not chunk.get("choices"):\n'
        + "            raise SystemExit(f\"error: {chunk['error']}\")\n"
        + '        for choice in chunk.get("choices") or []:  # the last chunk may carry only usage\n'
        + loop
        + "\n"
        + _stream_finish(body)
    )


# --------------------------------------------------------------------------------------------
# Python with the openai SDK


def _sdk_arguments(body: dict[str, Any]) -> str:
    """`key=value,` lines for `create(...)`; keys the SDK has no parameter for go through `extra_body`."""
    known = {k: v for k, v in body.items() if k in SDK_PARAMETERS}
    extra = {k: v for k, v in body.items() if k not in SDK_PARAMETERS}
    lines = [f"    {k}={python_literal(v, 4, column=5 + len(k))}," for k, v in known.items()]
    if extra:
        lines.append(f"    extra_body={python_literal(extra, 4, column=15)},  # fields the SDK has no parameter for")
    return "\n".join(lines) + "\n"


def _openai(body: dict[str, Any], url: str, backend: str, stream: bool) -> str:
    deferred = _is_deferred(body)
    head = (
        _key_comment(backend)
        + ("import os\n" if KEY_ENVS[backend] is not None else "")
        + ("import time\n\nimport httpx\n" if deferred else "\n")
        + "from openai import OpenAI\n\n"
        + "client = OpenAI(\n"
        + f"    base_url={_py_str(url)},\n"
        + f"    api_key={_key_expr(backend, sdk=True)},\n"
        + ")\n\n"
    )
    if deferred:
        return (
            head
            + '# Submit: the server answers {"request_id": "..."} instead of a completion.\n'
            + "submitted = client.chat.completions.with_raw_response.create(\n"
            + _sdk_arguments(body)
            + ")\n"
            + 'request_id = submitted.http_response.json()["request_id"]\n\n'
            + "# Poll: 202 = not ready yet, 200 = the completion (xAI hands it out only once: keep it).\n"
            + "while True:\n"
            + '    response = client.get(f"/chat/deferred-completion/{request_id}", cast_to=httpx.Response)\n'
            + "    if response.status_code != 202:\n"
            + "        break\n"
            + f"    time.sleep({_POLL_SECONDS})\n"
            + _print_dict_choices(body, "response.json()")
        )
    if not stream:
        lines = ["for choice in completion.choices:"]
        if _many(body):
            lines.append('    print(f"--- choice {choice.index} ---")')
        lines.append('    print(choice.message.content or "")')
        if body.get("tools"):
            lines.append("    for call in choice.message.tool_calls or []:")
            lines.append('        print(f"tool call: {call.function.name}({call.function.arguments})")')
        return head + "completion = client.chat.completions.create(\n" + _sdk_arguments(body) + ")\n" + "\n".join(lines) + "\n"
    loop = "\n".join(_stream_collect(body, "choice.delta", " " * 8, sdk=True))
    return (
        head
        + "stream = client.chat.completions.create(\n"
        + _sdk_arguments(body)
        + ")\n"
        + _stream_setup(body)
        + "for chunk in stream:\n"
        + "    for choice in chunk.choices:  # the last chunk may carry only usage\n"
        + loop
        + "\n"
        + _stream_finish(body)
    )


# --------------------------------------------------------------------------------------------


def export(body: Mapping[str, Any], *, base_url: str, backend: str, stream: bool = False) -> Snippets:
    """The request `body` (as sent to `base_url`, ".../v1", on a backend of kind `backend`) as curl, httpx and
    openai-SDK code. Non-streamed unless `stream`; a body with `"deferred": true` submits, then polls.

    ValueError for an unknown backend kind, a base URL that is not http(s), a body JSON cannot carry, or a
    deferred body asked to stream (see `streamable`)."""
    if backend not in BACKEND_KINDS:
        raise ValueError(f"Unknown backend kind {backend!r}; expected one of {', '.join(BACKEND_KINDS)}")
    url = _check_url(base_url)
    data = exported_body(body, stream=stream)
    return Snippets(
        curl=_curl(data, url, backend, stream),
        python_httpx=_httpx(data, url, backend, stream),
        python_openai=_openai(data, url, backend, stream),
    )
