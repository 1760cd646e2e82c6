"""playground.codegen: every snippet compiles, carries exactly the body, and keeps hostile text literal.

The curl snippets are run by a real bash with `curl` (and `sleep`) replaced by shell functions that record
their arguments and stdin, so what bash would send is compared with the body byte for byte. Running the
snippets against the real model is tests/integration/test_codegen_runs.py.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import backends
from playground.client import ChatClient
from playground.codegen import KEY_ENVS, SDK_PARAMETERS, Snippets, export, exported_body, python_literal, streamable
from playground.errors import RequestError

BASH = shutil.which("bash")
XAI = "https://api.x.ai/v1"
LOCAL = "http://127.0.0.1:8000/v1"
DUMMY_KEY = "dummy-key-for-tests"
ANSWER = {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}]}

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
PLAIN = {
    "model": "grok-4",
    "messages": [{"role": "user", "content": "Say hi."}],
    "temperature": 0,
    "seed": 7,
    "max_completion_tokens": 16,
}
BODIES: dict[str, dict[str, Any]] = {
    "plain": PLAIN,
    "streamed": {**PLAIN, "stream": True, "stream_options": {"include_usage": True}},
    "n2": {**PLAIN, "n": 2, "logprobs": True, "top_logprobs": 3, "stop": ["\n", "END"], "logit_bias": {"15": -100}},
    "tools": {**PLAIN, "tools": TOOLS, "tool_choice": "auto"},
    "tools_n2": {**PLAIN, "tools": TOOLS, "n": 2, "tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
    "schema": {
        **PLAIN,
        "response_format": {
            "type": "json_schema",
            "json_schema": {
                "name": "answer",
                "schema": {"type": "object", "properties": {"a": {"type": "number", "minimum": -1.5}}},
                "strict": True,
            },
        },
        "user": "u-1",
        "reasoning_effort": "low",
        "parallel_tool_calls": False,
    },
    "deferred": {**PLAIN, "deferred": True},
    "images": {
        **PLAIN,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "auto"}},
                ],
            }
        ],
    },
}
HOSTILE_TEXTS = [
    "it's \"quoted\" and 'single' \\ back\\slash \\n not-a-newline",
    "$(touch {tmp}/pwned-dollar) and `touch {tmp}/pwned-backtick` and ${{XAI_API_KEY}} $XAI_API_KEY $HOME",
    "line one\nJSON\nJSON_\nEOF\n'JSON'\r\ttab",
    "\u2028 line separator \u2029 paragraph \u202e bidi override \u200d zwj \x00 nul \x7f del \x1b[31m",
    "emoji 😀👩‍👩‍👧 accents é ñ 中文 \U0001f9ea",
    "lone surrogate \ud800 end",
    "!! history !$ ~/tilde *glob* [a] {a,b} ; | & > /tmp/x < /etc/passwd",
]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: types (1 vs 1.0 vs true), key order and every character."""
    return json.dumps(a) == json.dumps(b)


# -- reading a body back out of a snippet ------------------------------------------------------


def body_of_httpx(code: str) -> Any:
    """The value of the `body = ...` literal."""
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["body"]:
            return ast.literal_eval(node.value)
    raise AssertionError("no `body = ...` in the snippet")


def body_of_openai(code: str) -> dict[str, Any]:
    """The keyword arguments of `...create(...)`, with `extra_body` merged in."""
    calls = [
        n
        for n in ast.walk(ast.parse(code))
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "create"
    ]
    assert len(calls) == 1
    body: dict[str, Any] = {}
    for kw in calls[0].keywords:
        assert kw.arg is not None
        value = ast.literal_eval(kw.value)
        if kw.arg == "extra_body":
            assert not set(value) & SDK_PARAMETERS, "a parameter the SDK has went through extra_body"
            body.update(value)
        else:
            assert kw.arg in SDK_PARAMETERS
            body[kw.arg] = value
    return body


FAKE_CURL = r"""
set -u
curl() {
  local out="" data=0 arg polls
  for arg in "$@"; do printf '%s\n' "$arg" >> "$CALLS"; done
  printf -- '--end--\n' >> "$CALLS"
  while [ $# -gt 0 ]; do
    case "$1" in
      -o) out="$2"; shift ;;
      --data-binary) data=1; shift ;;
    esac
    shift
  done
  if [ "$data" = 1 ]; then
    cat > "$CAPTURE"
    if [ -n "$out" ]; then printf '{"request_id": "req-1"}' > "$out"; else printf '%s' "$ANSWER"; fi
    return 0
  fi
  polls=$(( $(cat "$POLLS" 2>/dev/null || echo 0) + 1 ))
  echo "$polls" > "$POLLS"
  if [ "$polls" -lt 3 ]; then : > "$out"; printf 202; else printf '%s' "$ANSWER" > "$out"; printf 200; fi
}
sleep() { :; }
"""


class CurlRun:
    """What a curl snippet did under bash with the fake `curl`: its calls' arguments, the body it sent, stdout."""

    def __init__(self, snippet: str, tmp: Path, *, keys: dict[str, str] | None = None) -> None:
        """`keys`: the environment's key variables (default: every backend's variable set to DUMMY_KEY)."""
        assert BASH is not None, "bash is needed to check the curl snippets"
        script = tmp / "snippet.sh"
        script.write_text(FAKE_CURL + snippet, encoding="utf-8")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "CALLS": str(tmp / "calls"),
            "CAPTURE": str(tmp / "capture"),
            "POLLS": str(tmp / "polls"),
            "ANSWER": json.dumps(ANSWER),
        }
        env |= {v: DUMMY_KEY for v in KEY_ENVS.values() if v} if keys is None else keys
        self.result = subprocess.run([BASH, str(script)], env=env, cwd=tmp, capture_output=True, timeout=60)
        assert self.result.returncode == 0, self.result.stderr.decode()
        calls_text = (tmp / "calls").read_text(encoding="utf-8")
        self.calls = [c.strip("\n").split("\n") for c in calls_text.split("--end--\n") if c.strip("\n")]
        self.sent = (tmp / "capture").read_bytes()
        self.stdout = self.result.stdout.decode()

    def body(self) -> Any:
        return json.loads(self.sent.decode("utf-8"))


# -- compiles, parses, round-trips -------------------------------------------------------------


def variants() -> list[tuple[str, str, bool]]:
    out = []
    for name, body in BODIES.items():
        for backend in ("embedded", "xai", "openai"):
            for stream in (False, True):
                if stream and not streamable(body):
                    continue
                out.append((name, backend, stream))
    return out


@pytest.mark.parametrize(("name", "backend", "stream"), variants())
def test_every_snippet_compiles_and_carries_the_body(name: str, backend: str, stream: bool, tmp_path: Path) -> None:
    body = BODIES[name]
    url = XAI if backend == "xai" else LOCAL
    s = export(body, base_url=url, backend=backend, stream=stream)
    expected = exported_body(body, stream=stream)

    compile(s.python_httpx, "python_httpx.py", "exec")
    compile(s.python_openai, "python_openai.py", "exec")
    assert BASH is not None
    check = subprocess.run([BASH, "-n"], input=s.curl.encode(), capture_output=True)
    assert check.returncode == 0, check.stderr.decode()

    assert same(body_of_httpx(s.python_httpx), expected)
    assert same(body_of_openai(s.python_openai), expected)
    run = CurlRun(s.curl, tmp_path)
    assert same(run.body(), expected)
    assert run.calls[0].count(f"Authorization: Bearer {DUMMY_KEY}") == (0 if backend == "embedded" else 1)
    for snippet in (s.curl, s.python_httpx, s.python_openai):
        assert url in snippet


def test_exported_body_is_not_streamed_unless_asked() -> None:
    streamed = BODIES["streamed"]
    assert exported_body(streamed) == PLAIN
    assert exported_body(PLAIN, stream=True) == {**PLAIN, "stream": True}
    assert exported_body(streamed, stream=True) == {**PLAIN, "stream": True, "stream_options": {"include_usage": True}}
    s = export(streamed, base_url=LOCAL, backend="embedded")
    assert "stream" not in body_of_httpx(s.python_httpx) and "stream" not in body_of_openai(s.python_openai)
    assert "curl -sS -N" not in s.curl and "iter_lines" not in s.python_httpx and "for chunk in" not in s.python_openai
    s = export(PLAIN, base_url=LOCAL, backend="embedded", stream=True)
    assert "curl -sS -N" in s.curl and "iter_lines" in s.python_httpx and "for chunk in stream" in s.python_openai


def test_deferred_cannot_be_streamed() -> None:
    assert streamable(PLAIN) and not streamable(BODIES["deferred"])
    assert streamable({**PLAIN, "deferred": False})
    with pytest.raises(ValueError, match="deferred"):
        export(BODIES["deferred"], base_url=XAI, backend="xai", stream=True)


def test_deferred_body_gives_submit_then_poll(tmp_path: Path) -> None:
    s = export(BODIES["deferred"], base_url=XAI, backend="xai")
    for code in (s.curl, s.python_httpx, s.python_openai):
        assert "/chat/deferred-completion/" in code and "202" in code
    assert body_of_openai(s.python_openai)["deferred"] is True
    assert 'extra_body={"deferred": True}' in s.python_openai

    run = CurlRun(s.curl, tmp_path)
    assert same(run.body(), BODIES["deferred"])
    assert f"{XAI}/chat/completions" in run.calls[0]
    polls = run.calls[1:]
    assert len(polls) == 3  # 202, 202, then 200
    assert all(p[-1] == f"{XAI}/chat/deferred-completion/req-1" for p in polls)
    assert all(f"Authorization: Bearer {DUMMY_KEY}" in p for p in polls)
    assert json.loads(run.stdout) == ANSWER


def test_a_non_deferred_body_does_not_poll() -> None:
    s = export({**PLAIN, "deferred": False}, base_url=XAI, backend="xai")
    for code in (s.curl, s.python_httpx, s.python_openai):
        assert "deferred-completion" not in code


def test_sdk_gets_unknown_fields_through_extra_body() -> None:
    body = {"search_parameters": {"mode": "off"}, **PLAIN, "deferred": False, "x-odd key": 1}
    s = export(body, base_url=XAI, backend="xai")
    assert body_of_openai(s.python_openai) == body  # the same fields; extra_body's come last
    assert "search_parameters=" not in s.python_openai


# -- hostile text ------------------------------------------------------------------------------


@pytest.mark.parametrize("template", HOSTILE_TEXTS)
@pytest.mark.parametrize("deferred", [False, True])
def test_hostile_text_arrives_literally(template: str, deferred: bool, tmp_path: Path) -> None:
    text = template.replace("{tmp}", str(tmp_path)).replace("{{", "{").replace("}}", "}")
    body = {
        **PLAIN,
        "messages": [{"role": "system", "content": text}, {"role": "user", "content": text, "name": text[:20]}],
        "stop": [text[:10]],
        "user": text,
    }
    if deferred:
        body["deferred"] = True
    s = export(body, base_url=XAI, backend="xai")

    run = CurlRun(s.curl, tmp_path)
    assert same(run.body(), body)
    assert same(body_of_httpx(s.python_httpx), body)
    assert same(body_of_openai(s.python_openai), body)
    compile(s.python_httpx, "python_httpx.py", "exec")
    compile(s.python_openai, "python_openai.py", "exec")
    assert not list(tmp_path.glob("pwned*"))
    for snippet in (s.curl, s.python_httpx, s.python_openai):
        assert "\u2028" not in snippet and "\u202e" not in snippet and "\x00" not in snippet  # written as escapes
        snippet.encode("utf-8")  # no lone surrogate left raw
    if "😀" in text:
        assert "😀" in s.curl and "😀" in s.python_httpx  # readable characters stay readable


def test_the_key_comes_from_the_environment_only(tmp_path: Path) -> None:
    s = export(PLAIN, base_url=XAI, backend="xai")
    assert 'os.environ["XAI_API_KEY"]' in s.python_httpx and 'os.environ["XAI_API_KEY"]' in s.python_openai
    assert '"Authorization: Bearer $XAI_API_KEY"' in s.curl
    assert CurlRun(s.curl, tmp_path).calls[0].count(f"Authorization: Bearer {DUMMY_KEY}") == 1
    for snippet in (s.curl, s.python_httpx, s.python_openai):
        assert not re.search(r"\b(xai|sk)-[A-Za-z0-9_-]{8,}", snippet)
        assert DUMMY_KEY not in snippet


def _headers_of_httpx(code: str, env: dict[str, str]) -> dict[str, str]:
    """The HEADERS an httpx snippet builds under `env` (its key lines run; nothing is sent)."""
    tree = ast.parse(code)
    lines = [
        n
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AnnAssign) and ast.unparse(n).split()[0] in ("API_KEY", "HEADERS", "HEADERS:")
    ]
    scope: dict[str, Any] = {"os": type("os", (), {"environ": env})}
    exec(compile(ast.Module(body=lines, type_ignores=[]), "headers", "exec"), scope)  # noqa: S102 - the snippet's own two lines
    return scope["HEADERS"]


@pytest.mark.parametrize("backend", ["openai", "embedded"])
def test_an_xai_key_in_the_environment_never_goes_to_another_server(backend: str, tmp_path: Path) -> None:
    only_xai = {"XAI_API_KEY": DUMMY_KEY}
    for body in (PLAIN, BODIES["deferred"]):
        s = export(body, base_url=LOCAL, backend=backend)
        assert "XAI_API_KEY" not in s.curl + s.python_httpx + s.python_openai
        run = CurlRun(s.curl, tmp_path, keys=only_xai)
        assert not any(DUMMY_KEY in arg for call in run.calls for arg in call)
        assert _headers_of_httpx(s.python_httpx, only_xai) == {}
    s = export(PLAIN, base_url=LOCAL, backend=backend)
    if backend == "openai":  # the server's own variable, when it is set
        assert _headers_of_httpx(s.python_httpx, {"PLAYGROUND_API_KEY": "k"}) == {"Authorization": "Bearer k"}
        assert 'os.environ.get("PLAYGROUND_API_KEY") or "not-needed"' in s.python_openai
    else:  # the embedded model: no key, no variable, no header
        assert "Authorization" not in s.curl + s.python_httpx and 'api_key="not-needed"' in s.python_openai


def test_embedded_runs_without_a_key(tmp_path: Path) -> None:
    s = export(PLAIN, base_url=LOCAL, backend="embedded")
    run = CurlRun(s.curl, tmp_path, keys={})  # under `set -u`, with no key variable set
    assert not any("Authorization" in arg for arg in run.calls[0]) and same(run.body(), PLAIN)
    assert json.loads(run.stdout) == ANSWER


def test_the_exported_code_posts_where_the_page_posts() -> None:
    for typed in ("HTTP://LocalHost:8000/v1/", "http://h:80/v1", "http://h/v1#frag", "http://h/v1?x=1", "http://h/v1/../admin"):
        try:
            config = backends.resolve("openai", base_url=typed, env={})
        except RequestError:
            with pytest.raises(ValueError, match="base URL"):
                export(PLAIN, base_url=typed, backend="openai")
            continue
        sent: list[str] = []

        def answer(request: httpx.Request, sent: list[str] = sent) -> httpx.Response:
            sent.append(str(request.url))
            return httpx.Response(200, json=ANSWER)

        with ChatClient(config, transport=httpx.MockTransport(answer)) as client:
            client.complete(PLAIN)
        s = export(PLAIN, base_url=typed, backend="openai")
        assert f"curl -sS {sent[0]} " in s.curl, (typed, sent)


@pytest.mark.parametrize("url", ["http://h/$(touch${IFS}pwned)/v1", "https://h/a'b\"c`touch${IFS}pwned2`/v1"])
def test_a_base_url_is_quoted_too(url: str, tmp_path: Path) -> None:
    for body in (PLAIN, BODIES["deferred"]):
        s = export(body, base_url=url + "/", backend="openai")
        run = CurlRun(s.curl, tmp_path)
        assert url + "/chat/completions" in run.calls[0]
        assert not list(tmp_path.glob("pwned*"))
        for code in (s.python_httpx, s.python_openai):
            tree = ast.parse(code)
            strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
            assert url in strings


@pytest.mark.parametrize("url", ["ftp://h/v1", "h/v1", "https://", "http://h/v1 x", "http://h/\nv1", ""])
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        export(PLAIN, base_url=url, backend="openai")


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="backend"):
        export(PLAIN, base_url=XAI, backend="anthropic")
    with pytest.raises(ValueError, match="JSON"):
        export({**PLAIN, "temperature": float("nan")}, base_url=XAI, backend="xai")
    with pytest.raises(ValueError, match="JSON"):
        export({**PLAIN, "stop": {"a"}}, base_url=XAI, backend="xai")


def test_snippets_model() -> None:
    s = export(PLAIN, base_url=XAI, backend="xai")
    assert isinstance(s, Snippets) and set(Snippets.model_fields) == {"curl", "python_httpx", "python_openai"}
    with pytest.raises(ValueError):
        s.curl = "x"  # type: ignore[misc]


def test_request_body_from_chat_request_exports() -> None:
    from playground.request import ChatRequest

    body = ChatRequest.model_validate({**BODIES["n2"], "stream": True}).to_body()
    s = export(body, base_url=XAI, backend="xai")
    assert same(body_of_httpx(s.python_httpx), exported_body(body))
    assert body_of_httpx(s.python_httpx)["logit_bias"] == {"15": -100}


def test_long_literals_are_spread_over_lines() -> None:
    s = export(BODIES["tools"], base_url=XAI, backend="xai")
    assert max(len(line) for line in s.python_httpx.splitlines() + s.python_openai.splitlines()) <= 100
    assert "\n    tools=[\n        {\n" in s.python_openai


# -- property tests ----------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20
)
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)


@given(JSON_VALUES)
def test_python_literal_round_trips(value: Any) -> None:
    assert same(ast.literal_eval(python_literal(value)), value)
    assert same(ast.literal_eval(python_literal(value, 8, column=30)), value)


@settings(deadline=None)  # a loaded machine took 250 ms on one example (a DeadlineExceeded flake), not a bug
@given(ANY_TEXT)
def test_python_literal_round_trips_any_text(text: str) -> None:
    literal = python_literal(text)
    assert ast.literal_eval(literal) == text
    assert literal.isprintable()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ANY_TEXT, extra=st.dictionaries(st.text(max_size=8), JSON_SCALARS, max_size=3))
def test_curl_sends_any_text_literally(text: str, extra: dict[str, Any], tmp_path: Path) -> None:
    body = {**PLAIN, **extra, "messages": [{"role": "user", "content": text}]}
    s = export(body, base_url=XAI, backend="xai")
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    run = CurlRun(s.curl, tmp_path)
    assert same(run.body(), exported_body(body))
    assert same(body_of_httpx(s.python_httpx), exported_body(body))
    # the SDK sends its own parameters, then extra_body: the same object, keys possibly in another order
    assert body_of_openai(s.python_openai) == exported_body(body)
