"""Variables on the Playground and the Evaluate page, under Streamlit's AppTest, against the real embedded model.

Widgets are reached by the keys of components/state.py; assertions are on text and state, not positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground.notebook import Notebook
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def notebook(app: AppTest) -> Notebook:
    return app.session_state[keys.NOTEBOOK]


def errors_under(app: AppTest) -> list[str]:
    return [readable(e.value) for e in app.error]


def test_variables_are_asked_for_block_run_until_given_and_are_put_in_and_kept_by_the_cell(at: AppTest) -> None:
    at.number_input(key=keys.field("max_completion_tokens")).set_value(4)
    at.toggle(key=keys.AUTO_APPEND).set_value(False)
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("Weather in {{city}} on {{ day }}?").run()
    boxes = [t.label for t in at.text_input if t.key and t.key.startswith(keys.VARIABLES + ".")]
    assert len(boxes) == 2 and "{{city}}" in boxes[0] and "{{day}}" in boxes[1], boxes
    assert at.button(key=keys.RUN).disabled  # no value yet: Run is off, and each box says why
    assert any("{{city}}" in e and "value" in e for e in errors_under(at)), errors_under(at)
    at.text_input(key=keys.variable("city")).set_value("Paris").run()
    assert at.button(key=keys.RUN).disabled and any("{{day}}" in e for e in errors_under(at))
    at.text_input(key=keys.variable("day")).set_value("Monday").run()
    assert not at.button(key=keys.RUN).disabled and not errors_under(at)
    at.button(key=keys.RUN).click().run()
    assert not at.exception, at.exception
    (cell,) = notebook(at).cells
    assert cell.body["messages"][-1]["content"] == "Weather in Paris on Monday?"
    assert cell.conversation[0].content == "Weather in {{city}} on {{ day }}?"  # the cell sits under the message as written
    assert cell.variables == {"city": "Paris", "day": "Monday"}
    # a fork brings the run's values back into the form; a rerun sends them again
    at.text_input(key=keys.variable("city")).set_value("Lima").run()
    at.button(key=keys.cell_action(cell.id, "fork")).click().run()
    assert at.text_input(key=keys.variable("city")).value == "Paris"
    at.button(key=keys.cell_action(cell.id, "rerun")).click().run()
    rerun = notebook(at).cells[-1]
    assert rerun.variables == cell.variables and rerun.body["messages"] == cell.body["messages"]
