"""One engine per process, SQLite tuned for a multi-user web app, and migrations at start."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Insert, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel, create_engine

from core.platform.config import PROJECT_ROOT, database_url

Row = TypeVar("Row", bound=SQLModel)

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Locked (SQLite), unreachable or dropped (PostgreSQL), or no pooled connection free: all mean "try again".
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


class DatabaseBusy(Exception):
    """The database could not be reached or stayed locked: the user should try again."""

    def __init__(self) -> None:
        super().__init__("The system is busy and could not save just now. Nothing was lost: please try again.")


def sqlite_busy_timeout_ms() -> int:
    """How long a writer waits for SQLite's lock before the user is told to try again."""
    return int(os.environ.get("DEROG_SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS))


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn) -> None:  # noqa: ANN001
        # Writers take the lock up front so two writers never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        busy_timeout_ms = sqlite_busy_timeout_ms()
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000})
        _tune_sqlite(engine, busy_timeout_ms)
    else:
        # A host that drops packets must not hang the page: give up and say "try again" after 10 s.
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"connect_timeout": 10}
        )
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for `url` (default: DATABASE_URL)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    try:
        with Session(engine or get_engine(), expire_on_commit=False) as session:
            yield session
    except UNAVAILABLE as exc:
        raise DatabaseBusy() from exc


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commits on success, rolls back on any error."""
    engine = engine or get_engine()
    try:
        with Session(engine.execution_options(write=True), expire_on_commit=False) as session, session.begin():
            yield session
    except UNAVAILABLE as exc:
        raise DatabaseBusy() from exc


def alembic_config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str | None = None) -> None:
    """Bring the schema up to the newest migration (idempotent)."""
    url = url or database_url()
    if make_url(url).get_backend_name() == "sqlite" and make_url(url).database:
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def insert_for(session: Session) -> Callable[..., Insert]:
    """The INSERT of the session's database (SQLite or PostgreSQL), which has ON CONFLICT DO NOTHING/UPDATE."""
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert


def locked_row(session: Session, model: type[Row], key_column: str, key: object) -> Row:
    """The row of `model` whose primary key is `key`, created if need be (its other columns at their
    defaults), then locked until the transaction ends, so that writers of one row go one after the other
    (PostgreSQL; SQLite's writers are serial anyway). Locking a row that does not exist yet would lock
    nothing, and two writers would both insert it."""
    session.execute(insert_for(session)(model).values({key_column: key}).on_conflict_do_nothing())
    return session.get(model, key, with_for_update=True, populate_existing=True)
