"""What proving the live state against its history costs (core/records/integrity.py), on a seeded database.

    python -m bench.seed_bulk --requests 100000 --url sqlite:///var/bench/bench-100000.db
    python -m bench.integrity --url sqlite:///var/bench/bench-100000.db --runs 2

Prints, for each run: the hash chain alone (what `verify-audit` did before: the baseline), the full
check (chain, replay of every row, every live row compared, the replayed facts kept), an incremental
check with nothing new, and the public check of one reference (median over many) against a plain
lookup of the same reference. It writes the replay's own tables (integrity_check, replayed_state):
run it on a copy, not on a database people use. Figures only, no asserts."""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import time

from sqlmodel import col, select

from core import queries
from core.models import DerogationRequest
from core.platform.db import get_engine, read_session
from core.records import audit, integrity


def _timed(action):  # noqa: ANN001, ANN202
    """(wall seconds, this process's CPU seconds, what the action returned): on a shared machine the CPU
    time is the figure to compare; the wall time grows with whatever else runs."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _seconds(action) -> float:  # noqa: ANN001
    return _timed(action)[0]


def _chain_only() -> None:
    with read_session() as session:
        assert audit.verify_chain(session).ok


def _plain_lookup(reference: str) -> None:
    with read_session() as session:
        session.exec(select(DerogationRequest).where(DerogationRequest.confirmation_ref == reference)).first()


def _median_ms(action, references: list[str]) -> float:  # noqa: ANN001
    return statistics.median(_seconds(lambda r=r: action(r)) for r in references) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--references", type=int, default=200)
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.url
    get_engine()
    with read_session() as session:
        requests = session.exec(select(DerogationRequest.id).order_by(col(DerogationRequest.id).desc())).first()
        references = list(
            session.exec(
                select(DerogationRequest.confirmation_ref).where(col(DerogationRequest.confirmation_ref).is_not(None))
            ).all()
        )
    sample = random.Random(7).sample(references, min(args.references, len(references)))
    print(f"{requests:,} requests, {len(references):,} approvals; {len(sample)} references checked a run")
    print("run  chain only (baseline)   full check          incremental        public check  plain lookup  peak RSS")
    print("     wall / CPU s              wall / CPU s        wall / CPU s       median ms     median ms")
    for run in range(1, args.runs + 1):
        chain, chain_cpu, _ = _timed(_chain_only)
        full, full_cpu, whole = _timed(lambda: integrity.check(full=True))
        incremental, incremental_cpu, since = _timed(integrity.check)
        for report in (whole, since):
            assert report.ok, report.findings()[:5]
        public = _median_ms(queries.verify_reference, sample)
        plain = _median_ms(_plain_lookup, sample)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{run:>3}  {chain:>7.1f} / {chain_cpu:<6.1f}         {full:>7.1f} / {full_cpu:<6.1f}     "
            f"{incremental:>6.1f} / {incremental_cpu:<6.1f}     {public:>8.1f}     {plain:>8.2f}    {rss:>5.0f} MB"
        )


if __name__ == "__main__":
    main()
