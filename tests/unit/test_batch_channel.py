"""``BatchChannel``: batches in flight to a writer, each answered by the writer's reply in
order; a writer that goes away or answers what cannot be read leaves none of them waiting."""

from __future__ import annotations

import asyncio
import pickle
import socket

import pytest

from adapters.ingest.writer_process import STORED, BatchChannel, frame
from tracking_core.errors import StorageUnavailable


async def with_writer(
    answer: bytes,
) -> tuple[list[BaseException | None], list[BatchChannel]]:
    """Two batches in flight to a "writer" that sends ``answer`` once both arrived, then
    hangs up; the outcome of each, and the channels ``on_lost`` was told of."""
    ours, theirs = socket.socketpair()
    lost: list[BatchChannel] = []
    reader, writer = await asyncio.open_unix_connection(sock=ours)
    channel = BatchChannel(reader, writer, on_lost=lost.append)
    sent = [asyncio.ensure_future(channel.store(b"batch %d" % n, 1)) for n in (1, 2)]
    await asyncio.to_thread(theirs.recv, 1 << 16)
    await asyncio.to_thread(theirs.sendall, answer)
    theirs.close()
    outcomes = await asyncio.gather(*sent, return_exceptions=True)
    channel.close()
    return list(outcomes), lost


def test_each_batch_gets_its_own_reply_and_one_lost_with_the_writer_may_be_stored() -> None:
    outcomes, lost = asyncio.run(with_writer(frame(pickle.dumps(STORED))))

    assert outcomes[0] is None
    assert isinstance(outcomes[1], StorageUnavailable)
    assert outcomes[1].maybe_stored
    assert len(lost) == 1


@pytest.mark.parametrize(
    "answer",
    [frame(b"not a pickle"), frame(pickle.dumps(STORED)) * 3],
    ids=["unreadable", "more replies than batches"],
)
def test_a_reply_that_makes_no_sense_leaves_no_batch_waiting(answer: bytes) -> None:
    outcomes, lost = asyncio.run(with_writer(answer))

    assert all(
        outcome is None or (isinstance(outcome, StorageUnavailable) and outcome.maybe_stored)
        for outcome in outcomes
    )
    assert len(lost) == 1
