"""`machi user …`, `machi audit verify`, `machi auth …`: accounts, the audit chain, keys."""

import argparse
import getpass
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlmodel import Session

from server.auth import audit, keys, oauth, users
from server.auth.access import Role
from server.core.db import check_database, create_db_engine, ensure_data_dir
from server.core.errors import MachiError
from server.core.settings import Settings

Command = Callable[[argparse.Namespace, Settings], int]


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from server.core import migrate

    ensure_data_dir(settings.data_dir)
    engine = create_db_engine(settings)
    try:
        check_database(engine)
        migrate.upgrade(engine)
        with Session(engine) as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password given, typed twice, or generated (then printed once)."""
    if args.password:
        return args.password, False
    if args.generate or not sys.stdin.isatty():
        return secrets.token_urlsafe(12), True
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise MachiError("the two passwords differ")
    return first, False


def _fail(exc: MachiError) -> int:
    print(f"machi: error: {exc.detail}", file=sys.stderr)
    return 2


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password, generated = _password(args)
        with _session(settings) as session:
            account = users.create_user(
                session,
                username=args.username,
                role=Role(args.role),
                password=password,
                display_name=args.name or "",
                patient_id=args.patient_id,
            )
            user = account.user
            print(f"machi: added {user.role} {user.username} (id {user.id})")
            if user.patient_id:
                print(f"  FHIR Patient: {user.patient_id}")
            if generated:
                print(f"  password (shown once): {password}")
            if account.totp_uri:
                print("  two-factor sign-in: add this to an authenticator app (shown once):")
                print(f"    {account.totp_uri}")
                print("  recovery codes (each works once; keep them safe):")
                print("    " + "  ".join(account.recovery_codes))
    except MachiError as exc:
        return _fail(exc)
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        print(f"{'username':<24} {'role':<13} {'state':<9} {'patient':<34} name")
        for user in users.list_users(session):
            state = "disabled" if user.disabled else ("locked" if user.locked_until else "active")
            print(
                f"{user.username:<24} {user.role:<13} {state:<9} "
                f"{user.patient_id or '-':<34} {user.display_name}"
            )
    return 0


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with _session(settings) as session:
            user = users.set_disabled(session, args.username, not args.enable)
            print(f"machi: {user.username} is {'disabled' if user.disabled else 'enabled'}")
    except MachiError as exc:
        return _fail(exc)
    return 0


def cmd_user_reset_password(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password, generated = _password(args)
        with _session(settings) as session:
            user = users.reset_password(session, args.username, password)
            print(f"machi: new password set for {user.username}; any lock-out is lifted")
            if generated:
                print(f"  password (shown once): {password}")
    except MachiError as exc:
        return _fail(exc)
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        result = audit.verify(session.connection())
    if result.ok:
        print(f"machi: audit chain intact ({result.checked} records)")
        return 0
    print(f"machi: AUDIT CHAIN BROKEN after checking {result.checked} records:", file=sys.stderr)
    for problem in result.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def cmd_rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    with _session(settings) as session:
        row = keys.rotate(session)
    print(f"machi: new signing key {row.kid}; old keys stay published until their tokens expire")
    return 0


def cmd_client_add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with _session(settings) as session:
            client, secret = oauth.create_service_client(
                session, client_id=args.client_id, role=Role(args.role), scope=args.scope
            )
            print(f"machi: client {client.client_id} (client credentials, acts as {client.role})")
            print(f"  secret (shown once): {secret}")
    except MachiError as exc:
        return _fail(exc)
    return 0


def add_auth_commands(verbs: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    user = verbs.add_parser("user", help="accounts: add, list, disable, reset-password")
    user_verbs = user.add_subparsers(dest="user_verb", required=True, metavar="COMMAND")

    add = user_verbs.add_parser("add", help="add an account (staff get two-factor sign-in)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--name", help="display name")
    add.add_argument("--patient-id", help="residents: their FHIR Patient id (default: new)")
    add.add_argument("--password", help="default: asked for, or generated when not a terminal")
    add.add_argument("--generate", action="store_true", help="generate a password and print it")
    add.set_defaults(func=cmd_user_add)

    listing = user_verbs.add_parser("list", help="list accounts")
    listing.set_defaults(func=cmd_user_list)

    disable = user_verbs.add_parser("disable", help="disable an account (its tokens stop at once)")
    disable.add_argument("username")
    disable.add_argument("--enable", action="store_true", help="enable it again")
    disable.set_defaults(func=cmd_user_disable)

    reset = user_verbs.add_parser("reset-password", help="set a new password, lift lock-out")
    reset.add_argument("username")
    reset.add_argument("--password")
    reset.add_argument("--generate", action="store_true")
    reset.set_defaults(func=cmd_user_reset_password)

    audit_cmd = verbs.add_parser("audit", help="the audit trail")
    audit_verbs = audit_cmd.add_subparsers(dest="audit_verb", required=True, metavar="COMMAND")
    verify = audit_verbs.add_parser("verify", help="check the hash chain; exit 1 if broken")
    verify.set_defaults(func=cmd_audit_verify)

    auth = verbs.add_parser("auth", help="identity provider: keys and service clients")
    auth_verbs = auth.add_subparsers(dest="auth_verb", required=True, metavar="COMMAND")
    rotate = auth_verbs.add_parser("rotate-key", help="start signing with a new key now")
    rotate.set_defaults(func=cmd_rotate_key)
    client = auth_verbs.add_parser("add-client", help="a client-credentials integration")
    client.add_argument("client_id")
    client.add_argument("--role", default=Role.OPERATOR.value, choices=[r.value for r in Role])
    client.add_argument("--scope", default="system/*.rs")
    client.set_defaults(func=cmd_client_add)
