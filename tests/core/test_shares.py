"""playground.shares: a read-only link is a frozen snapshot under an unguessable id, holds no secret, lists, and once
revoked says so and keeps nothing of what it showed. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from playground import images
from playground.compare import Comparison, RunResult
from playground.errors import StoreError
from playground.notebook import AttachedImage, Cell, ChatMessage, Notebook
from playground.shares import Shares, valid_share_id
from tests.pg import Backend

SECRET = "xai-SHARE-SECRET-KEY-0123456789"


@pytest.fixture
def shares(backend: Backend) -> Shares:
    return backend.shares()


def a_notebook() -> Notebook:
    conversation = [ChatMessage(content="Name a planet.")]
    cell = Cell(
        backend="embedded",
        body={"model": "m", "messages": [m.to_request() for m in conversation]},
        conversation=conversation,
        settings={"api_key": SECRET, "temperature": 0.5},
        status="done",
    )
    comparison = Comparison(
        base_body={"model": "m", "messages": [{"role": "user", "content": "Pick a seed."}]},
        results=[RunResult(index=0, label="seed 1", body={}, status="done", text="Mars")],
    )
    return Notebook(
        title="Planets",
        named=True,
        conversation=[*conversation, ChatMessage(role="assistant", content="Mars.")],
        settings={"api_key": SECRET},
        cells=[cell],
        comparisons=[comparison.model_dump(mode="json")],
    )


def test_a_notebook_link_is_a_frozen_snapshot_without_secrets(shares: Shares, backend: Backend) -> None:
    nb = a_notebook()
    share = shares.share_notebook(nb)
    assert valid_share_id(share.id) and share.kind == "notebook" and share.title == "Planets"
    nb.conversation[1].content = "Jupiter."  # later edits do not reach the link
    nb.cells.clear()
    got = shares.get(share.id)
    assert got is not None and got.notebook is not None and got.revoked is None
    assert [m.content for m in got.notebook.conversation] == ["Name a planet.", "Mars."]
    assert len(got.notebook.cells) == 1 and len(got.notebook.comparisons) == 1
    assert got.notebook.cells[0].settings == {"temperature": 0.5}
    assert not any(SECRET in str(row) for row in backend.raw("SELECT * FROM shares"))


def test_a_comparison_link_holds_that_comparison_and_the_question_it_asked(shares: Shares) -> None:
    nb = a_notebook()
    share = shares.share_comparison(nb, nb.comparisons[0]["id"])
    got = shares.get(share.id)
    assert got is not None and got.kind == "comparison" and got.notebook is not None
    assert [m.content for m in got.notebook.conversation] == ["Pick a seed."]
    assert got.notebook.cells == [] and [c["id"] for c in got.notebook.comparisons] == [nb.comparisons[0]["id"]]
    with pytest.raises(StoreError, match="not in this notebook"):
        shares.share_comparison(nb, "gone")


def test_ids_are_unguessable_and_odd_ids_are_never_looked_up(shares: Shares) -> None:
    ids = {shares.share_notebook(a_notebook()).id for _ in range(5)}
    assert len(ids) == 5 and all(len(i) == 22 for i in ids)
    for wanted in (None, "", "x" * 22, "../../etc/passwd", "a' OR 1=1 --", 5):
        assert shares.get(wanted) is None


def test_links_are_listed_newest_first_and_a_revoked_one_keeps_nothing_it_showed(shares: Shares, backend: Backend) -> None:
    first = shares.share_notebook(a_notebook())
    second = shares.share_notebook(a_notebook().model_copy(update={"title": "Moons"}))
    assert [(s.id, s.title, s.notebook) for s in shares.list()] == [(second.id, "Moons", None), (first.id, "Planets", None)]
    assert shares.revoke(first.id) and not shares.revoke(first.id)
    gone = shares.get(first.id)
    assert gone is not None and gone.revoked is not None and gone.notebook is None
    assert backend.raw("SELECT data FROM shares WHERE id = ?", first.id) == [("",)]
    assert [s.revoked is not None for s in shares.list()] == [False, True]


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 8), colour).save(out, format="PNG")
    return out.getvalue()


def test_a_snapshots_images_are_kept_once_by_hash_and_come_back_whole(shares: Shares, backend: Backend) -> None:
    photo = png("red")
    url = images.data_url(photo, "red.png")
    nb = a_notebook()
    nb.conversation[0].images = [AttachedImage(url=url, name="red.png"), AttachedImage(url="https://example.com/cat.png")]
    nb.cells[0].conversation = [nb.conversation[0]]  # the run asked with the image too
    first, second = shares.share_notebook(nb), shares.share_notebook(nb)

    payload = url.split(",", 1)[1]
    assert not any(payload in str(row) for row in backend.raw("SELECT data FROM shares"))  # referred to, not inline
    assert backend.raw("SELECT count(*) FROM images") == [(1,)]  # two links, two mentions each: one image
    for share in (first, second):
        got = shares.get(share.id)
        assert got is not None and got.notebook is not None
        shown = got.notebook.conversation[0].images
        assert [(i.url, i.name) for i in shown] == [(url, "red.png"), ("https://example.com/cat.png", "")]
        assert got.notebook.cells[0].conversation[0].images[0].url == url

    store = backend.store()
    store.save(nb)  # the notebook shows it too
    store.delete(nb.id)
    assert backend.raw("SELECT count(*) FROM images") == [(1,)]  # the links still show it
    shares.revoke(first.id)
    assert store.sweep_images() == 0 and backend.raw("SELECT count(*) FROM images") == [(1,)]  # the other link shows it
    shares.revoke(second.id)
    assert backend.raw("SELECT count(*) FROM images") == [(0,)]  # nothing shows it any more: swept
