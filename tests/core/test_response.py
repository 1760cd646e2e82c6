"""playground.response: every upstream shape becomes the same Completion."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from playground.errors import StreamDecodeError
from playground.response import (
    LOGPROBS_KEPT_ONCE,
    Completion,
    StreamAccumulator,
    TextDelta,
    ThinkingDelta,
    from_chat_completion,
)

XAI_ID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def xai_reasoning_answer() -> dict:
    """Shaped like xAI's documented grok-3-mini answer: bare UUID id, reasoning_content, detailed usage."""
    return {
        "id": XAI_ID,
        "object": "chat.completion",
        "model": "grok-3-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "101 multiplied by 3 is 303.",
                    "reasoning_content": "101 * 3 = 303, easy.",
                    "refusal": None,
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 32,
            "completion_tokens": 9,
            "total_tokens": 135,
            "prompt_tokens_details": {"text_tokens": 32, "audio_tokens": 0, "image_tokens": 0, "cached_tokens": 6},
            "completion_tokens_details": {
                "reasoning_tokens": 94,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "system_fingerprint": "fp_6ca29cf396",
    }


def test_xai_answer_with_reasoning_becomes_thinking_then_text() -> None:
    c = from_chat_completion(xai_reasoning_answer())
    assert c.id == XAI_ID
    assert c.model == "grok-3-mini"
    assert c.created is None  # xAI's example has none; must not crash
    assert c.request_id is None
    assert [b.type for b in c.content] == ["thinking", "text"]
    assert c.content[0].thinking == "101 * 3 = 303, easy."
    assert c.content[1].text == "101 multiplied by 3 is 303."
    assert c.text() == "101 multiplied by 3 is 303."
    assert c.stop_reason == "stop"
    assert c.stop_sequence is None
    assert c.usage.model_dump() == {"input_tokens": 32, "output_tokens": 9, "cache_read_input_tokens": 6, "reasoning_tokens": 94}
    assert c.system_fingerprint == "fp_6ca29cf396"
    assert c.raw == xai_reasoning_answer()
    assert len(c.choices) == 1 and c.choices[0].logprobs is None


def test_request_id_is_passed_through() -> None:
    c = from_chat_completion(xai_reasoning_answer(), request_id="req-42")
    assert c.request_id == "req-42"


def test_several_choices_keep_their_index_and_choice_zero_is_mirrored() -> None:
    data = {
        "id": "x",
        "model": "m",
        "created": 1700000000,
        "choices": [
            {"index": 1, "message": {"role": "assistant", "content": "second"}, "finish_reason": "length"},
            {"index": 0, "message": {"role": "assistant", "content": "first"}, "finish_reason": "stop"},
            {"index": 2, "message": {"role": "assistant", "content": "third"}, "finish_reason": "end_turn"},
        ],
    }
    c = from_chat_completion(data)
    assert [ch.index for ch in c.choices] == [0, 1, 2]
    assert [c.text(i) for i in range(3)] == ["first", "second", "third"]
    assert c.text() == "first" and c.stop_reason == "stop"
    assert c.choices[1].stop_reason == "length" and c.choices[2].stop_reason == "end_turn"
    assert c.created == 1700000000
    assert c.usage.input_tokens == 0  # no usage given
    with pytest.raises(IndexError):
        c.text(7)


def tool_answer(arguments: str) -> dict:
    return {
        "id": XAI_ID,
        "model": "grok-4",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": arguments}},
                        {"id": "call_2", "type": "function", "function": {"name": "add", "arguments": '{"a": 12, "b": 30}'}},
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
    }


def test_tool_calls_become_tool_use_blocks_with_parsed_input() -> None:
    c = from_chat_completion(tool_answer('{"city": "Seoul", "unit": "metric"}'))
    assert c.stop_reason == "tool_calls"
    assert [b.type for b in c.content] == ["tool_use", "tool_use"]
    assert c.content[0].id == "call_1" and c.content[0].name == "get_weather"
    assert c.content[0].input == {"city": "Seoul", "unit": "metric"}
    assert c.content[1].input == {"a": 12, "b": 30}
    assert c.text() == ""
    assert [b.name for b in c.tool_uses()] == ["get_weather", "add"]


@pytest.mark.parametrize("arguments", ['{"city": "Seo', "not json", "[1, 2]", "42"])
def test_tool_arguments_that_are_not_a_json_object_are_kept_raw(arguments: str) -> None:
    c = from_chat_completion(tool_answer(arguments))
    assert c.content[0].input == {"_raw": arguments}
    assert c.content[1].input == {"a": 12, "b": 30}


def test_empty_tool_arguments_mean_no_arguments() -> None:
    assert from_chat_completion(tool_answer("")).content[0].input == {}


def test_text_and_tool_calls_together_keep_text_first() -> None:
    data = tool_answer("{}")
    data["choices"][0]["message"]["content"] = "Let me check."
    c = from_chat_completion(data)
    assert [b.type for b in c.content] == ["text", "tool_use", "tool_use"]
    assert c.text() == "Let me check."


def test_logprobs_content_becomes_token_logprobs() -> None:
    # the exact shape llama.cpp (and so the embedded gateway) returns, extra "id" included
    data = {
        "id": "chatcmpl-1",
        "model": "smol",
        "created": 1,
        "choices": [
            {
                "index": 0,
                "finish_reason": "length",
                "message": {"role": "assistant", "content": "1."},
                "logprobs": {
                    "content": [
                        {
                            "id": 33,
                            "token": "1",
                            "bytes": [49],
                            "logprob": -1.36,
                            "top_logprobs": [
                                {"id": 33, "token": "1", "bytes": [49], "logprob": -1.36},
                                {"id": 504, "token": "The", "bytes": [84, 104, 101], "logprob": -2.47},
                            ],
                        },
                        {"id": 30, "token": ".", "bytes": [46], "logprob": -1.17, "top_logprobs": []},
                        {"token": "?", "logprob": None, "bytes": None},
                    ]
                },
            }
        ],
        "usage": {
            "prompt_tokens": 41,
            "completion_tokens": 2,
            "total_tokens": 43,
            "prompt_tokens_details": {"cached_tokens": 40},
        },
    }
    c = from_chat_completion(data)
    lp = c.choices[0].logprobs
    assert lp is not None and [t.token for t in lp] == ["1", ".", "?"]
    assert lp[0].logprob == pytest.approx(-1.36) and lp[0].bytes == [49]
    assert [(t.token, t.bytes) for t in lp[0].top_logprobs] == [("1", [49]), ("The", [84, 104, 101])]
    assert lp[1].top_logprobs == []
    assert math.isinf(lp[2].logprob) and lp[2].bytes is None
    assert c.usage.cache_read_input_tokens == 40 and c.usage.reasoning_tokens == 0


def test_content_parts_are_joined() -> None:
    data = {
        "id": "a",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]},
            }
        ],
    }
    assert from_chat_completion(data).text() == "Hello"


def stop_answer(**extra: object) -> dict:
    choice = {"index": 0, "message": {"role": "assistant", "content": "1, 2, 3, 4, "}, "finish_reason": "stop"}
    choice.update(extra)
    return {"id": "a", "model": "m", "choices": [choice]}


def test_stop_sequence_reported_when_upstream_names_the_stopping_word() -> None:
    c = from_chat_completion(stop_answer(stopping_word="5"), stop=["5", "zzz"])
    assert c.stop_reason == "stop" and c.stop_sequence == "5"
    assert c.choices[0].stop_sequence == "5"


def test_stop_sequence_at_top_level_is_read_too() -> None:
    data = stop_answer()
    data["stopping_word"] = "zzz"
    assert from_chat_completion(data, stop=["5", "zzz"]).stop_sequence == "zzz"


@pytest.mark.parametrize(
    ("stop", "extra"),
    [
        (["5"], {}),  # upstream does not say which one
        (None, {"stopping_word": "5"}),  # request had no stop strings
        (["5"], {"stopping_word": "<|im_end|>"}),  # a word the request did not ask for
        (["5"], {"stopping_word": "5", "finish_reason": "length"}),  # not a stop
    ],
)
def test_stop_sequence_is_none_unless_known(stop: list[str] | None, extra: dict) -> None:
    assert from_chat_completion(stop_answer(**extra), stop=stop).stop_sequence is None


def test_garbage_is_a_decode_error() -> None:
    with pytest.raises(StreamDecodeError):
        from_chat_completion(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(StreamDecodeError):
        from_chat_completion({"id": "a", "choices": "nope"})


def test_empty_choices_give_an_empty_completion() -> None:
    c = from_chat_completion({"id": "a", "model": "m", "choices": []})
    assert c.content == [] and c.choices == [] and c.text() == "" and c.stop_reason is None


# ----------------------------------------------------------------------------------- streams


def chunk(choices: list[dict], **extra: object) -> dict:
    return {
        "id": "chatcmpl-s",
        "object": "chat.completion.chunk",
        "created": 1795867806,
        "model": "smol",
        "system_fingerprint": "b0",
        "choices": choices,
        **extra,
    }


def feed(chunks: list[dict], **kwargs: object) -> tuple[list[TextDelta | ThinkingDelta], Completion]:
    acc = StreamAccumulator(**kwargs)  # type: ignore[arg-type]
    events = [e for c in chunks for e in acc.add(c)]
    return events, acc.completion()


def test_stream_text_deltas_and_final_usage_chunk() -> None:
    chunks = [
        chunk([{"index": 0, "delta": {"role": "assistant", "content": None}, "finish_reason": None}]),
        chunk([{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]),
        chunk([{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]),
        chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
        chunk(
            [],
            usage={
                "prompt_tokens": 38,
                "completion_tokens": 2,
                "total_tokens": 40,
                "prompt_tokens_details": {"cached_tokens": 32},
            },
        ),
    ]
    events, c = feed(chunks)
    assert events == [TextDelta(choice=0, text="Hel"), TextDelta(choice=0, text="lo")]
    assert c.text() == "Hello" and c.stop_reason == "stop"
    assert (c.id, c.model, c.created, c.system_fingerprint) == ("chatcmpl-s", "smol", 1795867806, "b0")
    assert c.usage.model_dump() == {"input_tokens": 38, "output_tokens": 2, "cache_read_input_tokens": 32, "reasoning_tokens": 0}
    assert c.raw == chunks


def test_stream_reasoning_becomes_thinking_deltas_and_block() -> None:
    chunks = [
        chunk([{"index": 0, "delta": {"role": "assistant", "reasoning_content": "Think"}}]),
        chunk([{"index": 0, "delta": {"reasoning_content": "ing."}}]),
        chunk(
            [{"index": 0, "delta": {"content": "Answer"}, "finish_reason": "stop"}],
            usage={"prompt_tokens": 5, "completion_tokens": 1, "completion_tokens_details": {"reasoning_tokens": 2}},
        ),
    ]
    events, c = feed(chunks)
    assert events == [
        ThinkingDelta(choice=0, text="Think"),
        ThinkingDelta(choice=0, text="ing."),
        TextDelta(choice=0, text="Answer"),
    ]
    assert [b.type for b in c.content] == ["thinking", "text"]
    assert c.content[0].thinking == "Thinking." and c.text() == "Answer"
    assert c.usage.reasoning_tokens == 2


def test_stream_interleaved_choices() -> None:
    # the order llama.cpp really sends for n=2
    chunks = [
        chunk([{"index": 1, "delta": {"role": "assistant", "content": None}}]),
        chunk([{"index": 1, "delta": {"content": "Welcome"}}]),
        chunk([{"index": 0, "delta": {"content": "Hello"}}]),
        chunk([{"index": 1, "delta": {"content": " to"}}]),
        chunk([{"index": 0, "delta": {"content": ","}}]),
        chunk([{"index": 1, "delta": {}, "finish_reason": "length"}]),
        chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
    ]
    events, c = feed(chunks)
    assert [(e.choice, e.text) for e in events] == [(1, "Welcome"), (0, "Hello"), (1, " to"), (0, ",")]
    assert [ch.index for ch in c.choices] == [0, 1]
    assert (c.text(0), c.text(1)) == ("Hello,", "Welcome to")
    assert (c.choices[0].stop_reason, c.choices[1].stop_reason) == ("stop", "length")
    assert c.stop_reason == "stop" and c.text() == "Hello,"


def test_stream_tool_call_arriving_in_pieces() -> None:
    chunks = [
        chunk(
            [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "tool_calls": [
                            {"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
                        ],
                    },
                }
            ]
        ),
        chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"ci'}}]}}]),
        chunk([{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": 'ty": "Paris"}'}}]}}]),
        chunk(
            [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {"index": 1, "id": "call_b", "type": "function", "function": {"name": "add", "arguments": '{"a":1'}}
                        ]
                    },
                }
            ]
        ),
        chunk([{"index": 0, "delta": {"tool_calls": [{"index": 1, "function": {"arguments": ',"b":2}'}}]}}]),
        chunk([{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]),
    ]
    events, c = feed(chunks)
    assert events == []
    assert c.stop_reason == "tool_calls"
    assert [(b.id, b.name, b.input) for b in c.content] == [
        ("call_a", "get_weather", {"city": "Paris"}),
        ("call_b", "add", {"a": 1, "b": 2}),
    ]


def test_stream_tool_calls_arriving_whole_like_xai() -> None:
    chunks = [
        chunk(
            [
                {
                    "index": 0,
                    "delta": {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "function": {"name": "get_weather", "arguments": '{"city":"Tokyo"}'},
                                "type": "function",
                            },
                            {
                                "id": "call_2",
                                "function": {"name": "get_weather", "arguments": '{"city":"Seoul"}'},
                                "type": "function",
                            },
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ]
        ),
    ]
    _, c = feed(chunks)
    assert [(b.id, b.input) for b in c.content] == [("call_1", {"city": "Tokyo"}), ("call_2", {"city": "Seoul"})]


def test_stream_logprobs_are_collected_per_choice() -> None:
    def lp(token: str, logprob: float) -> dict:
        return {
            "content": [
                {
                    "id": 1,
                    "token": token,
                    "bytes": list(token.encode()),
                    "logprob": logprob,
                    "top_logprobs": [{"id": 1, "token": token, "bytes": list(token.encode()), "logprob": logprob}],
                }
            ]
        }

    chunks = [
        chunk([{"index": 0, "delta": {"content": "Hi"}, "logprobs": lp("Hi", -0.5)}]),
        chunk([{"index": 0, "delta": {"content": "!"}, "logprobs": lp("!", -0.25)}]),
        chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]),
    ]
    _, c = feed(chunks)
    tokens = c.choices[0].logprobs
    assert tokens is not None
    assert [(t.token, t.logprob, t.bytes) for t in tokens] == [("Hi", -0.5, [72, 105]), ("!", -0.25, [33])]
    assert tokens[1].top_logprobs[0].token == "!"


def test_stream_without_logprobs_has_none() -> None:
    _, c = feed([chunk([{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}])])
    assert c.choices[0].logprobs is None


def test_stream_stopping_word_and_request_id() -> None:
    _, c = feed(
        [chunk([{"index": 0, "delta": {"content": "1, 2"}, "finish_reason": "stop", "stopping_word": ","}])],
        stop=[","],
        request_id="r1",
    )
    assert c.stop_sequence == "," and c.request_id == "r1"


def test_stream_finished_flag() -> None:
    acc = StreamAccumulator()
    assert not acc.finished
    acc.add(chunk([{"index": 0, "delta": {"content": "a"}}]))
    assert not acc.finished
    acc.add(chunk([{"index": 0, "delta": {}, "finish_reason": "length"}]))
    assert acc.finished


def test_stream_equals_the_same_answer_unstreamed() -> None:
    """What a stream accumulates is what the non-streamed answer says, block for block."""
    whole = tool_answer('{"city": "Seoul"}')
    whole["choices"][0]["message"]["content"] = "ok"
    msg = whole["choices"][0]["message"]
    chunks = [
        {"id": XAI_ID, "model": "grok-4", "choices": [{"index": 0, "delta": {"content": "ok"}}]},
        {
            "id": XAI_ID,
            "model": "grok-4",
            "choices": [{"index": 0, "delta": {"tool_calls": msg["tool_calls"]}, "finish_reason": "tool_calls"}],
        },
    ]
    _, streamed = feed(chunks)
    assert streamed.content == from_chat_completion(whole).content


def test_stream_rejects_non_objects() -> None:
    with pytest.raises(StreamDecodeError):
        StreamAccumulator().add("data: nope")  # type: ignore[arg-type]


def test_completion_round_trips_through_json() -> None:
    c = from_chat_completion(xai_reasoning_answer())
    assert Completion.model_validate(json.loads(c.model_dump_json())) == c


def test_public_names() -> None:
    import playground.response as module

    assert set(module.__all__) == {
        "LOGPROBS_KEPT_ONCE",
        "SHOWN_LOGPROBS",
        "Choice",
        "Completion",
        "ContentBlock",
        "Done",
        "StreamAccumulator",
        "TextDelta",
        "ThinkingDelta",
        "TokenLogprob",
        "TopLogprob",
        "Usage",
        "from_chat_completion",
        "parse_arguments",
    }
    assert all(hasattr(module, name) for name in module.__all__)


def test_a_top_level_stopping_word_is_not_given_to_every_choice() -> None:
    data = {
        "id": "x",
        "model": "m",
        "stopping_word": "END",
        "choices": [{"index": i, "message": {"role": "assistant", "content": "a"}, "finish_reason": "stop"} for i in range(2)],
    }
    completion = from_chat_completion(data, stop=["END"])
    assert [c.stop_sequence for c in completion.choices] == [None, None]
    one = from_chat_completion({**data, "choices": data["choices"][:1]}, stop=["END"])
    assert one.stop_sequence == "END"


def test_a_stopping_word_on_a_choices_first_chunk_is_kept() -> None:
    acc = StreamAccumulator(stop=["END"])
    acc.add(
        {
            "id": "x",
            "model": "m",
            "stopping_word": "END",
            "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}],
        }
    )
    assert acc.completion().stop_sequence == "END"


def test_a_body_with_logprobs_keeps_them_once_and_its_envelope_in_raw() -> None:
    body = json.loads((Path(__file__).parents[1] / "data" / "logprobs_n2.json").read_text())
    c = from_chat_completion(body)
    assert all(choice.logprobs for choice in c.choices)
    assert isinstance(c.raw, dict) and "top_logprobs" not in json.dumps(c.raw)
    assert [choice["logprobs"] for choice in c.raw["choices"]] == [LOGPROBS_KEPT_ONCE] * len(body["choices"])
    without = {k: v for k, v in body.items() if k != "choices"}
    assert {k: v for k, v in c.raw.items() if k != "choices"} == without
    assert [{k: v for k, v in ch.items() if k != "logprobs"} for ch in c.raw["choices"]] == [
        {k: v for k, v in ch.items() if k != "logprobs"} for ch in body["choices"]
    ]


def test_the_json_shown_cuts_each_choices_logprobs_and_the_whole_json_keeps_them() -> None:
    body = json.loads((Path(__file__).parents[1] / "data" / "logprobs_n2.json").read_text())
    c = from_chat_completion(body)
    lengths = [len(choice.logprobs or ()) for choice in c.choices]
    assert min(lengths) > 3
    whole = json.loads(c.whole_json())
    assert whole == json.loads(c.model_dump_json(exclude={"raw"}, exclude_none=True))
    assert c.shown(tokens=max(lengths)) == whole  # nothing to cut: the same JSON
    shown = c.shown(tokens=3)
    for n, choice, full in zip(lengths, shown["choices"], whole["choices"], strict=True):
        assert choice["logprobs"] == [*full["logprobs"][:3], f"… and {n - 3:,} more tokens, in the whole JSON"]
    assert {k: v for k, v in shown.items() if k != "choices"} == {k: v for k, v in whole.items() if k != "choices"}
    assert [len(choice.logprobs or ()) for choice in c.choices] == lengths  # the completion itself is unchanged
