"""Counts per day and month (rollups), kept in the same transaction as the hits they count.

The writer hands each hit's changes (``reports.tallies.hit_changes``) to a ``TallyBatch``,
which sums them per (site, dimension, day, value). Before writing, it finds which of the
batch's visitors meet a value for the first time that day (``visitor_values``: who was
counted for what, while their day runs) and adds one visitor for each; then it adds the sums
to ``daily_counts`` with ``INSERT ... ON CONFLICT DO UPDATE``. All of it happens inside the
batch's transaction and locks, so the counts always agree with the stored hits.

Monthly counts are made once per month, when it is over (``close_months``), from its days:
keeping them up to date with every batch would double the upserts of the beacon's hot path.
Changes to a month that is over (a place found late) are added to both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta

from sqlalchemy import Connection

from adapters.sql import driver, tables
from adapters.sql.strings import Key
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.tallies import Change, Tally

#: The codes dimensions are stored under: stable, whatever the enums' order.
DIMENSION_CODES: dict[Dimension | Tally, int] = {
    Tally.TOTAL: 0,
    Dimension.PAGE: 1,
    Dimension.ENTRY_PAGE: 2,
    Dimension.EXIT_PAGE: 3,
    Dimension.SOURCE: 4,
    Dimension.UTM_SOURCE: 5,
    Dimension.UTM_MEDIUM: 6,
    Dimension.UTM_CAMPAIGN: 7,
    Dimension.COUNTRY: 8,
    Dimension.REGION: 9,
    Dimension.CITY: 10,
    Dimension.BROWSER: 11,
    Dimension.OS: 12,
    Dimension.DEVICE: 13,
    Dimension.EVENT: 14,
    Tally.PROPERTY: 15,
}
_EPOCH = date(1970, 1, 1)
_CHUNK = 300
_COUNT_COLUMNS = ("visitors", "visits", "views", "bounces", "duration")
_MET_COLUMNS = "site_id, day, visitor_id, dimension, value_id"
_COUNT_TYPES = ("int", "smallint", "int", "int", "int", "int", "int", "int", "bigint")

#: (site, code, day, value): the value is text (or a stored id for a stored visit's page).
_Key = tuple[int, int, int, int | str | None]
#: (site, day, visitor id, code, value id): a visitor counted for a value on a day.
_Met = tuple[int, int, int, int, int]


def month_number(day: int) -> int:
    """The month (months since January 1970) of a day (days since 1970-01-01)."""
    when = _EPOCH + timedelta(days=day)
    return (when.year - 1970) * 12 + when.month - 1


class TallyBatch:
    def __init__(self) -> None:
        self._sums: dict[_Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        #: (count key, visitor id) of changes that may add a visitor, in hit order.
        self._visitors: list[tuple[_Key, int | None]] = []

    def add(self, site: int, day: int, visitor: int | None, change: Change[int | str]) -> None:
        dimension, value, (visits, views, bounces, duration), counts_visitor = change
        key = (site, DIMENSION_CODES[dimension], day, value)
        sums = self._sums[key]
        sums[1] += visits
        sums[2] += views
        sums[3] += bounces
        sums[4] += duration
        if counts_visitor:
            self._visitors.append((key, visitor))

    def texts(self) -> Iterator[Key]:
        """The (site, text) of every value counted, for their ids."""
        for site, _, _, value in self._sums:
            if isinstance(value, str):
                yield site, value

    def write(
        self,
        connection: Connection,
        ids: Mapping[Key, int],
        closed_through: Mapping[int, int | None],
    ) -> None:
        """Add the batch's counts: per day, and per month for months that are over (their
        monthly counts exist: see ``close_months``); ``closed_through`` is per site."""
        sums: dict[tuple[int, int, int, int], list[int]] = {}
        for (site, code, day, value), counts in self._sums.items():
            key = (site, code, day, _value_id(site, value, ids))
            if key in sums:  # a stored page and the same page as text
                sums[key] = [a + b for a, b in zip(sums[key], counts, strict=True)]
            else:
                sums[key] = list(counts)
        for key in self._first_meetings(connection, ids):
            sums[key][0] += 1
        _add(connection, tables.daily_counts, "day", sums)
        monthly: dict[tuple[int, int, int, int], list[int]] = {}
        months: dict[int, int] = {}
        for (site, code, day, value), counts in sums.items():
            month = months.get(day)
            if month is None:
                month = months[day] = month_number(day)
            closed = closed_through.get(site)
            if closed is None or month > closed:
                continue  # a month that runs: read from its days
            into = monthly.get((site, code, month, value))
            if into is None:
                monthly[site, code, month, value] = list(counts)
            else:
                for n in range(5):
                    into[n] += counts[n]
        _add(connection, tables.monthly_counts, "month", monthly)

    def _first_meetings(
        self, connection: Connection, ids: Mapping[Key, int]
    ) -> Iterator[tuple[int, int, int, int]]:
        """The count keys that gain a visitor: each (visitor, value) first met today.

        One statement finds and records them: the meetings ``visitor_values`` did not hold
        yet are the rows ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` inserts.
        """
        wanted: dict[_Met, tuple[int, int, int, int]] = {}
        for (site, code, day, value), visitor in self._visitors:
            key = (site, code, day, _value_id(site, value, ids))
            if visitor is None:  # a hit without a visitor id is a visitor of its own
                yield key
                continue
            met = (site, day, visitor, code, key[3])
            if met not in wanted:
                wanted[met] = key
        meetings = list(wanted)
        if connection.dialect.name == "postgresql":
            source, arrays = driver.unnest(meetings, ("int", "int", "bigint", "smallint", "int"))
            statement = (
                f"INSERT INTO visitor_values ({_MET_COLUMNS}) SELECT * FROM {source} "  # noqa: S608
                f"ON CONFLICT DO NOTHING RETURNING {_MET_COLUMNS}"
            )
            for inserted in driver.execute(connection, statement, arrays):
                yield wanted[inserted]
            return
        row = "(?, ?, ?, ?, ?)"
        for start in range(0, len(meetings), _CHUNK):
            chunk = meetings[start : start + _CHUNK]
            statement = (
                f"INSERT INTO visitor_values ({_MET_COLUMNS}) VALUES "  # noqa: S608 - constants
                f"{', '.join([row] * len(chunk))} ON CONFLICT DO NOTHING RETURNING {_MET_COLUMNS}"
            )
            flat = [value for met in chunk for value in met]
            for inserted in driver.execute(connection, statement, flat):
                yield wanted[inserted]


def close_months(
    connection: Connection, site_id: int, closed_through: int | None, through: int
) -> int | None:
    """Make the monthly counts of the site's months after ``closed_through`` up to
    ``through`` from their days, and record it; returns the month closed through.

    Called by the writer, inside its lock, when a batch's hits are in a later month than
    the last one closed: so every month that is over gets its counts once, however many
    workers there are.
    """
    if closed_through is not None and closed_through >= through:
        return closed_through
    first = through if closed_through is None else closed_through + 1
    if closed_through is None:
        earliest = driver.execute(
            connection,
            f"SELECT min(day) FROM daily_counts WHERE site_id = {driver.mark(connection)}",  # noqa: S608
            [site_id],
        )[0][0]
        first = through + 1 if earliest is None else min(month_number(earliest), through)
    mark = driver.mark(connection)
    columns = ", ".join(f"sum({c})" for c in _COUNT_COLUMNS)
    for month in range(first, through + 1):
        low, high = _days_of(month)
        driver.execute(
            connection,
            f"DELETE FROM monthly_counts WHERE site_id = {mark} AND month = {mark}",  # noqa: S608
            [site_id, month],
        )
        driver.execute(
            connection,
            f"INSERT INTO monthly_counts (site_id, dimension, month, value_id, "  # noqa: S608
            f"{', '.join(_COUNT_COLUMNS)}) SELECT site_id, dimension, {mark}, value_id, "
            f"{columns} FROM daily_counts WHERE site_id = {mark} AND day BETWEEN {mark} "
            f"AND {mark} GROUP BY site_id, dimension, value_id",
            [month, site_id, low, high],
        )
    driver.execute(
        connection,
        f"UPDATE sites SET counts_closed_through = {mark} WHERE id = {mark}",  # noqa: S608
        [through, site_id],
    )
    return through


def _days_of(month: int) -> tuple[int, int]:
    """The first and last day numbers of a month number."""
    start = date(1970 + month // 12, month % 12 + 1, 1)
    after = date(1970 + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return (start - _EPOCH).days, (after - _EPOCH).days - 1


def _value_id(site: int, value: int | str | None, ids: Mapping[Key, int]) -> int:
    if value is None:
        return 0
    return value if isinstance(value, int) else ids[site, value]


def _add(
    connection: Connection,
    table: object,
    period: str,
    sums: Mapping[tuple[int, int, int, int], Iterable[int]],
) -> None:
    """Add ``sums`` to the counts, creating the rows that do not exist."""
    if not sums:
        return
    name = tables.daily_counts.name if period == "day" else tables.monthly_counts.name
    columns = ("site_id", "dimension", period, "value_id", *_COUNT_COLUMNS)
    additions = ", ".join(f"{c} = {name}.{c} + excluded.{c}" for c in _COUNT_COLUMNS)
    conflict = f"ON CONFLICT (site_id, dimension, {period}, value_id) DO UPDATE SET {additions}"
    rows = [
        (site, code, when, value, *counts) for (site, code, when, value), counts in sums.items()
    ]
    if connection.dialect.name == "postgresql":
        source, arrays = driver.unnest(rows, _COUNT_TYPES)
        statement = f"INSERT INTO {name} ({', '.join(columns)}) SELECT * FROM {source} {conflict}"  # noqa: S608
        driver.execute(connection, statement, arrays)
        return
    marks = ", ".join(["?"] * len(columns))
    statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks}) {conflict}"  # noqa: S608
    driver.execute_many(connection, statement, rows)
