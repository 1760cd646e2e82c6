"""playground/tool_calls.py: which calls wait, who answers each (demo tool, MCP server, the person), and the
answers written into the conversation, with a real MCP server (mcp-server-time over stdio)."""

from __future__ import annotations

import json

from playground import builder, demo_tools, mcp, tool_calls
from playground.notebook import ChatMessage, ToolCallRow
from playground.schema import ToolForm
from tests.mcp_servers import TIME_ENV

TIME = {mcp.ENV_MCP_SERVERS: TIME_ENV}


def _round(*calls: ToolCallRow) -> list[ChatMessage]:
    return [
        ChatMessage(content="Hi"),
        ChatMessage(role="assistant", tool_calls=list(calls)),
        *(ChatMessage(role="tool", tool_call_id=c.id, name=c.name) for c in calls),
    ]


def test_each_waiting_call_names_who_can_answer_it() -> None:
    messages = [
        *_round(
            ToolCallRow(id="c1", name="get_weather", arguments='{"city": "Paris"}'),
            ToolCallRow(id="c2", name="lookup_stock", arguments='{"symbol": "X"}'),
            ToolCallRow(id="c3", name="get_current_time", arguments='{"timezone": "Asia/Tokyo"}'),
            ToolCallRow(id="c4", name="add", arguments="{}"),
        ),
        ChatMessage(role="tool", tool_call_id="c9"),  # answers no call: not a call to answer
    ]
    messages[5] = messages[5].model_copy(update={"content": "typed by hand"})
    calls = tool_calls.waiting(messages, {"get_current_time": "time"})
    assert [(c.index, c.id, c.source) for c in calls] == [(2, "c1", tool_calls.DEMO), (3, "c2", ""), (4, "c3", "time")]
    assert [c.source_words() for c in calls] == [
        "the built-in demo tool",
        "no tool here: type its result, or decline",
        "the MCP server “time”",
    ]


def test_only_the_latest_round_waits() -> None:
    earlier = [
        ChatMessage(role="assistant", tool_calls=[ToolCallRow(id="old", name="lookup_stock", arguments="{}")]),
        ChatMessage(role="tool", tool_call_id="old"),  # left empty by the person, long ago
    ]
    latest = _round(ToolCallRow(id="c1", name="get_time", arguments='{"timezone": "UTC"}'))
    messages = [*earlier, *latest[:2], ChatMessage(role="tool"), latest[2]]
    [call] = tool_calls.waiting(messages, {})
    assert call.index == 5
    filled = tool_calls.run_all(messages, [call], {}, {})
    assert json.loads(filled[5].content)["timezone"] == "UTC"
    assert filled[:5] == messages[:5]
    assert tool_calls.waiting([ChatMessage(content="Hi")], {}) == []


def test_a_demo_tool_given_bad_arguments_answers_with_the_error() -> None:
    messages = _round(ToolCallRow(id="c1", name="get_weather", arguments='{"city": "Par'))
    filled = tool_calls.run_all(messages, tool_calls.waiting(messages, {}), {}, {})
    assert "error" in json.loads(filled[2].content)
    assert messages[2].content == ""  # the messages given are not changed


def test_the_server_of_a_tool_comes_from_the_runs_tool_rows() -> None:
    rows = [
        builder.ToolRow(tool=ToolForm(name="get_current_time"), server="time"),
        builder.ToolRow(tool=ToolForm(name="get_weather")),
    ]
    settings = {"tools.rows": [r.saved() for r in rows]}
    assert tool_calls.servers_of(settings) == {"get_current_time": "time"}
    assert builder.ToolRow.restored(settings["tools.rows"][0]).server == "time"  # type: ignore[union-attr]
    assert tool_calls.servers_of({}) == {} and tool_calls.servers_of({"tools.rows": "junk"}) == {}


def test_an_mcp_call_runs_with_edited_arguments_and_the_transcript_shows_what_was_sent() -> None:
    messages = _round(ToolCallRow(id="c1", name="get_current_time", arguments='{"timezone": "Tokyo"}'))
    [call] = tool_calls.waiting(messages, {"get_current_time": "time"})
    edited = '{"timezone": "Asia/Tokyo"}'
    result = tool_calls.answer(call, edited, TIME, {})
    assert not result.error and json.loads(result.content)["timezone"] == "Asia/Tokyo"
    filled = tool_calls.apply(messages, {call.index: (edited, result.content)})
    assert filled[1].tool_calls[0].arguments == edited and filled[2].content == result.content


def test_a_server_that_cannot_be_used_is_the_calls_error_result_and_the_conversation_goes_on() -> None:
    messages = _round(ToolCallRow(id="c1", name="get_current_time", arguments="{}"))
    [call] = tool_calls.waiting(messages, {"get_current_time": "time"})
    result = tool_calls.answer(call, "{}", {}, {})  # the operator removed the server since
    assert result.error and "No MCP server named “time” is configured" in json.loads(result.content)["error"]
    bad = tool_calls.answer(call, "[1]", TIME, {})
    assert bad.error and "JSON object" in json.loads(bad.content)["error"]
    assert tool_calls.arguments_problem("[1]") and tool_calls.arguments_problem('{"a": 1}') is None


def test_a_declined_call_tells_the_model_so() -> None:
    assert json.loads(tool_calls.declined().content) == {"error": tool_calls.DECLINED}
    assert demo_tools.answer("nope", "{}") is None


def test_calls_run_without_review_only_when_every_source_was_approved() -> None:
    demo = tool_calls.Call(index=2, id="c1", name="get_weather", arguments="{}", source=tool_calls.DEMO)
    timed = demo.model_copy(update={"id": "c2", "name": "get_current_time", "source": "time"})
    nobody = demo.model_copy(update={"id": "c3", "name": "lookup_stock", "source": ""})
    assert tool_calls.need_review([demo], set())
    assert not tool_calls.need_review([demo], {tool_calls.DEMO})
    assert tool_calls.need_review([demo, timed], {tool_calls.DEMO})
    assert not tool_calls.need_review([demo, timed], {tool_calls.DEMO, "time"})
    assert tool_calls.need_review([nobody], {tool_calls.DEMO, ""})  # nothing here can answer it: the person does


def test_run_tools_and_continue_runs_approved_calls_as_written_else_waits_for_the_review() -> None:
    demo = tool_calls.Call(index=2, id="c1", name="get_weather", arguments='{"city": "Paris"}', source=tool_calls.DEMO)
    timed = demo.model_copy(update={"id": "c2", "name": "get_current_time", "source": "time"})
    assert tool_calls.to_run([demo, timed], {tool_calls.DEMO}) is None  # "time" was not approved: the review first
    assert tool_calls.to_run([], {tool_calls.DEMO}) is None  # nothing waits: nothing runs
    assert tool_calls.to_run([demo, timed], {tool_calls.DEMO, "time"}) == {
        "c1": tool_calls.Decision(action="run", arguments='{"city": "Paris"}'),
        "c2": tool_calls.Decision(action="run", arguments='{"city": "Paris"}'),
    }
    reviewed = {
        "c1": tool_calls.Decision(action="run", arguments='{"city": "Lima"}'),
        "c2": tool_calls.Decision(action="decline"),
    }
    assert tool_calls.to_run([demo, timed], set(), reviewed) == reviewed  # the person's choices, edits included
    assert tool_calls.to_run([], set(), {}) == {}  # Continue in a review whose calls were answered meanwhile: go on


def test_typed_results_and_declines_are_written_as_chosen() -> None:
    messages = _round(
        ToolCallRow(id="c1", name="get_weather", arguments='{"city": "Paris"}'),
        ToolCallRow(id="c2", name="get_weather", arguments='{"city": "Rome"}'),
    )
    calls = tool_calls.waiting(messages, {})
    chosen = {
        "c1": tool_calls.Decision(action="typed", result='{"temperature": 31}'),
        "c2": tool_calls.Decision(action="decline"),
    }
    filled = tool_calls.decided(messages, calls, chosen, {}, {})
    assert filled[2].content == '{"temperature": 31}'
    assert json.loads(filled[3].content) == {"error": tool_calls.DECLINED}
    assert filled[1] == messages[1]  # nothing ran: the calls stay as the model wrote them
