"""components/text.py, read back by an independent CommonMark parser (markdown-it-py): whatever untrusted text
holds, what we hand to st.markdown has no image, link or HTML of its own, and every character still shows."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from google.protobuf.message import Message
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token
from streamlit.testing.v1 import AppTest

from components import state as keys
from components.text import NBSP, inline_code, live_words, plain, safe_inline, safe_markdown
from playground.notebook import Notebook
from playground.shares import Shares
from playground.store import NotebookStore
from tests.hostile import hostile_notebook

PARSER = MarkdownIt("commonmark").enable(["table", "strikethrough"])
ACTIVE = {"image", "link_open", "html_inline", "html_block", "autolink"}
PIXEL = "![p](http://127.0.0.1:9/px.png)"

# What the security review found loaded an image, each as the model (or a notebook file) wrote it.
HOSTILE = [
    PIXEL,
    f"intro ```python\n{PIXEL}",  # a fence opened mid-line and never closed
    f"```\ncode\n```\n{PIXEL}",
    f"a ``x` {PIXEL} ``",  # backtick runs of different lengths
    f"`` a ` {PIXEL} ```",
    f"code `a\r\r{PIXEL}`",  # \r\r is a blank line: the span cannot reach across it
    f"x `a\r\n\r\n{PIXEL}`",
    "[r]: http://127.0.0.1:9/px.png\n\n![p][r]",
    f"<img src='http://127.0.0.1:9/px.png'>\n\n{PIXEL}",
    f"| a | b |\n|---|---|\n| `x | {PIXEL} | y` |",
    f"- item `x\n# {PIXEL} `",
    f"> quote\n> {PIXEL}",
    f"    indented\n\n{PIXEL}",
    f"~~~\nfine\n~~~~\n{PIXEL}",
    f"````md\n```\n{PIXEL}\n```\n````\n{PIXEL}",
    f"$x$ :red[{PIXEL}] <http://127.0.0.1:9/px.png>",
]


def tokens(markdown: str) -> list[Token]:
    out = []
    for token in PARSER.parse(markdown):
        out += [token, *(token.children or [])]
    return out


def shown(markdown: str) -> str:
    """Every character the rendered Markdown shows, whitespace, backticks and tildes aside."""
    kinds = ("text", "code_inline", "fence", "code_block")
    return squeeze("".join((t.info if t.type == "fence" else "") + t.content for t in tokens(markdown) if t.type in kinds))


def squeeze(text: str) -> str:
    return "".join(c for c in text.replace(NBSP, " ") if not c.isspace() and c not in "`~")  # fences vanish


def active(markdown: str) -> list[str]:
    """The images, links and HTML a CommonMark renderer makes of `markdown`."""
    return [t.type for t in tokens(markdown) if t.type in ACTIVE]


def assert_inert(markdown: str) -> None:
    assert not active(markdown), markdown


@pytest.mark.parametrize("text", HOSTILE)
def test_what_loaded_an_image_is_shown_as_text(text: str) -> None:
    for render in (safe_markdown, safe_inline, plain, inline_code):
        assert_inert(render(text))
    assert shown(safe_markdown(text)) == squeeze(text.replace("\r", "\n"))


PIECES = st.sampled_from([*"`~*_[]()!<>#|-+=.:$\\&;/ \t\r\nax1", PIXEL, "```", "http://", "    "])
MARKDOWNISH = st.lists(PIECES, max_size=40).map("".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWNISH)
def test_no_text_makes_an_image_a_link_or_html(text: str) -> None:
    assert_inert(safe_markdown(text))
    assert_inert(plain(text))
    assert_inert(inline_code(text))
    assert_inert(safe_inline(text))
    assert_inert(f"- {safe_inline(text)} **{plain(text)}** {inline_code(text)}")  # one line: any place in a line
    if text.strip():
        assert shown(safe_markdown(text)) == squeeze(text)
        assert shown(plain(text)) == shown(safe_inline(text)) == squeeze(text)


def test_code_stays_code_and_prose_stays_literal() -> None:
    out = safe_markdown("Costs $5 and **$10**:\n```python\nx = '$y'  # ![a](b)\n```\nthen `a*b` and\n  - indented")
    kinds = [t.type for t in tokens(out)]
    assert "fence" in kinds and "code_inline" in kinds and "strong_open" not in kinds and "bullet_list_open" not in kinds
    fence = next(t for t in tokens(out) if t.type == "fence")
    assert (fence.info, fence.content) == ("python", "x = '$y'  # ![a](b)\n")
    assert "\\$5" in out and "\\$10" in out  # no LaTeX in Streamlit's Markdown
    assert next(t for t in tokens(out) if t.type == "code_inline").content == "a*b"
    assert safe_markdown("") == safe_markdown(" \n ") == "_(no text)_"


def test_one_line_forms() -> None:
    assert plain("a\r\nb\rc\nd") == "a  \nb  \nc  \nd"
    assert [t.content for t in tokens(inline_code("x `` y")) if t.type == "code_inline"] == ["x `` y"]
    assert [t.content for t in tokens(inline_code("`edge`")) if t.type == "code_inline"] == ["`edge`"]


@pytest.mark.timeout(60)  # a guard against a quadratic escape (minutes here), not a timing: bench/ measures speed
def test_a_huge_hostile_answer_renders_without_blowing_up() -> None:
    text = "".join("`" * (i % 700 + 1) + "a" for i in range(3000)) + "```\n" * 2000 + PIXEL * 5000
    assert_inert(safe_markdown(text))


# ------------------------------------------------------------------------------------ every call site

ROOT = Path(__file__).resolve().parents[2]
# Streamlit calls whose text (body, label, help) is Markdown.
MARKDOWN_CALLS = {
    "markdown", "caption", "write", "title", "header", "subheader", "info", "warning", "error", "success", "toast",
    "expander", "popover", "tabs", "button", "toggle", "checkbox", "radio", "page_link", "download_button", "link_button",
    "metric", "progress", "text_input", "text_area", "number_input", "selectbox", "multiselect", "slider",
    "segmented_control", "pills", "file_uploader", "chat_input", "status",
}  # fmt: skip
MARKDOWN_ARGS = {"body", "label", "help", "text"}
# What renders untrusted text safely (components/text.py), or builds Markdown from it through those.
ESCAPES = {"plain", "safe_inline", "safe_markdown", "inline_code", "code", "marked_answer", "_violation", "len"}
# Names that hold untrusted text (model output, names, ids, titles, messages, server errors, files) where they appear.
UNTRUSTED = {
    "title", "name", "names", "message", "content", "text", "error", "exc", "err", "request_id", "tool_call_id",
    "note", "notes", "notice", "reason", "stop_reason", "thinking", "model", "id", "param", "path", "warning",
    "failure", "partial", "partial_thinking", "server_message", "advice", "label", "words", "group", "problems",
}  # fmt: skip
TRUSTED = {"f.label", "f.help", "fields", "mk", "keys", "b.label", "b.description", "backends", "preset", "spec.label"}
NOT_STREAMLIT = {"listed"}  # ModelList.warning(model, field, value): the core's words, drawn by the sidebar


def _unescaped(node: ast.AST) -> list[str]:
    """Untrusted names in `node` that no escaping call encloses."""
    if isinstance(node, ast.Call):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if called in ESCAPES:
            return []
    if isinstance(node, ast.IfExp):  # `f" ({plain(m.name)})" if m.name else ""`: the test is not shown
        return _unescaped(node.body) + _unescaped(node.orelse)
    if isinstance(node, ast.Attribute) and node.attr == "__name__":
        return []
    if isinstance(node, ast.Attribute | ast.Name | ast.Subscript) and any(ast.unparse(node).startswith(t) for t in TRUSTED):
        return []
    found = []
    if isinstance(node, ast.Attribute) and node.attr in UNTRUSTED:
        found.append(ast.unparse(node))
    elif isinstance(node, ast.Name) and node.id in UNTRUSTED - {"label"}:  # a local `label` holds our words
        found.append(node.id)
    for child in ast.iter_child_nodes(node):
        found += _unescaped(child)
    return found


def _calls(path: Path) -> list[tuple[int, str]]:
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MARKDOWN_CALLS):
            continue
        if ast.unparse(node.func.value) in NOT_STREAMLIT:
            continue
        shown = node.args[:1] + [k.value for k in node.keywords if k.arg in MARKDOWN_ARGS]
        for arg in shown:
            problems += [(node.lineno, name) for name in _unescaped(arg)]
    return problems


@pytest.mark.parametrize("path", sorted([*ROOT.glob("components/*.py"), *ROOT.glob("views/*.py")]), ids=lambda p: p.name)
def test_every_markdown_call_escapes_what_it_shows(path: Path) -> None:
    """A static look at every st.markdown/caption/error/label…: an untrusted value goes through components/text.py."""
    assert _calls(path) == []


# ------------------------------------------------------------------------------------ the pages, with a hostile notebook

PLAIN_ELEMENTS = {"json", "text", "code"}  # shown as text by Streamlit itself


def _markdown_strings(message: Message) -> Iterator[str]:
    """Every body, label, help and text in an element's proto (Streamlit renders those as Markdown)."""
    for field, value in message.ListFields():
        values = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        for v in values:
            if isinstance(v, Message):
                yield from _markdown_strings(v)
            elif isinstance(v, str) and field.name in MARKDOWN_ARGS:
                yield v


@pytest.fixture
def embedded(gateway, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLAYGROUND_BASE_URL", gateway.base_url)
    monkeypatch.delenv("XAI_API_KEY", raising=False)


DETAIL_TABS = ["Response Datas", "Probabilities", "Usage and speed", "Request body", "Code"]


def _drawn(app: AppTest) -> list[str]:
    """Every Markdown string on the page as drawn now."""
    return [
        s
        for node in app._tree
        if node.type not in PLAIN_ELEMENTS and isinstance(getattr(node, "proto", None), Message)
        for s in _markdown_strings(node.proto)
    ]


def _every_tab(app: AppTest, notebook: Notebook) -> list[str]:
    """The Markdown drawn with each tab of every run's details open in turn (only the open tab is drawn), as clicks do."""
    shown = []
    for tab in DETAIL_TABS:
        for cell in notebook.cells:
            app.session_state[keys.cell_action(cell.id, "tab")] = tab
        app.run()
        assert not app.exception, app.exception
        shown += _drawn(app)
    return shown


@pytest.mark.apptest
@pytest.mark.usefixtures("embedded")
def test_every_page_shows_a_hostile_notebook_as_text() -> None:
    """Every field of a notebook file holds remote images: on every page, with every run's details open, no
    Markdown that Streamlit is given makes an image, a link or HTML (the browser journey checks the network)."""
    notebook = hostile_notebook("http://127.0.0.1:9/px.png", "http://127.0.0.1:9/v1")
    NotebookStore().save(notebook)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.query_params[keys.NOTEBOOK_PARAM] = notebook.id
    app.run()
    for cell in notebook.cells[:-1]:
        app.toggle(key=keys.cell_action(cell.id, "more")).set_value(True).run()
    for cell in notebook.cells:
        app.toggle(key=keys.cell_action(cell.id, "details")).set_value(True).run()
    shown = _every_tab(app, notebook)
    for page in ("views/notebooks.py", "views/compare.py", "views/tools.py"):
        app.switch_page(page).run()
        assert not app.exception, app.exception
        shown += _drawn(app)
    view = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)  # its read-only link too
    view.query_params[keys.VIEW_PARAM] = Shares().share_notebook(notebook).id
    view.run()
    assert not view.exception, view.exception
    in_view = _every_tab(view, notebook)
    assert any("answer" in s for s in in_view) and any("title" in s for s in in_view)
    shown += in_view
    assert any("answer" in s for s in shown) and any("title" in s for s in shown)  # the hostile texts were drawn
    assert [text for text in shown if active(text)] == []


def test_the_live_line_of_a_slow_answer_shows_its_real_rate() -> None:
    """11 tokens in 37.6 s (a loaded machine) read "0 tokens/s" while tokens were arriving; the rate keeps a decimal,
    as the finished run's line does."""
    assert live_words(11, 37.6) == ":material/progress_activity: Answering… 11 tokens · 37.6 s · 0.3 tokens/s"
    assert live_words(0, 0.0) == ":material/progress_activity: Answering… 0 tokens · 0.0 s · 0.0 tokens/s"
