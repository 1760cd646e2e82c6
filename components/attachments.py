"""Images in a message: thumbnails in the bubble, and while editing a user message, attaching (files, an address),
a detail choice per image, reordering and removing. Nothing here does HTTP: an address is shown as its text and
never loaded (the model server fetches it); an attached file is shown by `st.image`, served by this page's own server.

Files and addresses are checked by `playground.images`; what is refused is said under the inputs, naming the file
and why, and nothing already attached is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import streamlit as st

from components import errors as error_view
from components import state as keys
from components.text import inline_code, plain
from playground import fields, images
from playground.notebook import AttachedImage, ChatMessage

FILE_TYPES = ["png", "jpg", "jpeg"]
MAX_UPLOAD_MB = fields.IMAGE_MAX_BYTES // (1024 * 1024)  # what the uploaders say and take
THUMBNAIL_PX = 160
BOX_PX = 260  # a thumbnail's column, room for its caption


def from_files(files: Iterable[object]) -> tuple[list[AttachedImage], list[str]]:
    """Uploaded files (Streamlit's UploadedFile: `name`, `getvalue()`) as images, and why any was refused."""
    taken: list[AttachedImage] = []
    problems: list[str] = []
    for f in files:
        name = str(getattr(f, "name", "") or "This file")
        try:
            taken.append(AttachedImage(url=images.data_url(f.getvalue(), name), name=name))  # type: ignore[attr-defined]
        except ValueError as exc:
            problems.append(str(exc))
    return taken, problems


def forget(indexes: Iterable[int]) -> None:
    """Drop the image widgets of these messages (they re-seed from the conversation), and what was refused there."""
    ss = st.session_state
    prefixes = tuple(keys.message_image(i, "") for i in indexes)
    if not prefixes:
        return
    for k in [k for k in ss if isinstance(k, str) and k.startswith(prefixes)]:
        del ss[k]
    wanted = set(indexes)
    for family in (keys.IMAGE_PROBLEMS, keys.IMAGE_UPLOADS):
        if family in ss:
            ss[family] = {i: v for i, v in ss[family].items() if i not in wanted}


def _message(i: int) -> ChatMessage | None:
    conv = st.session_state[keys.NOTEBOOK].conversation
    return conv[i] if 0 <= i < len(conv) else None


def _set_problems(i: int, problems: list[str]) -> None:
    st.session_state.setdefault(keys.IMAGE_PROBLEMS, {})[i] = problems


def _take_files(i: int, key: str, commit: Callable[[], None]) -> None:
    commit()
    m = _message(i)
    seen: set[str] = st.session_state.setdefault(keys.IMAGE_TAKEN, set())
    files = [f for f in st.session_state.get(key) or [] if f.file_id not in seen]
    if m is None or not files:
        return
    seen.update(f.file_id for f in files)
    taken, problems = from_files(files)
    m.images.extend(taken)
    _set_problems(i, problems)
    uploads = st.session_state.setdefault(keys.IMAGE_UPLOADS, {})
    uploads[i] = uploads.get(i, 0) + 1  # a fresh, empty uploader: the files now live in the message


def _take_url(i: int, commit: Callable[[], None]) -> None:
    commit()
    m = _message(i)
    key = keys.message_image(i, "url")
    typed = str(st.session_state.get(key) or "").strip()
    if m is None or not typed:
        return
    try:
        url = images.check_url_or_variable(typed)
    except ValueError as exc:
        _set_problems(i, [str(exc)])  # what was typed stays in the box, to correct
        return
    m.images.append(AttachedImage(url=url, name=url))
    _set_problems(i, [])
    st.session_state[key] = ""


def _act(i: int, j: int, by: int, commit: Callable[[], None]) -> None:
    """Move image j of message i by `by` places, or remove it (by == 0)."""
    commit()
    m = _message(i)
    if m is None or not 0 <= j < len(m.images):
        return
    if by == 0:
        m.images.pop(j)
    elif 0 <= j + by < len(m.images):
        m.images[j], m.images[j + by] = m.images[j + by], m.images[j]
    forget([i])


def _picture(image: AttachedImage, j: int) -> None:
    """One image: an attached file as a thumbnail; an address as its text (never loaded here)."""
    if (name := images.variable_of(image.url)) is not None:
        variable = plain("{{" + name + "}}")
        st.caption(
            f"Image {j + 1}: the variable {variable} (each test case on the Evaluate page gives its own) · detail {image.detail}"
        )
    elif images.is_data_url(image.url):
        _, data = images.decode_data_url(image.url)
        st.image(data, width=THUMBNAIL_PX)
        st.caption(
            f"Image {j + 1}: {plain(image.name or 'attached file')} · {images.megabytes(len(data))} · detail {image.detail}"
        )
    else:
        st.caption(f"Image {j + 1}, by address (the model server fetches it; not loaded here) · detail {image.detail}")
        st.markdown(inline_code(image.url))


def show(m: ChatMessage) -> None:
    """A message's images as read: thumbnails side by side, addresses as text."""
    if not m.images:
        return
    with st.container(horizontal=True, gap="small"):
        for j, image in enumerate(m.images):
            with st.container(width=BOX_PX if images.is_data_url(image.url) else "stretch"):
                _picture(image, j)


def refused(m: ChatMessage) -> None:
    """Under a message with images, before Run: the chosen model cannot see them (`keys.IMAGES_REFUSED`)."""
    why = st.session_state.get(keys.IMAGES_REFUSED)
    if m.images and why:
        st.warning(plain(why), icon=":material/hide_image:")


def editor(i: int, m: ChatMessage, commit: Callable[[], None]) -> None:
    """Message i's images while editing: each with its detail, moved or removed; and, on a user message, inputs to
    attach more (files, or an address)."""
    ss = st.session_state
    n = len(m.images)
    for j, image in enumerate(m.images):
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            with st.container(width=BOX_PX if images.is_data_url(image.url) else "stretch"):
                _picture(image, j)
            detail_key = keys.message_image(i, f"{j}.detail")
            ss.setdefault(detail_key, image.detail)
            image.detail = st.selectbox(
                f"{fields.IMAGE_KEYS['detail'].label} of image {j + 1}",
                fields.IMAGE_DETAILS,
                key=detail_key,
                help=fields.IMAGE_KEYS["detail"].help,
                width=130,
            )
            for action, icon, tip, by, disabled in (
                ("up", ":material/arrow_back:", "Move earlier", -1, j == 0),
                ("down", ":material/arrow_forward:", "Move later", 1, j == n - 1),
                ("remove", ":material/close:", "Remove this image", 0, False),
            ):
                st.button(
                    "",
                    key=keys.message_image(i, f"{j}.{action}"),
                    icon=icon,
                    help=tip,
                    on_click=_act,
                    args=(i, j, by, commit),
                    disabled=disabled,
                    type="tertiary",
                )
    if m.role != "user":
        if m.images:
            st.caption("Images go in user messages: remove these, or make this a user message.")
        return
    upload_key = keys.message_image(i, f"upload.{ss.get(keys.IMAGE_UPLOADS, {}).get(i, 0)}")
    st.file_uploader(
        f"{fields.IMAGE_KEYS['file'].label} to message {i + 1}",
        type=FILE_TYPES,
        accept_multiple_files=True,
        key=upload_key,
        help=fields.IMAGE_KEYS["file"].help,
        max_upload_size=MAX_UPLOAD_MB,
        on_change=_take_files,
        args=(i, upload_key, commit),
    )
    with st.container(horizontal=True, gap="small", vertical_alignment="bottom"):
        st.text_input(
            fields.IMAGE_KEYS["url"].label,
            key=keys.message_image(i, "url"),
            help=fields.IMAGE_KEYS["url"].help,
            placeholder="https://…",
        )
        st.button("Add image address", key=keys.message_image(i, "add_url"), on_click=_take_url, args=(i, commit))
    error_view.problem_slot(st, [plain(problem) for problem in ss.get(keys.IMAGE_PROBLEMS, {}).get(i, [])])
