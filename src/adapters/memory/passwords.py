from __future__ import annotations

import hmac


class PlainTextHasherForTests:
    """A fast stand-in for the real hasher, so unit tests need not spend 100 ms per login.

    Never use it outside tests: it stores passwords readably (tagged so it cannot be mistaken
    for a real hash). It still says "rehash" for hashes made by another scheme.
    """

    PREFIX = "plain$"

    def hash(self, password: str) -> str:
        return self.PREFIX + password

    def verify(self, password: str, encoded: str) -> bool:
        return hmac.compare_digest(self.hash(password).encode(), encoded.encode())

    def needs_rehash(self, encoded: str) -> bool:
        return not encoded.startswith(self.PREFIX)
