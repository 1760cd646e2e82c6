"""What the compare modules share and nothing else uses. Private to the package: import it only inside
`playground/compare/`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def common_length(a: Sequence[Any], b: Sequence[Any]) -> int:
    """How many leading items (tokens, characters) `a` and `b` share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
