from __future__ import annotations

from collections.abc import Mapping

from tracking_core.entities import Location
from tracking_core.errors import GeodataUnavailable
from tracking_core.ports import IPAddress


class StaticGeodata:
    """Knows the locations it was given; remembers every address it was asked about.

    Set ``failing`` to play a service that is down: ``lookup`` raises, ``locate`` knows nothing.
    """

    def __init__(self, known: Mapping[str, Location] | None = None) -> None:
        self.known = dict(known or {})
        self.asked: list[str] = []
        self.failing = False

    def locate(self, ip: IPAddress) -> Location | None:
        try:
            return self.lookup(ip)
        except GeodataUnavailable:
            return None

    def lookup(self, ip: IPAddress) -> Location | None:
        self.asked.append(str(ip))
        if self.failing:
            raise GeodataUnavailable(f"the geodata service is down (asked about {ip})")
        return self.known.get(str(ip))
