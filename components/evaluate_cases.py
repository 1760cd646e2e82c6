"""The Evaluate page's table of test cases: one column per `{{variable}}` plus an optional `expected` column.

Rows are added, edited and deleted in place (`st.data_editor`), duplicated, imported from CSV/JSONL, pasted from a
spreadsheet and exported. The table is kept in the open notebook (`Notebook.evaluation["cases"]`), so it is saved
with it. The editor applies its edits to the table it was drawn from (EV_TABLE_BASE): a change made by a button
(import, paste, duplicate, a new column, a row's image) replaces that table and starts the editor afresh.

A column of an image variable (`{{photo}}` as an image's address in a message) holds each row's image: a PNG/JPEG
uploaded under the table (kept as a data URL, so the store keeps it once by content hash) or an https address the
model server fetches; the page shows a file as a thumbnail and an address as text, never loading it. In the table
an image column is read-only and shows a short label (`images.label`), not megabytes of data; the row keeps the image.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from components import errors as error_view
from components import state as keys
from components.attachments import FILE_TYPES, MAX_UPLOAD_MB, THUMBNAIL_PX
from components.text import inline_code, plain
from playground import images, untrusted
from playground.evaluate import CaseProblem, CasesError, TestCases, image_variables
from playground.fields import EVAL_EXPECTED
from playground.notebook import Notebook

ss = st.session_state
SHOWN_PROBLEMS = 8  # the table's problems listed under it; the rest are counted
NO_ROWS = "No test cases yet: add a row to the table, paste rows from a spreadsheet, or import a file."
IMAGE_COLUMN_HELP = "An image, named here by its type, size and hash (or its address): set it below the table"


def cases_of(nb: Notebook) -> TestCases:
    """The notebook's test cases (an empty table when it has none, or when what it holds cannot be read)."""
    try:
        return TestCases.model_validate(nb.evaluation.get("cases") or {})
    except ValidationError:
        ss[keys.EV_NOTICE] = ("warning", "This notebook's test cases could not be read; the table starts empty.")
        return TestCases()


def _keep(nb: Notebook, cases: TestCases, *, fresh: bool) -> None:
    """Keep `cases` in the notebook; `fresh`: a button changed them, so the editor starts from them again."""
    nb.evaluation["cases"] = cases.model_dump()
    if fresh:
        ss.pop(keys.EV_TABLE, None)
        ss.pop(keys.EV_TABLE_BASE, None)


def _blank(row: dict[str, str]) -> bool:
    return not any(v.strip() for v in row.values())


def _add(nb: Notebook, more: TestCases, what: str) -> None:
    """Add `more`'s rows after the table's (rows left wholly empty are dropped) and say so."""
    cases = cases_of(nb)
    cases = TestCases(columns=cases.columns, rows=[r for r in cases.rows if not _blank(r)]).add_rows(more)
    _keep(nb, cases, fresh=True)
    ss[keys.EV_NOTICE] = ("success", f"Added {len(more.rows)} row{'s' if len(more.rows) != 1 else ''} {what}.")


def _pasted(nb: Notebook, columns: list[str]) -> None:
    text = ss.get(keys.EV_PASTE) or ""
    try:
        more = TestCases.from_pasted(text, columns)
    except CasesError as exc:
        ss[keys.EV_NOTICE] = ("error", f"Nothing was added: {exc}")
        return
    _add(nb, more, "from the pasted text")
    ss[keys.EV_PASTE] = ""


def _duplicate(nb: Notebook) -> None:
    cases = cases_of(nb)
    at = int(ss.get(keys.EV_ROW) or 1) - 1
    if 0 <= at < len(cases.rows):
        rows = [*cases.rows[: at + 1], dict(cases.rows[at]), *cases.rows[at + 1 :]]
        _keep(nb, TestCases(columns=cases.columns, rows=rows), fresh=True)


def _expected_toggled(nb: Notebook) -> None:
    cases = cases_of(nb)
    if ss.get(keys.EV_EXPECTED):
        columns = [*cases.columns, EVAL_EXPECTED] if EVAL_EXPECTED not in cases.columns else cases.columns
    else:
        columns = [c for c in cases.columns if c != EVAL_EXPECTED]
    rows = [{c: v for c, v in r.items() if c in columns} for r in cases.rows]
    _keep(nb, TestCases(columns=columns, rows=rows), fresh=True)


def _with_columns(cases: TestCases, names: Sequence[str]) -> list[str]:
    """The table's columns: every variable first, in the prompt's order, then the table's own others."""
    return [*names, *(c for c in cases.columns if c not in names)]


def _imported(nb: Notebook) -> None:
    upload = st.file_uploader(
        f"Import rows (CSV or JSONL, up to {untrusted.LIMITS.megabytes} MB)",
        type=["csv", "jsonl", "json", "txt"],
        key=keys.EV_IMPORT,
        max_upload_size=untrusted.LIMITS.megabytes,
        help="CSV with a header row naming the columns, or one JSON object per line; the rows are added to the table.",
    )
    if upload is None or ss.get(keys.EV_IMPORTED) == upload.file_id:
        return
    ss[keys.EV_IMPORTED] = upload.file_id
    data = upload.getvalue()
    try:
        jsonl = upload.name.lower().endswith((".jsonl", ".json")) or data.lstrip()[:1] == b"{"
        more = TestCases.from_jsonl(data) if jsonl else TestCases.from_csv(data)
    except CasesError as exc:
        ss[keys.EV_NOTICE] = ("error", f"Nothing was imported: {exc}")
        st.rerun()
    _add(nb, more, "from the file")
    st.rerun()


def _set_image(nb: Notebook, row: int, column: str, url: str) -> None:
    cases = cases_of(nb)
    if 0 <= row < len(cases.rows):
        rows = [dict(r) for r in cases.rows]
        rows[row][column] = url
        _keep(nb, TestCases(columns=cases.columns, rows=rows), fresh=True)
        ss[keys.EV_NOTICE] = ("success", f"Row {row + 1}'s {column} is set.")


def _image_uploaded(nb: Notebook, row: int, column: str, key: str) -> None:
    upload = ss.get(key)
    if upload is None:
        return
    ss[keys.EV_IMAGE_UPLOADS] = int(ss.get(keys.EV_IMAGE_UPLOADS) or 0) + 1  # a fresh, empty uploader
    try:
        url = images.data_url(upload.getvalue(), str(upload.name or "This file"))
    except ValueError as exc:
        ss[keys.EV_NOTICE] = ("error", f"Row {row + 1}'s {column} is unchanged: {exc}")
        return
    _set_image(nb, row, column, url)


def _image_addressed(nb: Notebook, row: int, column: str) -> None:
    try:
        url = images.check_url(str(ss.get(keys.EV_IMAGE_URL) or ""))
    except ValueError as exc:
        ss[keys.EV_NOTICE] = ("error", f"Row {row + 1}'s {column} is unchanged: {exc}")  # the address stays, to correct
        return
    _set_image(nb, row, column, url)
    ss[keys.EV_IMAGE_URL] = ""


def _row_image(value: str, row: int, column: str) -> None:
    """A row's image: a file as a thumbnail, an address as text (never loaded here), or what is wrong with it."""
    if not value.strip():
        st.caption(f"Row {row + 1} has no image for {column} yet.")
        return
    try:
        url = images.check_url(value)
    except ValueError as exc:
        st.caption(f"Row {row + 1}'s {column} is not an image to send: {plain(str(exc))}")
        return
    if images.is_data_url(url):
        _, data = images.decode_data_url(url)
        st.image(data, width=THUMBNAIL_PX)
        st.caption(f"Row {row + 1}'s {column}: a file of {images.megabytes(len(data))}")
    else:
        st.caption(f"Row {row + 1}'s {column}, by address (the model server fetches it; not loaded here):")
        st.markdown(inline_code(url))


def _images(nb: Notebook, cases: TestCases, names: Sequence[str]) -> None:
    """Each row's image for the image columns: shown, and set from a file or an https address."""
    if not names or not cases.rows:
        return
    with st.container(border=True):
        with st.container(horizontal=True, vertical_alignment="bottom"):
            column = st.selectbox("Image column", names, key=keys.EV_IMAGE_COLUMN) if len(names) > 1 else names[0]
            row = (
                int(
                    st.number_input(
                        f"Row whose {column} to show or set",
                        min_value=1,
                        max_value=len(cases.rows),
                        value=1,
                        step=1,
                        key=keys.EV_IMAGE_ROW,
                        width=220,
                    )
                    or 1
                )
                - 1
            )
        _row_image(cases.value(row, column), row, column)
        key = keys.ev_image_upload(int(ss.get(keys.EV_IMAGE_UPLOADS) or 0))
        st.file_uploader(
            f"Upload row {row + 1}'s {column} (PNG or JPEG, up to {MAX_UPLOAD_MB} MB)",
            type=FILE_TYPES,
            key=key,
            max_upload_size=MAX_UPLOAD_MB,
            on_change=_image_uploaded,
            args=(nb, row, column, key),
        )
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.text_input(
                f"…or row {row + 1}'s {column} by address",
                key=keys.EV_IMAGE_URL,
                placeholder="https://example.com/cat.png",
                help="An https address on a public host; the model server fetches it, this page never does.",
            )
            st.button("Use this address", key=keys.EV_IMAGE_URL_ADD, on_click=_image_addressed, args=(nb, row, column))


def _notice() -> None:
    box = error_view.slot()  # there on every run: the table under it keeps its place
    notice = ss.pop(keys.EV_NOTICE, None)
    if notice is not None:
        kind, message = notice
        getattr(box, kind)(plain(message), icon=":material/info:" if kind == "success" else ":material/warning:")


def problem_words(problems: Sequence[CaseProblem]) -> None:
    """The table's problems, the first few in full, in a slot: the checks' boxes below keep their place. An empty table
    is where everyone starts: it gets a hint, not an error."""
    box = error_view.slot()
    for p in problems[:SHOWN_PROBLEMS]:
        if p.code == "no_rows":  # where everyone starts: what to do, not a mistake
            box.info(NO_ROWS, icon=":material/info:")
        else:
            box.error(plain(p.message), icon=":material/warning:")
    if len(problems) > SHOWN_PROBLEMS:
        box.caption(f"…and {len(problems) - SHOWN_PROBLEMS} more problems in the table.")


def table(nb: Notebook, names: Sequence[str]) -> TestCases:
    """The table, its tools and its problems; returns the test cases as they are now."""
    cases = cases_of(nb)
    pictures = image_variables(nb.conversation)
    columns = _with_columns(cases, names)
    if columns != cases.columns:  # a new variable in the prompt: its column joins the table
        cases = TestCases(columns=columns, rows=cases.rows)
        _keep(nb, cases, fresh=True)
    _notice()
    ss.setdefault(keys.EV_EXPECTED, EVAL_EXPECTED in cases.columns)
    st.toggle(
        "Expected column",
        key=keys.EV_EXPECTED,
        on_change=_expected_toggled,
        args=(nb,),
        help="A column of expected answers, for the check “Equals the expected column”",
    )
    base: TestCases | None = ss.get(keys.EV_TABLE_BASE) if keys.EV_TABLE in ss else None
    if base is None or base.columns != cases.columns:
        ss.pop(keys.EV_TABLE, None)
        base = ss[keys.EV_TABLE_BASE] = cases
    frame = pd.DataFrame(
        base.shown(pictures),
        columns=base.columns,
        dtype=object,
        index=pd.RangeIndex(1, len(base.rows) + 1),
    )
    edited = st.data_editor(
        frame,
        key=keys.EV_TABLE,
        num_rows="dynamic",
        width="stretch",
        column_config={
            c: st.column_config.TextColumn(c, help=IMAGE_COLUMN_HELP if c in pictures else None, disabled=c in pictures)
            for c in base.columns
        },
    )
    drawn = range(1, len(base.rows) + 1)  # the frame's index: a row the editor adds has a number past these
    records = edited.to_dict("records")
    now = base.edited(
        [(int(i) - 1 if int(i) in drawn else None, r) for i, r in zip(edited.index, records, strict=True)], pictures
    )
    if now != cases:
        _keep(nb, now, fresh=False)
    _images(nb, now, [c for c in pictures if c in now.columns])
    with st.container(horizontal=True, vertical_alignment="bottom"):
        if now.rows:
            st.number_input("Row", min_value=1, max_value=len(now.rows), value=1, step=1, key=keys.EV_ROW, width=110)
            st.button("Duplicate row", key=keys.EV_DUPLICATE, on_click=_duplicate, args=(nb,), icon=":material/content_copy:")
        st.download_button(
            "CSV",
            now.to_csv(),
            file_name="test-cases.csv",
            mime="text/csv",
            key=keys.EV_EXPORT_CSV,
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            "JSONL",
            now.to_jsonl(),
            file_name="test-cases.jsonl",
            mime="application/jsonl",
            key=keys.EV_EXPORT_JSONL,
            on_click="ignore",
            icon=":material/download:",
        )
    with st.expander("Paste or import rows", icon=":material/upload:", expanded=not now.rows):
        st.text_area(
            "Rows pasted from a spreadsheet",
            key=keys.EV_PASTE,
            height=90,
            placeholder="\t".join(now.columns) or "city",
            help="Copy cells in a spreadsheet and paste them here: one row per line, values separated by tabs. "
            "A first line naming the columns is read as the header.",
        )
        st.button("Add pasted rows", key=keys.EV_PASTE_ADD, on_click=_pasted, args=(nb, now.columns), icon=":material/add:")
        _imported(nb)
    return now
