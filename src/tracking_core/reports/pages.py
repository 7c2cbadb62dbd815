"""What a "page" is in the reports: the path of the URL, without its query or fragment.

``/pricing?utm_source=x`` and ``/pricing#faq`` are the same page; the host is left out, as
one site's pages are what its reports list (a site served as ``www.`` and bare shares its
pages). An empty path is ``/``.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit


@functools.lru_cache(maxsize=8192)
def page_path(url: str) -> str:
    """The page a URL is on; never raises (an unreadable URL is its own text)."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return url
