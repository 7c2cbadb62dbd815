"""Load generators: wrk (from the OS packages) when present, else a Python one; and a
rate-limited Python generator for latency at a fixed rate (wrk2 is not packaged by Debian)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import attrs

LUA = Path(__file__).with_name("beacon.lua")
AGENTS = (
    b"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    b"Chrome/138.0.0.0 Safari/537.36",
    b"Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
    b"(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
)


@attrs.frozen
class LoadResult:
    generator: str
    rate: float  # beacons answered per second
    p50_ms: float
    p99_ms: float
    s204: int
    other: int


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


class Meter(Protocol):
    """Told the load generator's process id when the load starts and when it stops."""

    def begin(self, load_pid: int) -> None: ...

    def end(self, load_pid: int) -> None: ...


def closed_loop(
    base: str, seconds: float, connections: int = 64, meter: Meter | None = None
) -> LoadResult:
    """As many beacons as the server answers, from ``connections`` keep-alive connections."""
    if have_wrk():
        return _wrk(base, seconds, connections, meter)
    with _without_collector_pauses():
        return asyncio.run(_python_load(base, seconds, connections, rate=None, meter=meter))


def fixed_rate(base: str, seconds: float, rate: float, connections: int = 64) -> LoadResult:
    """Beacons at ``rate`` per second on a schedule; latency counts from the scheduled time, so
    a slow answer delays nothing unseen (no coordinated omission)."""
    with _without_collector_pauses():
        return asyncio.run(_python_load(base, seconds, connections, rate=rate))


@contextlib.contextmanager
def _without_collector_pauses() -> Iterator[None]:
    """No garbage collection while the generator runs: a full pass over the bench's own
    objects took 30-60 ms, and every request due meanwhile went out late, charged to the
    server (the p99 at half peak was the generator's pause, at the same instant each run)."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _wrk(base: str, seconds: float, connections: int, meter: Meter | None) -> LoadResult:
    with tempfile.TemporaryDirectory() as folder:
        stop = Path(folder) / "stop"
        command = [
            "wrk", "-t2", f"-c{connections}", f"-d{math.ceil(seconds + 1.5)}s", "--latency",
            "-s", str(LUA), base, "--", str(stop), "1",
        ]  # fmt: skip
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if meter is not None:
            meter.begin(process.pid)
        time.sleep(max(0.0, started + seconds - time.monotonic()))
        if meter is not None:
            meter.end(process.pid)
        stop.touch()
        elapsed = time.monotonic() - started
        output, _ = process.communicate(timeout=seconds + 60)
    match = re.search(rb"BENCH s204=(\d+) other=(\d+) p50_us=(\d+) p99_us=(\d+)", output)
    if match is None:
        raise RuntimeError(f"wrk said: {output.decode(errors='replace')}")
    s204, other, p50, p99 = (int(group) for group in match.groups())
    return LoadResult("wrk", (s204 + other) / elapsed, p50 / 1000, p99 / 1000, s204, other)


def _requests(count: int = 2000) -> list[bytes]:
    """Varied beacons, as the wrk script sends them."""
    variants = []
    for n in range(count):
        agent = AGENTS[n % len(AGENTS)]
        ip = f"8.8.{n % 4}.{n % 250 + 1}".encode()
        head = b"Host: 127.0.0.1\r\nUser-Agent: " + agent + b"\r\nX-Forwarded-For: " + ip
        if n % 2:
            path = f"/sites/1/visit?url=https%3A%2F%2Fexample.com%2Fpage%2F{n}&width=1280"
            variants.append(f"GET {path} HTTP/1.1\r\n".encode() + head + b"\r\n\r\n")
        else:
            body = f'{{"url":"https://example.com/post/{n}","event":"pageview"}}'.encode()
            variants.append(
                b"POST /sites/1/visit HTTP/1.1\r\n"
                + head
                + b"\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
    return variants


async def _python_load(
    base: str, seconds: float, connections: int, *, rate: float | None, meter: Meter | None = None
) -> LoadResult:
    host, port = base.removeprefix("http://").split(":")
    variants = _requests()
    latencies: list[float] = []
    counts = {"204": 0, "other": 0}
    # Connected before the clock starts: opening 64 connections at once took up to 50 ms,
    # which the first requests' latency would otherwise include (keep-alive clients pay it
    # once, not per beacon).
    streams = await asyncio.gather(
        *(asyncio.open_connection(host, int(port)) for _ in range(connections))
    )
    started = time.monotonic()
    end = started + seconds
    interval = connections / rate if rate else 0.0
    if meter is not None:
        meter.begin(os.getpid())

    async def connection(index: int) -> None:
        reader, writer = streams[index]
        due = started + (interval * index / connections if rate else 0.0)
        try:
            while True:
                now = time.monotonic()
                if rate:
                    if due >= end:
                        return
                    if due > now:
                        await asyncio.sleep(due - now)
                    sent_at = due
                    due += interval
                else:
                    if now >= end:
                        return
                    sent_at = now
                writer.write(random.choice(variants))
                status = await _read_response(reader)
                latencies.append(time.monotonic() - sent_at)
                counts["204" if status == 204 else "other"] += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(index) for index in range(connections)))
    elapsed = time.monotonic() - started
    if meter is not None:
        meter.end(os.getpid())
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    name = f"python at {rate:.0f}/s" if rate else "python"
    return LoadResult(
        name,
        len(latencies) / elapsed,
        quantiles[49] * 1000,
        quantiles[98] * 1000,
        counts["204"],
        counts["other"],
    )


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status
