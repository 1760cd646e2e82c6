"""A table of test cases: one column per variable plus an optional `expected` column, one row per case.

Values are text (what a person types in a table cell). `TestCases.problems(variables)` says, in plain words
and on the row and column concerned, what must be fixed before anything runs: a variable with no column or
no value in a row, a column the prompt does not use, too many rows, a value too long. Tables come in as CSV,
JSONL or tab-separated text pasted from a spreadsheet, and go out as CSV or JSONL; a value a spreadsheet
would run as a formula is written with a leading "'" (as `analysis.csv_bytes` does) and read back without it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd
from pydantic import BaseModel, Field

from playground import fields, images, untrusted
from playground.analysis import FORMULA_START, csv_bytes
from playground.errors import PlaygroundError
from playground.evaluate.variables import NAME
from playground.fields import EVAL_EXPECTED, EVAL_MAX_CELL_CHARS, EVAL_MAX_RESULTS, EVAL_MAX_ROWS

__all__ = ["CaseProblem", "CasesError", "TestCases", "rows_from", "size_problem"]

_LONGEST_FIELD = 2 * fields.IMAGE_MAX_BYTES  # a CSV value: an image at its size cap, in base64, fits


class CaseProblem(BaseModel):
    """One thing to fix in the table: `row` is 0-based (None: the whole table), `column` a column's name."""

    row: int | None = None
    column: str | None = None
    message: str
    code: str


class CasesError(PlaygroundError):
    """A file or pasted text could not be read as test cases; `.problems` says where (row = line, 0-based)."""

    def __init__(self, problems: list[CaseProblem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


def _fail(message: str, code: str, row: int | None = None, column: str | None = None) -> CasesError:
    return CasesError([CaseProblem(row=row, column=column, message=message, code=code)])


def size_problem(rows: int, runs_per_row: int) -> CaseProblem | None:
    """A message when `rows` cases, each run `runs_per_row` times (seeds × setting sets or swept values), exceed the caps."""
    if rows > EVAL_MAX_ROWS:
        return CaseProblem(message=f"There are {rows} rows; one evaluation takes at most {EVAL_MAX_ROWS}.", code="too_many_rows")
    if rows * runs_per_row > EVAL_MAX_RESULTS:
        return CaseProblem(
            message=f"{rows} rows × {runs_per_row} runs each make {rows * runs_per_row} results; one evaluation makes at "
            f"most {EVAL_MAX_RESULTS}. Use fewer rows, seeds, swept values or setting sets.",
            code="too_many_results",
        )
    return None


def _column_problem(name: str) -> str | None:
    if not name:
        return "A column has no name; give every column a variable's name."
    if name != EVAL_EXPECTED and not NAME.fullmatch(name):
        shown = name if len(name) <= 60 else name[:60] + "…"
        return f"The column {shown!r} is not a variable name: use letters, digits and _, not starting with a digit."
    return None


def _as_text(value: Any) -> str:
    """A JSON value as the text a table cell holds: strings as they are, null as "", the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class TestCases(BaseModel):
    """The table: `columns` in order, `rows` as {column: text}. A row may leave a column out (read as "")."""

    __test__: ClassVar[bool] = False  # not a pytest test class
    columns: list[str] = Field(default_factory=list)
    rows: list[dict[str, str]] = Field(default_factory=list)

    @classmethod
    def for_variables(cls, variables: Sequence[str], *, expected: bool = False) -> TestCases:
        """An empty table with one column per variable (and `expected` when asked)."""
        return cls(columns=[*variables, *([EVAL_EXPECTED] if expected else [])])

    def value(self, row: int, column: str) -> str:
        """One cell's text; "" when the row leaves the column out."""
        return self.rows[row].get(column, "")

    def values(self, row: int) -> dict[str, str]:
        """The row's values of every column but `expected`: what fills the variables."""
        return {c: self.value(row, c) for c in self.columns if c != EVAL_EXPECTED}

    def expected(self, row: int) -> str | None:
        """The row's expected answer, None when the table has no `expected` column."""
        return self.value(row, EVAL_EXPECTED) if EVAL_EXPECTED in self.columns else None

    def shown(self, image_columns: Sequence[str]) -> list[list[str]]:
        """The rows' values in column order as a table editor shows them: an image as a short label (`images.label`)."""
        return [
            [images.label(self.value(i, c)) if c in image_columns else self.value(i, c) for c in self.columns]
            for i in range(len(self.rows))
        ]

    def edited(self, records: Sequence[tuple[int | None, Mapping[str, Any]]], image_columns: Sequence[str]) -> TestCases:
        """This table after an editor's edits: each record as (the 0-based row of this table it was drawn from, or None
        for a new row; its values). An image column, shown as a label and not editable there, keeps the row's own value
        (a new row's is empty): a label never replaces an image."""
        rows = rows_from([r for _, r in records])
        for (at, _), row in zip(records, rows, strict=True):
            for c in image_columns:
                if c in row:
                    row[c] = self.value(at, c) if at is not None and 0 <= at < len(self.rows) else ""
        return TestCases(columns=self.columns, rows=rows)

    def problems(self, variables: Sequence[str], image_columns: Sequence[str] = ()) -> list[CaseProblem]:
        """Everything to fix before a run with these variables: table-wide problems first, then row by row. A value
        under one of `image_columns` must be an image (a PNG/JPEG data URL or an https address, `images.check_url`)."""
        out: list[CaseProblem] = []
        seen: set[str] = set()
        for name in self.columns:
            if (message := _column_problem(name)) is not None:
                out.append(CaseProblem(column=name, message=message, code="bad_column"))
            elif name in seen:
                out.append(CaseProblem(column=name, message=f"Two columns are named {name}; keep one.", code="duplicate_column"))
            elif name != EVAL_EXPECTED and name not in variables:
                out.append(
                    CaseProblem(
                        column=name,
                        message=f"The column {name} is not a variable of the prompt (no {{{{{name}}}}} in any message); "
                        "use it in a message or remove the column.",
                        code="unknown_column",
                    )
                )
            seen.add(name)
        missing = [v for v in variables if v not in self.columns]
        for v in missing:
            out.append(
                CaseProblem(
                    column=v, message=f"The prompt uses {{{{{v}}}}} but the table has no {v} column.", code="missing_column"
                )
            )
        if not self.rows:
            out.append(CaseProblem(message="Add at least one row of test cases.", code="no_rows"))
        if (size := size_problem(len(self.rows), 1)) is not None:
            out.append(size)
        for i, row in enumerate(self.rows):
            for c in [c for c in row if c not in self.columns]:
                out.append(
                    CaseProblem(
                        row=i,
                        column=c,
                        message=f"Row {i + 1} has a value under {c}, which is not a column.",
                        code="unknown_column",
                    )
                )
            for v in variables:
                if v in self.columns and not row.get(v, "").strip():
                    what = "no image for" if v in image_columns else "no value for"
                    out.append(CaseProblem(row=i, column=v, message=f"Row {i + 1} has {what} {v}.", code="missing_value"))
                elif v in self.columns and v in image_columns:
                    try:
                        images.check_url(row[v])
                    except ValueError as exc:
                        message = f"Row {i + 1}'s {v} is not an image to send: {exc}"
                        out.append(CaseProblem(row=i, column=v, message=message, code="bad_image"))
            for c, text in row.items():
                if len(text) > EVAL_MAX_CELL_CHARS and c not in image_columns:  # an image's own size cap applies
                    out.append(
                        CaseProblem(
                            row=i,
                            column=c,
                            message=f"Row {i + 1}'s {c} has {len(text)} characters; a value holds at most {EVAL_MAX_CELL_CHARS}.",
                            code="too_long",
                        )
                    )
        return out

    def add_rows(self, other: TestCases) -> TestCases:
        """This table with `other`'s rows after its own; columns only `other` has are added at the end."""
        columns = [*self.columns, *(c for c in other.columns if c not in self.columns)]
        return TestCases(columns=columns, rows=[*(dict(r) for r in self.rows), *(dict(r) for r in other.rows)])

    # ---------------------------------------------------------------------------------------- out

    def to_csv(self) -> bytes:
        """UTF-8 CSV, a header of the columns then one line per row (formula-like values kept as text)."""
        frame = pd.DataFrame(
            [[_quote(self.value(i, c)) for c in self.columns] for i in range(len(self.rows))], columns=self.columns, dtype=object
        )
        return csv_bytes(frame)

    def to_jsonl(self) -> bytes:
        """One JSON object per line, {column: text} in column order."""
        lines = [json.dumps({c: self.value(i, c) for c in self.columns}, ensure_ascii=False) for i in range(len(self.rows))]
        return "".join(line + "\n" for line in lines).encode("utf-8")

    # ---------------------------------------------------------------------------------------- in

    @classmethod
    def from_csv(cls, data: bytes | str) -> TestCases:
        """A CSV file with a header row; raises CasesError naming the line of each problem."""
        return cls._from_table(_decode(data), ",", header=None)

    @classmethod
    def from_pasted(cls, text: str, columns: Sequence[str]) -> TestCases:
        """Tab-separated text copied from a spreadsheet. Its first line is a header when every cell of it names
        a column (or `expected`); otherwise the cells fill `columns` in order."""
        return cls._from_table(text, "\t", header=list(columns))

    @classmethod
    def from_jsonl(cls, data: bytes | str) -> TestCases:
        """One JSON object per line ({column: value}; numbers, booleans and objects become their JSON text)."""
        columns: list[str] = []
        rows: list[dict[str, str]] = []
        for n, line in enumerate(_decode(data).splitlines()):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except (ValueError, RecursionError):
                raise _fail(f"Line {n + 1} is not valid JSON.", "not_json", row=n) from None
            if not isinstance(item, dict):
                raise _fail(f'Line {n + 1} is not a JSON object like {{"city": "Paris"}}.', "not_object", row=n)
            for key in item:
                if (message := _column_problem(key)) is not None:
                    raise _fail(f"Line {n + 1}: {message}", "bad_column", row=n, column=key)
                if key not in columns:
                    columns.append(key)
            rows.append({k: _as_text(v) for k, v in item.items()})
            _check_count(len(rows))
        return cls(columns=columns, rows=rows)

    @classmethod
    def _from_table(cls, text: str, delimiter: str, header: list[str] | None) -> TestCases:
        csv.field_size_limit(max(csv.field_size_limit(), _LONGEST_FIELD))  # an image as a data URL is one long value
        try:
            lines = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in row)]
        except csv.Error as exc:
            raise _fail(f"This is not readable as a table: {exc}.", "not_a_table") from None
        if not lines:
            raise _fail("There is nothing to read: the text is empty.", "empty")
        first = [cell.strip() for cell in lines[0]]
        known = set(header or ()) | {EVAL_EXPECTED}
        if header is None or all(cell in known for cell in first):
            columns, body = first, lines[1:]
            for name in columns:
                if (message := _column_problem(name)) is not None:
                    raise _fail(f"Line 1: {message}", "bad_column", row=0, column=name)
            if len(set(columns)) != len(columns):
                raise _fail("Line 1 names a column twice; give each column its own name.", "duplicate_column", row=0)
            start = 1
        else:
            if not header:
                raise _fail("Write a {{variable}} in a message first, or paste a header row naming the columns.", "no_columns")
            columns, body, start = list(header), lines, 0
        rows: list[dict[str, str]] = []
        for n, cells in enumerate(body, start=start):
            if len(cells) > len(columns):
                raise _fail(
                    f"Line {n + 1} has {len(cells)} values but there are {len(columns)} columns ({', '.join(columns)}).",
                    "too_many_values",
                    row=n,
                )
            rows.append({c: _unquote(v) for c, v in zip(columns, cells, strict=False)})
            _check_count(len(rows))
        return cls(columns=columns, rows=rows)


def _quoted(text: str) -> bool:
    return text[:1] == "'" and text[1:2] != "" and (text[1:2] in FORMULA_START or text[1:2] == "'")


def _quote(text: str) -> str:
    """ "'=x" is written "''=x" (csv_bytes writes "=x" as "'=x"), so reading strips exactly one "'"."""
    return "'" + text if _quoted(text) else text


def _unquote(text: str) -> str:
    """A cell written as "'=x" (kept as text for a spreadsheet) read back as "=x"."""
    return text[1:] if _quoted(text) else text


def _decode(data: bytes | str) -> str:
    """A file's text; CasesError when it passes an import's cap (rows may hold images: a notebook file's cap) or is
    not UTF-8."""
    try:
        untrusted.check_size(data, "file of rows")
    except ValueError as exc:
        raise _fail(str(exc), "too_big") from None
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail("The file is not UTF-8 text.", "not_utf8") from None


def _check_count(rows: int) -> None:
    if rows > EVAL_MAX_ROWS:
        raise _fail(f"There are more than {EVAL_MAX_ROWS} rows; one evaluation takes at most {EVAL_MAX_ROWS}.", "too_many_rows")


def rows_from(records: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Rows from records as an editor gives them back (None and numbers become text)."""
    return [{str(k): _as_text(v) for k, v in r.items()} for r in records]
