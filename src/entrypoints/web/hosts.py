"""The Host check, as Starlette's ``TrustedHostMiddleware`` does it, for the beacon's shortcut."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``; anything else is no valid Host header.
_HOST = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\[\]:/?#@\s]+)(?::[0-9]*)?")
#: Answers are remembered per header value; a flood of distinct junk cannot grow this forever.
_MAX_REMEMBERED = 1024


class HostCheck:
    """Whether a Host header names one of ``allowed`` (``*`` and ``*.example.com`` patterns)."""

    def __init__(self, allowed: Iterable[str]) -> None:
        self.patterns = tuple(pattern.lower() for pattern in allowed)
        self.allow_any = "*" in self.patterns
        self._seen: dict[str, bool] = {}

    def allows(self, header: str | None) -> bool:
        if self.allow_any:
            return True
        if header is None:
            return False
        answer = self._seen.get(header)
        if answer is None:
            answer = self._check(header)
            if len(self._seen) >= _MAX_REMEMBERED:
                self._seen.clear()
            self._seen[header] = answer
        return answer

    def _check(self, header: str) -> bool:
        match = _HOST.fullmatch(header)
        if match is None:
            return False
        host = match["host"].lower()
        return any(
            host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:]))
            for pattern in self.patterns
        )
