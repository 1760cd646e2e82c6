"""Images in messages: the content-part models, the checks on files and addresses, and the conversation's shapes."""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from playground import backends, codegen, examples, fields, images, runner, store_schema
from playground import database as database_module
from playground import store as store_module
from playground.compare import inputs
from playground.database import Database
from playground.errors import RequestError
from playground.migrations import MIGRATIONS
from playground.notebook import (
    AttachedImage,
    Cell,
    ChatMessage,
    Notebook,
    NotebookFile,
    conversation_from_json,
    conversation_to_json,
)
from playground.request import ImagePart, build_request, validate_body
from tests.pg import Backend, postgres_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def body(content: Any, role: str = "user") -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": role, "content": content}]}


def problems(content: Any, role: str = "user") -> list[tuple[str, str, str]]:
    with pytest.raises(RequestError) as caught:
        validate_body(body(content, role))
    return [(e.field, e.code, e.message) for e in caught.value.errors]


def image(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def test_text_and_image_parts_are_sent_as_parts_in_order() -> None:
    parts = [{"type": "text", "text": "What is this?"}, image(PNG_URL, detail="low"), image("https://example.com/cat.jpg")]
    request = validate_body(body(parts))
    assert request.to_body()["messages"][0]["content"] == parts
    assert [p.image_url.detail for p in request.messages[0].images()] == ["low", None]
    assert all(isinstance(p, ImagePart) for p in request.messages[0].images())


def test_text_parts_alone_are_still_one_string() -> None:
    request = validate_body(body([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]))
    assert request.to_body()["messages"][0]["content"] == "a\nb"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://example.com/cat.png", "must start with https://"),
        ("https://169.254.169.254/latest/meta-data", "metadata service"),
        ("https://169.254.1.1/x.png", "link-local"),
        ("https://metadata.google.internal/x.png", "metadata"),
        ("https://10.1.2.3/x.png", "not a public address"),
        ("https://127.0.0.1/x.png", "not a public address"),
        ("https://[::1]/x.png", "not a public address"),
        ("https://localhost/x.png", "own machine"),
        ("https://user:pw@example.com/x.png", "user name or password"),
        ("data:image/gif;base64,R0lGOD", "data:image/png;base64"),
        ("data:image/png;base64,!!!", "not valid base64"),
        ("data:image/png;base64," + base64.b64encode(b"GIF89a" + b"0" * 10).decode(), "not a PNG or JPEG"),
        ("data:image/jpeg;base64," + base64.b64encode(PNG).decode(), "says it is image/jpeg"),
    ],
)
def test_a_bad_image_is_refused_in_plain_words_naming_the_part(url: str, words: str) -> None:
    [(field, code, message)] = problems([{"type": "text", "text": "hi"}, image(url)])
    assert field == "messages.0.content.1.image_url.url" and code == "invalid_image"
    assert message.startswith("Message 1 part 2: ") and words in message, message


def test_an_unknown_part_or_detail_is_named() -> None:
    [(field, code, message)] = problems([{"type": "input_audio", "input_audio": {}}])
    assert (field, code) == ("messages.0.content", "unsupported_content_part") and "input_audio" in message
    [(field, code, _)] = problems([image(PNG_URL, detail="huge")])
    assert (field, code) == ("messages.0.content.0.image_url.detail", "literal_error")


def test_images_belong_in_user_messages() -> None:
    [(field, code, message)] = problems([image(PNG_URL)], role="system")
    assert (field, code) == ("messages.0.content.0", "image_only_in_user") and "user messages" in message


def test_files_must_be_png_or_jpeg_within_the_cap_named_in_the_message() -> None:
    assert images.data_url(PNG) == PNG_URL
    assert images.data_url(JPEG).startswith("data:image/jpeg;base64,")
    with pytest.raises(ValueError, match=r"cat\.gif is not a PNG or JPEG image"):
        images.data_url(b"GIF89a....", "cat.gif")
    big = PNG + b"\x00" * fields.IMAGE_MAX_BYTES
    with pytest.raises(ValueError, match=r"big\.png is 10\.0 MB; an image can be at most 10 MB"):
        images.data_url(big, "big.png")
    too_big_url = "data:image/png;base64," + base64.b64encode(big).decode()
    with pytest.raises(ValueError, match="at most 10 MB"):
        images.check_url(too_big_url)


def test_a_conversation_with_images_goes_out_and_comes_back_in_the_api_shape() -> None:
    m = ChatMessage(
        role="user",
        content="Compare these",
        images=[AttachedImage(url=PNG_URL, detail="high", name="a.png"), AttachedImage(url="https://example.com/b.jpg")],
    )
    exported = json.loads(conversation_to_json([m]))
    assert exported == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare these"},
                image(PNG_URL, detail="high"),
                image("https://example.com/b.jpg", detail="auto"),
            ],
        }
    ]
    [back], notes = conversation_from_json(json.dumps(exported))
    assert notes == [] and back.content == "Compare these"
    assert [(i.url, i.detail) for i in back.images] == [(PNG_URL, "high"), ("https://example.com/b.jpg", "auto")]
    sent = build_request({"model": "m"}, [m.to_request()]).request.to_body()
    assert sent["messages"][0]["content"] == exported[0]["content"]


def test_an_imported_bad_image_names_the_message_and_part_and_imports_nothing() -> None:
    bad = [{"role": "user", "content": "hi"}, {"role": "user", "content": [image("https://192.168.0.1/x.png")]}]
    with pytest.raises(ValueError, match=r"Message 2 cannot be read: part 1: .*192\.168\.0\.1, not a public address"):
        conversation_from_json(json.dumps(bad))


def test_refusal_names_the_message_part_and_model() -> None:
    sent = body([{"type": "text", "text": "hi"}, image(PNG_URL)])
    param, message = images.first_image_refused(sent, "smollm2-135m-instruct") or ("", "")
    assert param == "messages.0.content.1"
    assert message.startswith("Message 1, part 2 is an image: smollm2-135m-instruct reads text only")
    assert images.first_image_refused(body("hi"), "m") is None


# ------------------------------------------------------------------------------------ the store


def a_notebook_with(url: str) -> Notebook:
    asked = [ChatMessage(role="user", content="What is it?", images=[AttachedImage(url=url, name="dot.png")])]
    cell = Cell(
        backend="xai", model="grok-4", body={"model": "grok-4", "messages": [m.to_request() for m in asked]}, conversation=asked
    )
    return Notebook(title="Pictures", conversation=asked, cells=[cell])


def test_the_store_keeps_each_image_once_by_content_hash_outside_the_notebook_json(backend: Backend) -> None:
    store = backend.store()
    saved = store.save(a_notebook_with(PNG_URL))
    other = store.save(a_notebook_with(PNG_URL))  # the same picture in a second notebook
    digest = images.content_hash(PNG)
    with store.database.connect() as conn:
        kept = conn.execute(select(store_schema.images.c.hash, store_schema.images.c.data)).all()
        rows = [
            *conn.execute(select(store_schema.notebooks.c.data)).scalars(),
            *conn.execute(select(store_schema.cells.c.data)).scalars(),
        ]
    assert [(h, bytes(d)) for h, d in kept] == [(digest, PNG)]
    assert len(rows) == 4 and all("data:image" not in r and f"playground-image:sha256:{digest}" in r for r in rows)
    for notebook in (saved, other):
        back = store.load(notebook.id)
        assert back is not None and back.conversation == notebook.conversation and back.cells[0].body == notebook.cells[0].body
        assert back.conversation[0].images[0].url == PNG_URL


def test_a_notebook_export_embeds_its_images_and_an_import_checks_them() -> None:
    exported = NotebookFile.dump(a_notebook_with(PNG_URL))
    assert PNG_URL in exported
    imported, _ = NotebookFile.load(exported, "pictures.json")
    assert imported.conversation[0].images[0].url == PNG_URL
    with pytest.raises(ValueError, match="damaged"):
        NotebookFile.load(exported.replace(PNG_URL, "https://169.254.169.254/x.png"), "bad.json")


def test_pack_leaves_what_it_cannot_give_back_exactly() -> None:
    text = json.dumps(
        {"a": PNG_URL, "b": "data:image/jpeg;base64," + base64.b64encode(PNG).decode(), "c": "data:image/png;base64,QQ=="}
    )
    packed, found = images.pack(text)
    assert list(found) == [images.content_hash(PNG)]
    assert packed.count("playground-image:sha256:") == 1 and "data:image/jpeg" in packed and "QQ==" in packed
    assert images.unpack(packed, found) == text
    assert images.unpack(packed, {}) == packed  # an image that is not kept stays a reference


def test_a_data_urls_label_is_decoded_once_however_often_the_table_redraws() -> None:
    """The Evaluate table labels each image row on every rerun: the same value (or an equal copy) is decoded once."""
    url = "data:image/png;base64," + base64.b64encode(PNG + b"drawn 50 times").decode()
    before = images.label_cache_info()
    first = images.label(url)
    assert first.startswith("image/png, 54 bytes, sha256 ")
    assert all(images.label(url) == first for _ in range(49))
    assert images.label(url[:30] + url[30:]) == first  # an equal string read back from the session
    assert images.label("data:image/png;base64,QQ==") == "data that is not an image to send (26 bytes)"
    after = images.label_cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (2, 50)


def test_compare_takes_a_conversation_with_images_as_it_is() -> None:
    asked = a_notebook_with(PNG_URL).conversation
    built = runner.prepare({}, asked, model="grok-4", caps=backends.backend("xai").capabilities, client=None)
    base = inputs.base_of(built, backend="xai", base_url=None, model="grok-4", settings={}, conv=asked)
    assert base.body["messages"][0]["content"][1] == {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "auto"}}
    assert base.conversation[0].images[0].url == PNG_URL


def kept_images(store: Any) -> set[bytes]:
    with store.database.connect() as conn:
        return {bytes(d) for d in conn.execute(select(store_schema.images.c.data)).scalars()}


def test_an_image_nothing_refers_to_any_more_is_deleted_and_one_still_referred_to_stays(backend: Backend) -> None:
    store = backend.store()
    other_png = PNG + b"\x01"
    other_url = "data:image/png;base64," + base64.b64encode(other_png).decode()
    both = a_notebook_with(PNG_URL)
    both.conversation[0].images.append(AttachedImage(url=other_url, name="b.png"))
    both = store.save(both)
    kept = store.save(a_notebook_with(PNG_URL))  # refers to the first picture only
    assert kept_images(store) == {PNG, other_png}

    both.conversation[0].images.pop()  # the message edited: its second picture removed (the run still shows it)
    both = store.save(both)
    assert kept_images(store) == {PNG, other_png}
    both.cells = []  # the run deleted too: nothing refers to the second picture now
    both = store.save(both)
    assert kept_images(store) == {PNG}

    removed = store.delete(both.id)  # the first picture is still in the other notebook
    assert kept_images(store) == {PNG}
    assert removed is not None
    store.delete(kept.id)
    assert kept_images(store) == set()
    store.restore(removed)  # Undo brings the pictures back with the notebook
    back = store.load(removed.id)
    assert kept_images(store) == {PNG} and back is not None and back.conversation[0].images[0].url == PNG_URL


def test_a_share_snapshot_referring_to_an_image_keeps_it_and_a_sweep_deletes_orphans(backend: Backend) -> None:
    store = backend.store()
    notebook = store.save(a_notebook_with(PNG_URL))
    reference = f"playground-image:sha256:{images.content_hash(PNG)}"
    with store.database.connect() as conn:
        conn.execute(
            store_schema.shares.insert().values(
                id="s1", kind="notebook", title="t", notebook_id=notebook.id, data=json.dumps({"url": reference}), created=0.0
            )
        )
        store_module.refer_to_images(conn, "share", "s1", {"": {images.content_hash(PNG)}})
        conn.execute(store_schema.images.insert().values(hash="0" * 64, data=JPEG))  # left behind by an older version
    store.delete(notebook.id)
    assert kept_images(store) == {PNG, JPEG}
    assert store.sweep_images() == 1
    assert kept_images(store) == {PNG}


def test_a_store_of_the_previous_version_keeps_every_referenced_image_and_sweeps_an_orphan(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database the version before the reference table left (images referred to from a notebook, a run and a link,
    and one image nothing refers to): the migration records every reference, the first use sweeps only the orphan, and
    afterwards a save that drops a run's image deletes it, as for any notebook."""
    pictures = {name: PNG + name.encode() for name in ("header", "cell", "share")}
    urls = {name: "data:image/png;base64," + base64.b64encode(data).decode() for name, data in pictures.items()}
    notebook = a_notebook_with(urls["header"])
    notebook.cells = a_notebook_with(urls["cell"]).cells  # its run asked about another picture
    old = [m for m in MIGRATIONS if m.__name__ <= "_m008_images"]
    with monkeypatch.context() as patched:  # migrated as far as that version went, then written as it wrote
        patched.setattr(database_module, "MIGRATIONS", old)
        with Database(backend.path, url=backend.url).connect() as conn:
            texts = (
                notebook.model_dump_json(exclude={"cells"}),
                notebook.cells[0].model_dump_json(),
                json.dumps({"url": urls["share"]}),
            )
            (header, _), (cell, _), (share, _) = packed = [images.pack(text) for text in texts]
            kept = {h: d for _, found in packed for h, d in found.items()} | {images.content_hash(JPEG): JPEG}  # JPEG: an orphan
            conn.execute(store_schema.images.insert(), [{"hash": h, "data": d} for h, d in kept.items()])
            conn.execute(
                store_schema.notebooks.insert().values(
                    id=notebook.id, title="Pictures", search="pictures", data=header, created=1.0, updated=1.0, version=1
                )
            )
            conn.execute(
                store_schema.cells.insert().values(
                    notebook_id=notebook.id, id=notebook.cells[0].id, position=0, digest="old", data=cell
                )
            )
            conn.execute(
                store_schema.shares.insert().values(
                    id="s1", kind="notebook", title="t", notebook_id="n1", data=share, created=0.0
                )
            )
    assert backend.raw("SELECT count(*) FROM images") == [(4,)]
    store = backend.store()
    assert store.list()[0].id == notebook.id  # the first use: migrated, then swept
    assert kept_images(store) == set(pictures.values())
    assert sorted(backend.raw("SELECT kind, hash FROM image_refs")) == sorted(
        (kind, images.content_hash(pictures[name]))
        for kind, name in (("notebook", "header"), ("cell", "cell"), ("share", "share"))
    )
    back = store.load(notebook.id)
    assert back is not None and back.cells[0].conversation[0].images[0].url == urls["cell"]
    back.cells = []  # the run deleted: nothing refers to its picture now
    store.save(back)
    assert kept_images(store) == {pictures["header"], pictures["share"]}


def test_a_save_and_a_sweep_learn_which_images_are_used_without_reading_any_rows_json(backend: Backend) -> None:
    """A save compares the references recorded beside the rows, and a sweep is an anti-join on them: neither reads a
    notebook's, run's or link's stored JSON (which grows with the notebook and the store)."""
    store = backend.store()
    other_url = "data:image/png;base64," + base64.b64encode(PNG + b"\x02").decode()
    notebook = store.save(a_notebook_with(PNG_URL))
    backend.shares().share_notebook(notebook)
    notebook.cells.append(a_notebook_with(other_url).cells[0])
    notebook = store.save(notebook)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        notebook.title = "Pictures, renamed"
        notebook.conversation[0].images = []  # the header drops its picture
        notebook.cells.pop()  # and a run with the other picture goes
        notebook = store.save(notebook)
        assert store.sweep_images() == 0  # the save swept the other picture; the link still shows the first
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert statements and kept_images(store) == {PNG}
    assert [s for s in statements if re.search(r"\b(notebooks|cells|shares)\.data\b", s)] == []


def test_the_seeds_image_example_is_a_request_with_an_image_part_and_its_code_carries_it() -> None:
    conv, notes = conversation_from_json(json.dumps(examples.CONVERSATIONS["A question about a picture (text and an image)"]))
    assert notes == [] and conv[0].images[0].url == examples.RED_SQUARE_PNG
    assert images.kind_of(images.decode_data_url(examples.RED_SQUARE_PNG)[1]) == "image/png"
    sent = build_request({"model": "grok-4"}, [m.to_request() for m in conv]).request.to_body()
    assert sent["messages"] == examples.IMAGE_MESSAGES
    assert images.first_image_refused(sent, "smollm2-135m-instruct") == (
        "messages.0.content.1",
        "Message 1, part 2 is an image: " + images.refuses_images("smollm2-135m-instruct"),
    )
    code = codegen.export(sent, base_url="https://api.x.ai/v1", backend="xai")
    for snippet in (code.curl, code.python_httpx, code.python_openai):
        assert '"image_url"' in snippet or "'image_url'" in snippet, snippet
        assert examples.RED_SQUARE_PNG in snippet


def test_a_sweep_waits_for_a_save_in_flight_that_refers_to_the_image() -> None:
    """PostgreSQL: a save that has kept an image but not yet committed holds the sweep back, so the image it refers
    to is not deleted under it (SQLite writes one transaction at a time: the delete waits for the write lock)."""
    store = Backend("postgresql", url=postgres_server().new_database()).store()
    first = store.save(a_notebook_with(PNG_URL))
    swept = threading.Thread(target=store.delete, args=(first.id,))
    with store.database.connect() as conn:  # another page saving the same picture, not committed yet
        text, found = store_module.keep_images(conn, json.dumps({"url": PNG_URL}))
        conn.execute(
            store_schema.shares.insert().values(id="s1", kind="notebook", title="t", notebook_id="n2", data=text, created=0.0)
        )
        store_module.refer_to_images(conn, "share", "s1", {"": found})
        swept.start()
        swept.join(timeout=1.5)
        assert swept.is_alive()  # the delete's sweep waits for this save to commit
    swept.join(timeout=30)
    assert not swept.is_alive() and store.load(first.id) is None
    assert kept_images(store) == {PNG}
