"""Finished comparison runs built from the recorded logprobs in tests/data (real answers of the embedded model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playground.compare import RunResult
from playground.response import from_chat_completion

DATA = Path(__file__).resolve().parents[1] / "data"
SEA_SEEDS = (2, 3, 4)  # "Describe the sea in one short sentence." under seeds 2, 3 and 4: "The" then three ways


def run_of(payload: dict[str, Any], index: int, label: str) -> RunResult:
    """A finished run whose answer is the payload's choice 0."""
    completion = from_chat_completion(payload)
    text = completion.choices[0].content[0].text or ""
    return RunResult(
        index=index, label=label, body={"seed": payload.get("seed")}, status="done", text=text, completion=completion
    )


def sea_runs() -> list[RunResult]:
    """The three recorded seeds of one prompt, as the Compare page's runs."""
    return [
        run_of(json.loads((DATA / f"logprobs_sea_seed{seed}.json").read_text()), i, f"seed {seed}")
        for i, seed in enumerate(SEA_SEEDS)
    ]


def n2_runs() -> list[RunResult]:
    """The two choices of the recorded n=2 answer ("Name a colour."), each as a run of its own."""
    payload = json.loads((DATA / "logprobs_n2.json").read_text())
    return [
        run_of({**payload, "choices": [{**choice, "index": 0}]}, i, f"choice {i + 1}")
        for i, choice in enumerate(payload["choices"])
    ]
