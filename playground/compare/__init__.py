"""One request under many seeds or settings, run side by side: how much does the answer vary, and where?

Three steps, each usable alone (the Compare page only draws them):
- `setup`: `parse_seeds` / `parse_values` read what a person typed, with bounds from `playground.fields`;
  `variants` turns the current body into one `Variant` per seed, swept value or setting set, each `repeat` times;
- `run`: `run_comparison` streams every variant through `runner.stream` on a bounded thread pool, with progress,
  per-run errors and cancellation; `start_comparison` does it on a background thread for a page that polls;
- `read`: `divergence`, `first_difference`, `group_identical`, `similarity`, `reproducibility`, gathered by
  `analyse`; `to_csv` exports the table; `describe` and `set_words` say what varies, in words.
- `explain`: from logprobs, where runs forked, the odds each run gave the tokens taken there, coin tosses, and
  the comparison's stability (part of `analyse`).
- `inputs` (imported on its own): what the Compare page's inputs hold as typed, turned into the base request
  every run starts from and the variants, with each mistake on the path of its input.

Nothing here imports Streamlit.
"""

from __future__ import annotations

from playground.compare.explain import COIN_TOSS, Fork, Stability, explain
from playground.compare.read import (
    Analysis,
    Difference,
    Divergence,
    Group,
    Point,
    ReproCheck,
    TokensBy,
    analyse,
    describe,
    divergence,
    first_difference,
    group_identical,
    group_summary,
    reproducibility,
    reproducibility_summary,
    set_words,
    similarity,
    similarity_matrix,
    to_csv,
    tokenize_words,
    tokens_of,
)
from playground.compare.run import (
    Comparison,
    ComparisonJob,
    RunResult,
    RunStatus,
    of_cells,
    run_comparison,
    start_comparison,
)
from playground.compare.setup import (
    MAX_RUNS,
    MAX_SETS,
    MIN_SETS,
    SEED_NOTE,
    SWEEP_FIELDS,
    CompareSetupError,
    Mode,
    SettingsSet,
    Sweep,
    Variant,
    mode_of,
    parse_seeds,
    parse_values,
    variants,
)

__all__ = [
    "COIN_TOSS",
    "Fork",
    "Stability",
    "explain",
    "MAX_RUNS",
    "MAX_SETS",
    "MIN_SETS",
    "SEED_NOTE",
    "SWEEP_FIELDS",
    "Analysis",
    "Comparison",
    "ComparisonJob",
    "CompareSetupError",
    "Difference",
    "Divergence",
    "Group",
    "Mode",
    "Point",
    "ReproCheck",
    "RunResult",
    "RunStatus",
    "SettingsSet",
    "Sweep",
    "TokensBy",
    "Variant",
    "analyse",
    "describe",
    "divergence",
    "first_difference",
    "group_identical",
    "group_summary",
    "mode_of",
    "of_cells",
    "parse_seeds",
    "parse_values",
    "reproducibility",
    "reproducibility_summary",
    "run_comparison",
    "similarity",
    "set_words",
    "similarity_matrix",
    "start_comparison",
    "tokens_of",
    "tokenize_words",
    "to_csv",
    "variants",
]
