"""Faults: the app process killed mid-burst loses nothing it committed and leaves nothing half-written;
a locked or unreachable database gives a "try again" message and writes nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from core import queries, workflow
from core.accounts.users import authenticate
from core.enums import Action, Role
from core.models import AuditEvent, Comment, DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import DatabaseBusy, dispose_engines, read_session, write_session
from ops.backup import sqlite_file
from tests.conftest import Staff, valid_form
from tests.ports import free_port
from tests.security.world import assert_consistent, fingerprint

KILL_AFTER_LINES = (7, 40, 113)  # three bursts on the same file, each cut at a different point


def strike_period() -> StrikePeriod:
    now = utcnow()
    with write_session() as session:
        period = StrikePeriod(name="Strike", starts_at=now - timedelta(hours=12), ends_at=now + timedelta(days=3))
        session.add(period)
    return period


def burst_until_killed(args: list[str], lines: int) -> list[str]:
    """Run the writer, read what it reports committed, SIGKILL it while it keeps writing."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.security.burst_writer", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    reported: list[str] = []
    try:
        while len(reported) < lines:
            line = child.stdout.readline()
            assert line, f"the writer stopped by itself: {child.stderr.read()}"
            reported.append(line.split())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    return reported


def test_sigkill_mid_burst_loses_nothing_committed_and_leaves_nothing_half_written(sqlite_db):
    team = Staff().team()
    period = strike_period()
    args = [str(i) for i in (period.id, *(team[r].id for r in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD)))]
    path = sqlite_file()
    dispose_engines()  # the file is the child's alone while it runs

    reported: list[list[str]] = []
    for lines in KILL_AFTER_LINES:
        reported += burst_until_killed(args, lines)
        with sqlite3.connect(path) as raw:  # opens cleanly; WAL recovery happens here
            assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        dispose_engines()

    with read_session() as session:
        for kind, first, second in reported:
            if kind == "R":  # the request is there at that version or later, with an audit row per version
                request = session.get(DerogationRequest, int(first))
                assert request is not None and request.version >= int(second)
                rows = session.exec(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.request_id == request.id, AuditEvent.action != Action.COMMENT.value)
                ).one()
                assert rows == request.version
            else:
                comment = session.get(Comment, int(first))
                assert comment is not None and comment.request_id == int(second)
                audit_row = session.exec(
                    select(AuditEvent).where(
                        AuditEvent.action == Action.COMMENT.value, AuditEvent.request_id == comment.request_id
                    )
                ).first()
                assert audit_row is not None
        assert len(reported) == sum(KILL_AFTER_LINES)
    assert_consistent()  # no request whose version differs from its audit rows; the chain verifies


# ---------------------------------------------------------------- the database briefly unavailable


def test_locked_sqlite_says_try_again_and_writes_nothing(sqlite_db, monkeypatch):
    team = Staff().team()
    period = strike_period()
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period))
    monkeypatch.setenv("DEROG_SQLITE_BUSY_TIMEOUT_MS", "100")
    dispose_engines()  # the next engine takes the short timeout
    before = fingerprint()

    blocker = sqlite3.connect(sqlite_file(), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the lock for longer than the timeout
    try:
        with pytest.raises(DatabaseBusy) as busy:
            workflow.submit(requester, draft.id, draft.version)
        assert "try again" in str(busy.value) and "Nothing was lost" in str(busy.value)
        with pytest.raises(DatabaseBusy):
            workflow.add_comment(requester, draft.id, "Typed while the database was busy.")
        assert queries.request_record(requester, draft.id).request.version == draft.version  # reading still works (WAL)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert fingerprint() == before
    submitted = workflow.submit(requester, draft.id, draft.version)  # the same click, once the lock is gone
    assert submitted.version == draft.version + 1
    assert_consistent()


def closed_port() -> int:
    return free_port()  # nothing listens there, and this worker starts nothing there meanwhile (tests/ports.py)


def test_unreachable_postgresql_says_try_again(monkeypatch):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test")
    dispose_engines()
    try:
        # Nothing to read users from while the database is down: the signed-in user is in the session.
        nobody = User(
            id=1, email="a@nhs.net", full_name="A", role=Role.REQUESTER.value, trust_code="R0A", password_hash=""
        )
        for attempt in (
            lambda: queries.request_record(nobody, 1).request,  # a page reading
            lambda: workflow.add_comment(nobody, 1, "Typed while the database was down."),  # a page writing
            lambda: authenticate("someone@nhs.net", "a-password"),  # signing in
        ):
            with pytest.raises(DatabaseBusy) as busy:
                attempt()
            assert "try again" in str(busy.value)
    finally:
        dispose_engines()
