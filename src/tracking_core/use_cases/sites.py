"""Websites a user registers to track. Nobody sees a site they do not own."""

from __future__ import annotations

import attrs

from tracking_core import rules
from tracking_core.entities import Site, User
from tracking_core.errors import InvalidInput, SiteNotFound
from tracking_core.ports import Clock, SiteRepository
from tracking_core.reports.local_time import zone


def add_site(*, sites: SiteRepository, clock: Clock, owner: User, base_url: str) -> Site:
    try:
        url = rules.clean_http_url(base_url, required_message="Enter your site's address.")
    except rules.RuleBroken as exc:
        raise InvalidInput({"base_url": [str(exc)]}) from exc
    return sites.add(owner_id=owner.id, base_url=url, created_at=clock.now())


def list_sites(*, sites: SiteRepository, owner: User) -> list[Site]:
    return sites.list_for_owner(owner.id)


def get_owned_site(*, sites: SiteRepository, owner: User, site_id: int) -> Site:
    """The site, if ``owner`` owns it. Someone else's site is as missing as a deleted one."""
    site = sites.get(site_id)
    if site is None or site.owner_id != owner.id:
        raise SiteNotFound(site_id)
    return site


def change_site_settings(
    *,
    sites: SiteRepository,
    owner: User,
    site_id: int,
    timezone: str,
    honour_dnt: bool,
    keep_full_ip: bool,
) -> Site:
    """Save what an owner chose for their site; raises ``SiteNotFound`` or ``InvalidInput``.

    The time zone must be an IANA name (``Europe/Paris``): it decides where the site's days
    begin, for the reports and for the daily rotation of visitor ids.
    """
    site = get_owned_site(sites=sites, owner=owner, site_id=site_id)
    name = timezone.strip()
    zone(name)
    updated = attrs.evolve(site, timezone=name, honour_dnt=honour_dnt, keep_full_ip=keep_full_ip)
    sites.update_settings(updated)
    return updated
