"""Strike periods and reference data as every page run needs them, shared by the process for a few
seconds instead of read on every run. None of it is scoped to a user: periods and response targets
change only when an administrator saves them (and the Administration page forgets these copies at
once), region and trust names only with the reference data."""

from __future__ import annotations

import streamlit as st

from core import queries
from core.models import StrikePeriod, User
from core.platform.config import database_url

PERIODS_TTL = 5  # seconds: whether a strike is on is still worked out from the clock on every run
NAMES_TTL = 300


@st.cache_data(ttl=PERIODS_TTL, show_spinner=False)
def _periods(url: str) -> list[StrikePeriod]:
    return queries.strike_periods()


def strike_periods() -> list[StrikePeriod]:
    """Every strike period, newest first (at most PERIODS_TTL seconds old)."""
    return _periods(database_url())


def forget_periods() -> None:
    """After an administrator changes a period: the next run of any page reads them afresh."""
    _periods.clear()


@st.cache_data(ttl=NAMES_TTL, show_spinner=False)
def _region_names(url: str) -> dict[str, str]:
    return {r.code: r.name for r in queries.regions()}


def region_names() -> dict[str, str]:
    """Region code -> name, in name order."""
    return _region_names(database_url())


@st.cache_data(ttl=NAMES_TTL, max_entries=1024, show_spinner=False)
def _scope_label(role: str, trust_code: str | None, region_code: str | None, url: str, _user: User) -> str:
    return queries.user_scope_label(_user)


def scope_label(user: User) -> str:
    """The user's scope in words; keyed by what it depends on (role, trust, region), never by who asks."""
    return _scope_label(user.role, user.trust_code, user.region_code, database_url(), user)
