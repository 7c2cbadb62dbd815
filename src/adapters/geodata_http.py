"""Locate visitors through a freegeoip-style JSON service over HTTP.

The service is outside our control and is asked while a visit is being recorded, so its answer
is untrusted: bounded in time and size, checked field by field, and any failure becomes
"unknown" (None) with one warning line instead of an exception.
"""

from __future__ import annotations

import json
import logging
import time
import unicodedata
from urllib.parse import quote, urlsplit

import requests
import urllib3

from tracking_core.entities import Location
from tracking_core.errors import GeodataUnavailable
from tracking_core.ports import IPAddress

logger = logging.getLogger(__name__)

_MAX_TEXT = 100
_READ_SIZE = 8192
# Control characters and lone surrogates (which PostgreSQL cannot store as UTF-8), plus the
# bidirectional overrides that can make a label display as something it is not.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class _Unusable(ValueError):
    """An answer we refuse; a ValueError so it is handled with bad JSON and bad UTF-8."""


class HttpGeodata:
    """The ``Geodata`` port over HTTP, e.g. ``HttpGeodata("http://geo:8080/json/{ip}")``.

    Owns its ``requests.Session`` (and ``close()`` releases it) only when none is given: a
    session passed in belongs to the caller, typically the app's lifespan.
    """

    def __init__(
        self,
        url_template: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 2.0,
        max_bytes: int = 64 * 1024,
    ) -> None:
        try:
            parts = urlsplit(url_template)
        except ValueError as error:
            raise ValueError(f"geodata URL is not a valid URL: {url_template!r}") from error
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"geodata URL must start with http:// or https://: {url_template!r}")
        if "{ip}" not in url_template:
            raise ValueError(f"geodata URL must contain {{ip}} for the address: {url_template!r}")
        self._template = url_template
        self._owns_session = session is None
        self._session = requests.Session() if session is None else session
        self._timeout = timeout
        self._max_bytes = max_bytes

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def locate(self, ip: IPAddress) -> Location | None:
        try:
            return self.lookup(ip)
        except GeodataUnavailable as error:
            logger.warning("%s", error)
            return None

    def lookup(self, ip: IPAddress) -> Location | None:
        url = self._template.replace("{ip}", quote(str(ip), safe=":"))
        # Each network wait is bounded by requests; the deadline also bounds a server that
        # trickles its body a byte at a time, which no per-read timeout would catch.
        deadline = time.monotonic() + self._timeout
        status: int | None = None
        try:
            with self._session.get(
                url,
                timeout=(self._timeout, self._timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                status = response.status_code
                answer = self._read_object(response, deadline)
        # ValueError covers JSONDecodeError, UnicodeDecodeError and _Unusable; urllib3 errors
        # come from reading the raw body; RecursionError from deeply nested JSON.
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            ValueError,
            RecursionError,
        ) as error:
            reason = str(error) if isinstance(error, _Unusable) else type(error).__name__
            message = f"geodata lookup for {ip} failed (status {status}): {reason}"
            raise GeodataUnavailable(message) from None
        location = _to_location(answer)
        return None if location.is_empty() else location

    def _read_object(self, response: requests.Response, deadline: float) -> dict[str, object]:
        if response.status_code != 200:
            raise _Unusable("status is not 200")
        declared = response.headers.get("Content-Length")
        if declared is not None and int(declared) > self._max_bytes:
            raise _Unusable(f"declared body is over {self._max_bytes} bytes")
        body = bytearray()
        # read1 returns whatever has arrived, so the deadline is checked as data trickles in.
        while chunk := response.raw.read1(_READ_SIZE, decode_content=True):
            body += chunk
            if len(body) > self._max_bytes:
                raise _Unusable(f"body is over {self._max_bytes} bytes")
            if time.monotonic() > deadline:
                raise _Unusable(f"answer took over {self._timeout} s")
        answer = json.loads(body.decode("utf-8"))
        if not isinstance(answer, dict):
            raise _Unusable("answer is not a JSON object")
        return answer


def _to_location(answer: dict[str, object]) -> Location:
    return Location(
        city=_text(answer.get("city")),
        zip_code=_text(answer.get("zip_code")) or _text(answer.get("zipcode")),
        region_name=_text(answer.get("region_name")),
        country_code=_text(answer.get("country_code")),
        country_name=_text(answer.get("country_name")),
        latitude=_number(answer.get("latitude"), limit=90),
        longitude=_number(answer.get("longitude"), limit=180),
    )


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    kept = "".join(
        char
        for char in value
        if unicodedata.category(char) not in _DROPPED_CATEGORIES and char not in _BIDI_CONTROLS
    )
    return kept.strip()[:_MAX_TEXT].rstrip() or None


def _number(value: object, *, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # The comparison is False for NaN and infinities, and exact (no overflow) for huge ints.
    if not -limit <= value <= limit:
        return None
    return float(value)
