"""playground.untrusted: nothing is imported that a page cannot open, and a stored notebook with a value the sidebar
cannot show opens with that value back at its default and a note naming it.

BAD_SETTINGS is shared with tests/app/test_bad_notebooks.py, which opens such notebooks on the pages themselves.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground import fields, untrusted
from playground.notebook import Cell, ChatMessage, Notebook, NotebookFile, conversation_from_json
from playground.store import NotebookStore
from playground.untrusted import Limits, check_settings, label
from playground.workspace import CHANGED_TO_OPEN, Workspace

# (key, a value the sidebar cannot show there): wrong types, out of range, not finite, malformed rows
BAD_SETTINGS: list[tuple[str, Any]] = [
    ("temperature", "hot"),
    ("temperature", 1e308),
    ("temperature", -1),
    ("temperature", True),
    ("temperature", [1]),
    ("top_p", None),
    ("top_p", "x"),
    ("frequency_penalty", {}),
    ("presence_penalty", 9),
    ("seed", "x"),
    ("seed", 1.5),
    ("seed", 2**60),
    ("n", 1e20),
    ("max_completion_tokens", "x"),
    ("n", "x"),
    ("stop", {}),
    ("stop", ["a"]),
    ("stop", 5),
    ("user", 5),
    ("user", ["x"]),
    ("logprobs", "yes"),
    ("logprobs", 1),
    ("deferred", "maybe"),
    ("top_logprobs", "x"),
    ("model.embedded", ["x"]),
    ("model.embedded", 5),
    ("logit_bias.rows", "x"),
    ("logit_bias.rows", [1]),
    ("logit_bias.rows", [{"token": 5, "bias": 1}]),
    ("logit_bias.rows", [{"token": "a", "bias": "x"}]),
    ("logit_bias.rows", [{"token": "a", "bias": 500}]),
    ("logit_bias.rows", [{"token": "a"}]),
    ("tool_choice", 5),
    ("tool_choice", {"type": "function"}),
    ("response_format", 5),
    ("response_format", "weird"),
    ("response_format", {"type": "json_object"}),
    ("backend", "nope"),
    ("backend", 5),
]
# Out of range in a number box: kept, so nothing typed is lost (the box shows it, the request check names it).
KEPT_OUT_OF_RANGE: dict[str, Any] = {"seed": -1, "max_completion_tokens": 0, "n": 1000, "top_logprobs": 99}
IDS = [f"{k}={json.dumps(v)}"[:40] for k, v in BAD_SETTINGS]
GOOD = {
    "temperature": 0.4,
    "top_p": 1,
    "seed": 7.0,
    "max_completion_tokens": None,
    "stop": "a,b",
    "user": "",
    "logprobs": True,
    "top_logprobs": 3,
    "model.embedded": "smollm",
    "logit_bias.rows": [{"token": "a", "bias": -100}, {"token": "b", "bias": None}],
    "tool_choice": "get_weather",
    "response_format": "json_schema",
    "backend": "embedded",
    "tools": "any JSON: the tool builder reads it and says what is wrong",
    "response_format.schema": {"whatever": 1},
    "something.new": [1, 2],
}


def a_file(settings: dict[str, Any], *, cell_settings: dict[str, Any] | None = None, cells: int = 1) -> str:
    notebook = Notebook(
        title="From elsewhere",
        conversation=[ChatMessage(content="Hi")],
        settings=settings,
        cells=[
            Cell(id=f"c{i}", backend="embedded", body={"model": "m", "messages": []}, settings=cell_settings or {})
            for i in range(cells)
        ],
    )
    return json.dumps(json.loads(NotebookFile.dump(notebook)))


def test_good_settings_pass_as_they_are_with_numbers_as_the_widgets_take_them() -> None:
    checked, notes = check_settings(GOOD)
    assert notes == []
    assert checked == GOOD | {"top_p": 1.0, "seed": 7}
    assert type(checked["top_p"]) is float and type(checked["seed"]) is int


@pytest.mark.parametrize(("key", "value"), BAD_SETTINGS, ids=IDS)
def test_a_bad_value_is_named_and_dropped_to_its_default_on_import(key: str, value: Any) -> None:
    notebook, notes = NotebookFile.load(a_file(GOOD | {key: value}, cell_settings={key: value}))
    assert key not in notebook.settings and key not in notebook.cells[0].settings  # the field shows its default
    assert notebook.settings == {k: v for k, v in check_settings(GOOD)[0].items() if k != key}
    assert len(notes) == 2 and label(key) in notes[0] and notes[1].startswith("Run 1's settings")
    assert all("default" in n for n in notes)
    # what was imported opens as it is: nothing more to change, and the store gives it back
    assert notebook.checked() == (notebook, [])
    store = NotebookStore()
    store.save(notebook)
    opened = Workspace(store).open(notebook.id)
    assert opened.warning is None and opened.notebook.settings == notebook.settings


@pytest.mark.parametrize(("key", "value"), BAD_SETTINGS, ids=IDS)
def test_a_stored_bad_value_is_dropped_when_the_notebook_opens(key: str, value: Any) -> None:
    store = NotebookStore()
    stored = store.save(Notebook(conversation=[ChatMessage(content="Hi")], settings={"temperature": 0.3, key: value}))
    opened = Workspace(store).open(stored.id)
    assert opened.warning is not None and opened.warning.startswith(CHANGED_TO_OPEN) and label(key) in opened.warning
    assert key not in opened.notebook.settings and opened.notebook.settings.get("temperature", 0.3) == 0.3


def test_a_note_never_repeats_text_from_the_file() -> None:
    pixel = "model.![x](http://pixel.example/a.png)"  # not a backend's model: not read by the sidebar, kept as it is
    settings = {"user": ["![x](http://pixel.example/a.png)"], "temperature": "<img src=x>", pixel: [1], "model.xai": 5}
    checked, notes = check_settings(settings)
    assert notes == [
        "User: a list is not text, so it is back to its default.",
        "Temperature: text is not a number, so it is back to its default (1.0).",
        "Model, for xAI (api.x.ai): the number 5 is not a name, so it is back to its default.",
    ]
    assert checked == {pixel: [1]}


def test_out_of_range_notes_say_the_range_from_fields() -> None:
    (note,) = check_settings({"top_p": 1.5})[1]
    f = fields.field("top_p")
    bounds = f"from {f.minimum:g} to {f.maximum:g}"
    assert note == f"Top P: the number 1.5 is outside its range ({bounds}), so it is back to its default (1.0)."


def test_whole_numbers_out_of_range_are_kept_for_their_box_to_name() -> None:
    assert check_settings(KEPT_OUT_OF_RANGE) == (KEPT_OUT_OF_RANGE, [])


def test_runs_with_the_same_id_get_their_own() -> None:
    notebook, notes = NotebookFile.load(a_file({}, cells=3).replace('"c1"', '"c0"').replace('"c2"', '"c0"'))
    assert len({c.id for c in notebook.cells}) == 3 and notebook.cells[0].id == "c0"
    assert notes == [
        "Run 2 had the same id as an earlier run; it now has one of its own.",
        "Run 3 had the same id as an earlier run; it now has one of its own.",
    ]


def test_a_run_is_a_tool_step_only_of_an_earlier_run_so_following_the_steps_ends() -> None:
    data = json.loads(a_file({}, cells=3))
    for cell, step_of in zip(data["notebook"]["cells"], ["c2", "c0", "c2"], strict=True):
        cell["step_of"] = step_of  # run 1 names a later run, run 3 itself
    notebook, notes = NotebookFile.load(json.dumps(data))
    assert [c.step_of for c in notebook.cells] == [None, "c0", None]
    assert notes == [
        "Run 1 named a run that is not before it as the one whose tool calls it answered.",
        "Run 3 named a run that is not before it as the one whose tool calls it answered.",
    ]


def nested(depth: int) -> Any:
    return json.loads("[" * depth + "]" * depth)


@pytest.mark.parametrize("depth", [62, 200, 900, 5000])
def test_a_file_nested_deeper_than_the_cap_is_refused_naming_it(depth: int) -> None:
    data = a_file({"temperature": 0.5}).replace("0.5", "[" * depth + "]" * depth)
    with pytest.raises(ValueError, match=f"at most {untrusted.LIMITS.depth}|more than {untrusted.LIMITS.depth} levels"):
        NotebookFile.load(data)


def test_a_file_nested_right_up_to_the_cap_imports_and_is_read_back_from_the_store() -> None:
    depth = untrusted.LIMITS.depth - 3  # the file, the notebook and its settings are three levels
    notebook, notes = NotebookFile.load(a_file({"tools": nested(depth)}))
    assert notes == []
    store = NotebookStore()
    store.save(notebook)
    assert store.load(notebook.id) is not None


@pytest.mark.parametrize(
    ("spelling", "named"), [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"), ("1e999", "1e999")]
)
def test_numbers_that_are_not_finite_are_refused_naming_them(spelling: str, named: str) -> None:
    data = a_file({"temperature": 0.5}).replace('"temperature": 0.5', f'"temperature": {spelling}')
    with pytest.raises(ValueError, match=named):
        NotebookFile.load(data)
    with pytest.raises(ValueError, match=named):
        conversation_from_json(f'[{{"role": "user", "content": "x", "n": {spelling}}}]')


def test_a_lone_surrogate_is_refused_as_such() -> None:
    data = a_file({}).replace('"From elsewhere"', '"\\ud800"')
    with pytest.raises(ValueError, match="not valid Unicode") as caught:
        NotebookFile.load(data)
    assert "nested" not in str(caught.value)


def test_caps_on_size_messages_and_runs_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(untrusted, "LIMITS", Limits(bytes=20_000, messages=3, cells=2, depth=64))
    with pytest.raises(ValueError, match=r"a notebook can be at most 20 KB"):
        NotebookFile.load(a_file({"user": "x" * 30_000}))
    many = Notebook(conversation=[ChatMessage(content=str(i)) for i in range(4)])
    with pytest.raises(ValueError, match="4 messages; one can have at most 3"):
        NotebookFile.load(NotebookFile.dump(many))
    with pytest.raises(ValueError, match="3 runs; one can have at most 2"):
        NotebookFile.load(a_file({}, cells=3))
    with pytest.raises(ValueError, match="4 messages; a conversation can have at most 3"):
        conversation_from_json(json.dumps([{"role": "user", "content": "x"}] * 4))
    with pytest.raises(ValueError, match="a conversation can be at most"):
        conversation_from_json(json.dumps([{"role": "user", "content": "x" * 30_000}]))


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (["cells", 0, "created"], 1e308, "notebook.cells.0.created"),
        (["cells", 0, "created"], -1e308, "notebook.cells.0.created"),
        (["created"], 1e20, "notebook.created"),
        (["cells", 0, "backend"], "nope", "notebook.cells.0.backend"),
    ],
)
def test_times_a_page_cannot_show_and_unknown_backends_are_refused_naming_the_place(
    path: list[Any], value: Any, named: str
) -> None:
    data = json.loads(a_file({}))
    target = data["notebook"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=f"damaged at {named}"):
        NotebookFile.load(json.dumps(data))
