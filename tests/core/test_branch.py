"""Continue from here: a branch's request, its origin, its joined answer, and asking a server once whether it continues."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from playground import branch, runner
from playground.client import ChatClient, ClientConfig
from playground.notebook import Cell, ChatMessage
from playground.response import from_chat_completion
from tests.fake_server import fake_server, refuses, repeats_words

DATA = Path(__file__).resolve().parents[1] / "data"
ASKED = [ChatMessage(role="user", content="What is the capital of France?")]


def paris_cell(**body: object) -> Cell:
    """A run of the embedded model: "The capital of France is Paris." with top-5 alternatives at every token."""
    completion = from_chat_completion(json.loads((DATA / "logprobs_top5.json").read_text()))
    sent = {"model": "m", "messages": [m.to_request() for m in ASKED], "seed": 7, "n": 2, "logprobs": True, "top_logprobs": 5}
    return Cell(
        backend="embedded", model="m", body={**sent, **body}, conversation=ASKED, settings={"seed": 7}, completion=completion
    )


def london(cell: Cell) -> branch.Pick:
    option = next(o for o in branch.options(cell.completion, 5) if o.shown == "␣London")  # type: ignore[arg-type]
    return branch.Pick(cell_id=cell.id, position=5, alternative=option.index)


def test_the_alternatives_offered_leave_out_the_chosen_token_most_likely_first() -> None:
    cell = paris_cell()
    offered = branch.options(cell.completion, 5)  # type: ignore[arg-type]
    assert [o.shown for o in offered] == ["␣New", "␣London", "␣L", "Paris"]
    assert offered[0].probability == pytest.approx(0.002618, abs=1e-6)


def test_a_branch_sends_the_same_request_ending_with_the_answer_so_far() -> None:
    cell = paris_cell()
    new = branch.start(cell, london(cell))
    assert new.body["messages"][-1] == {"role": "assistant", "content": "The capital of France is London"}
    assert new.body["messages"][:-1] == cell.body["messages"]
    assert new.body["seed"] == 7 and "n" not in new.body and new.body["top_logprobs"] == 5
    assert new.conversation == cell.conversation and new.at == cell.at  # a sibling of the run it branched from
    origin = new.branch
    assert origin is not None and origin.of == cell.id and origin.position == 5
    assert (origin.old_token, origin.new_token) == ("␣Paris", "␣London")
    assert origin.old_probability == pytest.approx(0.98, abs=0.001) and origin.new_probability == pytest.approx(0.0024, abs=1e-4)
    assert len(origin.prefix_logprobs) == 6 and origin.prefix_logprobs[-1].token == " London"


def test_a_typed_word_takes_the_space_of_the_token_it_replaces_and_has_no_probability() -> None:
    cell = paris_cell()
    new = branch.start(cell, branch.Pick(cell_id=cell.id, position=5, typed="Lyon"))
    assert new.body["messages"][-1]["content"] == "The capital of France is Lyon"
    assert new.branch is not None and new.branch.new_token == "␣Lyon" and new.branch.new_probability is None
    assert (
        branch.problem(cell, branch.Pick(cell_id=cell.id, position=5, typed="  "))
        == "Type the word to put in place of this token."
    )


def test_what_cannot_be_continued_says_why() -> None:
    assert branch.unavailable(paris_cell()) is None
    assert "tools or response format" in (branch.unavailable(paris_cell(tools=[{"type": "function"}])) or "")
    assert "tools or response format" in (branch.unavailable(paris_cell(response_format={"type": "json_object"})) or "")
    bare = paris_cell().model_copy(update={"completion": None})
    assert branch.unavailable(bare) == "Only a finished answer can be continued from one of its tokens."
    cell = paris_cell()
    assert (
        branch.problem(cell, branch.Pick(cell_id=cell.id, position=99, alternative=0))
        == "This answer has no token at position 99."
    )


def continuation(text: str, finish: str = "length") -> dict[str, object]:
    entries = [{"token": text, "logprob": -0.5, "bytes": list(text.encode()), "top_logprobs": []}] if text else []
    return {
        "id": "c2",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
                "logprobs": {"content": entries},
            }
        ],
        "usage": {"prompt_tokens": 48, "completion_tokens": len(entries)},
    }


def test_the_branchs_answer_is_the_prefix_then_the_continuation_with_both_logprobs() -> None:
    cell = paris_cell()
    new = branch.start(cell, london(cell))
    assert new.branch is not None
    joined = branch.join(new.branch, from_chat_completion(continuation(" is a city")))
    assert joined.text() == "The capital of France is London is a city"
    assert [e.token for e in joined.choices[0].logprobs or []][-2:] == [" London", " is a city"]
    assert joined.usage.input_tokens == 48 and joined.usage.output_tokens == 1  # the server's count: the prefix is prompt
    assert joined.stop_reason == "length"
    new.completion = joined
    assert not branch.nothing_followed(new)
    # a branch of the branch takes its tokens from the joined answer
    again = branch.start(new, branch.Pick(cell_id=new.id, position=6, typed="!"))
    assert again.body["messages"][-1]["content"] == "The capital of France is London!"


def test_a_branch_whose_model_wrote_nothing_more_is_told_apart() -> None:
    cell = paris_cell()
    new = branch.start(cell, london(cell))
    assert new.branch is not None
    new.completion = branch.join(new.branch, from_chat_completion(continuation("", "stop")))
    assert new.text() == "The capital of France is London" and branch.nothing_followed(new)


def test_a_rerun_of_a_branch_is_a_branch_and_a_cut_branch_keeps_its_prefix() -> None:
    cell = paris_cell()
    new = branch.start(cell, london(cell))
    again = runner.rerun_of(new)
    assert again.branch == new.branch and again.body == new.body
    again.partial[0] = " is"
    assert again.text() == "The capital of France is London is"


def test_a_typed_word_is_left_out_of_the_mean() -> None:
    cell = paris_cell()
    new = branch.start(cell, branch.Pick(cell_id=cell.id, position=5, typed="Lyon"))
    assert new.branch is not None and math.isinf(new.branch.prefix_logprobs[-1].logprob)


def test_the_embedded_model_is_known_to_continue_without_asking() -> None:
    known = branch.Probes().known(paris_cell())
    assert known is not None and known.continues


@pytest.mark.parametrize(
    ("reply", "continues", "why"),
    [
        (repeats_words(continues=True), True, ""),
        (repeats_words(continues=False), False, "starts a new answer instead of continuing"),
        (refuses(400, "The last message must be from the user."), False, "The last message must be from the user."),
    ],
)
def test_another_server_is_asked_once_whether_it_continues(reply: object, continues: bool, why: str) -> None:
    with fake_server() as server:
        server.reply = reply  # type: ignore[assignment]
        cell = paris_cell().model_copy(update={"backend": "openai", "base_url": server.base_url})
        probes = branch.Probes()
        assert probes.known(cell) is None
        with ChatClient(ClientConfig(base_url=server.base_url, kind="openai", max_retries=0)) as client:
            first = probes.check(client, cell)
            assert first.continues is continues and why in first.why
            assert probes.check(client, cell) == first
        assert len(server.seen) == 1  # remembered: asked once
        assert probes.known(cell) == first


def test_a_branch_of_a_run_on_a_server_not_chosen_in_this_session_sends_nothing_and_says_why() -> None:
    with fake_server() as server:
        cell = paris_cell().model_copy(update={"backend": "openai", "base_url": server.base_url})
        for client, pick in ((None, london(cell)), (object(), None)):
            with pytest.raises(ValueError, match="a server this session has not used"):
                branch.Probes().start(client, cell, pick)  # type: ignore[arg-type]
        assert server.seen == []


def test_an_answer_and_its_branches_are_one_family_side_by_side_in_compare() -> None:
    from playground import compare

    cell = paris_cell().model_copy(update={"status": "done"})
    other = paris_cell()  # another run at the same point, not a branch: not of the family
    first = branch.start(cell, london(cell))
    first.status = "done"
    assert first.branch is not None
    first.completion = branch.join(first.branch, from_chat_completion(continuation(" is a city")))
    second = branch.start(first, branch.Pick(cell_id=first.id, position=6, typed="!"))
    notebook_order = [cell, other, first, second]
    family = branch.family(notebook_order, second)
    assert [c.id for _, c in family] == [cell.id, first.id, second.id]
    assert [label for label, _ in family] == [
        "Run 1",
        "Branch 2: ␣Paris → ␣London at position 5",
        "Branch 3: ␣is␣a␣city → ! at position 6",
    ]
    assert branch.family(notebook_order, other) == [("Run 1", other)]

    made = compare.of_cells(family[:2])
    assert [r.label for r in made.results] == ["Run 1", "Branch 2: ␣Paris → ␣London at position 5"]
    assert [r.status for r in made.results] == ["done", "done"] and made.results[0].completion is not None
    assert made.results[1].text == "The capital of France is London is a city"
    assert compare.describe(made) == "Run 1 vs Branch 2: ␣Paris → ␣London at position 5"
