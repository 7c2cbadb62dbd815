"""Repositories over plain dictionaries, sharing one store so deletes cascade as in SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import attrs

from tracking_core.client_ip import network_of, parse_ip
from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import EmailTaken, VisitsRefused


@attrs.define
class InMemoryStore:
    users: dict[int, User] = attrs.field(factory=dict)
    sessions: dict[str, int] = attrs.field(factory=dict)
    sites: dict[int, Site] = attrs.field(factory=dict)
    visits: list[Visit] = attrs.field(factory=list)
    #: Failed location lookups per address, as the SQL adapter counts them in a column.
    location_attempts: dict[str, int] = attrs.field(factory=dict)
    #: Bot hits filtered out, per (site, local day).
    bot_counts: dict[tuple[int, date], int] = attrs.field(factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class InMemoryUserRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add(self, *, email: str, name: str, password_hash: str, created_at: datetime) -> User:
        if self.get_by_email(email) is not None:
            raise EmailTaken()
        user = User(self.store.new_id(), email, name, password_hash, created_at)
        self.store.users[user.id] = user
        return user

    def get(self, user_id: int) -> User | None:
        return self.store.users.get(user_id)

    def get_by_email(self, email: str) -> User | None:
        return next((u for u in self.store.users.values() if u.email == email), None)

    def update(self, user: User) -> None:
        if user.id in self.store.users:
            self.store.users[user.id] = user

    def delete(self, user_id: int) -> None:
        store = self.store
        owned = {site.id for site in store.sites.values() if site.owner_id == user_id}
        store.visits = [visit for visit in store.visits if visit.site_id not in owned]
        store.sites = {k: site for k, site in store.sites.items() if site.id not in owned}
        store.sessions = {k: uid for k, uid in store.sessions.items() if uid != user_id}
        store.users.pop(user_id, None)


class InMemorySessionRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add(self, *, token_hash: str, user_id: int, created_at: datetime) -> None:
        self.store.sessions[token_hash] = user_id

    def user_id_for(self, token_hash: str) -> int | None:
        return self.store.sessions.get(token_hash)

    def delete(self, token_hash: str) -> None:
        self.store.sessions.pop(token_hash, None)

    def delete_for_user(self, user_id: int) -> None:
        self.store.sessions = {k: u for k, u in self.store.sessions.items() if u != user_id}


class InMemorySiteRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add(self, *, owner_id: int, base_url: str, created_at: datetime) -> Site:
        site = Site(self.store.new_id(), owner_id, base_url, created_at)
        self.store.sites[site.id] = site
        return site

    def get(self, site_id: int) -> Site | None:
        return self.store.sites.get(site_id)

    def list_for_owner(self, owner_id: int) -> list[Site]:
        return sorted(
            (site for site in self.store.sites.values() if site.owner_id == owner_id),
            key=lambda site: site.id,
        )

    def update_settings(self, site: Site) -> None:
        stored = self.store.sites.get(site.id)
        if stored is not None:
            self.store.sites[site.id] = attrs.evolve(
                stored,
                timezone=site.timezone,
                honour_dnt=site.honour_dnt,
                keep_full_ip=site.keep_full_ip,
            )


class InMemoryVisitRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    def add_many(self, visits: Sequence[Visit]) -> None:
        """Like the database's foreign key: a visit to a missing site refuses the whole batch."""
        missing = {visit.site_id for visit in visits} - self.store.sites.keys()
        if missing:
            raise VisitsRefused(f"no such site: {min(missing)}", site_gone=True)
        self.store.visits.extend(visits)

    def count_bots(self, counts: Mapping[tuple[int, date], int]) -> None:
        for key, count in counts.items():
            if key[0] in self.store.sites:  # as the SQL foreign key: a deleted site's are gone
                self.store.bot_counts[key] = self.store.bot_counts.get(key, 0) + count

    def forget_visitors_before(self, day: date) -> None:
        """Nothing to forget: the fake cuts visits from all its hits when asked."""

    def ips_missing_location(self, limit: int) -> list[str]:
        pending = {v.ip_address for v in self.store.visits if v.location_pending and v.ip_address}
        attempts = self.store.location_attempts
        return sorted(pending, key=lambda ip: attempts.get(ip, 0))[:limit]

    def set_locations(self, found: Mapping[str, Location | None]) -> None:
        self.store.visits = [
            attrs.evolve(
                visit,
                location=found[visit.ip_address],
                location_pending=False,
                ip_address=self._kept(visit),
            )
            if visit.location_pending and visit.ip_address is not None and visit.ip_address in found
            else visit
            for visit in self.store.visits
        ]

    def location_lookup_failed(self, ips: Sequence[str], *, give_up_after: int) -> None:
        attempts = self.store.location_attempts
        for ip in ips:
            attempts[ip] = attempts.get(ip, 0) + 1
        given_up = {ip for ip in ips if attempts[ip] >= give_up_after}
        self.store.visits = [
            attrs.evolve(visit, location_pending=False, ip_address=self._kept(visit))
            if visit.location_pending and visit.ip_address in given_up
            else visit
            for visit in self.store.visits
        ]

    def _kept(self, visit: Visit) -> str | None:
        """The visit's address once its location is settled: cut, unless its site keeps it."""
        site = self.store.sites.get(visit.site_id)
        address = parse_ip(visit.ip_address) if visit.ip_address else None
        if address is None or (site is not None and site.keep_full_ip):
            return visit.ip_address
        return network_of(address)

    def list_for_site(self, site_id: int, *, offset: int, limit: int) -> list[Visit]:
        # Stable sort on insertion order, so equal timestamps list the later arrival first.
        mine = [v for v in reversed(self.store.visits) if v.site_id == site_id]
        mine.sort(key=lambda visit: visit.created_at, reverse=True)
        return mine[offset : offset + limit]

    def count_for_site(self, site_id: int) -> int:
        return sum(1 for visit in self.store.visits if visit.site_id == site_id)
