"""Time the post-strike report (core.report.build) for every strike period of a bulk-seeded database,
national and regional, and the CSV and HTML downloads of the largest period.

    python -m bench.seed_bulk --requests 100000 --url sqlite:///var/bench/bench-100000.db
    DATABASE_URL=sqlite:///var/bench/bench-100000.db python -m bench.report_build
"""

from __future__ import annotations

import statistics
import time

from sqlalchemy import func
from sqlmodel import select

from core import report
from core.enums import Role
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.db import read_session

RUNS = 3


def _median_seconds(action) -> float:  # noqa: ANN001
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with read_session() as session:
        national = session.exec(select(User).where(User.role == Role.NATIONAL_MDT.value, User.active)).first()
        regional = session.exec(select(User).where(User.role == Role.REGIONAL_MD.value, User.active)).first()
        sizes = session.exec(
            select(StrikePeriod.id, StrikePeriod.name, func.count(DerogationRequest.id))
            .join(DerogationRequest, DerogationRequest.strike_period_id == StrikePeriod.id)
            .group_by(StrikePeriod.id, StrikePeriod.name)
            .order_by(StrikePeriod.id)
        ).all()
    print(f"{'period':40} {'requests':>9} {'visits':>8} {'national s':>11} {'regional s':>11}")
    for period_id, name, count in sizes:
        built = report.build(national, period_id)
        visits = sum(t.visits for t in built.tier_times)
        national_s = _median_seconds(lambda p=period_id: report.build(national, p))
        regional_s = _median_seconds(lambda p=period_id: report.build(regional, p))
        print(f"{name[:40]:40} {count:>9,} {visits:>8,} {national_s:>11.3f} {regional_s:>11.3f}")
    largest = max(sizes, key=lambda row: row[2])[0]
    built = report.build(national, largest)
    print(f"CSV of the largest period: {_median_seconds(lambda: report.to_csv(built)):.3f} s")
    print(f"HTML (tables only) of the largest period: {_median_seconds(lambda: report.to_html(built, [])):.3f} s")


if __name__ == "__main__":
    main()
