from __future__ import annotations

from datetime import date, datetime

import attrs


@attrs.frozen
class StoredSalt:
    salt: bytes = attrs.field(repr=False)
    created_at: datetime


class InMemorySaltStore:
    """Daily salts in a dictionary, with the same insert-if-absent rule as the SQL store."""

    def __init__(self) -> None:
        self.salts: dict[tuple[int, date], StoredSalt] = {}

    def get(self, site_id: int, day: date) -> bytes | None:
        stored = self.salts.get((site_id, day))
        return stored.salt if stored else None

    def add(self, site_id: int, day: date, salt: bytes, *, created_at: datetime) -> bytes:
        return self.salts.setdefault((site_id, day), StoredSalt(salt, created_at)).salt

    def delete_created_before(self, cutoff: datetime) -> int:
        old = [key for key, stored in self.salts.items() if stored.created_at < cutoff]
        for key in old:
            del self.salts[key]
        return len(old)
