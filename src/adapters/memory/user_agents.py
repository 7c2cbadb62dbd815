from __future__ import annotations

from collections.abc import Mapping

from tracking_core.reports.agents import Agent


class StaticUserAgentParser:
    """Knows the agents it was given (anything else is ``Agent()``); remembers what it parsed.

    For tests of code that needs a parser but not ua-parser's 0.1 s start-up.
    """

    def __init__(self, known: Mapping[str, Agent] | None = None) -> None:
        self.known = dict(known or {})
        self.parsed: list[str] = []

    def parse(self, user_agent: str) -> Agent:
        self.parsed.append(user_agent)
        return self.known.get(user_agent, Agent())
