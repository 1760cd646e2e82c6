"""The tool and schema builder under Streamlit's AppTest: the Playground sidebar's form, its JSON tab, the
library and the Tools & schemas page, and the checks under each answer. Widgets are reached by the keys of
components/state.py (`builder_key(scope, path, setting)`); the two model runs use the real embedded model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import examples
from playground.builder import rows_from_settings, schema_from_settings
from playground.library import Library
from playground.notebook import Cell, Notebook, NotebookFile
from playground.response import ContentBlock
from playground.store import NotebookStore
from tests.core.schema_cases import BAD_TOOLS
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
TOOL = keys.sidebar_tool
SCHEMA = keys.SIDEBAR_SCHEMA


def k(scope: str, setting: str, *path: int | str) -> str:
    return keys.builder_key(scope, path, setting)


def ok(app: AppTest) -> AppTest:
    assert not app.exception, app.exception
    return app


def texts(app: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "error", "info", "warning", "text", "code") for e in getattr(app, kind)]
    return readable("\n".join(str(p) for p in parts))


def notebook(app: AppTest) -> Notebook:
    return app.session_state[keys.NOTEBOOK]


def cells(app: AppTest) -> list[Cell]:
    return notebook(app).cells


def sent_tools(app: AppTest) -> Any:
    """What the JSON tab shows: the tools that are on, as sent."""
    text = app.text_area(key=keys.field("tools")).value
    return json.loads(text) if text else None


def edit(app: AppTest, scope: str) -> None:
    """Open a tool's (or the response schema's) form: a dialog as wide as the page."""
    app.button(key=k(scope, "edit")).click().run()
    ok(app)


def type_in(app: AppTest, key: str, value: str) -> None:
    app.text_input(key=key).set_value(value).run()
    ok(app)


def define_get_weather(app: AppTest) -> None:
    """As a person does it: an empty tool, its name, a required `city`, an enum `unit`."""
    app.button(key=keys.TOOLS_NEW).click().run()
    type_in(app, k(TOOL(0), "name"), "get_weather")
    app.text_area(key=k(TOOL(0), "description")).set_value("Current weather in a city").run()
    app.button(key=k(TOOL(0), "add")).click().run()
    type_in(app, k(TOOL(0), "name", 0), "city")
    app.checkbox(key=k(TOOL(0), "required", 0)).check().run()
    app.button(key=k(TOOL(0), "add")).click().run()
    type_in(app, k(TOOL(0), "name", 1), "unit")
    type_in(app, k(TOOL(0), "enum", 1), "celsius, fahrenheit")
    ok(app)


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}


def test_a_tool_defined_in_the_form_is_sent_called_and_checked(at: AppTest) -> None:
    define_get_weather(at)
    assert sent_tools(at) == [WEATHER]  # the JSON follows the form at once
    assert notebook(at).settings["tools"] == [WEATHER]  # and the notebook keeps it
    json.dumps(at.session_state[keys.BUILDER_TOOLS])  # plain data in the session, see builder.dump
    at.selectbox(key=keys.field("tool_choice")).set_value("required")
    at.slider(key=keys.field("temperature")).set_value(0.0)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(60).run()
    at.chat_input(key=keys.CHAT_INPUT).set_value("What is the weather in Paris?").run()
    ok(at)
    (cell,) = cells(at)
    assert cell.body["tools"] == [WEATHER] and cell.body["tool_choice"] == "required"
    assert cell.completion is not None
    (call,) = cell.completion.tool_uses(0)
    assert call.name == "get_weather" and isinstance((call.input or {}).get("city"), str)
    assert "✅ Valid" in texts(at) and "`get_weather`" in texts(at)


def test_rows_are_added_removed_and_nested(at: AppTest) -> None:
    at.button(key=keys.TOOLS_NEW).click().run()
    scope = TOOL(0)
    type_in(at, k(scope, "name"), "plan_trip")
    for _ in range(3):
        at.button(key=k(scope, "add")).click().run()
    type_in(at, k(scope, "name", 0), "drop_me")
    type_in(at, k(scope, "name", 1), "traveller")
    at.selectbox(key=k(scope, "type", 1)).set_value("object").run()
    at.button(key=k(scope, "add", 1)).click().run()  # a field of the object
    type_in(at, k(scope, "name", 1, 0), "age")
    at.selectbox(key=k(scope, "type", 1, 0)).set_value("integer").run()
    type_in(at, k(scope, "name", 2), "stops")
    at.selectbox(key=k(scope, "type", 2)).set_value("array").run()
    at.selectbox(key=k(scope, "type", 2, "items")).set_value("object").run()
    at.button(key=k(scope, "add", 2, "items")).click().run()  # a field of each item
    type_in(at, k(scope, "name", 2, "items", 0), "city")
    at.checkbox(key=k(scope, "required", 2, "items", 0)).check().run()
    at.button(key=k(scope, "delete", 0)).click().run()  # the rows below move up, values intact
    ok(at)
    assert at.text_input(key=k(scope, "name", 0)).value == "traveller"
    assert at.text_input(key=k(scope, "name", 1, "items", 0)).value == "city"
    (tool,) = sent_tools(at)
    assert tool["function"]["parameters"] == {
        "type": "object",
        "properties": {
            "traveller": {"type": "object", "properties": {"age": {"type": "integer"}}},
            "stops": {
                "type": "array",
                "items": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            },
        },
    }
    assert not at.button(key=keys.RUN).disabled


def test_more_settings_reach_the_json(at: AppTest) -> None:
    at.button(key=keys.TOOLS_NEW).click().run()
    scope = TOOL(0)
    at.button(key=k(scope, "add")).click().run()
    type_in(at, k(scope, "name", 0), "count")
    at.selectbox(key=k(scope, "type", 0)).set_value("integer").run()
    type_in(at, k(scope, "minimum", 0), "1")
    type_in(at, k(scope, "maximum", 0), "ten")  # not a number: said so, not sent
    at.checkbox(key=k(scope, "nullable", 0)).check().run()
    type_in(at, k(scope, "default", 0), "3")
    (tool,) = sent_tools(at)
    assert tool["function"]["parameters"]["properties"]["count"] == {"type": ["integer", "null"], "default": 3, "minimum": 1}
    assert "Give a whole number." in texts(at)


def test_problems_show_on_their_row_block_run_and_go_when_fixed(at: AppTest) -> None:
    define_get_weather(at)
    at.selectbox(key=k(TOOL(0), "type", 1)).set_value("integer").run()  # celsius is not a whole number
    errors = [readable(e.value) for e in at.sidebar.error]
    assert any("`celsius` is not a whole number" in e for e in errors), errors
    assert any(e.startswith("get_weather › unit: Allowed value") for e in errors), (
        errors
    )  # the list under the field says which row
    assert at.button(key=keys.RUN).disabled
    type_in(at, k(TOOL(0), "enum", 1), "1, 2")
    assert not at.sidebar.error and not at.button(key=keys.RUN).disabled
    assert sent_tools(at)[0]["function"]["parameters"]["properties"]["unit"] == {"type": "integer", "enum": [1, 2]}
    type_in(at, k(TOOL(0), "name"), "get weather")
    assert any("may use only letters, digits" in readable(e.value) for e in at.sidebar.error)
    assert at.button(key=keys.RUN).disabled


def test_each_problem_of_the_tools_is_said_once_under_the_field_naming_where(at: AppTest) -> None:
    """A bad name, two bad parameters and a repeated name: four problems, four messages, each naming its place."""
    at.text_area(key=keys.field("tools")).set_value(json.dumps(BAD_TOOLS)).run()
    ok(at)
    errors = [readable(e.value) for e in at.sidebar.error]
    assert len(errors) == len(set(errors)) == 4, errors
    assert sum("`get weather` may use only letters" in e and "Tool 1 name" in e for e in errors) == 1, errors
    assert sum("unit" in e and '"strin" is not a type' in e for e in errors) == 1, errors
    assert sum("days" in e and "minimum" in e for e in errors) == 1, errors
    assert sum("Tool 3 name" in e and "also named `lookup`" in e for e in errors) == 1, errors
    assert at.button(key=keys.RUN).disabled


def test_pasting_an_array_of_two_tools_fills_the_form(at: AppTest) -> None:
    convert = {
        "name": "convert_units",
        "description": "Convert",
        "input_schema": {"type": "object", "properties": {"value": {"type": "number"}}, "required": ["value"]},
    }  # the seed's shorter shape
    at.text_area(key=keys.field("tools")).set_value(json.dumps([examples.GET_WEATHER, convert])).run()
    ok(at)
    edit(at, TOOL(0))
    assert at.text_input(key=k(TOOL(0), "name")).value == "get_weather"
    assert at.text_input(key=k(TOOL(0), "name", 1)).value == "unit"
    assert at.text_input(key=k(TOOL(0), "enum", 1)).value == "metric, imperial"
    edit(at, TOOL(1))
    assert at.text_input(key=k(TOOL(1), "name")).value == "convert_units"
    assert at.checkbox(key=k(TOOL(1), "required", 0)).value is True
    assert [t["function"]["name"] for t in sent_tools(at)] == ["get_weather", "convert_units"]
    assert sent_tools(at)[1]["function"]["parameters"] == convert["input_schema"]
    assert set(at.selectbox(key=keys.field("tool_choice")).options) >= {"function: get_weather", "function: convert_units"}


def test_unreadable_json_is_kept_until_the_form_changes(at: AppTest) -> None:
    define_get_weather(at)
    at.text_area(key=keys.field("tools")).set_value('[{"type": "function", "function": {"name": "x",').run()
    assert at.text_area(key=keys.field("tools")).value.endswith('"x",')  # kept as typed
    assert any("This is not valid JSON" in e.value and "line 1" in e.value for e in at.sidebar.error)
    assert at.button(key=keys.RUN).disabled
    type_in(at, k(TOOL(0), "name"), "weather_now")  # an edit in the form: the form wins again
    assert sent_tools(at)[0]["function"]["name"] == "weather_now" and not at.button(key=keys.RUN).disabled


def test_what_the_form_cannot_show_stays_json_and_is_sent_whole(at: AppTest) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "pick",
            "parameters": {"type": "object", "properties": {"choice": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}},
        },
    }
    at.text_area(key=keys.field("tools")).set_value(json.dumps(tool)).run()
    ok(at)
    edit(at, TOOL(0))
    assert any("`oneOf`" in i.value and "$.function.parameters.properties.choice.oneOf" in i.value for i in at.info)
    assert json.loads(at.text_area(key=k(TOOL(0), "json")).value) == tool
    assert sent_tools(at) == [tool]


def test_a_tool_switched_off_is_kept_but_not_sent(at: AppTest) -> None:
    at.button(key=keys.TOOLS_EXAMPLE).click().run()
    at.button(key=keys.tools_preset("convert_units")).click().run()
    at.toggle(key=k(TOOL(0), "on")).set_value(False).run()
    ok(at)
    assert [t["function"]["name"] for t in sent_tools(at)] == ["convert_units"]
    rows = notebook(at).settings["tools.rows"]
    assert [r["on"] for r in rows] == [False, True]
    edit(at, TOOL(1))
    at.button(key=k(TOOL(1), "remove")).click().run()
    assert sent_tools(at) is None
    edit(at, TOOL(0))
    assert at.text_input(key=k(TOOL(0), "name")).value == "get_weather"


def test_the_response_schema_form_with_its_example(at: AppTest) -> None:
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    assert "“weather_report”: an object with temperature, condition" in texts(at)  # the seed's schema, in a line
    edit(at, SCHEMA)
    assert at.text_input(key=k(SCHEMA, "name")).value == "weather_report"  # the seed's schema to start from
    assert any('"condition": "example"' in c.value for c in at.code)  # what a valid answer looks like
    at.button(key=keys.SCHEMA_EMPTY).click().run()  # an empty schema opens in its form
    type_in(at, k(SCHEMA, "name"), "verdict")
    at.button(key=k(SCHEMA, "add")).click().run()
    type_in(at, k(SCHEMA, "name", 0), "answer")
    type_in(at, k(SCHEMA, "enum", 0), "yes, no")
    at.checkbox(key=k(SCHEMA, "required", 0)).check().run()
    spec = json.loads(at.text_area(key=keys.RESPONSE_SCHEMA).value)
    assert spec == {
        "name": "verdict",
        "strict": True,
        "schema": {"type": "object", "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}}, "required": ["answer"]},
    }
    assert any(c.value == '{\n  "answer": "yes"\n}' for c in at.code)
    at.button(key=k(SCHEMA, "add")).click().run()  # a field without a name
    assert any("needs a name" in e.value for e in at.sidebar.error) and at.button(key=keys.RUN).disabled
    blocked = next(readable(c.value) for c in at.caption if "Run is off until you fix" in c.value)
    assert "Response format: property 2 name" in blocked, blocked  # as the form counts them, not "schema #1"
    assert "#1" not in texts(at)


def test_a_json_schema_answer_is_checked(at: AppTest) -> None:
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    at.slider(key=keys.field("temperature")).set_value(0.0)
    at.number_input(key=keys.field("max_completion_tokens")).set_value(60)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    at.chat_input(key=keys.CHAT_INPUT).set_value("Weather in Seoul as JSON.").run()
    ok(at)
    (cell,) = cells(at)
    fmt = cell.body["response_format"]
    assert fmt["json_schema"]["name"] == "weather_report" and fmt["json_schema"]["strict"] is True
    assert cell.completion is not None
    try:
        json.loads(cell.completion.text(0))
        parsed = True
    except ValueError:  # cut short by max tokens
        parsed = False
    page = texts(at)
    assert ("✅ Valid" in page) or ("❌" in page), page
    if not parsed:
        assert "❌ Not JSON" in page and any(t.value == cell.completion.text(0) for t in at.text)


def test_every_violation_is_shown_with_its_path_and_rule(at: AppTest) -> None:
    at.button(key=keys.TOOLS_EXAMPLE).click()
    at.selectbox(key=keys.field("response_format")).set_value("json_schema")
    at.number_input(key=keys.field("max_completion_tokens")).set_value(4)
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    at.chat_input(key=keys.CHAT_INPUT).set_value("Hi").run()
    ok(at)
    cell = cells(at)[0]
    assert cell.completion is not None
    blocks = [
        ContentBlock(type="text", text='{"city": "Paris", "temperature": "warm", "condition": "sunny"'),
        ContentBlock(type="tool_use", id="c1", name="get_weather", input={"city": "Paris", "unit": "kelvin"}),
    ]
    cell.completion = cell.completion.model_copy(
        update={"choices": [cell.completion.choices[0].model_copy(update={"content": blocks})], "content": blocks}
    )
    at.run()
    page = ok(at) and texts(at)
    assert "❌ Invalid" in page and "`$.unit`" in page and "must be one of metric, imperial" in page
    assert "(rule" not in page and "not_json" not in page  # plain words on the page, the technical terms in the help
    helps = "\n".join(m.proto.help for m in at.markdown)
    assert "`$.unit`: `enum`" in helps and "not JSON" in helps
    assert "❌ Not JSON" in page
    assert any(t.value == '{"city": "Paris", "temperature": "warm", "condition": "sunny"' for t in at.text)  # intact


def test_settings_bring_the_tools_and_schema_back_in_a_new_session(at: AppTest, gateway) -> None:  # type: ignore[no-untyped-def]
    define_get_weather(at)
    at.checkbox(key=k(TOOL(0), "nullable", 1)).check().run()
    at.selectbox(key=keys.field("response_format")).set_value("json_schema").run()
    edit(at, SCHEMA)
    type_in(at, k(SCHEMA, "name"), "report")
    at.text_input(key=keys.TITLE).set_value("Weather demo").run()  # a named notebook is saved
    ok(at)
    notebook_id = notebook(at).id
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    again.query_params[keys.NOTEBOOK_PARAM] = notebook_id
    again.run()
    ok(again)
    edit(again, TOOL(0))
    assert again.text_input(key=k(TOOL(0), "name")).value == "get_weather"
    assert again.text_input(key=k(TOOL(0), "enum", 1)).value == "celsius, fahrenheit"
    assert again.checkbox(key=k(TOOL(0), "nullable", 1)).value is True
    assert again.checkbox(key=k(TOOL(0), "required", 0)).value is True
    assert again.selectbox(key=keys.field("response_format")).value == "json_schema"
    edit(again, SCHEMA)
    assert again.text_input(key=k(SCHEMA, "name")).value == "report"
    assert json.loads(again.text_area(key=keys.field("tools")).value)[0]["function"]["parameters"]["properties"]["unit"] == {
        "type": ["string", "null"],
        "enum": ["celsius", "fahrenheit"],
    }
    # exported and imported (a new notebook from the file): the same tools and schema
    imported, notes = NotebookFile.load(NotebookFile.dump(notebook(again)))
    assert notes == []
    assert rows_from_settings(imported.settings) == rows_from_settings(notebook(again).settings)
    assert schema_from_settings(imported.settings)[0] == schema_from_settings(notebook(again).settings)[0]
    assert schema_from_settings(imported.settings)[0].name == "report"


def test_old_notebooks_with_tools_as_text_still_open(gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    settings = {  # how the first versions kept them: JSON text
        "tools": json.dumps([examples.GET_WEATHER]),
        "response_format": "json_schema",
        "response_format.schema": json.dumps(examples.WEATHER_SCHEMA),
    }
    old = NotebookStore().save(Notebook(title="Old", settings=settings))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = old.id
    app.run()
    ok(app)
    edit(app, TOOL(0))
    assert app.text_input(key=k(TOOL(0), "name")).value == "get_weather"
    edit(app, SCHEMA)
    assert app.text_input(key=k(SCHEMA, "name", 1)).value == "condition"
    assert notebook(app).settings["tools"] == [examples.GET_WEATHER]


def test_fork_brings_back_the_tools_of_that_run(at: AppTest) -> None:
    at.button(key=keys.TOOLS_EXAMPLE).click().run()
    at.number_input(key=keys.field("max_completion_tokens")).set_value(4)
    at.selectbox(key=keys.field("tool_choice")).set_value("none")
    at.toggle(key=keys.AUTO_APPEND).set_value(False).run()
    at.chat_input(key=keys.CHAT_INPUT).set_value("Hi").run()
    (cell,) = cells(at)
    edit(at, TOOL(0))
    at.button(key=k(TOOL(0), "remove")).click().run()
    assert sent_tools(at) is None
    at.button(key=keys.cell_action(cell.id, "fork")).click().run()
    ok(at)
    edit(at, TOOL(0))
    assert at.text_input(key=k(TOOL(0), "name")).value == "get_weather"


def test_library_tools_from_the_sidebar_and_the_tools_page(at: AppTest) -> None:
    define_get_weather(at)
    at.button(key=k(TOOL(0), "save")).click().run()
    (item,) = Library().list("tool")
    assert item.value == WEATHER and notebook(at).settings["tools.rows"][0]["library_id"] == item.id
    at.switch_page("views/tools.py").run()
    ok(at)
    assert at.toggle(key=keys.tp_item(item.id, "on")).value is True  # on for the open notebook's next run
    at.button(key=keys.tp_item(item.id, "open")).click().run()
    type_in(at, k(keys.TP_EDIT, "enum", 1), "celsius, fahrenheit, kelvin")  # edited in the library
    assert Library().get(item.id).value["function"]["parameters"]["properties"]["unit"]["enum"][-1] == "kelvin"  # type: ignore[union-attr]
    assert any("get_weather(" in c.value for c in at.code)  # an example call beside the JSON
    at.button(key=keys.tp_item(item.id, "duplicate")).click().run()
    names = sorted(i.name for i in Library().list("tool"))
    assert names == ["get_weather", "get_weather_copy"]
    at.toggle(key=keys.tp_item(item.id, "on")).set_value(False).run()
    at.switch_page("views/playground.py").run()
    ok(at)
    assert at.toggle(key=k(TOOL(0), "on")).value is False  # switched off there, off here
    assert at.text_input(key=k(TOOL(0), "enum", 1)).value == "celsius, fahrenheit, kelvin"  # and the edit came along
    assert readable(at.button(key=keys.tools_from_library(item.id)).label) == "get_weather"


def test_the_tools_page_adds_presets_and_pasted_json_and_deletes_with_undo(at: AppTest) -> None:
    at.switch_page("views/tools.py").run()
    # The library and the editor are a third and two thirds of one grid whose columns are at least 230 px: two such
    # columns do not fit an 800-pixel window, so there the library stands above the editor, each as wide as the
    # page (fixed columns squeezed the library to a sliver there, its buttons' words one letter a line).
    (split,) = at.grid
    assert split.column_count == 3 and isinstance(split.min_column_width, int) and split.min_column_width >= 230
    library, editor = split.children.values()
    assert library.button(key=keys.TP_NEW_TOOL) and editor.proto.grid_cell.column_span == 2
    at.button(key=keys.tp_preset("weather_report")).click().run()
    at.text_area(key=keys.TP_PASTE).set_value(json.dumps([examples.GET_WEATHER, {"name": "noop"}])).run()
    at.button(key=keys.TP_PASTE_ADD).click().run()
    ok(at)
    assert sorted((i.kind, i.name) for i in Library().list()) == [
        ("schema", "weather_report"),
        ("tool", "get_weather"),
        ("tool", "noop"),
    ]
    assert at.text_input(key=k(keys.TP_EDIT, "name")).value == "get_weather"  # the first pasted tool is open
    noop = next(i for i in Library().list("tool") if i.name == "noop")
    at.button(key=keys.tp_item(noop.id, "delete")).click().run()
    assert [i.name for i in Library().list("tool")] == ["get_weather"]
    at.button(key=keys.TP_UNDO_BUTTON).click().run()
    assert sorted(i.name for i in Library().list("tool")) == ["get_weather", "noop"]
