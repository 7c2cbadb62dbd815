"""Small helpers for reading HTML forms."""

from __future__ import annotations

#: A form sent back with mistakes in it: understood, but it cannot be applied as it is.
INVALID_FORM = 422


def form_text(value: object) -> str:
    """A form field as text; a missing field or an uploaded file counts as empty."""
    return value if isinstance(value, str) else ""
