"""The Evaluate page's "Across" inputs: each row × seed run once, or also across a field sweep or setting sets, drawn
with Compare's own inputs (`components.compare_setup`: the same boxes, their values shared with the Compare page).
Drawing only: `playground.evaluate.plan.across` turns what this returns into the plan's sweep or setting sets."""

from __future__ import annotations

import streamlit as st

from components import compare_setup
from components import state as keys
from playground import errors
from playground.compare.inputs import SetupInputs
from playground.notebook import Notebook

ss = st.session_state
ACROSS: dict[str, str] = {"seeds": "Seeds only", "sweep": "× a field sweep", "sets": "× setting sets"}


def inputs(nb: Notebook, problem: errors.RequestError | None, *, model_hint: str) -> SetupInputs:
    """The choice (kept with the notebook) and, for a sweep or setting sets, Compare's inputs for them, with the
    mistakes in `problem` under the input they belong to."""
    if ss.get(keys.EV_ACROSS) not in ACROSS:
        ss[keys.EV_ACROSS] = nb.evaluation.get("across") if nb.evaluation.get("across") in ACROSS else "seeds"
    mode = st.radio(
        "Across",
        list(ACROSS),
        key=keys.EV_ACROSS,
        format_func=ACROSS.__getitem__,
        horizontal=True,
        help="Every row runs once per seed; with a sweep or setting sets, once per seed under each value or set "
        "(the grid gets a column for each)",
    )
    if mode == "seeds":  # the default: an untouched page adds nothing to the notebook
        nb.evaluation.pop("across", None)
    else:
        nb.evaluation["across"] = mode
    out = SetupInputs(mode=mode)  # type: ignore[arg-type]
    if mode == "sweep":
        compare_setup.sweep_inputs(out, problem)
    elif mode == "sets":
        compare_setup.set_inputs(out, problem, model_hint=model_hint)
    return out
