"""Re-record `evaluation_weather.json`: a real evaluation on the embedded gateway, as the Evaluate page keeps it.

Three cities × two seeds with the weather tool offered (tool choice auto, so some answers call it and some answer in
words), a "contains the city" check and a "calls get_weather" check, and two marks (a 👍, and a 👎 with a note).
The share and report tests read the file, not the model. Run: `uv run python tests/data/record_evaluation.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from playground.client import ChatClient, ClientConfig  # noqa: E402
from playground.evaluate.run import run_evaluation  # noqa: E402
from playground.local import start_gateway  # noqa: E402
from tests.evaluations import weather_plan  # noqa: E402


def main() -> None:
    gateway = start_gateway()
    try:
        model = httpx.get(f"{gateway.base_url}/models", timeout=30).json()["data"][0]["id"]
        plan = weather_plan(model)  # tool choice auto: some answers call the tool, some answer in words
        with ChatClient(ClientConfig(base_url=gateway.base_url, kind="embedded", timeout=600.0)) as client:
            ev = run_evaluation(plan, lambda _v: client, concurrency=4)
        ev = ev.mark(0, up=True).mark(3, up=False, note="Answered in words, no call")
        (HERE / "evaluation_weather.json").write_text(ev.model_dump_json(indent=1) + "\n", encoding="utf-8")
        for i, r in enumerate(ev.results):
            print(i, r.status, [(o.passed, o.reason) for o in ev.outcomes(i)])
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
