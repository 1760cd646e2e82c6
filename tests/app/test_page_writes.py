"""The Playground page saves after every change it makes to the notebook, and only then: a widget that changes
nothing in the notebook writes nothing, and a change to one run writes that run's row (and the header) only.
What is written is read from the statements the store sends (tests/writes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground.notebook import Notebook
from playground.response import from_chat_completion
from playground.store import NotebookStore
from tests.core.test_store import a_notebook, completion_json
from tests.writes import written

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]


def stored_notebook(cells: int) -> Notebook:
    """A stored notebook of `cells` answered runs, none of them added to the conversation yet."""
    nb = a_notebook()
    nb.conversation = nb.conversation[:2]
    template = nb.cells[0].model_copy(update={"continued": False})
    nb.cells = [
        template.model_copy(update={"id": f"run-{i}", "completion": from_chat_completion(completion_json() | {"id": f"a{i}"})})
        for i in range(cells)
    ]
    return NotebookStore().save(nb)


@pytest.mark.usefixtures("embedded")
def test_a_view_change_writes_nothing_and_a_change_to_one_run_writes_that_run_only() -> None:
    nb = stored_notebook(12)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = nb.id
    app.run()
    assert not app.exception, app.exception
    one_run = len(nb.cells[11].model_dump_json().encode())

    with written() as seen:
        app.toggle(key=keys.cell_action("run-11", "details")).set_value(True).run()
    assert not app.exception, app.exception
    assert seen.bytes == {}  # the details of a run opened: nothing in the notebook changed, nothing is written

    with written() as seen:
        app.button(key=keys.cell_action("run-11", "continue")).click().run()
    assert not app.exception, app.exception
    assert one_run <= seen.to("cells") < 2 * one_run and seen.to("notebooks") < one_run  # that run, and the header
    stored = NotebookStore().load(nb.id)
    assert stored is not None and [c.continued for c in stored.cells] == [i == 11 for i in range(12)]
    assert stored.conversation[-1].content == "Red, green, blue."
