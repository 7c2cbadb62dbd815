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
