"""Online backup while the app writes, then more writes, then restore: the restored database is the
consistent state of the moment of the backup, checked (integrity and audit chain)."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from core import workflow
from core.enums import Action, Role
from core.models import DerogationRequest, StrikePeriod
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, get_engine, read_session, write_session
from ops import backup, cli
from ops.backup import BackupError
from tests.conftest import Staff, valid_form
from tests.security.world import assert_consistent


class Writer(threading.Thread):
    """The app at work: files and escalates requests, logging every commit in order."""

    def __init__(self, team, period: StrikePeriod) -> None:
        super().__init__(daemon=True)
        self.team, self.period = team, period
        self.log: list[tuple[int, int]] = []
        self.lock = threading.Condition()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def committed(self, request: DerogationRequest) -> DerogationRequest:
        with self.lock:
            self.log.append((request.id, request.version))
            self.lock.notify_all()
        return request

    def wait_for(self, count: int) -> None:
        with self.lock:
            assert self.lock.wait_for(lambda: len(self.log) >= count or self.error is not None, timeout=120)
        assert self.error is None, self.error

    def run(self) -> None:
        requester, cd = self.team[Role.REQUESTER], self.team[Role.CLINICAL_DIRECTOR]
        try:
            while not self.stop.is_set():
                request = self.committed(workflow.save_draft(requester, valid_form(self.period)))
                request = self.committed(workflow.submit(requester, request.id, request.version))
                self.committed(workflow.review(cd, request.id, request.version, Action.ESCALATE, "Escalating."))
        except BaseException as exc:  # noqa: BLE001  (reported to the test thread)
            self.error = exc
            with self.lock:
                self.lock.notify_all()


def state() -> dict[int, int]:
    with read_session() as session:
        return dict(session.exec(select(DerogationRequest.id, DerogationRequest.version)).all())


def state_of(path) -> dict[int, int]:
    with sqlite3.connect(path) as raw:
        return dict(raw.execute("SELECT id, version FROM derogation_request").fetchall())


@pytest.fixture
def running(sqlite_db):
    team = Staff().team()
    now = utcnow()
    with write_session() as session:
        period = StrikePeriod(name="Strike", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
        session.add(period)
    return team, period


def test_backup_while_writing_then_restore_gives_the_backup_moment(running, tmp_path):
    team, period = running
    initial = state()
    writer = Writer(team, period)
    writer.start()
    try:
        writer.wait_for(15)
        with writer.lock:
            logged_before = len(writer.log)
        snapshot = backup.backup(tmp_path / "backup.db")  # the writer keeps going meanwhile
        with writer.lock:
            logged_after = len(writer.log)
        writer.wait_for(logged_after + 15)  # more writes after the backup
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error

    # The backup is the state after exactly some prefix of the commits: a consistent snapshot.
    in_backup = state_of(snapshot.path)
    prefixes = []
    for count in range(logged_before, logged_after + 2):  # +1: a commit may land before it is logged
        expected = dict(initial)
        expected.update(dict(writer.log[:count]))
        prefixes.append(expected)
    assert in_backup in prefixes
    assert snapshot.requests == len(in_backup)
    after_more_writes = state()
    assert after_more_writes != in_backup

    restored, saved = backup.restore(snapshot.path)
    dispose_engines()
    assert state() == in_backup  # exactly the moment of the backup; the later writes are gone...
    assert state_of(saved) == after_more_writes  # ...but kept aside, so the restore can be undone
    assert restored.last_hash == snapshot.last_hash
    with get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
    assert_consistent()
    # The restored database is live: work carries on.
    request = workflow.save_draft(team[Role.REQUESTER], valid_form(period))
    assert request.id not in in_backup
    assert_consistent()


def test_backup_file_is_private_and_never_overwritten(running, tmp_path):
    out = tmp_path / "b.db"
    backup.backup(out)
    assert out.stat().st_mode & 0o777 == 0o600  # it holds password hashes
    with pytest.raises(BackupError, match="already exists"):
        backup.backup(out)


def test_restore_refuses_a_bad_file_and_changes_nothing(running, tmp_path):
    team, period = running
    workflow.save_draft(team[Role.REQUESTER], valid_form(period))
    before = state()
    good = backup.backup(tmp_path / "good.db").path

    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("not a database")
    tampered = tmp_path / "tampered.db"
    shutil.copy(good, tampered)
    with sqlite3.connect(tampered) as raw:
        raw.execute("UPDATE audit_event SET rationale = 'edited' WHERE id = 2")
    for bad, reason in (
        (not_a_db, "not a"),
        (tampered, "audit chain is broken at row 2"),
        (tmp_path / "no.db", "no file"),
    ):
        with pytest.raises(BackupError, match=reason):
            backup.restore(bad)
    dispose_engines()
    assert state() == before
    assert not list(tmp_path.glob("*before-restore*"))


def test_backup_and_restore_from_the_command_line(running, tmp_path, capsys, monkeypatch):
    team, period = running
    out = tmp_path / "cli.db"
    assert cli.main(["backup", "--out", str(out)]) == 0
    assert "integrity and audit chain checked" in capsys.readouterr().out
    workflow.save_draft(team[Role.REQUESTER], valid_form(period))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["restore", "--from", str(out)]) == 2  # not without --yes when nobody can be asked
    assert cli.main(["restore", "--from", str(out), "--yes"]) == 0
    dispose_engines()
    assert state() == state_of(out)


def test_postgresql_is_backed_up_with_its_own_tools():
    with pytest.raises(BackupError, match="pg_dump"):
        backup.backup("/tmp/never-written.db", url="postgresql+psycopg://postgres@127.0.0.1:5432/test")
