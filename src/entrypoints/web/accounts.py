"""Pages for signing up, logging in and out, and managing one's account."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from entrypoints.web.context import WebContext
from entrypoints.web.forms import INVALID_FORM, form_text
from entrypoints.web.redirects import safe_next
from entrypoints.web.templating import flash
from tracking_core.errors import InvalidCredentials, InvalidInput
from tracking_core.use_cases import accounts


class AccountPages:
    def __init__(self, web: WebContext) -> None:
        self.web = web
        self.services = web.services

    def routes(self) -> list[Route]:
        return [
            Route("/register/", self.register, methods=["GET", "POST"]),
            Route("/login/", self.login, methods=["GET", "POST"]),
            Route("/logout/", self.logout, methods=["POST"]),
            Route("/account", self.account, methods=["GET"]),
            Route("/account/name", self.rename, methods=["POST"]),
            Route("/account/password", self.change_password, methods=["POST"]),
            Route("/account/delete", self.delete, methods=["POST"]),
        ]

    async def register(self, request: Request) -> Response:
        if request.method == "GET":
            return self._form(request, "register.html")
        form = await self.web.csrf.verified_form(request)
        values = {key: form_text(form.get(key)) for key in ("name", "email", "password")}
        try:
            logged_in = await run_in_threadpool(
                accounts.register,
                users=self.services.users,
                sessions=self.services.sessions,
                hasher=self.services.hasher,
                clock=self.services.clock,
                **values,
            )
        except InvalidInput as exc:
            return self._form(request, "register.html", values, exc.errors)
        self.web.auth.begin(request, logged_in)
        flash(request, "Welcome to Tracking! Add the first site you want to follow.")
        return RedirectResponse("/sites", status_code=303)

    async def login(self, request: Request) -> Response:
        next_path = safe_next(request.query_params.get("next"))
        if request.method == "GET":
            if await self.web.auth.current_user(request) is not None:
                return RedirectResponse(next_path, status_code=303)
            return self._form(request, "login.html", {"next": next_path})
        form = await self.web.csrf.verified_form(request)
        next_path = safe_next(form_text(form.get("next")) or request.query_params.get("next"))
        email = form_text(form.get("email"))
        try:
            logged_in = await run_in_threadpool(
                accounts.log_in,
                users=self.services.users,
                sessions=self.services.sessions,
                hasher=self.services.hasher,
                clock=self.services.clock,
                email=email,
                password=form_text(form.get("password")),
            )
        except InvalidCredentials as exc:
            values = {"email": email, "next": next_path}
            return self._form(request, "login.html", values, {"form": [str(exc)]})
        self.web.auth.begin(request, logged_in)
        return RedirectResponse(next_path, status_code=303)

    async def logout(self, request: Request) -> Response:
        await self.web.csrf.verified_form(request)
        await self.web.auth.end(request)
        flash(request, "You are logged out.")
        return RedirectResponse("/", status_code=303)

    async def account(self, request: Request) -> Response:
        user = await self.web.auth.require_user(request)
        return self.web.pages.render(request, "account.html", {"values": {"name": user.name}})

    async def rename(self, request: Request) -> Response:
        user = await self.web.auth.require_user(request)
        form = await self.web.csrf.verified_form(request)
        name = form_text(form.get("name"))
        try:
            await run_in_threadpool(
                accounts.rename, users=self.services.users, user=user, name=name
            )
        except InvalidInput as exc:
            return self._form(request, "account.html", {"name": name}, exc.errors)
        flash(request, "Saved your name.")
        return RedirectResponse("/account", status_code=303)

    async def change_password(self, request: Request) -> Response:
        user = await self.web.auth.require_user(request)
        form = await self.web.csrf.verified_form(request)
        try:
            logged_in = await run_in_threadpool(
                accounts.change_password,
                users=self.services.users,
                sessions=self.services.sessions,
                hasher=self.services.hasher,
                clock=self.services.clock,
                user=user,
                current_password=form_text(form.get("current_password")),
                new_password=form_text(form.get("new_password")),
            )
        except InvalidInput as exc:
            return self._form(request, "account.html", {"name": user.name}, exc.errors)
        self.web.auth.begin(request, logged_in)
        flash(request, "Password changed. Every other session has been logged out.")
        return RedirectResponse("/account", status_code=303)

    async def delete(self, request: Request) -> Response:
        user = await self.web.auth.require_user(request)
        form = await self.web.csrf.verified_form(request)
        try:
            await run_in_threadpool(
                accounts.delete_account,
                users=self.services.users,
                hasher=self.services.hasher,
                user=user,
                password=form_text(form.get("password")),
            )
        except InvalidInput as exc:
            return self._form(request, "account.html", {"name": user.name}, exc.errors)
        request.session.clear()
        request.state.user = None
        flash(request, "Your account and all its data have been deleted.")
        return RedirectResponse("/", status_code=303)

    def _form(
        self,
        request: Request,
        template: str,
        values: dict[str, str] | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> Response:
        values = {key: value for key, value in (values or {}).items() if "password" not in key}
        return self.web.pages.render(
            request,
            template,
            {"values": values, "errors": errors or {}},
            status_code=INVALID_FORM if errors else 200,
        )
