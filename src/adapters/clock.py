"""Clocks: the system's, and one that tests move from outside the server's process."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FileClock:
    """The time written in a file (ISO 8601, with its offset), read at every call.

    For end-to-end tests of a real server process only (``TRACKING_TEST_CLOCK_FILE``): a
    test replays days of traffic in seconds by writing the instant each request happens at.
    Reading a file per call is far too slow, and trusting a file for the time far too loose,
    for anything else. A missing or empty file is the system's time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            text = ""
        if not text:
            return datetime.now(UTC)
        instant = datetime.fromisoformat(text)
        if instant.utcoffset() is None:
            raise ValueError(f"{self.path} holds a time without an offset: {text!r}")
        return instant.astimezone(UTC)
