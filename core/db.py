"""One engine per process, SQLite tuned for a multi-user web app, and migrations at start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from core.config import PROJECT_ROOT, database_url

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseBusy(Exception):
    """The database could not be reached or stayed locked: the user should try again."""

    def __init__(self) -> None:
        super().__init__("The system is busy and could not save just now. Nothing was lost: please try again.")


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred and late).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _tune_sqlite(engine)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
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
    except OperationalError as exc:
        raise DatabaseBusy() from exc


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commits on success, rolls back on any error."""
    engine = engine or get_engine()
    try:
        with Session(engine.execution_options(write=True), expire_on_commit=False) as session, session.begin():
            yield session
    except OperationalError as exc:
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
