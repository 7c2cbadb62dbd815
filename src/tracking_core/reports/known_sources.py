"""The search engines and social networks that get a name of their own in the sources list.

A short list, kept by hand: the sources people look for first. A host matches a group when it
is one of the group's domains or a subdomain of one (l.facebook.com is Facebook), or, for
engines with a domain per country, the brand followed by a country ending (google.co.uk).
Everything else is listed under its own domain, which is honest and needs no upkeep.
"""

from __future__ import annotations

import re
from enum import StrEnum

import attrs


class Category(StrEnum):
    SEARCH = "search"
    SOCIAL = "social"
    REFERRAL = "referral"
    DIRECT = "direct"
    CAMPAIGN = "campaign"


@attrs.frozen
class Group:
    name: str
    category: Category
    domains: tuple[str, ...] = ()
    #: A brand with a domain per country: "google" matches google.com, google.de, google.co.uk.
    country_brand: str | None = None
    #: How campaign tags name it besides its name and domains (``utm_source=fb``).
    aliases: tuple[str, ...] = ()


_S, _N = Category.SEARCH, Category.SOCIAL
GROUPS = (
    Group("Google", _S, (), "google"),
    Group("Bing", _S, ("bing.com",)),
    Group("DuckDuckGo", _S, ("duckduckgo.com",), aliases=("ddg",)),
    Group("Yahoo", _S, ("search.yahoo.com", "search.yahoo.co.jp"), aliases=("yahoo",)),
    Group("Yandex", _S, ("ya.ru",), "yandex"),
    Group("Baidu", _S, ("baidu.com",)),
    Group("Ecosia", _S, ("ecosia.org",)),
    Group("Qwant", _S, ("qwant.com",)),
    Group("Brave Search", _S, ("search.brave.com",), aliases=("brave",)),
    Group("Startpage", _S, ("startpage.com", "startpage.nl")),
    Group("Facebook", _N, ("facebook.com", "fb.com", "fb.me"), aliases=("fb",)),
    Group("X (Twitter)", _N, ("x.com", "twitter.com", "t.co"), aliases=("x", "twitter")),
    Group("LinkedIn", _N, ("linkedin.com", "lnkd.in")),
    Group("Reddit", _N, ("reddit.com", "redd.it")),
    Group("YouTube", _N, ("youtube.com", "youtu.be")),
    Group("Instagram", _N, ("instagram.com",), aliases=("ig",)),
    Group("Pinterest", _N, ("pinterest.com",), "pinterest"),
    Group("Hacker News", _N, ("news.ycombinator.com",), aliases=("hn", "hackernews")),
)

_BY_DOMAIN = {domain: group for group in GROUPS for domain in group.domains}
_BY_NAME = {
    alias: group
    for group in GROUPS
    for alias in (group.name.lower(), *group.aliases, *group.domains, group.country_brand)
    if alias
}
_COUNTRY_BRANDS = {group.country_brand: group for group in GROUPS if group.country_brand}
# brand.tld, brand.co.tld or brand.com.tld; the brand is captured to pick the group.
_COUNTRY_DOMAIN = re.compile(r"([a-z]+)\.(?:com?\.)?[a-z]{2,3}", re.ASCII)


def group_for_host(domain: str) -> tuple[str, Category] | None:
    """The group of a lowercased host without ``www.``, as (name, category), or None."""
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        group = _BY_DOMAIN.get(".".join(labels[i:]))
        if group is not None:
            return group.name, group.category
    match = _COUNTRY_DOMAIN.fullmatch(domain)
    group = _COUNTRY_BRANDS.get(match.group(1)) if match else None
    return (group.name, group.category) if group else None


def category_of(name: str) -> Category | None:
    """The kind of a known source listed under ``name`` ("Google": search), else None."""
    group = _BY_NAME.get(name.strip().lower())
    return group.category if group else None


def group_for_name(tag: str) -> str | None:
    """The group name a campaign tag refers to ("google", "Facebook", "t.co"), or None."""
    group = _BY_NAME.get(tag.strip().lower().removeprefix("www."))
    return group.name if group else None
