"""Where the CPU goes during a run: CPU time per beacon, by kind of process.

The bench's cores are shared by the load generator, the server and, on PostgreSQL, the
database: once they are all busy, the rate a server reaches is the cores divided by the CPU
time one beacon costs in all of them together. So next to each rate the bench prints that
cost, split by who pays it: the processes answering requests, the visit writers, PostgreSQL's
processes and the load generator. Read from ``/proc`` (Linux); elsewhere nothing is printed.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Iterable
from pathlib import Path

import attrs

from bench.load import LoadResult
from bench.servers import Server

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@attrs.frozen
class CpuUse:
    """Microseconds of CPU time (user + system) per beacon answered, by kind of process."""

    serving: float
    writing: float
    database: float
    load: float
    #: Cores busy on average: the processes above together, and the whole machine (which
    #: adds the kernel's interrupt work, loopback's included, and anything else running).
    cores: float
    machine: float

    @property
    def total(self) -> float:
        return self.serving + self.writing + self.database + self.load


def available() -> bool:
    return Path("/proc/self/stat").exists()


class Meter:
    """Reads the CPU time of every process taking part in a run, when its load starts and
    when it stops (not the load generator's start-up, nor its draining afterwards, when it
    sends requests that are not beacons): ``closed_loop`` calls ``begin`` and ``end``."""

    def __init__(self, server: Server, *, database: bool) -> None:
        """PostgreSQL's processes are counted only with ``database`` (a bare run's window may
        hold the autovacuum of the product's run before it)."""
        serving = set(server.serving())
        if server.count > 1:
            serving.add(server.pid)  # uvicorn's supervisor: it serves nothing, but is no writer
        self._groups: list[set[int]] = [serving, set(server.processes()) - serving]
        self._database = database
        self._before: list[dict[int, float]] = []
        self._spent: list[float] = []
        self._started = self._elapsed = self._machine = 0.0

    def begin(self, load_pid: int) -> None:
        self._before = [_times(group) for group in self._readings(load_pid)]
        self._machine = _machine_busy()
        self._started = time.monotonic()

    def end(self, load_pid: int) -> None:
        self._elapsed = time.monotonic() - self._started
        self._machine = _machine_busy() - self._machine
        after = [_times(group) for group in self._readings(load_pid)]
        self._spent = [_spent(b, a) for b, a in zip(self._before, after, strict=True)]

    def use(self, result: LoadResult) -> CpuUse:
        """The CPU time per beacon at ``result``'s rate, which it measured over the same
        window."""
        if not self._spent:
            raise RuntimeError("the load generator did not report its start and end")
        answered = max(result.rate * self._elapsed, 1.0)
        serving, writing, database, load = (seconds / answered * 1e6 for seconds in self._spent)
        return CpuUse(
            serving,
            writing,
            database,
            load,
            cores=sum(self._spent) / self._elapsed,
            machine=self._machine / self._elapsed,
        )

    def _readings(self, load_pid: int) -> list[Iterable[int]]:
        database = _postgres_processes() if self._database else []
        return [*self._groups, database, [load_pid]]


def median_use(uses: list[CpuUse]) -> CpuUse:
    """Each figure's median over the runs."""
    return CpuUse(
        *(
            statistics.median(getattr(use, field.name) for use in uses)
            for field in attrs.fields(CpuUse)
        )
    )


def _machine_busy() -> float:
    """Seconds the machine's cores have been busy since boot: all but idle and I/O wait
    (stolen time counts as busy: the cores were not ours meanwhile)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    # guest time is already counted in user time
    return (sum(fields[:8]) - idle) / _TICKS


def _times(pids: Iterable[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):  # gone meanwhile
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
    return found


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings; a process started meanwhile counts whole, one
    that exited meanwhile is lost (PostgreSQL's backends live as long as their connection)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _postgres_processes() -> list[int]:
    """PostgreSQL's server processes on this machine (its backends, WAL writer, checkpointer).
    Only the bench's databases are busy while it runs; with SQLite they are idle."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
    return found
