"""Time the public daily figures (core.report.public_figures.daily), time to decision (core.report.decision_times)
and the advice's count of past declines (core.request.advice.past_declines) on a bulk-seeded database, beside the
live dashboard's own count (core.queries.live_figures) of the same period in the same run as the baseline.
Each figure is a range over RUNS runs (min to max, milliseconds).

    python -m bench.seed_bulk --requests 10000 --url sqlite:///var/bench/bench-10000.db
    DATABASE_URL=sqlite:///var/bench/bench-10000.db python -m bench.public_figures
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import select

from core import queries
from core.enums import Role
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.db import read_session
from core.report import public_figures
from core.report.decision_times import decision_times
from core.request import advice

RUNS = 5


def _range_ms(action: Callable[[], object]) -> str:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return f"{min(times):.1f}-{max(times):.1f}"


def main() -> None:
    with read_session() as session:
        national = session.exec(select(User).where(User.role == Role.NATIONAL_MDT.value, User.active)).first()
        sizes = session.exec(
            select(StrikePeriod, func.count(DerogationRequest.id))
            .join(DerogationRequest, DerogationRequest.strike_period_id == StrikePeriod.id)
            .group_by(StrikePeriod.id)
            .order_by(StrikePeriod.starts_at)
        ).all()
    print(f"{'period':34} {'requests':>9} {'days':>5} {'dashboard ms':>14} {'daily ms':>14} {'to decide ms':>14}")
    for period, count in sizes:
        days = len({row.date for row in public_figures.daily(period).rows})
        baseline = _range_ms(lambda p=period: queries.live_figures(national, p.id))
        daily = _range_ms(lambda p=period: public_figures.daily(p))
        to_decide = _range_ms(lambda p=period: decision_times(national, [p.id]))
        print(f"{period.name[:34]:34} {count:>9,} {days:>5} {baseline:>14} {daily:>14} {to_decide:>14}")
    print(f"Past declines for the advice: {_range_ms(advice.past_declines)} ms")


if __name__ == "__main__":
    main()
