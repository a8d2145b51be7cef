"""The mail worker's loop: every pass expires ended strike periods, sends response-target reminders, proves
the live state against its audit history when due (every few minutes; core/records/integrity.py) and e-mails the
day's anchor, then delivers the outbox (core/notifications/mailer.py). `python -m ops mail-worker`; one per deployment (deploy/)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from core import workflow
from core.notifications import mailer, reminders
from core.platform.clock import utcnow
from core.platform.db import DatabaseBusy
from core.platform.errors import DerogationError
from core.records import integrity, retention

log = logging.getLogger("derogations.mail_worker")
T = TypeVar("T")
DEFAULT_INTERVAL_SECONDS = 15.0
RETENTION_EVERY = timedelta(days=1)
_retention_ran: list[datetime] = []  # when this worker last applied retention


def daily_retention(now: datetime | None = None) -> retention.Due | None:
    """Retention (core.records.retention) on the worker's first pass and a day after the last: None when not yet due."""
    now = now or utcnow()
    if _retention_ran and timedelta(0) <= now - _retention_ran[-1] < RETENTION_EVERY:
        return None
    _retention_ran[:] = [now]
    try:
        removed = retention.apply(now)
    except DatabaseBusy:
        _retention_ran.clear()  # try again next pass
        raise
    except DerogationError as refused:  # the chain is broken: verify-audit says where; tried again tomorrow
        log.error("retention refused: %s", refused)
        return None
    if removed:
        log.info(
            "retention: contact details of %s request(s) removed, %s account(s) pseudonymised",
            len(removed.request_ids),
            len(removed.account_ids),
        )
    return removed


def run_once(now: datetime | None = None) -> tuple[int, mailer.PassResult]:
    """Expiry first (no reminders about requests whose strike has ended, even with no visitors), then
    reminders (they may add mail), then the outbox; last the live state against its history when due
    (core/records/integrity.py: the daily full replay takes a while, and the mail waiting goes first), whose alarm
    and the day's anchor go out with the next pass's mail. Retention runs first, once a day."""
    _housekeeping("retention", daily_retention, now)
    workflow.expire_ended_periods(now)
    reminded = reminders.send_due_reminders(now)
    delivered = mailer.deliver_due(now)
    report = _housekeeping("the integrity check", integrity.check_if_due, now)
    if report is not None and not report.ok:
        log.error("INTEGRITY ALARM: %s", "; ".join(report.findings()[:10]))
    _housekeeping("the audit anchor", integrity.send_anchor_if_due, now)
    return reminded, delivered


def _housekeeping(name: str, step: Callable[[datetime | None], T], now: datetime | None) -> T | None:
    """A step beside the worker's job (mail, reminders, expiry) that must never stop it: a failure, e.g. a
    database role without the rights retention needs (docs/retention.md), is logged in full and the pass goes
    on; the step is tried again on a later pass. A busy database still ends the pass, as for every step."""
    try:
        return step(now)
    except DatabaseBusy:
        raise
    except Exception:  # noqa: BLE001 - logged with its traceback; mail to reviewers matters more
        log.exception("%s failed; the worker goes on and tries it again later", name)
        return None


def run(interval: float = DEFAULT_INTERVAL_SECONDS, stop: threading.Event | None = None) -> None:
    """Loop until `stop` is set (SIGTERM and SIGINT set it when run from the command line)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            reminded, result = run_once()
            if reminded or result.sent or result.failed or result.gave_up:
                log.info(
                    "reminded %s; sent %s, retrying %s, gave up %s",
                    reminded,
                    result.sent,
                    result.failed,
                    result.gave_up,
                )
        except DatabaseBusy:
            log.warning("database busy; trying again next pass")
        stop.wait(interval)


def main(args: argparse.Namespace) -> int:
    """`python -m ops mail-worker [--once] [--interval S]`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if mailer.SmtpSettings.from_env() is None:
        print("DEROG_SMTP_HOST is not set: e-mail is off; sending in-app reminders only.")
    if args.once:
        reminded, result = run_once()
        status = mailer.outbox_status()
        print(
            f"Reminded {reminded} tier visit(s). E-mail: {result.sent} sent, {result.failed} to retry, "
            f"{result.gave_up} given up. Outbox: {status.waiting} waiting, {status.sent} sent, "
            f"{status.given_up} given up."
        )
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(f"Mail worker running every {args.interval:g} s; Ctrl+C stops it.")
    run(args.interval, stop)
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser("mail-worker", help="send queued e-mail and response-target reminders")
    worker.add_argument("--once", action="store_true", help="one pass, then exit (for cron or a test)")
    worker.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_SECONDS, help="seconds between passes")
    worker.set_defaults(func=main)
