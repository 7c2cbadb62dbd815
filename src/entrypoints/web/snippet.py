"""The copy-paste tracking code an owner puts in their pages."""

from __future__ import annotations

from markupsafe import escape


def tracking_snippet(public_base: str, site_id: int, script_url: str) -> str:
    """A deferred ``<script>`` tag for the tracking script, and a pixel for pages without JS.

    ``public_base`` is the address visitors' browsers reach (scheme and host, maybe a path);
    ``script_url`` the script's versioned path. Every value is HTML-attribute-escaped, so a
    hostile base URL cannot break out of its attribute.
    """
    base = public_base.rstrip("/")
    script = escape(f"{base}{script_url}")
    pixel = escape(f"{base}/sites/{site_id}/visit.gif")
    return (
        f'<script defer src="{script}" data-site="{escape(str(site_id))}"'
        f' data-api="{escape(base)}"></script>\n'
        f'<noscript><img src="{pixel}" width="1" height="1" alt=""'
        ' referrerpolicy="no-referrer-when-downgrade"></noscript>'
    )
