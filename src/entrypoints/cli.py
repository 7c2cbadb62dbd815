"""The ``tracking`` command: ``tracking migrate``, ``tracking serve``, ``tracking forget-salts``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

from entrypoints.settings import WRITER_SOCKET_VARIABLE, Settings, SettingsError, load_settings

# The web stack, Alembic and the adapters are imported by the commands that use them, not
# here: each visit writer process (multiprocessing's ``spawn``) imports this module again
# before it starts, and it needs none of them (about 20 MB of each writer's memory).


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tracking", description="Self-hosted web analytics.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the database schema up to date")
    commands.add_parser("serve", help="serve the web app (settings from TRACKING_* variables)")
    commands.add_parser(
        "forget-salts",
        help="delete the visitor-id salts made over 48 hours ago (the server does it hourly)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"tracking: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from adapters.sql.migrate import upgrade

        upgrade(settings.database_url)
        print("Database is up to date.")
        return 0
    from entrypoints.bootstrap import bootstrap, shared_writer, workers_share_a_writer
    from tracking_core.errors import StorageUnavailable

    if args.command == "forget-salts":
        from tracking_core.reports.visitor_ids import forget_old_salts

        services = bootstrap(settings)
        try:
            deleted = forget_old_salts(salts=services.salts, clock=services.clock)
        finally:
            services.close()
        print(f"Deleted {deleted} expired salt{'' if deleted == 1 else 's'}.")
        return 0
    print(f"Tracking is serving on http://{settings.host}:{settings.port}", flush=True)
    if not workers_share_a_writer(settings):
        _serve(settings)  # each worker starts a visit writer of its own
        return 0
    with tempfile.TemporaryDirectory(prefix="tracking-") as folder:
        writer = shared_writer(settings, Path(folder) / "writer.sock")
        try:
            writer.start()
        except StorageUnavailable as exc:
            print(f"tracking: {exc}", file=sys.stderr)
            return 1
        # Started before the workers, stopped once they are gone: they drain their queues
        # through it as they stop.
        os.environ[WRITER_SOCKET_VARIABLE] = str(writer.address)  # the workers' settings
        try:
            _serve(settings)
        finally:
            writer.stop()
    return 0


def _serve(settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "entrypoints.web.asgi:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # The app reads X-Forwarded-For itself, trusting only TRACKING_TRUSTED_PROXIES.
        proxy_headers=False,
        server_header=False,
        access_log=False,
    )


if __name__ == "__main__":
    sys.exit(main())
