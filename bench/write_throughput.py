"""Write throughput through core.workflow: requests filed and actions taken per second by 1, 4 and 16
concurrent threads, on SQLite and (when reachable) PostgreSQL, each in a database of its own.

"Filed" is save_draft + submit (two transactions, as a requester does it). "Actions" are the five
reviews that take a request from the clinical director to the BMA's decision. Every thread works as
a different trust's staff, so the threads contend only where real users would: the audit chain's
head row (every write appends to it) and the database's write lock. An error that would reach a
user (DatabaseBusy, or any exception that is not a domain refusal) must never happen.

    python -m bench.write_throughput [--requests 240] [--threads 1 4 16] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import select

from core import workflow
from core.accounts.users import create_user
from core.enums import Action, Role, Tier
from core.models import StrikePeriod, Trust, User
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, migrate, write_session
from core.platform.errors import DerogationError
from core.reference.nhs_organisations import load_reference_data
from ops.seed import make_form

PG_ADMIN_URL = os.environ.get("DEROG_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RATIONALE = "Mitigations exhausted locally; risk confirmed with the on-call consultant."


@dataclass
class Tally:
    done: int = 0
    user_errors: Counter = field(default_factory=Counter)  # would reach a user: must stay empty
    refusals: Counter = field(default_factory=Counter)  # domain refusals (a bug in this benchmark if any)
    seconds: list[float] = field(default_factory=list)  # each successful transaction's duration
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, call: Callable[[], object]) -> object | None:
        started = time.perf_counter()
        try:
            result = call()
        except DerogationError as exc:
            with self.lock:
                self.refusals[type(exc).__name__] += 1
            return None
        except Exception as exc:  # noqa: BLE001 - counting exactly what a user would have seen
            with self.lock:
                self.user_errors[type(exc).__name__] += 1
            return None
        with self.lock:
            self.done += 1
            self.seconds.append(time.perf_counter() - started)
        return result


def p95_ms(seconds: list[float]) -> float:
    return 1000 * sorted(seconds)[int(0.95 * (len(seconds) - 1))] if seconds else float("nan")


def _teams(count: int) -> list[dict[Role, User]]:
    """One team (requester, clinical director, trust MD, regional MD, national MDT, BMA) per thread."""
    teams = []
    with write_session() as session:
        trusts = list(session.exec(select(Trust).order_by(Trust.ods_code)).all())
        for i, trust in enumerate(random.Random(7).sample(trusts, count)):
            team = {}
            for role in (
                Role.REQUESTER,
                Role.CLINICAL_DIRECTOR,
                Role.TRUST_MD,
                Role.REGIONAL_MD,
                Role.NATIONAL_MDT,
                Role.BMA,
            ):
                team[role] = create_user(
                    session,
                    email=f"{role.value}.{i}.{trust.ods_code}@bench.nhs.uk",
                    full_name=f"{role.label} {i}",
                    role=role,
                    password=None,
                    trust_code=trust.ods_code,
                    region_code=trust.region_code,
                )
            teams.append(team)
    return teams


def _parallel(threads: int, work: Callable[[int], None]) -> float:
    """Run work(0..threads-1) in threads started together; returns the wall time in seconds."""
    barrier = threading.Barrier(threads + 1)

    def body(index: int) -> None:
        barrier.wait()
        work(index)

    pool = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started


def measure(threads: int, requests: int) -> dict:
    """File `requests` requests spread over `threads` threads, then take each through five reviews."""
    teams = _teams(threads)
    with write_session() as session:
        period = session.exec(select(StrikePeriod)).one()
        trusts = {t.ods_code: t for t in session.exec(select(Trust)).all()}
    per_thread = requests // threads
    filed: list[list] = [[] for _ in range(threads)]
    filing = Tally()

    def file_requests(index: int) -> None:
        team, rng = teams[index], random.Random(index)
        requester = team[Role.REQUESTER]
        for _ in range(per_thread):
            form = make_form(rng, trusts[requester.trust_code], utcnow(), period)
            draft = filing.run(lambda form=form: workflow.save_draft(requester, form))
            if draft is not None:
                submitted = filing.run(lambda d=draft: workflow.submit(requester, d.id, d.version))
                if submitted is not None:
                    filed[index].append(submitted)

    file_seconds = _parallel(threads, file_requests)
    acting = Tally()

    def take_actions(index: int) -> None:
        team = teams[index]
        for request in filed[index]:
            for tier in list(Tier)[:-1]:
                request = acting.run(
                    lambda r=request, t=tier: workflow.review(
                        team[t.reviewer_role], r.id, r.version, Action.ESCALATE, RATIONALE
                    )
                )
                if request is None:
                    break
            else:
                decision = workflow.BmaDecision(
                    approve=True,
                    rationale="Approved as set out.",
                    approved_doctors=request.doctors_requested,
                    approved_grades=list(request.grades_requested),
                    approved_window_start=request.window_start,
                    approved_window_end=request.window_end,
                )
                acting.run(lambda r=request, d=decision: workflow.bma_decide(team[Role.BMA], r.id, r.version, d))

    act_seconds = _parallel(threads, take_actions)
    return {
        "threads": threads,
        "filed": sum(len(f) for f in filed),
        "filed_per_s": sum(len(f) for f in filed) / file_seconds,
        "actions": acting.done,
        "actions_per_s": acting.done / act_seconds,
        "write_p95_ms": p95_ms(filing.seconds + acting.seconds),
        "user_errors": filing.user_errors + acting.user_errors,
        "refusals": filing.refusals + acting.refusals,
    }


def _prepare(url: str) -> None:
    """Schema, reference data and one strike period in progress, in the database at `url`."""
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    migrate(url)
    now = utcnow()
    with write_session() as session:
        load_reference_data(session)
        session.add(
            StrikePeriod(name="Bench strike", starts_at=now - timedelta(hours=12), ends_at=now + timedelta(days=3))
        )


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="derog-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'throughput.db'}"
        dispose_engines()


def postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable here"
        return False


@contextmanager
def postgres_database() -> Iterator[str]:
    """A database of its own, dropped afterwards."""
    name = f"derog_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(thread_counts: list[int], requests: int, postgres: bool = True) -> list[dict]:
    backends: list[tuple[str, Callable]] = [("SQLite", sqlite_database)]
    if postgres and postgres_reachable():
        backends.append(("PostgreSQL", postgres_database))
    results = []
    saved = os.environ.get("DATABASE_URL")
    try:
        for name, database in backends:
            for threads in thread_counts:
                with database() as url:  # a fresh database per row, so rows compare like with like
                    _prepare(url)
                    results.append({"backend": name} | measure(threads, requests))
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
        dispose_engines()
    return results


def table(results: list[dict]) -> str:
    lines = [
        "Write throughput (core.workflow, concurrent threads; p95 = one transaction's time as a user waits for it)",
        f"{'backend':<11} {'threads':>7} {'filed':>6} {'filed/s':>8} {'actions':>8} {'actions/s':>9} {'p95 ms':>7}  errors",
    ]
    for r in results:
        errors = sum(r["user_errors"].values()) + sum(r["refusals"].values())
        detail = ", ".join(f"{k} {v}" for k, v in (r["user_errors"] + r["refusals"]).items())
        lines.append(
            f"{r['backend']:<11} {r['threads']:>7} {r['filed']:>6} {r['filed_per_s']:>8.1f} {r['actions']:>8} "
            f"{r['actions_per_s']:>9.1f} {r['write_p95_ms']:>7.1f}  {errors}{' (' + detail + ')' if detail else ''}"
        )
    total = sum(sum(r["user_errors"].values()) + sum(r["refusals"].values()) for r in results)
    lines.append(f"Target: zero errors reaching users -> {'met' if total == 0 else 'NOT MET'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=240, help="requests filed per row (split over the threads)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    print(table(run(args.threads, args.requests, postgres=not args.no_postgres)))


if __name__ == "__main__":
    main()
