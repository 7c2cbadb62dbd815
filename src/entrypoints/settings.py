"""Settings, read once at the edge from environment variables with typed casts."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import attrs

from tracking_core.client_ip import IPNetwork, parse_networks

#: Where the tracking script is served by default: a name that ad-block lists do not match.
DEFAULT_SCRIPT_PATH = "/js/site.js"
#: Not for operators: how ``tracking serve`` tells its workers where their writer listens.
WRITER_SOCKET_VARIABLE = "TRACKING_WRITER_SOCKET"


class SettingsError(ValueError):
    """A setting has a value that cannot work; the message names the variable."""


@attrs.frozen
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str = attrs.field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    geodata_url: str | None = None
    trusted_proxies: tuple[IPNetwork, ...] = parse_networks(["127.0.0.1", "::1"])
    allowed_hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
    public_url: str | None = None
    script_path: str = DEFAULT_SCRIPT_PATH
    workers: int = 1
    #: Group commit: how long the first visit of a batch may wait for company (milliseconds).
    flush_ms: int = 2
    #: Visits waiting to be stored, at most; beyond, the beacon answers 503.
    queue_size: int = 10_000
    #: How long a visit may wait to be committed before the beacon answers 503 (milliseconds).
    commit_timeout_ms: int = 2_000
    #: How often to retry a failing geodata service and sweep for visits without a location.
    geodata_retry_s: int = 30
    #: Tests only: a file holding the time the server lives at (``adapters.clock.FileClock``).
    test_clock_file: Path | None = None
    #: Set by ``tracking serve`` for its workers: the socket of their shared visit writer.
    writer_socket: str | None = None


def load_settings(environ: Mapping[str, str], *, cwd: Path | None = None) -> Settings:
    """Settings from ``environ``; creates the data folder and, if needed, the secret key."""
    data_dir = Path(environ.get("TRACKING_DATA_DIR") or (cwd or Path.cwd()) / "data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings(
        data_dir=data_dir,
        database_url=environ.get("TRACKING_DATABASE_URL")
        or f"sqlite:///{data_dir / 'tracking.db'}",
        secret_key=environ.get("TRACKING_SECRET_KEY") or stored_secret_key(data_dir / "secret_key"),
        host=environ.get("TRACKING_HOST") or "127.0.0.1",
        port=_integer(environ, "TRACKING_PORT", 8000, low=1, high=65535),
        geodata_url=environ.get("TRACKING_GEODATA_URL") or None,
        # An empty variable counts as unset: `make` exports unset variables as empty strings.
        trusted_proxies=_networks(environ.get("TRACKING_TRUSTED_PROXIES") or "127.0.0.1,::1"),
        allowed_hosts=_words(environ.get("TRACKING_ALLOWED_HOSTS") or "localhost,127.0.0.1"),
        public_url=(environ.get("TRACKING_PUBLIC_URL") or "").rstrip("/") or None,
        script_path=_script_path(environ.get("TRACKING_SCRIPT_PATH") or DEFAULT_SCRIPT_PATH),
        workers=_integer(environ, "TRACKING_WORKERS", 1, low=1, high=64),
        flush_ms=_integer(environ, "TRACKING_FLUSH_MS", 2, low=0, high=1_000),
        queue_size=_integer(environ, "TRACKING_QUEUE_SIZE", 10_000, low=1, high=1_000_000),
        commit_timeout_ms=_integer(
            environ, "TRACKING_COMMIT_TIMEOUT_MS", 2_000, low=10, high=600_000
        ),
        geodata_retry_s=_integer(environ, "TRACKING_GEODATA_RETRY_S", 30, low=1, high=86_400),
        test_clock_file=Path(environ["TRACKING_TEST_CLOCK_FILE"])
        if environ.get("TRACKING_TEST_CLOCK_FILE")
        else None,
        writer_socket=environ.get(WRITER_SOCKET_VARIABLE) or None,
    )


def stored_secret_key(path: Path) -> str:
    """The key kept at ``path``, made on first use with owner-only permissions (0600)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            message = f"{path} holds no usable secret key; delete it to make a new one"
            raise SettingsError(message) from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def _integer(environ: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _networks(raw: str) -> tuple[IPNetwork, ...]:
    try:
        return parse_networks(raw.split(","))
    except ValueError as exc:
        raise SettingsError(f"TRACKING_TRUSTED_PROXIES: {exc}") from None


#: Plain path characters only: the path becomes a route and goes into the snippet's HTML.
_SCRIPT_PATH = re.compile(r"/[A-Za-z0-9._~/-]*\.js")


def _script_path(raw: str) -> str:
    if not _SCRIPT_PATH.fullmatch(raw) or "//" in raw or "/../" in raw:
        message = "TRACKING_SCRIPT_PATH must start with / and end with .js, like /js/site.js"
        raise SettingsError(f"{message}, not {raw!r}")
    return raw


def _words(raw: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in raw.split(",") if word.strip())
