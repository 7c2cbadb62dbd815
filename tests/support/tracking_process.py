"""The real server as a process the test controls: started, signalled, killed, inspected."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import httpx2
from sqlalchemy import text

from adapters.sql.engine import make_engine
from adapters.sql.repositories import SqlSiteRepository, SqlUserRepository


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def add_site(database_url: str, base_url: str = "https://example.com") -> int:
    """A user and a site straight in the database, as if registered through the web pages."""
    engine = make_engine(database_url)
    try:
        now = datetime.now(UTC)
        owner = SqlUserRepository(engine).add(
            email=f"{base_url}@example.com", name="Ada", password_hash="x", created_at=now
        )
        return (
            SqlSiteRepository(engine).add(owner_id=owner.id, base_url=base_url, created_at=now).id
        )
    finally:
        engine.dispose()


def stored_urls(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT s.value FROM visits v JOIN strings s ON s.id = v.url_id")
            )
            return list(rows.scalars())
    finally:
        engine.dispose()


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # it just exited
        return b""


class ServerProcess:
    """``tracking serve`` on a free port with the given settings; stopped on exit."""

    def __init__(self, database_url: str, data_dir: Path, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("TRACKING_")}
        self.env = {
            **inherited,
            "TRACKING_DATA_DIR": str(data_dir),
            "TRACKING_DATABASE_URL": database_url,
            "TRACKING_PORT": str(self.port),
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.output = b""

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints.cli", "serve"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # A group of its own, which ``kill_group`` can kill without killing the tests.
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.communicate()[0]!r}")
            try:
                httpx2.get(self.base + "/healthz", timeout=1)
                return self
            except httpx2.TransportError:
                time.sleep(0.05)
        raise AssertionError("server did not start within 30 s")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
        self.wait()

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def kill_group(self) -> None:
        """SIGKILL to every process of the server at once, as a process manager stopping its
        unit does (uvicorn's workers outlive a supervisor killed on its own)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)

    def children(self, *, named: str = "") -> list[int]:
        """The server's child processes whose command line holds ``named`` (Linux)."""
        assert self.process is not None
        # Each thread lists the children it started (the writer's come from its own thread).
        tasks = Path(f"/proc/{self.process.pid}/task").glob("*/children")
        pids = sorted(int(child) for task in tasks for child in task.read_text().split())
        return [pid for pid in pids if named.encode() in _command_line(pid)]

    def writers(self) -> list[int]:
        """The visit writer processes (``multiprocessing`` children, not its resource tracker)."""
        return self.children(named="spawn_main")

    def listening_on(self, name: str) -> int | None:
        """The server's process that listens on the Unix socket file ``name`` (Linux)."""
        assert self.process is not None
        # Columns: Num RefCount Protocol Flags Type St Inode Path; accepted connections show
        # the listener's path too, and they belong to the same process.
        sockets = {
            f"socket:[{fields[6]}]"
            for fields in (line.split() for line in Path("/proc/net/unix").read_text().splitlines())
            if len(fields) == 8 and fields[7].endswith(f"/{name}")
        }
        for pid in self.children(named="spawn_main"):
            with contextlib.suppress(OSError):  # it just exited
                if any(os.readlink(fd) in sockets for fd in Path(f"/proc/{pid}/fd").iterdir()):
                    return pid
        return None

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to end; its exit code."""
        assert self.process is not None
        output, _ = self.process.communicate(timeout=timeout)
        self.output += output
        return self.process.returncode
