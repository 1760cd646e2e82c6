"""The test-case table: problems on their row and column, caps, and CSV / JSONL / pasted text in and out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import untrusted
from playground.evaluate import CasesError, TestCases, rows_from, size_problem
from playground.fields import EVAL_MAX_RESULTS, EVAL_MAX_ROWS
from tests.fuzz import examples


def _codes(cases: TestCases, variables: list[str]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.code) for p in cases.problems(variables)]


def test_a_complete_table_has_no_problems() -> None:
    cases = TestCases(columns=["city", "expected"], rows=[{"city": "Paris", "expected": "sunny"}, {"city": "Tokyo"}])
    assert cases.problems(["city"]) == []
    assert cases.values(0) == {"city": "Paris"} and cases.expected(1) == "" and TestCases().expected(0) is None


def test_missing_values_and_columns_are_named_on_their_row_and_column() -> None:
    cases = TestCases(columns=["city", "extra"], rows=[{"city": "Paris"}, {"city": "  ", "extra": "x"}, {"extra": "y"}])
    assert _codes(cases, ["city", "day"]) == [
        (None, "extra", "unknown_column"),
        (None, "day", "missing_column"),
        (1, "city", "missing_value"),
        (2, "city", "missing_value"),
    ]
    assert cases.problems(["city", "day"])[2].message == "Row 2 has no value for city."


def test_bad_and_repeated_columns_and_stray_values() -> None:
    cases = TestCases(columns=["my city", "a", "a"], rows=[{"a": "1", "zzz": "2"}])
    assert _codes(cases, ["a"]) == [
        (None, "my city", "bad_column"),
        (None, "a", "duplicate_column"),
        (0, "zzz", "unknown_column"),
    ]


def test_an_empty_table_and_the_caps_say_what_to_do() -> None:
    assert _codes(TestCases(columns=["city"]), ["city"]) == [(None, None, "no_rows")]
    big = TestCases(columns=["c"], rows=[{"c": "x"}] * (EVAL_MAX_ROWS + 1))
    assert [p.code for p in big.problems(["c"])] == ["too_many_rows"]
    assert size_problem(EVAL_MAX_ROWS, EVAL_MAX_RESULTS // EVAL_MAX_ROWS) is None
    too_many = size_problem(EVAL_MAX_ROWS, EVAL_MAX_RESULTS // EVAL_MAX_ROWS + 1)
    assert too_many is not None and too_many.code == "too_many_results" and str(EVAL_MAX_RESULTS) in too_many.message
    long = TestCases(columns=["c"], rows=[{"c": "x" * 20_001}])
    assert [p.code for p in long.problems(["c"])] == ["too_long"]


def test_csv_round_trip_keeps_formula_like_values_as_text() -> None:
    cases = TestCases(
        columns=["city", "expected"],
        rows=[{"city": '=HYPERLINK("x")', "expected": "'=kept"}, {"city": 'a, "quoted"\nline', "expected": "-5"}],
    )
    data = cases.to_csv()
    assert b"'=HYPERLINK" in data and b"''=kept" in data
    assert TestCases.from_csv(data) == cases
    assert TestCases.from_jsonl(cases.to_jsonl()) == cases


def test_csv_import_problems_name_the_line() -> None:
    with pytest.raises(CasesError) as caught:
        TestCases.from_csv("city,day\nParis,mon,extra\n")
    assert [(p.row, p.code) for p in caught.value.problems] == [(1, "too_many_values")]
    for text, code in [("", "empty"), ("my city\nParis\n", "bad_column"), ("a,a\n1,2\n", "duplicate_column")]:
        with pytest.raises(CasesError) as caught:
            TestCases.from_csv(text)
        assert caught.value.problems[0].code == code
    with pytest.raises(CasesError, match="not UTF-8"):
        TestCases.from_csv(b"\xff\xfe\x00")
    with pytest.raises(CasesError) as caught:
        TestCases.from_csv("c\n" + "x\n" * (EVAL_MAX_ROWS + 1))
    assert caught.value.problems[0].code == "too_many_rows"
    assert TestCases.from_csv("\ufeffcity\nParis\n\n,\n").rows == [{"city": "Paris"}]


def test_jsonl_values_become_text_and_bad_lines_are_named() -> None:
    cases = TestCases.from_jsonl('{"city": "Paris", "n": 3}\n\n{"city": null, "ok": true, "o": {"a": [1]}}\n')
    assert cases.columns == ["city", "n", "ok", "o"]
    assert cases.rows == [{"city": "Paris", "n": "3"}, {"city": "", "ok": "true", "o": '{"a": [1]}'}]
    for text, row, code in [
        ('{"a": 1}\nnot json\n', 1, "not_json"),
        ("[1]\n", 0, "not_object"),
        ('{"a b": 1}\n', 0, "bad_column"),
    ]:
        with pytest.raises(CasesError) as caught:
            TestCases.from_jsonl(text)
        assert (caught.value.problems[0].row, caught.value.problems[0].code) == (row, code)


def test_pasted_spreadsheet_text_with_or_without_a_header() -> None:
    plain = TestCases.from_pasted("Paris\tsunny\r\nTokyo\t\r\n", ["city", "expected"])
    assert plain.rows == [{"city": "Paris", "expected": "sunny"}, {"city": "Tokyo", "expected": ""}]
    with_header = TestCases.from_pasted('expected\tcity\nsunny\t"Lima\nPeru"\n', ["city"])
    assert with_header.columns == ["expected", "city"] and with_header.rows == [{"expected": "sunny", "city": "Lima\nPeru"}]
    with pytest.raises(CasesError) as caught:
        TestCases.from_pasted("a\tb\tc\n", ["city"])
    assert caught.value.problems[0].code == "too_many_values"
    with pytest.raises(CasesError) as caught:
        TestCases.from_pasted("Paris\n", [])
    assert caught.value.problems[0].code == "no_columns"


def test_rows_added_and_records_from_an_editor() -> None:
    table = TestCases(columns=["city"], rows=[{"city": "Paris"}]).add_rows(
        TestCases(columns=["city", "expected"], rows=[{"city": "Lima"}])
    )
    assert table.columns == ["city", "expected"] and len(table.rows) == 2
    assert rows_from([{"city": "Oslo", "n": 2, "x": None}]) == [{"city": "Oslo", "n": "2", "x": ""}]
    assert TestCases.for_variables(["a"], expected=True).columns == ["a", "expected"]


_column = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True)
_value = st.text(st.characters(blacklist_categories=["Cs"]), max_size=12)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.lists(_column, min_size=1, max_size=4, unique=True).flatmap(
        lambda cols: st.tuples(st.just(cols), st.lists(st.fixed_dictionaries({c: _value for c in cols}), min_size=1, max_size=5))
    )
)
def test_any_table_survives_csv_and_jsonl(table: tuple[list[str], list[dict[str, str]]]) -> None:
    columns, rows = table
    rows = [{c: v.replace("\r", "") for c, v in r.items()} for r in rows]  # csv reads a lone \r as a line end
    cases = TestCases(columns=columns, rows=rows)
    assert TestCases.from_jsonl(cases.to_jsonl()) == cases
    if any(any(v.strip() for v in r.values()) for r in rows):  # a row of blanks is not a row when read back
        back = TestCases.from_csv(cases.to_csv())
        assert back.columns == columns
        assert back.rows == [r for r in rows if any(v.strip() for v in r.values())]


def test_a_file_of_rows_over_the_cap_is_refused_naming_it() -> None:
    big = b"city\n" + b"x" * untrusted.LIMITS.bytes
    for read in (TestCases.from_csv, TestCases.from_jsonl):
        with pytest.raises(CasesError, match=r"This file is 16\.0 MB; a file of rows can be at most 16\.0 MB\."):
            read(big)
