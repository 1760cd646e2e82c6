"""Re-record the logprobs payloads in this folder from the embedded gateway (raw chat.completion JSON).

Run: `uv run python tests/data/record_logprobs.py [name …]` (no names: all of them). The analysis tests read
the files, not the model, so they stay fast; re-record only when the gateway's answer shape changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from playground.local import start_gateway  # noqa: E402

# name -> request body (model filled in); temperature 0 or a seed so a re-recording gives the same text
REQUESTS: dict[str, dict[str, Any]] = {
    "logprobs_top5": {
        "messages": [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}],
        "logprobs": True,
        "top_logprobs": 5,
        "max_completion_tokens": 24,
        "temperature": 0,
    },
    # llama.cpp merges a multi-byte character's byte tokens for the chosen token, but alternatives stay
    # single bytes ("\ufffd" with bytes [159]): both shapes are in these two.
    "logprobs_top8_emoji": {
        "messages": [{"role": "user", "content": "Reply with a happy emoji."}],
        "logprobs": True,
        "top_logprobs": 8,
        "max_completion_tokens": 6,
        "temperature": 0,
    },
    "logprobs_top8_cafe": {
        "messages": [{"role": "user", "content": "Repeat exactly: café naïve"}],
        "logprobs": True,
        "top_logprobs": 8,
        "max_completion_tokens": 12,
        "temperature": 0,
    },
    "logprobs_n2": {
        "messages": [{"role": "user", "content": "Name a colour."}],
        "logprobs": True,
        "top_logprobs": 5,
        "max_completion_tokens": 12,
        "temperature": 1.0,
        "seed": 7,
        "n": 2,
    },
    **{
        f"logprobs_sea_seed{seed}": {
            "messages": [{"role": "user", "content": "Describe the sea in one short sentence."}],
            "logprobs": True,
            "top_logprobs": 5,
            "max_completion_tokens": 16,
            "temperature": 0.8,
            "seed": seed,
        }
        for seed in (2, 3, 4)  # one prompt under three seeds: "The" then " golden" / " ocean" / " sea"
    },
    "logprobs_no_top": {
        "messages": [{"role": "user", "content": "Say hello."}],
        "logprobs": True,
        "max_completion_tokens": 8,
        "temperature": 0,
    },
}


def main() -> None:
    gw = start_gateway()
    try:
        with httpx.Client(base_url=gw.base_url, timeout=300) as client:
            for name, body in REQUESTS.items():
                if sys.argv[1:] and name not in sys.argv[1:]:
                    continue
                r = client.post("/chat/completions", json={"model": gw.model_id, **body})
                r.raise_for_status()
                (HERE / f"{name}.json").write_text(json.dumps(r.json(), indent=1, ensure_ascii=False) + "\n")
                print(name, repr([c["message"]["content"] for c in r.json()["choices"]]))
    finally:
        gw.close()


if __name__ == "__main__":
    main()
