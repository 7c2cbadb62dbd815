"""The things Tracking is about: people, the sites they own, and visits to those sites."""

from __future__ import annotations

from datetime import datetime

import attrs

from tracking_core.reports.agents import UNKNOWN, DeviceType
from tracking_core.reports.sources import DIRECT, Category, Source

#: Where a visit came from when nothing says: typed in, a bookmark, an app.
NO_SOURCE = Source(DIRECT, Category.DIRECT)


@attrs.frozen
class User:
    id: int
    email: str
    name: str
    password_hash: str = attrs.field(repr=False)
    created_at: datetime


@attrs.frozen
class Site:
    id: int
    owner_id: int
    base_url: str
    created_at: datetime
    #: The IANA time zone whose days the reports count in (and visitor ids rotate with).
    timezone: str = "UTC"
    #: Visitors who send Do Not Track or Global Privacy Control are not recorded at all.
    honour_dnt: bool = True
    #: Keep visitors' full IP addresses; by default they are cut to their network (/24, /48).
    keep_full_ip: bool = False


@attrs.frozen
class Location:
    """Where an IP address is, as far as the geodata service knows; every part may be unknown."""

    city: str | None = None
    zip_code: str | None = None
    region_name: str | None = None
    country_code: str | None = None
    country_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None

    def is_empty(self) -> bool:
        return all(value is None for value in attrs.astuple(self))

    def describe(self) -> str:
        """A short human label such as "Lyon, Auvergne-Rhône-Alpes, France"."""
        parts = (self.city, self.region_name, self.country_name or self.country_code)
        return ", ".join(part for part in parts if part)


@attrs.frozen
class Visit:
    """One hit of the beacon: a page view or a custom event, and what is kept about it.

    What the user agent said is kept only as the reports need it (browser, system, device);
    the user agent itself is not stored.
    """

    site_id: int
    created_at: datetime
    url: str
    event: str
    #: The browser's family ("Firefox"), as the user agent names it.
    browser: str
    referrer: str | None = None
    #: The address as kept: cut to its network (``client_ip.network_of``) unless the site
    #: keeps full addresses; whole only while its location is still to be looked up.
    ip_address: str | None = None
    location: Location | None = None
    screen_width: int | None = None
    #: Custom event properties, names to values, as sent by ``tracking.event(name, props)``.
    props: dict[str, str] = attrs.field(factory=dict)
    #: True while the location of a public ``ip_address`` is still to be looked up.
    location_pending: bool = False
    #: The browser's major version ("124"), when the user agent says.
    browser_version: str | None = None
    os: str = UNKNOWN
    device_type: DeviceType = DeviceType.UNKNOWN
    #: The cookieless visitor id of the site's day (see ``reports.visitor_ids``).
    visitor_id: int | None = None
    #: Where the visit came from: the referrer's site or the campaign tags.
    source: Source = NO_SOURCE
