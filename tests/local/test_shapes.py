"""The gateway's answer shapes: logprob trimming, usage, tokenize items."""

from __future__ import annotations

from playground.local.shapes import sum_usage, token_entry, trim_logprobs


def test_trim_logprobs_keeps_the_requested_alternatives() -> None:
    lp = {"content": [{"token": "a", "logprob": -1.0, "top_logprobs": [{"token": "a"}, {"token": "b"}]}]}
    assert trim_logprobs(lp, 1)["content"][0]["top_logprobs"] == [{"token": "a"}]
    assert trim_logprobs(lp, 0)["content"][0]["top_logprobs"] == []
    assert trim_logprobs(None, 3) is None


def test_usage_counts_the_prompt_once_and_sums_completions() -> None:
    parts = [
        {"prompt_tokens": 10, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": 4}},
        {"prompt_tokens": 10, "completion_tokens": 5},
    ]
    usage = sum_usage(parts)
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (10, 8, 18)
    assert usage["prompt_tokens_details"]["cached_tokens"] == 4
    assert sum_usage([])["total_tokens"] == 0


def test_token_entry_handles_pieces_that_are_not_valid_utf8() -> None:
    assert token_entry(5, "hé") == {"token_id": 5, "string_token": "hé", "token_bytes": [104, 195, 169]}
    partial = token_entry(9, [32, 230])
    assert partial["token_bytes"] == [32, 230] and partial["string_token"].startswith(" ")
