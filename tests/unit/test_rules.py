"""The input rules, checked over their whole input space."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tracking_core import rules
from tracking_core.rules import RuleBroken

CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}

#: Text that looks enough like a URL to get past the first checks, with hostile schemes mixed in.
url_like = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(
        ["http", "https", "HTTP", "hTtPs", "javascript", "JaVaScRiPt", "data", "ftp", "file", ""]
    ),
    st.sampled_from(["://", ":", ":/", "//", ":///", ":\\\\"]),
    st.text(alphabet=st.characters(codec="ascii"), max_size=30),
    st.text(max_size=10),
)
any_url_input = st.text() | url_like


def _has_control_or_space(text: str) -> bool:
    return any(c.isspace() or unicodedata.category(c) in CONTROL_CATEGORIES for c in text)


def _cleaned_or_none(rule: rules.Rule, raw: str) -> str | None:
    try:
        return rule(raw)
    except RuleBroken:
        return None


# clean_http_url


@given(any_url_input)
@example("javascript://example.com/%0aalert(1)")
@example("java\tscript:alert(1)")
@example(" https://example.com")
def test_clean_http_url_never_returns_a_url_whose_scheme_is_not_http(raw: str) -> None:
    url = _cleaned_or_none(rules.clean_http_url, raw)

    if url is not None:
        parts = urlsplit(url)
        assert parts.scheme.lower() in ("http", "https")
        assert parts.hostname
        assert url.split(":", 1)[0].lower() in ("http", "https")


@given(any_url_input)
@example("https://exa\u00a0mple.com")
@example("https://example.com/\u2028")
@example("https://example.com/\u200b")
def test_clean_http_url_never_returns_whitespace_or_control_characters(raw: str) -> None:
    url = _cleaned_or_none(rules.clean_http_url, raw)

    if url is not None:
        assert not _has_control_or_space(url)
        assert len(url) <= rules.MAX_URL


@given(st.text(min_size=1).filter(_has_control_or_space), url_like)
def test_clean_http_url_refuses_whitespace_or_control_characters_inside(bad: str, url: str) -> None:
    raw = f"https://example.com/{bad}x{url}"

    with pytest.raises(RuleBroken):
        rules.clean_http_url(raw)


@given(any_url_input)
def test_clean_http_url_is_idempotent_on_what_it_accepts(raw: str) -> None:
    url = _cleaned_or_none(rules.clean_http_url, raw)

    if url is not None:
        assert rules.clean_http_url(url) == url


@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    host=st.from_regex(r"\A[a-z0-9]{1,20}(\.[a-z0-9]{1,10}){0,3}\Z"),
    port=st.none() | st.integers(0, 65535),
    path=st.from_regex(r"\A(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,15}){0,4}\Z"),
)
def test_clean_http_url_keeps_an_ordinary_web_address_unchanged(
    scheme: str, host: str, port: int | None, path: str
) -> None:
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}{path}"

    assert rules.clean_http_url(url) == url


def test_clean_http_url_uses_the_callers_message_for_an_empty_value() -> None:
    with pytest.raises(RuleBroken, match=r"^Where to\?$"):
        rules.clean_http_url("  ", required_message="Where to?")


# clean_email


@given(st.text() | st.emails().map(lambda e: f"  {e.upper()} "))
@example("ADA@EXAMPLE.COM")
@example("İ@example.com")
def test_clean_email_output_is_lowercase_and_idempotent(raw: str) -> None:
    email = _cleaned_or_none(rules.clean_email, raw)

    if email is not None:
        assert email == email.lower()
        assert rules.clean_email(email) == email
        assert "@" in email
        assert not _has_control_or_space(email)
        assert len(email) <= rules.MAX_EMAIL


@given(st.emails())
def test_clean_email_accepts_ordinary_addresses(raw: str) -> None:
    if len(raw) <= rules.MAX_EMAIL:
        assert rules.clean_email(raw) == raw.lower()


# clean_browser


@given(st.text(max_size=2000))
@example("\x00" * 600 + "Mozilla")
@example("a" * 511 + "\u0301\u0301")
def test_clean_browser_output_is_short_and_free_of_control_characters(raw: str) -> None:
    browser = rules.clean_browser(raw)

    assert len(browser) <= rules.MAX_BROWSER
    assert not any(unicodedata.category(c) in CONTROL_CATEGORIES for c in browser)


@given(st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "Zs"])))
def test_clean_browser_keeps_a_printable_agent_apart_from_trimming_and_cutting(
    raw: str,
) -> None:
    assert rules.clean_browser(raw) == raw.strip()[: rules.MAX_BROWSER]


# clean_event


@given(st.text(max_size=150))
def test_clean_event_accepts_only_short_trimmed_names_without_control_characters(
    raw: str,
) -> None:
    event = _cleaned_or_none(rules.clean_event, raw)

    if event is None:
        stripped = raw.strip()
        assert (
            not stripped
            or len(stripped) > rules.MAX_EVENT
            or any(unicodedata.category(c) in CONTROL_CATEGORIES for c in stripped)
        )
    else:
        assert event == raw.strip()
        assert 1 <= len(event) <= rules.MAX_EVENT
        assert rules.clean_event(event) == event


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter an event name."),
        (" \t ", "Enter an event name."),
        ("x" * 101, "Use at most 100 characters."),
        ("a\x7fb", "An event name cannot contain control characters."),
    ],
)
def test_clean_event_explains_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(RuleBroken) as raised:
        rules.clean_event(raw)

    assert str(raised.value) == message


# clean_name and passwords


@given(st.text(max_size=80))
def test_clean_name_collapses_whitespace_and_is_idempotent(raw: str) -> None:
    name = _cleaned_or_none(rules.clean_name, raw)

    if name is not None:
        assert name == name.strip()
        assert "  " not in name
        assert len(name) <= rules.MAX_NAME
        assert rules.clean_name(name) == name


@given(st.text(max_size=1100))
def test_check_new_password_accepts_exactly_eight_to_1024_characters(password: str) -> None:
    accepted = _cleaned_or_none(rules.check_new_password, password)

    if rules.MIN_PASSWORD <= len(password) <= rules.MAX_PASSWORD:
        assert accepted == password
    else:
        assert accepted is None


# collect


def test_collect_returns_the_cleaned_value_and_notes_nothing_when_the_rule_holds() -> None:
    errors: dict[str, list[str]] = {}

    assert rules.collect(errors, "event", rules.clean_event, " click ") == "click"
    assert errors == {}


def test_collect_notes_each_broken_rule_under_its_field() -> None:
    errors: dict[str, list[str]] = {"email": ["Already noted."]}

    assert rules.collect(errors, "email", rules.clean_email, "nope") == ""
    assert rules.collect(errors, "event", rules.clean_event, "") == ""

    assert errors == {
        "email": ["Already noted.", "Enter a valid email address."],
        "event": ["Enter an event name."],
    }
