"""The `machi` command: serve, load demo data, migrate; later features add their own verbs."""

import argparse
import errno
import logging
import socket
import sys
from collections.abc import Callable, Sequence

from server.core.db import check_database, create_db_engine, ensure_data_dir
from server.core.settings import Settings, SettingsError, load_settings

log = logging.getLogger("machi")

Command = Callable[[argparse.Namespace, Settings], int]


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit code 2."""


def _prepare(settings: Settings) -> None:
    """Check the data folder and the database, then bring the schema up to date."""
    from server.core import migrate

    ensure_data_dir(settings.data_dir)
    engine = create_db_engine(settings)
    try:
        check_database(engine)
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is already in use: stop the other program "
                    "or set MACHI_PORT to a free port"
                ) from None
            raise CliError(
                f"cannot listen on {host}:{port}: {exc.strerror}; check MACHI_HOST"
            ) from None


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.main import create_app

    _prepare(settings)
    _check_port_free(settings.host, settings.port)
    app = create_app(settings)
    print(f"machi: serving on {settings.base_url}  (API {settings.base_url}/api/v1)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from server.demo import load_demo

    _prepare(settings)
    load_demo(settings)
    if args.no_serve:
        return 0
    return cmd_serve(args, settings)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    _prepare(settings)
    print("machi: database schema is up to date", flush=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="machi",
        description="machi, the citizen app of Hitachi city: server and tools. "
        "Settings come from MACHI_* environment variables (see README).",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    serve = verbs.add_parser("serve", help="serve the API and the web client")
    serve.set_defaults(func=cmd_serve)

    demo = verbs.add_parser("demo", help="load the Hitachi demo data, then serve")
    demo.add_argument("--no-serve", action="store_true", help="load the demo data and exit")
    demo.set_defaults(func=cmd_demo)

    db = verbs.add_parser("db", help="database schema")
    db_verbs = db.add_subparsers(dest="db_verb", required=True, metavar="COMMAND")
    upgrade = db_verbs.add_parser("upgrade", help="create or migrate the schema to the newest")
    upgrade.set_defaults(func=cmd_db_upgrade)

    from server.transit.cli import add_gtfs_commands

    add_gtfs_commands(verbs)

    from server.auth.cli import add_auth_commands

    add_auth_commands(verbs)

    from server.mobility.cli import add_gbfs_commands

    add_gbfs_commands(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
        func: Command = args.func
        return func(args, settings)
    except (SettingsError, CliError) as exc:
        print(f"machi: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
