"""Visits cross to the writer process as tuples: every visit comes back equal."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from adapters.ingest.visit_codec import decode, encode
from tracking_core.entities import Location, Visit
from tracking_core.reports.agents import DeviceType
from tracking_core.reports.sources import Category, Source

texts = st.text(max_size=30)
maybe_texts = st.none() | texts
coordinates = st.none() | st.floats(allow_nan=False, min_value=-180, max_value=180)
locations = st.none() | st.builds(
    Location,
    maybe_texts,
    maybe_texts,
    maybe_texts,
    maybe_texts,
    maybe_texts,
    coordinates,
    coordinates,
)
sources = st.builds(
    Source, texts, st.sampled_from(Category), maybe_texts, maybe_texts, maybe_texts, maybe_texts
)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)
visits = st.builds(
    Visit,
    site_id=st.integers(1, 2**31 - 1),
    created_at=moments,
    url=texts,
    event=texts,
    browser=texts,
    referrer=maybe_texts,
    ip_address=st.none() | st.ip_addresses().map(str),
    location=locations,
    screen_width=st.none() | st.integers(0, 100_000),
    props=st.dictionaries(texts, texts, max_size=10),
    location_pending=st.booleans(),
    browser_version=maybe_texts,
    os=texts,
    device_type=st.sampled_from(DeviceType),
    visitor_id=st.none() | st.integers(0, 2**63 - 1),
    source=sources,
)


@given(visits)
def test_a_visit_comes_back_equal_through_pickle(visit: Visit) -> None:
    back = decode(pickle.loads(pickle.dumps(encode(visit))))  # noqa: S301 - our own bytes
    assert back == visit
    assert back.created_at.utcoffset() == visit.created_at.utcoffset()
