"""Continue from here on the page: the offer beside a run's alternatives, and where a branch came from.

Components never do HTTP: the button leaves its pick under `state.BRANCH_PICK` and asks the page to act
(`state.PENDING` ("branch", cell id)); the page asks the run's server once whether it continues an unfinished answer
(`branch.Probes`, kept under `state.CONTINUE_PROBES`) and runs the branch. Token text is untrusted model output: it
reaches the screen through components/text.py's helpers and select box options only.
"""

from __future__ import annotations

import streamlit as st

from components import state as keys
from components.charts import percent
from components.text import plain
from playground import branch, compare
from playground.notebook import Cell, Notebook

__all__ = ["OWN_WORD", "compare_button", "offer", "origin", "probes"]

OWN_WORD = -1  # the select box's last option: a word typed in, instead of one of the alternatives


def probes() -> branch.Probes:
    """What this session learnt of which servers continue an unfinished answer."""
    return st.session_state.setdefault(keys.CONTINUE_PROBES, branch.Probes())


def _ask(pick: branch.Pick) -> None:
    st.session_state[keys.BRANCH_PICK] = pick
    st.session_state.pop(keys.BRANCH_ERROR, None)
    st.session_state[keys.PENDING] = ("branch", pick.cell_id)


def offer(cell: Cell, choice: int, position: int) -> None:
    """Under the alternatives at `position`: pick one (or type a word) and "Continue from here with ␣Lyon"; or why
    this run, or its server, cannot be continued from a token."""
    why = branch.unavailable(cell)
    known = probes().known(cell)
    if why is None and known is not None and not known.continues:
        why = known.why
    if why is not None:
        st.caption(f":material/block: Continue from here is not available: {plain(why)}")
        return
    assert cell.completion is not None
    offered = branch.options(cell.completion, position, choice)
    labels = {o.index: f"{o.shown} · {percent(o.probability)}" for o in offered} | {OWN_WORD: "A word of my own…"}
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        picked = st.selectbox(
            f"Put in place of the token at position {position}",
            list(labels),
            format_func=labels.__getitem__,
            key=keys.branch_with(cell.id, choice, position),  # a box per position: its options are that position's
            help="One of the tokens the model considered here, or a word of your own; the answer up to here is kept.",
        )
        typed = None
        if picked == OWN_WORD:
            typed = st.text_input(
                "Your word",
                key=keys.branch_word(cell.id, choice, position),
                placeholder="Lyon",
                help="A word starting with a letter or digit takes the space the token it replaces began with.",
            )
    pick = branch.Pick(
        cell_id=cell.id, choice=choice, position=position, alternative=None if picked == OWN_WORD else picked, typed=typed
    )
    problem = None if picked == OWN_WORD and not typed else branch.problem(cell, pick)
    new = None if problem or (picked == OWN_WORD and not typed) else branch.origin(cell, pick).new_token
    if st.button(
        f"Continue from here with {new}" if new else "Continue from here",
        key=keys.branch_go(cell.id),
        icon=":material/call_split:",
        disabled=new is None,
        on_click=_ask,
        args=(pick,),
        help="A new run beside this one: this answer up to here, then the token above, then what the model writes on, "
        "with the same settings and seed.",
    ):
        st.rerun()  # drawn in the Details fragment: the whole page runs the branch and shows it
    if problem:
        st.warning(plain(problem), icon=":material/edit:")
    failed = st.session_state.get(keys.BRANCH_ERROR)
    if failed and failed[0] == cell.id:
        st.error(plain(failed[1]), icon=":material/error:")


def origin(cell: Cell, branched_from: str) -> None:
    """Where a branch came from (`branched_from`: that run's label, e.g. "Run 1 of 3"), and when its model wrote
    nothing more after the new token, that it ended the answer right there."""
    where = cell.branch
    if where is None:
        return

    def chance(p: float | None) -> str:
        return f" ({percent(p)})" if p is not None else " (typed in)"

    st.caption(
        f":material/call_split: Branched from {plain(branched_from)} at position {where.position}: "
        f"{plain(where.old_token)}{chance(where.old_probability)} → {plain(where.new_token)}{chance(where.new_probability)}. "
        "The text up to there is that run's; the model wrote on from there, with the same settings and seed.",
    )
    if branch.nothing_followed(cell):
        st.info(f"The model ended its answer right after {plain(where.new_token)}: nothing follows it.", icon=":material/info:")


def compare_button(nb: Notebook, cell: Cell) -> None:
    """ "Compare branches", for a run that has branches or is one: that answer and all its branches side by side on
    the Compare page (kept with the notebook's comparisons; nothing is sent)."""
    members = branch.family(nb.cells, cell)
    if len(members) < 2:
        return
    if st.button(
        "Compare branches",
        key=keys.branch_compare(cell.id),
        icon=":material/compare_arrows:",
        type="tertiary",
        help=f"This answer and its {len(members) - 1} branch(es) side by side on the Compare page: where they differ, "
        "their probabilities, usage and speed",
    ):
        made = compare.of_cells(members)
        nb.comparisons.append(made.model_dump(mode="json"))
        st.session_state[keys.CMP_SHOWN] = made.id
        st.switch_page("views/compare.py")
