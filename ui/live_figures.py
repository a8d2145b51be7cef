"""The live dashboard's figures: SQL aggregates in the viewer's scope, shaped for the headline and the
charts once per scope and refresh, and drawn two charts to a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import streamlit as st

from core import queries
from core.clock import utcnow
from core.models import User
from ui import charts, components
from ui.chart_view import show

FIGURES_TTL = 5  # seconds: shorter than the page's 10-second refresh, so each refresh shows new figures


@dataclass(frozen=True)
class Figures:
    """Everything the live part draws from the aggregates, worked out once per scope and refresh."""

    headline: queries.Headline
    charts: list[tuple[str, pd.DataFrame, str]]  # (chart builder name in ui/charts, its data, text alternative)
    counted_at: datetime
    empty: bool


def chart_list(breakdown: pd.DataFrame, timeline: pd.DataFrame) -> list[tuple[str, pd.DataFrame, str]]:
    names = {r.code: r.name for r in queries.regions()}
    open_regions = charts.shape_open_by(breakdown, "region_code", names)
    open_categories = charts.shape_open_by(breakdown, "category", charts.SHORT_CATEGORY)
    tiers = charts.shape_by_tier(breakdown)
    outcome_frame = charts.shape_outcomes(breakdown)
    doctors = charts.shape_doctors(breakdown)
    drawn = [
        ("open_by_region", open_regions, "Open requests by region: " + _words(open_regions)),
        ("open_by_category", open_categories, "Open requests by category: " + _words(open_categories)),
        (
            "region_category_heatmap",
            charts.shape_region_category(breakdown, names),
            "Open requests by region and category.",
        ),
        ("by_tier", tiers, "Waiting at each tier: " + _words(tiers, "tier", "requests")),
        ("breaches", tiers, "Breached at each tier: " + _words(tiers, "tier", "breached")),
    ]
    if len(timeline):
        drawn.append(("over_time", timeline, "Submissions and BMA decisions per hour over the strike period."))
    drawn += [
        ("outcomes", outcome_frame, "Outcomes: " + _words(outcome_frame, "outcome", "requests")),
        ("doctors", doctors, "Resident doctors: " + _words(doctors, "measure", "doctors")),
    ]
    if len(timeline) and (timeline["event"] == "Approved").any():
        drawn.append(("recalled_over_time", timeline, "Resident doctors approved for recall per hour."))
    return drawn


# Pairs side by side; the heatmap and the charts over time take the full width.
FULL_WIDTH = {"region_category_heatmap", "over_time", "recalled_over_time"}


def draw_charts(drawn: list[tuple[str, pd.DataFrame, str]]) -> None:
    pending: list[tuple[str, pd.DataFrame, str]] = []

    def flush() -> None:
        if pending:
            for column, (name, frame, words) in zip(st.columns(2), pending, strict=False):
                with column:
                    show(getattr(charts, name), frame, words)
            pending.clear()

    for name, frame, words in drawn:
        if name in FULL_WIDTH:
            flush()
            show(getattr(charts, name), frame, words)
        else:
            pending.append((name, frame, words))
            if len(pending) == 2:
                flush()
    flush()


def _words(frame: pd.DataFrame, label: str = "label", value: str = "requests") -> str:
    return "; ".join(f"{row[label]} {row[value]}" for _, row in frame.iterrows()) or "none"


def scope_key(viewer: User) -> tuple:
    """What the viewer's scope depends on (core.access.visible_filter): the cache key of their figures."""
    return (viewer.role, viewer.trust_code, viewer.region_code, viewer.active)


@st.cache_data(ttl=FIGURES_TTL, max_entries=64, show_spinner=False)
def figures(_viewer: User, scope: tuple, period_id: int, url: str) -> Figures:
    """The period's aggregates in one scope, shaped for the page. Everyone with the same scope shares
    them for a few seconds: the GROUP BY scans run once per scope, not once per viewer per refresh."""
    now = utcnow()
    chosen = next(p for p in queries.strike_periods() if p.id == period_id)
    breakdown = queries.dashboard_breakdown(_viewer, period_id, now)
    timeline = queries.dashboard_timeline(_viewer, chosen)
    return Figures(queries.headline(breakdown), chart_list(breakdown, timeline), now, breakdown.empty)


ATTENTION_COLUMNS = (
    "No.",
    "Mass casualty",
    "Trust",
    "Service",
    "Waiting at",
    "Time at tier (target)",
    "Decision needed by",
    "Time left",
)


@st.cache_data(ttl=FIGURES_TTL, max_entries=64, show_spinner=False)
def attention_table(_viewer: User, scope: tuple, period_id: int, url: str) -> tuple[pd.DataFrame, list[int]]:
    """Breached and near-deadline requests as a table, shared per scope like the figures."""
    return components.table_frame(queries.attention(_viewer, period_id), ATTENTION_COLUMNS)


@st.cache_data(ttl=FIGURES_TTL, max_entries=256, show_spinner=False)
def period_table(
    _viewer: User,
    scope: tuple,
    period_id: int,
    filters: tuple[str | None, str | None, str | None],
    url: str,
    limit: int,
) -> tuple[pd.DataFrame, list[int], int]:
    """The newest requests of the period matching (region, category, outcome), and how many match."""
    region, category, outcome = filters
    rows, total = queries.period_requests(
        _viewer, period_id, queries.ListFilters(region=region, category=category, outcome=outcome), limit=limit
    )
    frame, ids = components.table_frame(rows)
    return frame, ids, total
