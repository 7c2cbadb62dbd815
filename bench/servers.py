"""Starting the servers under test: the bare app and the product, each with N workers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx2

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A server process on a free port, stopped (SIGTERM, then waited for) on exit."""

    def __init__(
        self, command: list[str], env: dict[str, str], port: int, probe: str, count: int
    ) -> None:
        self.command, self.env, self.port, self.probe = command, env, port, probe
        #: How many processes serve requests.
        self.count = count
        self.base = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                _, errors = self.process.communicate()
                raise RuntimeError(f"server exited: {errors.decode(errors='replace')[-2000:]}")
            try:
                httpx2.get(self.base + self.probe, timeout=1)
                return self
            except httpx2.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start within 60 s")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()

    @property
    def pid(self) -> int:
        """The command's process: with several workers, uvicorn's supervisor."""
        assert self.process is not None
        return self.process.pid

    def serving(self) -> list[int]:
        """The processes that serve requests: the command's with one worker; with more,
        uvicorn's workers (its supervisor's children but the visit writer they share, the one
        listening on ``writer.sock``)."""
        assert self.process is not None
        if self.count == 1:
            return [self.process.pid]
        writers = _listening_on("writer.sock")
        return [pid for pid in _helpers(self.process.pid) if pid not in writers]

    def processes(self) -> list[int]:
        """Every process of the server: the command's, uvicorn's workers when there are
        several, and the visit writers (a worker's own, or the one they share). A resource
        tracker (multiprocessing's ``spawn``) serves nothing and is left out."""
        assert self.process is not None
        found, waiting = [], [self.process.pid]
        while waiting:
            pid = waiting.pop()
            found.append(pid)
            waiting.extend(_helpers(pid))
        return found


def bare(workers: int) -> Server:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "bench.bare_app:app",
        "--port", str(port), "--workers", str(workers),
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return Server(command, env, port, "/sites/1/visit", workers)


def product(workers: int, database_url: str, data_dir: Path, **settings: str) -> Server:
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TRACKING_")}
    env = {
        **inherited,
        "TRACKING_DATA_DIR": str(data_dir),
        "TRACKING_DATABASE_URL": database_url,
        "TRACKING_PORT": str(port),
        "TRACKING_WORKERS": str(workers),
        "TRACKING_SECRET_KEY": "bench-" + "k" * 40,
        **settings,
    }
    return Server(
        [sys.executable, "-m", "entrypoints.cli", "serve"], env, port, "/healthz", workers
    )


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _listening_on(name: str) -> set[int]:
    """The processes holding a Unix socket bound to a path ending in ``/name`` (Linux)."""
    # Columns: Num RefCount Protocol Flags Type St Inode Path.
    sockets = {
        f"socket:[{fields[6]}]"
        for fields in (line.split() for line in Path("/proc/net/unix").read_text().splitlines())
        if len(fields) == 8 and fields[7].endswith(f"/{name}")
    }
    holders = set()
    for process in Path("/proc").iterdir():
        if process.name.isdigit():
            with contextlib.suppress(OSError):  # gone, or not ours to look at
                if any(os.readlink(fd) in sockets for fd in (process / "fd").iterdir()):
                    holders.add(int(process.name))
    return holders


def _helpers(pid: int) -> list[int]:
    return [child for child in _children(pid) if b"resource_tracker" not in _cmdline(child)]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(child) for child in children)
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
