"""Online backup and restore of the SQLite database with sqlite3's backup API (safe while the app runs).

A backup is copied in one step under one read transaction, so it is a consistent snapshot even while
others write (in WAL mode a reader does not hold writers up). Every backup and every restore is checked
before it is trusted: SQLite's integrity check and the audit chain. PostgreSQL is backed up with its
own tools (pg_dump / point-in-time recovery), not from here.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.platform.clock import utcnow
from core.platform.config import database_url
from core.platform.db import dispose_engines, migrate, sqlite_busy_timeout_ms
from core.platform.errors import DerogationError
from core.records import audit

REQUIRED_TABLES = {"alembic_version", "audit_event", "audit_chain_head", "derogation_request", "app_user"}


class BackupError(DerogationError):
    """A backup or restore was refused; nothing was changed."""


@dataclass(frozen=True)
class Snapshot:
    """What was checked in a database file."""

    path: Path
    requests: int
    audit_rows: int
    last_hash: str


def sqlite_file(url: str | None = None) -> Path:
    """The database file behind `url` (default: DATABASE_URL), if it is SQLite."""
    parsed = make_url(url or database_url())
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        raise BackupError(
            "Backups from this command are for the SQLite database. For PostgreSQL use pg_dump "
            "(or your provider's point-in-time recovery); see SECURITY.md."
        )
    return Path(parsed.database)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    target = path.resolve().as_uri() + ("?mode=ro" if read_only else "")  # as_uri escapes ? and #
    connection = sqlite3.connect(target, uri=True, timeout=sqlite_busy_timeout_ms() / 1000)
    connection.isolation_level = None  # the backup API manages its own transactions
    return connection


def check(path: Path) -> Snapshot:
    """Refuse a file that is not a sound Derogations database whose audit chain verifies."""
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    try:
        with closing(_connect(path)) as connection:
            integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc}).") from None
    if integrity != "ok":
        raise BackupError(f"{path} is damaged: SQLite's integrity check says {integrity!r}.")
    if not REQUIRED_TABLES.issubset(tables):
        raise BackupError(f"{path} is not a Derogations database (tables missing).")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            report = audit.verify_chain(session)
            requests = session.connection().exec_driver_sql("SELECT count(*) FROM derogation_request").scalar_one()
    finally:
        engine.dispose()
    if not report.ok:
        raise BackupError(f"{path}: the audit chain is broken at row {report.first_bad_id}: {report.problem}.")
    return Snapshot(path, requests, report.rows_checked, report.last_hash)


def _copy(source: Path, target: Path, *, source_read_only: bool) -> None:
    with closing(_connect(source, read_only=source_read_only)) as src, closing(_connect(target)) as dst:
        src.backup(dst)  # pages=-1: everything in one step, one consistent snapshot


def backup(out: Path | str, url: str | None = None) -> Snapshot:
    """Copy the live database to `out` (a new file, readable by its owner only), then check the copy."""
    source = sqlite_file(url)
    out = Path(out)
    if not source.is_file():
        raise BackupError(f"There is no database at {source} to back up.")
    if out.exists():
        raise BackupError(f"{out} already exists. Choose a new file name; nothing was written.")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # it holds password hashes
    try:
        _copy(source, partial, source_read_only=False)
        with closing(_connect(partial)) as connection:
            connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        snapshot = check(partial)
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Snapshot(out, snapshot.requests, snapshot.audit_rows, snapshot.last_hash)


def restore(source: Path | str, url: str | None = None) -> tuple[Snapshot, Path | None]:
    """Replace the live database with a checked backup. The current database is first saved beside
    it (returned), so a restore can itself be undone. Stop the app first when you can: sessions open
    during a restore see the restored data on their next page run."""
    source = Path(source)
    target = sqlite_file(url)
    check(source)  # refuse a bad file before touching anything
    saved = None
    if target.is_file():
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        saved = backup(target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix}"), url).path
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    dispose_engines()
    _copy(source, target, source_read_only=True)
    with closing(_connect(target)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    migrate(f"sqlite:///{target}")  # an older backup is brought up to the current schema
    return check(target), saved
