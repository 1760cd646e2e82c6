"""playground.notebook: cells and notebooks as data, the exported file format, conversations from JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground.errors import BadRequestError, FieldError, NetworkError, RequestError
from playground.notebook import (
    FORMAT,
    FORMAT_VERSION,
    AttachedImage,
    Cell,
    CellError,
    ChatMessage,
    Notebook,
    NotebookFile,
    ToolCallRow,
    conversation_from_json,
    conversation_to_json,
    message_key,
    new_id,
    preview,
    safe_base_url,
    snippet,
    valid_id,
)
from playground.response import Completion, from_chat_completion

SECRET = "xai-NOTEBOOK-SECRET-KEY-0123456789"
CREDENTIALED = "https://alice:s3cretpass@llm.example.test/v1"


def completion(text: str = "Red, green, blue.", **message: Any) -> Completion:
    return from_chat_completion(
        {
            "id": "abc",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "smollm2",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, **message}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
        }
    )


def a_cell(**extra: Any) -> Cell:
    values: dict[str, Any] = {
        "backend": "embedded",
        "base_url": "http://127.0.0.1:8000/v1",
        "model": "smollm2",
        "body": {"model": "smollm2", "messages": [{"role": "user", "content": "Colours?"}], "temperature": 0.3},
        "conversation": [ChatMessage(content="Colours?")],
        "settings": {"temperature": 0.3},
    }
    values.update(extra)
    return Cell(**values)


def a_notebook(**extra: Any) -> Notebook:
    values: dict[str, Any] = {
        "title": "Colours",
        "conversation": [ChatMessage(role="system", content="Be brief."), ChatMessage(content="Colours?")],
        "settings": {"temperature": 0.3},
        "cells": [a_cell(status="done", completion=completion())],
    }
    values.update(extra)
    return Notebook(**values)


# ------------------------------------------------------------------------------------ ids and URLs


def test_new_ids_are_valid_distinct_and_only_that_shape_is_valid() -> None:
    ids = {new_id() for _ in range(50)}
    assert len(ids) == 50 and all(valid_id(i) for i in ids)
    for bad in (
        None,
        12,
        "",
        "ABCDEF0123456789",
        "0123456789abcde",
        "0123456789abcdef0",
        "../../etc/passwd1",
        "g123456789abcdef",
    ):
        assert not valid_id(bad), bad


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "https://api.x.ai/v1", "https://host.example:8443/openai/v1"])
def test_safe_base_url_keeps_plain_urls(url: str) -> None:
    assert safe_base_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        CREDENTIALED,
        "https://token@host.example/v1",
        "https://host.example/v1?api_key=abc",
        "https://host.example/v1#key=abc",
        "http://[::1/v1",
        "",
        None,
        42,
    ],
)
def test_safe_base_url_refuses_what_can_carry_credentials(url: object) -> None:
    assert safe_base_url(url) is None


# ------------------------------------------------------------------------------------ messages


def test_message_to_request_leaves_out_empty_optional_keys() -> None:
    assert ChatMessage(content="Hi").to_request() == {"role": "user", "content": "Hi"}
    assert ChatMessage(content="Hi", name="  ann ").to_request() == {"role": "user", "content": "Hi", "name": "ann"}
    assert ChatMessage(role="tool", tool_call_id="call_1", content="{}").to_request() == {
        "role": "tool",
        "content": "{}",
        "tool_call_id": "call_1",
    }


def test_an_assistant_tool_call_without_text_sends_null_content() -> None:
    m = ChatMessage(role="assistant", tool_calls=[ToolCallRow(id="c1", name="get_weather", arguments='{"city":"Paris"}')])
    assert m.to_request() == {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}],
    }


# ------------------------------------------------------------------------------------ cells


def test_cell_text_comes_from_the_completion_else_the_partial_text() -> None:
    assert a_cell(completion=completion("Done text"), partial={0: "Do"}).text() == "Done text"
    assert a_cell(partial={0: "Half an ans"}).text() == "Half an ans"
    assert a_cell().text() == ""
    assert a_cell(completion=completion()).text(3) == ""  # no such choice: nothing, not an exception


def test_cell_position_and_finished() -> None:
    cell = a_cell(conversation=[ChatMessage(content="a"), ChatMessage(role="assistant", content="b"), ChatMessage(content="c")])
    assert cell.at == 3
    assert not cell.finished
    for status in ("stopped", "interrupted", "done", "error"):
        assert cell.model_copy(update={"status": status}).finished
    for status in ("new", "streaming", "pending"):
        assert not cell.model_copy(update={"status": status}).finished


def test_cell_error_of_each_kind() -> None:
    upstream = CellError.of(
        BadRequestError(
            "Bad temperature", status=422, server_message="temperature too high", param="temperature", advice="Fix it."
        )
    )
    assert upstream.model_dump() == {
        "kind": "BadRequestError",
        "message": "Bad temperature",
        "status": 422,
        "param": "temperature",
        "server_message": "temperature too high",
        "advice": "Fix it.",
    }
    again = upstream.upstream()  # as the page shows it under Run after a reload
    assert isinstance(again, BadRequestError) and (again.status, again.param, again.advice) == (422, "temperature", "Fix it.")
    request = CellError.of(RequestError([FieldError("top_p", "Give a number from 0 to 1.", "less_than_equal")]))
    assert (request.kind, request.param, request.status) == ("RequestError", "top_p", None)
    network = CellError.of(NetworkError("Could not reach the server (ConnectError)."))
    assert (network.kind, network.status, network.message) == ("NetworkError", None, "Could not reach the server (ConnectError).")


def test_differences_are_empty_while_the_cell_still_answers_the_screen() -> None:
    cell = a_cell(settings={"temperature": 0.3, "stop": ""})
    later = [*cell.conversation, ChatMessage(role="assistant", content="Red.")]  # messages after it do not count
    assert cell.differences(later, {"temperature": 0.3, "stop": None}) == []  # "" and None are both "empty"


def test_differences_name_changed_messages_settings_and_a_shorter_conversation() -> None:
    cell = a_cell(
        conversation=[
            ChatMessage(content="Colours?"),
            ChatMessage(role="assistant", content="Red."),
            ChatMessage(content="More?"),
        ],
        settings={"temperature": 0.3, "seed": 7, "response_format.schema": "{}"},
    )
    now = [ChatMessage(content="Colors?"), ChatMessage(role="assistant", content="Red.")]
    out = cell.differences(now, {"temperature": 0.7, "response_format.schema": '{"type": "object"}'})
    assert out == [
        "The conversation is shorter now (2 messages; this run answered 3).",
        "Message 1 changed.",
        'Response format schema: {} → {"type": "object"}.',
        "Seed: 7 → empty.",
        "Temperature: 0.3 → 0.7.",
    ]


def test_differences_name_a_variable_whose_value_changed() -> None:
    cell = a_cell(conversation=[ChatMessage(content="Weather in {{city}} on {{day}}?")])
    cell = cell.model_copy(update={"variables": {"city": "Paris", "day": "Monday"}})
    assert cell.differences(cell.conversation, cell.settings, {"city": "Paris", "day": "Monday", "other": "x"}) == []
    assert cell.differences(cell.conversation, cell.settings, {"city": "Lima", "day": ""}) == [
        "{{city}}: Paris → Lima.",
        "{{day}}: Monday → empty.",
    ]
    assert cell.differences(cell.conversation, cell.settings) == []  # no values given (a shared view): not compared


def test_differences_ignore_the_key_the_model_memory_and_builder_rows_and_shorten_long_values() -> None:
    cell = a_cell(settings={"api_key": "old", "model.embedded": "a", "logit_bias.rows": [], "user": "x" * 100})
    out = cell.differences(
        cell.conversation, {"api_key": SECRET, "model.embedded": "b", "logit_bias.rows": [{"token": "1"}], "user": "y"}
    )
    assert out == [f"User: {'x' * 37}… → y."]
    assert SECRET not in " ".join(out)


def test_what_a_cell_sent_is_derived_once_shared_by_copies_and_not_part_of_its_value() -> None:
    cell = a_cell()
    twin = cell.model_copy(deep=True)
    digest, keys = cell.sent()
    assert cell == twin and Cell.model_validate_json(cell.model_dump_json()) == cell  # a cache, not the cell's value
    assert cell.sent()[1] is keys and cell.clean().sent()[1] is keys  # derived once, shared by a shallow copy
    assert twin.sent() == (digest, keys)  # the same content, the same digest
    assert cell.differences(keys, cell.settings) == [] and cell.differences(keys[:-1], cell.settings) != []  # keyed messages
    other = cell.model_copy(update={"conversation": [ChatMessage(content="Shapes?")]})
    assert other.sent()[0] != digest and other.differences(cell.conversation, cell.settings) == ["Message 1 changed."]
    assert cell.sent()[0] == digest and cell.differences(cell.conversation, cell.settings) == []
    body = cell.model_copy(update={"body": {**cell.body, "seed": 1}})
    assert body.sent()[0] != digest and body.sent()[1] == keys


def test_a_message_key_holds_every_field_of_the_message() -> None:
    assert set(ChatMessage.model_fields) == {"role", "content", "name", "tool_call_id", "tool_calls", "images"}  # else key it
    m = ChatMessage(role="assistant", content="Hi", name="n", tool_call_id="", tool_calls=[ToolCallRow(id="c", name="f")])
    changed = [
        m.model_copy(update={"role": "user"}),
        m.model_copy(update={"content": "Ho"}),
        m.model_copy(update={"name": "o"}),
        m.model_copy(update={"tool_call_id": "t"}),
        m.model_copy(update={"tool_calls": [ToolCallRow(id="c", name="f", arguments='{"a": 1}')]}),
        m.model_copy(update={"images": [AttachedImage(url="https://example.com/a.png")]}),
    ]
    assert message_key(m.model_copy(deep=True)) == message_key(m)
    assert all(message_key(other) != message_key(m) for other in changed)


# ------------------------------------------------------------------------------------ notebooks


def test_an_untouched_notebook_is_empty_and_anything_made_is_not() -> None:
    assert Notebook().is_empty()
    assert Notebook(conversation=[ChatMessage(), ChatMessage(role="system", content="  ")]).is_empty()
    assert not Notebook(title="Mine").is_empty()
    assert not Notebook(conversation=[ChatMessage(content="Hi")]).is_empty()
    assert not Notebook(conversation=[ChatMessage(role="assistant", tool_calls=[ToolCallRow(name="f")])]).is_empty()
    assert not Notebook(cells=[a_cell()]).is_empty()
    assert not Notebook(comparisons=[{"seeds": [1, 2]}]).is_empty()


def test_search_text_holds_the_title_and_every_message_lowercased() -> None:
    nb = a_notebook(title="Weather DEMO")
    assert nb.search_text() == "weather demo\nbe brief.\ncolours?"


def test_title_from_the_first_line_of_the_first_user_message() -> None:
    assert a_notebook().title_from_conversation() == "Colours?"
    lines = Notebook(conversation=[ChatMessage(role="system", content="sys"), ChatMessage(content="\n  Why   is it?\nword\n")])
    assert lines.title_from_conversation() == "Why is it?"
    long = Notebook(conversation=[ChatMessage(content="word " * 20)])
    assert long.title_from_conversation() == "word " * 11 + "word…"  # cut between words, near 60 characters
    one_word = Notebook(conversation=[ChatMessage(content="x" * 100)]).title_from_conversation()
    assert one_word == "x" * 60 + "…"
    assert Notebook(title="Kept").title_from_conversation() == "Kept"


def test_a_notebook_saved_before_titles_followed_messages_keeps_a_title_someone_chose() -> None:
    assert Notebook.model_validate({"title": "Mine"}).named
    assert not Notebook.model_validate({"title": "Untitled notebook"}).named
    assert not Notebook.model_validate({}).named
    assert Notebook().duplicate().named  # "Copy of …" is a name


def test_snippet_and_preview() -> None:
    assert snippet("Hello  big\nworld", "BIG world") == ("Hello ", "big world", "")
    assert snippet("abc", "zzz") is None and snippet("abc", "  ") is None
    assert preview(["", "first\nsecond", None, "x", "y"]) == ["first", "x"]


def test_cell_lookup_and_duplicate() -> None:
    nb = a_notebook(version=4)
    assert nb.cell(nb.cells[0].id) is nb.cells[0]
    assert nb.cell("nope") is None
    copy = nb.duplicate()
    assert copy.id != nb.id and valid_id(copy.id)
    assert (copy.title, copy.version) == ("Copy of Colours", 0)
    copy.conversation[0].content = "changed"
    assert nb.conversation[0].content == "Be brief."  # a deep copy


def test_clean_drops_the_key_and_credentialed_urls() -> None:
    nb = a_notebook(
        settings={"api_key": SECRET, "base_url": CREDENTIALED, "temperature": 0.3},
        cells=[a_cell(base_url=CREDENTIALED, settings={"api_key": SECRET, "temperature": 0.3})],
    )
    clean = nb.clean()
    assert clean.settings == {"base_url": "", "temperature": 0.3}
    assert clean.cells[0].base_url is None and clean.cells[0].settings == {"temperature": 0.3}
    assert nb.settings["api_key"] == SECRET  # the notebook in hand is not changed
    plain = a_notebook(settings={"base_url": "http://127.0.0.1:8000/v1"}).clean()
    assert plain.settings["base_url"] == "http://127.0.0.1:8000/v1"


def test_clean_drops_a_credentialed_base_url_from_cell_settings() -> None:
    nb = a_notebook(cells=[a_cell(settings={"base_url": CREDENTIALED})])
    assert "s3cretpass" not in nb.clean().model_dump_json()


def test_clean_keeps_a_cell_with_nothing_to_take_out_as_it_is() -> None:
    """A save cleans every cell of the notebook: one with no secret and no credentialed URL is not copied."""
    plain, secret = a_cell(settings={"temperature": 0.3}), a_cell(settings={"api_key": SECRET})
    clean = a_notebook(cells=[plain, secret]).clean()
    assert clean.cells[0] is plain and clean.cells[1] is not secret


# ------------------------------------------------------------------------------------ exported files


def test_file_round_trip_gives_a_new_id_version_0_and_no_secrets() -> None:
    nb = a_notebook(
        version=7,
        settings={"api_key": SECRET, "base_url": CREDENTIALED, "temperature": 0.3},
        cells=[
            a_cell(
                status="done",
                completion=completion(),
                base_url=CREDENTIALED,
                settings={"api_key": SECRET, "temperature": 0.3},
                partial={0: "Red"},
            )
        ],
    )
    text = NotebookFile.dump(nb)
    assert SECRET not in text and "s3cretpass" not in text
    head = json.loads(text)
    assert (head["format"], head["version"]) == (FORMAT, FORMAT_VERSION)

    loaded, notes = NotebookFile.load(text.encode())
    assert notes == []
    assert loaded.id != nb.id and valid_id(loaded.id)
    assert loaded.version == 0
    assert loaded.settings == {"base_url": "", "temperature": 0.3}
    assert loaded.title == nb.title and loaded.conversation == nb.conversation and loaded.created == nb.created
    cell = loaded.cells[0]
    assert cell.completion == nb.cells[0].completion
    assert cell.partial == {0: "Red"} and cell.base_url is None and cell.settings == {"temperature": 0.3}
    assert cell.body == nb.cells[0].body and cell.id == nb.cells[0].id


def test_an_import_says_which_file_it_came_from() -> None:
    text = NotebookFile.dump(a_notebook())
    assert NotebookFile.load(text, "team demo.notebook.json")[0].imported_from == "team demo.notebook.json"
    assert NotebookFile.load(text)[0].imported_from == "a file"
    assert a_notebook().imported_from is None


def test_two_imports_of_one_file_are_two_notebooks() -> None:
    text = NotebookFile.dump(a_notebook())
    assert NotebookFile.load(text)[0].id != NotebookFile.load(text)[0].id


def damaged(path: list[Any], value: Any) -> str:
    data = json.loads(NotebookFile.dump(a_notebook()))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"{not json", "This file is not JSON"),
        (b"\xff\xfe\x00junk", "This file is not JSON"),
        ("[1, 2]", 'This is not a notebook file (its "format" should be "chat-completions-playground/notebook")'),
        (json.dumps({"format": "something-else", "version": 1, "notebook": {}}), "This is not a notebook file"),
        (json.dumps({"notebook": {}}), "This is not a notebook file"),
        (damaged(["version"], 2), "This notebook file has version 2; this playground reads version 1."),
        (damaged(["version"], "1"), "This notebook file has version '1'"),
        (damaged(["notebook", "cells", 0, "status"], "exploded"), "This notebook file is damaged at notebook.cells.0.status:"),
        (damaged(["notebook", "conversation", 1, "role"], "wizard"), "damaged at notebook.conversation.1.role:"),
        (damaged(["notebook", "cells", 0, "body"], "not a body"), "damaged at notebook.cells.0.body:"),
    ],
)
def test_bad_files_are_refused_in_plain_words(data: bytes | str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        NotebookFile.load(data)
    assert words in str(caught.value)


def test_a_damaged_file_counts_its_problems() -> None:
    data = json.loads(NotebookFile.dump(a_notebook()))
    data["notebook"]["cells"][0]["status"] = "exploded"
    data["notebook"]["conversation"][0]["role"] = "wizard"
    with pytest.raises(ValueError, match=r"\(2 problem\(s\) in all\)"):
        NotebookFile.load(json.dumps(data))


# ------------------------------------------------------------------------------------ conversations as JSON


def test_conversation_from_a_plain_array() -> None:
    data = json.dumps(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi", "name": "ann"},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": "there"}]},
        ]
    )
    messages, notes = conversation_from_json(data)
    assert messages == [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(content="Hi", name="ann"),
        ChatMessage(role="assistant", content="Hello\nthere"),
    ]
    assert notes == []


def test_conversation_from_an_object_holding_messages() -> None:
    request = {"model": "grok-4", "temperature": 0.2, "messages": [{"role": "user", "content": "Colours?"}]}
    assert conversation_from_json(json.dumps(request).encode()) == ([ChatMessage(content="Colours?")], [])


def test_api_tool_calls_are_read_whatever_the_arguments_type() -> None:
    data = json.dumps(
        [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
                    {"id": "c2", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
            {"role": "tool", "tool_call_id": "c2", "content": "snow"},
        ]
    )
    messages, notes = conversation_from_json(data)
    assert messages[1] == ChatMessage(
        role="assistant",
        tool_calls=[
            ToolCallRow(id="c1", name="get_weather", arguments='{"city": "Paris"}'),
            ToolCallRow(id="c2", name="get_weather", arguments='{"city": "Oslo"}'),
        ],
    )
    assert [(m.role, m.tool_call_id, m.content) for m in messages[2:]] == [("tool", "c1", "sunny"), ("tool", "c2", "snow")]
    assert notes == []


def test_the_seed_documents_tool_message_becomes_a_call_and_a_result() -> None:
    """The seed's example: a tool message with `name` and `arguments`; here without a tool_call_id."""
    seed = {
        "model": "grok-2-latest",
        "messages": [
            {"role": "system", "content": "You are an AI that provides weather information."},
            {"role": "user", "content": "Tell me the weather in Seoul."},
            {"role": "tool", "name": "get_weather", "arguments": {"city": "Seoul", "unit": "metric"}},
            {"role": "assistant", "content": "The current weather in Seoul is clear, with a temperature of 12°C."},
        ],
    }
    messages, notes = conversation_from_json(json.dumps(seed, ensure_ascii=False))
    assert [m.role for m in messages] == ["system", "user", "assistant", "tool", "assistant"]
    call = messages[2]
    assert call.content == "" and len(call.tool_calls) == 1
    row = call.tool_calls[0]
    assert row.name == "get_weather" and row.id == "call_2"
    assert json.loads(row.arguments) == {"city": "Seoul", "unit": "metric"}
    tool = messages[3]
    assert tool.tool_call_id == row.id and json.loads(tool.content) == {"city": "Seoul", "unit": "metric"}
    assert messages[4].content.endswith("12°C.")
    assert len(notes) == 1
    assert "Message 3 used the seed document's tool shape" in notes[0] and "get_weather" in notes[0]
    # and what was read can be sent: the result answers the call
    from playground.request import build_request

    built = build_request({"model": "m"}, [m.to_request() for m in messages])
    assert built.request.to_body()["messages"][3]["tool_call_id"] == "call_2"


def test_the_seed_tool_message_keeps_its_own_id_and_result() -> None:
    data = json.dumps(
        [
            {"role": "user", "content": "Seoul?"},
            {
                "role": "tool",
                "tool_call_id": "123456",
                "name": "get_weather",
                "arguments": '{"city":"Seoul"}',
                "result": {"temperature": 12},
            },
        ]
    )
    messages, notes = conversation_from_json(data)
    assert messages[1].tool_calls == [ToolCallRow(id="123456", name="get_weather", arguments='{"city":"Seoul"}')]
    assert messages[2] == ChatMessage(role="tool", tool_call_id="123456", content='{"temperature": 12}')
    assert "the result" in notes[0]


def test_conversation_json_round_trip() -> None:
    conversation = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(content="Weather in Paris?", name="ann"),
        ChatMessage(role="assistant", tool_calls=[ToolCallRow(id="c1", name="get_weather", arguments='{"city": "Paris"}')]),
        ChatMessage(role="tool", tool_call_id="c1", content='{"temperature": 12}'),
        ChatMessage(role="assistant", content="It is 12 °C in Paris."),
    ]
    text = conversation_to_json(conversation)
    assert json.loads(text)[2]["content"] is None
    assert "12 °C" in text  # not escaped
    assert conversation_from_json(text) == (conversation, [])


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("{oops", "This file is not JSON"),
        ('"just text"', 'Give a JSON array of messages, or an object with a "messages" array.'),
        ('{"messages": "hi"}', "Give a JSON array of messages"),
        ('[{"role": "user", "content": "hi"}, 5]', "Message 2 is not an object."),
        ('[{"role": "wizard", "content": "hi"}]', "Message 1 cannot be read: role:"),
        ('[{"role": "user", "content": "a"}, {"role": 3, "content": "b"}]', "Message 2 cannot be read: role:"),
        ('[{"role": "tool", "arguments": {"city": "Seoul"}}]', "name"),  # the seed's shape needs the tool's name
    ],
)
def test_bad_conversations_are_refused_naming_the_message(data: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        conversation_from_json(data)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "message",
    [
        {"role": "assistant", "tool_calls": ["get_weather"]},
        {"role": "assistant", "tool_calls": [{"id": "c1", "function": "get_weather"}]},
    ],
)
def test_malformed_tool_calls_are_a_value_error_naming_the_message(message: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Message 2"):
        conversation_from_json(json.dumps([{"role": "user", "content": "Weather?"}, message]))


def test_a_bad_message_after_a_seed_tool_message_is_named_by_its_own_position() -> None:
    data = json.dumps(
        [
            {"role": "user", "content": "Seoul?"},
            {"role": "tool", "name": "get_weather", "arguments": {"city": "Seoul"}},
            {"role": "wizard", "content": "x"},
        ]
    )
    with pytest.raises(ValueError, match="^Message 3 cannot be read"):
        conversation_from_json(data)


def test_the_compare_set_up_goes_out_and_comes_back_with_the_notebook_file() -> None:
    nb = a_notebook(compare={"seeds": "4, 5, 6", "mode": "sweep", "sweep.field": "top_p"})
    loaded, _ = NotebookFile.load(NotebookFile.dump(nb))
    assert loaded.compare == {"seeds": "4, 5, 6", "mode": "sweep", "sweep.field": "top_p"}
    older = json.loads(NotebookFile.dump(a_notebook()))
    del older["notebook"]["compare"]  # a file from before the set-up was kept
    assert NotebookFile.load(json.dumps(older))[0].compare == {}
    assert not Notebook(compare={"seeds": "4, 5, 6"}).is_empty()  # a set-up alone is kept too
