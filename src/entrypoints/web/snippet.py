"""The copy-paste tracking code an owner puts in their pages."""

from __future__ import annotations

import json

from markupsafe import escape


def tracking_snippet(public_base: str, site_id: int) -> str:
    """HTML that reports a page view to the beacon, with a pixel for browsers without JS.

    The beacon URL goes into a JS string via JSON (safe inside a script: ``<`` and ``/`` are
    escaped) and into the ``<img>`` attribute HTML-escaped, so a hostile base URL cannot break out.
    """
    beacon = f"{public_base.rstrip('/')}/sites/{site_id}/visit"
    js_beacon = json.dumps(beacon).replace("<", "\\u003c").replace("/", "\\/")
    return (
        "<script>\n"
        "(function () {\n"
        '  var q = "?url=" + encodeURIComponent(location.href) +\n'
        '    "&referrer=" + encodeURIComponent(document.referrer);\n'
        f"  new Image().src = {js_beacon} + q;\n"
        "})();\n"
        "</script>\n"
        f'<noscript><img src="{escape(beacon)}" width="1" height="1" alt=""></noscript>'
    )
