"""The real app server, started as a subprocess the way `tracking serve` runs in production."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping

import httpx2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "entrypoints.cli", *args]


@contextlib.contextmanager
def running_server(settings: Mapping[str, str]) -> Iterator[str]:
    """Serve with ``settings`` (TRACKING_* variables) on a free port; yields the base URL.

    On exit, stops the server and fails if it printed a traceback.
    """
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k != "TRACKING_SECRET_KEY"}
    env = {**inherited, **settings, "TRACKING_PORT": str(port)}
    process = subprocess.Popen(
        cli("serve"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
        assert b"Traceback" not in output, output.decode(errors="replace")


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited: {process.stdout.read() if process.stdout else ''!r}"
            )
        try:
            httpx2.get(base + "/", timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start within 30 s")
