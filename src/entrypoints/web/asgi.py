"""What the ASGI server loads: ``uvicorn --factory entrypoints.web.asgi:app_from_environment``."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from entrypoints.bootstrap import bootstrap
from entrypoints.settings import load_settings
from entrypoints.web.app import create_app


def app_from_environment() -> Starlette:
    settings = load_settings(os.environ)
    return create_app(settings, bootstrap(settings))
