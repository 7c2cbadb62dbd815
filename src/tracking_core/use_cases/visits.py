"""Recording what the beacon saw, and showing it to the site's owner."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import attrs

from tracking_core import rules
from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import InvalidInput, SiteNotFound
from tracking_core.ports import Clock, Geodata, IPAddress, SiteRepository, VisitRepository
from tracking_core.use_cases.sites import get_owned_site

T = TypeVar("T")

#: The event recorded when the beacon names none: an ordinary page view.
PAGE_VIEW = "pageview"


@attrs.frozen
class Hit:
    """What one beacon request said, as plain values. Only these fields come from the client."""

    site_id: int
    url: str | None = None
    referer_header: str | None = None
    referrer: str | None = None
    event: str | None = None
    user_agent: str | None = None
    ip: IPAddress | None = None
    #: Raw as the client sent them (text from a query string, numbers and objects from JSON).
    width: object = None
    props: object = None


def build_visit(
    hit: Hit, *, now: datetime, location: Location | None = None, location_pending: bool = False
) -> Visit:
    """Validate a hit and turn it into a visit; raises ``InvalidInput`` naming each bad field.

    The page is the ``url`` parameter, or else the ``Referer`` header (which is what a plain
    ``<img>`` beacon sends). A caller that looks locations up later says ``location_pending``.
    """
    errors: dict[str, list[str]] = {}
    url = rules.collect(errors, "url", _clean_url, hit.url or hit.referer_header or "")
    referrer = rules.collect(errors, "referrer", _clean_url, hit.referrer) if hit.referrer else None
    event = rules.collect(errors, "event", rules.clean_event, hit.event) if hit.event else PAGE_VIEW
    width = _optional(errors, "width", rules.clean_width, hit.width)
    props = _optional(errors, "props", rules.clean_props, hit.props) or {}
    if errors:
        raise InvalidInput(errors)
    return Visit(
        site_id=hit.site_id,
        created_at=now,
        url=url,
        event=event,
        browser=rules.clean_browser(hit.user_agent or ""),
        referrer=referrer,
        ip_address=_address_text(hit.ip) if hit.ip is not None else None,
        screen_width=width,
        props=props,
        location=location,
        location_pending=location_pending,
    )


# Visits repeat the same pages, referrers and addresses: remembering the last few thousand
# answers of these pure functions saves most of the beacon's validation work. (A URL that
# breaks the rule raises, and exceptions are not remembered.)
_clean_url = functools.lru_cache(maxsize=4096)(rules.clean_http_url)
_address_text = functools.lru_cache(maxsize=4096)(str)


def _optional(
    errors: dict[str, list[str]], field: str, rule: Callable[[object], T], raw: object
) -> T | None:
    if raw is None or raw == "":
        return None
    try:
        return rule(raw)
    except rules.RuleBroken as exc:
        errors.setdefault(field, []).append(str(exc))
        return None


def is_locatable(ip: IPAddress | None) -> bool:
    """Only public addresses are looked up: private, loopback and reserved ones say nothing."""
    return ip is not None and ip.is_global


def locate(geodata: Geodata, ip: IPAddress | None) -> Location | None:
    """Where ``ip`` is, asking the service only about public addresses."""
    if ip is None or not is_locatable(ip):
        return None
    location = geodata.locate(ip)
    return None if location is None or location.is_empty() else location


def record_visit(
    *, sites: SiteRepository, visits: VisitRepository, geodata: Geodata, clock: Clock, hit: Hit
) -> Visit:
    """Validate and store one visit with its location.

    Raises ``SiteNotFound`` or ``InvalidInput``.
    """
    if sites.get(hit.site_id) is None:
        raise SiteNotFound(hit.site_id)
    visit = build_visit(hit, now=clock.now())
    visit = attrs.evolve(visit, location=locate(geodata, hit.ip))
    visits.add_many([visit])
    return visit


@attrs.frozen
class VisitPage:
    site: Site
    visits: list[Visit]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_visits(
    *,
    sites: SiteRepository,
    visits: VisitRepository,
    owner: User,
    site_id: int,
    page: int = 1,
    per_page: int = 50,
) -> VisitPage:
    """One page of an owned site's visits, newest first. Raises ``SiteNotFound``."""
    site = get_owned_site(sites=sites, owner=owner, site_id=site_id)
    page, per_page = max(1, page), max(1, per_page)
    return VisitPage(
        site=site,
        visits=visits.list_for_site(site.id, offset=(page - 1) * per_page, limit=per_page),
        page=page,
        per_page=per_page,
        total=visits.count_for_site(site.id),
    )
