"""Cost on the page: a run's cost on its cell and the notebook's total (the embedded model is free), and the price
table on the Tools & schemas page, kept in the store."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components import state as keys
from playground.price_store import PriceStore
from playground.pricing import Price
from tests.app.test_playground_page import cells, say, short, texts


def _tools_page(at: AppTest) -> AppTest:
    at.switch_page("views/tools.py").run()
    assert not at.exception, at.exception
    return at


def _fill(at: AppTest, backend: str, model: str, rates: dict[str, float]) -> None:
    at.selectbox(key=keys.PR_BACKEND).set_value(backend)
    at.text_input(key=keys.PR_MODEL).input(model)
    for name, value in rates.items():
        at.number_input(key=keys.pr_rate(name)).set_value(value)


def test_an_embedded_run_is_free_on_its_cell_and_in_the_notebooks_total(at: AppTest) -> None:
    short(at, 4)
    say(at, "Say hi.")
    (cell,) = cells(at)
    assert cell.status == "done"
    page = texts(at)
    assert "tokens in, " in page and " · free · " in page
    assert "This notebook's 1 run: free" in page


def test_a_price_set_on_the_tools_page_is_kept_then_reset(at: AppTest) -> None:
    _tools_page(at)
    assert "Prices" in texts(at)
    _fill(at, "openai", " llama-3 ", {"input": 1.5, "cached_input": 0.5, "output": 2.0, "reasoning": 0.0})
    at.button(key=keys.PR_SAVE).click().run()
    assert not at.exception, at.exception
    assert PriceStore().saved() == {("openai", "llama-3"): Price(input=1.5, cached_input=0.5, output=2.0, reasoning=0.0)}
    assert "Saved the price of llama\\-3\\." in [e.value for e in at.success]
    table = at.dataframe[0].value
    assert table.loc[table["Model"] == "llama-3", "Price"].tolist() == ["set by you"]
    _fill(at, "openai", "llama-3", {})
    at.button(key=keys.PR_RESET).click().run()
    assert PriceStore().saved() == {}
    assert "llama\\-3 is back to its default price\\." in [e.value for e in at.success]


def test_a_missing_model_or_rate_is_said_next_to_it_and_nothing_typed_is_lost(at: AppTest) -> None:
    _tools_page(at)
    _fill(at, "openai", "", {"input": 1.0, "output": 2.0})
    at.button(key=keys.PR_SAVE).click().run()
    assert "Give the model's name" in " ".join(e.value for e in at.error)
    _fill(at, "openai", "m", {})
    at.button(key=keys.PR_SAVE).click().run()
    errors = " ".join(e.value for e in at.error)
    assert "missing: Cached input, Reasoning" in errors
    assert at.number_input(key=keys.pr_rate("input")).value == 1.0 and at.text_input(key=keys.PR_MODEL).value == "m"
    assert PriceStore().saved() == {}
