"""``python -m bench``: the beacon's throughput and latency against a bare Starlette app.

In one run: a bare Starlette app answering 204 (uvicorn, uvloop + httptools, no access log) and
the product (fresh SQLite database; and a fresh PostgreSQL one when
``TRACKING_TEST_POSTGRES_URL`` is set), each with 1 and 2 workers, under the same load from the
same generator on loopback. Prints req/s (median of 3 runs), p50/p99, the ratio to the bare app
on the same worker count, p99 at half the peak rate, the RSS under load of all the server's
processes (workers and visit writers) per worker, and 204s against rows stored. Then the
product with its geodata service answering at once vs in 10 s; and the CPU time per beacon of
each kind of process, with the cores busy (``bench/cpu.py``). ``BENCH_QUICK=1`` runs each
measurement once, shorter. Benchmarks are not tests: this prints figures and asserts nothing
about time.

Runs are paired: the bare app and the product run side by side (the idle one costs nothing),
and each run of the product follows a run of the bare app, so each ratio compares two runs a
few seconds apart. The ratio printed is the median of the runs' ratios. These machines' speed
drifts by a third within minutes: a bare app measured once at the start made the ratios of the
configurations measured last depend on that drift.

Then the dashboard's speed and the storage per visit at a year of synthetic traffic
(``bench/dashboard.py``; ``BENCH_SIZES``, ``BENCH_PG_SIZES``). ``BENCH_ONLY=ingestion`` or
``BENCH_ONLY=dashboard`` runs one half.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

from bench import cpu, dashboard, databases, servers
from bench.geodata import geodata_service
from bench.load import LoadResult, closed_loop, fixed_rate, have_wrk

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SECONDS = 2.0 if QUICK else 5.0
RUNS = 1 if QUICK else 3
WORKERS = (1, 2)


@attrs.frozen
class Measured:
    rate: float
    p50_ms: float
    p99_ms: float
    #: The bare app's median rate in the runs paired with these, and the median of the ratios.
    bare_rate: float = 0.0
    ratio: float = 0.0
    s204: int = 0
    rows: int = 0
    #: The largest RSS of a process serving requests.
    rss_mb: float = 0.0
    #: The largest total RSS of all the server's processes, per worker.
    all_mb: float = 0.0
    half_p99_ms: float | None = None
    half_rate: float | None = None
    #: CPU time per beacon in the product's runs and in the bare app's (medians of the runs).
    cpu_use: cpu.CpuUse | None = None
    bare_cpu_use: cpu.CpuUse | None = None


@attrs.frozen
class Paired:
    """Runs of two servers, alternating: ``first[i]`` just before ``second[i]``."""

    first: list[LoadResult]
    second: list[LoadResult]
    first_cpu: list[cpu.CpuUse]
    second_cpu: list[cpu.CpuUse]


def main() -> int:
    only = os.environ.get("BENCH_ONLY", "")
    status = 0 if only == "dashboard" else ingestion()
    if only != "ingestion":
        dashboard.main()
    return status


def ingestion() -> int:
    postgres = os.environ.get("TRACKING_TEST_POSTGRES_URL") or None
    generator = (
        "wrk (Debian package), 2 threads, 64 connections, bench/beacon.lua"
        if have_wrk()
        else "Python asyncio generator (wrk not installed), 64 connections"
    )
    print(f"Load generator: {generator}; {SECONDS:g} s per run, median of {RUNS}.")
    print("p99 at half peak: Python generator on a fixed schedule (latency from the scheduled")
    print("send time), 64 connections, at half the product's median rate, after a 1 s")
    print(f"warm-up at that rate; the median p99 of {RUNS} runs.")
    print("Each product run follows a bare-app run on the same worker count; ratio: the median")
    print("of the pairs' ratios.\n", flush=True)
    backends = [("SQLite", None), *([("PostgreSQL", postgres)] if postgres else [])]
    product: dict[tuple[str, int], Measured] = {}
    with tempfile.TemporaryDirectory(prefix="tracking-bench-") as folder:
        for name, server_url in backends:
            for workers in WORKERS:
                product[name, workers] = measure_product(name, server_url, workers, Path(folder))
        geodata = measure_geodata(Path(folder))
    print_table(product)
    if cpu.available():
        print_cpu(product)
    print_geodata(geodata)
    if not postgres:
        print("\nPostgreSQL skipped: set TRACKING_TEST_POSTGRES_URL to include it.")
    mismatched = [key for key, m in product.items() if m.s204 != m.rows]
    return 1 if mismatched else 0


def median_of(runs: list[LoadResult]) -> LoadResult:
    ordered = sorted(runs, key=lambda run: run.rate)
    return ordered[len(ordered) // 2]


def paired_runs(first: servers.Server, second: servers.Server, *, database: bool) -> Paired:
    """``RUNS`` runs of each, a run of ``first`` just before each of ``second``; where
    ``/proc`` tells, their CPU time, the second's counting PostgreSQL's with ``database``."""
    paired = Paired([], [], [], [])
    for _ in range(RUNS):
        for server, runs, uses, its_database in (
            (first, paired.first, paired.first_cpu, False),
            (second, paired.second, paired.second_cpu, database),
        ):
            meter = cpu.Meter(server, database=its_database) if cpu.available() else None
            run = closed_loop(server.base, SECONDS, meter=meter)
            runs.append(run)
            if meter is not None:
                uses.append(meter.use(run))
    return paired


def median_ratio(runs: list[LoadResult], baseline: list[LoadResult]) -> float:
    return statistics.median(run.rate / base.rate for run, base in zip(runs, baseline, strict=True))


def measure_product(name: str, server_url: str | None, workers: int, folder: Path) -> Measured:
    print(f"product on {name}, {workers} worker(s), beside the bare app ...", flush=True)
    with fresh_database(name, server_url, folder) as url, servers.bare(workers) as bare:
        with servers.product(workers, url, folder / "data") as server:
            closed_loop(bare.base, 1.0)  # warm-up
            acknowledged = closed_loop(server.base, 1.0).s204
            with peak_rss(server) as rss:
                paired = paired_runs(bare, server, database=server_url is not None)
            bare_runs, runs = paired.first, paired.second
            acknowledged += sum(run.s204 for run in runs)
            best = median_of(runs)
            # A second at the new rate first, as the closed loop has its warm-up: the
            # database is still digesting the burst (checkpoints, autovacuum) at its start.
            acknowledged += fixed_rate(server.base, 1.0, rate=best.rate / 2).s204
            halves = [fixed_rate(server.base, SECONDS, rate=best.rate / 2) for _ in range(RUNS)]
            acknowledged += sum(run.s204 for run in halves)
            half = sorted(halves, key=lambda run: run.p99_ms)[len(halves) // 2]
        rows = databases.count_visits(url)
    return Measured(
        best.rate,
        best.p50_ms,
        best.p99_ms,
        bare_rate=median_of(bare_runs).rate,
        ratio=median_ratio(runs, bare_runs),
        s204=acknowledged,
        rows=rows,
        rss_mb=rss()[0],
        all_mb=rss()[1],
        half_p99_ms=half.p99_ms,
        half_rate=half.rate,
        cpu_use=cpu.median_use(paired.second_cpu) if paired.second_cpu else None,
        bare_cpu_use=cpu.median_use(paired.first_cpu) if paired.first_cpu else None,
    )


def measure_geodata(folder: Path) -> dict[str, Measured]:
    """SQLite, 1 worker, with visits' locations looked up: a prompt service vs a 10 s one,
    the two servers side by side and their runs paired (the slowed one's after the normal's)."""
    print("product on SQLite, 1 worker, geodata normal vs slowed to 10 s ...", flush=True)
    urls: dict[str, str] = {}
    results = {}
    with contextlib.ExitStack() as databases_and_services:
        with contextlib.ExitStack() as running:
            started = {}
            for label, delay in (("normal", 0.0), ("slowed to 10 s", 10.0)):
                geodata_url = databases_and_services.enter_context(geodata_service(delay))
                place = folder / f"geodata-{delay:g}s"
                url = databases_and_services.enter_context(fresh_database("SQLite", None, place))
                urls[label] = url
                started[label] = running.enter_context(
                    servers.product(1, url, place / "data", TRACKING_GEODATA_URL=geodata_url)
                )
            acknowledged = {label: closed_loop(s.base, 1.0).s204 for label, s in started.items()}
            paired = paired_runs(started["normal"], started["slowed to 10 s"], database=False)
            normal_runs, slowed_runs = paired.first, paired.second
        # The servers have stopped (every acknowledged visit written): count before the
        # databases go.
        for label, runs in (("normal", normal_runs), ("slowed to 10 s", slowed_runs)):
            best = median_of(runs)
            results[label] = Measured(
                best.rate,
                best.p50_ms,
                best.p99_ms,
                s204=acknowledged[label] + sum(run.s204 for run in runs),
                rows=databases.count_visits(urls[label]),
                ratio=median_ratio(runs, normal_runs),
            )
    return results


@contextmanager
def fresh_database(name: str, server_url: str | None, folder: Path) -> Iterator[str]:
    if name == "SQLite":
        with databases.fresh_sqlite(folder / "db") as url:
            yield url
    else:
        assert server_url is not None
        with databases.fresh_postgres(server_url) as url:
            yield url


@contextmanager
def peak_rss(server: servers.Server) -> Iterator[Callable[[], tuple[float, float]]]:
    """Samples the VmRSS of the server's processes twice a second; yields a function giving the
    largest seen of a serving process, and of all of them together per worker (the visit
    writers included; shared pages are counted in each process, so it overstates)."""
    peak = [0.0, 0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            with contextlib.suppress(OSError):  # a process that just exited
                total = sum(servers.rss_mb(pid) for pid in server.processes())
                peak[1] = max(peak[1], total / server.count)
                peak[0] = max([peak[0], *(servers.rss_mb(pid) for pid in server.serving())])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lambda: (peak[0], peak[1])
    finally:
        stop.set()
        sampler.join()


def print_heading(header: str) -> None:
    """A table's column names, underlined."""
    print(header)
    print("-" * len(header))


def print_table(product: dict[tuple[str, int], Measured]) -> None:
    print()
    print_heading(
        f"{'':22} {'bare/s':>8} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} "
        f"{'p99@half':>9} {'RSS MB':>7} {'all/w':>6} {'204s':>9} {'rows':>9}"
    )
    for (name, workers), m in product.items():
        half = f"{m.half_p99_ms:7.2f}ms" if m.half_p99_ms is not None else ""
        check = "" if m.s204 == m.rows else "  <-- MISMATCH"
        print(
            f"{f'{name}, {workers} worker(s)':22} {m.bare_rate:8.0f} {m.rate:8.0f} "
            f"{m.p50_ms:7.2f} {m.p99_ms:7.2f} {m.ratio:6.2f} {half:>9} {m.rss_mb:7.1f} "
            f"{m.all_mb:6.0f} {m.s204:9d} {m.rows:9d}{check}"
        )
    rates = ", ".join(
        f"{name} {workers}w at {m.half_rate:.0f}/s"
        for (name, workers), m in product.items()
        if m.half_rate
    )
    print(f"(p99@half measured at: {rates})")
    print("(bare/s: the bare app's median in the paired runs; ratio: median of the pairs' ratios)")
    print("(RSS MB: the largest serving process; all/w: all the server's processes, per worker)")


def print_cpu(product: dict[tuple[str, int], Measured]) -> None:
    print("\nCPU time per beacon, in µs, all processes (median of the runs):")
    print_heading(
        f"{'':34} {'serving':>8} {'writers':>8} {'database':>9} {'load gen.':>10} "
        f"{'total':>7} {'cores busy':>11} {'machine':>8}"
    )
    for (name, workers), m in product.items():
        for label, use in (("bare", m.bare_cpu_use), ("product", m.cpu_use)):
            if use is None:
                continue
            print(
                f"{f'{name}, {workers} worker(s), {label}':34} {use.serving:8.1f} "
                f"{use.writing:8.1f} {use.database:9.1f} {use.load:10.1f} {use.total:7.1f} "
                f"{use.cores:11.2f} {use.machine:8.2f}"
            )
    print(
        f"(cores busy: these processes together; machine: all {os.cpu_count()} cores' busy time,"
        " the kernel's interrupt work included)"
    )


def print_geodata(results: dict[str, Measured]) -> None:
    print("\nGeodata service (SQLite, 1 worker, locations looked up in the background):")
    for label, m in results.items():
        check = "" if m.s204 == m.rows else "  <-- MISMATCH"
        print(
            f"  {label:15} {m.rate:8.0f} req/s ({m.ratio:5.2f} of normal, paired)  "
            f"p99 {m.p99_ms:6.2f} ms  204s {m.s204}  rows {m.rows}{check}"
        )


if __name__ == "__main__":
    sys.exit(main())
