"""The Compare page's reading: the columns filling in while runs stream, a finished comparison, and the
notebook's saved comparisons (the set-up inputs are components/compare_setup.py).

Drawing only: no HTTP, no threads. Everything read off a finished comparison comes from `compare.analyse`.

Model text is untrusted: it reaches the screen through `plain` (every Markdown character escaped, so no
link, image, LaTeX or directive can come out of it), `st.text`, `st.code`, data frames and Vega text marks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import streamlit as st

from components import chart_views, charts, job_view, report
from components import state as keys
from components.cells import COST_HELP, cost_words, when
from components.text import plain, speed_words
from playground import analysis as probabilities
from playground import compare, pricing
from playground.compare import Analysis, Comparison, Divergence, RunResult, describe, set_words
from playground.notebook import Notebook

ss = st.session_state

MAX_FORKS = 5  # forks listed under "Why the answers diverged", the first ones
CARD_WIDTH = 240  # pixels: a card's least width; several side by side on a wide screen, one per row on a narrow one
MAX_GRID_COLUMNS = 24  # st.grid's most columns
# The Runs table's columns shown, narrow enough for an 800-pixel window; the rest (group, input tokens, first token,
# system_fingerprint) are a click away in the table's "Show/hide columns" menu, and all of it is in the CSV.
RUNS_SHOWN = ("run", "status", "output_tokens", "total_s", "tokens_per_s", "similarity", "diverges_at")

# --------------------------------------------------------------------------------------------
# untrusted text


def shown_token(token: str) -> str:
    """A token as it reads in a sentence: quoted, with its whitespace visible (' blue', '\\n')."""
    return repr(token)


# --------------------------------------------------------------------------------------------
# describing a comparison


def option_label(c: Comparison) -> str:
    """A comparison in the select box of this notebook's comparisons."""
    local = c.created.astimezone()
    done = sum(r.status == "done" for r in c.results)
    runs = f"{done} of {len(c.results)} runs" if done != len(c.results) else f"{len(c.results)} runs"
    return f"{when(local.timestamp())} · {describe(c)} · {runs}"


def _metrics_line(r: RunResult) -> str:
    tokens = f"{r.usage.output_tokens} tokens" if r.usage is not None else ""
    return " · ".join(p for p in (tokens, speed_words(r.ttft_s, r.total_s, r.tokens_per_s)) if p)


# --------------------------------------------------------------------------------------------
# one column


def _unit(a: Analysis | None) -> str:
    return "token" if a is not None and a.tokens == "logprobs" else "word"


def marked_answer(text: str, d: Divergence) -> str:
    """The answer with the token where it diverges highlighted, as escaped Markdown. The token's leading
    whitespace stays plain text (a line break stays a line break); a token of whitespace only is drawn as
    ␣ and ↵ so the highlight has something to show."""
    p = d.point
    assert p is not None
    before = text[: p.char]
    if p.token is None:  # the text ends where the other goes on
        return plain(before) + " :orange-background[⟂ ends here]"
    after = text[p.char + len(p.token) :]
    core = p.token.lstrip()
    lead = p.token[: len(p.token) - len(core)]
    if core:
        shown = plain(core.replace("\n", "↵"))
        tail = "  \n" if core.endswith("\n") else ""
    else:
        shown = "".join("↵" if ch == "\n" else "␣" for ch in lead)
        lead, tail = "", "  \n" if lead.endswith("\n") else ""
    return plain(before + lead) + f":orange-background[{shown}]" + tail + plain(after)


def divergence_words(c: Comparison, a: Analysis, index: int) -> str | None:
    """ "Diverges at token 5: ' blue' (seed 2 has ' red')", or None when no other answer differs from it."""
    d = a.divergence.get(index)
    if d is None or not d.diverges or d.point is None:
        return None
    unit = _unit(a)
    p, other = d.point, d.other
    closest = c.results[d.closest].label if d.closest is not None else "another run"
    if p.token is None:
        said = f"Ends after {unit} {p.token_index}"
        if other is not None and other.token is not None:
            said += f", where {closest} goes on with {shown_token(other.token)}"
        return said
    said = f"Diverges at {unit} {p.token_index + 1}: {shown_token(p.token)}"
    if other is not None:
        said += f" ({closest} has {shown_token(other.token)})" if other.token is not None else f" ({closest} ends there)"
    return said


def _group_words(c: Comparison, a: Analysis, index: int) -> str | None:
    number = a.group_of.get(index)
    group = next((g for g in a.groups if g.number == number), None)
    if group is None or group.count < 2:
        return None
    others = [c.results[m].label for m in group.members if m != index]
    return f"Identical to {', '.join(others)}"


def run_column(c: Comparison, r: RunResult, a: Analysis | None, cost: pricing.Cost | None = None) -> None:
    """One run: its label (and what its set changes), status and figures (its cost once finished), and its answer
    (with the divergence marked once finished)."""
    with st.container(border=True, key=keys.cmp_run(r.index)):
        changes = set_words(c, r.index)
        st.markdown(f"**{plain(r.label)}**" + (f" · {plain(changes)}" if changes else ""))
        if r.status == "pending":
            st.caption(":material/hourglass_top: waiting for a free slot")
            return
        if r.status == "running":
            st.caption(
                f":material/progress_activity: streaming… {len(r.text)} characters"
                if r.text
                else ":material/progress_activity: waiting for the first token"
            )
            st.markdown(plain(r.text) + " ▌" if r.text else "…")
            return
        line = " · ".join(p for p in (_metrics_line(r), cost_words(cost) if cost is not None else "") if p)
        if line:
            st.caption(line)
        if r.status == "error":
            st.error(plain(r.error or "This run failed."), icon=":material/error:")
            if r.text:
                st.markdown(plain(r.text))
            return
        if r.status == "cancelled":
            if r.total_s is None:
                st.warning("Cancelled before it started.", icon=":material/pause:")
                return
            st.warning(
                "Cancelled; the text received is kept." if r.text else "Cancelled before the first token.",
                icon=":material/pause:",
            )
            if not r.text:
                return
        d = a.divergence.get(r.index) if a is not None else None
        words = divergence_words(c, a, r.index) if a is not None else None
        group = _group_words(c, a, r.index) if a is not None else None
        if group:
            st.caption(f":material/content_copy: {plain(group)}")
        if words and d is not None:
            st.caption(f":material/call_split: {plain(words)}")
            st.markdown(marked_answer(r.text, d))
        elif r.text:
            st.markdown(plain(r.text))
        else:
            st.caption("(no text)")
        if r.thinking:
            with st.popover("Thinking", icon=":material/psychology:"):
                st.text(r.thinking)


def columns(c: Comparison, a: Analysis | None, costs: Sequence[pricing.Cost] | None = None) -> None:
    """Every run as a card in a grid of as many equal columns as the page fits at CARD_WIDTH pixels or more, so
    the cards fill the row (one card per row on a narrow window; fixed columns squeezed four answers into a few
    words each, and fixed-width cards left half a narrow page empty)."""
    with st.grid(min(len(c.results), MAX_GRID_COLUMNS) or 1, min_column_width=CARD_WIDTH, gap="small"):
        for i, r in enumerate(c.results):
            run_column(c, r, a, costs[i] if costs is not None else None)


# --------------------------------------------------------------------------------------------
# while it runs


def running(c: Comparison, *, on_cancel: Callable[[], None]) -> None:
    """Progress, Cancel, and the columns as they fill in."""
    job_view.progress(
        c.progress,
        f"{c.finished_count} of {len(c.results)} runs finished · {describe(c)}",
        cancel_key=keys.CMP_CANCEL,
        on_cancel=on_cancel,
        help="Stop the runs still going; what finished is kept",
    )
    columns(c, None)


# --------------------------------------------------------------------------------------------
# why the answers diverged


def visible(token: str | None) -> str:
    """A token with its whitespace shown (␣ a space, ↵ a line break, ⇥ a tab); "(the end)" for no token."""
    if token is None:
        return "(the end)"
    return token.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥") or "∅"


def fork_words(c: Comparison, fork: compare.Fork) -> list[str]:
    """A fork in words: what each run took there and the odds its run gave it, then the odds each run gave every
    token taken there, then whether it was a coin toss."""
    after = f", after “{fork.prefix[-60:]}”" if fork.prefix else ", the first token"
    took = ", ".join(
        f"{c.results[p.run].label} took {visible(p.token)} ({charts.percent(p.probability)})"
        if p.token is not None and p.probability is not None
        else f"{c.results[p.run].label} ended"
        for p in fork.picks
    )
    lines = [f"At token {fork.position + 1}{after}: {took}."]
    for run, odds in fork.given.items():
        pairs = list(zip(fork.tokens, odds, strict=True))
        gave = ", ".join(f"{visible(t)} {charts.percent(p)}" for t, p in pairs if p is not None)
        missing = " and ".join(visible(t) for t, p in pairs if p is None)
        lines.append(f"{c.results[run].label} gave {gave}" + (f" ({missing} not among its alternatives)." if missing else "."))
    if fork.top_two is not None:
        first, second = (f"{visible(t)} {charts.percent(p)}" for t, p in fork.top_two)
        toss = "A coin toss" if fork.coin_toss else "Not a coin toss"
        lines.append(f"{toss}: the top two alternatives there were {first} and {second}.")
    if fork.position:
        tosses, n = fork.coin_tosses_before, fork.position
        lines.append(f"On the way there: {tosses} coin toss{'es' * (tosses != 1)} in {n} token{'s' * (n != 1)}.")
    return lines


def stability_words(c: Comparison, s: compare.Stability) -> list[str]:
    """The comparison's stability: where every run agreed, the first divergence of each pair, and how often each
    answer was a coin toss."""
    lines = [f"Every run took the same token at {s.agreed} of {s.positions} positions ({charts.percent(s.agreed_share)})."]
    pairs = "; ".join(
        f"{c.results[p.a].label} and {c.results[p.b].label} "
        + (f"at token {p.position + 1}" if p.position is not None else "never (the same tokens)")
        for p in s.pairs
    )
    lines.append(f"First divergence per pair: {pairs}.")
    tosses = [f"{c.results[p.run].label}: {p.coin_tosses} of {p.positions} tokens" for p in s.paths if p.coin_tosses is not None]
    if tosses:
        lines.append(f"Coin tosses (the top two within {compare.COIN_TOSS * 100:.0f} points): {', '.join(tosses)}.")
    return lines


def _why(c: Comparison, a: Analysis) -> None:
    s = a.stability
    if s is None:
        return
    st.subheader("Why the answers diverged", divider="gray")
    for line in stability_words(c, s):
        st.markdown(plain(line))
    for fork in s.forks[:MAX_FORKS]:
        first, *rest = fork_words(c, fork)
        st.markdown(f":material/call_split: {plain(first)}")
        st.caption("  \n".join(plain(line) for line in rest))
    if len(s.forks) > MAX_FORKS:
        st.caption(f"{len(s.forks) - MAX_FORKS} more forks further on are not listed.")
    if s.lowest:
        st.caption("The closest calls in the answers (the top two alternatives nearest each other):")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "run": c.results[m.run].label,
                        "token": m.position + 1,
                        "took": visible(m.chosen),
                        "top": f"{visible(m.first)} {charts.percent(m.first_p)}",
                        "second": f"{visible(m.second)} {charts.percent(m.second_p)}",
                        "margin": m.margin,
                    }
                    for m in s.lowest
                ]
            ),
            hide_index=True,
            column_config={
                "run": st.column_config.TextColumn("Run"),
                "token": st.column_config.NumberColumn("Token"),
                "took": st.column_config.TextColumn("Took"),
                "top": st.column_config.TextColumn("Most likely"),
                "second": st.column_config.TextColumn("Second"),
                "margin": st.column_config.NumberColumn(
                    "Margin", format="percent", help="The most likely's probability minus the second's"
                ),
            },
        )


# --------------------------------------------------------------------------------------------
# reading a finished comparison


def _summary(c: Comparison, a: Analysis, costs: Sequence[pricing.Cost]) -> None:
    done = len(a.compared)
    failed = sum(r.status == "error" for r in c.results)
    cancelled = sum(r.status == "cancelled" for r in c.results)
    parts = [f"**{plain(a.summary)}**"]
    if failed:
        parts.append(f"{failed} failed")
    if cancelled:
        parts.append(f"{cancelled} cancelled")
    if done > 1:
        parts.append("compared by the model's tokens" if a.tokens == "logprobs" else "compared word by word")
    if c.wall_s is not None:
        busy = sum(r.total_s or 0.0 for r in c.results)
        parts.append(f"{c.wall_s:.1f} s on the clock for {busy:.1f} s of runs")
    if costs:
        parts.append(plain(f"all {len(costs)} runs: {pricing.total(costs).words()}"))
    st.markdown(" · ".join(parts), help=COST_HELP)
    for g in a.groups:
        if g.count > 1 and g.count < done:
            names = ", ".join(c.results[m].label for m in g.members)
            st.caption(plain(f"{g.count} identical: {names}"))


def _reproducibility(c: Comparison, a: Analysis) -> None:
    checks = a.reproducibility
    if not checks:
        return
    st.subheader("Reproducibility", divider="gray")
    verdict = compare.reproducibility_summary(checks).split(";")[0]  # where each differed is said below, by its unit
    if all(ch.matched for ch in checks):
        st.success(plain(f"Reproducible: {verdict}."), icon=":material/check_circle:")
    else:
        st.warning(plain(f"Not reproducible: {verdict}."), icon=":material/difference:")
    unit = _unit(a)
    for ch in checks:
        first, again = ch.labels
        if ch.matched:
            line = f"{again} matched {first} token for token."
        else:
            diff = ch.difference
            line = f"{again} differed from {first}"
            if diff is not None and diff.b is not None:
                line += f" at {unit} {diff.b.token_index + 1}: "
                line += shown_token(diff.b.token) if diff.b.token is not None else "(it ended)"
                line += " vs " + (shown_token(diff.a.token) if diff.a is not None and diff.a.token is not None else "(it ended)")
            line += "."
        if ch.fingerprint_changed:
            line += f" The system_fingerprint changed ({ch.fingerprints[0]} → {ch.fingerprints[1]})."
        st.text(line)
    st.caption(plain(compare.SEED_NOTE))


def _table(c: Comparison, a: Analysis) -> None:
    rows = []
    for r in c.results:
        d = a.divergence.get(r.index)
        rows.append(
            {
                "run": r.label,
                "status": r.status,
                "group": a.group_of.get(r.index),
                "input_tokens": r.usage.input_tokens if r.usage else None,
                "output_tokens": r.usage.output_tokens if r.usage else None,
                "ttft_s": r.ttft_s,
                "total_s": r.total_s,
                "tokens_per_s": r.tokens_per_s,
                "similarity": a.similarity_to_first.get(r.index),
                "diverges_at": str(d.point.token_index + 1) if d is not None and d.point is not None else "—",
                "fingerprint": r.system_fingerprint,
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_order=RUNS_SHOWN,
        column_config={
            "run": st.column_config.TextColumn("Run", pinned=True),
            "status": st.column_config.TextColumn("Status"),
            "group": st.column_config.NumberColumn("Group", help="Runs with the same number gave identical answers"),
            "input_tokens": st.column_config.NumberColumn("Input tokens"),
            "output_tokens": st.column_config.NumberColumn("Tokens", help="Output tokens"),
            "ttft_s": st.column_config.NumberColumn("First token (s)", format="%.2f"),
            "total_s": st.column_config.NumberColumn("Time (s)", format="%.2f", help="From the request to the last token"),
            "tokens_per_s": st.column_config.NumberColumn("Tok/s", format="%.1f", help="Output tokens per second"),
            "similarity": st.column_config.NumberColumn(
                "Similar", format="percent", help="How much of its text lines up with the first run's"
            ),
            "diverges_at": st.column_config.TextColumn(
                "Diverges", help=f"At which {_unit(a)} it first differs from the closest other answer; — : none differs"
            ),
            "fingerprint": st.column_config.TextColumn("system_fingerprint"),
        },
    )


def _similarity(c: Comparison, a: Analysis) -> None:
    if len(a.compared) < 2:
        return
    labels = [c.results[i].label for i in a.compared]
    frame = pd.DataFrame([[a.similarity[i][j] for j in a.compared] for i in a.compared], index=labels, columns=labels)
    st.caption(
        f"How much of each pair's {_unit(a)}s line up (1 = identical, 0 = nothing in common).",
        help="Python difflib's SequenceMatcher ratio: twice the matching length over the total length of both.",
    )
    st.dataframe(frame, width="content", column_config={name: st.column_config.NumberColumn(format="%.2f") for name in labels})


def _strips(c: Comparison, a: Analysis, *, read_only: bool = False) -> None:
    with_logprobs = [r for r in c.results if r.completion is not None and probabilities.choices_with_logprobs(r.completion)]
    if not with_logprobs:
        return
    if read_only:
        st.subheader("Probability strips", divider="gray")
    elif not st.toggle(
        "Probability strips",
        key=keys.CMP_STRIPS,
        help="Each answer's tokens coloured by how likely the model found them; the divergence is outlined.",
    ):
        return
    for r in with_logprobs:
        assert r.completion is not None
        d = a.divergence.get(r.index)
        marked = d.point.token_index if a.tokens == "logprobs" and d is not None and d.point is not None else None
        st.caption(plain(r.label + (f" · outlined: {_unit(a)} {marked + 1}, where it diverges" if marked is not None else "")))
        frame = probabilities.token_frame(r.completion)
        chart = charts.strip_chart(frame, selected=marked, wrap=100)
        st.vega_lite_chart(chart.data, chart.spec, width="content")
    if read_only:
        return
    by_index = {r.index: r for r in with_logprobs}
    chosen = st.selectbox("Look closer at", list(by_index), key=keys.CMP_CLOSER, format_func=lambda i: by_index[i].label)
    completion = by_index[chosen].completion
    assert completion is not None
    chart_views.probability_view(completion, key_prefix=keys.cmp_probabilities(c.id, chosen))


def reading(
    c: Comparison, prices: Mapping[pricing.PriceKey, pricing.Price] | None = None, *, read_only: bool = False
) -> Analysis:
    """A finished (or cancelled) comparison: summary, the answers side by side with where they diverge, why they
    diverged (from logprobs), reproducibility, the table, similarity, probability strips on demand (`read_only`, a
    shared view's: always, with nothing to pick), and the CSV."""
    memo = ss.get(keys.CMP_ANALYSIS)
    if memo is not None and memo[0] == c.id:
        a = memo[1]
    else:  # a saved comparison never changes: analyse it once per session, not on every rerun
        a = compare.analyse(c)
        ss[keys.CMP_ANALYSIS] = (c.id, a)
    costs = pricing.column_costs(c, prices or {})
    _summary(c, a, costs)
    columns(c, a, costs)
    _why(c, a)
    _reproducibility(c, a)
    st.subheader("Runs", divider="gray")
    _table(c, a)
    _similarity(c, a)
    _strips(c, a, read_only=read_only)
    st.download_button(
        "Download CSV",
        lambda: compare.to_csv(c),  # built on click: it analyses every run again
        file_name=f"comparison-{c.id}.csv",
        mime="text/csv",
        key=keys.CMP_CSV,
        icon=":material/download:",
        on_click="ignore",
    )
    return a


# --------------------------------------------------------------------------------------------
# a notebook's comparisons


def comparisons_of(nb: Notebook) -> list[Comparison]:
    """The notebook's comparisons, newest first (one that cannot be read is skipped with a note)."""
    out = []
    for data in nb.comparisons:
        try:
            out.append(Comparison.model_validate(data))
        except ValueError:
            st.caption("One saved comparison could not be read and is not shown.")
    return sorted(out, key=lambda c: c.created, reverse=True)


def saved(
    nb: Notebook, prices: Mapping[pricing.PriceKey, pricing.Price], *, on_share: Callable[[str], None] | None = None
) -> None:
    """Pick one of the notebook's comparisons (the newest at first) and read it (with its costs at `prices`); Delete
    removes it, Download report saves it as one HTML file, Share (with `on_share`, given the comparison's id) makes a
    read-only link."""
    comparisons = comparisons_of(nb)
    if not comparisons:
        st.caption("No comparisons in this notebook yet: choose what to vary above and press Compare.")
        return
    by_id = {c.id: c for c in comparisons}
    if ss.get(keys.CMP_SHOWN) not in by_id:
        ss[keys.CMP_SHOWN] = comparisons[0].id

    def delete() -> None:
        shown = ss.pop(keys.CMP_SHOWN, None)
        nb.comparisons[:] = [d for d in nb.comparisons if d.get("id") != shown]

    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(
            f"Comparisons in this notebook ({len(comparisons)})",
            list(by_id),
            key=keys.CMP_SHOWN,
            format_func=lambda i: option_label(by_id[i]),
            width=520,
        )
        st.button(
            "Delete",
            key=keys.CMP_DELETE,
            on_click=delete,
            icon=":material/delete:",
            type="tertiary",
            help="Remove this comparison from the notebook",
        )
        shown = by_id[chosen]
        st.download_button(
            "Download report",
            lambda: report.comparison_report(shown, notebook_title=nb.title).encode("utf-8"),  # built on click
            file_name=report.file_name(nb.title, "comparison"),
            mime="text/html",
            key=keys.CMP_REPORT,
            icon=":material/description:",
            on_click="ignore",
            help="The answers side by side, their charts and each request as code, as one HTML file that opens offline",
        )
        if on_share is not None:
            st.button(
                "Share",
                key=keys.CMP_SHARE,
                on_click=on_share,
                args=(chosen,),
                icon=":material/share:",
                type="tertiary",
                help="Make a read-only link to this comparison as it is now",
            )
    reading(by_id[chosen], prices)
