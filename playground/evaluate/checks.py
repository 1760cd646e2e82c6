"""Checks without code: each applied to every answer of an evaluation, each giving ✓ or ✗ with a reason.

`Check` is a pydantic union told apart by `kind` (`KINDS` maps each kind to what a person picks from a list).
`check_problems(check, columns)` lists a check's own mistakes (a pattern that does not compile, a column the
table does not have, a schema that is not valid JSON Schema): nothing runs until they are fixed.
`evaluate(check, result, row)` grades one answer (a compare `RunResult`: its completion, request body and
timings) for one row of test cases, returning `Outcome(passed, reason)`. Answers are checked with
`playground.schema` (JSON, response schemas, tool arguments), so there is one validator for the whole
playground. The reasons quote the model's text, cut short: render them as text, never as HTML.
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import regex
from pydantic import BaseModel, Field, TypeAdapter

from playground.compare import RunResult
from playground.errors import PlaygroundError
from playground.fields import EVAL_EXPECTED, TOOL_NAME_PATTERN
from playground.response import ContentBlock
from playground.schema import check_answer, check_schema, check_tool_calls

__all__ = [
    "KINDS",
    "ArgumentEquals",
    "ArgumentsValid",
    "CallsNoTool",
    "CallsTool",
    "Check",
    "Contains",
    "EndedByItself",
    "EqualsExpected",
    "LibrarySchema",
    "Mark",
    "MatchesPattern",
    "MaxTokens",
    "NotContains",
    "Outcome",
    "PersonMark",
    "ResponseSchema",
    "TimeToFirstToken",
    "TotalTime",
    "ValidJson",
    "check_problems",
    "describe",
    "evaluate",
    "parse_checks",
]

QUOTE_CHARS = 60  # the model's text quoted in a reason is cut to this
PATTERN_TIME_LIMIT_S = 0.1  # one pattern on one answer; a pattern that backtracks without end is cut off here


def _id() -> str:
    return secrets.token_hex(4)


class _Base(BaseModel):
    id: str = Field(default_factory=_id)  # stable across edits, for the page's widget keys and pass rates


class ValidJson(_Base):
    kind: Literal["valid_json"] = "valid_json"


class ResponseSchema(_Base):
    """The answer matches the json_schema response format the run asked for."""

    kind: Literal["response_schema"] = "response_schema"


class LibrarySchema(_Base):
    """The answer matches a schema from the library, copied in when the check was made."""

    kind: Literal["library_schema"] = "library_schema"
    name: str = ""
    json_schema: dict[str, Any] = Field(default_factory=dict)


class CallsTool(_Base):
    kind: Literal["calls_tool"] = "calls_tool"
    tool: str = ""


class CallsNoTool(_Base):
    kind: Literal["calls_no_tool"] = "calls_no_tool"


class ArgumentsValid(_Base):
    """Every tool call's arguments are valid against its tool's parameters."""

    kind: Literal["arguments_valid"] = "arguments_valid"


class ArgumentEquals(_Base):
    """An argument of a call (of `tool`, or of any tool when empty) equals the row's value in `column`."""

    kind: Literal["argument_equals"] = "argument_equals"
    tool: str = ""
    argument: str = ""
    column: str = ""
    ignore_case: bool = True


class Contains(_Base):
    """The answer contains `text`, or the row's value in `column` when a column is named."""

    kind: Literal["contains"] = "contains"
    text: str = ""
    column: str = ""
    ignore_case: bool = False


class NotContains(Contains):
    kind: Literal["not_contains"] = "not_contains"  # type: ignore[assignment]


class MatchesPattern(_Base):
    """A regular expression found anywhere in the answer (the `regex` package's search, `re`'s syntax, with a time
    limit: a pattern that backtracks without end is a ✗ saying so, not a page that hangs)."""

    kind: Literal["pattern"] = "pattern"
    pattern: str = ""
    ignore_case: bool = False


class EqualsExpected(_Base):
    """The answer equals the row's `expected` value (ends trimmed; case ignored unless asked)."""

    kind: Literal["equals_expected"] = "equals_expected"
    ignore_case: bool = True


class MaxTokens(_Base):
    kind: Literal["max_tokens"] = "max_tokens"
    tokens: int = Field(default=100, ge=1)


class EndedByItself(_Base):
    """The model stopped (a stop, a stop sequence or a tool call), not the token limit."""

    kind: Literal["ended_by_itself"] = "ended_by_itself"


class TimeToFirstToken(_Base):
    kind: Literal["ttft_under"] = "ttft_under"
    ms: int = Field(default=1000, ge=1)


class TotalTime(_Base):
    kind: Literal["total_under"] = "total_under"
    ms: int = Field(default=5000, ge=1)


class PersonMark(_Base):
    """A person's 👍 passes, 👎 fails; a result nobody marked is not counted."""

    kind: Literal["mark"] = "mark"


Check = Annotated[
    ValidJson
    | ResponseSchema
    | LibrarySchema
    | CallsTool
    | CallsNoTool
    | ArgumentsValid
    | ArgumentEquals
    | Contains
    | NotContains
    | MatchesPattern
    | EqualsExpected
    | MaxTokens
    | EndedByItself
    | TimeToFirstToken
    | TotalTime
    | PersonMark,
    Field(discriminator="kind"),
]
CHECKS: TypeAdapter[list[Check]] = TypeAdapter(list[Check])

KINDS: dict[str, str] = {  # kind → what the list of checks shows
    "valid_json": "Is valid JSON",
    "response_schema": "Matches the response schema",
    "library_schema": "Matches a schema from the library",
    "calls_tool": "Calls a tool",
    "calls_no_tool": "Calls no tool",
    "arguments_valid": "Tool arguments are valid",
    "argument_equals": "An argument equals a column",
    "contains": "Contains",
    "not_contains": "Does not contain",
    "pattern": "Matches a pattern",
    "equals_expected": "Equals the expected column",
    "max_tokens": "At most N tokens",
    "ended_by_itself": "Ended by itself (not the token limit)",
    "ttft_under": "Time to first token under",
    "total_under": "Total time under",
    "mark": "A person's 👍/👎",
}


class Mark(BaseModel):
    """A person's mark on one result: 👍 (`up`) or 👎, with a note."""

    up: bool
    note: str = ""


class Outcome(BaseModel):
    """One check on one answer. `counted` is False where there is nothing to grade yet (no mark)."""

    passed: bool
    reason: str
    counted: bool = True


def parse_checks(data: Any) -> list[Check]:
    """Checks from their JSON (a list of objects with `kind`); raises pydantic's ValidationError."""
    return CHECKS.validate_python(data)


# ---------------------------------------------------------------------------------------------- a check's own problems


def check_problems(check: Check, columns: list[str]) -> list[str]:
    """What is wrong with the check itself, in plain words, given the test-case table's columns."""
    out: list[str] = []

    def need_column(column: str, what: str) -> None:
        if not column:
            out.append(f"Choose the column {what}.")
        elif column not in columns:
            out.append(f"The table has no column {column}.")

    match check:
        case Contains() | NotContains():
            if check.column:
                need_column(check.column, "to look for")
                if check.text:
                    out.append("Give a text or a column, not both.")
            elif not check.text:
                out.append("Give the text to look for, or choose a column.")
        case MatchesPattern():
            if not check.pattern:
                out.append("Give a pattern, e.g. ^[A-Z].*\\.$")
            else:
                try:
                    regex.compile(check.pattern)
                except regex.error as exc:
                    out.append(f"The pattern does not compile: {exc}.")
        case ArgumentEquals():
            if not check.argument:
                out.append("Give the argument's name, e.g. city.")
            need_column(check.column, "it must equal")
            if check.tool and not re.fullmatch(TOOL_NAME_PATTERN, check.tool):
                out.append("A tool name is 1 to 64 letters, digits, _ or -.")
        case CallsTool():
            if not re.fullmatch(TOOL_NAME_PATTERN, check.tool):
                out.append("Give the tool's name: 1 to 64 letters, digits, _ or -.")
        case LibrarySchema():
            if not check.json_schema:
                out.append("Choose a schema from the library.")
            else:
                out.extend(check_schema(check.json_schema))
        case EqualsExpected():
            if EVAL_EXPECTED not in columns:
                out.append(f"Add an {EVAL_EXPECTED} column to the table first.")
        case _:
            pass
    return out


def describe(check: Check) -> str:
    """The check in a few words, for a column heading: "contains city", "calls get_weather"."""
    match check:
        case NotContains():
            return f"does not contain {check.column or _quote(check.text)}"
        case Contains():
            return f"contains {check.column or _quote(check.text)}"
        case CallsTool():
            return f"calls {check.tool}"
        case ArgumentEquals():
            return f"{check.tool + '.' if check.tool else ''}{check.argument} = {check.column}"
        case MatchesPattern():
            return f"matches {_quote(check.pattern)}"
        case LibrarySchema():
            return f"matches {check.name or 'the library schema'}"
        case MaxTokens():
            return f"≤ {check.tokens} tokens"
        case TimeToFirstToken():
            return f"first token < {check.ms} ms"
        case TotalTime():
            return f"total < {check.ms} ms"
        case _:
            return KINDS[check.kind].lower()


# ---------------------------------------------------------------------------------------------- grading


def _quote(text: str) -> str:
    shown = text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS] + "…"
    return f"“{shown}”"


def _answer(result: RunResult) -> str:
    if result.completion is None:
        return result.text
    try:
        return result.completion.text(0)
    except IndexError:
        return ""


def _calls(result: RunResult) -> list[ContentBlock]:
    return result.completion.tool_uses(0) if result.completion is not None else []


def _fold(text: str, ignore_case: bool) -> str:
    return text.casefold() if ignore_case else text


def _first_problem(messages: list[str]) -> str:
    return messages[0] + (f" (and {len(messages) - 1} more)" if len(messages) > 1 else "")


def _contains(check: Contains, answer: str, row: Mapping[str, str]) -> Outcome:
    needle = row.get(check.column, "") if check.column else check.text
    where = f" (column {check.column})" if check.column else ""
    if not needle:
        return Outcome(passed=False, reason=f"There is no text to look for{where}.")
    found = _fold(needle, check.ignore_case) in _fold(answer, check.ignore_case)
    wanted = not isinstance(check, NotContains)
    verb = "contains" if found else "does not contain"
    return Outcome(passed=found == wanted, reason=f"The answer {verb} {_quote(needle)}{where}.")


def _schema_outcome(answer: str, schema: Any, what: str) -> Outcome:
    checked = check_answer(answer, schema)
    if checked.ok:
        return Outcome(passed=True, reason=f"The answer matches {what}.")
    return Outcome(passed=False, reason=_first_problem([v.message for v in checked.violations]))


def _argument_equals(check: ArgumentEquals, calls: list[ContentBlock], row: Mapping[str, str]) -> Outcome:
    want = row.get(check.column, "")
    calls = [c for c in calls if not check.tool or c.name == check.tool]
    if not calls:
        return Outcome(passed=False, reason=f"The model made no call{' to ' + check.tool if check.tool else ''}.")
    seen: list[str] = []
    for call in calls:
        args = call.input or {}
        if check.argument not in args:
            continue
        value = args[check.argument]
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if _fold(text.strip(), check.ignore_case) == _fold(want.strip(), check.ignore_case):
            return Outcome(passed=True, reason=f"{check.argument} is {_quote(text)}, as in the column {check.column}.")
        seen.append(text)
    if not seen:
        return Outcome(passed=False, reason=f"No call has an argument {check.argument}.")
    return Outcome(passed=False, reason=f"{check.argument} is {_quote(seen[0])}; the column {check.column} says {_quote(want)}.")


def _ms(seconds: float | None) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds is not None else "unknown"


def evaluate(check: Check, result: RunResult, row: Mapping[str, str], *, mark: Mark | None = None) -> Outcome:
    """Grade one answer with one check, for one row of test cases ({column: text}); never raises.

    A run that failed or was cancelled fails every check (but a person's mark still counts as marked).
    """
    if isinstance(check, PersonMark):
        if mark is None:
            return Outcome(passed=False, reason="Not marked yet.", counted=False)
        note = f": {_quote(mark.note)}" if mark.note else ""
        return Outcome(passed=mark.up, reason=("Marked 👍" if mark.up else "Marked 👎") + note)
    if result.status != "done" or result.completion is None:
        why = f": {result.error}" if result.error else ""
        return Outcome(passed=False, reason=f"There is no answer (the run is {result.status}{why}).")
    answer, calls, completion = _answer(result), _calls(result), result.completion
    match check:
        case ValidJson():
            return _schema_outcome(answer, {}, "JSON")
        case ResponseSchema():
            response_format = result.body.get("response_format")
            if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
                return Outcome(passed=False, reason="This run asked for no response schema.")
            return _schema_outcome(answer, response_format, "the response schema")
        case LibrarySchema():
            return _schema_outcome(answer, check.json_schema, f"the schema {check.name}" if check.name else "the schema")
        case CallsTool():
            names = [c.name or "" for c in calls]
            if check.tool in names:
                return Outcome(passed=True, reason=f"The model called {check.tool}.")
            if names:
                return Outcome(passed=False, reason=f"The model called {', '.join(_quote(n) for n in names)}, not {check.tool}.")
            return Outcome(passed=False, reason=f"The model answered in text instead of calling {check.tool}.")
        case CallsNoTool():
            if calls:
                return Outcome(passed=False, reason=f"The model called {', '.join(_quote(c.name or '') for c in calls)}.")
            return Outcome(passed=True, reason="The model called no tool.")
        case ArgumentsValid():
            if not calls:
                return Outcome(passed=False, reason="The model made no tool call.")
            tools = result.body.get("tools")
            try:
                checked = check_tool_calls(calls, [t for t in tools if isinstance(t, Mapping)] if isinstance(tools, list) else [])
            except PlaygroundError as exc:  # a run's body is kept as sent; an odd one is said, not raised
                return Outcome(passed=False, reason=f"The run's tools could not be read: {exc}")
            problems = [v.message for c in checked for v in c.violations]
            if problems:
                return Outcome(passed=False, reason=_first_problem(problems))
            return Outcome(passed=True, reason="Every call's arguments are valid.")
        case ArgumentEquals():
            return _argument_equals(check, calls, row)
        case Contains() | NotContains():
            return _contains(check, answer, row)
        case MatchesPattern():
            passed, reason = _search(check.pattern, check.ignore_case, answer)
            return Outcome(passed=passed, reason=reason)
        case EqualsExpected():
            if EVAL_EXPECTED not in row:
                return Outcome(passed=False, reason=f"The table has no {EVAL_EXPECTED} column.")
            want = row[EVAL_EXPECTED]
            if _fold(answer.strip(), check.ignore_case) == _fold(want.strip(), check.ignore_case):
                return Outcome(passed=True, reason="The answer equals the expected one.")
            return Outcome(passed=False, reason=f"The answer is {_quote(answer.strip())}; expected {_quote(want.strip())}.")
        case MaxTokens():
            used = completion.usage.output_tokens
            return Outcome(passed=used <= check.tokens, reason=f"{used} tokens (at most {check.tokens}).")
        case EndedByItself():
            reason = completion.stop_reason
            if reason is None:
                return Outcome(passed=False, reason="The server gave no finish reason.")
            if reason in ("length", "max_tokens"):
                return Outcome(passed=False, reason="The token limit cut the answer off.")
            return Outcome(passed=True, reason=f"Finished by itself ({reason}).")
        case TimeToFirstToken():
            return _under(result.ttft_s, check.ms, "The first token")
        case TotalTime():
            return _under(result.total_s, check.ms, "The whole answer")
    raise AssertionError(f"no grading for {check.kind}")  # every kind of the union is graded above


@functools.lru_cache(maxsize=4096)
def _search(pattern: str, ignore_case: bool, answer: str) -> tuple[bool, str]:
    """`pattern` searched in `answer` within PATTERN_TIME_LIMIT_S. Kept per (pattern, answer): the page grades every
    answer on each redraw, and a pattern that times out would cost its time limit again each time."""
    try:
        found = regex.search(pattern, answer, regex.IGNORECASE if ignore_case else 0, timeout=PATTERN_TIME_LIMIT_S)
    except regex.error as exc:
        return False, f"The pattern does not compile: {exc}."
    except TimeoutError:
        return False, (
            f"The pattern took longer than {PATTERN_TIME_LIMIT_S:g} s on this answer and was stopped: simplify it "
            "(nested repeats such as (a+)+ or (a|aa)+ try every way to split the text)."
        )
    if found:
        return True, f"Found {_quote(found.group(0))}."
    return False, f"Nothing in the answer matches {_quote(pattern)}."


def _under(seconds: float | None, limit_ms: int, what: str) -> Outcome:
    if seconds is None:
        return Outcome(passed=False, reason=f"{what}'s time was not measured.")
    passed = seconds * 1000 < limit_ms
    return Outcome(passed=passed, reason=f"{what} took {_ms(seconds)} (limit {limit_ms} ms).")
