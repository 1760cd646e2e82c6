"""Continue from here: a run whose answer is another run's answer up to a token, then a token put in its place (an
alternative the model considered there, or a word typed in), then what the model writes on from there.

The request is the original's, same settings and seed, with the answer so far as a last, unfinished assistant
message, which the server continues. The embedded gateway does so exactly; any other server is asked once whether it
does (`Probes`), and not offered it when it does not. The branch's answer joins that prefix, and its tokens'
logprobs, to the continuation (`join`), so it reads, charts, continues and compares like any answer.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from playground import analysis, backends
from playground.client import ChatClient
from playground.errors import UpstreamError
from playground.notebook import BranchOrigin, Cell
from playground.response import Choice, Completion, ContentBlock, TokenLogprob

__all__ = [
    "Option",
    "Pick",
    "Probes",
    "Support",
    "family",
    "join",
    "nothing_followed",
    "options",
    "problem",
    "server_of",
    "start",
    "unavailable",
]


class Pick(BaseModel):
    """What a person chose to continue from: a run, a choice and token position, and either one of the alternatives
    there (`alternative`: its index in the API's top_logprobs) or a word of their own (`typed`)."""

    cell_id: str
    choice: int = Field(default=0, ge=0)
    position: int = Field(ge=0)
    alternative: int | None = None
    typed: str | None = None


@dataclass(frozen=True)
class Option:
    """An alternative at one position, as offered: its index in top_logprobs, its text shown (whitespace visible),
    its probability."""

    index: int
    shown: str
    probability: float


def unavailable(cell: Cell) -> str | None:
    """Why this run's answer cannot be continued from one of its tokens, in plain words; None when it can."""
    if cell.completion is None:
        return "Only a finished answer can be continued from one of its tokens."
    if not analysis.choices_with_logprobs(cell.completion):
        return analysis.NO_LOGPROBS
    fmt = cell.body.get("response_format")
    if cell.body.get("tools") or (isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")):
        return (
            "This run's answer was held to its tools or response format, which would start over from the middle of it: "
            "continuing from a token is for plain answers."
        )
    return None


def options(completion: Completion, position: int, choice: int = 0) -> list[Option]:
    """The alternatives at `position` other than the token chosen there, most likely first (whole characters only:
    a lone byte of a character cannot be sent as text)."""
    entries = analysis.logprobs_of(completion, choice) or []
    if not 0 <= position < len(entries):
        return []
    entry = entries[position]
    out: list[Option] = []
    for i, alt in sorted(enumerate(entry.top_logprobs), key=lambda pair: -pair[1].logprob):
        text, partial = analysis.decode_token(alt.token, alt.bytes)
        if partial or (alt.token == entry.token and (alt.bytes is None or alt.bytes == entry.bytes)):
            continue
        out.append(Option(index=i, shown=analysis.show_token(text), probability=_probability(alt.logprob)))
    return out


def _probability(logprob: float) -> float:
    return 0.0 if math.isnan(logprob) else math.exp(min(logprob, 0.0))


def _text_of(entries: list[TokenLogprob]) -> str:
    """The text of these tokens; ValueError when they end inside a character."""
    data = b"".join(bytes(e.bytes) if e.bytes else e.token.encode("utf-8") for e in entries)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("The answer up to that token ends inside a character: pick a token after it.") from None


def _new_token(pick: Pick, entry: TokenLogprob) -> TokenLogprob:
    """The token put at the picked position: the alternative (with the probability the run gave it) or the typed word,
    which the run gave no probability (-inf: left out of the answer's mean), starting with a space when the token it
    replaces did and the word starts with a letter or digit. ValueError in plain words for an empty word or an
    unknown alternative."""
    if pick.typed is not None:
        word = pick.typed
        if not word.strip():
            raise ValueError("Type the word to put in place of this token.")
        old_text, _ = analysis.decode_token(entry.token, entry.bytes)
        lead = old_text[: len(old_text) - len(old_text.lstrip())]
        if lead and word[:1].isalnum():
            word = lead + word
        return TokenLogprob(token=word, logprob=-math.inf, bytes=list(word.encode("utf-8")), top_logprobs=entry.top_logprobs)
    if pick.alternative is None or not 0 <= pick.alternative < len(entry.top_logprobs):
        raise ValueError("Pick one of the alternatives at this position, or type a word.")
    alt = entry.top_logprobs[pick.alternative]
    return TokenLogprob(token=alt.token, logprob=alt.logprob, bytes=alt.bytes, top_logprobs=entry.top_logprobs)


def origin(cell: Cell, pick: Pick) -> BranchOrigin:
    """Where a branch of `cell` at `pick` starts. ValueError in plain words when it cannot."""
    why = unavailable(cell)
    if why is not None:
        raise ValueError(why)
    assert cell.completion is not None
    entries = analysis.logprobs_of(cell.completion, pick.choice) or []
    if not 0 <= pick.position < len(entries):
        raise ValueError(f"This answer has no token at position {pick.position}.")
    entry = entries[pick.position]
    new = _new_token(pick, entry)
    kept = [*entries[: pick.position], new]
    prefix = _text_of(kept)
    return BranchOrigin(
        of=cell.id,
        choice=pick.choice,
        position=pick.position,
        old_token=analysis.show_token(analysis.decode_token(entry.token, entry.bytes)[0]),
        old_probability=_probability(entry.logprob),
        new_token=analysis.show_token(analysis.decode_token(new.token, new.bytes)[0]),
        new_probability=None if pick.typed is not None else _probability(new.logprob),
        prefix=prefix,
        prefix_logprobs=kept,
    )


def problem(cell: Cell, pick: Pick) -> str | None:
    """What is wrong with continuing `cell` from `pick`, in plain words (shown next to the field); None when nothing."""
    try:
        origin(cell, pick)
    except ValueError as exc:
        return str(exc)
    return None


def start(cell: Cell, pick: Pick) -> Cell:
    """The branch of `cell` at `pick`, ready to run: the same request (settings, seed) for one choice, streamed, with
    the answer so far as the last, assistant message. ValueError in plain words when it cannot be made."""
    where = origin(cell, pick)
    body = copy.deepcopy(cell.body)
    body.pop("n", None)
    body.pop("deferred", None)
    body["messages"] = [*body.get("messages", []), {"role": "assistant", "content": where.prefix}]
    note = (
        f"Continues the answer of the run it branched from at position {where.position} ({where.old_token} → "
        f"{where.new_token}): the request ends with the answer so far as the assistant's message."
    )
    return Cell(
        backend=cell.backend,
        base_url=cell.base_url,
        model=cell.model,
        body=body,
        notes=[*cell.notes, note],
        conversation=[m.model_copy(deep=True) for m in cell.conversation],
        settings=dict(cell.settings),
        branch=where,
    )


def join(where: BranchOrigin, completion: Completion) -> Completion:
    """The branch's answer: the prefix, then the continuation the server sent (`completion`, its first choice), with
    the prefix's logprobs before the continuation's. Usage, stop reason and the raw JSON stay the server's."""
    first = next((c for c in completion.choices if c.index == 0), None)
    blocks = first.content if first is not None else completion.content
    rest = "".join(b.text or "" for b in blocks if b.type == "text")
    thinking = [b for b in blocks if b.type == "thinking"]
    calls = [b for b in blocks if b.type == "tool_use"]
    content = [*thinking, ContentBlock(type="text", text=where.prefix + rest), *calls]
    logprobs = first.logprobs if first is not None else None
    joined = Choice(
        index=0,
        content=content,
        stop_reason=first.stop_reason if first is not None else completion.stop_reason,
        stop_sequence=first.stop_sequence if first is not None else completion.stop_sequence,
        logprobs=[*where.prefix_logprobs, *(logprobs or [])] if logprobs is not None or where.prefix_logprobs else None,
    )
    return completion.model_copy(update={"content": content, "choices": [joined]})


def family(cells: Sequence[Cell], cell: Cell) -> list[tuple[str, Cell]]:
    """The answer `cell` belongs to and every branch made from it (branches of branches too), in the notebook's
    order, each labelled ("Run 1", "Branch 2: ␣a → ␣in at position 3"); just `cell` when it has no branch."""
    by_id = {c.id: c for c in cells}
    root = cell
    while root.branch is not None and root.branch.of in by_id and root.branch.of != root.id:
        root = by_id[root.branch.of]
    members, grown = {root.id}, True
    while grown:
        more = {c.id for c in cells if c.branch is not None and c.branch.of in members} - members
        members |= more
        grown = bool(more)
    out: list[tuple[str, Cell]] = []
    for c in cells:
        if c.id in members:
            n = len(out) + 1
            b = c.branch
            out.append((f"Run {n}" if b is None else f"Branch {n}: {b.old_token} → {b.new_token} at position {b.position}", c))
    return out


def nothing_followed(cell: Cell) -> bool:
    """A finished branch whose model wrote nothing after the new token (it ended the answer right there)."""
    return cell.branch is not None and cell.completion is not None and cell.text() == cell.branch.prefix


# ------------------------------------------------------------------------------------ other servers


NOT_CHOSEN = "This run went to a server this session has not used: rerun it (and say yes) first."
PROBE_WORDS = "alpha beta gamma delta epsilon zeta eta theta"
PROBE_PREFIX = "alpha beta gamma delta"


class Support(BaseModel):
    """Whether a server continues a last, unfinished assistant message; `why` it does not, in plain words."""

    continues: bool
    why: str = ""


def server_of(cell: Cell) -> str:
    """What a probe's answer holds for: the backend, base URL and model a run went to (never a key)."""
    return f"{cell.backend}|{cell.base_url or ''}|{cell.model}"


def probe_body(model: str) -> dict[str, object]:
    """A request only a server that continues the assistant's message answers with the words after the prefix."""
    return {
        "model": model,
        "messages": [
            {"role": "user", "content": f"Repeat these words exactly, nothing else: {PROBE_WORDS}"},
            {"role": "assistant", "content": PROBE_PREFIX},
        ],
        "temperature": 0,
        "max_completion_tokens": 12,
    }


class Probes:
    """What this session learnt of each server (`server_of`): asked once, then remembered."""

    def __init__(self) -> None:
        self._known: dict[str, Support] = {}

    def known(self, cell: Cell) -> Support | None:
        """The answer for `cell`'s server without asking: the embedded gateway continues; others once probed."""
        if backends.backend(cell.backend).capabilities.continues:
            return Support(continues=True)
        return self._known.get(server_of(cell))

    def check(self, client: ChatClient, cell: Cell) -> Support:
        """Whether `cell`'s server continues an assistant's message: asked once (a request of a dozen tokens), then
        remembered. A server that refuses the request does not; an error on the way (a timeout, a rate limit) is
        raised and nothing is remembered, so the next try asks again."""
        if (known := self.known(cell)) is not None:
            return known
        try:
            text = client.complete(probe_body(cell.model)).text().strip()
        except UpstreamError as exc:
            if exc.status is None or exc.status >= 500 or exc.status == 429:
                raise
            found = Support(
                continues=False,
                why=f"This server refuses a conversation that ends with the model's own message ({exc.server_message or exc}).",
            )
        else:
            found = (
                Support(continues=True)
                if text.lower().startswith("epsilon")
                else Support(
                    continues=False,
                    why="This server starts a new answer instead of continuing the model's unfinished one (asked to go on "
                    f'after "{PROBE_PREFIX}", it answered "{text[:40]}").',
                )
            )
        self._known[server_of(cell)] = found
        return found

    def start(self, client: ChatClient | None, cell: Cell, pick: Pick | None) -> Cell:
        """The branch of `cell` at `pick` (`start`), once its server is known to continue an unfinished answer (asked
        here the first time). ValueError saying why not otherwise; `client` None: the run went to a server this
        session has not chosen, so nothing is sent there (nor when the pick is lost)."""
        if client is None or pick is None:
            raise ValueError(NOT_CHOSEN)
        support = self.check(client, cell)
        if not support.continues:
            raise ValueError(support.why)
        return start(cell, pick)
