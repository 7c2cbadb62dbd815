"""Signing up, logging in and out, and looking after one's own account."""

from __future__ import annotations

import hashlib
import secrets

import attrs

from tracking_core import rules
from tracking_core.entities import User
from tracking_core.errors import EmailTaken, InvalidCredentials, InvalidInput
from tracking_core.ports import Clock, PasswordHasher, SessionRepository, UserRepository


@attrs.frozen
class LoggedIn:
    user: User
    #: Secret bearer token for the new session; only its hash is stored.
    session_token: str = attrs.field(repr=False)


def register(
    *,
    users: UserRepository,
    sessions: SessionRepository,
    hasher: PasswordHasher,
    clock: Clock,
    name: str,
    email: str,
    password: str,
) -> LoggedIn:
    """Create an account and log it in. Raises ``InvalidInput`` (``EmailTaken`` for a duplicate)."""
    errors: dict[str, list[str]] = {}
    clean_name = rules.collect(errors, "name", rules.clean_name, name)
    clean_email = rules.collect(errors, "email", rules.clean_email, email)
    rules.collect(errors, "password", rules.check_new_password, password)
    if errors:
        raise InvalidInput(errors)
    if users.get_by_email(clean_email) is not None:
        raise EmailTaken()
    user = users.add(
        email=clean_email,
        name=clean_name,
        password_hash=hasher.hash(password),
        created_at=clock.now(),
    )
    return LoggedIn(user, _open_session(sessions, clock, user))


def log_in(
    *,
    users: UserRepository,
    sessions: SessionRepository,
    hasher: PasswordHasher,
    clock: Clock,
    email: str,
    password: str,
) -> LoggedIn:
    """Check credentials and open a new session. Raises ``InvalidCredentials``.

    An unknown email costs one hash too, so response time does not reveal who has an account.
    """
    user = users.get_by_email(email.strip().lower())
    if user is None:
        hasher.hash(password)
        raise InvalidCredentials()
    if not hasher.verify(password, user.password_hash):
        raise InvalidCredentials()
    if hasher.needs_rehash(user.password_hash):
        user = attrs.evolve(user, password_hash=hasher.hash(password))
        users.update(user)
    return LoggedIn(user, _open_session(sessions, clock, user))


def log_out(*, sessions: SessionRepository, session_token: str) -> None:
    """End the session so its token, even if copied, opens nothing."""
    sessions.delete(_token_hash(session_token))


def user_for_session(
    *, users: UserRepository, sessions: SessionRepository, session_token: str
) -> User | None:
    user_id = sessions.user_id_for(_token_hash(session_token))
    return None if user_id is None else users.get(user_id)


def rename(*, users: UserRepository, user: User, name: str) -> User:
    try:
        clean_name = rules.clean_name(name)
    except rules.RuleBroken as exc:
        raise InvalidInput({"name": [str(exc)]}) from exc
    renamed = attrs.evolve(user, name=clean_name)
    users.update(renamed)
    return renamed


def change_password(
    *,
    users: UserRepository,
    sessions: SessionRepository,
    hasher: PasswordHasher,
    clock: Clock,
    user: User,
    current_password: str,
    new_password: str,
) -> LoggedIn:
    """Replace the password and end every session; returns a fresh session for the caller."""
    if not hasher.verify(current_password, user.password_hash):
        raise InvalidInput({"current_password": ["That is not your current password."]})
    try:
        rules.check_new_password(new_password)
    except rules.RuleBroken as exc:
        raise InvalidInput({"new_password": [str(exc)]}) from exc
    updated = attrs.evolve(user, password_hash=hasher.hash(new_password))
    users.update(updated)
    sessions.delete_for_user(user.id)
    return LoggedIn(updated, _open_session(sessions, clock, updated))


def delete_account(
    *, users: UserRepository, hasher: PasswordHasher, user: User, password: str
) -> None:
    """Delete the user and everything they own, once they confirm with their password."""
    if not hasher.verify(password, user.password_hash):
        raise InvalidInput({"password": ["That is not your password."]})
    users.delete(user.id)


def _open_session(sessions: SessionRepository, clock: Clock, user: User) -> str:
    token = secrets.token_urlsafe(32)
    sessions.add(token_hash=_token_hash(token), user_id=user.id, created_at=clock.now())
    return token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
