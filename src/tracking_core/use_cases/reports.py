"""The dashboard: a site's visits counted over a date range, optionally filtered."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from tracking_core.entities import Site, User
from tracking_core.ports import Clock, ReportSource, SiteRepository
from tracking_core.reports.dimensions import parse_filters
from tracking_core.reports.local_time import local_today, zone
from tracking_core.reports.range_query import parse_range
from tracking_core.reports.report import DEFAULT_LIMIT, Report, ReportQuery
from tracking_core.use_cases.sites import get_owned_site


@attrs.frozen
class SiteReport:
    site: Site
    report: Report


def site_report(
    *,
    sites: SiteRepository,
    reports: ReportSource,
    clock: Clock,
    owner: User,
    site_id: int,
    params: Mapping[str, str],
    limit: int = DEFAULT_LIMIT,
) -> SiteReport:
    """The report an owner asks for with a dashboard URL's ``params`` (range and filters).

    The range is read on the site's calendar: "today" is the site's today. Raises
    ``SiteNotFound`` (someone else's site is as missing as a deleted one) or ``InvalidInput``.
    """
    site = get_owned_site(sites=sites, owner=owner, site_id=site_id)
    tz = zone(site.timezone)
    query = ReportQuery(
        site_id=site.id,
        range=parse_range(params, local_today(clock.now(), tz), tz),
        filters=parse_filters(params),
        limit=max(1, limit),
    )
    return SiteReport(site=site, report=reports.report(query))
