"""The Compare page under Streamlit's AppTest, against the real embedded model.

Widgets are reached by the keys of components/state.py; assertions are on text and state, not positions.
A comparison runs on a background thread: each `app.run()` is one poll of the page, as the fragment's
timer is in a browser.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import chart_views, compare_view
from components import state as keys
from playground import compare
from playground.compare import Comparison
from playground.notebook import Cell, ChatMessage, Notebook
from playground.store import NotebookStore
from tests.app.conftest import job_ended
from tests.fake_server import fake_server
from tests.markdown import readable

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
PAGE = "views/compare.py"


def _app(notebook_id: str | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if notebook_id is not None:
        app.query_params[keys.NOTEBOOK_PARAM] = notebook_id
    app.switch_page(PAGE)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def at(gateway, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:  # type: ignore[no-untyped-def]
    """The app on the Compare page, pointed at the session's embedded gateway, no xAI key around."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    yield _app()


def texts(app: AppTest) -> str:
    """Everything readable on the page, one string."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "error", "info", "warning", "success", "subheader", "title", "text", "code")
        for e in getattr(app, kind)
    ]
    return "\n".join(str(p) for p in parts)


def notebook(app: AppTest) -> Notebook:
    return app.session_state[keys.NOTEBOOK]


def ask(app: AppTest, prompt: str, *, tokens: int = 12) -> None:
    """The first message (the conversation is empty) and a short answer."""
    app.text_area(key=keys.CMP_PROMPT).set_value(prompt)
    app.number_input(key=keys.field("max_completion_tokens")).set_value(tokens)


def press_compare(app: AppTest) -> None:
    app.button(key=keys.CMP_RUN).click().run()
    assert not app.exception, app.exception


def finish(app: AppTest, *, saved_before: int = 0) -> Comparison:
    """Wait until the comparison has ended and is saved in the notebook; return it."""
    job_ended(app, keys.CMP_JOB, within=240)
    assert len(notebook(app).comparisons) == saved_before + 1
    return Comparison.model_validate(notebook(app).comparisons[-1])


def test_three_seeds_side_by_side_saved_with_the_notebook_and_reopened(at: AppTest) -> None:
    at.slider(key=keys.field("temperature")).set_value(1.5)
    ask(at, "Name a colour and say why you like it.")
    at.text_input(key=keys.CMP_SEEDS).set_value("1, 2, 3")
    press_compare(at)
    c = finish(at)

    assert [r.label for r in c.results] == ["seed 1", "seed 2", "seed 3"]
    assert [r.status for r in c.results] == ["done", "done", "done"]
    assert [r.body["seed"] for r in c.results] == [1, 2, 3]
    assert all(r.body["temperature"] == 1.5 and r.body["max_completion_tokens"] == 12 for r in c.results)
    assert all(r.text and r.usage is not None and r.usage.output_tokens > 0 for r in c.results)
    assert notebook(at).conversation[0].content == "Name a colour and say why you like it."

    page = texts(at)
    for label in ("seed 1", "seed 2", "seed 3"):
        assert f"**{label}**" in page
    analysis = compare.analyse(c)
    assert f"**{compare_view.plain(analysis.summary)}**" in page
    assert page.count("first token") >= 3  # each column's timing line
    assert [r.backend for r in c.results] == ["embedded"] * 3
    assert sum("tokens/s · free" in e.value for e in at.caption) == 3  # each column's cost: the embedded model is free
    assert "all 3 runs\\: free" in page  # and the comparison's
    for r in c.results:  # each column marks where it departs from the others, as the analysis says
        words = compare_view.divergence_words(c, analysis, r.index)
        if words is not None:
            assert compare_view.plain(words) in page
    assert at.dataframe  # the runs table (and the similarity matrix)
    assert any(e.proto.label == "Download CSV" for e in at.get("download_button"))
    assert at.selectbox(key=keys.CMP_SHOWN).value == c.id

    # a new session on the same notebook (a browser reload) reopens it as it was
    again = _app(notebook(at).id)
    assert again.selectbox(key=keys.CMP_SHOWN).value == c.id
    assert [m.value for m in again.markdown] == [m.value for m in at.markdown]  # the answers, marked the same
    assert [m.value for m in again.caption if "first token" in m.value] == [
        m.value for m in at.caption if "first token" in m.value
    ]

    # Share: a read-only link shows the same columns, with nothing to type into
    at.button(key=keys.CMP_SHARE).click().run()
    (link,) = [e.value for e in at.code if "?view=" in e.value]
    view = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    view.query_params[keys.VIEW_PARAM] = link.rsplit("=", 1)[1]
    view.run()
    assert not view.exception, view.exception
    columns = [m.value for m in at.markdown if any(f"**{r.label}**" in m.value for r in c.results)]
    assert columns and columns == [m.value for m in view.markdown if m.value in columns]
    assert [m.value for m in view.caption if "first token" in m.value] == [
        m.value for m in at.caption if "first token" in m.value
    ]
    assert not view.text_input and not view.text_area and not view.selectbox and not view.number_input


def test_mistakes_are_shown_next_to_their_input_and_nothing_runs(at: AppTest) -> None:
    press_compare(at)  # an empty conversation and no message
    assert "Nothing was sent" in texts(at)
    assert not notebook(at).comparisons

    ask(at, "Hello")
    at.text_input(key=keys.CMP_SEEDS).set_value("9-3")
    press_compare(at)
    assert any("runs backwards" in e.value for e in at.error)
    assert keys.CMP_JOB not in at.session_state

    at.radio(key=keys.CMP_MODE).set_value("sweep").run()
    at.text_input(key=keys.CMP_SWEEP_VALUES).set_value("0.5, 9")
    press_compare(at)
    assert any("out of range" in e.value for e in at.error)
    assert not any("runs backwards" in e.value for e in at.error)  # the earlier mistake is gone

    at.radio(key=keys.CMP_MODE).set_value("sets").run()
    at.text_area(key=keys.cmp_set(0, "more")).set_value("{not json")
    at.text_area(key=keys.cmp_set(1, "more")).set_value('{"colour": 1}')
    press_compare(at)
    errors = [readable(e.value) for e in at.error]
    assert any("not valid JSON" in e for e in errors)
    assert any("'colour' is not a field" in e for e in errors)

    at.text_area(key=keys.cmp_set(0, "more")).set_value("")
    at.text_area(key=keys.cmp_set(1, "more")).set_value("")
    at.selectbox(key=keys.cmp_set(1, "backend")).set_value("xai")  # no key anywhere: said next to set B's backend
    press_compare(at)
    assert any("xAI needs an API key" in e.value for e in at.error)
    assert keys.CMP_JOB not in at.session_state
    assert not notebook(at).comparisons


def test_the_reproducibility_check_runs_one_seed_twice_and_says_it_matched(at: AppTest) -> None:
    ask(at, "Name a fruit.", tokens=10)
    at.checkbox(key=keys.field("logprobs")).check()
    at.text_input(key=keys.CMP_SEEDS).set_value("1")
    at.toggle(key=keys.CMP_REPEAT).set_value(True)
    press_compare(at)
    c = finish(at)
    assert [r.label for r in c.results] == ["seed 1 · run 1", "seed 1 · run 2"]
    analysis = compare.analyse(c)
    assert analysis.tokens == "logprobs"  # matched by the model's own tokens, not by words
    (check,) = analysis.reproducibility
    assert check.matched, (c.results[0].text, c.results[1].text)
    verdict = compare_view.plain("Reproducible: 1 of 1 repeat matched token for token")
    assert any(verdict in e.value for e in at.success)
    assert "seed 1 · run 2 matched seed 1 · run 1 token for token." in [t.value for t in at.text]
    assert compare_view.plain(compare.SEED_NOTE) in texts(at)

    probabilities = chart_views.keys_for(keys.cmp_probabilities(c.id, 0))
    assert all(w.key != probabilities.token(0) for w in at.selectbox)  # drawn only on demand
    at.toggle(key=keys.CMP_STRIPS).set_value(True).run()
    assert not at.exception, at.exception
    assert [s.value for s in at.selectbox if s.key == keys.CMP_CLOSER] == [0]
    assert any(w.key == probabilities.token(0) for w in at.selectbox)  # the full probability view of run 1
    assert any("Mean log-probability" in m.label for m in at.metric)


def test_a_failed_run_shows_its_error_in_its_column_while_the_other_finishes(at: AppTest) -> None:
    ask(at, "Name a city.", tokens=8)
    at.radio(key=keys.CMP_MODE).set_value("sets").run()
    at.text_input(key=keys.cmp_set(1, "label")).set_value("missing model")
    at.text_input(key=keys.cmp_set(1, "model")).set_value("no-such-model")
    press_compare(at)
    c = finish(at)
    assert [r.label for r in c.results] == ["set A", "missing model"]
    assert c.results[0].status == "done" and c.results[0].text
    assert c.results[1].status == "error" and "does not exist" in (c.results[1].error or "")
    assert any("does not exist" in e.value for e in at.error)
    assert "**1 failed**" in texts(at) or "1 failed" in texts(at)


def test_cancel_keeps_what_finished_and_saves_the_rest_as_cancelled(at: AppTest) -> None:
    ask(at, "Count from 1 to 500, one number per line.", tokens=1500)
    at.text_input(key=keys.CMP_SEEDS).set_value("1-8")
    press_compare(at)
    assert at.button(key=keys.CMP_CANCEL)  # drawn by the polling fragment while the runs go on
    at.button(key=keys.CMP_CANCEL).click().run()
    c = finish(at)
    statuses = [r.status for r in c.results]
    assert set(statuses) <= {"done", "cancelled"}
    assert "cancelled" in statuses
    assert re.search(r"\d cancelled", texts(at))


def test_a_run_of_the_notebook_is_compared_with_exactly_what_it_sent(at: AppTest) -> None:
    at.switch_page("views/playground.py").run()
    at.number_input(key=keys.field("max_completion_tokens")).set_value(8)
    at.chat_input(key=keys.CHAT_INPUT).set_value("Name an animal.").run()
    assert not at.exception, at.exception
    (cell,) = notebook(at).cells
    assert cell.status == "done" and notebook(at).conversation[-1].role == "assistant"

    at.switch_page(PAGE).run()
    assert any("the last answer is left out" in c.value for c in at.caption)  # the conversation ends with that answer
    at.radio(key=keys.CMP_SOURCE).set_value("cell").run()
    assert at.selectbox(key=keys.CMP_CELL).value == cell.id
    assert "Name an animal." in at.selectbox(key=keys.CMP_CELL).format_func(cell.id)
    at.text_input(key=keys.CMP_SEEDS).set_value("4, 5")
    press_compare(at)
    c = finish(at)
    assert [r.label for r in c.results] == ["seed 4", "seed 5"]
    for r, seed in zip(c.results, (4, 5), strict=True):
        assert r.status == "done"
        assert r.body == {**cell.body, "seed": seed}


HOSTILE = [
    "![x](http://127.0.0.1:9/x.png)",
    "[click](http://example.org)",
    "$5 and $10",
    ":red[alarm] :material/home:",
    "<img src=x onerror=alert(1)>",
    "*bold* _it_ `code` # head",
    "1. item\n- item\n> quote",
    "back\\slash] and ]",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_model_text_is_shown_as_written_never_as_markdown(text: str) -> None:
    shown = compare_view.plain(text)
    assert re.search(r"(?<!\\)[!\[\]()$:<>*_`#>-]", shown.replace("\\\\", "")) is None  # every one escaped
    assert re.sub(r"\\(.)", r"\1", shown).replace("  \n", "\n") == text  # and nothing else changed


def test_the_diverging_token_is_highlighted_and_the_rest_left_plain() -> None:
    text = "Hello.\n\nThe [end]"
    point = compare.Point(char=6, token_index=1, token="\n\nThe", word_index=1, word="The", word_char=8)
    marked = compare_view.marked_answer(text, compare.Divergence(index=0, diverges=True, point=point))
    assert marked == "Hello\\.  \n  \n:orange-background[The] \\[end\\]"
    ended = compare.Point(char=5, token_index=1, token=None, word_index=None, word=None, word_char=None)
    assert compare_view.marked_answer("Hello", compare.Divergence(index=0, diverges=True, point=ended)).endswith("[⟂ ends here]")


def test_a_set_number_out_of_range_is_kept_named_under_it_and_blocks_compare(at: AppTest) -> None:
    """A set's temperature of 5 stays 5 in its box, is named as wrong right under it, and Compare waits."""
    ask(at, "Hello")
    at.radio(key=keys.CMP_MODE).set_value("sets").run()
    # the sets' forms share one grid's row (fixed-width forms left half an 800-pixel window empty)
    (sets,) = [g for g in at.grid if any(n.key == keys.cmp_set(0, "temperature") for n in g.number_input)]
    assert sets.column_count == 2 and sets.min_column_width == compare_view.CARD_WIDTH
    at.number_input(key=keys.cmp_set(0, "temperature")).set_value(5.0).run()
    assert at.number_input(key=keys.cmp_set(0, "temperature")).value == 5.0
    assert any("Temperature must be between 0 and 2" in e.value for e in at.main.error), [e.value for e in at.main.error]
    assert at.button(key=keys.CMP_RUN).disabled
    assert "Compare is off until you fix" in texts(at) and "set A" in texts(at)
    at.number_input(key=keys.cmp_set(0, "temperature")).set_value(1.5).run()
    assert not at.button(key=keys.CMP_RUN).disabled
    assert not any("Temperature must be" in e.value for e in at.main.error)


def test_a_run_from_a_notebook_naming_another_server_is_not_compared_there_unconfirmed(
    gateway, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    with fake_server() as server:
        asked = [ChatMessage(role="user", content="Hi")]
        body = {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}
        done = Cell(backend="openai", base_url=server.base_url, model="m", body=body, conversation=asked, status="done")
        nb = NotebookStore().save(Notebook(title="From elsewhere", conversation=asked, cells=[done]))
        app = _app(nb.id)
        app.radio(key=keys.CMP_SOURCE).set_value("cell").run()
        app.text_input(key=keys.CMP_SEEDS).set_value("4, 5")
        press_compare(app)
        app.run()
    assert server.seen == []
    assert "a server this notebook names" in texts(app)


def test_a_set_card_names_what_its_set_changes_and_a_set_warning_goes_once_the_set_changes(at: AppTest) -> None:
    ask(at, "Name a city.", tokens=4)
    at.radio(key=keys.CMP_MODE).set_value("sets").run()
    at.text_area(key=keys.cmp_set(1, "more")).set_value("{bad").run()
    press_compare(at)
    assert any("not valid JSON" in e.value for e in at.error)
    at.text_area(key=keys.cmp_set(1, "more")).set_value("").run()
    assert not any("not valid JSON" in e.value for e in at.error), "the warning stayed after its set changed"
    at.number_input(key=keys.cmp_set(1, "temperature")).set_value(1.4)
    press_compare(at)
    c = finish(at)
    page = texts(at)
    assert f"**{compare_view.plain(c.results[1].label)}** · {compare_view.plain('Temperature 1.4')}" in page
    assert f"**{compare_view.plain(c.results[0].label)}** · {compare_view.plain('the same settings as the others')}" in page


def test_the_set_up_is_kept_with_the_notebook_and_comes_back_in_a_new_session(at: AppTest) -> None:
    ask(at, "Name a colour.")
    at.radio(key=keys.CMP_MODE).set_value("sweep").run()
    at.selectbox(key=keys.CMP_SWEEP_FIELD).set_value("top_p").run()
    at.text_input(key=keys.CMP_SWEEP_VALUES).set_value("0.5, 0.9").run()
    at.radio(key=keys.CMP_MODE).set_value("sets").run()
    at.text_input(key=keys.cmp_set(1, "label")).set_value("cold")
    at.number_input(key=keys.cmp_set(1, "temperature")).set_value(0.1).run()
    at.radio(key=keys.CMP_MODE).set_value("seeds").run()
    at.text_input(key=keys.CMP_SEEDS).set_value("4, 5, 6")
    at.toggle(key=keys.CMP_REPEAT).set_value(True).run()
    assert not at.exception, at.exception

    again = _app(notebook(at).id)  # a reload: a new session on the same store
    assert again.text_input(key=keys.CMP_SEEDS).value == "4, 5, 6"
    assert again.toggle(key=keys.CMP_REPEAT).value is True
    assert again.text_area(key=keys.CMP_PROMPT).value == "Name a colour."  # typed, not yet sent
    again.radio(key=keys.CMP_MODE).set_value("sweep").run()
    assert again.selectbox(key=keys.CMP_SWEEP_FIELD).value == "top_p"
    assert again.text_input(key=keys.CMP_SWEEP_VALUES).value == "0.5, 0.9"
    again.radio(key=keys.CMP_MODE).set_value("sets").run()
    assert again.text_input(key=keys.cmp_set(1, "label")).value == "cold"
    assert again.number_input(key=keys.cmp_set(1, "temperature")).value == 0.1

    # another notebook opened in that session starts from the defaults, not from this one's set-up
    other = Notebook(conversation=[ChatMessage(role="user", content="Hi")])
    NotebookStore().save(other)
    again.query_params[keys.NOTEBOOK_PARAM] = other.id
    again.run()
    assert again.radio(key=keys.CMP_MODE).value == "seeds"
    assert again.text_input(key=keys.CMP_SEEDS).value == "1, 2, 3"


def test_a_notebook_whose_set_up_cannot_be_shown_opens_with_the_defaults(gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    odd = {
        "mode": "sweep",
        "seeds": 7,
        "sweep.field": "colour",
        "sweep.values": ["x"],
        "repeat": "yes",
        "sets.0.temperature": "hot",
    }
    nb = Notebook.model_validate({"conversation": [{"role": "user", "content": "Hi"}], "compare": odd})
    NotebookStore().save(nb)
    app = _app(nb.id)
    assert app.radio(key=keys.CMP_MODE).value == "sweep"  # what can be shown is
    assert app.selectbox(key=keys.CMP_SWEEP_FIELD).value == "temperature"
    assert app.text_input(key=keys.CMP_SWEEP_VALUES).value == "0.2, 0.7, 1.2"
    assert app.toggle(key=keys.CMP_REPEAT).value is False
    app.radio(key=keys.CMP_MODE).set_value("seeds").run()
    assert app.text_input(key=keys.CMP_SEEDS).value == "1, 2, 3"
    app.radio(key=keys.CMP_MODE).set_value("sets").run()
    assert not app.exception, app.exception
    assert app.number_input(key=keys.cmp_set(0, "temperature")).value is None


def test_a_sets_server_that_the_notebook_names_gets_nothing_until_the_person_types_it(
    gateway, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The set-up is kept with the notebook, so an imported one can name a set's server: as with a run's server, nothing
    is sent there until the person confirms it (here: types the address), and a set the person typed runs."""
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    with fake_server() as server:
        named = {"mode": "sets", "sets.1.backend": "openai", "sets.1.base_url": server.base_url, "sets.1.model": "m"}
        nb = Notebook(title="From elsewhere", conversation=[ChatMessage(role="user", content="Hi")], compare=named)
        app = _app(NotebookStore().save(nb).id)
        assert app.text_input(key=keys.cmp_set(1, "base_url")).value == server.base_url
        app.number_input(key=keys.field("max_completion_tokens")).set_value(2)
        press_compare(app)
        app.run()
        assert server.seen == []
        assert "a server this notebook names" in texts(app)

        app.text_input(key=keys.cmp_set(1, "base_url")).set_value(server.base_url + "/").run()
        press_compare(app)
        deadline = time.monotonic() + 120
        while not server.seen and time.monotonic() < deadline:  # the comparison's own thread sends it
            time.sleep(0.05)
    assert [s.path for s in server.seen if s.method == "POST"] == ["/v1/chat/completions"]
