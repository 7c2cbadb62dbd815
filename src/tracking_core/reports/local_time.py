"""Where a site's days and hours begin, as UTC instants.

Reports count in the site's own calendar: "today" in Sydney is not "today" in UTC. Every
instant the core hands out is an aware UTC datetime; local wall-clock time is only used to
decide where boundaries fall. Daylight-saving changes make some local days 23 or 25 hours
long (23.5 or 24.5 on Lord Howe Island) and some wall-clock times never happen or happen twice;
the functions here are written so that none of that needs thinking about by their callers.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from tracking_core.errors import InvalidInput

UTC_ZONE = ZoneInfo("UTC")
DEFAULT_ZONE_NAME = "UTC"

_ONE_HOUR = timedelta(hours=1)
#: Names that exist on disk but are not places: the server's own zone, not the site's.
_NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name`` (e.g. "Europe/Paris"); raises ``InvalidInput``.

    Only names from the installed zone database are accepted, so a name can never be a path.
    """
    if name not in _zone_names():
        raise InvalidInput({"timezone": ["Pick a time zone from the list, e.g. Europe/Paris."]})
    return ZoneInfo(name)


def zone_names() -> list[str]:
    """Every name ``zone`` accepts, sorted: for a person to pick from."""
    return sorted(_zone_names())


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - _NOT_PLACES)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The date on the site's calendar at the instant ``now``."""
    return now.astimezone(tz).date()


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (in UTC) of ``day`` on the site's calendar.

    Where a daylight-saving change skips midnight, zoneinfo reads the missing 00:00 with the
    offset in force before the change, which is exactly the instant the day begins.
    """
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)


def hour_starts(start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """The instants in [start, end) where a new local clock hour or a new UTC offset begins.

    On an ordinary day that is 24 local o'clocks. Springing forward drops the skipped hour
    (23 buckets); falling back keeps the repeated hour as its own bucket (25), because the
    offset changes where the clock repeats 01:00. Half-hour shifts (Lord Howe) give a
    30-minute bucket at the change. Offsets like India's +05:30 are followed as they are.
    """
    starts: list[datetime] = []
    instant = start
    while instant < end:
        starts.append(instant)
        instant = _next_hour_start(instant, tz)
    return starts


def _next_hour_start(instant: datetime, tz: ZoneInfo) -> datetime:
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset
    wall = local.replace(tzinfo=None, minute=0, second=0, microsecond=0) + _ONE_HOUR
    candidate = (wall - offset).replace(tzinfo=UTC)
    if candidate.astimezone(tz).utcoffset() == offset:
        return candidate
    # The offset changes before the next o'clock: find the change to the second.
    low, high = int(instant.timestamp()), int(candidate.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
