"""Are the sampled tokens drawn from the distribution the gateway reports? A calibration check on the real model.

The reported logprobs are the model's own distribution (log-softmax of its logits, as on OpenAI's API: neither
temperature, top_p nor logit_bias changes them). Sampling draws from that distribution with the logit bias added,
divided by the temperature, then cut to the top_p nucleus of the result. So at each position the chance of each
listed alternative is known from the report, given the token drawn is one of the listed ones (the rest of the
vocabulary is unknown, so the check is conditional on it); the nucleus is known where the listed alternatives
settle it (a bound on the unlisted mass, below, decides the rest).

`calibrate` buckets every listed alternative by that chance and compares how often the bucket's tokens were drawn
with the sum of their chances (a z-score per bucket); `outside_nucleus` counts draws the nucleus excludes for
certain. Run `python -m bench.probe_sampling` for the tables at temperature 1 and 0.7, with and without top_p and
a logit bias, and how often a token of very low reported probability is drawn at temperature 1.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EDGES = (0.0, 0.02, 0.1, 0.3, 0.6, 0.9, 0.99, 1.0000001)
MARGIN = 1e-4  # a nucleus edge this close to top_p is left undecided (float rounding in llama.cpp)


@dataclass(frozen=True)
class Position:
    """One generated position: the reported alternatives (token, probability), and the token drawn with its probability."""

    alts: list[tuple[str, float]]
    sampled: str
    p_sampled: float


@dataclass(frozen=True)
class Sampling:
    """What the request asked: temperature, top_p, and the logit bias keyed by token text."""

    temperature: float = 1.0
    top_p: float = 1.0
    bias: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibration:
    """Per bucket of predicted chance: (expected draws, observed draws, variance, alternatives); positions used."""

    buckets: list[tuple[float, float, float, int]]
    used: int

    @property
    def z(self) -> list[float]:
        return [(o - e) / math.sqrt(v) if v >= 1.0 else 0.0 for e, o, v, _ in self.buckets]

    @property
    def chi2(self) -> float:
        return sum(z * z for z in self.z)


def positions(choice: dict[str, Any]) -> list[Position]:
    """The positions of one choice of a chat.completion asked with logprobs and top_logprobs."""
    out = []
    for entry in choice["logprobs"]["content"]:
        alts = [(t["token"], math.exp(t["logprob"])) for t in entry["top_logprobs"]]
        out.append(Position(alts, entry["token"], math.exp(entry["logprob"])))
    return out


def _weights(pos: Position, s: Sampling) -> list[float]:
    """Each alternative's unnormalised chance: (p·e^bias)^(1/temperature)."""
    return [(p * math.exp(s.bias.get(tok, 0.0))) ** (1 / s.temperature) for tok, p in pos.alts]


def _nucleus(pos: Position, s: Sampling) -> tuple[list[bool | None], bool | None]:
    """Which alternatives the top_p nucleus keeps (None: cannot tell), and whether it keeps unlisted tokens.

    The nucleus is taken on the tempered distribution, whose normaliser is the listed weights plus the unlisted
    ones; an unlisted token is no likelier than the least likely listed one, so at a temperature of at most 1
    the unlisted weight is at most (unlisted mass)·p_min^(1/T − 1). Without a bias only: the bias of an unlisted
    token would move that bound.
    """
    w = _weights(pos, s)
    if s.top_p >= 1:
        return [True] * len(w), True
    unlisted = max(0.0, 1.0 - sum(p for _, p in pos.alts))
    p_min = min(p for _, p in pos.alts)
    low = sum(w)
    high = low + unlisted * p_min ** (1 / s.temperature - 1)
    kept: list[bool | None] = [None] * len(w)
    before = 0.0
    for i in sorted(range(len(w)), key=lambda i: -w[i]):
        if before / low < s.top_p - MARGIN:
            kept[i] = True
        elif before / high >= s.top_p + MARGIN:
            kept[i] = False
        before += w[i]
    rest = True if low / high < s.top_p - MARGIN else False if low / high >= s.top_p + MARGIN else None
    if unlisted == 0:
        rest = False
    return kept, rest


def outside_nucleus(pos: Position, s: Sampling) -> bool:
    """The token drawn is one the top_p nucleus excludes for certain."""
    kept, rest = _nucleus(pos, s)
    tokens = [t for t, _ in pos.alts]
    if pos.sampled in tokens:
        return kept[tokens.index(pos.sampled)] is False
    return rest is False


def chances(pos: Position, s: Sampling) -> list[float] | None:
    """Each listed alternative's chance of being drawn, given the draw is one of them; None where the list repeats
    a token's text or the nucleus cannot be told from it."""
    tokens = [t for t, _ in pos.alts]
    if len(set(tokens)) != len(tokens):
        return None
    kept, rest = _nucleus(pos, s)
    if None in kept or (s.top_p < 1 and rest is not False):
        return None
    w = [x if k else 0.0 for x, k in zip(_weights(pos, s), kept, strict=True)]
    total = sum(w)
    return [x / total for x in w] if total > 0 else None


def calibrate(poss: list[Position], s: Sampling) -> Calibration:
    """Every listed alternative at every position where the draw was a listed one, bucketed by its chance."""
    sums = [[0.0, 0.0, 0.0, 0] for _ in EDGES[:-1]]
    used = 0
    for pos in poss:
        tokens = [t for t, _ in pos.alts]
        q = chances(pos, s)
        if q is None or pos.sampled not in tokens:
            continue
        used += 1
        for token, chance in zip(tokens, q, strict=True):
            b = next(k for k in range(len(EDGES) - 1) if EDGES[k] <= chance < EDGES[k + 1])
            sums[b][0] += chance
            sums[b][1] += token == pos.sampled
            sums[b][2] += chance * (1 - chance)
            sums[b][3] += 1
    return Calibration([(e, o, v, int(n)) for e, o, v, n in sums], used)


def token_draws(poss: list[Position], s: Sampling, token: str) -> tuple[float, int, float]:
    """Draws of one token (say a biased one) where it was listed and the draw was a listed one: expected, observed, z."""
    expected = variance = 0.0
    observed = 0
    for pos in poss:
        tokens = [t for t, _ in pos.alts]
        q = chances(pos, s)
        if q is None or token not in tokens or pos.sampled not in tokens:
            continue
        chance = q[tokens.index(token)]
        expected, variance, observed = expected + chance, variance + chance * (1 - chance), observed + (pos.sampled == token)
    return expected, observed, (observed - expected) / math.sqrt(variance) if variance > 0 else 0.0


def unlisted_draws(poss: list[Position]) -> tuple[float, int, float]:
    """At temperature 1 without top_p or bias: draws of an unlisted token, expected (the reported mass outside the
    list, summed over positions) and observed, and the z-score."""
    mass = [max(0.0, 1.0 - sum(p for _, p in pos.alts)) for pos in poss]
    observed = sum(pos.sampled not in [t for t, _ in pos.alts] for pos in poss)
    expected, variance = sum(mass), sum(m * (1 - m) for m in mass)
    return expected, observed, (observed - expected) / math.sqrt(variance) if variance > 0 else 0.0


PROMPT = "Tell me a long story about a fisherman, his boat and the sea."


def request(model: str, s: Sampling, bias_ids: dict[str, int], tokens: int, seed: int, n: int) -> dict[str, Any]:
    """The chat request of one calibration run: n seeded choices with top_logprobs 8."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": PROMPT}],
        "max_completion_tokens": tokens,
        "logprobs": True,
        "top_logprobs": 8,
        "n": n,
        "seed": seed,
        "temperature": s.temperature,
    }
    if s.top_p < 1:
        body["top_p"] = s.top_p
    if s.bias:
        body["logit_bias"] = {str(bias_ids[t]): b for t, b in s.bias.items()}
    return body


def main() -> None:
    import httpx

    from playground.local import GatewaySettings, start_gateway

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=150, help="tokens per choice")
    ap.add_argument("--n", type=int, default=4, help="choices (seeds) per setting")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    gw = start_gateway(GatewaySettings(threads=args.threads))
    try:
        api = httpx.Client(base_url=gw.base_url, timeout=1800)
        the = api.post("/tokenize-text", json={"text": " the"}).json()["token_ids"][0]
        bias_ids = {the["string_token"]: the["token_id"]}
        settings = {
            "temperature 1": Sampling(),
            "temperature 0.7": Sampling(0.7),
            "temperature 1, top_p 0.8": Sampling(1.0, 0.8),
            "temperature 0.7, top_p 0.8": Sampling(0.7, 0.8),
            "temperature 0.7, ' the' +2": Sampling(0.7, 1.0, {the["string_token"]: 2.0}),
        }
        edges = " ".join(f"[{a:g},{b:.2g})" for a, b in zip(EDGES, EDGES[1:], strict=False))
        print(f"{args.n} seeds × {args.tokens} tokens per setting; z per bucket of predicted chance {edges}")
        for name, s in settings.items():
            started = time.perf_counter()
            out = api.post("/chat/completions", json=request(gw.model_id, s, bias_ids, args.tokens, 11, args.n)).json()
            poss = [p for choice in out["choices"] for p in positions(choice)]
            cal = calibrate(poss, s)
            outside = sum(outside_nucleus(p, s) for p in poss)
            zs = " ".join(f"{z:+.1f}" for z in cal.z)
            print(f"{name}: {len(poss)} positions ({time.perf_counter() - started:.0f} s), {cal.used} used; z {zs}; ", end="")
            print(f"chi2 {cal.chi2:.1f}; drawn outside the nucleus {outside}")
            for token in s.bias:
                expected, observed, z = token_draws(poss, s, token)
                plain = token_draws(poss, Sampling(s.temperature, s.top_p), token)
                print(f"  {token!r} drawn {observed} times, expected {expected:.1f} with its bias (z {z:+.1f}), ", end="")
                print(f"{plain[0]:.1f} without (z {plain[2]:+.1f})")
            if s == Sampling():
                expected, observed, z = unlisted_draws(poss)
                print(f"  drawn outside the top 8: {observed}, expected {expected:.1f} (z {z:+.1f})")
                for p in (1e-4, 3.2e-5, 1e-5):
                    rare = sum(pos.p_sampled <= p for pos in poss)
                    print(f"  drawn with a reported probability <= {p:.2g}: {rare} of {len(poss)} ({rare / len(poss):.2%})")
        print(f"load average after: {__import__('os').getloadavg()[0]:.2f}")
    finally:
        gw.close()


if __name__ == "__main__":
    main()
