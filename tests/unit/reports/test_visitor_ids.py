"""Cookieless visitor ids: stable within a site's day, unlinkable across days and sites."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from ipaddress import ip_address
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import FixedClock, InMemorySaltStore
from tracking_core.ports import SaltStore
from tracking_core.reports.visitor_ids import (
    SALT_BYTES,
    daily_salt,
    forget_old_salts,
    identify_visitor,
    visitor_id,
)

UTC_ZONE = ZoneInfo("UTC")
SYDNEY = ZoneInfo("Australia/Sydney")
IP = "203.0.113.7"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _identify(
    salts: SaltStore, clock: FixedClock, site_id: int = 1, ip: str = IP, tz: ZoneInfo = UTC_ZONE
) -> int:
    return identify_visitor(salts=salts, clock=clock, site_id=site_id, tz=tz, ip=ip, user_agent=UA)


def test_the_same_visitor_on_the_same_day_has_the_same_id() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(NOON)
    morning = _identify(salts, clock)

    clock.advance(timedelta(hours=11, minutes=59))

    assert _identify(salts, clock) == morning


def test_the_same_visitor_the_next_day_has_a_different_id() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(NOON)
    today = _identify(salts, clock)

    clock.advance(timedelta(hours=12))

    assert _identify(salts, clock) != today


def test_the_same_visitor_on_another_site_has_a_different_id() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(NOON)

    assert _identify(salts, clock, site_id=1) != _identify(salts, clock, site_id=2)


def test_another_address_or_agent_is_another_visitor() -> None:
    salt = bytes(SALT_BYTES)

    assert visitor_id(salt, 1, IP, UA) != visitor_id(salt, 1, "203.0.113.8", UA)
    assert visitor_id(salt, 1, IP, UA) != visitor_id(salt, 1, IP, UA + " ")


def test_the_day_follows_the_sites_calendar() -> None:
    salts = InMemorySaltStore()
    # 13:30 UTC on March 10th is already March 11th in Sydney (UTC+11).
    before = _identify(salts, FixedClock(datetime(2026, 3, 10, 12, 59, tzinfo=UTC)), tz=SYDNEY)
    after = _identify(salts, FixedClock(datetime(2026, 3, 10, 13, 0, tzinfo=UTC)), tz=SYDNEY)

    assert before != after
    assert set(salts.salts) == {(1, date(2026, 3, 10)), (1, date(2026, 3, 11))}


def test_salts_are_random_bytes_never_derived_from_the_site_or_day() -> None:
    made: list[bytes] = []

    def recorded(size: int) -> bytes:
        made.append(bytes(range(size)))
        return made[-1]

    def fresh_salt(**random: Callable[[int], bytes]) -> bytes:
        store, clock = InMemorySaltStore(), FixedClock(NOON)
        return daily_salt(salts=store, clock=clock, site_id=1, tz=UTC_ZONE, **random)

    salt, again = fresh_salt(), fresh_salt()
    given_salt = fresh_salt(random_bytes=recorded)

    assert len(salt) == SALT_BYTES
    assert salt != again  # same site, same day, new store: a new random salt
    assert given_salt == made[0]  # stored as made: nothing about the site or day went in


def test_without_its_salt_an_id_cannot_be_made_again() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(NOON)
    first = _identify(salts, clock)

    salts.salts.clear()  # as if deleted: a new salt is drawn for the same day

    assert _identify(salts, clock) != first


def test_salts_are_deleted_48_hours_after_they_were_made() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(NOON)
    _identify(salts, clock)

    clock.advance(timedelta(hours=47, minutes=59))
    assert forget_old_salts(salts=salts, clock=clock) == 0
    clock.advance(timedelta(minutes=2))
    assert forget_old_salts(salts=salts, clock=clock) == 1
    assert salts.salts == {}


def test_making_the_days_first_salt_deletes_the_expired_ones() -> None:
    salts, clock = InMemorySaltStore(), FixedClock(NOON)
    _identify(salts, clock, site_id=1)
    clock.advance(timedelta(days=3))

    _identify(salts, clock, site_id=2)

    assert set(salts.salts) == {(2, date(2026, 3, 13))}


def test_a_salt_added_by_someone_else_first_is_the_one_used() -> None:
    salts = InMemorySaltStore()
    winner = salts.add(1, date(2026, 3, 10), b"w" * SALT_BYTES, created_at=NOON)

    assert salts.add(1, date(2026, 3, 10), b"l" * SALT_BYTES, created_at=NOON) == winner


def test_addresses_are_compared_in_their_canonical_form() -> None:
    salt = bytes(SALT_BYTES)

    assert visitor_id(salt, 1, "2001:DB8::0:1", UA) == visitor_id(salt, 1, "2001:db8::1", UA)
    assert visitor_id(salt, 1, ip_address(IP), UA) == visitor_id(salt, 1, IP, UA)


#: Few letters, so that inputs differing only in where a field ends come up often; no digits
#: or colons, which could spell one address two ways.
fields = st.tuples(
    st.integers(0, 100), st.text(alphabet="ab.", max_size=6), st.text(alphabet="ab.", max_size=6)
)


@given(fields, fields)
def test_different_inputs_are_never_encoded_alike(
    a: tuple[int, str, str], b: tuple[int, str, str]
) -> None:
    salt = bytes(SALT_BYTES)

    same = visitor_id(salt, *a) == visitor_id(salt, *b)

    # Equal only for equal inputs (two 64-bit hashes of different inputs would collide once
    # in 2**64 runs); "1"+"23" versus "12"+"3" is the case length prefixes exist for.
    assert same == (a == b)


def test_fields_cannot_be_shifted_into_each_other() -> None:
    salt = bytes(SALT_BYTES)

    assert visitor_id(salt, 1, "23", "4") != visitor_id(salt, 1, "2", "34")


@given(st.binary(min_size=1, max_size=64), fields)
def test_ids_are_signed_64_bit_integers(salt: bytes, inputs: tuple[int, str, str]) -> None:
    assert -(2**63) <= visitor_id(salt, *inputs) < 2**63


def test_ids_stay_those_already_stored_whatever_the_hash_is_built_with() -> None:
    """Known answers: a rewrite of the hashing that changed them would split a day's visitors
    into two at the deploy (ids of the same salt stored before and after would differ)."""
    salt = bytes(range(SALT_BYTES))

    assert visitor_id(salt, 42, ip_address(IP), "Mozilla/5.0 Zoë") == 8214757488124526233
    assert visitor_id(salt, 42, "2001:DB8::1", "ua") == -1564468028199841271
    assert visitor_id(salt, 7, "not an address", "") == 6734406742711891006
