"""Who is logged in: a session token in the signed cookie, checked against the server's list.

The cookie alone proves nothing: logging out deletes the server's record, so a copy of the
cookie replayed later is anonymous.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from entrypoints.bootstrap import Services
from entrypoints.web.exceptions import LoginRequired
from tracking_core.entities import User
from tracking_core.use_cases.accounts import LoggedIn, log_out, user_for_session

_TOKEN = "auth"  # noqa: S105 - the session key that holds the token, not a secret


class Auth:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def current_user(self, request: Request) -> User | None:
        if hasattr(request.state, "user"):
            known: User | None = request.state.user
            return known
        token = request.session.get(_TOKEN)
        user = None
        if isinstance(token, str):
            user = await run_in_threadpool(
                user_for_session,
                users=self.services.users,
                sessions=self.services.sessions,
                session_token=token,
            )
            if user is None:
                request.session.pop(_TOKEN, None)
        request.state.user = user
        return user

    async def require_user(self, request: Request) -> User:
        user = await self.current_user(request)
        if user is None:
            raise LoginRequired()
        return user

    @staticmethod
    def begin(request: Request, logged_in: LoggedIn) -> None:
        """Start a fresh cookie session for a new login: nothing from before it carries over."""
        request.session.clear()
        request.session[_TOKEN] = logged_in.session_token
        request.state.user = logged_in.user

    async def end(self, request: Request) -> None:
        token = request.session.get(_TOKEN)
        if isinstance(token, str):
            await run_in_threadpool(log_out, sessions=self.services.sessions, session_token=token)
        request.session.clear()
        request.state.user = None
