"""Input rules shared by the use cases. Each returns the cleaned value or a readable message."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

MAX_NAME = 50
MAX_EMAIL = 254
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # bounds the work PBKDF2 is asked to do
MAX_URL = 2048
MAX_EVENT = 100
MAX_BROWSER = 512
MAX_PROPS = 10
MAX_PROP_KEY = 40
MAX_PROP_VALUE = 200
MAX_WIDTH = 100_000


class RuleBroken(ValueError):
    """A single value broke a rule; the message is meant for a person."""


Rule = Callable[[str], str]


def collect(errors: dict[str, list[str]], field: str, rule: Rule, raw: str) -> str:
    """Apply ``rule`` to ``raw``; when it is broken, note the message under ``field``.

    Returns the cleaned value, or "" when broken: callers raise on ``errors`` before using it.
    """
    try:
        return rule(raw)
    except RuleBroken as exc:
        errors.setdefault(field, []).append(str(exc))
        return ""


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_NAME:
        raise RuleBroken(f"Use at most {MAX_NAME} characters.")
    if _has_control_characters(name):
        raise RuleBroken("Use letters, digits and punctuation only.")
    return name


def clean_email(raw: str) -> str:
    email = raw.strip().lower()
    local, at, domain = email.rpartition("@")
    if not email:
        raise RuleBroken("Enter your email address.")
    if (
        not at
        or not local
        or "." not in domain.strip(".")
        or len(email) > MAX_EMAIL
        or any(char.isspace() for char in email)
        or _has_control_characters(email)
    ):
        raise RuleBroken("Enter a valid email address.")
    return email


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise RuleBroken(f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise RuleBroken(f"Use at most {MAX_PASSWORD} characters.")
    return password


def clean_http_url(raw: str, *, required_message: str = "Enter a URL.") -> str:
    """An absolute http(s) URL with a host; other schemes (javascript:, data:, ...) are refused."""
    url = raw.strip()
    if not url:
        raise RuleBroken(required_message)
    if len(url) > MAX_URL:
        raise RuleBroken(f"Use at most {MAX_URL} characters.")
    # Printable text has no control characters and no whitespace but the plain space.
    printable = url.isprintable() and " " not in url
    if not printable and (_has_control_characters(url) or any(char.isspace() for char in url)):
        raise RuleBroken("A URL cannot contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise RuleBroken("Enter a valid URL.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise RuleBroken("Use an http:// or https:// URL.")
    if not hostname:
        raise RuleBroken("Enter a URL with a host name.")
    return url


def clean_event(raw: str) -> str:
    event = raw.strip()
    if not event:
        raise RuleBroken("Enter an event name.")
    if len(event) > MAX_EVENT:
        raise RuleBroken(f"Use at most {MAX_EVENT} characters.")
    if _has_control_characters(event):
        raise RuleBroken("An event name cannot contain control characters.")
    return event


def clean_browser(raw: str) -> str:
    """A User-Agent is informative, not essential: trim it instead of refusing the visit."""
    if raw.isprintable():  # the common case, checked in C: nothing to drop
        return raw.strip()[:MAX_BROWSER]
    return "".join(c for c in raw if not _is_control(c)).strip()[:MAX_BROWSER]


def clean_props(raw: object) -> dict[str, str]:
    """Custom event properties: a small flat object of text, numbers or booleans, kept as text."""
    if not isinstance(raw, Mapping):
        raise RuleBroken("Send properties as an object of names to values.")
    if len(raw) > MAX_PROPS:
        raise RuleBroken(f"Send at most {MAX_PROPS} properties.")
    props: dict[str, str] = {}
    for key, value in raw.items():
        name = key.strip() if isinstance(key, str) else ""
        if not name or len(name) > MAX_PROP_KEY or _has_control_characters(name):
            raise RuleBroken(f"Property names are 1 to {MAX_PROP_KEY} printable characters.")
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float) and math.isfinite(value):
            text = repr(value) if isinstance(value, float) else str(value)
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise RuleBroken(f"Property {name!r} must be text, a number or a boolean.")
        if len(text) > MAX_PROP_VALUE or _has_control_characters(text):
            raise RuleBroken(
                f"Property {name!r} must be at most {MAX_PROP_VALUE} printable characters."
            )
        props[name] = text
    return props


def clean_width(raw: object) -> int:
    """The screen width in CSS pixels, as a whole number (text from a query string is fine)."""
    if isinstance(raw, str) and raw.strip().isdecimal() and len(raw.strip()) <= 6:
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_WIDTH:
        raise RuleBroken(f"Send the screen width as a whole number from 1 to {MAX_WIDTH}.")
    return raw


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn")


def _has_control_characters(text: str) -> bool:
    # Every control character is also non-printable, so printable text needs no closer look.
    return not text.isprintable() and any(_is_control(char) for char in text)
