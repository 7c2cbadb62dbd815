"""The ua-parser adapter, with real user agents: browsers, systems, devices and bots.

The adapter is tested here, with the unit tests, because ua-parser runs in-process and fast:
loading its rules takes about 0.1 s, once for the module.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory import StaticUserAgentParser
from adapters.user_agents import UaParserUserAgentParser
from tracking_core.ports import UserAgentParser
from tracking_core.reports.agents import UNKNOWN, Agent, DeviceType

D, M, T, B = DeviceType.DESKTOP, DeviceType.MOBILE, DeviceType.TABLET, DeviceType.BOT

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
PEOPLE = [
    (CHROME_WINDOWS, "Chrome", "124", "Windows", D),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Firefox",
        "125",
        "Linux",
        D,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4.1 Safari/605.1.15",
        "Safari",
        "17",
        "macOS",
        D,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
        "Edge",
        "124",
        "Windows",
        D,
    ),
    (
        "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Chrome",
        "120",
        "Chrome OS",
        D,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Safari",
        "17",
        "iOS",
        M,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Chrome",
        "124",
        "iOS",
        M,
    ),
    (
        "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4.1 Mobile/15E148 Safari/604.1",
        "Safari",
        "17",
        "iOS",
        T,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
        "Chrome",
        "124",
        "Android",
        M,
    ),
    (  # Chrome's reduced user agent: no model, "Mobile" tells a phone from a tablet
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36",
        "Chrome",
        "124",
        "Android",
        M,
    ),
    (
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "Chrome",
        "124",
        "Android",
        T,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "Samsung Internet",
        "24",
        "Android",
        M,
    ),
    (
        "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0",
        "Firefox",
        "125",
        "Android",
        T,
    ),
    (  # a Cubot phone: "bot" in the model name does not make it a bot
        "Mozilla/5.0 (Linux; Android 10; CUBOT_X19) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Mobile Safari/537.36",
        "Chrome",
        "120",
        "Android",
        M,
    ),
]

BOTS = {
    "Googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Googlebot smartphone": (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    ),
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "GPTBot": (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; "
        "+https://openai.com/gptbot)"
    ),
    "UptimeRobot": "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "facebook preview": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "any bot": "ExampleBot/1.0 (+https://example.org/bot)",
    "HeadlessChrome": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/124.0.0.0 Safari/537.36"
    ),
    "Lighthouse": (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse"
    ),
    "PhantomJS": (
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
        "PhantomJS/2.1.1 Safari/538.1"
    ),
    "curl": "curl/8.5.0",
    "Wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.31.0",
    "Go": "Go-http-client/1.1",
    "axios": "axios/1.6.8",
    "node-fetch": "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
}


@pytest.fixture(scope="module")
def parser() -> UaParserUserAgentParser:
    return UaParserUserAgentParser()


@pytest.mark.parametrize(("ua", "browser", "version", "os", "device"), PEOPLE)
def test_browsers_systems_and_devices_of_people_are_named(
    parser: UaParserUserAgentParser,
    ua: str,
    browser: str,
    version: str,
    os: str,
    device: DeviceType,
) -> None:
    assert parser.parse(ua) == Agent(browser, version, os, device, is_bot=False)


@pytest.mark.parametrize("ua", BOTS.values(), ids=BOTS.keys())
def test_crawlers_monitors_and_headless_browsers_are_bots(
    parser: UaParserUserAgentParser, ua: str
) -> None:
    agent = parser.parse(ua)

    assert agent.is_bot
    assert agent.device_type is DeviceType.BOT


@pytest.mark.parametrize("ua", ["", "   ", "x" * 10_240, "\x00\x01garbage\uffff", "Mozilla/5.0"])
def test_empty_or_junk_agents_are_unknown_people(parser: UaParserUserAgentParser, ua: str) -> None:
    agent = parser.parse(ua)

    assert agent.browser == agent.os == UNKNOWN
    assert agent.device_type is DeviceType.UNKNOWN
    assert not agent.is_bot


def test_a_repeated_agent_is_answered_from_the_cache(parser: UaParserUserAgentParser) -> None:
    assert parser.parse(CHROME_WINDOWS) is parser.parse(CHROME_WINDOWS)


@settings(max_examples=50)
@given(st.text(max_size=300))
def test_parsing_never_raises(parser: UaParserUserAgentParser, text: str) -> None:
    agent = parser.parse(text)

    assert agent.browser
    assert agent.os
    assert agent.is_bot == (agent.device_type is DeviceType.BOT)


def test_the_parsers_satisfy_the_port(parser: UaParserUserAgentParser) -> None:
    parsers: list[UserAgentParser] = [parser, StaticUserAgentParser()]

    assert all(isinstance(p.parse(""), Agent) for p in parsers)


def test_the_static_parser_knows_what_it_was_told() -> None:
    mobile = Agent("Safari", "17", "iOS", DeviceType.MOBILE)
    parser = StaticUserAgentParser({"iPhone": mobile})

    assert (parser.parse("iPhone"), parser.parse("other")) == (mobile, Agent())
    assert parser.parsed == ["iPhone", "other"]
