"""The core's view of the outside world. Adapters satisfy these protocols structurally."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Protocol

from tracking_core.entities import Location, Site, User, Visit
from tracking_core.reports.agents import Agent

if TYPE_CHECKING:  # the report's module needs the use cases, which need these ports
    from tracking_core.reports.report import Report, ReportQuery

IPAddress = IPv4Address | IPv6Address


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A self-describing, salted, key-stretched hash of ``password``."""
        ...

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches ``encoded``, compared in constant time."""
        ...

    def needs_rehash(self, encoded: str) -> bool:
        """Whether ``encoded`` was made with weaker settings than the current ones."""
        ...


class UserRepository(Protocol):
    def add(self, *, email: str, name: str, password_hash: str, created_at: datetime) -> User:
        """Store a new user; raises ``EmailTaken`` if the email is already registered."""
        ...

    def get(self, user_id: int) -> User | None: ...

    def get_by_email(self, email: str) -> User | None: ...

    def update(self, user: User) -> None:
        """Save the user's name and password hash."""
        ...

    def delete(self, user_id: int) -> None:
        """Remove the user with their sites, visits and sessions."""
        ...


class SessionRepository(Protocol):
    """Logged-in sessions, stored by a hash of their token so a leaked table opens nothing."""

    def add(self, *, token_hash: str, user_id: int, created_at: datetime) -> None: ...

    def user_id_for(self, token_hash: str) -> int | None: ...

    def delete(self, token_hash: str) -> None: ...

    def delete_for_user(self, user_id: int) -> None: ...


class SiteRepository(Protocol):
    def add(self, *, owner_id: int, base_url: str, created_at: datetime) -> Site: ...

    def get(self, site_id: int) -> Site | None: ...

    def list_for_owner(self, owner_id: int) -> list[Site]:
        """The owner's sites, oldest first."""
        ...

    def update_settings(self, site: Site) -> None:
        """Save the site's settings (time zone, Do Not Track, full addresses)."""
        ...


class VisitRepository(Protocol):
    def add_many(self, visits: Sequence[Visit]) -> None:
        """Store visits in one transaction: all of them or none.

        Raises ``VisitsRefused`` when the database refuses one of them (a constraint, such as
        a site deleted meanwhile) and ``StorageUnavailable`` when it cannot be reached or is
        locked; either way nothing was stored.
        """
        ...

    def count_bots(self, counts: Mapping[tuple[int, date], int]) -> None:
        """Add to the number of bot hits filtered out per (site, local day); nothing else of
        them is stored. Raises ``StorageUnavailable`` when the database cannot be reached."""
        ...

    def forget_visitors_before(self, day: date) -> None:
        """Forget what is kept to continue visitors' visits (their latest visit) for the days
        before ``day`` (UTC): their visitor ids cannot come back."""
        ...

    def ips_missing_location(self, limit: int) -> list[str]:
        """Up to ``limit`` distinct addresses of visits whose location is still pending."""
        ...

    def set_locations(self, found: Mapping[str, Location | None]) -> None:
        """Fill in the location of the pending visits from each address, in one transaction.

        ``None`` means the address is unknown to the geodata service: its visits stop pending.
        Either way the visits' address is then cut to its network (``client_ip.network_of``),
        unless their site keeps full addresses.
        """
        ...

    def location_lookup_failed(self, ips: Sequence[str], *, give_up_after: int) -> None:
        """Count one more failed lookup for each address; at ``give_up_after``, stop pending
        (and cut the address, as ``set_locations`` does)."""
        ...

    def list_for_site(self, site_id: int, *, offset: int, limit: int) -> list[Visit]:
        """A page of the site's visits, newest first."""
        ...

    def count_for_site(self, site_id: int) -> int: ...


class Geodata(Protocol):
    def locate(self, ip: IPAddress) -> Location | None:
        """Where ``ip`` is, or None when unknown; never raises for a failing service."""
        ...

    def lookup(self, ip: IPAddress) -> Location | None:
        """Like ``locate``, but raises ``GeodataUnavailable`` when the service failed.

        So a caller can tell "unknown address" (None: no use asking again) from "could not ask"
        (worth retrying later, and a reason to stop asking a failing service for a while).
        """
        ...


class UserAgentParser(Protocol):
    def parse(self, user_agent: str) -> Agent:
        """What ``user_agent`` says about browser, system and device; never raises.

        Bots are flagged (``Agent.is_bot``); an empty or unreadable string gives ``Agent()``.
        Called on every beacon request, so implementations should cache.
        """
        ...


class SaltStore(Protocol):
    """The random daily salts behind cookieless visitor ids, one per site and local day.

    A salt must never be derivable from anything: it is made from ``secrets`` and stored
    as given, and deleting it makes the ids of its day impossible to recompute.
    """

    def get(self, site_id: int, day: date) -> bytes | None:
        """The salt of ``site_id`` for its local ``day``, or None if there is none yet."""
        ...

    def add(self, site_id: int, day: date, salt: bytes, *, created_at: datetime) -> bytes:
        """Store ``salt`` unless one exists for that site and day; return the stored one.

        Two processes racing to add a salt must both end up with the same one
        (insert-if-absent, then read).
        """
        ...

    def delete_created_before(self, cutoff: datetime) -> int:
        """Forget every salt created before ``cutoff``; returns how many were deleted."""
        ...


class ReportSource(Protocol):
    """The read model behind the dashboard: visits counted for a site, range and filters."""

    def report(self, query: ReportQuery) -> Report:
        """Everything the dashboard shows for ``query`` (see ``reports.report`` for what the
        numbers mean, ``reports.dimensions`` for what filters select). The site exists."""
        ...
