"""Several processes on one PostgreSQL database: two app processes and two mail workers, started at
once, as ./scripts/start-replicas runs them. Every one of them runs the upkeep (closing the requests
of a strike period that has ended) and the workers send the outbox; each expiry and each e-mail must
happen exactly once. Real operating-system processes, not threads: the guarantee must come from the
database (row locks and SKIP LOCKED), not from anything shared in one process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from core.accounts.admin import save_period
from core.enums import OPEN_STATUSES, Role
from core.models import StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, read_session
from deploy import replicas
from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.core.notifications.conftest import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
# Two app processes and two workers: never beside the replicas cluster (test_replicas_browser.py).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("replicas")]


@pytest.fixture
def pg_database() -> str:
    require_postgres()
    name = f"derog_once_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _scalar(url: str, sql: str, **params: object) -> object:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_two_app_processes_and_two_workers_expire_and_send_each_thing_once(
    pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_database
    smtp = SmtpServer(free_port())
    smtp.start()
    env = replicas.app_env(url, "http://127.0.0.1:1") | {
        "DEROG_SMTP_HOST": "127.0.0.1",
        "DEROG_SMTP_PORT": str(smtp.port),
        "DEROG_SMTP_FROM": "derogations@test.nhs.uk",
        "DEROG_SMTP_TIMEOUT": "10",
    }
    subprocess.run([sys.executable, "-m", "ops", "demo", "--requests", "60"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    # The strike in progress ends now: its open requests are due to expire in every process at once.
    period = _scalar(url, "select id from strike_period where ends_at > now() order by starts_at desc limit 1")
    engine = create_engine(url)
    with engine.begin() as conn:
        open_ids = {
            row[0]
            for row in conn.execute(
                text("select id from derogation_request where strike_period_id = :p and status = any(:open)"),
                {"p": period, "open": [s.value for s in OPEN_STATUSES]},
            )
        }
    engine.dispose()
    # Ended as an administrator ends it, so that its audit history vouches for the change (core/records/integrity.py).
    monkeypatch.setenv("DATABASE_URL", url)
    with read_session() as session:
        ending = session.get(StrikePeriod, period)
        lead = session.exec(select(User).where(User.role == Role.ADMIN.value)).first()
    save_period(
        lead, name=ending.name, starts_at=ending.starts_at, ends_at=utcnow() - timedelta(minutes=1), period_id=period
    )
    dispose_engines()
    assert len(open_ids) >= 5, "the demo should leave open requests in the strike in progress"

    state = tmp_path / "replicas"
    state.mkdir()
    started: list[int] = []
    try:
        # Everything at once: two app processes (each runs the upkeep on its first page run, the
        # readiness probe) and two workers (each runs expiry, reminders and the outbox every second).
        apps = [replicas.start_app(state, i, env) for i in (1, 2)]
        started += [a.pid for a in apps]
        started += [replicas.start_worker(state, env, f"worker-{i}", interval=1.0) for i in (1, 2)]
        probes = [threading.Thread(target=replicas.ready, args=(a.url,), kwargs={"pid": a.pid}) for a in apps]
        for probe in probes:
            probe.start()
        for probe in probes:
            probe.join(timeout=180)

        deadline = time.monotonic() + 90
        while True:
            expired = _scalar(url, "select count(*) from derogation_request where id = any(:ids) and status = 'expired'",
                              ids=list(open_ids))  # fmt: skip
            waiting = _scalar(url, "select count(*) from email_outbox where sent_at is null and failed_at is null")
            if expired == len(open_ids) and waiting == 0:
                break
            assert time.monotonic() < deadline, f"{expired}/{len(open_ids)} expired, {waiting} e-mails waiting"
            time.sleep(1)
        time.sleep(3)  # a late duplicate, if there were one, would arrive now

        engine = create_engine(url)
        with engine.begin() as conn:
            expiries = Counter(
                row[0]
                for row in conn.execute(
                    text("select request_id from audit_event where action = 'expire' and request_id = any(:ids)"),
                    {"ids": list(open_ids)},
                )
            )
            processed = conn.execute(
                text("select expired_processed_at from strike_period where id = :p"), {"p": period}
            ).scalar()
            outbox = conn.execute(
                text("select id, to_address, subject, attempts from email_outbox where sent_at is not null")
            ).all()
        engine.dispose()
        assert processed is not None
        assert expiries == Counter(dict.fromkeys(open_ids, 1)), "each request expired exactly once"
        assert outbox, "expiry should have queued e-mail to the trusts"

        def words(header: object) -> str:  # a long subject arrives folded over lines
            return " ".join(str(header).split())

        sent = Counter((words(m["To"]), words(m["Subject"])) for m in smtp.messages)
        assert len(smtp.messages) == len(outbox), "each outbox row sent exactly once"
        assert sent == Counter((words(row.to_address), words(row.subject)) for row in outbox)
        assert all(row.attempts == 1 for row in outbox)
        chain = subprocess.run(
            [sys.executable, "-m", "ops", "verify-audit"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert chain.returncode == 0, chain.stdout + chain.stderr
        logs = "".join(p.read_text() for p in state.glob("*.log"))
        assert "Traceback" not in logs, logs[-3000:]
    finally:
        replicas.stop(state)
        smtp.stop()
