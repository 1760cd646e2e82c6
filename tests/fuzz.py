"""How the property tests draw their examples, set by two environment variables.

- `make test` draws the same examples every run (derandomized, no example database), so it is a gate that passes or
  fails the same way twice, and the generated-input tests draw a fifth of their deliberate counts (`examples`).
- PLAYGROUND_FUZZ_DEEP=1 draws the full counts, for deliberate fuzzing.
- PLAYGROUND_FUZZ_NEW=1 draws new examples each run, to look for more bugs (each one found gets its own test).
"""

from __future__ import annotations

import os

from hypothesis import settings

__all__ = ["DEEP", "examples"]

DEEP = os.environ.get("PLAYGROUND_FUZZ_DEEP", "") not in ("", "0")
QUICK_SHARE = 5  # `make test` draws 1 in QUICK_SHARE of a deliberate count

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("PLAYGROUND_FUZZ_NEW") else "repeatable")


def examples(deliberate: int) -> int:
    """How many examples to draw for a test whose deliberate-fuzzing count is `deliberate`."""
    return deliberate if DEEP else max(1, deliberate // QUICK_SHARE)
