"""Administration from the shell: migrations, reference data, demo data, users, audit checks."""

from __future__ import annotations

import argparse
import getpass
import sys

from core import audit, mailer, workflow
from core.db import migrate, read_session, write_session
from core.enums import Role
from core.errors import DerogationError
from core.reference import load_reference_data
from core.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from core.users import create_user


def _migrate(_: argparse.Namespace) -> int:
    migrate()
    print("Database schema is up to date.")
    return 0


def _load_reference(_: argparse.Namespace) -> int:
    migrate()
    with write_session() as session:
        regions, trusts = load_reference_data(session)
    print(f"Loaded {regions} NHS England regions and {trusts} NHS trusts.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    migrate()
    result = seed_demo(requests=args.requests)
    if not result["requests"]:
        print("Demo data already present; nothing added.")
    else:
        print(f"Seeded {result['requests']} demo requests ({result['expired']} expired with their strike period).")
    print(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        print(f"  {account.email:36} {account.role.label}")
    return 0


def _create_user(args: argparse.Namespace) -> int:
    migrate()
    password = args.password or getpass.getpass("Password (10 characters or more): ")
    with write_session() as session:
        user = create_user(
            session,
            email=args.email,
            full_name=args.name,
            role=args.role,
            password=password,
            trust_code=args.trust,
            region_code=args.region,
        )
    print(f"Created {user.email} ({Role(user.role).label}).")
    return 0


def _expire(_: argparse.Namespace) -> int:
    count = workflow.expire_ended_periods()
    print(f"Expired {count} request(s) whose strike period has ended.")
    return 0


def _verify_audit(_: argparse.Namespace) -> int:
    with read_session() as session:
        report = audit.verify_chain(session)
    if report.ok:
        print(f"Audit chain intact: {report.rows_checked} rows checked.")
        return 0
    print(f"Audit chain BROKEN at row {report.first_bad_id}: {report.problem}.")
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Derogations administration.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(func=_migrate)
    sub.add_parser("load-reference", help="load NHS England regions and NHS trusts").set_defaults(func=_load_reference)
    demo = sub.add_parser("demo", help="seed demo accounts, strike periods and requests")
    demo.add_argument("--requests", type=int, default=300)
    demo.set_defaults(func=_demo)
    user = sub.add_parser("create-user", help="create an account")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--trust", help="ODS code, for trust roles")
    user.add_argument("--region", help="NHS England region code, for regional roles")
    user.add_argument("--password", help="omit to be asked (keeps it out of shell history)")
    user.set_defaults(func=_create_user)
    sub.add_parser("expire", help="close open requests whose strike period has ended").set_defaults(func=_expire)
    sub.add_parser("verify-audit", help="check the audit history's hash chain").set_defaults(func=_verify_audit)
    mailer.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except DerogationError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
