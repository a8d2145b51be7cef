"""Capacity of one app process, measured in the real server: `streamlit run serve.py` on the
100,000-request database, N signed-in people watching the live dashboard (each a websocket session
speaking Streamlit's protocol, bench/st_client.py, whose timer asks for the dashboard's fragment every
10 seconds as the browser's does), then reviewers opening requests and acting while the dashboards
refresh.

Every viewer signs in as a person does (the sign-in page, e-mail and password typed, "Sign in", the
route that sets the session cookie: bench/st_client.Session.sign_in), so each holds what a real
browser's sign-in leaves in the process.

First, W wall displays (--walls; /wall, ui/wall.py: every chart at once, for a display session started
with the code its screen shows) refresh on their own: their CPU per refresh, against the dashboard's
(one section of charts) measured after them in the same server.

For each N (viewers are added to the same process: 1, 10, 50, 200):
- server CPU per refresh: the process's CPU time (/proc/<pid>/stat, user + system) over the window,
  divided by the refreshes that finished in it (the server does nothing else meanwhile);
- cores: that CPU time over the window's length (200 viewers must fit in one core);
- resident memory (VmRSS) and its peak (VmHWM);
- refresh latency p50/p95: from the client sending the fragment's rerun to `script_finished`.
Mixed load, with the most viewers: R reviewers, each opening a request waiting at their tier (a page
load), choosing "Escalate", typing a reason and clicking "Record my decision", a few seconds apart;
action latency from the click to the end of the run that shows "Request N: …".

Each configuration runs in a fresh server on a fresh copy of the database, one after the other in the
same run, so they are compared on the same machine at the same time:

    python -m bench.capacity                                      # every configuration
    python -m bench.capacity --configs shipped --viewers 1 10 50 200 --reviewers 10
    python -m bench.capacity --configs default shipped --viewers 1 10 50
    python -m bench.capacity --configs default shipped --viewers 1 10 200 --walls 8 --reviewers 0

The machine is shared: absolute figures move from run to run; compare configurations within a run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from bench.pages import database
from bench.seed_bulk import BENCH_PASSWORD
from bench.st_client import RunFailed, Session
from core.accounts import display_sessions, sessions
from core.enums import Role, Status, Tier
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import dispose_engines, read_session, write_session

CLK_TCK = os.sysconf("SC_CLK_TCK")
# What each configuration changes. "shipped" is what .streamlit/config.toml and serve.py ship.
CONFIGS = {
    "default": {"post_gc": True, "freeze": False, "what": "Streamlit's default (gc.collect(2) after every run)"},
    "no-post-gc": {"post_gc": False, "freeze": False, "what": "runner.postScriptGC = false"},
    "freeze": {"post_gc": True, "freeze": True, "what": "gc.freeze() at start-up, post-run GC on"},
    "shipped": {"post_gc": False, "freeze": True, "what": "gc.freeze() at start-up and postScriptGC off"},
}
VIEWERS = (1, 10, 50, 200)
WALLS = 8  # the national ops room and one per region
SIGN_INS_AT_ONCE = 4
WALL_CODE = re.compile(r'class="wall-code"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})<')
WARM_S = 12.0
WINDOW_S = 30.0
REVIEWER_THINK_S = (2.0, 4.0)
# Targets (issue 10)
CPU_TARGET_MS = 30.0
CORE_TARGET = 1.0
MEMORY_BASE_MB = 300.0
MEMORY_PER_SESSION_MB = 1.0
ACTION_P95_TARGET_MS = 500.0
REVIEW_TIERS = (Tier.CLINICAL_DIRECTOR, Tier.TRUST_MD, Tier.REGIONAL_MD, Tier.NATIONAL_MDT)


# ---------------------------------------------------------------- the server


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)


def memory_mb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, config: dict, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "DEROG_GC_FREEZE": "1" if config["freeze"] else "0",
        "DEROG_SECURE_COOKIES": "0",
    }
    command = [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--runner.postScriptGC", "true" if config["post_gc"] else "false"]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            # The readiness probe: runs app.py once (migrations), as a load balancer would wait for.
            with urllib.request.urlopen(f"{base}/_stcore/script-health-check", timeout=30) as response:
                if response.read().strip() == b"ok":
                    return process, base
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"the app did not start:\n{log.read_text()}")


# ---------------------------------------------------------------- people


def use_database(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    dispose_engines()


def session_cookies(people: list[User]) -> list[str]:
    """A signed-in session for each, opened as the sign-in form would but without its page (the
    reviewers: their own pages are what is timed, not the memory a sign-in leaves); the cookie header."""
    cookies = []
    for person in people:
        with write_session() as session:
            ticket = sessions.begin(session, person, "password")
        cookies.append(f"{sessions.COOKIE_NAME}={sessions.redeem(ticket)}")
    return cookies


async def sign_in_all(base: str, people: list[User]) -> list[str]:
    """Each person signs in on the sign-in page (a few at a time, as people arrive); their cookies."""
    gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)

    async def one(person: User) -> str:
        async with gate:
            return await Session(base, "").sign_in(person.email, BENCH_PASSWORD, sessions.COOKIE_NAME)

    return list(await asyncio.gather(*(one(person) for person in people)))


def dashboard_people(count: int) -> list[User]:
    """The national MDT and the seven regional teams, in turn (eight scopes, as during a strike)."""
    with read_session() as session:
        national = session.exec(select(User).where(User.role == Role.NATIONAL_MDT.value).order_by(User.id)).all()
        regional = session.exec(select(User).where(User.role == Role.REGIONAL_MD.value).order_by(User.id)).all()
    rota = [national[0], *regional]
    return [rota[i % len(rota)] for i in range(count)]


def review_tasks() -> list[tuple[int, User]]:
    """(request, reviewer) pairs: each request waiting below the BMA in the current period, with the
    account that reviews at its tier in its scope. Shuffled, so reviewers spread over tiers."""
    now = utcnow()
    with read_session() as session:
        period = session.exec(
            select(StrikePeriod).where(StrikePeriod.starts_at <= now, StrikePeriod.ends_at > now)
        ).first()
        requests = session.exec(
            select(DerogationRequest).where(
                DerogationRequest.strike_period_id == period.id,
                DerogationRequest.status == Status.IN_REVIEW.value,
                col(DerogationRequest.current_tier).in_([t.value for t in REVIEW_TIERS]),
            )
        ).all()
        users = session.exec(select(User).where(col(User.role).in_([t.value for t in REVIEW_TIERS]))).all()
    tasks = []
    for request in requests:
        for person in users:
            if person.role != request.current_tier:
                continue
            if (
                person.role in (Tier.CLINICAL_DIRECTOR.value, Tier.TRUST_MD.value)
                and person.trust_code != request.trust_code
            ):
                continue
            if person.role == Tier.REGIONAL_MD.value and person.region_code != request.region_code:
                continue
            tasks.append((request.id, person))
            break
    random.Random(10).shuffle(tasks)
    return tasks


# ---------------------------------------------------------------- load


@dataclass
class Tally:
    refreshes: list[tuple[float, float]] = field(default_factory=list)  # (finished at, ms)
    refresh_errors: int = 0
    late_ticks: int = 0  # a timer tick that found the previous refresh still running (not sent)
    opens: list[tuple[float, float]] = field(default_factory=list)
    actions: list[tuple[float, float]] = field(default_factory=list)
    action_refused: int = 0
    action_errors: int = 0


async def watch(viewer: Session, tally: Tally, stop: asyncio.Event) -> None:
    """The frontend's timer for a run_every fragment: every interval from the page's first draw."""
    interval = viewer.fragment[0]
    due = time.perf_counter() + interval
    while not stop.is_set():
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if stop.is_set():
            break
        try:
            run = await viewer.refresh()
            if run.status == 3:  # FINISHED_FRAGMENT_RUN_SUCCESSFULLY
                tally.refreshes.append((run.finished, run.ms))
            else:
                tally.refresh_errors += 1
        except (RunFailed, TimeoutError):
            tally.refresh_errors += 1
            if viewer.closed:
                return
        due += interval
        while due < time.perf_counter():
            due += interval
            tally.late_ticks += 1


async def stop_watching(stop: asyncio.Event, watchers: list[asyncio.Task], pages: list[Session]) -> None:
    """Stop the timers, then close the pages (their websockets)."""
    stop.set()
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    await asyncio.gather(*(page.close() for page in pages), return_exceptions=True)


async def open_viewer(base: str, cookie: str, tally: Tally) -> Session:
    viewer = Session(base, "live-dashboard", cookie=cookie)
    viewer.collect_texts = True
    run = await viewer.open()
    if run.status != 0 or viewer.fragment is None or not any(t.startswith("Figures as at") for t in run.texts):
        raise RuntimeError(f"a viewer did not get the dashboard: status {run.status}, {run.texts[:8]}")
    viewer.collect_texts = False  # refreshes: the client only needs the end of each run
    tally.opens.append((run.finished, run.ms))
    return viewer


async def open_wall(base: str, starter: User, region_code: str | None) -> Session:
    """A wall screen: /wall shows its code; the national MDT types it (Wall displays' core call); the
    screen's next poll sends the browser to /display/start, whose cookie opens the live wall."""
    screen = Session(base, "wall")
    shown = await screen.open()
    code = next((m.group(1) for t in shown.texts if (m := WALL_CODE.search(t))), None)
    if code is None or screen.fragment is None:
        raise RuntimeError(f"/wall showed no code: {shown.texts[:4]}")
    await asyncio.to_thread(display_sessions.start, starter, code, region_code, 12)
    await screen.refresh()
    cookie = await screen.follow(display_sessions.COOKIE_NAME)
    await screen.close()
    wall = Session(base, "wall", cookie=cookie)
    run = await wall.open()
    if run.status != 0 or wall.fragment is None or not any("Needs action now" in t for t in run.texts):
        raise RuntimeError(f"a wall display did not open: status {run.status}, {run.texts[:4]}")
    wall.collect_texts = False
    return wall


async def measure_walls(name: str, base: str, pid: int, count: int, starter: User, regions: list[str]) -> Level:
    """`count` wall displays alone in the process (England, then each region in turn), refreshing."""
    tally, stop = Tally(), asyncio.Event()
    scopes = [None, *regions]
    walls = [await open_wall(base, starter, scopes[i % len(scopes)]) for i in range(count)]
    watchers = [asyncio.create_task(watch(wall, tally, stop)) for wall in walls]
    try:
        await asyncio.sleep(WARM_S)
        cpu, start, end, client, wall_s = await measure_window(pid, tally, WINDOW_S)
        level = summarise(name, 0, 0, tally, pid, cpu, start, end, client, wall_s)
        level.walls = count
        print(f"  {name}: {describe(level)}", flush=True)
        return level
    finally:
        await stop_watching(stop, watchers, walls)


async def review(base: str, tasks: list[tuple[int, str]], tally: Tally, stop: asyncio.Event, seed: int) -> None:
    """One reviewer: open the next request waiting for them, escalate it with a reason, think, repeat."""
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, REVIEWER_THINK_S[1]))
    while not stop.is_set() and tasks:
        request_id, cookie = tasks.pop()
        page = Session(base, "request", query=f"id={request_id}", cookie=cookie)
        try:
            opened = await page.open()
            tally.opens.append((opened.finished, opened.ms))
            if "What do you decide?" not in page.labels:
                tally.action_refused += 1
                continue
            page.choose("What do you decide?", "Escalate")
            await page.change()  # the radio reruns the page, as in the browser
            page.type_text("Your rationale", "Benchmark: escalating, the risk is confirmed by the clinical lead.")
            await asyncio.sleep(rng.uniform(0.3, 0.8))
            acted = await page.click("Record my decision")
            if any(t.startswith(f"Request {request_id}:") for t in acted.texts):
                tally.actions.append((acted.finished, acted.ms))
            else:
                tally.action_refused += 1
        except (RunFailed, TimeoutError, KeyError, StopIteration):
            tally.action_errors += 1
        finally:
            await page.close()
        await asyncio.sleep(rng.uniform(*REVIEWER_THINK_S))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Level:
    config: str
    viewers: int
    reviewers: int
    refreshes: int
    cpu_ms_per_refresh: float
    cores: float
    rss: float
    peak: float
    p50: float
    p95: float
    errors: int
    late: int
    client_cores: float
    actions: int = 0
    action_p50: float = float("nan")
    action_p95: float = float("nan")
    open_p50: float = float("nan")
    action_errors: int = 0
    walls: int = 0  # wall displays refreshing instead of dashboard viewers


async def measure_window(pid: int, tally: Tally, seconds: float) -> tuple[float, float, float, float, float]:
    cpu0, wall0, client0 = cpu_seconds(pid), time.perf_counter(), time.process_time()
    await asyncio.sleep(seconds)
    cpu1, wall1, client1 = cpu_seconds(pid), time.perf_counter(), time.process_time()
    return cpu1 - cpu0, wall0, wall1, client1 - client0, wall1 - wall0


async def run_config(name: str, base: str, pid: int, viewer_levels: list[int], reviewers: int,
                     people: list[User], tasks: list[tuple[int, str]], walls: int) -> list[Level]:  # fmt: skip
    levels: list[Level] = []
    wall_levels: list[Level] = []
    if walls:
        starter, regions = people[0], sorted({p.region_code for p in people if p.region_code})
        wall_levels.append(await measure_walls(name, base, pid, walls, starter, regions))
    cookies: list[str] = []
    tally = Tally()
    stop = asyncio.Event()
    viewers: list[Session] = []
    watchers: list[asyncio.Task] = []
    saturated = False
    try:
        for target in viewer_levels:
            if saturated:
                break
            if levels and levels[-1].cores * target / levels[-1].viewers > 0.9 * (os.cpu_count() or 2):
                # This many would need more CPU than the machine has: say so rather than measure a queue.
                projected = levels[-1].cores * target / levels[-1].viewers
                print(f"  {name}: {target} viewers would need ~{projected:.1f} cores: not measured", flush=True)
                break
            new = target - len(viewers)
            began = time.perf_counter()  # the new viewers sign in before the window, as people arrive
            cookies += await sign_in_all(base, people[len(cookies) : target])
            print(f"  {name}: {new} more viewers signed in in {time.perf_counter() - began:.0f} s", flush=True)
            # Open the new viewers a few at a time, spread over at least one refresh interval so that
            # their timers tick evenly through it.
            batch = max(1, min(8, new // 10))
            spread = max(10.0, new * 0.1)
            for first in range(0, new, batch):
                began = time.perf_counter()
                count = min(batch, new - first)
                opened = await asyncio.gather(
                    *(open_viewer(base, cookies[len(viewers) + i], tally) for i in range(count))
                )
                for viewer in opened:
                    viewers.append(viewer)
                    watchers.append(asyncio.create_task(watch(viewer, tally, stop)))
                pause = spread * count / new - (time.perf_counter() - began)
                await asyncio.sleep(max(0.0, pause))
            await asyncio.sleep(WARM_S)
            cpu, start, end, client, wall = await measure_window(pid, tally, WINDOW_S)
            level = summarise(name, len(viewers), 0, tally, pid, cpu, start, end, client, wall)
            levels.append(level)
            print(f"  {name}: {describe(level)}", flush=True)
            saturated = level.cores > 0.95 * (os.cpu_count() or 2) or level.p95 > 10_000
        if reviewers and not saturated:
            reviewer_stop = asyncio.Event()
            queue = list(tasks)
            crew = [asyncio.create_task(review(base, queue, tally, reviewer_stop, i)) for i in range(reviewers)]
            await asyncio.sleep(WARM_S / 2)
            cpu, start, end, client, wall = await measure_window(pid, tally, WINDOW_S * 2)
            reviewer_stop.set()
            await asyncio.gather(*crew, return_exceptions=True)
            level = summarise(name, len(viewers), reviewers, tally, pid, cpu, start, end, client, wall)
            levels.append(level)
            print(f"  {name}: {describe(level)}", flush=True)
    finally:
        await stop_watching(stop, watchers, viewers)
    return wall_levels + levels


def summarise(name: str, viewers: int, reviewers: int, tally: Tally, pid: int, cpu: float,
              start: float, end: float, client: float, wall: float) -> Level:  # fmt: skip
    latencies = [ms for at, ms in tally.refreshes if start <= at < end]
    actions = [ms for at, ms in tally.actions if start <= at < end]
    opens = [ms for at, ms in tally.opens if start <= at < end]
    memory = memory_mb(pid)
    level = Level(
        config=name,
        viewers=viewers,
        reviewers=reviewers,
        refreshes=len(latencies),
        cpu_ms_per_refresh=cpu * 1000 / max(1, len(latencies)),
        cores=cpu / wall,
        rss=memory["VmRSS"],
        peak=memory["VmHWM"],
        p50=pct(latencies, 0.5),
        p95=pct(latencies, 0.95),
        errors=tally.refresh_errors,
        late=tally.late_ticks,
        client_cores=client / wall,
    )
    if reviewers:
        level.actions = len(actions)
        level.action_p50, level.action_p95 = pct(actions, 0.5), pct(actions, 0.95)
        level.open_p50 = pct(opens, 0.5)
        level.action_errors = tally.action_errors + tally.action_refused
        # With reviewers, the CPU is not the dashboards' alone: per refresh is an upper bound.
    tally.refresh_errors = tally.late_ticks = tally.action_errors = tally.action_refused = 0
    return level


def describe(level: Level) -> str:
    who = f"{level.walls} wall displays" if level.walls else f"{level.viewers} viewers"
    text = (
        f"{who}{f' + {level.reviewers} reviewers' if level.reviewers else ''}: "
        f"{level.refreshes} refreshes, {level.cpu_ms_per_refresh:.1f} ms CPU each, {level.cores:.2f} cores, "
        f"RSS {level.rss:.0f} MB, refresh p50 {level.p50:.0f} / p95 {level.p95:.0f} ms"
    )
    if level.reviewers:
        text += f", {level.actions} actions p50 {level.action_p50:.0f} / p95 {level.action_p95:.0f} ms"
    return text


# ---------------------------------------------------------------- the run


def run(
    configs: list[str], viewer_levels: list[int], reviewers: int, size: int, walls: int
) -> tuple[list[Level], dict]:
    source = database(size).removeprefix("sqlite:///")
    results: list[Level] = []
    starts: dict[str, float] = {}
    for name in configs:
        with tempfile.TemporaryDirectory(dir=PROJECT_ROOT / "var" / "bench") as folder:
            copy = Path(folder) / "capacity.db"
            shutil.copyfile(source, copy)  # actions change requests: every configuration starts alike
            url = f"sqlite:///{copy}"
            process, base = start_server(url, CONFIGS[name], Path(folder) / "streamlit.log")
            try:
                starts[name] = memory_mb(process.pid)["VmRSS"]
                use_database(url)
                people = dashboard_people(max(viewer_levels))
                pending = review_tasks() if reviewers else []
                tasks = list(
                    zip([rid for rid, _ in pending], session_cookies([person for _, person in pending]), strict=False)
                )
                print(f"{name} ({CONFIGS[name]['what']}): started, RSS {starts[name]:.0f} MB", flush=True)
                results += asyncio.run(
                    run_config(name, base, process.pid, viewer_levels, reviewers, people, tasks, walls)
                )
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                dispose_engines()
    return results, starts


def table(results: list[Level], starts: dict[str, float], size: int) -> str:
    lines = [
        f"Capacity of one app process at {size:,} requests (live dashboards refreshing every 10 s; "
        "each configuration a fresh server, measured in the same run)",
        "",
        "| configuration | viewers | reviewers | refreshes | CPU / refresh | cores | RSS (peak) | refresh p50 / p95 "
        "| actions | action p50 / p95 | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        action = f"{r.action_p50:.0f} / {r.action_p95:.0f} ms" if r.reviewers else ""
        lines.append(
            f"| {r.config} | {f'{r.walls} wall displays' if r.walls else r.viewers} | {r.reviewers or ''} | {r.refreshes} | {r.cpu_ms_per_refresh:.1f} ms "
            f"| {r.cores:.2f} | {r.rss:.0f} ({r.peak:.0f}) MB | {r.p50:.0f} / {r.p95:.0f} ms | "
            f"{r.actions if r.reviewers else ''} | {action} | {r.errors + r.action_errors} |"
        )
    lines.append("")
    lines.append("Resident memory after start (no session): " + ", ".join(f"{k} {v:.0f} MB" for k, v in starts.items()))
    lines.append("Client (this benchmark's own process) used " + ", ".join(
        f"{r.config}@{r.viewers}: {r.client_cores:.2f}" for r in results if not r.reviewers and not r.walls) + " cores")  # fmt: skip
    return "\n".join(lines)


def targets(results: list[Level]) -> list[tuple[str, str, bool]]:
    out = []
    for name in dict.fromkeys(r.config for r in results):
        rows = [r for r in results if r.config == name and not r.reviewers and not r.walls]
        mixed = [r for r in results if r.config == name and r.reviewers]
        if not rows:
            continue
        most = rows[-1]
        worst_cpu = (
            max(r.cpu_ms_per_refresh for r in rows if r.viewers >= 10)
            if most.viewers >= 10
            else most.cpu_ms_per_refresh
        )
        out.append((f"{name}: CPU per refresh <= {CPU_TARGET_MS:.0f} ms", f"worst {worst_cpu:.1f} ms (10+ viewers)",
                    worst_cpu <= CPU_TARGET_MS))  # fmt: skip
        out.append((f"{name}: 200 viewers within one core", f"{most.viewers} viewers: {most.cores:.2f} cores, "
                    f"{most.errors} errors", most.viewers >= 200 and most.cores <= CORE_TARGET and most.errors == 0))  # fmt: skip
        first = rows[0]
        allowed = MEMORY_BASE_MB + MEMORY_PER_SESSION_MB * (most.viewers - 1)
        per = (most.rss - first.rss) / max(1, most.viewers - first.viewers)
        out.append((f"{name}: memory <= {MEMORY_BASE_MB:.0f} MB + {MEMORY_PER_SESSION_MB:.0f} MB a further session",
                    f"{first.rss:.0f} MB with {first.viewers}, {most.rss:.0f} MB with {most.viewers} "
                    f"({per:.2f} MB a session; peak {most.peak:.0f} MB, allowed {allowed:.0f} MB)",
                    most.peak <= allowed))  # fmt: skip
        if mixed:
            m = mixed[-1]
            out.append((f"{name}: action p95 <= {ACTION_P95_TARGET_MS:.0f} ms", f"{m.action_p95:.0f} ms over {m.actions} "
                        f"actions with {m.viewers} viewers", m.action_p95 <= ACTION_P95_TARGET_MS and m.actions > 0))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    parser.add_argument("--viewers", type=int, nargs="+", default=list(VIEWERS))
    parser.add_argument("--reviewers", type=int, default=10)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--walls", type=int, default=WALLS, help="wall displays measured first (0: none)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results, starts = run(args.configs, sorted(args.viewers), args.reviewers, args.size, args.walls)
    print()
    print(table(results, starts, args.size))
    print("\nTargets")
    for name, detail, met in targets(results):
        print(f"  {name}: {detail} -> {'met' if met else 'NOT MET'}")
    print(f"\n(took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
