"""CSRF tokens: signed with itsdangerous and bound to a secret kept in the visitor's session."""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.datastructures import FormData
from starlette.requests import Request

from entrypoints.web.exceptions import CsrfRejected

FIELD = "csrf_token"
_SESSION_KEY = "csrf"


class CsrfProtection:
    def __init__(self, secret_key: str, *, max_age: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="tracking.csrf")
        self._max_age = max_age

    def token(self, request: Request) -> str:
        """A token for a form on this page; the session secret is made on first use."""
        secret = request.session.get(_SESSION_KEY)
        if not isinstance(secret, str):
            secret = request.session[_SESSION_KEY] = secrets.token_urlsafe(24)
        return self._serializer.dumps(secret)

    async def verified_form(self, request: Request) -> FormData:
        """The submitted form, once its token proves it came from a page of this session.

        Every state-changing handler reads its form through here, so none can forget the check.
        """
        form = await request.form()
        token = form.get(FIELD)
        secret = request.session.get(_SESSION_KEY)
        if not isinstance(token, str) or not isinstance(secret, str):
            raise CsrfRejected()
        try:
            signed = self._serializer.loads(token, max_age=self._max_age)
        except BadData:
            raise CsrfRejected() from None
        if not isinstance(signed, str) or not hmac.compare_digest(signed, secret):
            raise CsrfRejected()
        return form
