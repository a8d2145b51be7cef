"""Administration from the shell: migrations, reference data, demo data, users, audit checks."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from sqlmodel import select

from core import report, workflow
from core.accounts.users import create_user, normalise_email, set_password
from core.enums import Role
from core.models import StrikePeriod, User
from core.platform.clock import format_london
from core.platform.db import DatabaseBusy, migrate, read_session, write_session
from core.platform.errors import DerogationError, NotFound
from core.records import audit, integrity, nhs_number_scan, retention
from core.reference.nhs_organisations import load_reference_data
from core.request import running_counts
from ops import backup, mail_worker
from ops.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, NotADemoDatabase, refuse_real_accounts, seed_demo


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
    try:
        refuse_real_accounts()  # before migrating: a database of real people is not touched at all
    except NotADemoDatabase as refusal:
        print(refusal, file=sys.stderr)
        return 1
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


def _password(args: argparse.Namespace) -> str | None:
    """--password, or asked at a terminal (keeps it out of shell history); None when neither is possible."""
    if args.password:
        return args.password
    if sys.stdin.isatty():
        return getpass.getpass("Password (10 characters or more): ")
    print("Refused: give --password, or run this in a terminal to be asked for it.", file=sys.stderr)
    return None


def _create_user(args: argparse.Namespace) -> int:
    migrate()
    password = _password(args)
    if password is None:
        return 2
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


def _set_password(args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return 2
    with write_session() as session:
        user = session.exec(select(User).where(User.email == normalise_email(args.email))).first()
        if user is None:
            raise NotFound("account")
        set_password(session, user.id, password, by=None)
    print(f"New password set for {user.email}.")
    return 0


def _periods(_: argparse.Namespace) -> int:
    with read_session() as session:
        periods = session.exec(select(StrikePeriod).order_by(StrikePeriod.starts_at)).all()
    for period in periods:
        print(f"{period.id:>4}  {format_london(period.starts_at)} to {format_london(period.ends_at)}  {period.name}")
    if not periods:
        print("No strike periods yet.")
    return 0


def _expire(_: argparse.Namespace) -> int:
    count = workflow.expire_ended_periods()
    print(f"Expired {count} request(s) whose strike period has ended.")
    return 0


def _verify_audit(args: argparse.Namespace) -> int:
    """The chain, then every request, account and strike period replayed from it and compared with its
    live row (core/records/integrity.py); exits 1 naming whatever differs, and raises the alarm."""
    report = integrity.check(full=not args.incremental, anchors=args.anchor)
    chain = report.chain
    if chain.ok:
        print(
            f"Audit chain intact: {chain.rows_checked} rows checked{'' if report.full else ' (since the last check)'}."
        )
        print(f"Newest hash: {chain.last_hash or '(empty chain)'}")
        print("Record it somewhere else: `verify-audit --anchor HASH` later shows the history was not rewritten.")
    else:
        print(f"{integrity.chain_problem(chain)}.")
        return 1
    compared = ", ".join(f"{count} {kind}(s)" for kind, count in report.compared.items())
    if not report.differences:
        print(f"Live records match their history: {compared} compared, {report.rows_replayed} rows replayed.")
        return 0
    print(f"Live records DIFFER from their history ({compared} compared):")
    for difference in report.differences:
        print(f"  {difference}")
    print(f"{len(report.differences)} difference(s): administrators and the national MDT have been told.")
    return 1


def _check_tally(args: argparse.Namespace) -> int:
    """The dashboard's running counts against a fresh count (they differ only if rows were changed
    outside the application, e.g. by hand in SQL or a partial restore)."""
    with write_session() as session:  # writers wait the moment it takes to count, so both sides agree
        running_counts.hold_writers(session)
        wrong = running_counts.differences(session)
    if not wrong:
        print("Dashboard tally matches the requests.")
        return 0
    for key, (kept, fresh) in sorted(wrong.items(), key=str):
        print(f"{key}: tally {kept}, requests {fresh}")
    if not args.repair:
        print(f"{len(wrong)} count(s) differ; run `check-tally --repair` to count afresh.")
        return 1
    with write_session() as session:
        running_counts.rebuild(session)
    print(f"{len(wrong)} count(s) differed; counted afresh.")
    return 0


def _export_audit(args: argparse.Namespace) -> int:
    out = Path(args.out)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # names and rationales inside
    try:
        with read_session() as session, partial.open("w", encoding="utf-8", newline="") as handle:
            if args.request is not None:
                summary = audit.export_request(session, handle, args.request)
            else:
                summary = audit.export_period(session, handle, args.period)
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    check = "--request-export " if args.request is not None else ""
    print(f"Wrote {summary.rows} audit row(s) to {out}.")
    print(f"Anyone can re-check it: python scripts/verify_audit_csv.py {check}{out}")
    return 0


def _pid_scan(_: argparse.Namespace) -> int:
    """Rows holding an NHS number in free text, from before it was refused: named, never printed."""
    with read_session() as session:
        findings = [str(finding) for finding in nhs_number_scan.scan(session)]
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} field(s) hold what looks like an NHS number: remove it (see docs/privacy.md).")
        return 1
    print("No NHS numbers found in requests, comments, audit rows or strike period names.")
    return 0


def _foi_export(args: argparse.Namespace) -> int:
    data = report.foi.foi_csv(None, args.period)
    Path(args.out).write_bytes(data)
    rows = data.decode("utf-8-sig").count("\n") - 1
    print(f"Wrote {rows} request(s) of strike period {args.period} to {args.out}: no personal data, no free text.")
    return 0


def _retention(args: argparse.Namespace) -> int:
    """Contact details and closed accounts past DEROG_CONTACT_RETENTION_MONTHS: listed, or removed with --apply."""
    found = retention.apply() if args.apply else retention.due()
    done = "Removed" if args.apply else "Would remove"
    print(f"Limit: strike periods ended, and accounts closed, before {format_london(found.cutoff)}.")
    print(f"{done} the contact details of {len(found.request_ids)} request(s): {_ids(found.request_ids)}")
    print(
        f"{'Pseudonymised' if args.apply else 'Would pseudonymise'} {len(found.account_ids)} closed "
        f"account(s): {_ids(found.account_ids)}"
    )
    print(
        f"{done} {len(found.address_rows)} address(es) typed at sign-in that are no account's, from audit rows: "
        f"{_ids(found.address_rows)}"
    )
    print(f"{done} {len(found.mail_ids)} e-mail(s) sent or given up before then, from the outbox.")
    if found and not args.apply:
        print("Nothing was changed: add --apply to remove them.")
    return 0


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids[:50])) + (f" and {len(ids) - 50} more" if len(ids) > 50 else "") if ids else "none"


def _backup(args: argparse.Namespace) -> int:
    snapshot = backup.backup(args.out)
    print(
        f"Backed up to {snapshot.path}: {snapshot.requests} request(s), {snapshot.audit_rows} audit row(s), "
        "integrity and audit chain checked."
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    target = backup.sqlite_file()
    if not args.yes:
        if not sys.stdin.isatty():
            print("Refused: add --yes to replace the database without being asked.", file=sys.stderr)
            return 2
        answer = input(f"This replaces {target} with {args.source}. Type RESTORE to go on: ")
        if answer.strip() != "RESTORE":
            print("Nothing was changed.")
            return 1
    snapshot, saved = backup.restore(args.source)
    if saved:
        print(f"The database as it was is kept at {saved}.")
    print(
        f"Restored {target} from {args.source}: {snapshot.requests} request(s), {snapshot.audit_rows} audit row(s), "
        "integrity and audit chain checked."
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description="Derogations administration.")
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
    reset = sub.add_parser("set-password", help="set a new password for an account")
    reset.add_argument("--email", required=True)
    reset.add_argument("--password", help="omit to be asked (keeps it out of shell history)")
    reset.set_defaults(func=_set_password)
    sub.add_parser("periods", help="list strike periods and their ids").set_defaults(func=_periods)
    sub.add_parser("expire", help="close open requests whose strike period has ended").set_defaults(func=_expire)
    verify = sub.add_parser("verify-audit", help="check the audit history's hash chain and the live records against it")
    verify.add_argument("--anchor", action="append", default=[], help="a hash printed by an earlier check")
    verify.add_argument(
        "--incremental",
        action="store_true",
        help="only the rows added since the last check (every live row still compared)",
    )
    verify.set_defaults(func=_verify_audit)
    check = sub.add_parser("check-tally", help="check the dashboard's running counts against the requests")
    check.add_argument("--repair", action="store_true", help="count afresh where they differ")
    check.set_defaults(func=_check_tally)
    export = sub.add_parser("export-audit", help="write the audit history of a request or strike period as CSV")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--request", type=int, help="request id")
    which.add_argument("--period", type=int, help="strike period id")
    export.add_argument("--out", required=True, help="CSV file to write")
    export.set_defaults(func=_export_audit)
    sub.add_parser("pid-scan", help="list stored free text holding an NHS number").set_defaults(func=_pid_scan)
    foi = sub.add_parser("foi-export", help="a period's requests with no personal data, for an FOI answer")
    foi.add_argument("--period", type=int, required=True, help="strike period id")
    foi.add_argument("--out", required=True, help="CSV file to write")
    foi.set_defaults(func=_foi_export)
    keep = sub.add_parser("retention", help="contact details and closed accounts past the retention limit")
    keep.add_argument("--apply", action="store_true", help="remove them (without it: list what would go)")
    keep.set_defaults(func=_retention)
    save = sub.add_parser("backup", help="consistent online backup of the SQLite database")
    save.add_argument("--out", required=True, help="new file to write")
    save.set_defaults(func=_backup)
    load = sub.add_parser("restore", help="replace the SQLite database with a checked backup")
    load.add_argument("--from", dest="source", required=True, help="backup file")
    load.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    load.set_defaults(func=_restore)
    mail_worker.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DerogationError, DatabaseBusy) as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
