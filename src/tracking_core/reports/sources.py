"""Where a visit came from: a named source and its kind, from the referrer and the page URL.

The source is the referrer's host, lowercased and without ``www.``; well-known search engines
and social networks are grouped under one name ("Google" for google.de and google.co.uk,
"Facebook" for l.facebook.com and m.facebook.com). Mastodon and other federated networks
cannot be listed, so their instances stay domains. No referrer, or a referrer on the site's
own host, is "Direct / None".

Campaign tags (``utm_source``, ``utm_medium``, ``utm_campaign`` on the page URL) are the
site owner's own word, so as in Plausible ``utm_source`` overrides the referrer as the source
name (a tag that names a known source, such as ``utm_source=google``, uses its group name).
Any campaign tag makes the category "campaign", since it is traffic the owner set up.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import attrs

from tracking_core.reports.known_sources import Category, group_for_host, group_for_name

DIRECT = "Direct / None"
#: Campaign tag values longer than this are cut: they are labels, not payloads.
MAX_TAG = 200

__all__ = ["DIRECT", "MAX_TAG", "Category", "Source", "classify", "restore"]


@attrs.frozen
class Source:
    name: str
    category: Category
    #: The referrer's host without ``www.``, when there is one from another site.
    referrer_domain: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None


def classify(referrer: str | None, page_url: str, *, site_host: str | None = None) -> Source:
    """The source of a hit on ``page_url`` referred by ``referrer``; never raises.

    A referrer on the page's own host (or on ``site_host``) is internal navigation: direct.
    """
    tags = _campaign_tags(page_url)
    own_hosts = {_domain(_host(page_url)), _domain(site_host or "")} - {""}
    domain = _domain(_host(referrer or ""))
    if domain in own_hosts:
        domain = ""
    name, category = DIRECT, Category.DIRECT
    if domain:
        name, category = group_for_host(domain) or (domain, Category.REFERRAL)
    utm_source, utm_medium, utm_campaign = tags
    if utm_source:
        name = group_for_name(utm_source) or utm_source
    if any(tags):
        category = Category.CAMPAIGN
    return Source(name, category, domain or None, utm_source, utm_medium, utm_campaign)


def restore(
    name: str,
    referrer_domain: str | None,
    utm_source: str | None = None,
    utm_medium: str | None = None,
    utm_campaign: str | None = None,
) -> Source:
    """A source as ``classify`` made it, from what storage keeps (its category follows)."""
    if utm_source or utm_medium or utm_campaign:
        category = Category.CAMPAIGN
    elif referrer_domain:
        category = (group_for_host(referrer_domain) or (name, Category.REFERRAL))[1]
    else:
        category = Category.DIRECT
    return Source(name, category, referrer_domain, utm_source, utm_medium, utm_campaign)


def _host(url: str) -> str:
    try:
        return urlsplit(url.strip()).hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket: no usable host
        return ""


def _domain(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    return host.removeprefix("www.")


def _campaign_tags(page_url: str) -> tuple[str | None, str | None, str | None]:
    try:
        query = parse_qs(urlsplit(page_url).query)
    except ValueError:
        return (None, None, None)

    def tag(name: str) -> str | None:
        value = " ".join(query.get(name, [""])[0].split())[:MAX_TAG]
        return value or None

    return (tag("utm_source"), tag("utm_medium"), tag("utm_campaign"))
