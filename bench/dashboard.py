"""The dashboard's speed, and the storage a visit takes, at a year of synthetic traffic.

For each size (``BENCH_SIZES``, visits; ``BENCH_QUICK=1``: 100,000): a fresh database is
seeded through the product's own storage code (``seeding``: sessions, texts and counts
included, as the beacon's writer makes them), SQLite's file is measured after ``VACUUM``
(``storage``), then the product is served (1 worker) and the owner's dashboard is fetched
over HTTP, whole (every panel, the chart, the page rendered), for the last 30 days and the
last 12 months, and for 30 days filtered by a source: the median of ``RUNS`` fetches after
one to warm up. PostgreSQL (``TRACKING_TEST_POSTGRES_URL``) is timed the same way at
``BENCH_PG_SIZES`` (default 1,000,000). Prints a table; asserts nothing about time.
"""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
import httpx2

from bench import databases, servers
from bench.seeding import EMAIL, PASSWORD, add_site, seed
from bench.storage import Storage, measure

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RUNS = 5 if QUICK else 15
VIEWS = (
    ("30 days", "range=30d"),
    ("12 months", "range=12mo"),
    ("30 days, filtered", "range=30d&source=Google"),
)


def _sizes(variable: str, default: str) -> list[int]:
    raw = os.environ.get(variable) or ("100000" if QUICK else default)
    return [int(size) for size in raw.replace("_", "").split(",") if size.strip()]


@attrs.frozen
class Timed:
    backend: str
    visits: int
    seed_seconds: float
    storage: Storage | None
    #: View label -> median milliseconds.
    p50_ms: dict[str, float]


def main() -> list[Timed]:
    results = []
    with tempfile.TemporaryDirectory(prefix="tracking-dashboard-") as folder:
        for size in _sizes("BENCH_SIZES", "1000000,10000000"):
            results.append(_sqlite(size, Path(folder)))
        postgres = os.environ.get("TRACKING_TEST_POSTGRES_URL")
        if postgres:
            for size in _sizes("BENCH_PG_SIZES", "1000000"):
                results.append(_postgres(size, postgres, Path(folder)))
    print_table(results)
    return results


def _sqlite(size: int, folder: Path) -> Timed:
    path = folder / f"dashboard-{size}.db"
    url = f"sqlite:///{path}"
    print(f"dashboard on SQLite, {size:,} visits: seeding ...", flush=True)
    databases.migrate(url)
    seconds = seed(url, size, site_id=add_site(url), progress=_progress(size))
    print(
        f"  seeded in {seconds:.0f} s ({size / seconds:,.0f}/s); measuring the file ...", flush=True
    )
    storage = measure(path)
    timed = _time_dashboard(url, folder)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Timed("SQLite", size, seconds, storage, timed)


def _postgres(size: int, server_url: str, folder: Path) -> Timed:
    with databases.empty_postgres(server_url) as url:
        print(f"dashboard on PostgreSQL, {size:,} visits: seeding ...", flush=True)
        databases.migrate(url)
        seconds = seed(url, size, site_id=add_site(url), progress=_progress(size))
        print(f"  seeded in {seconds:.0f} s ({size / seconds:,.0f}/s)", flush=True)
        return Timed("PostgreSQL", size, seconds, None, _time_dashboard(url, folder))


def _progress(size: int) -> Callable[[int, float], None]:
    step = max(size // 10, 1)

    def report(done: int, seconds: float) -> None:
        if done % step < 5000:
            print(f"  {done:,} visits in {seconds:.0f} s", flush=True)

    return report


def _time_dashboard(database_url: str, folder: Path) -> dict[str, float]:
    with (
        servers.product(1, database_url, folder / "data") as server,
        _logged_in(server.base) as client,
    ):
        timed = {}
        for label, query in VIEWS:
            assert client.get(f"/sites/1?{query}").status_code == 200  # warm-up
            runs = []
            for _ in range(RUNS):
                started = time.perf_counter()
                response = client.get(f"/sites/1?{query}")
                runs.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text[:500]
            timed[label] = statistics.median(runs) * 1000
            print(f"  {label}: p50 {timed[label]:.0f} ms (min {min(runs) * 1000:.0f})", flush=True)
        return timed


@contextmanager
def _logged_in(base: str) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=base, timeout=120) as client:
        form = client.get("/login/").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        data = {"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}
        assert client.post("/login/", data=data).status_code == 303
        yield client


def print_table(results: list[Timed]) -> None:
    print("\nDashboard, whole HTTP response (1 worker), p50 of", RUNS, "fetches:")
    header = f"{'':24} {'seed':>8} {'bytes/visit':>12}" + "".join(
        f" {label:>18}" for label, _ in VIEWS
    )
    print(header)
    print("-" * len(header))
    for r in results:
        per_visit = f"{r.storage.per_visit:.1f}" if r.storage else "-"
        cells = "".join(f" {r.p50_ms[label]:>15.0f} ms" for label, _ in VIEWS)
        name = f"{r.backend}, {r.visits:,}"
        print(f"{name:24} {r.seed_seconds:>7.0f}s {per_visit:>12}{cells}")
    for r in results:
        if r.storage:
            parts = ", ".join(
                f"{name} {size / r.visits:.1f}"
                for name, size in r.storage.parts.items()
                if size / r.visits >= 0.5
            )
            size_mb = r.storage.file_bytes / 1e6
            print(f"  {r.backend} {r.visits:,}: {size_mb:,.0f} MB; per visit: {parts}")
