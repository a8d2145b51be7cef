"""Server-side run time of the pages with AppTest, as the data grows, beside an empty Streamlit page.

For each database size (1,000 / 10,000 / 100,000 requests, seeded by bench/seed_bulk.py and kept
under var/bench/ for the next run), each page is run once to warm up and then RUNS times; the table
shows the median in milliseconds and as a ratio to the empty page (bench/empty_page.py) measured in
the same process at the same time. Two columns per page:

- uncached: st.cache_data is cleared before every run, so every query and chart is computed (what the
  first viewer pays after the figures change; during a strike they change all the time);
- cached: the run as a repeat viewer gets it within the pages' cache lifetimes.

At the largest size it also times the dashboard's figures computed the naive way (every request
loaded into pandas, then grouped: bench/naive.py) against core.queries' SQL aggregates.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from sqlalchemy import func
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from bench.naive import naive_headline
from bench.seed_bulk import BENCH_TRUST, seed_bulk
from core.accounts import sessions
from core.enums import Role, Status
from core.models import DerogationRequest, StrikePeriod, Trust, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import dispose_engines, read_session, write_session
from core.queries import dashboard_breakdown, headline
from ui import browser, live_figures

APP = str(PROJECT_ROOT / "app.py")
EMPTY = str(PROJECT_ROOT / "bench" / "empty_page.py")
BENCH_DIR = PROJECT_ROOT / "var" / "bench"
SIZES = (1_000, 10_000, 100_000)
RUNS = 15
TIMEOUT = 120
PAGE_TARGET = 10.0  # every page's median run <= 10x the empty page's, at the largest size
NAIVE_TARGET = 10.0  # the dashboard's figures >= 10x faster than the naive way


@dataclass(frozen=True)
class PageCase:
    name: str
    page: str
    who: Callable[[], User]
    query: dict[str, str]


def database(size: int) -> str:
    """The seeded database for `size` requests, seeding it on first use."""
    path = BENCH_DIR / f"bench-{size}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        with read_session_for(url) as session:
            if session.exec(select(func.count()).select_from(DerogationRequest)).one() == size:
                return url
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counts = seed_bulk(url, size)
    print(f"  seeded {size:,} requests in {time.perf_counter() - started:.0f} s: {counts}")
    return url


def read_session_for(url: str):  # noqa: ANN201 - a context manager
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    return read_session()


def user(role: Role, **scope: str) -> Callable[[], User]:
    def find() -> User:
        with read_session() as session:
            query = select(User).where(User.role == role.value, User.active)
            for name, value in scope.items():
                query = query.where(getattr(User, name) == value)
            return session.exec(query.order_by(User.id)).first()

    return find


def detail_request_id() -> str:
    """An approved request, the benchmark trust's if it has one: the longest timeline a request usually has."""
    approved = select(DerogationRequest.id).where(DerogationRequest.status == Status.APPROVED.value)
    with read_session() as session:
        found = (
            session.exec(
                approved.where(DerogationRequest.trust_code == BENCH_TRUST).order_by(col(DerogationRequest.id).desc())
            ).first()
            or session.exec(approved.order_by(col(DerogationRequest.id).desc())).first()
        )
    if found is None:
        raise RuntimeError("the benchmark database has no approved request")
    return str(found)


def cases() -> list[PageCase]:
    """The benchmark trust's staff, its region's medical director, and national reviewers."""
    with read_session() as session:
        region = session.get(Trust, BENCH_TRUST).region_code
    national = user(Role.NATIONAL_MDT)
    return [
        PageCase("app shell (Find a request)", "pages/request_detail.py", national, {}),
        PageCase("dashboard (national)", "pages/dashboard.py", national, {}),
        PageCase("dashboard (region)", "pages/dashboard.py", user(Role.REGIONAL_MD, region_code=region), {}),
        PageCase("queue: clinical director", "pages/review_queue.py", user(Role.CLINICAL_DIRECTOR, trust_code=BENCH_TRUST), {}),
        PageCase("queue: trust MD", "pages/review_queue.py", user(Role.TRUST_MD, trust_code=BENCH_TRUST), {}),
        PageCase("queue: regional MD", "pages/review_queue.py", user(Role.REGIONAL_MD, region_code=region), {}),
        PageCase("queue: national MDT", "pages/review_queue.py", national, {}),
        PageCase("queue: BMA", "pages/review_queue.py", user(Role.BMA), {}),
        PageCase("requests list (national)", "pages/requests_list.py", national, {}),
        PageCase("request detail", "pages/request_detail.py", national, {"id": detail_request_id()}),
        PageCase("my trust's requests", "pages/my_requests.py", user(Role.REQUESTER, trust_code=BENCH_TRUST), {}),
    ]  # fmt: skip


# AppTest sends no cookies: each benchmark viewer keeps its session id in its tab's state, read in
# place of the browser's cookie (ui/browser.py), and the session is opened as a real sign-in opens it.
_COOKIE_KEY = "_bench_session_cookie"
browser.session_token = lambda: st.session_state.get(_COOKIE_KEY)


def signed_in_cookie(person: User) -> str:
    with write_session() as session:
        ticket = sessions.begin(session, person, "password")
    token = sessions.redeem(ticket)
    if token is None:
        raise RuntimeError("could not open a session for the benchmark")
    return token


def app_for(case: PageCase) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[_COOKIE_KEY] = signed_in_cookie(case.who())
    at.run()
    at.switch_page(case.page)
    for name, value in case.query.items():
        at.query_params[name] = value
    return at


def _run_ms(at: AppTest, clear: bool) -> float:
    if clear:
        st.cache_data.clear()
        # The dashboard's shared figures are st.cache_resource (one object for every viewer of a scope).
        live_figures.counted.clear()
        live_figures.section_charts.clear()
    started = time.perf_counter()
    at.run()
    elapsed = (time.perf_counter() - started) * 1000
    if at.exception:
        raise RuntimeError(f"the page raised: {[e.value for e in at.exception]}")
    return elapsed


def paired_runs(empty: AppTest, page: AppTest, runs: int, uncached: bool) -> tuple[float, float]:
    """Median ms of the empty page and of the page, run alternately after a warm-up, so that both
    see the same machine load (other processes on a 2-core machine move the numbers otherwise)."""
    _run_ms(empty, False), _run_ms(page, False)
    empty_ms, page_ms = [], []
    for _ in range(runs):
        empty_ms.append(_run_ms(empty, uncached))
        page_ms.append(_run_ms(page, uncached))
    return statistics.median(empty_ms), statistics.median(page_ms)


@dataclass
class Row:
    size: int
    name: str
    uncached_ms: float
    cached_ms: float
    empty_ms: float  # the empty page, run alternately with the uncached runs
    empty_cached_ms: float  # ... and with the cached runs

    @property
    def ratio(self) -> float:
        return self.uncached_ms / self.empty_ms

    @property
    def cached_ratio(self) -> float:
        return self.cached_ms / self.empty_cached_ms


def measure_size(size: int, runs: int) -> list[Row]:
    url = database(size)
    os.environ["DATABASE_URL"] = url
    dispose_engines()
    st.cache_data.clear()
    st.cache_resource.clear()
    empty = AppTest.from_file(EMPTY, default_timeout=TIMEOUT)
    rows = []
    for case in cases():
        at = app_for(case)
        empty_ms, uncached = paired_runs(empty, at, runs, uncached=True)
        empty_cached_ms, cached = paired_runs(empty, at, runs, uncached=False)
        rows.append(Row(size, case.name, uncached, cached, empty_ms, empty_cached_ms))
        print(
            f"  {size:>7,} {case.name:26} {uncached:8.1f} ms uncached  {cached:8.1f} ms cached  (empty {empty_ms:.1f} ms)"
        )
    return rows


def naive_comparison(size: int, runs: int) -> dict:
    """The dashboard's headline figures: SQL GROUP BY (core.queries) vs every row into pandas."""
    os.environ["DATABASE_URL"] = database(size)
    dispose_engines()
    national = user(Role.NATIONAL_MDT)()
    with read_session() as session:
        period = session.exec(select(StrikePeriod).order_by(col(StrikePeriod.starts_at).desc())).first()
    now = utcnow()
    sql_figures, naive_figures = headline(dashboard_breakdown(national, period.id, now)), naive_headline(period.id, now)
    if sql_figures != naive_figures:
        raise RuntimeError(f"the two ways disagree:\n{sql_figures}\n{naive_figures}")
    sql_ms, naive_ms = [], []
    for _ in range(runs):
        started = time.perf_counter()
        headline(dashboard_breakdown(national, period.id, now))
        sql_ms.append((time.perf_counter() - started) * 1000)
    for _ in range(max(3, runs // 3)):  # seconds each: fewer runs
        started = time.perf_counter()
        naive_headline(period.id, now)
        naive_ms.append((time.perf_counter() - started) * 1000)
    return {"size": size, "sql_ms": statistics.median(sql_ms), "naive_ms": statistics.median(naive_ms)}


def page_table(rows: list[Row]) -> str:
    lines = [
        "Page run time (AppTest, server side, median of the runs; ratio = page / empty page)",
        f"{'requests':>9} {'page':26} {'uncached ms':>11} {'ratio':>6} {'cached ms':>10} {'ratio':>6} {'empty ms':>9}",
    ]
    for r in rows:
        lines.append(
            f"{r.size:>9,} {r.name:26} {r.uncached_ms:>11.1f} {r.ratio:>5.1f}x {r.cached_ms:>10.1f} "
            f"{r.cached_ratio:>5.1f}x {r.empty_ms:>9.1f}"
        )
    return "\n".join(lines)


def targets(rows: list[Row], naive: dict) -> list[tuple[str, str, bool]]:
    largest = max(r.size for r in rows)
    at_largest = [r for r in rows if r.size == largest]
    speedup = naive["naive_ms"] / naive["sql_ms"]
    result = []
    for label, ratio in (("uncached", lambda r: r.ratio), ("cached", lambda r: r.cached_ratio)):
        worst = max(at_largest, key=ratio)
        over = [r.name for r in at_largest if ratio(r) > PAGE_TARGET]
        result.append(
            (
                f"every page <= {PAGE_TARGET:.0f}x the empty page at {largest:,} requests ({label})",
                f"worst: {worst.name} {ratio(worst):.1f}x; over: {', '.join(over) or 'none'}",
                not over,
            )
        )
    result.append(
        (
            f"dashboard figures >= {NAIVE_TARGET:.0f}x faster than the naive pandas way at {naive['size']:,}",
            f"SQL {naive['sql_ms']:.1f} ms vs naive {naive['naive_ms']:.0f} ms: {speedup:.0f}x",
            speedup >= NAIVE_TARGET,
        )
    )
    return result


def run(sizes: tuple[int, ...] = SIZES, runs: int = RUNS) -> tuple[list[Row], dict]:
    saved = os.environ.get("DATABASE_URL")
    try:
        rows = [row for size in sizes for row in measure_size(size, runs)]
        naive = naive_comparison(max(sizes), runs)
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved
        dispose_engines()
    return rows, naive


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    rows, naive = run(tuple(args.sizes), args.runs)
    print(page_table(rows))
    print(
        f"\nDashboard figures at {naive['size']:,} requests: SQL GROUP BY {naive['sql_ms']:.1f} ms, "
        f"naive (all rows into pandas) {naive['naive_ms']:.0f} ms"
    )
    for name, detail, met in targets(rows, naive):
        print(f"Target: {name}: {detail} -> {'met' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
