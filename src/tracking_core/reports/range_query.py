"""Reading a date range from a bookmarkable URL, with messages a person can act on.

``?range=7d`` or ``?range=custom&from=2026-01-01&to=2026-01-31``; ``DateRange.to_query()``
writes the same form back. Custom ranges are limited to about two years (731 days), which
bounds the work one dashboard request can ask for, and to dates from 1970 to 2999.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from tracking_core.errors import InvalidInput
from tracking_core.reports.local_time import UTC_ZONE
from tracking_core.reports.ranges import DateRange, RangeKind, relative_range

DEFAULT_KIND = RangeKind.LAST_30_DAYS
MAX_CUSTOM_DAYS = 731
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CHOICES = ", ".join(kind.value for kind in RangeKind)


def parse_range(query: Mapping[str, str], today: date, tz: ZoneInfo = UTC_ZONE) -> DateRange:
    """The range the query asks for, as seen on ``today`` (the site's local date).

    ``range`` is one of the ``RangeKind`` values and defaults to the last 30 days; a custom
    range also needs ``from`` and ``to``. Other parameters (filters, ...) are ignored.
    Raises ``InvalidInput`` naming each bad field.
    """
    raw = query.get("range", "").strip() or DEFAULT_KIND.value
    try:
        kind = RangeKind(raw)
    except ValueError:
        raise InvalidInput({"range": [f"Pick one of: {_CHOICES}."]}) from None
    if kind is not RangeKind.CUSTOM:
        return relative_range(kind, today, tz)
    errors: dict[str, list[str]] = {}
    first = _read_day(errors, "from", query.get("from", ""), "Pick a start date.")
    last = _read_day(errors, "to", query.get("to", ""), "Pick an end date.")
    if first is not None and last is not None:
        return custom_range(first, last, tz)
    raise InvalidInput(errors)


def custom_range(first: date, last: date, tz: ZoneInfo = UTC_ZONE) -> DateRange:
    """The days ``first`` to ``last`` inclusive; raises ``InvalidInput`` if they make no range."""
    errors: dict[str, list[str]] = {}
    for field, day in (("from", first), ("to", last)):
        if not EARLIEST_DAY <= day <= LATEST_DAY:
            errors.setdefault(field, []).append(f"Pick a date from {EARLIEST_DAY} to {LATEST_DAY}.")
    if last < first:
        errors.setdefault("to", []).append("End on or after the start date.")
    elif (last - first).days + 1 > MAX_CUSTOM_DAYS:
        errors.setdefault("to", []).append(f"Pick at most {MAX_CUSTOM_DAYS} days (two years).")
    if errors:
        raise InvalidInput(errors)
    return DateRange(RangeKind.CUSTOM, first, last, tz)


def _read_day(errors: dict[str, list[str]], field: str, raw: str, missing: str) -> date | None:
    text = raw.strip()
    message = missing if not text else "Write the date as YYYY-MM-DD, e.g. 2026-01-31."
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            message = "This date does not exist."
    errors.setdefault(field, []).append(message)
    return None
