"""Images in messages: what an attached file or a typed address must be before it is sent.

An image travels as a content part `{"type": "image_url", "image_url": {"url": …, "detail": …}}` (xAI's and
OpenAI's shape). Its `url` is either a data URL (`data:image/png;base64,…`, the bytes inside the request) or an
https address that the model server fetches; this page never loads one. A file must be PNG or JPEG (read from its
first bytes, not its name) and at most `fields.IMAGE_MAX_BYTES`. An address follows the base-URL rules of
`playground.addresses` and more, since another machine fetches it: https only, no user:password, and no host that is
local, private, link-local or a cloud's metadata service, as written. Errors are ValueErrors in plain words.
An image's `url` may also be a variable, `{{photo}}`: each test case of an evaluation (or the Variables form) gives
it a value, a data URL or an address, checked as above when it is put in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple

import httpx
from PIL import Image, UnidentifiedImageError

from playground import addresses, fields
from playground.errors import RequestError

__all__ = [
    "abbreviate",
    "content_hash",
    "data_url",
    "first_image_refused",
    "decode_data_url",
    "image_parts",
    "is_data_url",
    "kind_of",
    "label",
    "label_cache_info",
    "megabytes",
    "pack",
    "references",
    "unpack",
    "refuses_images",
    "check_url",
    "check_url_or_variable",
    "variable_of",
    "thumbnail",
]

_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
_DATA_URL = re.compile(r"data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/]+={0,2})")
_REF = re.compile(r"playground-image:sha256:([0-9a-f]{64})")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
LABELS_KEPT = 1024  # data URLs' labels remembered (`label`)
THUMBNAIL_PIXELS = 50_000_000  # an image larger than this (width × height) is not decoded for a thumbnail
LABEL_CHARS = 200  # a label (`label`) shows at most this much of a value that is not an image inside it


def megabytes(size: int) -> str:
    """A size as a person reads it: MB, KB, or bytes."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.0f} KB" if size >= 1024 else f"{size} bytes"


def _limit() -> str:
    return f"{fields.IMAGE_MAX_BYTES // (1024 * 1024)} MB"


def kind_of(data: bytes) -> str | None:
    """The MIME type of a PNG or JPEG image, read from its first bytes; None for anything else."""
    return next((mime for mime, magic in _MAGIC.items() if data.startswith(magic)), None)


def content_hash(data: bytes) -> str:
    """The store's key for an image: sha256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def data_url(data: bytes, name: str = "This file") -> str:
    """A PNG or JPEG file as a data URL, or ValueError naming the file and what is wrong (its type, its size)."""
    mime = kind_of(data)
    if mime is None:
        raise ValueError(f"{name} is not a PNG or JPEG image; only those two can be attached.")
    if len(data) > fields.IMAGE_MAX_BYTES:
        raise ValueError(f"{name} is {megabytes(len(data))}; an image can be at most {_limit()}.")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def is_data_url(url: str) -> bool:
    return url[:5].lower() == "data:"


def decode_data_url(url: str) -> tuple[str, bytes]:
    """A data URL's MIME type and bytes, checked as `data_url` checks a file; ValueError in plain words."""
    head, comma, payload = url.partition(",")
    mime, _, encoding = head[5:].partition(";")
    if not comma or encoding.lower() != "base64" or mime.lower() not in _MAGIC:
        raise ValueError("An image given as data must be data:image/png;base64,… or data:image/jpeg;base64,….")
    if len(payload) > (fields.IMAGE_MAX_BYTES + 2) // 3 * 4 + 4:
        raise ValueError(f"This image is about {megabytes(len(payload) * 3 // 4)}; an image can be at most {_limit()}.")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("This image's data is not valid base64.") from None
    data_url(data, "This image")  # its type (from its bytes) and size
    if kind_of(data) != mime.lower():
        raise ValueError(f"This image says it is {mime} but its bytes are {kind_of(data)}.")
    return mime.lower(), data


class LabelCacheInfo(NamedTuple):
    hits: int
    misses: int
    size: int


class _Labels:
    """Data URLs' labels, remembered by the value's length and Python's string hash (computed once per string object,
    SipHash with this process's random key), not by the value itself, so a table redrawn on every rerun decodes each
    image once without this cache holding megabytes of data: two different values sharing both is a 2**-64 chance,
    and a label is only shown. Bounded (least recently used go first); shared by threads."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._labels: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, url: str) -> str:
        key = (len(url), hash(url))
        with self._lock:
            found = self._labels.get(key)
            if found is not None:
                self._labels.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        made = _data_label(url)
        with self._lock:
            self._labels[key] = made
            while len(self._labels) > self._limit:
                self._labels.popitem(last=False)
        return made

    def info(self) -> LabelCacheInfo:
        with self._lock:
            return LabelCacheInfo(self.hits, self.misses, len(self._labels))


def _data_label(url: str) -> str:
    try:
        mime, data = decode_data_url(url)
    except ValueError:
        return f"data that is not an image to send ({megabytes(len(url))})"
    return f"{mime}, {megabytes(len(data))}, sha256 {content_hash(data)[:12]}…"


_LABELS = _Labels(LABELS_KEPT)


def label(url: str) -> str:
    """A short text for an image's `url` in a table cell: a data URL's type, size and the start of its sha256 (the
    store's key), decoded once per value (`label_cache_info`); an address, or anything else, as its text, cut at
    `LABEL_CHARS`."""
    if is_data_url(url):
        return _LABELS.get(url)
    return url if len(url) <= LABEL_CHARS else url[:LABEL_CHARS] + "…"


def label_cache_info() -> LabelCacheInfo:
    """How often `label` found a data URL's label remembered (hits) or decoded the image (misses), and how many it keeps."""
    return _LABELS.info()


def check_url(url: str) -> str:
    """An image's `url` fit to send: a PNG/JPEG data URL, or an https address the model server may fetch (stripped).

    ValueError in plain words otherwise. Nothing here connects anywhere."""
    text = url.strip()
    if is_data_url(text):
        decode_data_url(text)
        return text
    if not text.lower().startswith("https://"):
        raise ValueError("An image address must start with https:// (the model server fetches it).")
    if any(c.isspace() or not c.isprintable() or c == "\\" for c in text):
        raise ValueError("An image address cannot contain spaces, control characters or backslashes.")
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValueError(f"This image address cannot be read ({exc}).") from None
    if parsed.userinfo:
        raise ValueError("An image address cannot carry a user name or password (user:pass@).")
    host = parsed.host.rstrip(".").lower()
    if not host:
        raise ValueError("An image address needs a host name, e.g. https://example.com/cat.png.")
    try:
        addresses.check_host(host)
    except RequestError as exc:
        raise ValueError(f"This image address is refused: {exc.errors[0].message}") from None
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise ValueError(f"This image address names {host}, the model server's own machine: give a public address.")
    ip = addresses.ip_literal(host)
    if ip is None:
        return text
    if not ip.is_global:
        raise ValueError(f"This image address is {ip}, not a public address: the model server must not fetch it.")
    return text


def variable_of(url: str) -> str | None:
    """The variable's name when an image's `url` is a variable (`{{photo}}`), else None."""
    found = _VARIABLE.fullmatch(url.strip())
    return found.group(1) if found else None


def check_url_or_variable(url: str) -> str:
    """`check_url`, or a variable `{{photo}}` (as written, stripped) whose value is checked when it is put in."""
    return url.strip() if variable_of(url) is not None else check_url(url)


def image_parts(body: dict[str, Any]) -> list[tuple[int, int]]:
    """(message index, part index) of every image part in a request body, in order."""
    out = []
    for i, m in enumerate(body.get("messages") or []):
        content = m.get("content") if isinstance(m, dict) else None
        for j, part in enumerate(content if isinstance(content, list) else []):
            if isinstance(part, dict) and part.get("type") == "image_url":
                out.append((i, j))
    return out


def refuses_images(model: str) -> str:
    """What a text-only model's server answers to an image, and what the page says before Run."""
    return f"{model} reads text only: it cannot see images. Remove the image, or choose a model that takes images."


def first_image_refused(body: dict[str, Any], model: str) -> tuple[str, str] | None:
    """(param, message) for the first image part of `body`, which `model` cannot read; None without images."""
    found = image_parts(body)
    if not found:
        return None
    i, j = found[0]
    return f"messages.{i}.content.{j}", f"Message {i + 1}, part {j + 1} is an image: {refuses_images(model)}"


# ------------------------------------------------------------------------------------ kept once, by content hash


def pack(text: str) -> tuple[str, dict[str, bytes]]:
    """`text` (a notebook's or a run's JSON) with each PNG/JPEG data URL in it replaced by a reference to its content
    hash, and the images by hash: the store keeps each image once. Only a data URL that `unpack` gives back exactly
    is replaced (its bytes are the type it says, in canonical base64)."""
    found: dict[str, bytes] = {}

    def swap(m: re.Match[str]) -> str:
        mime, payload = m.group(1), m.group(2)
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            return m.group(0)
        if kind_of(data) != mime or base64.b64encode(data).decode("ascii") != payload:
            return m.group(0)
        digest = content_hash(data)
        found[digest] = data
        return f"playground-image:sha256:{digest}"

    return _DATA_URL.sub(swap, text), found


def references(text: str) -> set[str]:
    """The content hashes `pack` left in `text`."""
    return set(_REF.findall(text))


def unpack(text: str, kept: Mapping[str, bytes]) -> str:
    """`text` with each reference `pack` made replaced by its image's data URL again (a reference to an image that
    is not in `kept` stays as it is)."""

    def swap(m: re.Match[str]) -> str:
        data = kept.get(m.group(1))
        if data is None:
            return m.group(0)
        return f"data:{kind_of(data)};base64,{base64.b64encode(data).decode('ascii')}"

    return _REF.sub(swap, text)


# ------------------------------------------------------------------------------------ shown elsewhere


def thumbnail(data: bytes, max_px: int) -> bytes:
    """A PNG or JPEG image made to fit `max_px` × `max_px` (kept as it is when it fits), in its own format; ValueError in
    plain words for a file that is not one or is too large to decode."""
    mime = kind_of(data)
    if mime is None:
        raise ValueError("This file is not a PNG or JPEG image.")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > THUMBNAIL_PIXELS:
                raise ValueError(f"This image is {im.width} × {im.height} pixels, too large to make a thumbnail of.")
            if im.width <= max_px and im.height <= max_px:
                return data
            im.draft("RGB", (max_px, max_px))  # a JPEG decodes at a fraction of its size
            im.thumbnail((max_px, max_px))
            out = io.BytesIO()
            if mime == "image/jpeg":
                im.convert("RGB").save(out, format="JPEG", quality=80)
            else:
                im.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValueError(f"This image cannot be read ({exc}).") from None


def abbreviate(text: str) -> str:
    """`text` with each PNG/JPEG data URL's data cut out, saying how large it was: for reading, not for sending."""
    return _DATA_URL.sub(lambda m: f"data:{m.group(1)};base64,…({megabytes(len(m.group(2)) * 3 // 4)} of image data)…", text)
