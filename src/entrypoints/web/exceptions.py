"""Refusals raised by the web layer itself; ``errors.py`` turns them into responses."""

from __future__ import annotations


class LoginRequired(Exception):
    """The page needs a logged-in user; answered with a redirect to the login form."""


class CsrfRejected(Exception):
    """A state-changing form came without a valid CSRF token."""
