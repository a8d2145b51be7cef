"""Upkeep that page views trigger, each job at most once a minute per app process so that a page view
stays cheap: closing requests whose strike period has ended, and response-target reminders. The mail
worker (`python -m ops mail-worker`) runs both on its own schedule as well."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from core import workflow
from core.accounts import sessions
from core.notifications import reminders

INTERVAL_SECONDS = 60.0


class OncePer:
    """Lets a job through at most once per `seconds` in this process, whichever session asks."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: float | None = None
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last < self.seconds:
                return False
            self._last = now
            return True


_expiry = OncePer(INTERVAL_SECONDS)
_session_purge = OncePer(3600.0)
_reminders = OncePer(INTERVAL_SECONDS)


def expire_if_due(now: datetime | None = None) -> int:
    """Close the requests of ended strike periods, if this process has not looked in the last minute."""
    return workflow.expire_ended_periods(now) if _expiry.due() else 0


def remind_if_due(now: datetime | None = None) -> int:
    """Send the response-target reminders that are due, if this process has not in the last minute."""
    return reminders.send_due_reminders(now) if _reminders.due() else 0


def purge_sessions_if_due(now: datetime | None = None) -> int:
    """Remove sessions that ended long ago (core.accounts.sessions.KEEP_ENDED), at most once an hour per process."""
    return sessions.purge(now) if _session_purge.due() else 0
