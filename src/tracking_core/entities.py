"""The things Tracking is about: people, the sites they own, and visits to those sites."""

from __future__ import annotations

from datetime import datetime

import attrs


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
    site_id: int
    created_at: datetime
    url: str
    event: str
    browser: str
    referrer: str | None = None
    ip_address: str | None = None
    location: Location | None = None
    screen_width: int | None = None
    #: Custom event properties, names to values, as sent by ``tracking.event(name, props)``.
    props: dict[str, str] = attrs.field(factory=dict)
    #: True while the location of a public ``ip_address`` is still to be looked up.
    location_pending: bool = False
