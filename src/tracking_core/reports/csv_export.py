"""CSV that is safe to open in a spreadsheet.

Page paths, referrers and campaign tags are written by visitors, and a spreadsheet runs a
cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (some also after a tab, a
carriage return or leading spaces). Following OWASP, such text cells get a single quote in
front, which spreadsheets show as text; the value is otherwise kept as it was.

Numbers (``int`` and ``float`` cells) are written as numbers, negative ones included: they
are produced by the reports, not typed by visitors, and "-3" as a number runs nothing. Text
that merely looks like a negative number ("-3" as a string) is still neutralised, since
text is where an attacker's input lives.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

Cell = str | int | float | None

#: What a formula can start with; tab and carriage return are also neutralised on their own.
FORMULA_STARTS = ("=", "+", "-", "@")
_WHITESPACE_STARTS = ("\t", "\r")


def neutralise(text: str) -> str:
    """``text`` made inert for a spreadsheet (see the module docstring)."""
    if text.startswith(_WHITESPACE_STARTS) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int to Python, but text to a reader
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    return neutralise(value)


def csv_lines(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The CSV text of ``rows``, one line at a time (RFC 4180: CRLF line ends), for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def to_csv(rows: Iterable[Sequence[Cell]]) -> str:
    """The CSV text of ``rows`` (a header is just the first row)."""
    return "".join(csv_lines(rows))
