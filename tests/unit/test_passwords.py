"""The real PBKDF2 hasher. Each full-strength hash costs ~0.15 s, so these tests spend few."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tracking_core import Pbkdf2PasswordHasher, log_in
from tracking_core.passwords import DEFAULT_ITERATIONS, MIN_ITERATIONS

from .fakes import Fakes

PASSWORD = "correct horse battery staple"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _hand_made_hash(password: str, iterations: int, salt: bytes = b"0123456789abcdef") -> str:
    """A hash in the stored format, made with hashlib directly and any work factor."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=64)
    return f"pbkdf2_sha512${iterations}${_b64(salt)}${_b64(digest)}"


@pytest.fixture(scope="module")
def hasher() -> Pbkdf2PasswordHasher:
    return Pbkdf2PasswordHasher()


@pytest.fixture(scope="module")
def two_hashes(hasher: Pbkdf2PasswordHasher) -> tuple[str, str]:
    """Two hashes of PASSWORD, made once for the whole module."""
    return hasher.hash(PASSWORD), hasher.hash(PASSWORD)


def test_a_hash_describes_its_algorithm_work_factor_salt_and_digest(
    two_hashes: tuple[str, str],
) -> None:
    algorithm, iterations, salt, digest = two_hashes[0].split("$")

    assert algorithm == "pbkdf2_sha512"
    assert int(iterations) == DEFAULT_ITERATIONS >= 220_000
    assert len(base64.urlsafe_b64decode(salt + "==")) == 16
    assert len(base64.urlsafe_b64decode(digest + "==")) == 64
    assert PASSWORD not in two_hashes[0]


def test_the_hash_matches_pbkdf2_computed_independently(two_hashes: tuple[str, str]) -> None:
    _, iterations, salt, _ = two_hashes[0].split("$")
    salt_bytes = base64.urlsafe_b64decode(salt + "==")

    assert two_hashes[0] == _hand_made_hash(PASSWORD, int(iterations), salt_bytes)


def test_two_hashes_of_the_same_password_differ_by_their_salt(
    two_hashes: tuple[str, str],
) -> None:
    first, second = two_hashes

    assert first != second
    assert first.split("$")[2] != second.split("$")[2]


def test_verify_accepts_the_right_password_and_refuses_another(
    hasher: Pbkdf2PasswordHasher, two_hashes: tuple[str, str]
) -> None:
    assert hasher.verify(PASSWORD, two_hashes[1])
    assert not hasher.verify(PASSWORD + " ", two_hashes[1])


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "pbkdf2_sha512$many$c2FsdA$ZGlnZXN0",
        "pbkdf2_sha512$0$c2FsdA$ZGlnZXN0",
        "pbkdf2_sha512$99999999999$c2FsdA$ZGlnZXN0",
        "pbkdf2_sha512$260000$sälz$ZGlnZXN0",
    ],
)
def test_a_malformed_stored_hash_verifies_false_without_raising(
    hasher: Pbkdf2PasswordHasher, stored: str
) -> None:
    assert hasher.verify(PASSWORD, stored) is False
    assert hasher.needs_rehash(stored)


def test_a_hash_with_fewer_iterations_still_verifies_but_needs_rehash(
    hasher: Pbkdf2PasswordHasher,
) -> None:
    legacy = _hand_made_hash(PASSWORD, 1_000)

    assert hasher.verify(PASSWORD, legacy)
    assert not hasher.verify("wrong", legacy)
    assert hasher.needs_rehash(legacy)


def test_a_current_hash_or_a_stronger_one_needs_no_rehash(
    hasher: Pbkdf2PasswordHasher, two_hashes: tuple[str, str]
) -> None:
    stronger = "pbkdf2_sha512$500000$c2FsdA$ZGlnZXN0"

    assert not hasher.needs_rehash(two_hashes[0])
    assert not hasher.needs_rehash(stronger)
    assert Pbkdf2PasswordHasher(600_000).needs_rehash(two_hashes[0])


@pytest.mark.parametrize(
    "foreign",
    [
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$ZGlnZXN0",
        "pbkdf2_sha256$260000$c2FsdA$ZGlnZXN0",
        "plain$secret",
    ],
)
def test_a_hash_in_a_foreign_format_needs_rehash(
    hasher: Pbkdf2PasswordHasher, foreign: str
) -> None:
    assert hasher.needs_rehash(foreign)


def test_the_hasher_refuses_fewer_than_220000_iterations() -> None:
    with pytest.raises(ValueError, match="220,000"):
        Pbkdf2PasswordHasher(iterations=MIN_ITERATIONS - 1)

    assert Pbkdf2PasswordHasher(iterations=MIN_ITERATIONS).iterations == 220_000


def test_login_upgrades_a_weak_stored_hash_to_the_current_work_factor(
    fakes: Fakes, hasher: Pbkdf2PasswordHasher
) -> None:
    user = fakes.users.add(
        email="ada@example.com",
        name="Ada",
        password_hash=_hand_made_hash(PASSWORD, 1_000),
        created_at=fakes.clock.now(),
    )

    log_in(
        users=fakes.users,
        sessions=fakes.sessions,
        hasher=hasher,
        clock=fakes.clock,
        email="ada@example.com",
        password=PASSWORD,
    )

    stored = fakes.users.get(user.id)
    assert stored is not None
    assert stored.password_hash.startswith(f"pbkdf2_sha512${DEFAULT_ITERATIONS}$")
    assert not hasher.needs_rehash(stored.password_hash)


def test_a_password_with_a_lone_surrogate_hashes_and_verifies() -> None:
    hasher = Pbkdf2PasswordHasher()
    encoded = hasher.hash("pass\ud800word")
    assert hasher.verify("pass\ud800word", encoded)
