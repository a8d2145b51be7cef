"""Shared fixtures: a real, migrated database per test (SQLite always; PostgreSQL when reachable)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlmodel import select

from core.accounts import sessions
from core.accounts.users import create_user
from core.enums import Role
from core.models import StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import dispose_engines, migrate, write_session
from core.reference.nhs_organisations import load_reference_data
from core.request.form import TEXT_LIMITS, RequestForm
from ops.builders import add_period, make_team, request_form

# The modules that draw the app (pages and their helpers), for tests that read the code itself.
DRAWING_SOURCES = sorted([*(PROJECT_ROOT / "pages").glob("*.py"), *(PROJECT_ROOT / "ui").glob("*.py")])

# Sign-in answers wait for a floor (core.accounts.users.authenticate); tests/security/test_sign_in.py checks it,
# every other test signs in at once (app servers the browser tests start inherit this too).
os.environ.setdefault("DEROG_SIGN_IN_FLOOR_MS", "0")
# Property-based tests (hypothesis). "ci", the default: the same examples every run (derandomized, no example
# database), so a run passes or fails for the code, not for the draw. "explore": fresh randomness and five
# times the examples, to find new cases (`./scripts/test --hypothesis-profile=explore tests/security`); pin
# whatever it finds with @example so that ci replays it for good.
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", derandomize=False, max_examples=500, deadline=None, print_blob=True)


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("hypothesis_profile", None):  # --hypothesis-profile NAME chooses another
        settings.load_profile("ci")


# ---------------------------------------------------------------- running in parallel (pytest-xdist)
# Two worker processes share the tests one at a time (`--dist loadgroup`, pyproject.toml); tests sharing a
# module-scoped server carry an xdist_group mark, so that one worker runs them all and starts it once.

# What the tests leave for a person to read: server logs, browser screenshots, axe-core results.
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Screenshots and accessibility results of this run only: cleared once, by the process that runs the
    whole session (not by each xdist worker, which would delete what another one already saved)."""
    if hasattr(session.config, "workerinput"):  # an xdist worker
        return
    for old in (*SCREENSHOTS.glob("*/*.png"), ARTIFACTS / "accessibility.txt"):
        old.unlink(missing_ok=True)


def artifact_name(name: str) -> str:
    """`name` made this worker's own (`gw1-streamlit-app0.log`): each worker numbers its folders from 0."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"{worker}-{name}" if worker else name


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if any(SCREENSHOTS.glob("*/*.png")):  # saved by this run (pytest_sessionstart clears older ones)
        terminalreporter.write_sep("-", "browser tests")
        terminalreporter.write_line(f"Screenshots of each browser test's last pages: {SCREENSHOTS}")
        axe_report = ARTIFACTS / "accessibility.txt"
        if axe_report.exists():
            terminalreporter.write_line(f"axe-core results for every page checked: {axe_report}")


def examples(count: int) -> int:
    """A test's number of examples under "ci", scaled by the profile in use (explore: five times as many)."""
    return max(1, count * settings.default.max_examples // 100)


PG_ADMIN_URL = os.environ.get("DEROG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_PASSWORD = "Test-password-123"
TRUST_A, TRUST_B, TRUST_OTHER_REGION = "R0A", "RM3", "RJ1"  # Manchester, Northern Care Alliance (both Y62), Guy's (Y56)
# Tables holding reference data, kept between PostgreSQL tests; everything else is emptied.
REFERENCE_TABLES = {"region", "trust", "alembic_version"}


_postgres_answer: list[str | None] = []  # asked once per run


def _postgres_reason() -> str | None:
    if not _postgres_answer:
        try:
            engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            _postgres_answer.append(None)
        except Exception as exc:  # noqa: BLE001  (any failure means: not reachable)
            cause = getattr(exc, "orig", None) or exc  # the driver's own words, not SQLAlchemy's wrapping
            detail = (str(cause).strip().splitlines() or [""])[0][:200]
            _postgres_answer.append(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(cause).__name__}: {detail})")
    return _postgres_answer[0]


def require_postgres() -> None:
    """The PostgreSQL half of a test runs, or the test fails: a run that tested SQLite only must not look
    green. DEROG_TEST_ALLOW_NO_PG=1 skips it instead (./scripts/test installs and starts PostgreSQL)."""
    reason = _postgres_reason()
    if reason is None:
        return
    if os.environ.get("DEROG_TEST_ALLOW_NO_PG") == "1":
        pytest.skip(f"{reason}; skipped because DEROG_TEST_ALLOW_NO_PG=1")
    pytest.fail(
        f"{reason}. Run ./scripts/test (it installs and starts PostgreSQL), point DEROG_TEST_PG_URL at a server, "
        "or set DEROG_TEST_ALLOW_NO_PG=1 to test SQLite only.",
        pytrace=False,
    )


def pytest_report_header(config: pytest.Config) -> str:
    reason = _postgres_reason()
    if reason is None:
        return f"databases: SQLite, and PostgreSQL at {PG_ADMIN_URL}"
    allowed = os.environ.get("DEROG_TEST_ALLOW_NO_PG") == "1"
    return f"databases: SQLite only. {reason}: its tests {'are skipped' if allowed else 'FAIL'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file with reference data, copied for each test (migrating every time is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    migrate(url)
    os.environ["DATABASE_URL"] = url
    with write_session() as session:
        load_reference_data(session)
    dispose_engines()
    del os.environ["DATABASE_URL"]
    return str(path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    require_postgres()
    name = f"derog_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    os.environ["DATABASE_URL"] = url
    with write_session() as session:
        load_reference_data(session)
    dispose_engines()
    del os.environ["DATABASE_URL"]
    yield url
    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text("select tablename from pg_tables where schemaname = 'public'"))]
        # DELETE is several times faster than TRUNCATE on tables this small; foreign-key triggers are
        # skipped (every table referring to another is emptied too), and ids restart at 1 as before.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tables:
            if table not in REFERENCE_TABLES:
                conn.execute(text(f'DELETE FROM "{table}"'))
        sequences = conn.execute(text("select sequencename from pg_sequences where schemaname = 'public'")).all()
        for (sequence,) in sequences:
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
        conn.execute(text("INSERT INTO audit_chain_head (id, last_hash) VALUES (1, '')"))
    engine.dispose()


@pytest.fixture
def sqlite_db(sqlite_template: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    dispose_engines()


@contextlib.contextmanager
def database_locked(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Another process holds the SQLite file for itself (an exclusive lock, as a backup tool or a long
    migration might): nobody else can even read it, and the app gives up after 200 ms (DatabaseBusy)."""
    monkeypatch.setenv("DEROG_SQLITE_BUSY_TIMEOUT_MS", "200")
    dispose_engines()  # the app's idle pooled connections let go of the file first
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=5)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE strike_period SET name = name")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The database URL under test, set as DATABASE_URL: each data-layer test runs on both engines."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_db")
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        monkeypatch.setenv("DATABASE_URL", url)
    yield url
    dispose_engines()


@pytest.fixture
def period(db: str) -> StrikePeriod:
    """A strike period in progress now."""
    now = utcnow()
    return add_period(now - timedelta(hours=12), now + timedelta(days=3), "Test strike")


class Staff:
    """Creates users on demand: staff.get(Role.CLINICAL_DIRECTOR, trust="R0A")."""

    def __init__(self) -> None:
        self.count = 0

    def make(
        self, role: Role, trust: str | None = None, region: str | None = None, password: str | None = None
    ) -> User:
        self.count += 1
        with write_session() as session:
            return create_user(
                session,
                email=f"{role.value}{self.count}@test.nhs.uk",
                full_name=f"{role.label} {self.count}",
                role=role,
                password=password,
                trust_code=trust,
                region_code=region,
            )

    def team(self, trust: str = TRUST_A, region: str = "Y62") -> dict[Role, User]:
        """One person per role with scope over `trust` (the regional MD over `region`), in one transaction."""
        team = make_team(trust, region, first_number=self.count + 1)
        self.count += len(team)
        return team


@pytest.fixture
def staff(db: str) -> Staff:
    return Staff()


@pytest.fixture
def team(staff: Staff) -> dict[Role, User]:
    return staff.team()


# The form's free prose and how long each may be (core.models.RequestFields): phone and e-mail have formats.
PROSE_LIMITS = {name: limit for name, limit in TEXT_LIMITS.items() if name not in ("contact_phone", "contact_email")}


def valid_form(period: StrikePeriod, trust: str = TRUST_A, **overrides: object) -> RequestForm:
    """A complete, eligible request whose window sits inside `period` (ops.builders.request_form, timed from now)."""
    return request_form(trust=trust, **overrides)


def find_user(email: str) -> User:
    with write_session() as session:
        return session.exec(select(User).where(User.email == email)).one()


# ---------------------------------------------------------------- AppTest's stand-in for a browser

# AppTest has no browser: it sends no cookies and follows no redirects. This plays the browser's part
# for pages run in AppTest: the session cookie is kept in the tab's session state, and the redirects a
# page makes to the session routes (server/routes.py) are followed the way those routes act.
TEST_COOKIE_KEY = "_test_session_cookie"


@pytest.fixture(autouse=True)
def apptest_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    import streamlit as st

    from ui import browser

    def go_to(address: str) -> None:
        parts = urlsplit(address)
        query = parse_qs(parts.query)
        if parts.path == "/session/start":
            token = sessions.redeem(query.get("ticket", [""])[0])
            if token is not None:
                st.session_state[TEST_COOKIE_KEY] = token
        elif parts.path == "/session/end":
            # As the browser's new page load would: the session ends, the cookie and everything the old
            # page held go, and the sign-in page opens with the route's reason in its address.
            sessions.sign_out(st.session_state.get(TEST_COOKIE_KEY))
            st.session_state.clear()
            st.query_params.clear()
            st.query_params["ended"] = query.get("reason", [sessions.EndReason.SIGNED_OUT.value])[0]

    monkeypatch.setattr(browser, "session_token", lambda: st.session_state.get(TEST_COOKIE_KEY))
    monkeypatch.setattr(browser, "go_to", go_to)


def session_cookie(user: User, method: str = "password") -> str:
    """A live session for `user`, opened and handed over as a real sign-in does: the cookie's value."""
    with write_session() as session:
        ticket = sessions.begin(session, user, method)
    token = sessions.redeem(ticket)
    assert token is not None
    return token
