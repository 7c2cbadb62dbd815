"""PBKDF2-HMAC-SHA512 password hashing in a self-describing format.

An encoded hash reads ``pbkdf2_sha512$<iterations>$<salt>$<digest>`` (salt and digest in
unpadded URL-safe base64), so the work factor can be raised later and old hashes upgraded
at the next successful login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha512"
#: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512 is 210,000; we stay above it.
DEFAULT_ITERATIONS = 260_000
MIN_ITERATIONS = 220_000
_SALT_BYTES = 16
_DIGEST_BYTES = 64
#: The most iterations hashlib accepts (a C int); a count outside 1.._MAX is malformed.
_MAX_ITERATIONS = 2**31 - 1


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse(encoded: str) -> tuple[int, bytes, bytes] | None:
    try:
        algorithm, iterations_text, salt, digest = encoded.split("$")
        iterations = int(iterations_text)
        if algorithm != ALGORITHM or not 1 <= iterations <= _MAX_ITERATIONS:
            return None
        return iterations, _b64decode(salt), _b64decode(digest)
    except ValueError:  # wrong number of parts, a non-integer, or bad base64
        return None


class Pbkdf2PasswordHasher:
    """The production ``PasswordHasher``: slow on purpose, salted per password."""

    def __init__(self, iterations: int = DEFAULT_ITERATIONS) -> None:
        if iterations < MIN_ITERATIONS:
            raise ValueError(f"iterations must be at least {MIN_ITERATIONS:,}")
        self.iterations = iterations

    def hash(self, password: str) -> str:
        salt = secrets.token_bytes(_SALT_BYTES)
        digest = self._derive(password, salt, self.iterations)
        return f"{ALGORITHM}${self.iterations}${_b64encode(salt)}${_b64encode(digest)}"

    def verify(self, password: str, encoded: str) -> bool:
        parsed = _parse(encoded)
        if parsed is None:
            # Still spend the time, so a broken stored hash is not a timing oracle.
            self._derive(password, b"\0" * _SALT_BYTES, self.iterations)
            return False
        iterations, salt, expected = parsed
        return hmac.compare_digest(self._derive(password, salt, iterations), expected)

    def needs_rehash(self, encoded: str) -> bool:
        parsed = _parse(encoded)
        return parsed is None or parsed[0] < self.iterations

    @staticmethod
    def _derive(password: str, salt: bytes, iterations: int) -> bytes:
        return hashlib.pbkdf2_hmac(
            "sha512",
            password.encode("utf-8", "surrogatepass"),
            salt,
            iterations,
            dklen=_DIGEST_BYTES,
        )
