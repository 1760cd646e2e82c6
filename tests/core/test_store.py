"""The draft store: what the page saved comes back whole, secrets never reach the file, failures are StoreError."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import store as store_module
from playground.errors import StoreError
from playground.response import from_chat_completion
from playground.store import MAX_RUNS, Draft, DraftStore, make_draft, new_draft_id, restore_runs, valid_draft_id

SECRET = "xai-THIS-IS-A-SECRET-KEY-1234567890"


def completion_json() -> dict:
    return {"id": "abc", "object": "chat.completion", "created": 1700000000, "model": "smollm2",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Red, green, blue."},
                         "finish_reason": "stop",
                         "logprobs": {"content": [{"token": "Red", "logprob": -0.1, "top_logprobs": []}]}}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}}


def a_run(**extra: object) -> dict:
    run = {"id": "r1", "started": 1700000000.5, "backend": "embedded", "base_url": "http://127.0.0.1:8000/v1",
           "body": {"model": "smollm2", "messages": [{"role": "user", "content": "Colours?"}], "temperature": 0.3},
           "notes": [], "status": "done", "completion": from_chat_completion(completion_json()),
           "partial": {0: "Red, green, blue."}, "error": None, "request_id": None, "latency_s": 0.42,
           "added": False}
    run.update(extra)
    return run


def all_bytes(folder: Path) -> bytes:
    """Every file of the store (database, WAL, shared memory)."""
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


def test_round_trip_keeps_messages_settings_and_the_completion(tmp_path: Path) -> None:
    db = DraftStore(tmp_path / "drafts.sqlite3")
    run = a_run()
    messages = [{"role": "user", "content": "Colours?", "name": "", "tool_call_id": ""}]
    settings = {"backend": "embedded", "temperature": 0.3, "max_completion_tokens": 16, "model.embedded": "smollm2"}
    draft_id = new_draft_id()
    db.save(draft_id, make_draft(messages, settings, [run]))

    loaded = DraftStore(tmp_path / "drafts.sqlite3").load(draft_id)
    assert loaded is not None
    assert loaded.messages == messages and loaded.settings == settings
    (back,) = restore_runs(loaded)
    assert back["completion"] == run["completion"] and back["completion"].text(0) == "Red, green, blue."
    assert back["partial"] == {0: "Red, green, blue."}
    assert {k: v for k, v in back.items() if k != "completion"} == {k: v for k, v in run.items() if k != "completion"}
    assert isinstance(settings["temperature"], float) and isinstance(loaded.settings["max_completion_tokens"], int)


def test_saving_again_replaces_the_draft(tmp_path: Path) -> None:
    db = DraftStore(tmp_path / "d.sqlite3")
    db.save("0" * 16, Draft(messages=[{"role": "user", "content": "one"}]))
    db.save("0" * 16, Draft(messages=[{"role": "user", "content": "two"}]))
    loaded = db.load("0" * 16)
    assert loaded is not None and loaded.messages == [{"role": "user", "content": "two"}]


def test_unknown_draft_is_none(tmp_path: Path) -> None:
    assert DraftStore(tmp_path / "d.sqlite3").load(new_draft_id()) is None


def test_runs_are_bounded_newest_kept(tmp_path: Path) -> None:
    db = DraftStore(tmp_path / "d.sqlite3")
    runs = [a_run(id=f"r{i}", completion=None) for i in range(MAX_RUNS + 10)]
    db.save("a" * 16, make_draft([], {}, runs))
    loaded = db.load("a" * 16)
    assert loaded is not None
    assert [r["id"] for r in loaded.runs] == [f"r{i}" for i in range(MAX_RUNS)]


def test_oldest_drafts_are_forgotten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "MAX_DRAFTS", 2)
    db = DraftStore(tmp_path / "d.sqlite3")
    ids = [new_draft_id() for _ in range(3)]
    for i in ids:
        db.save(i, Draft())
    assert db.load(ids[0]) is None and db.load(ids[2]) is not None


def test_the_api_key_and_credentials_in_urls_are_never_stored(tmp_path: Path) -> None:
    db = DraftStore(tmp_path / "d.sqlite3")
    settings = {"backend": "openai", "api_key": SECRET, "base_url": f"https://user:{SECRET}@example.com/v1"}
    run = a_run(base_url=f"https://example.com/v1?key={SECRET}", api_key=SECRET)
    db.save("b" * 16, make_draft([], settings, [run]))
    db.save("c" * 16, Draft(settings={"api_key": SECRET}))  # even a Draft built by hand
    assert SECRET.encode() not in all_bytes(tmp_path)
    loaded = db.load("b" * 16)
    assert loaded is not None and "api_key" not in loaded.settings and loaded.settings["base_url"] == ""
    assert loaded.runs[0]["base_url"] is None


def test_an_unwritable_path_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    db = DraftStore(blocker / "d.sqlite3")
    with pytest.raises(StoreError, match="Cannot open the draft store"):
        db.save(new_draft_id(), Draft())
    with pytest.raises(StoreError):
        db.load(new_draft_id())


def test_a_corrupt_draft_is_a_store_error(tmp_path: Path) -> None:
    db = DraftStore(tmp_path / "d.sqlite3")
    db.save("d" * 16, Draft(runs=[{"id": "r", "completion": {"not": "a completion"}}]))
    loaded = db.load("d" * 16)
    assert loaded is not None
    with pytest.raises(StoreError, match="could not be read back"):
        restore_runs(loaded)


def test_default_path_follows_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    assert DraftStore().path == tmp_path / "playground.sqlite3"


@pytest.mark.parametrize("value", ["", "short", "g" * 16, "A" * 16, None, "../../etc/passwd"])
def test_only_generated_ids_are_accepted(value: object) -> None:
    assert not valid_draft_id(value)
    assert valid_draft_id(new_draft_id())


def test_public_names() -> None:
    assert set(store_module.__all__) == {"MAX_DRAFTS", "MAX_RUNS", "Draft", "DraftStore", "default_path",
                                         "make_draft", "new_draft_id", "restore_runs", "valid_draft_id"}
    assert all(hasattr(store_module, name) for name in store_module.__all__)
