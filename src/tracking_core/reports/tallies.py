"""What one new hit changes in counts kept per day and value (rollups), as visits arrive.

A writer that keeps counts instead of cutting a year of hits into visits at every report
applies, for each hit, the changes ``hit_changes`` lists: the hit's own (a page view, an
event and its properties) and its visit's (a new visit; a visit that stops being a bounce,
lasts longer, or moves its entry or exit page). Summed, they give exactly what counting the
stored hits gives (``adapters.memory.reports``; the tests hold them to it).

Visitors count once a day per value: a change marked ``visitor`` adds one visitor only the
first time its visitor meets its value that day, which only the writer, keeping who was
counted for what, can tell.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Generic, NamedTuple, TypeVar

from tracking_core.entities import Location, Visit
from tracking_core.reports.dimensions import Dimension
from tracking_core.reports.open_sessions import OpenSession
from tracking_core.reports.places import place_of

P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)


class Tally(StrEnum):
    """Counts that are no breakdown panel of their own."""

    #: The site's totals: the headline numbers and the chart.
    TOTAL = "total"
    #: An event's properties (see ``property_text``).
    PROPERTY = "property"


# Named tuples rather than attrs classes: a writer makes a dozen of these per hit it stores.


class Counts(NamedTuple):
    visits: int = 0
    #: Page views; for events and event properties, events.
    views: int = 0
    bounces: int = 0
    #: Seconds.
    duration: int = 0


class Change(NamedTuple, Generic[P_co]):
    dimension: Dimension | Tally
    #: The value counted; None for the totals. Pages are ``P``, like the visit's.
    value: P_co | str | None
    counts: Counts
    #: Add one visitor if this is the first time the hit's visitor meets this value today.
    visitor: bool = False


_ONE_VISIT = Counts(visits=1)
_ONE_VISIT_LESS = Counts(visits=-1)
_ONE_VIEW = Counts(views=1)

_SEPARATOR = "\x1f"  # no event name, property name or value can hold a control character


def property_text(event: str, name: str, value: str) -> str:
    """An event's property as one text, to be counted like any value."""
    return f"{event}{_SEPARATOR}{name}{_SEPARATOR}{value}"


def property_of(text: str) -> tuple[str, str, str]:
    """(event, name, value) of a ``property_text``."""
    event, name, value = text.split(_SEPARATOR, 2)
    return event, name, value


def hit_changes(
    before: OpenSession[P] | None,
    after: OpenSession[P],
    *,
    page: P,
    event: str | None,
    props: Mapping[str, str],
    attributes: Iterable[tuple[Dimension, str]] = (),
) -> Iterator[Change[P]]:
    """The changes one hit makes: ``before`` is its visit before it (None when it starts
    one), ``after`` the visit with it. ``event`` is None for a page view. ``attributes`` are
    the values a new visit is counted under (source, campaign tags, browser, system, device,
    and its place once known): see ``dimensions``."""
    if event is None:
        yield Change(Dimension.PAGE, page, _ONE_VIEW, True)
    else:
        yield Change(Dimension.EVENT, event, _ONE_VIEW, True)
        for name, value in props.items():
            yield Change(Tally.PROPERTY, property_text(event, name, value), _ONE_VIEW)
    if before is None:
        yield Change(
            Tally.TOTAL,
            None,
            Counts(visits=1, views=after.page_views, bounces=int(after.is_bounce)),
            visitor=True,
        )
        yield Change(Dimension.ENTRY_PAGE, after.entry_page, _ONE_VISIT)
        yield Change(Dimension.EXIT_PAGE, after.exit_page, _ONE_VISIT)
        for dimension, value in attributes:
            yield Change(dimension, value, _ONE_VISIT, True)
        return
    yield Change(
        Tally.TOTAL,
        None,
        Counts(
            views=after.page_views - before.page_views,
            bounces=int(after.is_bounce) - int(before.is_bounce),
            duration=_seconds(after) - _seconds(before),
        ),
    )
    for dimension, old, new in (
        (Dimension.ENTRY_PAGE, before.entry_page, after.entry_page),
        (Dimension.EXIT_PAGE, before.exit_page, after.exit_page),
    ):
        if old != new:
            yield Change(dimension, old, _ONE_VISIT_LESS)
            yield Change(dimension, new, _ONE_VISIT)


def _seconds(session: OpenSession[P]) -> int:
    return int((session.ended_at - session.started_at).total_seconds())


def visit_attributes(first: Visit) -> Iterator[tuple[Dimension, str]]:
    """The values a visit starting with ``first`` is counted under, besides its pages: see
    ``dimensions`` (its place only once known for sure)."""
    source = first.source
    for dimension, value in (
        (Dimension.SOURCE, source.name),
        (Dimension.UTM_SOURCE, source.utm_source),
        (Dimension.UTM_MEDIUM, source.utm_medium),
        (Dimension.UTM_CAMPAIGN, source.utm_campaign),
        (Dimension.BROWSER, first.browser),
        (Dimension.OS, first.os),
        (Dimension.DEVICE, first.device_type.value),
    ):
        if value is not None:
            yield dimension, value
    if not first.location_pending:
        yield from place_attributes(first.location)


def place_attributes(location: Location | None) -> Iterator[tuple[Dimension, str]]:
    place = place_of(location)
    for dimension, value in (
        (Dimension.COUNTRY, place.country),
        (Dimension.REGION, place.region),
        (Dimension.CITY, place.city),
    ):
        if value is not None:
            yield dimension, value


def place_changes(location: Location | None) -> Iterator[Change[str]]:
    """A visit whose place becomes known (or is given up on: then nothing) is counted under
    its country, region and city from then on."""
    for dimension, value in place_attributes(location):
        yield Change(dimension, value, _ONE_VISIT, True)
