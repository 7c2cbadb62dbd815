"""The device-type rule: the user agent first, the screen width when the agent is unclear."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracking_core.reports.agents import Agent, DeviceType, device_type

widths = st.none() | st.integers(1, 100_000)


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (None, DeviceType.UNKNOWN),
        (375, DeviceType.MOBILE),
        (767, DeviceType.MOBILE),
        (768, DeviceType.TABLET),
        (1023, DeviceType.TABLET),
        (1024, DeviceType.DESKTOP),
        (2560, DeviceType.DESKTOP),
    ],
)
def test_an_agent_that_says_nothing_is_decided_by_the_screen_width(
    width: int | None, expected: DeviceType
) -> None:
    assert device_type(Agent(), width) is expected


@given(st.sampled_from([DeviceType.MOBILE, DeviceType.TABLET]), widths)
def test_an_agent_naming_a_phone_or_tablet_is_believed_whatever_the_screen(
    claimed: DeviceType, width: int | None
) -> None:
    assert device_type(Agent(device_type=claimed), width) is claimed


@given(st.sampled_from(DeviceType), widths)
def test_a_bot_is_a_bot_whatever_it_claims(claimed: DeviceType, width: int | None) -> None:
    assert device_type(Agent(device_type=claimed, is_bot=True), width) is DeviceType.BOT


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (None, DeviceType.DESKTOP),
        (1440, DeviceType.DESKTOP),
        (820, DeviceType.TABLET),  # an iPad Air, which sends a desktop Mac user agent
        (412, DeviceType.MOBILE),  # a phone asking for the "desktop site"
    ],
)
def test_a_desktop_agent_on_a_small_screen_is_an_ipad_or_a_phone_in_desktop_mode(
    width: int | None, expected: DeviceType
) -> None:
    desktop_mac = Agent(browser="Safari", os="macOS", device_type=DeviceType.DESKTOP)

    assert device_type(desktop_mac, width) is expected


@given(st.builds(Agent, device_type=st.sampled_from(DeviceType), is_bot=st.booleans()), widths)
def test_the_rule_always_gives_one_of_the_device_types(agent: Agent, width: int | None) -> None:
    result = device_type(agent, width)

    assert result in DeviceType
    assert (result is DeviceType.BOT) == (agent.is_bot or agent.device_type is DeviceType.BOT)
