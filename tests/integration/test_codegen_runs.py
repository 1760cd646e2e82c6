"""The exported snippets run: curl under bash and both Pythons in a fresh interpreter, against the real embedded
gateway, and print what the playground's own client got for the same seeded temperature-0 body."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from playground.client import ChatClient, ClientConfig
from playground.codegen import KEY_ENVS, export
from playground.local import Gateway

pytestmark = pytest.mark.integration
XAI_KEY = KEY_ENVS["xai"]  # a person's xAI key in their environment: the embedded model's snippets never send it

RUN_TIMEOUT = 240  # seconds; a wall against a hung snippet, not a pass/fail figure


@pytest.fixture(scope="module")
def curl() -> str:
    """The curl binary; its absence fails (the curl snippet would go untested), it is not skipped."""
    path = shutil.which("curl")
    if path is None:
        pytest.fail("curl is not installed: the exported curl snippets cannot be run (apt-get install -y curl)")
    return path


@pytest.fixture(scope="module")
def body(gateway: Gateway) -> dict[str, Any]:
    model = httpx.get(gateway.base_url + "/models", timeout=60).json()["data"][0]["id"]
    return {
        "model": model,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "seed": 7,
        "temperature": 0,
        "max_completion_tokens": 16,
    }


@pytest.fixture(scope="module")
def reference(gateway: Gateway, body: dict[str, Any]) -> str:
    with ChatClient(ClientConfig(base_url=gateway.base_url, kind="embedded")) as client:
        text = client.complete(body).text(0)
    assert text.strip()
    return text


def run(args: list[str], code: str, tmp_path: Path, name: str, *, key: str | None = "dummy-key") -> str:
    """Run a snippet as a person would (a file; `key` as $XAI_API_KEY, or none set); its stdout."""
    script = tmp_path / name
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != XAI_KEY}
    if key is not None:
        env[XAI_KEY] = key
    done = subprocess.run([*args, str(script)], env=env, cwd=tmp_path, capture_output=True, timeout=RUN_TIMEOUT)
    assert done.returncode == 0, f"{name} failed:\n{code}\n--- stderr ---\n{done.stderr.decode()}"
    return done.stdout.decode("utf-8")


def sse_text(stdout: str, choice: int = 0) -> str:
    """The text of one choice from raw server-sent events (what the streaming curl prints)."""
    text = []
    for line in stdout.splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            for c in json.loads(line[5:]).get("choices") or []:
                if c["index"] == choice:
                    text.append(c["delta"].get("content") or "")
    assert "data: [DONE]" in stdout
    return "".join(text)


@pytest.mark.parametrize(("stream", "key"), [(False, "dummy-key"), (True, None)], ids=["whole", "streamed-no-key"])
def test_snippets_print_the_same_answer(
    stream: bool, key: str | None, gateway: Gateway, body: dict[str, Any], reference: str, curl: str, tmp_path: Path
) -> None:
    """The embedded backend needs no key: the snippets run the same with an xAI key set (never sent) and with none."""
    s = export(
        {**body, "stream": True, "stream_options": {"include_usage": True}},
        base_url=gateway.base_url,
        backend="embedded",
        stream=stream,
    )

    out = run(["bash"], s.curl, tmp_path, "snippet.sh", key=key)
    got = sse_text(out) if stream else json.loads(out)["choices"][0]["message"]["content"]
    assert got == reference

    assert run([sys.executable], s.python_httpx, tmp_path, "snippet_httpx.py", key=key) == reference + "\n"
    assert run([sys.executable], s.python_openai, tmp_path, "snippet_openai.py", key=key) == reference + "\n"


def test_deferred_snippets_submit_poll_and_print(
    gateway: Gateway, body: dict[str, Any], reference: str, curl: str, tmp_path: Path
) -> None:
    s = export({**body, "deferred": True}, base_url=gateway.base_url, backend="embedded")

    out = run(["bash"], s.curl, tmp_path, "deferred.sh")
    completion = json.loads(out)
    assert completion["object"] == "chat.completion"
    assert completion["choices"][0]["message"]["content"] == reference

    assert run([sys.executable], s.python_httpx, tmp_path, "deferred_httpx.py") == reference + "\n"
    assert run([sys.executable], s.python_openai, tmp_path, "deferred_openai.py") == reference + "\n"


TOOL_LINE = re.compile(r"^tool call \(choice (\d+)\): ([\w-]+)\((.*)\)$|^tool call: ([\w-]+)\((.*)\)$")


def printed_calls(stdout: str) -> dict[int, tuple[str, Any]]:
    """choice -> (tool name, parsed arguments) from the snippets' `tool call` lines, by choice header or label."""
    calls: dict[int, tuple[str, Any]] = {}
    current = -1
    for line in stdout.splitlines():
        if header := re.fullmatch(r"--- choice (\d+) ---", line):
            current = int(header.group(1))
        elif m := TOOL_LINE.match(line):
            if m.group(1) is not None:
                calls[int(m.group(1))] = (m.group(2), json.loads(m.group(3)))
            else:
                calls[current] = (m.group(4), json.loads(m.group(5)))
    return calls


def test_tool_calls_of_several_choices_are_printed(gateway: Gateway, body: dict[str, Any], tmp_path: Path) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        }
    ]
    asked = {
        **body,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "n": 2,
        "max_completion_tokens": 32,
        "tools": tools,
        "tool_choice": "required",
    }
    with ChatClient(ClientConfig(base_url=gateway.base_url, kind="embedded")) as client:
        completion = client.complete(asked)
    expected = {}
    for i in (0, 1):
        (use,) = completion.tool_uses(i)
        expected[i] = (use.name, use.input)

    whole = export(asked, base_url=gateway.base_url, backend="embedded")
    streamed = export(asked, base_url=gateway.base_url, backend="embedded", stream=True)
    # three of the four variants, to keep model calls few: the SDK's objects both ways, httpx's streamed dicts
    for name, code in (
        ("openai", whole.python_openai),
        ("openai_stream", streamed.python_openai),
        ("httpx_stream", streamed.python_httpx),
    ):
        out = run([sys.executable], code, tmp_path, f"tools_{name}.py")
        assert printed_calls(out) == expected, out
