"""Where it is safe to send someone after they log in."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, default: str = "/sites") -> str:
    """``target`` if it is a path on this site, else ``default``.

    Browsers forgive a lot (``//host``, ``/\\host``, tabs and newlines stripped from
    ``/\\t/host``), so anything but a plain absolute path is refused rather than repaired.
    """
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in target)
    ):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
