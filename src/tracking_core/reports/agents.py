"""What a user agent says about the browser, the system and the device behind a visit.

The parsing itself is an adapter's job (see ``ports.UserAgentParser``): user agents are a
moving target best left to a maintained rule set. What stays here is the vocabulary and the
one rule that mixes in what the tracking script measured: the screen width.
"""

from __future__ import annotations

from enum import StrEnum

import attrs

UNKNOWN = "Unknown"

#: Screens narrower than this (in CSS pixels) are phones: the common "md" breakpoint, and
#: the width of an iPad held upright, the narrowest tablet in common use.
TABLET_MIN_WIDTH = 768
#: Screens from ``TABLET_MIN_WIDTH`` up to (not including) this are tablets: a 1024 px wide
#: screen is an iPad Pro or a small laptop, and laptops are the likelier.
DESKTOP_MIN_WIDTH = 1024


class DeviceType(StrEnum):
    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    BOT = "bot"
    UNKNOWN = "unknown"


@attrs.frozen
class Agent:
    """A parsed user agent. Families are display names such as "Firefox" or "Windows"."""

    browser: str = UNKNOWN
    #: The major version as written ("124"), or None when the agent does not say.
    browser_version: str | None = None
    os: str = UNKNOWN
    #: What the user agent alone suggests; ``device_type`` adds the screen width.
    device_type: DeviceType = DeviceType.UNKNOWN
    #: Crawlers, monitors and scripted or headless browsers: not people, not counted.
    is_bot: bool = False


def device_type(agent: Agent, screen_width: int | None) -> DeviceType:
    """The device a visit came from, by the user agent, or by the screen when that is unclear.

    A user agent that names a phone or a tablet is believed. One that says nothing is decided
    by the screen alone. One that claims a desktop is checked against the screen too, because
    iPads (since iPadOS 13) and phones in "desktop site" mode send a desktop Mac or Linux user
    agent; desktops with screens under 1024 CSS pixels are rare enough to lose to them.
    """
    if agent.is_bot:
        return DeviceType.BOT
    claimed = agent.device_type
    if claimed in (DeviceType.MOBILE, DeviceType.TABLET, DeviceType.BOT):
        return claimed
    if screen_width is None:
        return claimed
    if screen_width < TABLET_MIN_WIDTH:
        return DeviceType.MOBILE
    if screen_width < DESKTOP_MIN_WIDTH:
        return DeviceType.TABLET
    return DeviceType.DESKTOP
