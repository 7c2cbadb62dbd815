"""Bytes per visit on SQLite: the database file after ``VACUUM``, divided by the visits stored,
with what each table and index takes (SQLite's ``dbstat``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs


@attrs.frozen
class Storage:
    visits: int
    file_bytes: int
    #: Table or index name -> bytes.
    parts: dict[str, int]

    @property
    def per_visit(self) -> float:
        return self.file_bytes / self.visits if self.visits else 0.0


def measure(path: Path) -> Storage:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("VACUUM")
        visits = connection.execute("SELECT count(*) FROM visits").fetchone()[0]
        parts = dict(
            connection.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        )
    return Storage(visits, path.stat().st_size, parts)


def report(storage: Storage) -> str:
    lines = [
        f"{storage.visits:,} visits, {storage.file_bytes / 1e6:,.1f} MB: "
        f"{storage.per_visit:.1f} bytes per visit"
    ]
    for name, size in storage.parts.items():
        if size / storage.visits >= 0.05:
            lines.append(f"  {name:45} {size / storage.visits:7.1f} bytes/visit")
    return "\n".join(lines)


def main() -> int:
    """``python -m bench.storage [visits]``: seed a fresh SQLite database, report its size."""
    import sys
    import tempfile

    from adapters.sql.migrate import upgrade
    from bench.seeding import add_site, seed

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory(prefix="tracking-storage-") as folder:
        path = Path(folder) / "storage.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        seconds = seed(url, count, site_id=add_site(url))
        print(f"seeded {count:,} visits in {seconds:.0f} s ({count / seconds:,.0f}/s)")
        print(report(measure(path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
