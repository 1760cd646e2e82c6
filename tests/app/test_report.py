"""components/report.py: the downloadable HTML report of a notebook or a comparison, read back with an HTML parser.

The browser half (the file opened in Chromium with the network blocked) is tests/browser/test_report_offline.py.
"""

from __future__ import annotations

import base64
import io
import json
import math
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from PIL import Image

from components import report
from playground import images
from playground.compare import Comparison, RunResult, Variant
from playground.evaluate.results import Evaluation
from playground.notebook import AttachedImage, Cell, ChatMessage, Notebook, Timings, ToolCallRow
from playground.response import Completion, from_chat_completion
from tests.hostile import hostile_notebook, with_html

DATA = Path(__file__).resolve().parents[1] / "data"
PX = "https://images.example/px.png"
LOADING = {"script", "img", "iframe", "frame", "object", "embed", "link", "a", "base", "form", "video", "audio", "source"}
# SVG attributes that can point elsewhere; vl-convert's own clip paths point inside the file (url(#clip1))
POINTING = {"href", "xlink:href", "src", "srcset", "action", "formaction", "poster", "background", "data"}


class Tags(HTMLParser):
    """Every start tag with its attributes, the text, and the meta tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"logprobs_{name}.json").read_text())


def _logprob_completion(tokens: list[str]) -> Completion:
    """A chat.completion whose chosen tokens are `tokens` (each with two alternatives)."""
    entries = [
        {
            "token": t,
            "logprob": math.log(0.4 + 0.5 * (i % 2)),
            "top_logprobs": [{"token": t, "logprob": math.log(0.4 + 0.5 * (i % 2))}, {"token": f"other{i}", "logprob": -2.0}],
        }
        for i, t in enumerate(tokens)
    ]
    body = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(tokens)},
                "finish_reason": "length",
                "logprobs": {"content": entries},
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": len(tokens), "total_tokens": 5 + len(tokens)},
    }
    return from_chat_completion(body)


def _hostile() -> Notebook:
    nb = hostile_notebook(PX, "http://127.0.0.1:9/v1", text=with_html)
    nb.title = with_html(PX, "title")
    tokens = [with_html(PX, "token"), " <b>bold</b>", ' <img src="' + PX + '?token=img2">', " javascript:alert(1)"]
    nb.cells.append(
        Cell(
            backend="openai",
            base_url="http://127.0.0.1:9/v1",
            model=with_html(PX, "model"),
            body={"model": "m"},
            conversation=nb.conversation[:2],
            status="done",
            completion=_logprob_completion(tokens),
        )
    )
    return nb


def test_a_hostile_notebook_becomes_text_and_nothing_can_load() -> None:
    html = report.notebook_report(_hostile())
    doc = parsed(html)
    names = [t for t, _ in doc.tags]
    assert names[:3] == ["html", "head", "meta"] and doc.tags[3] == (
        "meta",
        {"http-equiv": "Content-Security-Policy", "content": report.POLICY},
    )  # the policy comes before anything that could load
    assert "default-src 'none'" in report.POLICY and "script-src" not in report.POLICY
    assert not LOADING & set(names), LOADING & set(names)
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            assert name not in POINTING and not name.startswith("on"), (tag, name, value)
            if name.startswith("aria-") or name == "content":  # text read aloud (the SVG's labels), or the policy
                continue
            assert "javascript:" not in (value or "") and "images.example" not in (value or ""), (tag, name, value)
            assert "url(" not in (value or "") or (value or "").startswith("url(#"), (tag, name, value)
    text = "".join(doc.text)
    # every hostile string is there, as the characters it holds
    for tag in ("title", "user", "answer", "toolresult", "rowargs", "thinking", "cut", "errormessage", "token"):
        assert f'<script src="{PX}?{tag}=script">' in text, tag
        assert f"<a href=\"javascript:alert('{tag}')\">{tag}-js</a>" in text, tag
    assert "<b>bold</b>" in text  # a token in the strip's SVG is text too


def test_a_notebook_report_holds_the_conversation_answers_usage_tool_calls_charts_and_code() -> None:
    recorded = from_chat_completion(_recorded("top5"))
    ask = ChatMessage(role="user", content="What is the capital of France?")
    answered = Cell(
        backend="embedded",
        base_url="http://127.0.0.1:8501/v1",
        model="smollm2",
        body={"model": "smollm2", "messages": [ask.to_request()], "logprobs": True, "top_logprobs": 5},
        conversation=[ask],
        status="done",
        completion=recorded,
        timings=Timings(ttft_s=0.05, total_s=0.5, tokens_per_s=20.0),
    )
    call = ToolCallRow(id="call_1", name="get_weather", arguments='{"city": "Paris"}')
    conv = [
        ask,
        ChatMessage(role="assistant", content=recorded.text()),
        ChatMessage(role="user", content="And the weather?"),
        ChatMessage(role="assistant", tool_calls=[call]),
        ChatMessage(role="tool", tool_call_id="call_1", content='{"temperature": 18}'),
    ]
    stepped = Cell(
        backend="embedded",
        base_url="http://127.0.0.1:8501/v1",
        model="smollm2",
        body={"model": "smollm2"},
        conversation=conv,
        status="done",
        completion=_logprob_completion(["It", " is", " 18", " degrees"]),
    )
    answered.continued = True
    nb = Notebook(title="Capitals", conversation=conv, cells=[answered, stepped], comparisons=[{"id": "x"}])
    doc = parsed(report.notebook_report(nb))
    text = " ".join(doc.text)
    assert "What is the capital of France?" in text and "The capital of France is Paris." in text
    assert "get_weather" in text and '{"city": "Paris"}' in text and '{"temperature": 18}' in text  # the call and its result
    assert "Stop reason: stop (ended by itself)" in text and "Stop reason: length (hit the token limit)" in text
    assert "tokens in" in text and "first token 0.05 s" in text
    assert "curl" in text and "http://127.0.0.1:8501/v1/chat/completions" in text and "openai" in text
    assert text.index("What is the capital") < text.index("Run 1") < text.index("And the weather?") < text.index("Run 2")
    svgs = [a for t, a in doc.tags if t == "svg"]
    assert len(svgs) >= 7  # per run: strip, alternatives, along; and usage across runs
    assert "Tokens by probability" in text and "Usage and speed per run" in text
    assert "also holds 1 comparison(s)" in text  # said, not left out silently


def test_a_10000_token_answer_keeps_its_strip_to_a_window() -> None:
    tokens = [f" w{i}" for i in range(10_000)]
    cell = Cell(
        backend="embedded",
        base_url="http://127.0.0.1:8501/v1",
        model="m",
        body={"model": "m"},
        status="done",
        completion=_logprob_completion(tokens),
    )
    html = report.notebook_report(Notebook(title="Long", cells=[cell]))
    text = "".join(parsed(html).text)
    strip = next(f for f in html.split("<figure>") if "Tokens by probability" in f)
    assert f"w{report.STRIP_TOKENS - 1}<" in strip and f"w{report.STRIP_TOKENS}<" not in strip
    assert f"The strip shows tokens 1–{report.STRIP_TOKENS} of 10,000" in text
    assert "w9999" in text  # the answer itself is whole
    along = next(f for f in html.split("<figure>") if "Along the answer" in f)
    assert len(along) < 100_000, len(along)  # drawn as means of consecutive tokens, not 10,000 points


def test_a_comparison_report_holds_each_run_side_by_side_with_its_code() -> None:
    recorded = from_chat_completion(_recorded("top5"))
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "Capital of France?"}], "seed": 1}
    variants = [Variant(label=f"seed {s}", body={**body, "seed": s}, seed=s, key=f"s{s}") for s in (1, 2)]
    results = [
        RunResult(
            index=i,
            label=v.label,
            key=v.key,
            body=v.body,
            status="done",
            text=recorded.text(),
            completion=recorded,
            usage=recorded.usage,
            total_s=0.4,
        )
        for i, v in enumerate(variants)
    ]
    c = Comparison(base_body=body, variants=variants, results=results, backend="embedded", base_url="http://127.0.0.1:8501/v1")
    html = report.comparison_report(c, notebook_title=with_html(PX, "nbtitle"))
    doc = parsed(html)
    text = " ".join(doc.text)
    assert "seed 1" in text and "seed 2" in text and "all 2 identical" in text.lower()
    assert text.count("The capital of France is Paris.") == 2
    assert text.count("http://127.0.0.1:8501/v1/chat/completions") >= 2  # each variant's request as code
    assert not LOADING & {t for t, _ in doc.tags}
    assert f'<script src="{PX}?nbtitle=script">' in text
    side_by_side = html.split('<div class="columns">')[1].split("<h3>")[0]  # the answers' cards, then each run's charts
    assert side_by_side.count("The capital of France is Paris.") == 2 and "<svg" not in side_by_side  # narrow cards
    assert html.count("<h4>Token probabilities</h4>") == 2  # each run's charts below them


def _png(width: int, height: int, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress: a thumbnail of it stays large."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def _embedded(doc: Tags) -> list[bytes]:
    """The bytes of every <img> in the report; each must be a data: URL (nothing else may load)."""
    out = []
    for tag, attrs in doc.tags:
        if tag == "img":
            src = attrs.get("src") or ""
            assert src.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")), src[:60]
            out.append(base64.b64decode(src.split(",", 1)[1]))
    return out


def test_a_messages_images_are_embedded_as_thumbnails_and_an_address_is_only_text() -> None:
    big = _png(1200, 800)
    ask = ChatMessage(
        content="What is in this picture?",
        images=[
            AttachedImage(url=images.data_url(big, "teal.png"), name="teal.png", detail="low"),
            AttachedImage(url=f"{PX}?cat", name=f"{PX}?cat"),
        ],
    )
    cell = Cell(
        backend="xai",
        base_url="https://api.x.ai/v1",
        model="grok-4",
        body={"model": "grok-4", "messages": [ask.to_request()]},
        conversation=[ask],
        status="done",
        completion=_logprob_completion(["A", " teal", " square"]),
    )
    html = report.notebook_report(Notebook(title="Pictures", conversation=[ask], cells=[cell]))
    doc = parsed(html)
    (thumb,) = _embedded(doc)
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.size == (report.IMAGE_PX, report.IMAGE_PX * 2 // 3)  # made to fit, in its own proportions
    text = " ".join(doc.text)
    assert "Image 1: teal.png" in text and "detail low" in text
    assert f"{PX}?cat" in text and "not loaded here" in text  # the address, as text
    for _tag, attrs in doc.tags:
        assert not any("images.example" in (v or "") for v in attrs.values())  # and nowhere it could load from
    assert base64.b64encode(big).decode() not in html  # the code shows the request with its image data cut out
    assert "of image data)…" in text and "Images are shortened here" in text
    assert "default-src 'none'" in report.POLICY and "img-src data:;" in report.POLICY


def test_a_reports_images_stay_within_its_cap_and_the_rest_are_named() -> None:
    noisy = [_noise_png(report.IMAGE_PX) for _ in range(12)]  # each ~300 kB as it is: together over the cap
    ask = ChatMessage(
        content="Twelve pictures", images=[AttachedImage(url=images.data_url(p), name=f"n{i}.png") for i, p in enumerate(noisy)]
    )
    doc = parsed(report.notebook_report(Notebook(title="Many", conversation=[ask])))
    shown = _embedded(doc)
    assert 0 < len(shown) < 12 and sum(map(len, shown)) <= report.IMAGES_BYTES
    text = " ".join(doc.text)
    assert "Image 12: n11.png" in text and "Not embedded: a report holds at most 3.0 MB of images." in text


def test_a_notebook_report_holds_its_newest_evaluation() -> None:
    """An evaluation recorded from the embedded model (3 cities × 2 seeds, two checks, two marks), with a hostile note."""
    ev = Evaluation.model_validate_json((DATA / "evaluation_weather.json").read_text(encoding="utf-8"))
    ev = ev.mark(5, up=False, note=with_html(PX, "note"))
    photo = _png(800, 600)
    ev.plan.cases.columns.append("photo")  # an image column: a row's image as a data URL
    ev.plan.cases.rows[0]["photo"] = images.data_url(photo)
    older = ev.model_copy(update={"results": ev.results[:1]})
    nb = Notebook(title="Weather", evaluation={"runs": [older.model_dump(mode="json"), ev.model_dump(mode="json")]})
    doc = parsed(report.notebook_report(nb))
    text = " ".join(doc.text)
    assert "Evaluation" in text and "The newest of the 2 evaluations this notebook keeps." in text
    assert "6 results" in text and "Paris" in text and "Tokyo" in text and "Lima" in text
    assert "contains city" in text and "calls get_weather" in text  # the checks
    assert "0% (0/6)" in text and "83% (5/6)" in text and "seed 1" in text and "row 3" in text  # pass rates
    cells = [t for t in doc.text if t in ("✗ ✓", "✗ ✗")]
    assert len(cells) == 6  # the grid: a result per row × seed
    assert "✗ The model answered in text instead of calling get_weather." in text and "✓ The model called get_weather." in text
    assert "👍 good" in text and "👎 bad: Answered in words, no call" in text
    assert f'<script src="{PX}?note=script">' in text  # a hostile note is its text
    assert "right tool" in text and "text instead" in text  # the tool-calling matrix
    assert not LOADING & {t for t, _ in doc.tags}
    assert base64.b64encode(photo).decode() not in " ".join(doc.text) and "data:image/png;base64,…(" in text  # cut
