"""Errors shown next to what caused them.

A `RequestError` carries FieldErrors keyed by a field path ("temperature", "messages.2.role");
each widget calls `show_field` with its path right after drawing itself. An upstream error
(the server said no) is shown under the Run button with the offending parameter highlighted,
and echoed under that parameter's widget when the server named one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import streamlit as st

from components.text import inline_code, plain
from playground import errors, wording


def slot(where: Any = st) -> Any:
    """A place drawn on every run, taking no room while empty, for what comes and goes under a field (its problems,
    its notes): when something there comes or goes, what follows keeps its place in the page, so the browser keeps
    the text a person is typing into a box further down while the run their last Enter started lands."""
    return where.container()


def problem_slot(where: Any, escaped: Sequence[str], *, icon: str = ":material/warning:") -> None:
    """Messages (escaped by the caller) in a `slot` under a field."""
    box = slot(where)
    for shown in escaped:
        box.error(shown, icon=icon)


def normalise_param(param: str | None) -> str | None:
    """A server's param name as our field path: "body.messages[2].role" → "messages.2.role"."""
    if not param:
        return None
    path = re.sub(r"\[(\d+)\]", r".\1", str(param)).strip(".")
    for prefix in ("body.", "request."):
        if path.startswith(prefix):
            path = path[len(prefix) :]
    return path or None


def label_for(path: str) -> str:
    """A person's name for a field path, the same words the field's own message uses:
    "messages.2.content" → "Message 3 content", "tools.0.function.name" → "Tool 1 name"."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
    if parts and parts[0] in ("api_key", "base_url") and len(parts) == 1:
        return {"api_key": "API key", "base_url": "Base URL"}[str(parts[0])]
    if len(parts) == 2 and parts[0] == "variables":  # a {{variable}}'s box on the Playground
        return f"the value of {{{{{parts[1]}}}}}"
    return wording.subject(parts)


def matching(err: errors.RequestError | None, path: str, *, exact: bool = False) -> list[errors.FieldError]:
    """FieldErrors on `path` (and, unless `exact`, below it)."""
    if err is None:
        return []
    if exact:
        return [e for e in err.errors if e.field == path]
    return err.for_field(path)


def show_field(
    err: errors.RequestError | None, path: str, *, exact: bool = False, upstream: errors.PlaygroundError | None = None
) -> None:
    """Draw the errors belonging to the widget for `path`, right under it (in `problem_slot`s)."""
    messages = []
    for e in matching(err, path, exact=exact):
        sub = e.field[len(path) + 1 :] if e.field != path else ""
        messages.append(plain(e.message) + (f" ({plain(sub)})" if sub else ""))
    problem_slot(st, messages)
    rejected = []
    if isinstance(upstream, errors.UpstreamError):
        param = normalise_param(upstream.param)
        if param and (param == path or (not exact and param.startswith(path + "."))):
            rejected.append(f"The server rejected this field: {plain(upstream.server_message or str(upstream))}")
    problem_slot(st, rejected, icon=":material/block:")


def unplaced(err: errors.RequestError | None, placed: Iterable[str]) -> list[errors.FieldError]:
    """FieldErrors that no widget claimed (shown under the Run button instead)."""
    if err is None:
        return []
    placed = list(placed)
    return [e for e in err.errors if not any(e.field == p or e.field.startswith(p + ".") for p in placed)]


def blocked(
    action: str, err: errors.RequestError | None, *, where: str, words: Callable[[str], str] = label_for, verb: str = "fix"
) -> None:
    """Under a disabled button: "<action> is off until you <verb>: <fields> (<where>)"; nothing when `err` is None."""
    box = slot()
    if err is not None:
        names = ", ".join(dict.fromkeys(words(e.field) for e in err.errors))
        box.caption(f":material/block: {action} is off until you {verb}: {plain(names)}" + (f" ({where})." if where else "."))


def show_run_error(err: errors.PlaygroundError | None, *, placed: Iterable[str] = ()) -> None:
    """Under the Run button: what went wrong with the last run, in plain words."""
    if err is None:
        return
    if isinstance(err, errors.RequestError):
        marked = ", ".join(dict.fromkeys(f"**{plain(label_for(e.field))}**" for e in err.errors))
        st.error(f"Nothing was sent: fix {marked} (marked where it is set).", icon=":material/warning:")
        for e in unplaced(err, placed):
            st.error(f"**{plain(label_for(e.field))}**: {plain(e.message)}", icon=":material/warning:")
        return
    if isinstance(err, errors.UpstreamError):
        kind = {
            errors.AuthError: "The server refused the API key",
            errors.RateLimitError: "Rate limited",
            errors.BadRequestError: "The server rejected the request",
            errors.ServerError: "The server failed",
        }.get(type(err), "The server answered with an error")
        lines = [f"{kind} (HTTP {err.status})."]
        param = normalise_param(err.param)
        if param:
            lines.append(f"Field: **:red[{plain(label_for(param))}]** ({inline_code(param)})")
        lines.append(f"Server said: {plain(err.server_message or str(err))}")
        if err.advice:
            lines.append(plain(err.advice))
        st.error("  \n".join(lines), icon=":material/block:")
        return
    if isinstance(err, errors.TransportError):
        st.error(f"Could not reach the server: {plain(str(err))}", icon=":material/cloud_off:")
        return
    if isinstance(err, errors.StreamCutError):
        st.error(f"The answer broke off before it finished: {plain(str(err))}", icon=":material/content_cut:")
        return
    if isinstance(err, errors.StreamDecodeError):
        st.error(f"The server's answer could not be read: {plain(str(err))}", icon=":material/warning:")
        return
    st.error(f"{type(err).__name__}: {plain(str(err))}", icon=":material/warning:")
