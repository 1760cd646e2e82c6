"""The one way untrusted text (model output, tool names and ids, titles, server messages, imported files) reaches
Markdown: every Markdown element in what we hand to Streamlit is one we wrote, never one the text brought.

- `plain(text)`: for a caption, label, title or message: every ASCII punctuation character is backslash-escaped,
  so no emphasis, link, image, HTML, math (`$`), list or heading can form; line breaks and indentation are kept.
  Safe anywhere in a line.
- `safe_inline(text)`: as `plain`, but its code spans stay code (our messages name values in code spans). Not
  inside `:color[…]` directives: use `plain` there.
- `safe_markdown(text)`: a whole multi-line body (a model's answer): prose escaped as in `plain` with its line
  breaks and indentation, code re-emitted as a code span or fenced block of our own, the fence longer than any
  backtick run inside. Only as the entire body of an element: a fence needs a line of its own.
- `inline_code(text)`: one value (a tool name, an id, a path) as a code span.
- `marked(before, match, after)`: a search hit in its context, all literal, the match in bold.
- `html_text(text)`: for an HTML file (the downloadable report), never Markdown: every character that HTML gives a
  meaning (`<`, `>`, `&`, quotes) as an entity, so no tag, attribute or link can form.

Where the text's own code starts and ends (CommonMark's rules, followed here) only affects the look: whatever
was taken for prose is escaped, whatever was taken for code is fenced by us.
"""

from __future__ import annotations

import html
import json
import re
import string
from collections.abc import Callable

from playground.schema.models import code as inline_code

_ESCAPE = str.maketrans({c: "\\" + c for c in string.punctuation})
_NEWLINE = re.compile(r"\r\n?|\n")
_BACKTICKS = re.compile(r"`+")
_FENCE_OPEN = re.compile(r"^( {0,3})(`{3,}(?=[^`]*$)|~{3,})(.*)$")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_INFO = re.compile(r"[A-Za-z0-9_+-]{1,32}")
NBSP = "\u00a0"


def plain(text: str) -> str:
    """`text` as literal Markdown text, exactly as written."""
    return _escape_lines(_NEWLINE.sub("\n", text), False)


def html_text(text: str) -> str:
    """`text` as literal HTML text (inside an element or a quoted attribute), exactly as written."""
    return html.escape(text, quote=True)


def safe_inline(text: str) -> str:
    """`text` as Markdown whose code spans stay code and everything else is literal."""
    return _prose(_NEWLINE.sub("\n", text), False)


def _longest_run(text: str) -> int:
    return max((len(m) for m in _BACKTICKS.findall(text)), default=0)


def _prose_line(line: str, starts_line: bool) -> str:
    """An escaped line; its indentation as no-break spaces (kept visible, and never an indented code block). Where
    the line may continue another (`starts_line` False), only an indentation that could start a code block."""
    indent = len(line) - len(line.lstrip(" \t"))
    width = len(line[:indent].expandtabs(4))
    if not starts_line and width < 4:
        return line.translate(_ESCAPE)
    return NBSP * width + line[indent:].translate(_ESCAPE)


def _prose(text: str, starts_line: bool) -> str:
    """One paragraph: escaped text with hard line breaks, and its CommonMark code spans as our own."""
    runs = list(_BACKTICKS.finditer(text))
    following: list[int | None] = [None] * len(runs)  # the next run of the same length: where a span would close
    last: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        size = len(runs[i].group())
        following[i], last[size] = last.get(size), i
    out, at, i = [], 0, 0
    while i < len(runs):
        j = following[i]
        if j is None:
            i += 1
            continue
        content = _NEWLINE.sub(" ", text[runs[i].end() : runs[j].start()])
        if len(content) > 1 and content[0] == content[-1] == " " and content.strip():
            content = content[1:-1]
        out += [_escape_lines(text[at : runs[i].start()], starts_line and at == 0), inline_code(content)]
        at, i = runs[j].end(), j + 1
    out.append(_escape_lines(text[at:], starts_line and at == 0))
    return "".join(out)


def _escape_lines(text: str, at_line_start: bool) -> str:
    return "  \n".join(_prose_line(line, n > 0 or at_line_start) for n, line in enumerate(text.split("\n")))


def _fence(code: str, info: str) -> str:
    """A fenced block of our own; an info string that is more than a language name stays visible as its first line."""
    info = info.strip()
    lang = info if _INFO.fullmatch(info) else ""
    if info and not lang:
        code = f"{info}\n{code}"
    fence = "`" * max(3, _longest_run(code) + 1)
    return f"{fence}{lang}\n{code}\n{fence}"


def safe_markdown(text: str) -> str:
    """`text` for st.markdown: prose shown literally with its line breaks, code as code, nothing loaded or linked."""
    if not text or not text.strip():
        return "_(no text)_"
    lines = _NEWLINE.sub("\n", text).split("\n")
    blocks: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        paragraphs = _BLANK_LINE.split("\n".join(prose))
        blocks.extend(_prose(p.strip("\n"), True) for p in paragraphs if p.strip())
        prose.clear()

    i = 0
    while i < len(lines):
        opener = _FENCE_OPEN.match(lines[i])
        if opener is None:
            prose.append(lines[i])
            i += 1
            continue
        flush()
        indent, fence, info = opener.groups()
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        end = next((j for j in range(i + 1, len(lines)) if closing.match(lines[j])), len(lines))
        body = [line[len(indent) :] if line.startswith(indent) else line.lstrip(" ") for line in lines[i + 1 : end]]
        blocks.append(_fence("\n".join(body), info))
        i = end + 1
    flush()
    return "\n\n".join(blocks) or "_(no text)_"


def marked(before: str, match: str, after: str) -> str:
    """A search hit in its words (`playground.notebook.snippet`), for a caption: every part literal (`plain`), the
    match in bold (spaces around it stay outside the bold, where CommonMark would not close it)."""
    core = match.strip()
    lead, trail = match[: len(match) - len(match.lstrip())], match[len(match.rstrip()) :]
    return plain(before + lead) + (f"**{plain(core)}**" if core else "") + plain(trail + after)


STOP_WORDS = {
    "stop": "ended by itself",
    "end_turn": "ended by itself",
    "length": "hit the token limit",
    "max_tokens": "hit the token limit",
    "tool_calls": "called a tool",
    "tool_use": "called a tool",
    "function_call": "called a tool",
    "content_filter": "held back by the server's content filter",
    "stop_sequence": "stopped at a stop sequence",
}


def stop_words(reason: str | None, sequence: str | None = None, *, escape: Callable[[str], str] = plain) -> str:
    """Why an answer ended, in plain words for st.markdown (or, with `escape=html_text`, for HTML): "hit the token
    limit", 'stopped at "###"'."""
    if sequence:
        return f"stopped at {escape(json.dumps(sequence, ensure_ascii=False))}"
    if not reason:
        return ""
    return STOP_WORDS.get(reason, f"ended ({escape(reason)})")


def counted(n: int, noun: str) -> str:
    """A count in words: "1 message", "3 messages", "0 runs"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def usage_words(input_tokens: int, output_tokens: int) -> str:
    """A run's token counts as one phrase: "52 tokens in, 12 out"."""
    return f"{input_tokens:,} tokens in, {output_tokens:,} out"


def live_words(tokens: int, elapsed_s: float) -> str:
    """The line over an answer as it streams: tokens so far, seconds, and the rate with a decimal (a slow answer's
    0.3 tokens/s is not "0")."""
    rate = tokens / elapsed_s if elapsed_s > 0 else 0.0
    return f":material/progress_activity: Answering… {tokens} tokens · {elapsed_s:.1f} s · {rate:.1f} tokens/s"


def speed_words(ttft_s: float | None, total_s: float | None, tokens_per_s: float | None) -> str:
    """A run's timing as one line: "first token 0.21 s · total 1.30 s · 52.0 tokens/s" (unknown parts left out)."""
    parts = []
    if ttft_s is not None:
        parts.append(f"first token {ttft_s:.2f} s")
    if total_s is not None:
        parts.append(f"total {total_s:.2f} s")
    if tokens_per_s is not None:
        parts.append(f"{tokens_per_s:.1f} tokens/s")
    return " · ".join(parts)
