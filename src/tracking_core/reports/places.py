"""How a location is named in the countries, regions and cities lists.

Region and city names repeat across countries (Georgia, Córdoba, Springfield), so a region
is listed with its country ("Georgia, US") and a city with its region and country, as
``Location.describe`` writes it. A country is its name when the geodata gives one, else its
code. Each part the geodata does not know is None.
"""

from __future__ import annotations

import functools
import json

import attrs

from tracking_core.entities import Location


@attrs.frozen
class Place:
    country: str | None = None
    region: str | None = None
    city: str | None = None


@functools.lru_cache(maxsize=8192)
def place_of(location: Location | None) -> Place:
    if location is None:
        return Place()
    country = location.country_name or location.country_code
    region = (
        ", ".join(p for p in (location.region_name, country) if p) if location.region_name else None
    )
    city = location.describe() if location.city else None
    return Place(country, region, city)


@functools.lru_cache(maxsize=8192)
def location_text(location: Location) -> str:
    """A location as one canonical text (JSON), to be stored once and read back."""
    return json.dumps(attrs.asdict(location), ensure_ascii=False, sort_keys=True)


def location_from_text(text: str) -> Location:
    fields = json.loads(text)
    return Location(**{field.name: fields.get(field.name) for field in attrs.fields(Location)})
