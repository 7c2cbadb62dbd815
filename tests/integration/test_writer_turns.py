"""``WriterTurns``: SQLite visit writers of several processes take turns on a file lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from adapters.sql.writer_turns import WriterTurns, turns_for
from tracking_core.errors import StorageUnavailable

HOLD_AND_SLEEP = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_a_writer_waits_for_the_turn_and_gives_up_after_its_timeout(tmp_path: Path) -> None:
    path = tmp_path / "db-writer.lock"
    first, second = WriterTurns(path, timeout=5), WriterTurns(path, timeout=0.05)
    with first.turn(), pytest.raises(StorageUnavailable, match="locked"), second.turn():
        pass
    with second.turn():  # the first one's turn is over
        pass


def test_a_waiting_writer_takes_the_turn_once_it_is_free(tmp_path: Path) -> None:
    path = tmp_path / "db-writer.lock"
    first, second = WriterTurns(path, timeout=5), WriterTurns(path, timeout=5)
    order: list[str] = []
    held = threading.Event()

    def hold() -> None:
        with first.turn():
            held.set()
            time.sleep(0.1)
            order.append("first done")

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    with second.turn():
        order.append("second in")
    holder.join()
    assert order == ["first done", "second in"]


def test_threads_sharing_one_writer_take_turns(tmp_path: Path) -> None:
    turns = WriterTurns(tmp_path / "db-writer.lock", timeout=5)
    inside, most = [0], [0]

    def write() -> None:
        for _ in range(50):
            with turns.turn():
                inside[0] += 1
                most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1


def test_the_turn_of_a_killed_process_is_free(tmp_path: Path) -> None:
    path = tmp_path / "db-writer.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_SLEEP, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        turns = WriterTurns(path, timeout=0.05)
        with pytest.raises(StorageUnavailable), turns.turn():
            pass
        holder.kill()
        holder.wait()
        turns.timeout = 5
        with turns.turn():
            pass
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_turns_are_for_sqlite_files_only(tmp_path: Path) -> None:
    database = tmp_path / "tracking.db"
    turns = turns_for(make_url(f"sqlite:///{database}"), timeout=1)
    assert turns is not None
    assert turns.path == Path(f"{database}-writer.lock")
    assert turns_for(make_url("sqlite://"), timeout=1) is None
    assert turns_for(make_url("sqlite:///:memory:"), timeout=1) is None
    assert turns_for(make_url("postgresql+psycopg://postgres@localhost/test"), timeout=1) is None
