"""Variables on the Playground and the Evaluate page, under Streamlit's AppTest, against the real embedded model.

Widgets are reached by the keys of components/state.py; assertions are on text and state, not positions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import state as keys
from playground import untrusted
from playground.evaluate.results import Evaluation
from playground.evaluate.run import failed_indices
from playground.notebook import Notebook
from tests.app.conftest import evaluated
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
    assert any("Run is off until you fix: the value of {{city}}" in readable(c.value) for c in at.caption)
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
    assert not [c for c in at.caption if "earlier version" in c.value]
    # a fork brings the run's values back into the form; a rerun sends them again
    at.text_input(key=keys.variable("city")).set_value("Lima").run()
    # only a value changed: the cell is marked as answering an earlier version, and says which value
    assert any("earlier version" in c.value for c in at.caption), [c.value for c in at.caption]
    assert "{{city}}: Paris → Lima." in [t.value for t in at.text]
    at.button(key=keys.cell_action(cell.id, "fork")).click().run()
    assert at.text_input(key=keys.variable("city")).value == "Paris"
    at.button(key=keys.cell_action(cell.id, "rerun")).click().run()
    rerun = notebook(at).cells[-1]
    assert rerun.variables == cell.variables and rerun.body["messages"] == cell.body["messages"]
    # a fresh session (a reload) opening the notebook: the boxes start with the newest run's values, so its runs
    # are not marked outdated for values nobody changed
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    again.query_params[keys.NOTEBOOK_PARAM] = notebook(at).id
    again.run()
    assert not again.exception, again.exception
    assert again.text_input(key=keys.variable("city")).value == "Paris"
    assert again.text_input(key=keys.variable("day")).value == "Monday"
    assert not [c for c in again.caption if "earlier version" in c.value]


def _on_evaluate(app: AppTest) -> AppTest:
    app.switch_page("views/evaluate.py").run()
    assert not app.exception, app.exception
    return app


def _table(app: AppTest) -> list[dict[str, str]]:
    frame = next(d for d in app.dataframe if d.key == keys.EV_TABLE).value
    return frame.fillna("").to_dict("records")


def test_test_cases_are_pasted_duplicated_checked_and_kept_with_the_notebook(at: AppTest) -> None:
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("Weather in {{city}}?").run()
    _on_evaluate(at)
    at.text_area(key=keys.EV_PASTE).set_value("Paris\nTokyo\nLima")
    at.button(key=keys.EV_PASTE_ADD).click().run()
    assert _table(at) == [{"city": "Paris"}, {"city": "Tokyo"}, {"city": "Lima"}]
    assert "Added 3 rows" in " ".join(readable(s.value) for s in at.success)
    at.number_input(key=keys.EV_ROW).set_value(2)
    at.button(key=keys.EV_DUPLICATE).click().run()
    assert [r["city"] for r in _table(at)] == ["Paris", "Tokyo", "Tokyo", "Lima"]
    at.toggle(key=keys.EV_EXPECTED).set_value(True).run()
    assert list(_table(at)[0]) == ["city", "expected"]
    # a check from the list, set in its form; a bad pattern is said under it
    at.selectbox(key=keys.EV_CHECK_KIND).set_value("contains")
    at.button(key=keys.EV_CHECK_ADD).click().run()
    at.selectbox(key=keys.EV_CHECK_KIND).set_value("pattern")
    at.button(key=keys.EV_CHECK_ADD).click().run()
    contains, pattern = notebook(at).evaluation["checks"]
    at.selectbox(key=keys.ev_check(contains["id"], "column")).set_value("city")
    at.text_input(key=keys.ev_check(pattern["id"], "pattern")).set_value("([").run()
    assert any("does not compile" in e for e in errors_under(at)), errors_under(at)
    assert notebook(at).evaluation["checks"][0]["column"] == "city"
    # the table and checks are saved with the notebook: a fresh session opening it has them
    nb_id = notebook(at).id
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    again.query_params[keys.NOTEBOOK_PARAM] = nb_id
    again.switch_page("views/evaluate.py").run()
    assert not again.exception, again.exception
    assert [r["city"] for r in _table(again)] == ["Paris", "Tokyo", "Tokyo", "Lima"]
    assert again.text_input(key=keys.ev_check(pattern["id"], "pattern")).value == "(["


def test_an_evaluation_runs_rows_times_seeds_grades_each_answer_and_takes_marks(at: AppTest) -> None:
    at.number_input(key=keys.field("max_completion_tokens")).set_value(6)
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("Say the name {{city}}.").run()
    _on_evaluate(at)
    at.text_area(key=keys.EV_PASTE).set_value("Paris\nTokyo\nLima")
    at.button(key=keys.EV_PASTE_ADD).click().run()
    at.selectbox(key=keys.EV_CHECK_KIND).set_value("contains")
    at.button(key=keys.EV_CHECK_ADD).click().run()
    (check,) = notebook(at).evaluation["checks"]
    assert at.button(key=keys.EV_RUN).disabled  # the check has no text and no column yet
    at.selectbox(key=keys.ev_check(check["id"], "column")).set_value("city").run()
    at.text_input(key=keys.EV_SEEDS).set_value("1-2").run()
    assert not at.button(key=keys.EV_RUN).disabled, [e.value for e in at.error]
    ev = _evaluate(at)
    assert len(notebook(at).evaluation["runs"]) == 1
    assert len(ev["results"]) == 6 and all(r["status"] == "done" for r in ev["results"])
    grid = next(d for d in at.dataframe if list(d.value.columns) == ["seed 1", "seed 2"]).value
    assert len(grid) == 3 and all(v.strip() in ("✓", "✗") for v in grid.to_numpy().ravel())
    assert any("pass rate" in d.value.columns for d in at.dataframe)
    rates = [d.value.to_dict("records") for d in at.dataframe if "pass rate" in d.value.columns]
    # grouped: each row's distinct answers once, with how many of the row's answers and which seeds gave it
    at.toggle(key=keys.EV_GROUP).set_value(True).run()
    assert not at.exception, at.exception
    grouped = next(d for d in at.dataframe if "answers" in d.value.columns).value
    assert not any(list(d.value.columns) == ["seed 1", "seed 2"] for d in at.dataframe)  # instead of the grid
    for row in ("1: Paris", "2: Tokyo", "3: Lima"):
        lines = grouped[grouped["row"] == row]
        assert sum(int(n.split(" of ")[0]) for n in lines["answers"]) == 2, lines
        assert sorted(", ".join(lines["runs"]).split(", ")) == ["seed 1", "seed 2"]
        assert all(v in ("✓", "✗", "✓ 1 ✗ 1") for v in lines["1. contains city"])
    assert any(
        readable(c.value).startswith("Per row: 1: ") and " · 3: " in readable(c.value) for c in at.caption
    )  # every row, answered or not
    assert [d.value.to_dict("records") for d in at.dataframe if "pass rate" in d.value.columns] == rates  # unchanged
    at.toggle(key=keys.EV_GROUP).set_value(False).run()
    # the opened result shows each check's reason; a 👎 with a note is kept with the notebook
    opened = at.selectbox(key=keys.EV_OPEN).value
    assert any(("✓" in m.value or "✗" in m.value) and "contains city" in readable(m.value) for m in at.markdown)
    assert any(readable(c.value).startswith("Result · done") for c in at.caption)  # drawn as a run is
    at.text_input(key=keys.ev_mark(f"{ev['id']}-{opened}", "note")).set_value("too short")
    at.button_group(key=keys.ev_mark(f"{ev['id']}-{opened}", "thumb")).set_value("👎").run()
    assert notebook(at).evaluation["runs"][-1]["marks"] == {str(opened): {"up": False, "note": "too short"}}
    # "Rerun this row": the opened result's row runs again, its mark (on the old answer) dropped; the other rows kept
    row = ev["plan"]["runs"][opened]["row"]
    again = evaluated(at.button(key=keys.EV_RERUN_ROW).click().run())
    assert len(notebook(at).evaluation["runs"]) == 2 and again["marks"] == {}
    for old, new in zip(ev["results"], again["results"], strict=True):
        if ev["plan"]["runs"][old["index"]]["row"] == row:
            assert new["status"] == "done" and new["total_s"] != old["total_s"], (old, new)  # run again
        else:
            assert new == old


def _evaluate(app: AppTest) -> dict:
    return evaluated(app.button(key=keys.EV_RUN).click().run())


def test_rows_run_across_a_field_sweep_or_setting_sets_with_the_caps_said(at: AppTest) -> None:
    at.number_input(key=keys.field("max_completion_tokens")).set_value(3)
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("Say the name {{city}}.").run()
    _on_evaluate(at)
    at.toggle(key=keys.EV_EXPECTED).set_value(True).run()
    at.text_area(key=keys.EV_PASTE).set_value("Paris\tzzzz\nLima\t")
    at.button(key=keys.EV_PASTE_ADD).click().run()
    # a check that passes on row 1 and fails on row 2 whatever the model says: row 2 has no text to look for
    at.selectbox(key=keys.EV_CHECK_KIND).set_value("not_contains")
    at.button(key=keys.EV_CHECK_ADD).click().run()
    (check,) = notebook(at).evaluation["checks"]
    at.selectbox(key=keys.ev_check(check["id"], "column")).set_value("expected").run()
    at.text_input(key=keys.EV_SEEDS).set_value("1").run()
    # a sweep, with Compare's inputs; a value out of range is said under them and Run stays off
    at.radio(key=keys.EV_ACROSS).set_value("sweep").run()
    at.text_input(key=keys.CMP_SWEEP_VALUES).set_value("0, 9").run()
    assert at.button(key=keys.EV_RUN).disabled and any("out of range" in e for e in errors_under(at)), errors_under(at)
    at.text_input(key=keys.CMP_SWEEP_VALUES).set_value("0, 1.5").run()
    at.text_input(key=keys.EV_SEEDS).set_value("1-20").run()  # 20 seeds × 2 values: over the per-row cap
    assert at.button(key=keys.EV_RUN).disabled
    assert any("That makes 40 runs; an evaluation runs at most 32 per test case." in e for e in errors_under(at))
    at.text_input(key=keys.EV_SEEDS).set_value("1").run()
    assert not at.button(key=keys.EV_RUN).disabled, errors_under(at)
    ev = _evaluate(at)
    assert [r["variant"]["key"] for r in ev["plan"]["runs"]] == ["temperature 0 · seed 1", "temperature 1.5 · seed 1"] * 2
    assert [r["body"]["temperature"] for r in ev["results"]] == [0, 1.5, 0, 1.5]
    assert all(r["status"] == "done" for r in ev["results"])
    assert any(list(d.value.columns) == ["temperature 0 · seed 1", "temperature 1.5 · seed 1"] for d in at.dataframe)
    # "Rerun the 2 failed": exactly row 2's results run again; row 1's are kept as they were
    failed = failed_indices(Evaluation.model_validate(ev))
    assert [ev["plan"]["runs"][i]["row"] for i in failed] == [1, 1], failed
    button = at.button(key=keys.EV_RERUN_FAILED)
    assert button.label == "Rerun the 2 failed" and not button.disabled
    again = evaluated(button.click().run())
    for old, new in zip(ev["results"], again["results"], strict=True):
        if old["index"] in failed:  # a result's index is its place in the plan
            assert new["status"] == "done" and new["total_s"] != old["total_s"], (old, new)
        else:
            assert new == old
    # setting sets: another backend is refused on its set; each set's fields go into its column's runs
    at.radio(key=keys.EV_ACROSS).set_value("sets").run()
    at.selectbox(key=keys.cmp_set(1, "backend")).set_value("xai").run()
    assert at.button(key=keys.EV_RUN).disabled and any("sidebar's backend" in e for e in errors_under(at))
    at.selectbox(key=keys.cmp_set(1, "backend")).set_value("").run()
    at.number_input(key=keys.cmp_set(0, "max_completion_tokens")).set_value(2).run()
    at.number_input(key=keys.cmp_set(1, "temperature")).set_value(0.0).run()
    assert not at.button(key=keys.EV_RUN).disabled, errors_under(at)
    ev = _evaluate(at)
    assert [r["variant"]["key"] for r in ev["plan"]["runs"]] == ["set A · seed 1", "set B · seed 1"] * 2
    sent = [(r["body"]["max_completion_tokens"], r["body"].get("temperature")) for r in ev["results"]]
    assert sent[0][0] == 2 and sent[1] == (3, 0.0) and sent[2:] == sent[:2], sent
    assert any(list(d.value.columns) == ["set A · seed 1", "set B · seed 1"] for d in at.dataframe)


def test_an_empty_conversation_blocks_run_saying_where_to_write_it(at: AppTest) -> None:
    """The conversation is written on the Playground page: what blocks Run here says so, not the field's name."""
    at.switch_page("views/evaluate.py").run()
    assert not at.exception, at.exception
    assert at.button(key=keys.EV_RUN).disabled
    lines = [readable(c.value) for c in at.caption if "is off until" in c.value]
    assert lines == [
        ":material/block: Run is off until you fix: the conversation, on the Playground page (marked above or in the sidebar)."
    ], lines


def test_the_import_rows_box_says_the_size_it_takes(at: AppTest) -> None:
    """Rows may hold images, so they are read up to a notebook file's cap, not Streamlit's 200 MB."""
    at.switch_page("views/evaluate.py").run()
    cap = untrusted.LIMITS.megabytes
    sizes = {u.proto.label: u.proto.max_upload_size_mb for u in at.get("file_uploader")}
    assert sizes == {f"Import rows (CSV or JSONL, up to {cap} MB)": cap}, sizes


def test_a_fresh_page_says_what_to_do_and_why_run_is_off_without_an_error(at: AppTest) -> None:
    at.button_group(key=keys.VIEW).set_value("Form").run()
    at.button(key=keys.ADD_MESSAGE).click().run()
    at.text_area(key=keys.message_content(0)).set_value("Weather in {{city}}?").run()
    at.switch_page("views/evaluate.py").run()
    assert not at.exception, at.exception
    assert errors_under(at) == []  # nothing done yet: nothing is wrong
    hints = [readable(i.value) for i in at.info]
    assert "No test cases yet: add a row to the table, paste rows from a spreadsheet, or import a file." in hints, hints
    assert at.button(key=keys.EV_RUN).disabled
    lines = [readable(c.value) for c in at.caption if "is off until" in c.value]
    assert lines == [":material/block: Run is off until you add: a test case (a row in the table)."], lines
