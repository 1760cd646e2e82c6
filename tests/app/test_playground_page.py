"""The Playground page under Streamlit's AppTest, against the real embedded model.

Widgets are reached by the keys of components/state.py; assertions are on text and state, not positions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import fields
from playground.fields import Kind

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def at(gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:  # type: ignore[no-untyped-def]
    """The app pointed at the session's embedded gateway, no xAI key around."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.run()
    assert not app.exception
    yield app


def _texts(app: AppTest) -> str:
    """Everything readable on the page, one string."""
    parts = [e.value for kind in ("markdown", "caption", "error", "info", "warning", "subheader", "title")
             for e in getattr(app, kind)]
    parts += [f"{m.label} {m.value}" for m in app.metric]
    return "\n".join(str(p) for p in parts)


def _write(app: AppTest, i: int, text: str) -> None:
    app.text_area(key=keys.message_content(i)).set_value(text)


def _run(app: AppTest) -> AppTest:
    app.button(key=keys.RUN).click().run()
    assert not app.exception, app.exception
    return app


def test_every_field_is_rendered_with_its_default(at: AppTest) -> None:
    for section, section_fields in fields.sections().items():
        assert any(s.value == section.value for s in at.sidebar.subheader), section
        for f in section_fields:
            key = keys.field(f.key)
            if f.kind in (Kind.FLOAT, Kind.INT):
                widget = at.slider(key=key) if f.kind is Kind.FLOAT else at.number_input(key=key)
                assert widget.value == f.default, f.key
                assert widget.label == f.label and widget.help == f.help
                if f.kind is Kind.INT:
                    assert widget.min == f.minimum and widget.max == f.maximum, f.key
                else:
                    assert (widget.min, widget.max) == (f.minimum, f.maximum), f.key
            elif f.kind is Kind.BOOL:
                assert at.checkbox(key=key).value is bool(f.default)
                assert at.checkbox(key=key).label == f.label
            elif f.kind in (Kind.TEXT, Kind.STOP):
                assert at.text_input(key=key).value == ""
                assert at.text_input(key=key).label == f.label
            elif f.kind is Kind.RESPONSE_FORMAT:
                box = at.selectbox(key=key)
                assert box.value == "none" and list(box.options) == ["None", "Text", "JSON object", "JSON schema"]
            elif f.kind is Kind.TOOLS:
                assert at.text_area(key=key).value == ""
            elif f.kind is Kind.TOOL_CHOICE:
                assert at.selectbox(key=key).value == "auto"
                assert at.selectbox(key=key).disabled  # no tools yet
            elif f.kind is Kind.TOKEN_MAP:
                assert any(m.value == f.label for m in at.sidebar.markdown)
            else:  # pragma: no cover
                pytest.fail(f"no check for {f.kind}")
    # the model list came from the gateway; the conversation starts with one empty user message
    assert at.selectbox(key=keys.MODEL).value
    assert at.selectbox(key=keys.message_role(0)).value == "user"
    assert at.text_area(key=keys.message_content(0)).value == ""


def test_top_logprobs_without_logprobs_is_marked_and_nothing_is_lost(at: AppTest) -> None:
    _write(at, 0, "Keep me")
    at.slider(key=keys.field("temperature")).set_value(0.3)
    at.number_input(key=keys.field("top_logprobs")).set_value(3)
    _run(at)
    sidebar_errors = [e.value for e in at.sidebar.error]
    assert any("Logprobs" in e for e in sidebar_errors), sidebar_errors
    assert any("Nothing was sent" in e.value and "Top logprobs" in e.value for e in at.main.error)
    assert at.session_state[keys.RUNS] == []
    assert at.text_area(key=keys.message_content(0)).value == "Keep me"
    assert at.slider(key=keys.field("temperature")).value == 0.3
    # a rerun keeps the error and everything typed
    at.run()
    assert at.text_area(key=keys.message_content(0)).value == "Keep me"
    assert any("Logprobs" in e.value for e in at.sidebar.error)


def test_five_stop_sequences_are_refused_next_to_the_field(at: AppTest) -> None:
    _write(at, 0, "Hello")
    at.text_input(key=keys.field("stop")).set_value("a,b,c,d,e")
    _run(at)
    assert any(str(fields.MAX_STOP) in e.value for e in at.sidebar.error), [e.value for e in at.sidebar.error]
    assert at.text_input(key=keys.field("stop")).value == "a,b,c,d,e"
    assert at.text_area(key=keys.message_content(0)).value == "Hello"


def test_invalid_tools_json_is_shown_under_tools(at: AppTest) -> None:
    at.text_area(key=keys.field("tools")).set_value("[{not json")
    at.run()
    assert any("not valid JSON" in e.value for e in at.sidebar.error)
    _write(at, 0, "Hi")
    _run(at)
    assert at.session_state[keys.RUNS] == []


def test_message_error_is_shown_under_that_message(at: AppTest) -> None:
    _write(at, 0, "What is the weather?")
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.selectbox(key=keys.message_role(1)).set_value("tool").run()
    _write(at, 1, "sunny")
    _run(at)
    main_errors = [e.value for e in at.main.error]
    assert any("tool call" in e for e in main_errors), main_errors
    assert at.text_input(key=keys.message_tool_call_id(1)).value == ""
    assert at.text_area(key=keys.message_content(1)).value == "sunny"


def test_add_and_delete_messages(at: AppTest) -> None:
    _write(at, 0, "first")
    at.button(key=keys.ADD_MESSAGE).click().run()
    _write(at, 1, "second")
    at.button(key=keys.ADD_MESSAGE).click().run()
    _write(at, 2, "third")
    at.run()
    at.button(key=keys.message_delete(1)).click().run()
    assert not at.exception
    assert [m["content"] for m in at.session_state[keys.MESSAGES]] == ["first", "third"]
    assert at.text_area(key=keys.message_content(1)).value == "third"


def test_a_run_shows_the_answer_with_stop_reason_and_usage(at: AppTest) -> None:
    _write(at, 0, "Say hello in one short sentence.")
    at.text_input(key=keys.message_name(0)).set_value("alice")
    at.number_input(key=keys.field("max_completion_tokens")).set_value(24)
    at.number_input(key=keys.field("seed")).set_value(7)
    _run(at)
    runs = at.session_state[keys.RUNS]
    assert len(runs) == 1 and runs[0]["status"] == "done"
    completion = runs[0]["completion"]
    answer = completion.text(0)
    assert answer.strip()
    page = _texts(at)
    assert answer.strip()[:20] in page
    assert f"stop reason: **{completion.stop_reason}**" in page
    assert completion.stop_reason in ("stop", "length")
    assert f"Input tokens {completion.usage.input_tokens}" in page and completion.usage.input_tokens > 0
    assert f"Output tokens {completion.usage.output_tokens}" in page
    assert runs[0]["body"]["max_completion_tokens"] == 24 and runs[0]["body"]["seed"] == 7
    assert "temperature" not in runs[0]["body"]  # the default is left out
    assert runs[0]["body"]["messages"] == [{"role": "user", "content": "Say hello in one short sentence.",
                                            "name": "alice"}]
    # the conversation is untouched until the person adds the answer
    assert [m["content"] for m in at.session_state[keys.MESSAGES]] == ["Say hello in one short sentence."]
    at.button(key=keys.add_answer(runs[0]["id"])).click().run()
    assert at.session_state[keys.MESSAGES][-1] == {"role": "assistant", "content": answer, "name": "",
                                                      "tool_call_id": ""}
    assert at.text_area(key=keys.message_content(1)).value == answer
    # a second run keeps the first one, newest first
    _run(at)
    runs = at.session_state[keys.RUNS]
    assert len(runs) == 2 and runs[1]["completion"] is completion
    assert "Earlier runs (1)" in _texts(at)


def test_n_choices_show_as_tabs(at: AppTest) -> None:
    _write(at, 0, "Name a colour.")
    at.number_input(key=keys.field("n")).set_value(2)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(8)
    _run(at)
    completion = at.session_state[keys.RUNS][0]["completion"]
    assert len(completion.choices) == 2
    assert [t.label for t in at.tabs][:2] == ["Choice 1", "Choice 2"]


def test_unreachable_server_error_under_run_and_conversation_kept(at: AppTest) -> None:
    at.selectbox(key=keys.BACKEND).set_value("openai").run()
    at.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:9/v1").run()
    _write(at, 0, "Still here?")
    _run(at)
    assert any("Could not reach the server" in e.value for e in at.main.error), [e.value for e in at.main.error]
    assert at.text_area(key=keys.message_content(0)).value == "Still here?"
    run = at.session_state[keys.RUNS][0]
    assert run["status"] == "error" and run["body"]["messages"][0]["content"] == "Still here?"


def test_deferred_runs_are_polled_and_saved(at: AppTest) -> None:
    _write(at, 0, "Say yes.")
    at.checkbox(key=keys.field("deferred")).check()
    at.number_input(key=keys.field("max_completion_tokens")).set_value(8)
    _run(at)
    _run(at)  # a second one before the first arrived: both are kept and fetched
    runs = at.session_state[keys.RUNS]
    assert len(runs) == 2 and all(r["request_id"] and r["body"]["deferred"] is True for r in runs)
    deadline = time.monotonic() + 90
    while any(r["status"] == "pending" for r in at.session_state[keys.RUNS]) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception
    for run in at.session_state[keys.RUNS]:
        assert run["status"] == "done" and run["completion"].request_id == run["request_id"]
    assert "stop reason" in _texts(at)


def test_xai_backend_notes_and_missing_key_next_to_the_key_field(at: AppTest) -> None:
    _write(at, 0, "Hello")
    at.selectbox(key=keys.BACKEND).set_value("xai").run()
    assert not at.exception
    captions = [c.value for c in at.sidebar.caption]
    for key in ("frequency_penalty", "presence_penalty", "stop", "logit_bias"):
        note = fields.field(key).xai_note
        assert note and any(note in c for c in captions), key
    _run(at)
    assert any("API key" in e.value and "XAI_API_KEY" in e.value for e in at.sidebar.error)
    assert at.session_state[keys.RUNS] == []
    assert at.text_area(key=keys.message_content(0)).value == "Hello"
    # back to the embedded model: its notes are gone, the conversation is still there
    at.selectbox(key=keys.BACKEND).set_value("embedded").run()
    assert not any("xAI:" in c.value for c in at.sidebar.caption)
    assert at.text_area(key=keys.message_content(0)).value == "Hello"


def test_tool_call_round_trip(at: AppTest) -> None:
    at.button(key=keys.TOOLS_EXAMPLE).click().run()
    assert "get_weather" in at.text_area(key=keys.field("tools")).value
    assert "get_weather" in at.selectbox(key=keys.field("tool_choice")).options[-1]
    at.selectbox(key=keys.field("tool_choice")).set_value("get_weather")
    at.slider(key=keys.field("temperature")).set_value(0.0)
    _write(at, 0, "What is the weather in Paris?")
    _run(at)
    run = at.session_state[keys.RUNS][0]
    assert run["body"]["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    completion = run["completion"]
    (call,) = completion.tool_uses(0)
    assert call.name == "get_weather" and "city" in (call.input or {})
    assert completion.stop_reason == "tool_calls"
    assert any("Tool call" in m.value and "get_weather" in m.value for m in at.main.markdown)
    at.button(key=keys.add_answer(run["id"])).click().run()
    conv = at.session_state[keys.MESSAGES]
    assert conv[1]["role"] == "assistant" and conv[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert conv[2]["role"] == "tool" and conv[2]["tool_call_id"] == conv[1]["tool_calls"][0]["id"]
    assert at.text_input(key=keys.message_tool_call_id(2)).value == conv[2]["tool_call_id"]
    # the person types the tool's result and runs again without tools being forced
    _write(at, 2, '{"temperature": 12, "condition": "clear"}')
    at.selectbox(key=keys.field("tool_choice")).set_value("none")
    _run(at)
    final = at.session_state[keys.RUNS][0]
    assert final["status"] == "done", final.get("error")
    assert [m["role"] for m in final["body"]["messages"]] == ["user", "assistant", "tool"]


def test_server_error_under_run_with_param_highlighted_and_under_the_field(gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state[keys.MODEL] = "no-such-model"  # as if typed as free text in the model box
    at.run()
    assert at.selectbox(key=keys.MODEL).value == "no-such-model"
    _write(at, 0, "Are you there?")
    _run(at)
    main_errors = [e.value for e in at.main.error]
    assert any("Server said" in e and "no-such-model" in e and "`model`" in e for e in main_errors), main_errors
    assert any("server rejected this field" in e.value and "no-such-model" in e.value for e in at.sidebar.error)
    assert at.text_area(key=keys.message_content(0)).value == "Are you there?"
    assert at.session_state[keys.RUNS][0]["status"] == "error"


def test_json_schema_response_format_is_sent_wrapped_with_a_note(at: AppTest) -> None:
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    assert '"city"' in at.text_area(key=keys.RESPONSE_SCHEMA).value  # the seed's example schema to start from
    _write(at, 0, "Weather in Seoul as JSON.")
    at.number_input(key=keys.field("max_completion_tokens")).set_value(40)
    _run(at)
    run = at.session_state[keys.RUNS][0]
    assert run["status"] == "done", run.get("error")
    fmt = run["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == ["temperature", "condition",
                                                                                          "city"]
    assert run["notes"] and all(n in [i.value for i in at.info] for n in run["notes"])
    assert run["completion"].text(0).lstrip().startswith("{")


def test_bad_json_schema_is_marked_under_response_format(at: AppTest) -> None:
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    at.text_area(key=keys.RESPONSE_SCHEMA).set_value('{"type": "object",').run()
    assert any("not valid JSON" in e.value for e in at.sidebar.error)
    _write(at, 0, "Hi")
    _run(at)
    assert at.session_state[keys.RUNS] == []
    assert any("Response format" in e.value for e in at.main.error)


def test_the_model_is_remembered_per_backend(at: AppTest) -> None:
    embedded_model = at.selectbox(key=keys.MODEL).value
    assert embedded_model
    at.selectbox(key=keys.BACKEND).set_value("xai").run()
    assert at.selectbox(key=keys.MODEL).value != embedded_model  # no key: nothing listed, nothing carried over
    at.selectbox(key=keys.BACKEND).set_value("embedded").run()
    assert at.selectbox(key=keys.MODEL).value == embedded_model


def test_a_stop_sequence_that_ended_the_answer_is_shown(at: AppTest) -> None:
    _write(at, 0, "Count from 1 to 10, separated by commas.")
    at.slider(key=keys.field("temperature")).set_value(0.0)
    at.text_input(key=keys.field("stop")).set_value("5")
    at.number_input(key=keys.field("max_completion_tokens")).set_value(40)
    _run(at)
    run = at.session_state[keys.RUNS][0]
    assert run["body"]["stop"] == ["5"]
    completion = run["completion"]
    assert "5" not in completion.text(0) and completion.stop_reason == "stop"
    assert "stop reason: **stop**" in _texts(at)
    assert completion.stop_sequence == "5"
    assert 'stop sequence: **"5"**' in _texts(at)
