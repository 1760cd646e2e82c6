"""The Compare page's "Why the answers diverged", under AppTest, on a comparison of real recorded answers (three
seeds of one prompt, with their logprobs) kept in a notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import compare_view
from components import state as keys
from components.text import plain
from playground import compare
from playground.compare import Comparison
from playground.notebook import ChatMessage, Notebook
from playground.store import NotebookStore
from tests.core.compare_cases import sea_runs

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "Describe the sea in one short sentence."


def test_why_three_seeds_diverged_is_read_off_their_logprobs_and_their_runs_table_fits_a_narrow_window(
    gateway,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    c = Comparison(base_body={"model": "m", "messages": [{"role": "user", "content": PROMPT}]}, results=sea_runs())
    asked = [ChatMessage(role="user", content=PROMPT)]
    nb = NotebookStore().save(Notebook(title="The sea", conversation=asked, comparisons=[c.model_dump(mode="json")]))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = nb.id
    app.switch_page("views/compare.py")
    app.run()
    assert not app.exception, app.exception

    assert "Why the answers diverged" in [s.value for s in app.subheader]
    markdown = [m.value for m in app.markdown]
    captions = "\n".join(e.value for e in app.caption)
    assert plain("Every run took the same token at 1 of 16 positions (6.2%).") in markdown
    assert (
        plain(
            "First divergence per pair: seed 2 and seed 3 at token 2; seed 2 and seed 4 at token 2; seed 3 and seed 4 at token 2."
        )
        in markdown
    )
    assert (
        plain(
            "Coin tosses (the top two within 10 points): seed 2: 8 of 16 tokens, seed 3: 2 of 16 tokens, seed 4: 5 of 16 tokens."
        )
        in markdown
    )
    fork = ":material/call_split: " + plain(
        "At token 2, after “The”: seed 2 took ␣golden (1.5%), seed 3 took ␣ocean (16.1%), seed 4 took ␣sea (43.3%)."
    )
    assert fork in markdown
    for line in (
        "seed 2 gave ␣golden 1.5%, ␣ocean 16.1%, ␣sea 43.3%.",
        "seed 3 gave ␣ocean 16.1%, ␣sea 43.3% (␣golden not among its alternatives).",
        "Not a coin toss: the top two alternatives there were ␣sea 43.3% and ␣ocean 16.1%.",
    ):
        assert plain(line) in captions

    stability = compare.analyse(c).stability
    assert stability is not None
    (closest,) = [d.value for d in app.dataframe if "took" in d.value.columns]
    assert list(closest["took"]) == [compare_view.visible(m.chosen) for m in stability.lowest]
    assert closest["took"][0] == "␣delicate" and closest["top"][0] == "␣timeless 4.7%"
    assert list(closest["margin"]) == sorted(closest["margin"])

    # The Runs table shows what an 800-pixel window holds without scrolling sideways (all eleven columns did not fit);
    # group, input tokens, first token and system_fingerprint stay in the table, hidden until asked for.
    (runs,) = [d for d in app.dataframe if "diverges_at" in d.value.columns]
    assert {"group", "input_tokens", "ttft_s", "fingerprint"} <= set(runs.value.columns)
    shown = list(runs.proto.column_order)
    labels = {name: column.get("label") for name, column in json.loads(runs.proto.columns).items()}
    assert [labels[name] for name in shown] == ["Run", "Status", "Tokens", "Time (s)", "Tok/s", "Similar", "Diverges"]
