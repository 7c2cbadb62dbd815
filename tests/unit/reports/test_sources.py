"""Where visits came from: referrer domains, grouped engines and networks, campaign tags."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tracking_core.reports.sources import DIRECT, Category, Source, classify, restore

PAGE = "https://example.com/pricing"


@pytest.mark.parametrize(
    ("referrer", "name"),
    [
        ("https://www.google.com/", "Google"),
        ("https://www.google.de/", "Google"),
        ("https://www.google.co.uk/search?q=x", "Google"),
        ("https://google.com.au/", "Google"),
        ("https://www.bing.com/search?q=x", "Bing"),
        ("https://cn.bing.com/", "Bing"),
        ("https://duckduckgo.com/", "DuckDuckGo"),
        ("https://html.duckduckgo.com/html/", "DuckDuckGo"),
        ("https://search.yahoo.com/search?p=x", "Yahoo"),
        ("https://uk.search.yahoo.com/", "Yahoo"),
        ("https://search.yahoo.co.jp/", "Yahoo"),
        ("https://yandex.ru/search/?text=x", "Yandex"),
        ("https://yandex.com.tr/", "Yandex"),
        ("https://ya.ru/", "Yandex"),
        ("https://www.baidu.com/link?url=x", "Baidu"),
        ("https://m.baidu.com/", "Baidu"),
        ("https://www.ecosia.org/search?q=x", "Ecosia"),
        ("https://www.qwant.com/?q=x", "Qwant"),
        ("https://search.brave.com/search?q=x", "Brave Search"),
        ("https://www.startpage.com/do/search", "Startpage"),
    ],
)
def test_search_engines_are_grouped_under_their_name(referrer: str, name: str) -> None:
    source = classify(referrer, PAGE)

    assert (source.name, source.category) == (name, Category.SEARCH)


@pytest.mark.parametrize(
    ("referrer", "name"),
    [
        ("https://www.facebook.com/", "Facebook"),
        ("https://l.facebook.com/l.php?u=x", "Facebook"),
        ("https://m.facebook.com/", "Facebook"),
        ("https://lm.facebook.com/", "Facebook"),
        ("https://t.co/abc123", "X (Twitter)"),
        ("https://twitter.com/someone", "X (Twitter)"),
        ("https://mobile.twitter.com/", "X (Twitter)"),
        ("https://x.com/someone/status/1", "X (Twitter)"),
        ("https://www.linkedin.com/feed/", "LinkedIn"),
        ("https://lnkd.in/abc", "LinkedIn"),
        ("https://www.reddit.com/r/python/", "Reddit"),
        ("https://old.reddit.com/", "Reddit"),
        ("https://www.youtube.com/watch?v=x", "YouTube"),
        ("https://m.youtube.com/", "YouTube"),
        ("https://youtu.be/x", "YouTube"),
        ("https://l.instagram.com/?u=x", "Instagram"),
        ("https://www.pinterest.com/pin/1/", "Pinterest"),
        ("https://www.pinterest.fr/", "Pinterest"),
        ("https://news.ycombinator.com/item?id=1", "Hacker News"),
    ],
)
def test_social_networks_are_grouped_under_their_name(referrer: str, name: str) -> None:
    source = classify(referrer, PAGE)

    assert (source.name, source.category) == (name, Category.SOCIAL)


@pytest.mark.parametrize(
    ("referrer", "domain"),
    [
        ("https://www.Example.ORG/post", "example.org"),
        ("https://blog.example.org/post", "blog.example.org"),
        ("https://mastodon.social/@someone", "mastodon.social"),
        ("https://fosstodon.org/@someone", "fosstodon.org"),
        ("https://mail.google.com/", "mail.google.com"),
        ("https://notgoogle.com/", "notgoogle.com"),
        ("https://facebook.com.evil.example/", "facebook.com.evil.example"),
        ("http://example.net:8080/x", "example.net"),
        ("https://example.net./x", "example.net"),
    ],
)
def test_other_referrers_are_listed_by_domain_without_www(referrer: str, domain: str) -> None:
    source = classify(referrer, PAGE)

    assert source == Source(domain, Category.REFERRAL, referrer_domain=domain)


@pytest.mark.parametrize(
    "referrer",
    [
        None,
        "",
        "   ",
        "https://example.com/other",
        "https://www.example.com/",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_no_referrer_or_the_sites_own_pages_are_direct(referrer: str | None) -> None:
    assert classify(referrer, PAGE) == Source(DIRECT, Category.DIRECT)


def test_a_referrer_on_the_sites_registered_host_is_direct_too() -> None:
    source = classify(
        "https://www.shop.example/", "https://shop.example/", site_host="shop.example"
    )

    assert source.category is Category.DIRECT


def test_campaign_tags_are_read_from_the_page_url() -> None:
    page = "https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale"

    source = classify(None, page)

    assert source == Source(
        "newsletter",
        Category.CAMPAIGN,
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="spring sale",
    )


def test_utm_source_overrides_the_referrer_but_the_referrer_domain_is_kept() -> None:
    source = classify("https://www.google.com/", "https://example.com/?utm_source=newsletter")

    assert (source.name, source.category, source.referrer_domain) == (
        "newsletter",
        Category.CAMPAIGN,
        "google.com",
    )


@pytest.mark.parametrize(
    ("tag", "name"),
    [("google", "Google"), ("Facebook", "Facebook"), ("fb", "Facebook"), ("t.co", "X (Twitter)")],
)
def test_a_utm_source_naming_a_known_source_uses_its_group_name(tag: str, name: str) -> None:
    source = classify(None, f"https://example.com/?utm_source={tag}&utm_medium=cpc")

    assert (source.name, source.category) == (name, Category.CAMPAIGN)


def test_a_medium_or_campaign_alone_makes_a_campaign_named_by_the_referrer() -> None:
    source = classify("https://www.bing.com/", "https://example.com/?utm_campaign=launch")

    assert (source.name, source.category, source.utm_campaign) == (
        "Bing",
        Category.CAMPAIGN,
        "launch",
    )


def test_empty_campaign_tags_are_no_tags() -> None:
    source = classify(None, "https://example.com/?utm_source=&utm_medium=%20")

    assert source == Source(DIRECT, Category.DIRECT)


@given(st.one_of(st.none(), st.text()), st.text(), st.one_of(st.none(), st.text()))
@example("http://[::1", "http://[", None)
@example("https://www.google.com/", "https://example.com/?utm_source=" + "x" * 500, None)
def test_classify_never_raises_and_always_names_a_source(
    referrer: str | None, page: str, site_host: str | None
) -> None:
    source = classify(referrer, page, site_host=site_host)

    assert source.name
    tags = (source.utm_source, source.utm_medium, source.utm_campaign)
    assert (source.category is Category.DIRECT) == (not source.referrer_domain and not any(tags))
    assert all(len(tag) <= 200 for tag in (source.utm_source, source.utm_medium) if tag)


@given(
    referrer=st.sampled_from(
        [None, "", "https://www.google.co.uk/", "https://t.co/x", "https://blog.example/p"]
    ),
    page=st.sampled_from(
        [
            "https://shop.example/",
            "https://shop.example/?utm_source=fb",
            "https://shop.example/?utm_medium=email&utm_campaign=spring",
        ]
    ),
)
def test_a_source_restored_from_what_is_stored_is_the_one_classified(
    referrer: str | None, page: str
) -> None:
    source = classify(referrer, page)

    assert (
        restore(
            source.name,
            source.referrer_domain,
            source.utm_source,
            source.utm_medium,
            source.utm_campaign,
        )
        == source
    )
