"""Text that loads a remote image wherever Markdown is not escaped, in every field a notebook file can carry
(tests/app/test_text.py draws it on every page; tests/browser/test_hostile_text_journey.py counts the requests)."""

from __future__ import annotations

from collections.abc import Callable

from playground.notebook import Cell, CellError, ChatMessage, Notebook, Timings, ToolCallRow
from playground.response import Choice, Completion, ContentBlock, Usage


def hostile(px: str, tag: str) -> str:
    """Text that loads `px` (tagged, to tell which field leaked) wherever Markdown is not escaped: a plain image, and
    the forms that got past the old escaping: a fence opened mid-line and never closed, backtick runs of different
    lengths, a blank line made of \\r\\r inside a code span, a reference-style image."""
    return (
        f"{tag} ![{tag}]({px}?{tag}=img) ````![{tag}]({px}?{tag}=runs)` x `a\r\r![{tag}]({px}?{tag}=cr)` "
        f"![{tag}][{tag}] xa```![{tag}]({px}?{tag}=fence)\n\n[{tag}]: {px}?{tag}=ref"
    )


def one_line(px: str, tag: str) -> str:
    return f"{tag}![{tag}]({px}?{tag}=img)"


def with_html(px: str, tag: str) -> str:
    """`hostile` plus what an HTML file must not run or load: a script tag, a remote image and a frame in HTML, a
    javascript: link in HTML and in Markdown, and a style that loads an image."""
    return (
        hostile(px, tag) + f' <script src="{px}?{tag}=script">alert("{tag}")</script><img src="{px}?{tag}=html" alt=x>'
        f' <iframe src="{px}?{tag}=frame"></iframe><a href="javascript:alert(\'{tag}\')">{tag}-js</a>'
        f" [{tag}-md-js](javascript:alert(1)) <div style=\"background:url('{px}?{tag}=style')\">x</div>"
    )


def hostile_notebook(px: str, base_url: str, text: Callable[[str, str], str] = hostile) -> Notebook:
    """Every field a notebook file can carry, hostile (`text` makes the multi-line ones)."""
    conv = [
        ChatMessage(role="system", content=text(px, "system")),
        ChatMessage(role="user", content=text(px, "user"), name=one_line(px, "username")),
        ChatMessage(
            role="assistant",
            content=text(px, "assistant"),
            tool_calls=[ToolCallRow(id=one_line(px, "rowid"), name=one_line(px, "rowname"), arguments=text(px, "rowargs"))],
        ),
        ChatMessage(role="tool", content=text(px, "toolresult"), tool_call_id=one_line(px, "tcid"), name=one_line(px, "tname")),
    ]
    tool = {"type": "function", "function": {"name": one_line(px, "bodytool"), "parameters": {"type": "object"}}}
    schema = {"type": "json_schema", "json_schema": {"name": one_line(px, "schema"), "schema": {"type": "object"}}}
    body = {"model": one_line(px, "bodymodel"), "messages": [m.to_request() for m in conv[:2]], "tools": [tool]}
    blocks = [
        ContentBlock(type="thinking", thinking=text(px, "thinking"), signature=text(px, "signature")),
        ContentBlock(type="text", text=text(px, "answer")),
        ContentBlock(type="tool_use", id=one_line(px, "useid"), name=one_line(px, "usename"), input={"q": text(px, "input")}),
    ]
    completion = Completion(
        id=one_line(px, "completionid"),
        model=one_line(px, "completionmodel"),
        request_id=one_line(px, "requestid"),
        content=blocks,
        stop_reason=one_line(px, "stopreason"),
        stop_sequence=text(px, "stopsequence"),
        usage=Usage(input_tokens=1, output_tokens=2),
        choices=[Choice(index=0, content=blocks, stop_reason=one_line(px, "stopreason"), stop_sequence=text(px, "stopseq"))],
        system_fingerprint=one_line(px, "fp"),
        raw={"note": text(px, "raw")},
    )
    common = {"backend": "openai", "base_url": base_url, "model": one_line(px, "cellmodel"), "notes": [text(px, "note")]}
    done = Cell(**common, body={**body, "response_format": schema}, conversation=conv[:2], status="done", completion=completion)
    done.request_id, done.timings = one_line(px, "cellrequest"), Timings(ttft_s=0.1, total_s=0.2, tokens_per_s=10)
    cut = Cell(**common, body=body, conversation=conv[:3], status="interrupted")
    cut.partial, cut.partial_thinking = {0: text(px, "partial")}, {0: text(px, "partialthinking")}
    cut.error = CellError(kind="TransportError", message=text(px, "cut"))
    refused = Cell(**common, body=body, conversation=conv, status="error")
    refused.error = CellError(
        kind="BadRequestError",
        message=text(px, "errormessage"),
        status=400,
        param=one_line(px, "errorparam"),
        server_message=text(px, "servermessage"),
        advice=text(px, "advice"),
    )
    settings = {"tools": [tool], "tool_choice": one_line(px, "choice"), "model": one_line(px, "settingsmodel")}
    return Notebook(title=one_line(px, "title"), conversation=conv, cells=[done, cut, refused], settings=settings)
