"""Pure ASGI middleware: cheap enough to sit in front of the beacon."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracking_core.client_ip import IPNetwork, is_trusted_proxy, parse_ip

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """Adds a strict CSP, nosniff and a referrer policy to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answers 413 to any request body over ``max_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _BodyTooLarge:
            if response_started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = f"{self.max_bytes // 1024} KiB"
        response = PlainTextResponse(f"Request body too large: at most {limit}.", status_code=413)
        await response(scope, receive, send)


class SessionCookies:
    """Starlette's signed-cookie sessions, marked ``Secure`` whenever the visitor uses HTTPS.

    HTTPS is the connection's own scheme, or ``X-Forwarded-Proto`` from a trusted proxy.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        max_age: int,
        trusted_proxies: tuple[IPNetwork, ...],
    ) -> None:
        self.plain, self.secure = (
            SessionMiddleware(
                app,
                secret_key=secret_key,
                session_cookie="tracking",
                max_age=max_age,
                same_site="lax",
                https_only=https_only,
            )
            for https_only in (False, True)
        )
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.plain(scope, receive, send)
            return
        handler = self.secure if self._is_https(scope) else self.plain
        await handler(scope, receive, send)

    def _is_https(self, scope: Scope) -> bool:
        if scope.get("scheme") in ("https", "wss"):
            return True
        peer = scope.get("client")
        proto = Headers(scope=scope).get("x-forwarded-proto", "")
        if not proto or not peer:
            return False
        address = parse_ip(peer[0])
        return (
            address is not None
            and is_trusted_proxy(address, self.trusted_proxies)
            and proto.split(",")[-1].strip().lower() == "https"
        )
