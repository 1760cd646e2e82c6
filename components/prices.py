"""The price table: what each model costs per million tokens, and a form to set or reset one (Tools & schemas page).

Renders only: the page keeps what the form returns (`PriceEdit`) in the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st

from components import state as keys
from components.text import plain
from playground import backends, pricing


@dataclass(frozen=True)
class PriceEdit:
    """What the person asked for: keep `price` for `model` on `backend`, or go back to its default."""

    action: Literal["save", "reset"]
    backend: str
    model: str
    price: pricing.Price | None = None


def _rows(saved: Mapping[pricing.PriceKey, pricing.Price]) -> pd.DataFrame:
    rows = []
    listed = {("xai", m): p for m, p in pricing.XAI_PRICES.items()}
    for (backend, model), price in sorted({**listed, **saved}.items()):
        source = "set by you" if (backend, model) in saved else "xAI's published price"
        rows.append({"Server": backends.backend(backend).label, "Model": model, **_rates(price), "Price": source})
    rows.append({"Server": backends.backend("embedded").label, "Model": "(any)", **_rates(pricing.FREE), "Price": "free"})
    return pd.DataFrame(rows)


def _rates(price: pricing.Price) -> dict[str, float]:
    return {f"{words} $/M": getattr(price, name) for name, words in pricing.RATES.items()}


def editor(saved: Mapping[pricing.PriceKey, pricing.Price]) -> PriceEdit | None:
    """The table of prices in force, then the form; returns what was submitted once it is complete."""
    st.subheader("Prices", divider="gray")
    st.caption(
        "What a run costs, in US dollars per million tokens: shown on each run, each comparison and the whole "
        "notebook. xAI's models start at xAI's published prices and the embedded model is free; any other model "
        "costs “unknown” until you set its price here."
    )
    st.dataframe(_rows(saved), hide_index=True, width="stretch")
    ids = list(backends.BACKENDS)
    with st.form(keys.PR_PAGE, border=True):
        left, right = st.columns([1, 2])
        backend = left.selectbox("Server", ids, key=keys.PR_BACKEND, index=ids.index("xai"), format_func=_label)
        model = right.text_input(
            "Model", key=keys.PR_MODEL, placeholder="grok-3-mini", help="The model's name as the server calls it"
        )
        model_problem = st.empty()
        values: dict[str, float | None] = {}
        for column, (name, words) in zip(st.columns(len(pricing.RATES)), pricing.RATES.items(), strict=True):
            values[name] = column.number_input(
                plain(f"{words} (US dollars per million tokens)"),
                key=keys.pr_rate(name),
                value=None,
                min_value=0.0,
                max_value=1_000_000.0,
                step=0.01,
                format="%.4f",
            )
        rates_problem = st.empty()
        with st.container(horizontal=True):
            save = st.form_submit_button("Save price", key=keys.PR_SAVE, icon=":material/save:", type="primary")
            reset = st.form_submit_button("Back to the default", key=keys.PR_RESET, icon=":material/undo:")
    if not (save or reset):
        return None
    name = model.strip()
    if not name:
        model_problem.error("Give the model's name, exactly as the server calls it.", icon=":material/error:")
        return None
    if reset:
        return PriceEdit("reset", backend, name)
    missing = [pricing.RATES[k] for k, v in values.items() if v is None]
    if missing:
        rates_problem.error(f"Give every rate (0 where it is free); missing: {', '.join(missing)}.", icon=":material/error:")
        return None
    return PriceEdit("save", backend, name, pricing.Price.model_validate(values))


def _label(backend_id: str) -> str:
    return backends.backend(backend_id).label
