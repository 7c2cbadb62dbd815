"""The frames batches and replies cross a process boundary in: what ``frame`` makes,
``take_frame`` gives back, however the bytes arrive."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from adapters.ingest.writer_process import frame, take_frame


@given(
    payloads=st.lists(st.binary(max_size=300), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=3_000), max_size=12),
)
def test_frames_arriving_in_any_pieces_give_back_each_payload_once_in_order(
    payloads: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(frame(payload) for payload in payloads)
    bounds = sorted({0, len(stream), *(cut for cut in cuts if cut < len(stream))})
    received = bytearray()
    taken: list[bytes] = []
    for start, end in itertools.pairwise(bounds):
        received += stream[start:end]
        while (payload := take_frame(received)) is not None:
            taken.append(payload)

    assert taken == payloads
    assert received == bytearray()


def test_a_frame_longer_than_a_signed_32_bit_length_says_so_with_minus_one() -> None:
    """``multiprocessing.connection``'s framing, which the writer's own end reads."""
    received = bytearray(b"\xff\xff\xff\xff" + (5).to_bytes(8, "big") + b"hello")

    assert take_frame(received) == b"hello"
    assert received == bytearray()


def test_nothing_is_taken_until_a_frame_is_whole() -> None:
    whole = frame(b"visits")
    for size in range(len(whole)):
        received = bytearray(whole[:size])
        assert take_frame(received) is None
        assert received == bytearray(whole[:size])
