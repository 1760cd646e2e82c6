"""Images in messages: the content-part models, the checks on files and addresses, and the conversation's shapes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from playground import fields, images
from playground.errors import RequestError
from playground.notebook import AttachedImage, ChatMessage, conversation_from_json, conversation_to_json
from playground.request import ImagePart, build_request, validate_body

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
