"""Signing up, logging in and out, and looking after one's own account."""

from __future__ import annotations

import pytest

from adapters.memory import PlainTextHasherForTests
from tracking_core import (
    EmailTaken,
    Hit,
    InvalidCredentials,
    InvalidInput,
    LoggedIn,
    change_password,
    delete_account,
    log_in,
    log_out,
    rename,
    user_for_session,
)

from .fakes import Fakes


def _log_in(fakes: Fakes, email: str, password: str) -> LoggedIn:
    return log_in(
        users=fakes.users,
        sessions=fakes.sessions,
        hasher=fakes.hasher,
        clock=fakes.clock,
        email=email,
        password=password,
    )


def _session_user_id(fakes: Fakes, token: str) -> int | None:
    user = user_for_session(users=fakes.users, sessions=fakes.sessions, session_token=token)
    return None if user is None else user.id


# register


def test_register_stores_a_lowercased_email_and_a_trimmed_name(fakes: Fakes) -> None:
    logged_in = fakes.sign_up(email="  Ada@Example.COM ", name="  Ada   Lovelace ")

    assert logged_in.user.email == "ada@example.com"
    assert logged_in.user.name == "Ada Lovelace"
    assert fakes.users.get(logged_in.user.id) == logged_in.user
    assert logged_in.user.created_at == fakes.clock.now()


def test_register_stores_a_hash_not_the_password(fakes: Fakes) -> None:
    user = fakes.sign_up(password="correct horse").user

    assert user.password_hash == fakes.hasher.hash("correct horse")
    assert user.password_hash != "correct horse"


def test_register_opens_a_session_whose_token_maps_back_to_the_user(fakes: Fakes) -> None:
    logged_in = fakes.sign_up()

    found = user_for_session(
        users=fakes.users, sessions=fakes.sessions, session_token=logged_in.session_token
    )
    assert found == logged_in.user


def test_session_store_keeps_a_hash_of_the_token_not_the_token(fakes: Fakes) -> None:
    logged_in = fakes.sign_up()

    assert len(fakes.store.sessions) == 1
    assert logged_in.session_token not in fakes.store.sessions


def test_an_unknown_session_token_belongs_to_nobody(fakes: Fakes) -> None:
    fakes.sign_up()

    assert _session_user_id(fakes, "not-a-token") is None
    assert _session_user_id(fakes, "") is None


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address."),
        ("   ", "Enter your email address."),
        ("ada", "Enter a valid email address."),
        ("ada@", "Enter a valid email address."),
        ("@example.com", "Enter a valid email address."),
        ("ada@localhost", "Enter a valid email address."),
        ("ada lovelace@example.com", "Enter a valid email address."),
        ("ada@exa\x00mple.com", "Enter a valid email address."),
        ("a" * 250 + "@example.com", "Enter a valid email address."),
    ],
)
def test_register_refuses_a_bad_email_under_the_email_field(
    fakes: Fakes, email: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        fakes.sign_up(email=email)

    assert raised.value.errors == {"email": [message]}
    assert fakes.store.users == {}


def test_register_refuses_a_password_shorter_than_eight_characters(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        fakes.sign_up(password="1234567")

    assert raised.value.errors == {"password": ["Use at least 8 characters."]}
    assert fakes.store.users == {}


def test_register_accepts_a_password_of_exactly_eight_characters(fakes: Fakes) -> None:
    user = fakes.sign_up(password="12345678").user

    assert fakes.users.get(user.id) == user


def test_register_refuses_a_password_longer_than_1024_characters(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        fakes.sign_up(password="x" * 1025)

    assert raised.value.errors == {"password": ["Use at most 1024 characters."]}


def test_register_refuses_a_name_longer_than_fifty_characters(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        fakes.sign_up(name="A" * 51)

    assert raised.value.errors == {"name": ["Use at most 50 characters."]}
    assert fakes.store.users == {}


def test_register_accepts_a_name_of_fifty_characters_after_trimming(fakes: Fakes) -> None:
    user = fakes.sign_up(name="   " + "A" * 50 + "   ").user

    assert user.name == "A" * 50


def test_register_refuses_a_name_with_control_characters(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        fakes.sign_up(name="Ada\u200bLovelace")

    assert raised.value.errors == {"name": ["Use letters, digits and punctuation only."]}


def test_register_reports_every_broken_field_at_once(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as raised:
        fakes.sign_up(email="nope", password="short", name="N" * 51)

    assert raised.value.errors == {
        "name": ["Use at most 50 characters."],
        "email": ["Enter a valid email address."],
        "password": ["Use at least 8 characters."],
    }
    assert fakes.store.users == {}
    assert fakes.store.sessions == {}


def test_register_refuses_an_email_that_is_already_taken(fakes: Fakes) -> None:
    first = fakes.sign_up(email="ada@example.com")

    with pytest.raises(EmailTaken) as raised:
        fakes.sign_up(email="ada@example.com", name="Someone else")

    assert raised.value.errors == {"email": ["An account with this email already exists."]}
    assert list(fakes.store.users.values()) == [first.user]


def test_register_treats_emails_differing_only_in_case_as_the_same(fakes: Fakes) -> None:
    fakes.sign_up(email="ada@example.com")

    with pytest.raises(EmailTaken):
        fakes.sign_up(email=" ADA@Example.com")

    assert len(fakes.store.users) == 1


def test_email_taken_is_an_invalid_input(fakes: Fakes) -> None:
    fakes.sign_up()

    with pytest.raises(InvalidInput):
        fakes.sign_up()


# log_in


def test_login_with_the_right_password_opens_a_new_session(fakes: Fakes) -> None:
    user = fakes.sign_up(email="ada@example.com", password="correct horse").user

    logged_in = _log_in(fakes, "ada@example.com", "correct horse")

    assert logged_in.user == user
    assert _session_user_id(fakes, logged_in.session_token) == user.id


def test_login_ignores_case_and_surrounding_spaces_in_the_email(fakes: Fakes) -> None:
    user = fakes.sign_up(email="ada@example.com", password="correct horse").user

    assert _log_in(fakes, "  ADA@example.COM ", "correct horse").user == user


def test_login_rejects_wrong_password(fakes: Fakes) -> None:
    fakes.sign_up(email="ada@example.com", password="correct horse")

    with pytest.raises(InvalidCredentials) as raised:
        _log_in(fakes, "ada@example.com", "Correct horse")

    assert str(raised.value) == "Invalid email or password"


def test_login_rejects_unknown_email_with_the_same_message_as_a_wrong_password(
    fakes: Fakes,
) -> None:
    fakes.sign_up(email="ada@example.com", password="correct horse")

    with pytest.raises(InvalidCredentials) as wrong_password:
        _log_in(fakes, "ada@example.com", "wrong password")
    with pytest.raises(InvalidCredentials) as unknown_email:
        _log_in(fakes, "grace@example.com", "correct horse")

    assert str(unknown_email.value) == str(wrong_password.value)


def test_failed_logins_open_no_session(fakes: Fakes) -> None:
    fakes.sign_up(email="ada@example.com", password="correct horse")
    fakes.store.sessions.clear()

    for email, password in [("ada@example.com", "nope nope"), ("bob@example.com", "whatever")]:
        with pytest.raises(InvalidCredentials):
            _log_in(fakes, email, password)

    assert fakes.store.sessions == {}


class _CountingHasher:
    """Wraps the fast fake and counts the expensive calls a real hasher would spend time on."""

    def __init__(self) -> None:
        self.inner = PlainTextHasherForTests()
        self.expensive_calls = 0

    def hash(self, password: str) -> str:
        self.expensive_calls += 1
        return self.inner.hash(password)

    def verify(self, password: str, encoded: str) -> bool:
        self.expensive_calls += 1
        return self.inner.verify(password, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        return self.inner.needs_rehash(encoded)


def test_login_with_an_unknown_email_spends_as_much_hashing_as_a_wrong_password(
    fakes: Fakes,
) -> None:
    fakes.sign_up(email="ada@example.com", password="correct horse")
    hasher = _CountingHasher()

    def failed_login_cost(email: str) -> int:
        hasher.expensive_calls = 0
        with pytest.raises(InvalidCredentials):
            log_in(
                users=fakes.users,
                sessions=fakes.sessions,
                hasher=hasher,
                clock=fakes.clock,
                email=email,
                password="wrong password",
            )
        return hasher.expensive_calls

    assert failed_login_cost("grace@example.com") == failed_login_cost("ada@example.com") == 1


class _UpgradingHasher(PlainTextHasherForTests):
    """The current "plain$" scheme, which still verifies hashes from an older "legacy$" scheme."""

    LEGACY_PREFIX = "legacy$"

    def verify(self, password: str, encoded: str) -> bool:
        if encoded.startswith(self.LEGACY_PREFIX):
            return encoded == self.LEGACY_PREFIX + password
        return super().verify(password, encoded)


def test_login_rehashes_a_password_stored_with_an_older_scheme(fakes: Fakes) -> None:
    hasher = _UpgradingHasher()
    old = fakes.users.add(
        email="ada@example.com",
        name="Ada",
        password_hash="legacy$correct horse",
        created_at=fakes.clock.now(),
    )

    logged_in = log_in(
        users=fakes.users,
        sessions=fakes.sessions,
        hasher=hasher,
        clock=fakes.clock,
        email="ada@example.com",
        password="correct horse",
    )

    stored = fakes.users.get(old.id)
    assert stored is not None
    assert stored.password_hash == "plain$correct horse"
    assert not hasher.needs_rehash(stored.password_hash)
    assert logged_in.user == stored


def test_login_does_not_rehash_on_a_wrong_password(fakes: Fakes) -> None:
    old = fakes.users.add(
        email="ada@example.com",
        name="Ada",
        password_hash="legacy$correct horse",
        created_at=fakes.clock.now(),
    )

    with pytest.raises(InvalidCredentials):
        log_in(
            users=fakes.users,
            sessions=fakes.sessions,
            hasher=_UpgradingHasher(),
            clock=fakes.clock,
            email="ada@example.com",
            password="wrong password",
        )

    assert fakes.users.get(old.id) == old


def test_login_leaves_a_current_hash_alone(fakes: Fakes) -> None:
    user = fakes.sign_up(email="ada@example.com", password="correct horse").user

    _log_in(fakes, "ada@example.com", "correct horse")

    assert fakes.users.get(user.id) == user


def test_a_new_login_gives_a_different_token_and_keeps_the_old_one_working(fakes: Fakes) -> None:
    first = fakes.sign_up(email="ada@example.com", password="correct horse")

    second = _log_in(fakes, "ada@example.com", "correct horse")

    assert second.session_token != first.session_token
    assert _session_user_id(fakes, first.session_token) == first.user.id
    assert _session_user_id(fakes, second.session_token) == first.user.id


# log_out


def test_log_out_makes_the_token_worthless(fakes: Fakes) -> None:
    token = fakes.sign_up().session_token

    log_out(sessions=fakes.sessions, session_token=token)

    assert _session_user_id(fakes, token) is None


def test_log_out_ends_only_that_session(fakes: Fakes) -> None:
    first = fakes.sign_up(email="ada@example.com", password="correct horse")
    second = _log_in(fakes, "ada@example.com", "correct horse")

    log_out(sessions=fakes.sessions, session_token=first.session_token)

    assert _session_user_id(fakes, second.session_token) == first.user.id


def test_log_out_with_an_unknown_token_changes_nothing(fakes: Fakes) -> None:
    token = fakes.sign_up().session_token

    log_out(sessions=fakes.sessions, session_token="never issued")

    assert _session_user_id(fakes, token) is not None


def test_a_token_of_a_deleted_user_belongs_to_nobody(fakes: Fakes) -> None:
    logged_in = fakes.sign_up(password="correct horse")

    delete_account(
        users=fakes.users, hasher=fakes.hasher, user=logged_in.user, password="correct horse"
    )

    assert _session_user_id(fakes, logged_in.session_token) is None


# change_password


def _change_password(fakes: Fakes, logged_in: LoggedIn, current: str, new: str) -> LoggedIn:
    return change_password(
        users=fakes.users,
        sessions=fakes.sessions,
        hasher=fakes.hasher,
        clock=fakes.clock,
        user=logged_in.user,
        current_password=current,
        new_password=new,
    )


def test_change_password_refuses_a_wrong_current_password(fakes: Fakes) -> None:
    logged_in = fakes.sign_up(password="correct horse")

    with pytest.raises(InvalidInput) as raised:
        _change_password(fakes, logged_in, "battery staple", "a brand new password")

    assert raised.value.errors == {"current_password": ["That is not your current password."]}
    assert fakes.users.get(logged_in.user.id) == logged_in.user
    assert _session_user_id(fakes, logged_in.session_token) == logged_in.user.id


def test_change_password_refuses_a_short_new_password(fakes: Fakes) -> None:
    logged_in = fakes.sign_up(password="correct horse")

    with pytest.raises(InvalidInput) as raised:
        _change_password(fakes, logged_in, "correct horse", "short")

    assert raised.value.errors == {"new_password": ["Use at least 8 characters."]}
    assert fakes.users.get(logged_in.user.id) == logged_in.user
    assert _session_user_id(fakes, logged_in.session_token) == logged_in.user.id


def test_change_password_ends_every_session_and_returns_a_working_new_one(
    fakes: Fakes,
) -> None:
    first = fakes.sign_up(email="ada@example.com", password="correct horse")
    second = _log_in(fakes, "ada@example.com", "correct horse")

    changed = _change_password(fakes, first, "correct horse", "battery staple")

    assert _session_user_id(fakes, first.session_token) is None
    assert _session_user_id(fakes, second.session_token) is None
    assert _session_user_id(fakes, changed.session_token) == first.user.id
    assert fakes.users.get(first.user.id) == changed.user


def test_after_change_password_only_the_new_password_logs_in(fakes: Fakes) -> None:
    logged_in = fakes.sign_up(email="ada@example.com", password="correct horse")

    _change_password(fakes, logged_in, "correct horse", "battery staple")

    assert _log_in(fakes, "ada@example.com", "battery staple").user.id == logged_in.user.id
    with pytest.raises(InvalidCredentials):
        _log_in(fakes, "ada@example.com", "correct horse")


def test_change_password_leaves_other_users_sessions_alone(fakes: Fakes) -> None:
    ada = fakes.sign_up(email="ada@example.com", password="correct horse")
    grace = fakes.sign_up(email="grace@example.com", password="grace's password")

    _change_password(fakes, ada, "correct horse", "battery staple")

    assert _session_user_id(fakes, grace.session_token) == grace.user.id


# rename


def test_rename_trims_the_name_and_saves_it(fakes: Fakes) -> None:
    user = fakes.sign_up(name="Ada").user

    renamed = rename(users=fakes.users, user=user, name="  Countess   of Lovelace ")

    assert renamed.name == "Countess of Lovelace"
    assert fakes.users.get(user.id) == renamed
    assert renamed.email == user.email
    assert renamed.password_hash == user.password_hash


def test_rename_refuses_a_name_longer_than_fifty_characters(fakes: Fakes) -> None:
    user = fakes.sign_up(name="Ada").user

    with pytest.raises(InvalidInput) as raised:
        rename(users=fakes.users, user=user, name="B" * 51)

    assert raised.value.errors == {"name": ["Use at most 50 characters."]}
    assert fakes.users.get(user.id) == user


def test_rename_refuses_control_characters(fakes: Fakes) -> None:
    user = fakes.sign_up(name="Ada").user

    with pytest.raises(InvalidInput) as raised:
        rename(users=fakes.users, user=user, name="Ada\x07")

    assert raised.value.errors == {"name": ["Use letters, digits and punctuation only."]}
    assert fakes.users.get(user.id) == user


# delete_account


def test_delete_account_refuses_a_wrong_password(fakes: Fakes) -> None:
    logged_in = fakes.sign_up(password="correct horse")

    with pytest.raises(InvalidInput) as raised:
        delete_account(
            users=fakes.users, hasher=fakes.hasher, user=logged_in.user, password="nope nope"
        )

    assert raised.value.errors == {"password": ["That is not your password."]}
    assert fakes.users.get(logged_in.user.id) == logged_in.user
    assert _session_user_id(fakes, logged_in.session_token) == logged_in.user.id


def test_delete_account_removes_the_user_their_sites_visits_and_sessions_only(
    fakes: Fakes,
) -> None:
    ada = fakes.sign_up(email="ada@example.com", password="correct horse")
    grace = fakes.sign_up(email="grace@example.com", password="grace's password")
    ada_site = fakes.new_site(ada.user, "https://ada.example")
    grace_site = fakes.new_site(grace.user, "https://grace.example")
    for site_id in (ada_site.id, grace_site.id, ada_site.id):
        fakes.record(Hit(site_id=site_id, url="https://example.com/page"))

    delete_account(users=fakes.users, hasher=fakes.hasher, user=ada.user, password="correct horse")

    assert fakes.users.get(ada.user.id) is None
    assert fakes.sites.get(ada_site.id) is None
    assert fakes.visits.count_for_site(ada_site.id) == 0
    assert _session_user_id(fakes, ada.session_token) is None
    assert fakes.users.get(grace.user.id) == grace.user
    assert fakes.sites.get(grace_site.id) == grace_site
    assert fakes.visits.count_for_site(grace_site.id) == 1
    assert _session_user_id(fakes, grace.session_token) == grace.user.id


def test_a_deleted_account_can_no_longer_log_in_and_its_email_is_free_again(
    fakes: Fakes,
) -> None:
    ada = fakes.sign_up(email="ada@example.com", password="correct horse")

    delete_account(users=fakes.users, hasher=fakes.hasher, user=ada.user, password="correct horse")

    with pytest.raises(InvalidCredentials):
        _log_in(fakes, "ada@example.com", "correct horse")
    assert fakes.sign_up(email="ada@example.com").user.id != ada.user.id
