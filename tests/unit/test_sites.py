"""Websites a user registers to track, and who may see them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core import InvalidInput, Site, SiteNotFound, User, get_owned_site, list_sites
from tracking_core.use_cases.sites import change_site_settings

from .fakes import Fakes


@pytest.mark.parametrize(
    ("base_url", "stored"),
    [
        ("http://example.com", "http://example.com"),
        ("https://example.com/blog/", "https://example.com/blog/"),
        ("HTTPS://Example.com:8443/", "HTTPS://Example.com:8443/"),
        ("https://[2001:db8::1]:8080/", "https://[2001:db8::1]:8080/"),
        ("  https://example.com  ", "https://example.com"),
    ],
)
def test_add_site_accepts_http_and_https_urls(fakes: Fakes, base_url: str, stored: str) -> None:
    owner = fakes.sign_up().user

    site = fakes.new_site(owner, base_url)

    assert site.base_url == stored
    assert site.owner_id == owner.id
    assert site.created_at == fakes.clock.now()
    assert fakes.sites.get(site.id) == site


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("javascript:alert(1)", "Use an http:// or https:// URL."),
        ("JavaScript://example.com/%0aalert(1)", "Use an http:// or https:// URL."),
        ("data:text/html,<script>alert(1)</script>", "Use an http:// or https:// URL."),
        ("ftp://example.com", "Use an http:// or https:// URL."),
        ("/relative/path", "Use an http:// or https:// URL."),
        ("//example.com/no-scheme", "Use an http:// or https:// URL."),
        ("example.com", "Use an http:// or https:// URL."),
        ("", "Enter your site's address."),
        ("   ", "Enter your site's address."),
        ("https://exa mple.com", "A URL cannot contain spaces or control characters."),
        ("https://example.com/\x00", "A URL cannot contain spaces or control characters."),
        ("https://example.com/\u202e", "A URL cannot contain spaces or control characters."),
        ("https://example.com/" + "a" * 2048, "Use at most 2048 characters."),
        ("https://example.com:99999/", "Enter a valid URL."),
        ("https://example.com:http/", "Enter a valid URL."),
        ("https://[::1/", "Enter a valid URL."),
        ("https:///path-only", "Enter a URL with a host name."),
        ("http:example.com", "Enter a URL with a host name."),
    ],
)
def test_add_site_refuses_a_bad_base_url_with_a_readable_message(
    fakes: Fakes, base_url: str, message: str
) -> None:
    owner = fakes.sign_up().user

    with pytest.raises(InvalidInput) as raised:
        fakes.new_site(owner, base_url)

    assert raised.value.errors == {"base_url": [message]}
    assert fakes.store.sites == {}


@given(base_url=st.text(max_size=60) | st.from_regex(r"\A[a-zA-Z]{0,12}:[ -~]{0,40}\Z"))
def test_add_site_either_stores_an_http_url_or_explains_under_base_url(base_url: str) -> None:
    fakes = Fakes.create()
    owner = fakes.sign_up().user

    outcome = _site_or_errors(fakes, owner, base_url)

    if isinstance(outcome, Site):
        assert urlsplit(outcome.base_url).scheme.lower() in ("http", "https")
        assert fakes.sites.get(outcome.id) == outcome
    else:
        assert list(outcome) == ["base_url"]
        assert fakes.store.sites == {}


def _site_or_errors(fakes: Fakes, owner: User, base_url: str) -> Site | dict[str, list[str]]:
    try:
        return fakes.new_site(owner, base_url)
    except InvalidInput as exc:
        return exc.errors


def test_list_sites_shows_only_the_owners_sites_oldest_first(fakes: Fakes) -> None:
    ada = fakes.sign_up(email="ada@example.com").user
    grace = fakes.sign_up(email="grace@example.com").user
    first = fakes.new_site(ada, "https://one.example")
    fakes.clock.advance(timedelta(minutes=1))
    fakes.new_site(grace, "https://grace.example")
    second = fakes.new_site(ada, "https://two.example")

    assert list_sites(sites=fakes.sites, owner=ada) == [first, second]


def test_list_sites_is_empty_for_a_new_user(fakes: Fakes) -> None:
    owner = fakes.sign_up().user

    assert list_sites(sites=fakes.sites, owner=owner) == []


def test_get_owned_site_returns_the_owners_site(fakes: Fakes) -> None:
    owner = fakes.sign_up().user
    site = fakes.new_site(owner)

    assert get_owned_site(sites=fakes.sites, owner=owner, site_id=site.id) == site


def test_someone_elses_site_is_as_missing_as_a_site_that_does_not_exist(fakes: Fakes) -> None:
    ada = fakes.sign_up(email="ada@example.com").user
    grace = fakes.sign_up(email="grace@example.com").user
    graces_site = fakes.new_site(grace)
    missing_id = graces_site.id + 1000

    with pytest.raises(SiteNotFound) as someone_elses:
        get_owned_site(sites=fakes.sites, owner=ada, site_id=graces_site.id)
    with pytest.raises(SiteNotFound) as missing:
        get_owned_site(sites=fakes.sites, owner=ada, site_id=missing_id)

    assert type(someone_elses.value) is type(missing.value)
    assert someone_elses.value.site_id == graces_site.id
    assert str(someone_elses.value) == f"No such site: {graces_site.id}"
    assert str(missing.value) == f"No such site: {missing_id}"


# change_site_settings


def test_an_owner_changes_their_sites_settings(fakes: Fakes) -> None:
    owner = fakes.sign_up().user
    site = fakes.new_site(owner)
    assert (site.timezone, site.honour_dnt, site.keep_full_ip) == ("UTC", True, False)

    changed = change_site_settings(
        sites=fakes.sites,
        owner=owner,
        site_id=site.id,
        timezone=" Europe/Paris ",
        honour_dnt=False,
        keep_full_ip=True,
    )

    assert (changed.timezone, changed.honour_dnt, changed.keep_full_ip) == (
        "Europe/Paris",
        False,
        True,
    )
    assert fakes.sites.get(site.id) == changed


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../../etc/passwd", "localtime", "utc"])
def test_a_time_zone_that_is_no_iana_name_is_refused(fakes: Fakes, name: str) -> None:
    owner = fakes.sign_up().user
    site = fakes.new_site(owner)

    with pytest.raises(InvalidInput) as raised:
        change_site_settings(
            sites=fakes.sites,
            owner=owner,
            site_id=site.id,
            timezone=name,
            honour_dnt=True,
            keep_full_ip=False,
        )

    assert list(raised.value.errors) == ["timezone"]
    assert fakes.sites.get(site.id) == site


def test_nobody_changes_someone_elses_site(fakes: Fakes) -> None:
    site = fakes.new_site(fakes.sign_up().user)
    mallory = fakes.sign_up(email="mallory@example.com").user

    with pytest.raises(SiteNotFound):
        change_site_settings(
            sites=fakes.sites,
            owner=mallory,
            site_id=site.id,
            timezone="Europe/Paris",
            honour_dnt=False,
            keep_full_ip=True,
        )

    assert fakes.sites.get(site.id) == site
