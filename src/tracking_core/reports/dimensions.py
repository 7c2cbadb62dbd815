"""What the dashboard breaks visits down by, and how clicking an item filters by it.

Choices where the issue is silent:

- **Filters select visits.** A filter on something a visit has once (its source, entry or
  exit page, place, browser, system, device) keeps the visits that have that value; a filter
  on a page or an event keeps the visits in which that page was viewed or that event
  happened. Every number on the dashboard is then computed over the kept visits and their
  hits: "visitors from Google, and what else they read". Filters on several dimensions must
  all hold; each dimension takes one value (clicking another item replaces it).
- **A visit's source, campaign tags, browser, system, device and place are those of its
  first hit.** A place is only counted once it is known for sure (its lookup finished or was
  given up on); an unknown value (no country, no campaign tag) is not listed.
- Filters live in the URL as ``?page=/pricing&source=Google``, so a filtered view can be
  bookmarked like a range.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import attrs

from tracking_core.errors import InvalidInput

#: A filter value longer than any stored one could be is refused, not searched for.
MAX_FILTER_VALUE = 2048


class Dimension(StrEnum):
    """The breakdown panels; each value is how a filter on it is written in a URL."""

    PAGE = "page"
    ENTRY_PAGE = "entry"
    EXIT_PAGE = "exit"
    SOURCE = "source"
    UTM_SOURCE = "utm_source"
    UTM_MEDIUM = "utm_medium"
    UTM_CAMPAIGN = "utm_campaign"
    COUNTRY = "country"
    REGION = "region"
    CITY = "city"
    BROWSER = "browser"
    OS = "os"
    DEVICE = "device"
    EVENT = "event"

    @property
    def of_hits(self) -> bool:
        """Pages and events belong to hits; everything else to a whole visit."""
        return self in (Dimension.PAGE, Dimension.EVENT)

    @property
    def counts_visits(self) -> bool:
        """Entry and exit pages are counted in visits (entrances, exits); the others in
        visitors, with page views (pages), events (events) or visits (the rest) beside."""
        return self in (Dimension.ENTRY_PAGE, Dimension.EXIT_PAGE)

    @property
    def is_place(self) -> bool:
        return self in (Dimension.COUNTRY, Dimension.REGION, Dimension.CITY)


@attrs.frozen
class Filter:
    dimension: Dimension
    value: str


def parse_filters(query: Mapping[str, str]) -> tuple[Filter, ...]:
    """The filters a URL's query asks for, in ``Dimension`` order; others are ignored.

    Raises ``InvalidInput`` for an empty or overlong value.
    """
    filters = []
    errors: dict[str, list[str]] = {}
    for dimension in Dimension:
        raw = query.get(dimension.value)
        if raw is None:
            continue
        if not raw or len(raw) > MAX_FILTER_VALUE:
            errors[dimension.value] = ["Pick an item of the list to filter by."]
            continue
        filters.append(Filter(dimension, raw))
    if errors:
        raise InvalidInput(errors)
    return tuple(filters)


def filters_query(filters: tuple[Filter, ...]) -> dict[str, str]:
    """The URL query parameters that ``parse_filters`` reads back into ``filters``."""
    return {f.dimension.value: f.value for f in filters}
