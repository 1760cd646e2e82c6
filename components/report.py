"""A notebook or a comparison as one self-contained HTML file: the page's "Download report".

The file holds everything it shows: the conversation, each run's answer with its stop reason and usage, tool
calls and their results, the probability charts as inline SVG (the chart builders of components/charts.py,
rendered by vl-convert without a browser) and each request as code (playground/codegen.py). It has no script,
no link and no reference to any other file, and carries its own Content-Security-Policy (`POLICY`) that forbids
loading anything, so it opens offline and makes no network request.

Every untrusted string (model output, tool names and arguments, titles, server errors) goes through
`components.text.html_text`: shown as the characters it holds, never as HTML. Nothing here calls Streamlit.

A message's attached images are embedded as thumbnails (data: URLs, the only images the policy allows), at most
`IMAGE_PX` pixels on a side and `IMAGES_BYTES` for the whole report; past that an image is named, not embedded. An
image given by address is shown as its text and never loaded. The code of a request shortens its images' data.
A notebook's newest evaluation follows its runs: the test cases, checks, pass rates, the grid, every result's
reasons and marks, and the tool-calling matrix.

A long answer's token strip is windowed: the strip shows its first `STRIP_TOKENS` tokens (an SVG box and label
per token); the chart along the answer (means of consecutive tokens past `charts.ALONG_POINTS`) and the table of
least likely tokens cover every token.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence

from pydantic import ValidationError

from components import charts, evaluate_results
from components.cells import run_stats, status_words, when
from components.text import html_text, speed_words, stop_words, usage_words
from playground import analysis, backends, codegen, compare, images
from playground.compare import Comparison, RunResult, describe, set_words
from playground.evaluate import checks as ck
from playground.evaluate import results as rs
from playground.notebook import AttachedImage, Cell, ChatMessage, Notebook
from playground.response import Choice, Completion

__all__ = ["IMAGES_BYTES", "IMAGE_PX", "POLICY", "STRIP_TOKENS", "comparison_report", "file_name", "notebook_report"]

STRIP_TOKENS = 300  # tokens drawn in a report's strip (each is an SVG box and label: ~1 kB)
LOWEST_N = 8
IMAGE_PX = 320  # an attached image is embedded as a thumbnail at most this many pixels wide and high
IMAGES_BYTES = 3 * 1024 * 1024  # every thumbnail of one report together; past it, an image is named, not embedded
VERDICT_COLOURS = {
    "pass": evaluate_results.PASS,
    "partly": evaluate_results.PARTLY,
    "fail": evaluate_results.FAIL,
    "waiting": evaluate_results.WAITING,
}
# Nothing may load: no script, no connection, no frame; styles and images only from inside the file itself.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'"

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #1f2328; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
.facts, .note { color: #59636e; font-size: 0.9em; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.msg, .run, .column { border: 1px solid #d0d7de; border-radius: 8px; padding: 0.6em 1em; margin: 0.8em 0; }
.msg .role { font-weight: 600; text-transform: capitalize; }
.msg.user { background: #f6f8fa; } .msg.system { background: #fff8e6; } .msg.tool { background: #f0f7ff; }
.run { border-color: #8c959f; } .run > .facts { margin-bottom: 0.5em; }
.call { font-family: Menlo, Consolas, 'DejaVu Sans Mono', monospace; background: #f6f8fa; padding: 0.4em 0.6em;
        border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.error { color: #b42318; } .thinking { color: #59636e; border-left: 3px solid #d0d7de; padding-left: 0.8em; }
pre { background: #f6f8fa; padding: 0.6em; border-radius: 6px; overflow-x: auto; font-size: 0.85em; }
figure { margin: 0.8em 0; overflow-x: auto; } figure svg { max-width: none; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { border: 1px solid #d0d7de; padding: 0.2em 0.6em; }
.columns { display: flex; flex-wrap: wrap; gap: 0.8em; } .column { flex: 1 1 300px; margin: 0; }
.images { display: flex; flex-wrap: wrap; gap: 0.8em; margin-top: 0.5em; } .images figure { margin: 0; max-width: 340px; }
.images img { display: block; max-width: 100%; border: 1px solid #d0d7de; border-radius: 6px; }
"""


def _e(value: object) -> str:
    return html_text(str(value))


def _page(title: str, body: Sequence[str]) -> str:
    made = dt.datetime.now().astimezone().strftime("%d %b %Y, %H:%M %Z")
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
            f"<h1>{_e(title)}</h1>",
            f'<p class="facts">Report from Chat Completions Playground, made {_e(made)}. '
            "This file is self-contained: it loads nothing and runs no script.</p>",
            *body,
            "</body></html>",
        ]
    )


def file_name(title: str, kind: str) -> str:
    """A download name from a title: "report-notebook-What-is-the-weather.html"."""
    stem = "-".join("".join(ch if ch.isalnum() else " " for ch in title).split())[:60]
    return f"report-{kind}-{stem or 'untitled'}.html"


def _svg(chart: charts.VegaChart) -> str:
    """A chart as inline SVG (vl-convert escapes every text it draws)."""
    return f"<figure>{chart.image('svg').decode('utf-8')}</figure>"


def _call(name: object, call_id: object, arguments: str) -> str:
    ident = f' <span class="note">id {_e(call_id)}</span>' if call_id else ""
    return f'<div class="note">Tool call{ident}</div><div class="call">{_e(name)}({_e(arguments)})</div>'


class _Images:
    """The thumbnails one report embeds, within `IMAGES_BYTES` together."""

    def __init__(self) -> None:
        self.left = IMAGES_BYTES

    def figure(self, image: AttachedImage, number: int) -> str:
        """One attached image: a thumbnail inside the file, or, by address, its text (never loaded)."""
        if not images.is_data_url(image.url):
            words = f"Image {number}, by address (the model server fetches it; not loaded here) · detail {image.detail}"
            return f'<figure><div class="call">{_e(image.url)}</div><figcaption class="note">{_e(words)}</figcaption></figure>'
        name = image.name or "attached file"
        try:
            _, data = images.decode_data_url(image.url)
            small = images.thumbnail(data, IMAGE_PX)
        except ValueError as exc:
            return f'<figure><p class="note">{_e(f"Image {number}: {name} cannot be shown: {exc}")}</p></figure>'
        words = f"Image {number}: {name} · {images.megabytes(len(data))} · detail {image.detail}"
        if len(small) > self.left:
            cap = images.megabytes(IMAGES_BYTES)
            return f'<figure><p class="note">{_e(f"{words}. Not embedded: a report holds at most {cap} of images.")}</p></figure>'
        self.left -= len(small)
        src = f"data:{images.kind_of(small)};base64,{base64.b64encode(small).decode('ascii')}"
        return f'<figure><img src="{src}" alt="{_e(words)}"><figcaption class="note">{_e(words)}</figcaption></figure>'


def _message(m: ChatMessage, shown: _Images) -> str:
    more = f" · {m.name}" if m.name.strip() else ""
    if m.role == "tool":
        more += f" · result for {m.tool_call_id}" if m.tool_call_id else " · result"
    parts = [
        f'<div class="msg {_e(m.role)}"><div><span class="role">{_e(m.role)}</span><span class="note">{_e(more)}</span></div>'
    ]
    if m.content or not (m.tool_calls or m.images):
        parts.append(f'<div class="text">{_e(m.content) if m.content else "<i>(empty)</i>"}</div>')
    if m.images:
        parts.append(f'<div class="images">{"".join(shown.figure(image, j) for j, image in enumerate(m.images, start=1))}</div>')
    parts += [_call(c.name, c.id, c.arguments) for c in m.tool_calls]
    parts.append("</div>")
    return "".join(parts)


# ------------------------------------------------------------------------------------ probabilities


def _lowest_table(summary: analysis.LogprobSummary) -> str:
    rows = "".join(
        f"<tr><td>{t.position}</td><td class='text'>{_e(t.token)}</td><td>{t.probability:.1%}</td>"
        f"<td class='text'>{_e(t.best_alternative or '(this one)')}</td></tr>"
        for t in summary.lowest
    )
    head = "<tr><th>position</th><th>token</th><th>probability</th><th>the model preferred</th></tr>"
    return f'<p class="note">The {len(summary.lowest)} least likely tokens of the whole answer</p><table>{head}{rows}</table>'


def probabilities(completion: Completion, choice: int = 0) -> str:
    """One choice's probabilities: summary, token strip (windowed), alternatives at the least likely token, the
    chart along the answer and the least likely tokens; "" without logprobs."""
    if choice not in analysis.choices_with_logprobs(completion):
        return ""
    frame = analysis.token_frame(completion, choice)
    s = analysis.summary(completion, choice, lowest_n=LOWEST_N, frame=frame)
    words = [f"{s.tokens:,} tokens", f"{s.below_half} below 50 %"]
    if s.perplexity is not None:
        words.append(f"perplexity {s.perplexity:.2f}")
    if s.mean_entropy_bits is not None:
        words.append(f"mean uncertainty {s.mean_entropy_bits:.2f} bits")
    selected = s.lowest[0].position if s.lowest else None
    out = [f'<h4>Token probabilities</h4><p class="facts">{_e(" · ".join(words))}</p>']
    shown = frame.head(STRIP_TOKENS)
    out.append(_svg(charts.strip_chart(shown, selected=selected if selected is not None and selected < len(shown) else None)))
    if len(frame) > STRIP_TOKENS:
        out.append(
            f'<p class="note">The strip shows tokens 1–{STRIP_TOKENS:,} of {len(frame):,} (shaded in the chart along '
            "the answer); that chart and the table of least likely tokens cover all of them.</p>"
        )
    if selected is not None:
        alts = analysis.alternatives_frame(completion, selected, choice)
        if not alts.empty:
            title = f"Alternatives at position {selected}, the least likely token"
            out.append(_svg(charts.alternatives_chart(alts, title=title)))
    span = (0, len(shown) - 1) if len(frame) > len(shown) else None  # shaded: the tokens the strip shows
    out.append(_svg(charts.along_chart(frame, selected=selected, shown=span, max_points=charts.ALONG_POINTS)))
    if s.lowest:
        out.append(_lowest_table(s))
    return "".join(out)


# ------------------------------------------------------------------------------------ a notebook's runs


def _choices(completion: Completion) -> list[Choice]:
    return completion.choices or [
        Choice(index=0, content=completion.content, stop_reason=completion.stop_reason, stop_sequence=completion.stop_sequence)
    ]


def _answer(completion: Completion, *, text: bool, probs: bool = True) -> str:
    """Each choice: thinking, text (unless `text` is False: it is in the conversation), tool calls, how it ended, and
    (unless `probs` is False) its probabilities."""
    choices = _choices(completion)
    out = []
    for c in choices:
        if len(choices) > 1:
            out.append(f"<h4>Choice {c.index + 1}</h4>")
        for block in c.content:
            if block.type == "thinking" and block.thinking:
                out.append(f'<div class="thinking text">{_e(block.thinking)}</div>')
            elif block.type == "text" and text:
                out.append(f'<div class="text">{_e(block.text or "")}</div>')
            elif block.type == "tool_use":
                out.append(_call(block.name, block.id, json.dumps(block.input or {}, ensure_ascii=False)))
        ended = stop_words(c.stop_reason, c.stop_sequence, escape=html_text)
        out.append(f'<p class="facts">Stop reason: {_e(c.stop_reason or "none")}{f" ({ended})" if ended else ""}</p>')
        if probs:
            out.append(probabilities(completion, c.index))
    return "".join(out)


def _code(body: dict, backend: str | None, base_url: str | None) -> str:
    """The request as curl, Python (httpx) and openai-SDK code, folded away."""
    cut = (
        '<p class="note">Images are shortened here; the notebook\'s export holds them whole.</p>'
        if images.image_parts(body)
        else ""
    )
    if backend is None:
        shown = images.abbreviate(json.dumps(body, indent=2))
        snippet = f'<p class="note">Where it was sent was not recorded; the body:</p>{cut}<pre>{_e(shown)}</pre>'
        return f"<details><summary>The request</summary>{snippet}</details>"
    try:
        snippets = codegen.export(body, base_url=base_url or "", backend=backend)
    except ValueError as exc:
        return f'<p class="note">No code for this request: {_e(exc)}</p>'
    env = codegen.KEY_ENVS.get(backend)
    key = f"The key is read from ${env}; it is never written into the code." if env else "This backend needs no key."
    tabs = [("curl", snippets.curl), ("Python (httpx)", snippets.python_httpx), ("Python (openai SDK)", snippets.python_openai)]
    parts = "".join(f"<p class='note'>{_e(name)}</p><pre>{_e(images.abbreviate(code))}</pre>" for name, code in tabs)
    return f'<details><summary>The request as code</summary><p class="note">{_e(key)}</p>{cut}{parts}</details>'


def _run(cell: Cell, number: int) -> str:
    b = backends.BACKENDS.get(cell.backend)  # type: ignore[call-overload]
    facts = [f"Run {number}", status_words(cell), when(cell.created), b.label if b else cell.backend, cell.model]
    out = ['<div class="run">']
    if cell.completion is not None:
        u = cell.completion.usage
        facts.insert(2, usage_words(u.input_tokens, u.output_tokens))
        if u.cache_read_input_tokens:
            facts.insert(3, f"{u.cache_read_input_tokens:,} cached")
        if u.reasoning_tokens:
            facts.insert(3, f"{u.reasoning_tokens:,} reasoning")
    timing = speed_words(cell.timings.ttft_s, cell.timings.total_s, cell.timings.tokens_per_s)
    out.append(f'<div class="facts">{_e(" · ".join(f for f in [*facts, timing] if f))}</div>')
    if cell.completion is not None:
        if cell.continued:
            out.append('<p class="note">Its answer is the next message of the conversation.</p>')
        out.append(_answer(cell.completion, text=not cell.continued))
    else:
        for i in sorted(cell.partial):
            out.append(f'<p class="note">What arrived before the run ended:</p><div class="text">{_e(cell.partial[i])}</div>')
    if cell.error is not None:
        detail = f" ({cell.error.server_message})" if cell.error.server_message else ""
        out.append(f'<p class="error text">{_e(cell.error.message + detail)}</p>')
    out.append(_code(cell.body, cell.backend, cell.base_url))
    out.append("</div>")
    return "".join(out)


def notebook_report(nb: Notebook) -> str:
    """The notebook as a self-contained HTML page: the conversation with each run under the message it answered."""
    by_at: dict[int, list[tuple[int, Cell]]] = defaultdict(list)
    for number, cell in enumerate(nb.cells, start=1):
        by_at[min(cell.at, len(nb.conversation))].append((number, cell))
    body = ["<h2>Conversation and runs</h2>"]
    shown = _Images()
    for k in range(len(nb.conversation) + 1):
        if k > 0:
            body.append(_message(nb.conversation[k - 1], shown))
        body += [_run(cell, number) for number, cell in by_at.get(k, [])]
    if not nb.conversation and not nb.cells:
        body.append('<p class="note">This notebook is empty.</p>')
    if nb.comparisons:
        body.append(
            f'<p class="note">This notebook also holds {len(nb.comparisons)} comparison(s): each has a report of its own '
            "(Download report on the Compare page).</p>"
        )
    rows = [run_stats(c, n)[0] for n, c in enumerate(nb.cells, start=1) if c.completion is not None]
    if len(rows) > 1:
        body += ["<h2>Usage and speed across runs</h2>", _svg(charts.usage_chart(analysis.usage_frame(rows)))]
    body += _evaluation(nb)
    return _page(nb.title, body)


# ------------------------------------------------------------------------------------ an evaluation


def _table(head: list[str], rows: list[list[str]], styles: list[list[str]] | None = None) -> str:
    """A table of text; `styles` (one per cell, like `rows`, ours and never untrusted): each cell's inline style."""

    def cell(value: str, style: str) -> str:
        return f'<td class="text" style="{style}">{_e(value)}</td>' if style else f'<td class="text">{_e(value)}</td>'

    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    trs = "".join(
        "<tr>" + "".join(cell(v, styles[r][c] if styles else "") for c, v in enumerate(row)) + "</tr>"
        for r, row in enumerate(rows)
    )
    return f"<table><tr>{th}</tr>{trs}</table>"


def _evaluation(nb: Notebook) -> list[str]:
    """The notebook's newest evaluation: what ran, pass rates, the grid, every result's reasons and marks, tools."""
    try:
        ev = rs.newest(nb.evaluation)
    except ValidationError:
        return ["<h2>Evaluation</h2>", '<p class="note">This notebook\'s evaluation could not be read.</p>']
    if ev is None:
        return []
    cases, checks, columns = ev.plan.cases, ev.plan.checks, ev.plan.columns
    kept = len(nb.evaluation.get("runs") or [])
    facts = [
        f"{len(ev.results)} results",
        f"{len(cases.rows)} test cases × {', '.join(columns)}",
        f"{ev.created:%d %b %Y %H:%M} UTC",
    ]
    if ev.wall_s is not None:
        facts.append(f"{ev.wall_s:.1f} s")
    out = ["<h2>Evaluation</h2>", f'<p class="facts">{_e(" · ".join(facts))}</p>']
    if kept > 1:
        out.append(f'<p class="note">The newest of the {kept} evaluations this notebook keeps.</p>')
    values = [[str(r + 1), *(images.abbreviate(cases.value(r, c)) for c in cases.columns)] for r in range(len(cases.rows))]
    out += ["<h3>Test cases</h3>", _table(["row", *cases.columns], values)]
    names = [f"{n}. {ck.describe(c)}" for n, c in enumerate(checks, start=1)]
    out += ["<h3>Checks</h3>", "<ol>", *(f"<li>{_e(ck.describe(c))}</li>" for c in checks), "</ol>"]
    outcomes = rs.graded(ev)
    rates = [
        ("Per check", rs.pass_rates(ev, outcomes)),
        ("Per column", rs.pass_rates_by_column(ev, outcomes)),
        ("Per row", rs.pass_rates_by_row(ev, outcomes)),
    ]
    out += ["<h3>Pass rates</h3>", '<div class="columns">']
    out += [
        f'<div><p class="note">{_e(t)}</p>{_table(["", "pass rate"], [[p.label, p.words] for p in r])}</div>' for t, r in rates
    ]
    out.append("</div>")
    grid = [
        [rs.signs(ev, i) if (i := ev.plan.index(row, c)) is not None else "" for c in columns] for row in range(len(cases.rows))
    ]
    styles = [["", *(f"background-color: {VERDICT_COLOURS[rs.verdict(t)]}" for t in line)] for line in grid]
    labels = [evaluate_results.row_label(ev, row) for row in range(len(cases.rows))]
    out += [
        "<h3>The grid</h3>",
        _table(["", *columns], [[label, *line] for label, line in zip(labels, grid, strict=True)], styles),
    ]
    out.append(f'<p class="note">{_e("Each cell lists the checks in order: " + " · ".join(names) + ".")}</p>')
    lines = []
    for i, run in enumerate(ev.plan.runs):
        r = ev.results[i]
        reasons = [(("✓ " if o.passed else "✗ ") if o.counted else "") + o.reason for o in outcomes.get(i, [])]
        answer = rs.answer_text(r) if r.finished else "…"
        lines.append([str(run.row + 1), run.column, rs.mark_words(ev, i), r.error or answer, *(reasons or [""] * len(checks))])
    out += ["<h3>Every result</h3>", _table(["row", "run", "mark", "answer", *names], lines)]
    if ev.plan.base_body.get("tools"):
        pct = lambda v: "" if v is None else f"{v:.0%}"  # noqa: E731
        head = ["", "answers", "right tool", "valid arguments", "text instead"]
        out += [
            "<h3>Tool calling</h3>",
            '<p class="note">Per row and per column: the share of answers calling the right tool, with valid arguments, '
            "and in text instead.</p>",
            '<div class="columns">',
        ]
        for stats in rs.tool_matrix(ev):
            rows = [[t.label, str(t.answers), pct(t.right_tool), pct(t.valid_arguments), pct(t.text_instead)] for t in stats]
            out.append(f"<div>{_table(head, rows)}</div>")
        out.append("</div>")
    return out


# ------------------------------------------------------------------------------------ a comparison


def _column(c: Comparison, r: RunResult, a: compare.Analysis) -> str:
    changes = set_words(c, r.index)
    out = [f'<div class="column"><b>{_e(r.label)}</b>']
    facts = [r.status]
    if changes:
        facts.append(changes)
    if r.usage is not None:
        facts.append(usage_words(r.usage.input_tokens, r.usage.output_tokens))
    facts.append(speed_words(r.ttft_s, r.total_s, r.tokens_per_s))
    out.append(f'<div class="facts">{_e(" · ".join(f for f in facts if f))}</div>')
    d = a.divergence.get(r.index)
    if d is not None and d.point is not None:
        unit = "token" if a.tokens == "logprobs" else "word"
        out.append(f'<p class="note">Diverges from the others at {unit} {d.point.token_index + 1}.</p>')
    if r.error:
        out.append(f'<p class="error text">{_e(r.error)}</p>')
    if r.completion is not None:
        out.append(_answer(r.completion, text=True, probs=False))
    elif r.text:
        out.append(f'<div class="text">{_e(r.text)}</div>')
    out.append("</div>")
    return "".join(out)


def comparison_report(c: Comparison, *, notebook_title: str) -> str:
    """A comparison as a self-contained HTML page: what varied, the answers side by side, reproducibility, usage."""
    a = compare.analyse(c)
    body = [f'<p class="facts">{_e(f"In notebook “{notebook_title}” · {describe(c)} · {len(c.results)} runs")}</p>']
    body.append(f"<p><b>{_e(a.summary)}</b></p>")
    if a.reproducibility:
        body.append(f"<p>{_e(compare.reproducibility_summary(a.reproducibility))}</p>")
    body += ["<h2>The answers</h2>", '<div class="columns">', *(_column(c, r, a) for r in c.results), "</div>"]
    for r in c.results:
        if r.completion is not None and (probs := probabilities(r.completion)):
            body += [f"<h3>{_e(r.label)}</h3>", probs]
    rows = [
        analysis.RunStats(
            label=r.label,
            started=float(i),
            input_tokens=r.usage.input_tokens if r.usage else None,
            output_tokens=r.usage.output_tokens if r.usage else None,
            cached_tokens=r.usage.cache_read_input_tokens if r.usage else None,
            reasoning_tokens=r.usage.reasoning_tokens if r.usage else None,
            ttft_s=r.ttft_s,
            total_s=r.total_s,
            tokens_per_s=r.tokens_per_s,
            choice=None,
        )
        for i, r in enumerate(c.results)
        if r.status == "done"
    ]
    if rows:
        body += ["<h2>Usage and speed per run</h2>", _svg(charts.usage_chart(analysis.usage_frame(rows)))]
    body.append("<h2>The requests</h2>")
    for v in (v for v in c.variants if v.attempt == 1):
        backend = v.backend or c.backend
        body.append(f'<p class="facts">{_e(v.label)}</p>')
        body.append(_code(v.body, backend, v.base_url if v.backend else c.base_url))
    return _page(f"Comparison: {describe(c)}", body)
