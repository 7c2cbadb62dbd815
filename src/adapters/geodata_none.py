"""The ``Geodata`` port when no geodata service is configured: every address is unknown."""

from __future__ import annotations

from tracking_core.entities import Location
from tracking_core.ports import IPAddress


class NoGeodata:
    """Knows no locations, so visits are recorded without one rather than not at all."""

    def locate(self, ip: IPAddress) -> Location | None:
        return None

    def lookup(self, ip: IPAddress) -> Location | None:
        return None
