from __future__ import annotations

import attrs

from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from entrypoints.web.auth import Auth
from entrypoints.web.csrf import CsrfProtection
from entrypoints.web.templating import Pages


@attrs.frozen
class WebContext:
    """What every group of pages needs, built once by the app factory."""

    services: Services
    settings: Settings
    pages: Pages
    csrf: CsrfProtection
    auth: Auth
