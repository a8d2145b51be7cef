"""Settings read from the environment (or Streamlit secrets, passed in by app.py as env vars)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "derogations.db"


def database_url() -> str:
    """`DATABASE_URL` if set, else a SQLite file under var/ that the app creates on first start."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


@dataclass(frozen=True)
class SecuritySettings:
    max_failed_logins: int = 5
    max_failed_logins_per_address: int = 20  # from browsers unknown to the accounts tried (core/accounts/users.py)
    lockout_minutes: int = 15
    idle_timeout_minutes: int = 30
    sign_in_floor_ms: int = 250
    session_max_hours: float = 12.0  # a shift: signed out after this long, however active
    secure_cookies: bool = True  # the session cookie only over HTTPS (off for the local demo)

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    def failures_forgotten_before(self, now: datetime) -> datetime:
        """A count of failed sign-ins whose last failure is older than this starts again: failures further
        apart than the lockout itself never add up to one."""
        return now - self.lockout


def _positive(name: str, default: float, kind: type[int] | type[float] = int) -> float:
    """A setting that must be a positive number: a typo must not sign everyone out at once (0) or
    fail every page with a bare traceback."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not value > 0 or value != value:  # value != value: NaN
        raise ValueError(f"{name} must be a positive {'whole ' if kind is int else ''}number, not {raw!r}.")
    return value


def security_settings() -> SecuritySettings:
    return SecuritySettings(
        max_failed_logins=_positive("DEROG_MAX_FAILED_LOGINS", 5),
        max_failed_logins_per_address=_positive("DEROG_MAX_FAILED_LOGINS_PER_ADDRESS", 20),
        lockout_minutes=_positive("DEROG_LOCKOUT_MINUTES", 15),
        idle_timeout_minutes=_positive("DEROG_IDLE_TIMEOUT_MINUTES", 30),
        sign_in_floor_ms=int(os.environ.get("DEROG_SIGN_IN_FLOOR_MS", 250)),
        session_max_hours=_positive("DEROG_SESSION_MAX_HOURS", 12.0, float),
        secure_cookies=os.environ.get("DEROG_SECURE_COOKIES", "1").strip().lower() not in ("0", "false", "no", "off"),
    )
