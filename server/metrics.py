"""GET /metrics: this app process's figures in Prometheus's text format (version 0.0.4), for a scraper
that reaches each process directly (deploy/nginx does not pass /metrics through). What each metric
means and what to alert on: deploy/README.md.

Counted in this process, from the moment it started:
- derog_sessions_open                      Streamlit sessions (browser tabs) connected now
- derog_script_runs_total{kind,outcome}    script runs: kind "page" (a whole page) or "fragment" (a live
                                           refresh); outcome ok, rerun (stopped for a newer run), error
- derog_script_run_seconds{kind}           their durations (a histogram)
- derog_actions_total{action}              audit rows committed: every workflow action, sign-in, admin
                                           change (the audit history's action names)
- derog_emails_queued_total                e-mails committed to the outbox by this process
- derog_database_errors_total{kind}        errors the database driver raised (OperationalError: locked,
                                           unreachable, deadlock; IntegrityError; …)
- process_cpu_seconds_total, process_resident_memory_bytes   the process's CPU time and memory
Read from the database (the same in every process; cached for 15 seconds):
- derog_email_outbox{state}                e-mails waiting, sent, given up
- derog_email_oldest_waiting_seconds       age of the oldest e-mail still waiting (0 if none)

How: SQLAlchemy's events (an ORM session's flush and commit, an engine's errors: no change to core/),
and a wrapper around the function Streamlit's script runner calls to execute a run (Streamlit 1.67's
`script_runner.exec_func_with_error_handling`; tests/deploy/test_metrics.py fails if that moves).
Off unless DEROG_METRICS_TOKEN is set (404, as if there were no such route); with it, a scraper must send
`Authorization: Bearer <token>` (401 otherwise): the figures say who is busy and when, for nobody else."""

from __future__ import annotations

import hmac
import math
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OUTBOX_CACHE_SECONDS = 15.0
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PENDING_KEY = "derog_metrics_pending"


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.total += 1
        self.sum += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1


class Registry:
    """Counters and histograms of this process (thread-safe; every session runs on its own thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(lambda: defaultdict(float))
        self.histograms: dict[str, dict[tuple[tuple[str, str], ...], Histogram]] = defaultdict(dict)
        self._outbox: tuple[float, dict[str, float]] | None = None

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        with self.lock:
            self.counters[name][tuple(sorted(labels.items()))] += amount

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self.lock:
            self.histograms[name].setdefault(key, Histogram()).observe(seconds)


REGISTRY = Registry()
HELP = {
    "derog_sessions_open": ("gauge", "Streamlit sessions (browser tabs) connected to this process now."),
    "derog_script_runs_total": ("counter", "Script runs in this process by kind (page, fragment) and outcome."),
    "derog_script_run_seconds": ("histogram", "Duration of script runs in this process."),
    "derog_actions_total": ("counter", "Audit rows committed by this process, by action."),
    "derog_emails_queued_total": ("counter", "E-mails this process committed to the outbox."),
    "derog_database_errors_total": ("counter", "Errors raised by the database driver in this process, by kind."),
    "derog_email_outbox": ("gauge", "E-mails in the outbox by state (database-wide)."),
    "derog_email_oldest_waiting_seconds": (
        "gauge",
        "Age of the oldest e-mail still waiting to be sent (database-wide).",
    ),
    "derog_integrity_differences": (
        "gauge",
        "Records that differ from their audit history at the last check, or 0 (core/records/integrity.py); not 0 is an alarm.",
    ),
    "derog_metrics_scrape_errors_total": ("counter", "Database reads for /metrics that failed."),
    "process_cpu_seconds_total": ("counter", "CPU time of this process (user and system), in seconds."),
    "process_resident_memory_bytes": ("gauge", "Resident memory of this process, in bytes."),
}


# ---------------------------------------------------------------- what is counted, and how


def _before_flush(session: OrmSession, _context: object, _instances: object) -> None:
    from core.models import AuditEvent, EmailOutbox

    pending = session.info.setdefault(_PENDING_KEY, [])
    for obj in session.new:
        if isinstance(obj, AuditEvent):
            pending.append(("derog_actions_total", {"action": str(obj.action)}))
        elif isinstance(obj, EmailOutbox):
            pending.append(("derog_emails_queued_total", {}))


def _after_commit(session: OrmSession) -> None:
    for name, labels in session.info.pop(_PENDING_KEY, []):
        REGISTRY.inc(name, **labels)


def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)


def _database_error(context: object) -> None:
    original = getattr(context, "original_exception", None)
    sqlalchemy_error = getattr(context, "sqlalchemy_exception", None)
    kind = type(sqlalchemy_error or original).__name__
    REGISTRY.inc("derog_database_errors_total", kind=kind)


def _timed(original):  # noqa: ANN001, ANN202  (Streamlit's exec_func_with_error_handling)
    def exec_func_with_error_handling(func, ctx):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        result = original(func, ctx)
        seconds = time.perf_counter() - started
        kind = "fragment" if getattr(ctx, "fragment_ids_this_run", None) else "page"
        _, _, rerun, _, uncaught = result
        outcome = "error" if uncaught is not None else "rerun" if rerun is not None else "ok"
        REGISTRY.inc("derog_script_runs_total", kind=kind, outcome=outcome)
        REGISTRY.observe("derog_script_run_seconds", seconds, kind=kind)
        return result

    exec_func_with_error_handling.derog_timed = True
    return exec_func_with_error_handling


_installed = threading.Lock()
_done = False


def install() -> None:
    """Start counting (once per process; called by the st.App lifespan)."""
    global _done
    with _installed:
        if _done:
            return
        event.listen(OrmSession, "before_flush", _before_flush)
        event.listen(OrmSession, "after_commit", _after_commit)
        event.listen(OrmSession, "after_rollback", _after_rollback)
        event.listen(Engine, "handle_error", _database_error)
        from streamlit.runtime.scriptrunner import script_runner

        if not getattr(script_runner.exec_func_with_error_handling, "derog_timed", False):
            script_runner.exec_func_with_error_handling = _timed(script_runner.exec_func_with_error_handling)
        _done = True


# ---------------------------------------------------------------- reading and writing


def _sessions_open() -> float:
    try:
        from streamlit.runtime import Runtime

        return float(Runtime.instance()._session_mgr.num_active_sessions())  # noqa: SLF001
    except Exception:  # noqa: BLE001  (no runtime yet, e.g. in a unit test)
        return 0.0


def _outbox() -> dict[str, float]:
    now = time.monotonic()
    cached = REGISTRY._outbox  # noqa: SLF001
    if cached is not None and now - cached[0] < OUTBOX_CACHE_SECONDS:
        return cached[1]
    from core.models import EmailOutbox
    from core.platform.clock import utcnow
    from core.platform.db import read_session

    waiting = col(EmailOutbox.sent_at).is_(None) & col(EmailOutbox.failed_at).is_(None)
    with read_session() as session:
        row = session.exec(
            select(
                func.count().filter(waiting),
                func.count().filter(col(EmailOutbox.sent_at).is_not(None)),
                func.count().filter(col(EmailOutbox.failed_at).is_not(None)),
                func.min(EmailOutbox.created_at).filter(waiting),
            )
        ).one()
    oldest = row[3]
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    values = {
        "waiting": float(row[0]),
        "sent": float(row[1]),
        "given_up": float(row[2]),
        "oldest": max(0.0, (utcnow() - oldest).total_seconds()) if oldest is not None else 0.0,
    }
    REGISTRY._outbox = (now, values)  # noqa: SLF001
    return values


def _process() -> dict[str, float]:
    """This process's CPU time and resident memory (Linux /proc), under Prometheus's usual names."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return {
            "process_cpu_seconds_total": (int(fields[11]) + int(fields[12])) / ticks,
            "process_resident_memory_bytes": float(pages * os.sysconf("SC_PAGE_SIZE")),
        }
    except (OSError, ValueError, IndexError):
        return {}


def _labels(key: tuple[tuple[str, str], ...], extra: str = "") -> str:
    parts = [f'{name}="{_escape(value)}"' for name, value in key]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def render() -> str:
    lines: list[str] = []

    def header(name: str) -> None:
        kind, text = HELP[name]
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")

    header("derog_sessions_open")
    lines.append(f"derog_sessions_open {_number(_sessions_open())}")
    for name, value in _process().items():
        header(name)
        lines.append(f"{name} {_number(value)}")
    try:
        outbox = _outbox()
    except Exception:  # noqa: BLE001  (the database is down: say so, and still answer)
        REGISTRY.inc("derog_metrics_scrape_errors_total")
        outbox = None
    try:
        from core.records.integrity import alarm_state

        differences: int | None = alarm_state().differences
    except Exception:  # noqa: BLE001  (the database is down: say so, and still answer)
        REGISTRY.inc("derog_metrics_scrape_errors_total")
        differences = None
    if differences is not None:
        header("derog_integrity_differences")
        lines.append(f"derog_integrity_differences {differences}")
    with REGISTRY.lock:
        counters = {name: dict(values) for name, values in REGISTRY.counters.items()}
        histograms = {
            name: {key: (list(h.counts), h.total, h.sum) for key, h in values.items()}
            for name, values in REGISTRY.histograms.items()
        }
    for name in ("derog_script_runs_total", "derog_actions_total", "derog_emails_queued_total",
                 "derog_database_errors_total", "derog_metrics_scrape_errors_total"):  # fmt: skip
        header(name)
        values = counters.get(name) or ({(): 0.0} if name in ("derog_emails_queued_total",
                                                              "derog_metrics_scrape_errors_total") else {})  # fmt: skip
        for key, value in sorted(values.items()):
            lines.append(f"{name}{_labels(key)} {_number(value)}")
    header("derog_script_run_seconds")
    for key, (counts, total, seconds) in sorted(histograms.get("derog_script_run_seconds", {}).items()):
        for bound, count in zip(BUCKETS, counts, strict=True):
            le = f'le="{bound}"'
            lines.append(f"derog_script_run_seconds_bucket{_labels(key, le)} {count}")
        le = 'le="+Inf"'
        lines.append(f"derog_script_run_seconds_bucket{_labels(key, le)} {total}")
        lines.append(f"derog_script_run_seconds_sum{_labels(key)} {_number(seconds)}")
        lines.append(f"derog_script_run_seconds_count{_labels(key)} {total}")
    if outbox is not None:
        header("derog_email_outbox")
        for state in ("waiting", "sent", "given_up"):
            lines.append(f'derog_email_outbox{{state="{state}"}} {_number(outbox[state])}')
        header("derog_email_oldest_waiting_seconds")
        lines.append(f"derog_email_oldest_waiting_seconds {_number(outbox['oldest'])}")
    return "\n".join(lines) + "\n"


def metrics(request: Request) -> Response:
    token = os.environ.get("DEROG_METRICS_TOKEN", "").strip()
    if not token:
        return PlainTextResponse("Not Found\n", status_code=404)
    sent = request.headers.get("authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return PlainTextResponse("unauthorised\n", status_code=401, headers={"WWW-Authenticate": "Bearer"})
    response = PlainTextResponse(render(), media_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


ROUTE = Route("/metrics", metrics, methods=["GET"])
