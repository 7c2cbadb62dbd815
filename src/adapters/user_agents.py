"""User agents read by ua-parser: the maintained uap-core rules, matched by its Rust resolver.

Hand-written regexes rot within months; uap-core is updated as browsers and bots appear.
This adapter only translates its answer into the core's ``Agent`` and adds what uap-core
leaves out:

- Bots: uap-core calls every crawler it knows a "Spider" device (Googlebot, bingbot, GPTBot,
  UptimeRobot, and any agent with "bot", "crawler" or "spider" in its name, but not a Cubot
  phone). It names, without flagging them, headless browsers and HTTP libraries, which never
  run the tracking script for a person: ``_NOT_PEOPLE`` lists those (checked 2026 against
  ua-parser-builtins 202610; the tests pin each case).
- Device types: uap-core names devices ("iPhone", "SM-X700"), not kinds. An Android agent
  without "Mobile" is a tablet (Google's own advice to browser makers); a known desktop
  system on no named device is a desktop; anything else is left to the screen width.
- Names: the mobile builds of a browser are listed under the browser ("Mobile Safari" is
  "Safari"); the device type already says "mobile". "Mac OS X" is "macOS".

Agents repeat (a site sees a few hundred distinct ones a day), so answers are kept in an LRU
cache: a repeat costs a dictionary lookup instead of a regex scan.
"""

from __future__ import annotations

import functools

from ua_parser import Parser, Result, load_lazy_builtins
from ua_parser.regex import Resolver

from tracking_core.reports.agents import UNKNOWN, Agent, DeviceType

#: Agents longer than this are cut before parsing: no real one is, and it bounds the work.
MAX_LENGTH = 1024

_NOT_PEOPLE = (
    "headlesschrome",  # Puppeteer, Playwright and Selenium driving headless Chrome
    "phantomjs",
    "lighthouse",  # PageSpeed Insights and Chrome's audits ("Chrome-Lighthouse")
    "google-site-verification",
    "curl/",
    "wget/",
    "python-requests/",
    "python-urllib/",
    "go-http-client/",
    "axios/",
    "node-fetch/",
    "apache-httpclient/",
    "okhttp/",
)
_RENAMED = {
    "Mobile Safari": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Mac OS X": "macOS",
}
_MOBILE_SYSTEMS = frozenset({"iOS", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS"})
_DESKTOP_DEVICES = frozenset({"Other", "Mac"})


class UaParserUserAgentParser:
    """The production ``UserAgentParser``. Build one per process: loading rules takes ~0.1 s."""

    def __init__(self, cache_size: int = 10_000) -> None:
        self._parser = Parser(Resolver(load_lazy_builtins()))
        self._cached = functools.lru_cache(maxsize=cache_size)(self._parse_uncached)

    def parse(self, user_agent: str) -> Agent:
        return self._cached(user_agent[:MAX_LENGTH])

    def _parse_uncached(self, user_agent: str) -> Agent:
        if not user_agent.strip():
            return Agent()
        result = self._parser.parse(user_agent)
        lowered = user_agent.lower()
        is_bot = (result.device is not None and result.device.family == "Spider") or any(
            marker in lowered for marker in _NOT_PEOPLE
        )
        browser = result.user_agent
        return Agent(
            browser=_name(browser.family if browser else None),
            browser_version=browser.major if browser and browser.family != "Other" else None,
            os=_name(result.os.family if result.os else None),
            device_type=DeviceType.BOT if is_bot else _device_type(result, lowered),
            is_bot=is_bot,
        )


def _name(family: str | None) -> str:
    if family is None or family == "Other":
        return UNKNOWN
    return _RENAMED.get(family, family)


def _device_type(result: Result, lowered: str) -> DeviceType:
    system = result.os.family if result.os else "Other"
    device = result.device.family if result.device else "Other"
    if device == "iPad" or "tablet" in device.lower() or "kindle" in device.lower():
        return DeviceType.TABLET
    if system == "Android":
        return DeviceType.MOBILE if "mobile" in lowered else DeviceType.TABLET
    if system in _MOBILE_SYSTEMS or device in ("iPhone", "iPod"):
        return DeviceType.MOBILE
    if system != "Other" and device in _DESKTOP_DEVICES:
        return DeviceType.DESKTOP
    return DeviceType.UNKNOWN
