"""The Playground page under Streamlit's AppTest, against the real embedded model.

Widgets are reached by the keys of components/state.py; assertions are on text and state, not positions.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import fields, runner
from playground.fields import Kind
from playground.notebook import Cell, ChatMessage, Notebook
from playground.store import NotebookStore
from tests.app.test_present import round_trip
from tests.fake_server import cut_stream, deferred, fake_server
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def texts(app: AppTest) -> str:
    """Everything readable on the page, one string."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "error", "info", "warning", "subheader", "title", "text", "code")
        for e in getattr(app, kind)
    ]
    parts += [f"{m.label} {m.value}" for m in app.metric]
    return readable("\n".join(str(p) for p in parts))


def holds(app: AppTest, outer: str, inner: str) -> bool:
    """Whether the widget or container keyed `inner` is drawn inside the container keyed `outer`."""

    def find(node, key: str):  # type: ignore[no-untyped-def]
        if getattr(node, "key", None) == key:
            return node
        return next((n for c in (getattr(node, "children", None) or {}).values() if (n := find(c, key))), None)

    block = find(app._tree, outer)
    return block is not None and find(block, inner) is not None


def notebook(app: AppTest) -> Notebook:
    return app.session_state[keys.NOTEBOOK]


def cells(app: AppTest) -> list[Cell]:
    return notebook(app).cells


def say(app: AppTest, text: str) -> AppTest:
    """Type into the chat input and press Enter: the message is added and run."""
    app.chat_input(key=keys.CHAT_INPUT).set_value(text).run()
    assert not app.exception, app.exception
    return app


def run(app: AppTest) -> AppTest:
    app.button(key=keys.RUN).click().run()
    assert not app.exception, app.exception
    return app


def form_view(app: AppTest) -> None:
    app.button_group(key=keys.VIEW).set_value("Form").run()


def short(app: AppTest, tokens: int = 16) -> None:
    app.number_input(key=keys.field("max_completion_tokens")).set_value(tokens)


def test_every_field_is_rendered_with_its_default(at: AppTest) -> None:
    for section, section_fields in fields.sections().items():
        assert any(e.label == section.value for e in at.sidebar.expander), section
        for f in section_fields:
            key = keys.field(f.key)
            if f.kind in (Kind.FLOAT, Kind.INT):
                widget = at.slider(key=key) if f.kind is Kind.FLOAT else at.number_input(key=key)
                own = fields.backend_default("embedded", f.key)
                assert widget.value == (own.value if own else f.default), f.key
                assert widget.label == f.label and widget.help == f.help
                if f.kind is Kind.INT:  # a number box never clamps: fields.py's bounds are checked like any rule
                    assert widget.min is None and widget.max is None, f.key
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
    assert at.selectbox(key=keys.MODEL).value  # the model list came from the gateway
    assert notebook(at).conversation == []  # a new notebook starts empty: type into the chat input
    assert not at.error
    assert not [c for c in at.sidebar.caption if "Changed from the default" in c.value]  # nothing marked as changed yet


def test_changed_fields_are_marked_and_reset_to_defaults(at: AppTest) -> None:
    at.slider(key=keys.field("temperature")).set_value(0.3)
    at.text_input(key=keys.field("user")).set_value("someone").run()
    at.checkbox(key=keys.field("logprobs")).check()
    at.selectbox(key=keys.field("response_format")).set_value("json_object")
    at.button(key=keys.TOOLS_EXAMPLE).click().run()  # a tool list shows itself: no mark
    marks = [c.value for c in at.sidebar.caption if "Changed from the default" in c.value]
    assert marks == [
        "Changed from the default (1)",
        "Changed from the default (off)",
        "Changed from the default (none)",
        "Changed from the default (empty)",
    ]
    at.button(key=keys.RESET).click().run()
    assert at.slider(key=keys.field("temperature")).value == 1.0 and at.text_input(key=keys.field("user")).value == ""
    assert not [c for c in at.sidebar.caption if "Changed from the default" in c.value]


def test_every_sidebar_widget_reaches_the_request_body(at: AppTest) -> None:
    """Each field set through its own widget, as a person would; the cell's body carries every one."""
    at.slider(key=keys.field("temperature")).set_value(0.5)
    at.slider(key=keys.field("top_p")).set_value(0.9)
    at.slider(key=keys.field("frequency_penalty")).set_value(0.2)
    at.slider(key=keys.field("presence_penalty")).set_value(-0.2)
    at.number_input(key=keys.field("seed")).set_value(11)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(12)
    at.number_input(key=keys.field("n")).set_value(2)
    at.text_input(key=keys.field("stop")).set_value("###, END")
    at.checkbox(key=keys.field("logprobs")).check()
    at.number_input(key=keys.field("top_logprobs")).set_value(2)
    at.text_input(key=keys.field("user")).set_value("tester-1")
    at.selectbox(key=keys.field("response_format")).set_value("json_object")
    at.button(key=keys.TOOLS_EXAMPLE).click().run()
    at.selectbox(key=keys.field("tool_choice")).set_value("none")
    at.checkbox(key=keys.field("deferred")).check()
    at.run()
    say(at, "Say ok as JSON.")
    (cell,) = cells(at)
    body = cell.body
    assert (body["temperature"], body["top_p"], body["frequency_penalty"], body["presence_penalty"]) == (0.5, 0.9, 0.2, -0.2)
    assert (body["seed"], body["max_completion_tokens"], body["n"]) == (11, 12, 2)
    assert body["stop"] == ["###", "END"] and body["logprobs"] is True and body["top_logprobs"] == 2
    assert body["user"] == "tester-1" and body["response_format"] == {"type": "json_object"}
    assert body["tools"][0]["function"]["name"] == "get_weather" and body["tool_choice"] == "none"
    assert body["deferred"] is True and cell.request_id and cell.status in ("pending", "done")


def test_chat_input_runs_and_the_answer_joins_the_conversation(at: AppTest) -> None:
    # its hint fits the one line the box keeps beside its buttons in an 800-pixel window (a longer one was cut off
    # mid-sentence there)
    assert len(at.chat_input(key=keys.CHAT_INPUT).placeholder) <= 50
    short(at, 24)
    at.number_input(key=keys.field("seed")).set_value(7)
    say(at, "Say hello in one short sentence.")
    (cell,) = cells(at)
    assert cell.status == "done" and cell.completion is not None
    answer = cell.completion.text(0)
    assert answer.strip()
    assert cell.body["max_completion_tokens"] == 24 and cell.body["seed"] == 7
    assert "temperature" not in cell.body  # the default is left out
    conv = notebook(at).conversation
    assert [(m.role, m.content) for m in conv] == [("user", "Say hello in one short sentence."), ("assistant", answer)]
    page = texts(at)
    assert "first token" in page and "tokens/s" in page and "total" in page
    assert cell.timings.ttft_s is not None and cell.timings.total_s is not None
    # details: the Response Datas with stop reason and usage
    at.toggle(key=keys.cell_action(cell.id, "details")).set_value(True).run()
    page = texts(at)
    assert f"Input tokens {cell.completion.usage.input_tokens}" in page and cell.completion.usage.input_tokens > 0
    # a second turn answers the whole conversation
    say(at, "Thanks. Now say bye.")
    assert len(cells(at)) == 2 and cells(at)[1].at == 3
    assert [m["role"] for m in cells(at)[1].body["messages"]] == ["user", "assistant", "user"]


def test_a_run_validates_its_request_once(at: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The live check has already built the request Run sends: Run sends that one instead of building it again
    (with logit bias given as text, Run still builds it, as only then is the text looked up)."""
    question = "Say yes."
    built_for_it: list[int] = []
    real = runner.build_request

    def counting(settings, messages):  # type: ignore[no-untyped-def]
        if messages and messages[-1].get("content") == question:
            built_for_it.append(1)
        return real(settings, messages)

    monkeypatch.setattr(runner, "build_request", counting)
    short(at, 4)
    say(at, question)
    (cell,) = cells(at)
    assert cell.status == "done" and cell.body["messages"][-1]["content"] == question
    assert len(built_for_it) == 1  # the live check's, and Run's is the same


def test_with_auto_append_off_the_answer_stays_in_its_cell(at: AppTest) -> None:
    short(at, 8)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Name a colour.")
    (cell,) = cells(at)
    assert [m.role for m in notebook(at).conversation] == ["user"]
    assert not cell.continued
    at.button(key=keys.cell_action(cell.id, "continue")).click().run()
    assert [m.role for m in notebook(at).conversation] == ["user", "assistant"]
    assert notebook(at).conversation[1].content == cell.completion.text(0)  # type: ignore[union-attr]


def test_a_repeated_prompt_comes_from_the_cache_and_gives_the_same_answer(at: AppTest) -> None:
    """The embedded model reuses the prompt a slot already holds (the cell's usage says how many tokens came from
    the cache), and a seeded answer is the same either way."""
    short(at, 12)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    at.number_input(key=keys.field("seed")).set_value(7)
    say(at, "Name a fruit and say why you like it.")
    for _ in range(2):
        at.button(key=keys.cell_action(cells(at)[-1].id, "rerun")).click().run()
    done = [c.completion for c in cells(at) if c.completion]
    assert len(done) == 3 and max(c.usage.cache_read_input_tokens for c in done) > 0
    assert len({c.text(0) for c in done}) == 1


def test_rerun_fork_and_delete_a_cell(at: AppTest) -> None:
    short(at, 8)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    at.slider(key=keys.field("temperature")).set_value(0.0)
    say(at, "Name a fruit.")
    (first,) = cells(at)
    at.button(key=keys.cell_action(first.id, "rerun")).click().run()
    assert not at.exception
    first, second = cells(at)
    assert second.body == first.body and second.status == "done"
    assert "Run 2 of 2" in texts(at)
    # change things, then fork the first run back into the editor
    at.slider(key=keys.field("temperature")).set_value(1.3)
    say(at, "And a vegetable?")
    assert "earlier version" in texts(at)
    at.button_group(key=keys.sibling(1)).set_value(first.id).run()  # "Run 1 of 2"
    at.toggle(key=keys.cell_action(first.id, "more")).set_value(True).run()  # an older run keeps its actions folded
    at.button(key=keys.cell_action(first.id, "fork")).click().run()
    assert [m.content for m in notebook(at).conversation] == ["Name a fruit."]
    assert at.slider(key=keys.field("temperature")).value == 0.0
    at.button_group(key=keys.sibling(1)).set_value(second.id).run()
    at.toggle(key=keys.cell_action(second.id, "more")).set_value(True).run()
    at.button(key=keys.cell_action(second.id, "delete")).click().run()
    assert second.id not in [c.id for c in cells(at)]


def test_an_answer_longer_than_the_model_can_hold_is_warned_of_before_sending(at: AppTest) -> None:
    """The embedded gateway's model list says one slot's context; the field's warning comes from it."""
    box = at.number_input(key=keys.field("max_completion_tokens"))
    box.set_value(100_000).run()
    warnings = [readable(w.value) for w in at.sidebar.warning]
    assert any("100,000" in w and "cannot fit" in w for w in warnings), warnings
    at.number_input(key=keys.field("max_completion_tokens")).set_value(64).run()
    assert not [w.value for w in at.sidebar.warning if "cannot fit" in w.value]


def test_a_mistake_shows_at_once_blocks_run_and_goes_when_fixed(at: AppTest) -> None:
    at.number_input(key=keys.field("top_logprobs")).set_value(3).run()
    assert any("Logprobs" in e.value for e in at.sidebar.error)
    assert at.button(key=keys.RUN).disabled and at.chat_input(key=keys.CHAT_INPUT).disabled
    assert "Run is off until you fix" in texts(at)
    at.checkbox(key=keys.field("logprobs")).check().run()
    assert not at.sidebar.error and not at.button(key=keys.RUN).disabled


def test_five_stop_sequences_are_refused_next_to_the_field(at: AppTest) -> None:
    at.text_input(key=keys.field("stop")).set_value("a,b,c,d,e").run()
    assert any(str(fields.MAX_STOP) in e.value for e in at.sidebar.error), [e.value for e in at.sidebar.error]
    assert at.text_input(key=keys.field("stop")).value == "a,b,c,d,e"


def test_invalid_tools_json_is_shown_under_tools_with_line_and_column(at: AppTest) -> None:
    at.text_area(key=keys.field("tools")).set_value("[{not json").run()
    assert any("not valid JSON" in e.value and "line 1" in e.value for e in at.sidebar.error)
    assert at.button(key=keys.RUN).disabled


def test_form_view_edits_moves_duplicates_and_deletes_messages(at: AppTest) -> None:
    form_view(at)
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("first").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(1)).set_value("second").run()
    assert [(m.role, m.content) for m in notebook(at).conversation] == [("user", "first"), ("assistant", "second")]
    at.button(key=keys.message_action(1, "up")).click().run()
    assert [m.content for m in notebook(at).conversation] == ["second", "first"]
    assert at.text_area(key=keys.message_content(0)).value == "second"
    at.button(key=keys.message_action(0, "duplicate")).click().run()
    assert [m.content for m in notebook(at).conversation] == ["second", "second", "first"]
    at.button(key=keys.message_action(1, "delete")).click().run()
    at.button(key=keys.message_action(0, "insert")).click().run()
    assert [m.content for m in notebook(at).conversation] == ["second", "", "first"]
    assert not at.exception


def test_a_tool_message_without_its_call_id_is_marked_under_that_message(at: AppTest) -> None:
    form_view(at)
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("What is the weather?").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.selectbox(key=keys.message_role(1)).set_value("tool").run()
    at.text_area(key=keys.message_content(1)).set_value("sunny").run()
    main_errors = [e.value for e in at.main.error]
    assert any("tool call" in e and "Message 2" in e for e in main_errors), main_errors
    assert at.text_area(key=keys.message_content(1)).value == "sunny"


def test_n_choices_show_as_tabs(at: AppTest) -> None:
    at.number_input(key=keys.field("n")).set_value(2)
    short(at, 8)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Name a colour.")
    completion = cells(at)[0].completion
    assert completion is not None and len(completion.choices) == 2
    assert [t.label for t in at.tabs][:2] == ["Choice 1", "Choice 2"]


@pytest.mark.usefixtures("instant_retries")  # the page still tries max_retries + 1 times, without the sleeps
def test_unreachable_server_error_under_run_and_conversation_kept(at: AppTest) -> None:
    at.session_state[keys.SETTINGS]["model.openai"] = "any-model"  # as if typed into the model box earlier
    at.selectbox(key=keys.BACKEND).set_value("openai").run()
    at.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:9/v1").run()
    assert at.selectbox(key=keys.MODEL).value == "any-model"
    say(at, "Still here?")
    assert any("Could not reach the server" in e.value for e in at.main.error), [e.value for e in at.main.error]
    (cell,) = cells(at)
    assert cell.status == "error" and cell.body["messages"][0]["content"] == "Still here?"
    assert [m.content for m in notebook(at).conversation] == ["Still here?"]


def test_a_mistyped_base_url_is_a_message_under_the_field(at: AppTest) -> None:
    at.selectbox(key=keys.BACKEND).set_value("openai").run()
    at.text_input(key=keys.BASE_URL).set_value("http://[::1/v1").run()
    assert not at.exception
    assert any("base URL" in e.value for e in at.sidebar.error), [e.value for e in at.sidebar.error]
    at.text_input(key=keys.BASE_URL).set_value("http://169.254.169.254/v1").run()
    assert any("metadata" in e.value for e in at.sidebar.error)


def test_deferred_runs_are_polled_and_saved(at: AppTest) -> None:
    at.checkbox(key=keys.field("deferred")).check()
    short(at, 8)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Say yes.")
    run(at)  # a second one before the first arrived: both are kept and fetched
    assert len(cells(at)) == 2 and all(c.request_id and c.body["deferred"] is True for c in cells(at))
    deadline = time.monotonic() + 120
    while any(c.status == "pending" for c in cells(at)) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception
    for cell in cells(at):
        assert cell.status == "done" and cell.completion is not None and cell.completion.request_id == cell.request_id
    assert "stop reason" in texts(at)
    (stored,) = [NotebookStore().load(s.id) for s in NotebookStore().list()]  # written once each, no conflict copy
    assert stored is not None and [c.status for c in stored.cells] == ["done", "done"]


def test_xai_backend_notes_and_missing_key_next_to_the_key_field(at: AppTest) -> None:
    at.selectbox(key=keys.BACKEND).set_value("xai").run()
    assert not at.exception
    captions = [readable(c.value) for c in at.sidebar.caption]
    for key in ("frequency_penalty", "presence_penalty", "stop", "logit_bias"):
        note = fields.field(key).xai_note
        assert note and any(note in c for c in captions), key
    assert any("API key" in e and "XAI_API_KEY" in e for e in (readable(e.value) for e in at.sidebar.error))
    assert at.button(key=keys.RUN).disabled
    at.selectbox(key=keys.BACKEND).set_value("embedded").run()
    assert not any("xAI:" in c.value for c in at.sidebar.caption)


def test_run_tools_and_continue_shows_each_call_for_review_then_runs_it_as_edited(at: AppTest) -> None:
    at.button(key=keys.TOOLS_EXAMPLE).click().run()
    at.selectbox(key=keys.field("tool_choice")).set_value("get_weather")
    at.slider(key=keys.field("temperature")).set_value(0.0)
    short(at, 60)
    at.run()
    say(at, "What is the weather in Paris?")
    (first,) = cells(at)
    assert first.body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert first.completion is not None
    (call,) = first.completion.tool_uses(0)
    assert call.name == "get_weather" and "city" in (call.input or {})
    at.button(key=keys.cell_action(first.id, "tools")).click().run()
    assert not at.exception, at.exception
    # nothing ran yet: the call waits for review, its arguments as the model wrote them
    assert len(cells(at)) == 1 and notebook(at).conversation[2].content == ""
    conv = notebook(at).conversation
    (row,) = conv[1].tool_calls
    assert "the built-in demo tool" in texts(at)
    assert holds(at, keys.cell(first.id), keys.REVIEW_GO)  # right under the button the person pressed, not far below
    assert at.text_area(key=keys.review(row.id, "arguments")).value == row.arguments
    at.text_area(key=keys.review(row.id, "arguments")).set_value("[1]").run()
    assert "must be a JSON object" in texts(at) and at.button(key=keys.REVIEW_GO).disabled  # named, nothing lost
    at.text_area(key=keys.review(row.id, "arguments")).set_value('{"city": "Tokyo"}').run()
    at.checkbox(key=keys.review_all("demo")).check()
    short(at, 8)  # the step takes the sidebar's settings: a few words are answer enough
    at.button(key=keys.REVIEW_GO).click().run()
    assert not at.exception, at.exception
    conv = notebook(at).conversation
    assert [m.role for m in conv[:3]] == ["user", "assistant", "tool"]
    assert conv[1].tool_calls[0].arguments == '{"city": "Tokyo"}'  # the transcript shows what was sent
    assert "Tokyo" in conv[2].content and "demo data" in conv[2].content and conv[2].tool_call_id == row.id
    second = cells(at)[1]
    assert second.step_of == first.id and second.status == "done", second.error
    assert second.body["tool_choice"] == "none"  # a forced call would loop: the step answers in words
    assert second.body["max_completion_tokens"] == 8
    assert second.completion is not None and second.completion.text(0).strip()

    assert at.session_state[keys.APPROVED][notebook(at).id] == ["demo"]  # the next round runs without asking


def test_server_error_under_run_with_param_highlighted_and_under_the_field(gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.session_state[keys.MODEL] = "no-such-model"  # as if typed as free text in the model box
    app.run()
    assert app.selectbox(key=keys.MODEL).value == "no-such-model"
    say(app, "Are you there?")
    main_errors = [readable(e.value) for e in app.main.error]
    assert any("Server said" in e and "no-such-model" in e and "Check the model name" in e for e in main_errors), main_errors
    assert any("server rejected this field" in e and "no-such-model" in e for e in (readable(e.value) for e in app.sidebar.error))
    assert cells(app)[0].status == "error"
    assert [m.content for m in notebook(app).conversation] == ["Are you there?"]


def test_json_schema_response_format_is_sent_in_the_api_shape(at: AppTest) -> None:
    """The schema form starts from the seed's weather schema and sends {name, schema, strict}: nothing to convert."""
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    assert '"city"' in at.text_area(key=keys.RESPONSE_SCHEMA).value  # the seed's example schema to start from
    short(at, 40)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Weather in Seoul as JSON.")
    (cell,) = cells(at)
    assert cell.status == "done", cell.error
    fmt = cell.body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"]["required"] == ["temperature", "condition", "city"]
    assert fmt["json_schema"]["name"] == "weather_report" and fmt["json_schema"]["strict"] is True
    assert not any("short form" in n for n in cell.notes)
    assert cell.completion is not None and cell.completion.text(0).lstrip().startswith("{")


def test_bad_json_schema_is_marked_under_response_format(at: AppTest) -> None:
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    at.text_area(key=keys.RESPONSE_SCHEMA).set_value('{"type": "object",').run()
    assert any("not valid JSON" in e.value for e in at.sidebar.error)
    assert at.button(key=keys.RUN).disabled and "Response format" in texts(at)


def test_the_model_is_remembered_per_backend(at: AppTest) -> None:
    embedded_model = at.selectbox(key=keys.MODEL).value
    assert embedded_model
    at.selectbox(key=keys.BACKEND).set_value("xai").run()
    assert at.selectbox(key=keys.MODEL).value != embedded_model  # no key: nothing listed, nothing carried over
    at.selectbox(key=keys.BACKEND).set_value("embedded").run()
    assert at.selectbox(key=keys.MODEL).value == embedded_model


def test_a_stop_sequence_that_ended_the_answer_is_shown(at: AppTest) -> None:
    at.slider(key=keys.field("temperature")).set_value(0.0)
    at.text_input(key=keys.field("stop")).set_value("5")
    short(at, 40)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Count from 1 to 10, separated by commas.")
    completion = cells(at)[0].completion
    assert completion is not None and cells(at)[0].body["stop"] == ["5"]
    assert "5" not in completion.text(0) and completion.stop_reason == "stop" and completion.stop_sequence == "5"
    assert 'stop sequence: "5"' in texts(at)


def test_dollar_signs_and_images_in_answers_stay_text(at: AppTest) -> None:
    """Model text never becomes LaTeX or loads an image: the Markdown the page sends escapes both (tests/app/test_text.py
    reads every kind of hostile text back with a CommonMark parser)."""
    short(at, 8)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Say hi.")
    cell = cells(at)[0]
    from playground.response import ContentBlock

    assert cell.completion is not None
    cell.completion.choices[0].content[:] = [ContentBlock(type="text", text="It costs $5 and $10 ![x](http://e.test/a.png)")]
    at.run()
    shown = [m.value for m in at.main.markdown if "costs" in m.value]
    assert shown and "\\$5" in shown[0] and "\\!\\[x\\]\\(" in shown[0]
    at.toggle(key=keys.cell_action(cell.id, "raw")).set_value(True).run()
    assert any(t.value == "It costs $5 and $10 ![x](http://e.test/a.png)" for t in at.text)


def test_a_run_with_logprobs_shows_token_probabilities_and_usage_across_runs(at: AppTest) -> None:
    from components import chart_views

    at.checkbox(key=keys.field("logprobs")).check()
    at.number_input(key=keys.field("top_logprobs")).set_value(5)
    short(at, 8)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    say(at, "Name a colour.")
    run(at)
    first, second = cells(at)
    at.button_group(key=keys.sibling(1)).set_value(first.id).run()
    at.toggle(key=keys.cell_action(first.id, "more")).set_value(True).run()
    at.toggle(key=keys.cell_action(first.id, "details")).set_value(True).run()
    at.session_state[keys.cell_action(first.id, "tab")] = "Probabilities"  # a click on the tab (only the open one is drawn)
    at.run()
    # the figures above the strip wrap onto further rows where four do not fit (columns cut them to "…" at 800 px)
    (figures,) = [g for g in at.grid if any(m.label == "Perplexity" for m in g.metric)]
    assert isinstance(figures.min_column_width, int) and figures.min_column_width >= 130
    box = at.selectbox(key=chart_views.keys_for(keys.cell_charts(first.id)).token(0))
    assert len(box.options) >= 1
    box.set_value(0).run()
    assert not at.exception
    assert "Alternatives at position 0" in texts(at) and "← chosen" in texts(at)
    at.toggle(key=keys.USAGE).set_value(True).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) >= 3  # the cell's strip and along-the-answer; usage across runs


def test_a_rerun_of_an_earlier_point_does_not_add_its_answer_again(at: AppTest) -> None:
    short(at, 8)
    at.slider(key=keys.field("temperature")).set_value(0.0)
    say(at, "Name a fruit.")
    (first,) = cells(at)
    assert [m.role for m in notebook(at).conversation] == ["user", "assistant"]
    at.button(key=keys.cell_action(first.id, "rerun")).click().run()
    assert len(cells(at)) == 2 and cells(at)[1].status == "done"
    assert [m.role for m in notebook(at).conversation] == ["user", "assistant"]  # the rerun stays a sibling run


def test_a_stream_cut_mid_answer_is_named_as_cut_not_as_an_unreachable_server(at: AppTest) -> None:
    with fake_server() as server:
        server.reply = cut_stream("Half an ans")
        at.session_state[keys.SETTINGS]["model.openai"] = "any-model"
        at.selectbox(key=keys.BACKEND).set_value("openai").run()
        at.text_input(key=keys.BASE_URL).set_value(server.base_url).run()
        say(at, "Tell me everything.")
    (cell,) = cells(at)
    assert cell.status == "error" and cell.partial == {0: "Half an ans"}
    shown = [e.value for e in at.main.error]
    assert any("broke off" in e for e in shown), shown
    assert not any("Could not reach" in e for e in shown), shown


@pytest.mark.parametrize(
    ("field", "typed", "words"), [("max_completion_tokens", -5, "at least 1"), ("top_logprobs", 50, "between 0 and 8")]
)
def test_a_number_out_of_range_is_kept_named_under_its_field_and_blocks_run(
    at: AppTest, field: str, typed: int, words: str
) -> None:
    """What was typed stays in the box (never clamped to a bound) and is named as wrong under it; nothing is sent."""
    at.checkbox(key=keys.field("logprobs")).check()
    at.number_input(key=keys.field(field)).set_value(typed).run()
    assert at.number_input(key=keys.field(field)).value == typed
    label = fields.field(field).label
    assert any(label in e.value and words in e.value for e in at.sidebar.error), [e.value for e in at.sidebar.error]
    assert at.button(key=keys.RUN).disabled and at.chat_input(key=keys.CHAT_INPUT).disabled
    assert label in texts(at) and "Run is off until you fix" in texts(at)
    assert not cells(at)  # nothing was sent


def test_a_notebook_naming_a_server_contacts_it_only_when_asked_and_never_with_another_server_s_key(
    gateway, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    secret = "xai-TYPED-FOR-XAI-ONLY-0123456789"
    with fake_server() as server:
        server.reply = deferred("req-2")
        asked = [ChatMessage(role="user", content="Hi")]
        body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "deferred": True}
        pending = Cell(
            backend="openai",
            base_url=server.base_url,
            model="m",
            body=body,
            conversation=asked,
            status="pending",
            request_id="r1",
        )
        nb = NotebookStore().save(
            Notebook(
                title="From elsewhere",
                conversation=asked,
                settings={"backend": "openai", "base_url": server.base_url, "model.openai": "m"},
                cells=[pending],
            )
        )
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        app.query_params[keys.NOTEBOOK_PARAM] = nb.id
        app.run()
        assert any("names the server" in w.value for w in app.sidebar.warning)  # shown, not contacted
        assert any("Nothing is sent there until you ask" in i.value for i in app.main.info)
        app.selectbox(key=keys.BACKEND).set_value("xai").run()
        app.text_input(key=keys.API_KEY).set_value(secret).run()
        app.run()
        assert not app.exception and server.seen == []  # opening it, and typing an xAI key, sent nothing there

        app.button(key=keys.cell_action(pending.id, "rerun")).click().run()
        assert server.seen == [] and any("Send it?" in w.value for w in app.main.warning)
        app.button(key=keys.confirm_cell(pending.id, "yes")).click().run()
        app.run()  # the server is confirmed now: its pending run is asked for too
    assert not app.exception
    assert {(s.method, s.path) for s in server.seen} >= {
        ("POST", "/v1/chat/completions"),
        ("GET", "/v1/chat/deferred-completion/r1"),
    }
    assert all("authorization" not in s.headers for s in server.seen), [s.headers for s in server.seen]


def test_a_typed_key_stays_with_its_server_and_the_environment_key_is_named_only_for_its_own(
    gateway, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.setenv("PLAYGROUND_API_KEY", "operator-key")
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.run()
    app.selectbox(key=keys.BACKEND).set_value("openai").run()
    assert app.text_input(key=keys.API_KEY).placeholder == "set in environment"  # empty URL: the operator's server
    app.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:9/v1").run()
    assert app.text_input(key=keys.API_KEY).placeholder != "set in environment"  # that key is not sent here
    app.text_input(key=keys.API_KEY).set_value("typed-for-port-9").run()
    app.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:10/v1").run()
    assert app.text_input(key=keys.API_KEY).value == ""  # another server: the key typed for port 9 stays there
    app.selectbox(key=keys.BACKEND).set_value("xai").run()
    assert app.text_input(key=keys.API_KEY).value == ""
    app.selectbox(key=keys.BACKEND).set_value("openai").run()
    app.text_input(key=keys.BASE_URL).set_value("http://127.0.0.1:9/v1/").run()
    assert app.text_input(key=keys.API_KEY).value == "typed-for-port-9"
    assert not app.exception


def test_the_embedded_model_has_a_visible_default_length_that_can_be_cleared(at: AppTest) -> None:
    """A fresh page shows the embedded model's default length in the box, marked as its default, and sends it;
    an emptied box sends no limit; a backend without such a default shows an empty box."""
    box = at.number_input(key=keys.field("max_completion_tokens"))
    default = fields.backend_default("embedded", "max_completion_tokens")
    assert default is not None and box.value == default.value
    assert any("default of the backend" in c.value and "Embedded" in c.value for c in at.sidebar.caption)
    at.slider(key=keys.field("temperature")).set_value(0.0)
    at.text_input(key=keys.field("stop")).set_value(".")
    say(at, "Say yes.")
    assert cells(at)[0].body["max_completion_tokens"] == default.value
    at.number_input(key=keys.field("max_completion_tokens")).set_value(None).run()
    assert any("none is sent" in c.value for c in at.sidebar.caption)
    say(at, "Say no.")
    assert "max_completion_tokens" not in cells(at)[1].body
    at.number_input(key=keys.field("max_completion_tokens")).set_value(default.value).run()
    at.selectbox(key=keys.BACKEND).set_value("openai").run()
    assert at.number_input(key=keys.field("max_completion_tokens")).value is None
    at.selectbox(key=keys.BACKEND).set_value("embedded").run()
    assert at.number_input(key=keys.field("max_completion_tokens")).value == default.value


def test_a_text_answer_where_a_call_was_expected_says_why_and_one_click_makes_the_call_dependable(at: AppTest) -> None:
    """Tools on, Tool choice auto: a text answer is explained, and one click sets the visible settings
    (Tool choice required, a low temperature) under which the next question calls the tool."""
    at.button(key=keys.TOOLS_EXAMPLE).click().run()
    assert at.button(key=keys.TOOLS_DEPENDABLE)  # offered beside Tool choice as soon as a tool is on
    at.number_input(key=keys.field("seed")).set_value(1)
    short(at, 24)
    say(at, "Say hello to me.")
    (first,) = cells(at)
    assert first.completion is not None and not first.completion.tool_uses(0), "the model called the tool this time"
    assert "answered in words" in texts(at)
    at.button(key=keys.TOOLS_DEPENDABLE_AFTER).click().run()
    for key, value in fields.DEPENDABLE_TOOL_CALL.items():
        widget = at.slider(key=keys.field(key)) if key == "temperature" else at.selectbox(key=keys.field(key))
        assert widget.value == value, key
    assert "answered in words" not in texts(at)  # the advice is taken
    short(at, 60)
    say(at, "What is the weather in Paris?")
    second = cells(at)[1]
    assert second.body["tool_choice"] == "required" and second.completion is not None
    assert [c.name for c in second.completion.tool_uses(0)] == ["get_weather"]


def test_the_words_that_answer_a_tools_result_bring_no_advice_to_force_a_call(gateway, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A tool round trip under Tool choice auto (as "Run tools and continue" leaves it): the final answer is in
    words, as it should be after a tool's result, so no "answered in words" advice shows under it."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    nb = round_trip()
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    for cell in nb.cells:
        cell.body = {"model": "smollm2", "messages": [m.to_request() for m in cell.conversation], "tools": [weather]}
    NotebookStore().save(nb)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = nb.id
    app.run()
    assert not app.exception, app.exception
    assert "It is sunny and 18 degrees in Paris." in texts(app)  # the round trip is on the page
    assert "answered in words" not in texts(app)
    assert not [b for b in app.button if b.key == keys.TOOLS_DEPENDABLE_AFTER]


def test_sidebar_values_survive_switching_pages_both_ways(at: AppTest) -> None:
    """Streamlit keys a widget by its page: the sidebar's values typed on one page are the same on the next."""
    at.slider(key=keys.field("temperature")).set_value(0.5)
    at.number_input(key=keys.field("seed")).set_value(3)
    at.number_input(key=keys.field("n")).set_value(2)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(24).run()
    for page in ("views/compare.py", "views/playground.py", "views/compare.py", "views/playground.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        shown = {k: at.number_input(key=keys.field(k)).value for k in ("seed", "n", "max_completion_tokens")}
        assert shown == {"seed": 3, "n": 2, "max_completion_tokens": 24}, page
        assert at.slider(key=keys.field("temperature")).value == 0.5, page
