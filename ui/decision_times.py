"""Time to decision on the live dashboard: a small block of core.report.decision_times for the viewer's scope
and period, counted at most once a minute per scope (it reads the audit history, not the running tallies)."""

from __future__ import annotations

import streamlit as st

from core.models import User
from core.report.decision_times import DecisionTime, decision_times
from ui.components import fact_table
from ui.text import duration

TTL = 60  # seconds: decision times move slowly; the headline beside them refreshes every 10 seconds


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _counted(_viewer: User, scope: tuple, period_id: int, url: str) -> list[DecisionTime]:
    """Keyed by the scope (core.access_control.visibility.scope_key), never the viewer alone: one scope's times, not another's."""
    return decision_times(_viewer, [period_id])


COLUMNS = ["Stage", "Decisions", "Median", "90th percentile"]


def rows(times: list[DecisionTime]) -> list[tuple[str, ...]]:
    return [(t.label, f"{t.decisions:,}", duration(t.median_minutes), duration(t.p90_minutes)) for t in times]


def draw(viewer: User, scope: tuple, period_id: int, url: str) -> None:
    times = _counted(viewer, scope, period_id, url)
    st.subheader("Time to decision")
    fact_table("Time to decision in this strike period", COLUMNS, rows(times))
    st.caption(
        "From submission to the decision that closed a request (approved, declined, or resolved locally), and at "
        "each tier from a request's arrival to that tier's decision. Half of decisions took less than the median; "
        "nine in ten less than the 90th percentile."
    )
