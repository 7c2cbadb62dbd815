"""CSV export that a spreadsheet cannot be tricked into running."""

from __future__ import annotations

import csv
import io
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tracking_core.reports.csv_export import Cell, csv_lines, neutralise, to_csv

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_STARTS) or text.lstrip().startswith(DANGEROUS_STARTS[:4])


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\rfoo", "'\rfoo"),
        ("\tplain", "'\tplain"),
        ("  =1+1", "'  =1+1"),
        ("\n@x", "'\n@x"),
        ("-5", "'-5"),
        ("/pricing", "/pricing"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_a_quote_in_front(text: str, written: str) -> None:
    assert neutralise(text) == written
    assert _read(to_csv([[text]])) == [[written]]


def test_numbers_stay_numbers_negative_ones_included() -> None:
    text = to_csv([["page", "visitors", "change"], ["/", 12, -0.25], ["/a", -3, 1.5]])

    assert text == "page,visitors,change\r\n/,12,-0.25\r\n/a,-3,1.5\r\n"


def test_none_is_an_empty_cell_and_booleans_are_words() -> None:
    assert to_csv([[None, True, False]]) == ",true,false\r\n"


def test_lines_can_be_streamed_one_row_at_a_time() -> None:
    assert list(csv_lines([["a", 1], ["=b", 2]])) == ["a,1\r\n", "'=b,2\r\n"]


cells = st.one_of(
    st.text(),
    st.sampled_from(DANGEROUS_STARTS).flatmap(lambda c: st.text().map(lambda t: c + t)),
    st.text(alphabet=" \t\n", max_size=3).flatmap(lambda ws: st.text().map(lambda t: ws + "=" + t)),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)


@given(st.lists(st.lists(cells, min_size=1, max_size=5), max_size=5))
@example([["=1+1", -7, "-7", " @x", "a\r\nb"]])
def test_every_dangerous_text_cell_is_neutralised_and_everything_else_reads_back(
    rows: list[list[Cell]],
) -> None:
    read = _read(to_csv(rows))

    assert len(read) == len(rows)
    for row, read_row in zip(rows, read, strict=True):
        for value, cell in zip(row, read_row, strict=True):
            if isinstance(value, str):
                assert cell == ("'" + value if _is_dangerous(value) else value)
                assert not _is_dangerous(cell)
            elif value is None:
                assert cell == ""
            elif isinstance(value, float):
                assert math.isclose(float(cell), value) or float(cell) == value
            else:
                assert int(cell) == value
