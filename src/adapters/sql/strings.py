"""Texts stored once per site and referred to by id, with the ids remembered in memory.

The writer asks for the ids of a batch's texts inside its transaction: what the cache knows
costs nothing; the rest is read, and what is still missing is inserted with
``ON CONFLICT DO NOTHING`` and read again, so two worker processes adding the same text at
once end up with the one id. Inserts go in a fixed order (by site and digest), so two
transactions inserting the same new texts cannot deadlock on PostgreSQL. Ids learnt in a
transaction are remembered only once it has committed: a rolled-back insert leaves no id
behind that does not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, select

from adapters.sql import driver, tables

#: Texts remembered per process, at most; beyond, the cache starts over (ids are stable).
MAX_REMEMBERED = 200_000
_CHUNK = 500

Key = tuple[int, str]  # (site id, text)


def digest(value: str) -> bytes:
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class StringIds:
    def __init__(self) -> None:
        self._ids: dict[Key, int] = {}
        self._unsaved: list[Key] = []

    def ids(self, connection: Connection, keys: Iterable[Key]) -> dict[Key, int]:
        """A mapping that has the id of each (site, text) of ``keys``, adding the texts not
        stored yet, in ``connection``'s transaction: call it inside ``transaction()``."""
        known = self._ids
        missing = [key for key in keys if key not in known]
        if missing:
            learnt = self._read(connection, missing)
            new = [key for key in missing if key not in learnt]
            if new:
                learnt.update(self._insert(connection, new))
                raced = [key for key in new if key not in learnt]
                if raced:  # another worker stored them first
                    learnt.update(self._read(connection, raced))
            if len(known) + len(learnt) > MAX_REMEMBERED:
                known = self._ids = {}
            known.update(learnt)
            self._unsaved.extend(learnt)
        return known

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Around a transaction that asks for ids: if it fails (does not reach its commit),
        the ids it added are forgotten, as the database forgot them."""
        try:
            yield
        except BaseException:
            for key in self._unsaved:
                self._ids.pop(key, None)
            raise
        finally:
            self._unsaved.clear()

    @staticmethod
    def _read(connection: Connection, keys: list[Key]) -> dict[Key, int]:
        strings = tables.strings
        found: dict[Key, int] = {}
        for site, by_digest in _by_site(keys).items():
            digests = sorted(by_digest)
            for start in range(0, len(digests), _CHUNK):
                rows = connection.execute(
                    select(strings.c.id, strings.c.digest).where(
                        strings.c.site_id == site,
                        strings.c.digest.in_(digests[start : start + _CHUNK]),
                    )
                )
                for row in rows:
                    found[site, by_digest[bytes(row.digest)]] = row.id
        return found

    @staticmethod
    def _insert(connection: Connection, keys: list[Key]) -> dict[Key, int]:
        """Insert ``keys`` (in a fixed order); the ids of those this statement inserted.

        A text another transaction inserted meanwhile is skipped (and read afterwards).
        """
        mark = driver.mark(connection)
        inserted: dict[Key, int] = {}
        for site, by_digest in sorted(_by_site(keys).items()):
            digests = sorted(by_digest)
            for start in range(0, len(digests), _CHUNK):
                chunk = digests[start : start + _CHUNK]
                rows = ", ".join([f"({mark}, {mark}, {mark})"] * len(chunk))
                statement = (
                    f"INSERT INTO strings (site_id, digest, value) VALUES {rows} "  # noqa: S608
                    "ON CONFLICT (site_id, digest) DO NOTHING RETURNING id, digest"
                )
                flat = [v for d in chunk for v in (site, d, by_digest[d])]
                for new_id, stored in driver.execute(connection, statement, flat):
                    inserted[site, by_digest[bytes(stored)]] = new_id
        return inserted


def _by_site(keys: list[Key]) -> dict[int, dict[bytes, str]]:
    """Texts grouped by site, each under its digest."""
    grouped: dict[int, dict[bytes, str]] = {}
    for site, value in keys:
        grouped.setdefault(site, {})[digest(value)] = value
    return grouped


def texts(connection: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    """The texts of ``ids`` (None is skipped), for reading visits back."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, str] = {}
    strings = tables.strings
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = connection.execute(
            select(strings.c.id, strings.c.value).where(strings.c.id.in_(chunk))
        )
        found.update({row.id: row.value for row in rows})
    return found
