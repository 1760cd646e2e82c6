"""How the gateway and its engine run: one pydantic model of every knob, with its bounds."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from playground import fields


class GatewaySettings(BaseModel):
    """How the gateway and its engine run. Defaults suit a 2-core laptop."""

    model_config = ConfigDict(extra="forbid")

    gguf: Path | None = None  # None: engine.find_gguf()
    model_id: str | None = None  # None: derived from the file name
    n_parallel: int = Field(4, ge=1, le=64)  # llama.cpp slots = concurrent generations
    n_ctx: int = Field(8192, ge=256)  # total context, split evenly over the slots
    threads: int | None = Field(None, ge=1)
    max_n: int = Field(fields.MAX_N, ge=1, le=fields.MAX_N)
    deferred_ttl_s: float = Field(24 * 3600, gt=0)
    deferred_max: int = Field(1024, ge=1)
    deferred_max_bytes: int = Field(128_000_000, ge=1)  # finished, unfetched results (as JSON)
    max_body_bytes: int = Field(2_000_000, ge=1024)
    upstream_timeout_s: float = Field(600, gt=0)
    # Reuse the longest prefix a slot already holds instead of recomputing the prompt: exact with the engine's
    # batch-invariant K cache (engine.py), so seeded answers stay the same; off only to measure it.
    prompt_cache: bool = True
    max_json_depth: int = Field(48, ge=8, le=400)  # nesting of objects and arrays in a body
    body_timeout_s: float = Field(30, gt=0)  # the whole body must arrive within this
    prepare_timeout_s: float = Field(10, gt=0)  # parsing, checking and translating one body, off the event loop
    # What one schema may cost the grammar engine (see SchemaCost)
    max_schema_alternatives: int = Field(256, ge=1)
    max_schema_repeat: int = Field(2048, ge=1)
    max_schema_depth: int = Field(32, ge=4, le=400)
    max_schema_bytes: int = Field(32_000, ge=256)
    grammar_lane_alternatives: int = Field(32, ge=0)  # above: one such choice generates at a time
    max_tokenize_chars: int = Field(100_000, ge=1)
    trim_idle_s: float = Field(1.0, ge=0)  # idle this long: free heap goes back to the OS (0: never)
    # Call llama.cpp in-process (its handler, a callback per chunk) instead of relaying its HTTP server's SSE
    # over a loopback socket; the relay stays as a fallback (`--http-relay`).
    in_process: bool = True


ENV_THREADS = "PLAYGROUND_MODEL_THREADS"  # the page's embedded model: threads (default every core; 1 on a busy machine)


def page_settings(environ: Mapping[str, str] = os.environ) -> GatewaySettings:
    """The settings of the gateway beside the page: the defaults, with the model's threads from PLAYGROUND_MODEL_THREADS
    (the operator's one knob for a machine shared with other work)."""
    raw = environ.get(ENV_THREADS, "").strip()
    if not raw:
        return GatewaySettings()
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{ENV_THREADS} must be a whole number of threads, 1 or more; it is {raw!r}.")
    return GatewaySettings(threads=int(raw))
