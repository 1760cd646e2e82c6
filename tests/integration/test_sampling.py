"""The tokens the embedded model samples are drawn from the distribution its logprobs report, transformed the
documented way: logit bias added, divided by the temperature, then cut to the top_p nucleus of that.

The logprobs stay the model's own (no temperature, top_p or bias in them, as on OpenAI's API). Four seeds per
setting, fixed, so every run sees the same draws (the engine is reproducible to the bit); the statistics are
in bench/probe_sampling.py, which prints the same tables over longer answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bench.probe_sampling import Position, Sampling, calibrate, outside_nucleus, positions, request, token_draws, unlisted_draws
from playground.local import Gateway

pytestmark = pytest.mark.integration

# Tokens per seed, about the fewest each test's assertions need: telling temperature 0.7 from 1 needs 96; with the
# sampler-order bug put back (top_p before the temperature) draws fall outside the nucleus well within 32.
CALIBRATION_TOKENS = 48
RESHAPE_TOKENS = 96
NUCLEUS_TOKENS = 32
MAX_Z = 3.5  # per bucket of predicted chance
MAX_CHI2 = 16.0  # over the (at most 7) buckets; a temperature taken as 1 instead of 0.7 gives 30 and more here


def sampled(api: httpx.Client, model: str, s: Sampling, tokens: int) -> list[Position]:
    """Four seeds' answers of `tokens` tokens to one request with `s`, as positions."""
    the = api.post("/tokenize-text", json={"text": " the"}).json()["token_ids"][0]
    r = api.post("/chat/completions", json=request(model, s, {" the": the["token_id"]}, tokens, 11, 4))
    r.raise_for_status()
    out: dict[str, Any] = r.json()
    return [p for choice in out["choices"] for p in positions(choice)]


def assert_calibrated(poss: list[Position], s: Sampling) -> None:
    cal = calibrate(poss, s)
    assert cal.used >= len(poss) // 3, cal
    assert max(abs(z) for z in cal.z) < MAX_Z and cal.chi2 < MAX_CHI2, cal


def test_at_temperature_1_tokens_are_drawn_as_often_as_their_logprobs_say(api: httpx.Client, gateway: Gateway) -> None:
    poss = sampled(api, gateway.model_id, Sampling(), CALIBRATION_TOKENS)
    assert_calibrated(poss, Sampling())
    expected, observed, z = unlisted_draws(poss)  # the mass outside the top 8 is drawn as often too
    assert abs(z) < MAX_Z, (expected, observed)


def test_temperature_and_logit_bias_reshape_the_draws_but_not_the_logprobs(api: httpx.Client, gateway: Gateway) -> None:
    s = Sampling(0.7, 1.0, {" the": 2.0})
    poss = sampled(api, gateway.model_id, s, RESHAPE_TOKENS)
    assert_calibrated(poss, s)
    expected, observed, z = token_draws(poss, s, " the")
    assert abs(z) < MAX_Z, (expected, observed)
    unbiased = token_draws(poss, Sampling(0.7), " the")
    assert unbiased[2] > MAX_Z, unbiased  # the bias did push it: the logprobs alone undercount it
    assert calibrate(poss, Sampling(1.0, 1.0, s.bias)).chi2 > MAX_CHI2  # and the temperature did reshape them


def test_top_p_keeps_the_nucleus_of_the_tempered_distribution(api: httpx.Client, gateway: Gateway) -> None:
    """At temperature 0.7 and top_p 0.8 no token is drawn from outside the nucleus of what is sampled (llama.cpp's
    own order, top_p before the temperature, took the nucleus of the untempered distribution: a larger one)."""
    s = Sampling(0.7, 0.8)
    poss = sampled(api, gateway.model_id, s, NUCLEUS_TOKENS)
    assert [p for p in poss if outside_nucleus(p, s)] == []
    assert_calibrated(poss, s)
