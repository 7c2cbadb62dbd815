"""Domain errors. The web layer maps each of these to an HTTP response in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class TrackingError(Exception):
    """Base of every error the core raises on purpose."""


class InvalidInput(TrackingError):
    """Input that breaks a rule; ``errors`` maps each field to readable messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {field: list(msgs) for field, msgs in errors.items()}
        super().__init__("; ".join(f"{f}: {', '.join(m)}" for f, m in self.errors.items()))


class EmailTaken(InvalidInput):
    def __init__(self) -> None:
        super().__init__({"email": ["An account with this email already exists."]})


class InvalidCredentials(TrackingError):
    """Wrong email or password; deliberately does not say which."""

    def __init__(self) -> None:
        super().__init__("Invalid email or password")


class NotFound(TrackingError):
    """The object does not exist, or exists but belongs to someone else."""


class SiteNotFound(NotFound):
    def __init__(self, site_id: int) -> None:
        self.site_id = site_id
        super().__init__(f"No such site: {site_id}")


class StorageUnavailable(TrackingError):
    """The visit could not be stored now (database down or locked, queue full); retry later.

    ``retry_after`` is the number of seconds a client should wait before trying again.
    ``maybe_stored`` is True when the database may have stored it all the same (the
    connection or the writer was lost during the commit): it must not be written again.
    """

    def __init__(self, message: str, *, retry_after: int = 1, maybe_stored: bool = False) -> None:
        self.retry_after = retry_after
        self.maybe_stored = maybe_stored
        super().__init__(message)


class VisitsRefused(TrackingError):
    """The database refused a batch of visits (a constraint): none of them was stored.

    ``site_gone`` is True when the refusal was a missing site, deleted after the visit arrived.
    """

    def __init__(self, message: str, *, site_gone: bool = False) -> None:
        self.site_gone = site_gone
        super().__init__(message)


class GeodataUnavailable(TrackingError):
    """The geodata service failed to answer usably (down, slow, garbage); the address may be
    known to it later."""
