"""Present page: the open notebook as slides, one run at a time, with Previous and Next; no sidebar, large type.

Wiring only: the notebook comes from `?notebook=<id>` (or the session's), each slide is `components.present.slide`.
Nothing here changes or saves the notebook.
"""

from __future__ import annotations

import streamlit as st

from components import present
from components import state as keys
from components.text import plain
from views import shared

ss = st.session_state


def _move(notebook_id: str, to: int) -> None:
    ss[keys.PRESENT_AT] = {**ss.get(keys.PRESENT_AT, {}), notebook_id: to}


def main() -> None:
    shared.open_notebook()
    st.html(present.STYLE)
    nb = shared.notebook()
    back = {keys.NOTEBOOK_PARAM: nb.id} if nb.version > 0 else None
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(f"### {plain(nb.title)}")
        st.page_link("views/playground.py", label="Back to the notebook", icon=":material/edit:", query_params=back)
    if not nb.cells:
        st.info("Nothing to present yet: run something on the Playground first.", icon=":material/info:")
        return
    at = min(ss.get(keys.PRESENT_AT, {}).get(nb.id, 0), len(nb.cells) - 1)
    with st.container(horizontal=True, vertical_alignment="center"):
        st.button(
            "Previous",
            key=keys.PRESENT_PREVIOUS,
            icon=":material/arrow_back:",
            disabled=at == 0,
            on_click=_move,
            args=(nb.id, at - 1),
        )
        st.button(
            "Next",
            key=keys.PRESENT_NEXT,
            icon=":material/arrow_forward:",
            disabled=at == len(nb.cells) - 1,
            on_click=_move,
            args=(nb.id, at + 1),
            type="primary",
        )
    present.slide(nb, at)


main()
