from __future__ import annotations

from collections.abc import Mapping

from tracking_core.entities import Location
from tracking_core.ports import IPAddress


class StaticGeodata:
    """Knows the locations it was given; remembers every address it was asked about."""

    def __init__(self, known: Mapping[str, Location] | None = None) -> None:
        self.known = dict(known or {})
        self.asked: list[str] = []

    def locate(self, ip: IPAddress) -> Location | None:
        self.asked.append(str(ip))
        return self.known.get(str(ip))
