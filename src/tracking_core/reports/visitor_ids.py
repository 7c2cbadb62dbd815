"""Cookieless unique visitors: a keyed hash of the site, the address and the user agent.

The key is a random salt per site and per day on the site's calendar. It is made by
``secrets``, never derived from anything, and deleted 48 hours after it was made: once it is
gone, nobody (the operator included) can recompute an id from an address, nor link a
visitor's days. Salts follow the site's days rather than UTC days so that "unique visitors
today" means the site's today; a local day lasts at most 25 hours, well within the 48.

Ids are 64 bits of BLAKE2b, read as a signed integer so that they fit SQLite's INTEGER and
PostgreSQL's BIGINT. By the birthday bound, two of n visitors of one site on one day share
an id with probability about n^2 / 2^65: one in 37 million at a million visitors a day.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import struct
from collections.abc import Callable
from datetime import date, datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address
from zoneinfo import ZoneInfo

from tracking_core.ports import Clock, IPAddress, SaltStore

SALT_BYTES = 32
SALT_LIFETIME = timedelta(hours=48)
_LENGTH = struct.Struct(">I")
_PERSON = b"tracking-visitor"  # BLAKE2b personalisation: these hashes are for nothing else


def visitor_id(salt: bytes, site_id: int, ip: IPAddress | str, user_agent: str) -> int:
    """The visitor's id for the day whose salt is ``salt``; the same inputs give the same id.

    Each field is length-prefixed, so no two different inputs are encoded alike ("1", "23"
    versus "12", "3"). Addresses are compared in their canonical form.
    """
    site = str(site_id).encode()
    address = _canonical(ip).encode("utf-8", "surrogatepass")
    agent = user_agent.encode("utf-8", "surrogatepass")
    message = b"".join(
        (
            _LENGTH.pack(len(site)),
            site,
            _LENGTH.pack(len(address)),
            address,
            _LENGTH.pack(len(agent)),
            agent,
        )
    )
    digest = hashlib.blake2b(message, digest_size=8, key=salt, person=_PERSON).digest()
    return int.from_bytes(digest, "big", signed=True)


def _canonical(ip: IPAddress | str) -> str:
    if isinstance(ip, IPv4Address | IPv6Address):  # already canonical: the beacon's case
        return _address_text(ip)
    try:
        return _address_text(ip_address(ip))
    except ValueError:  # unknown or unparsable: hashed as given
        return str(ip)


#: Every beacon hashes its client's address: the same few thousand come back again and again,
#: and writing one out is the costly part of the hash (``ipaddress`` does it in Python).
_address_text = functools.lru_cache(maxsize=4096)(str)


def daily_salt(
    *,
    salts: SaltStore,
    clock: Clock,
    site_id: int,
    tz: ZoneInfo,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> bytes:
    """Today's salt for the site, made on the day's first visit.

    Making a salt is also when expired ones are deleted, so that happens at least once a day
    while any site has visitors; ``forget_old_salts`` does it on demand.
    """
    now = clock.now()
    return salt_for_day(
        salts=salts,
        site_id=site_id,
        day=now.astimezone(tz).date(),
        now=now,
        random_bytes=random_bytes,
    )


def salt_for_day(
    *,
    salts: SaltStore,
    site_id: int,
    day: date,
    now: datetime,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> bytes:
    """The salt of the site's local ``day`` (today's, seen at ``now``), made if there is none.

    For callers that already know the day, such as a cache keyed by it (``daily_salt``).
    """
    salt = salts.get(site_id, day)
    if salt is None:
        salts.delete_created_before(now - SALT_LIFETIME)
        salt = salts.add(site_id, day, random_bytes(SALT_BYTES), created_at=now)
    return salt


def forget_old_salts(*, salts: SaltStore, clock: Clock) -> int:
    """Delete the salts made more than 48 hours ago; returns how many were deleted."""
    return salts.delete_created_before(clock.now() - SALT_LIFETIME)


def identify_visitor(
    *,
    salts: SaltStore,
    clock: Clock,
    site_id: int,
    tz: ZoneInfo,
    ip: IPAddress | str,
    user_agent: str,
) -> int:
    """The visitor id of a hit on ``site_id`` now (see ``visitor_id`` and ``daily_salt``)."""
    salt = daily_salt(salts=salts, clock=clock, site_id=site_id, tz=tz)
    return visitor_id(salt, site_id, ip, user_agent)
