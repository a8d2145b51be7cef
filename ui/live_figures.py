"""The live dashboard's figures: SQL aggregates in the viewer's scope, shaped for the headline and the
charts once per scope and refresh, and drawn one section of charts at a time, two charts to a row.

Everything here is cached for FIGURES_TTL seconds per scope (core.access_control.visibility.visible_filter depends only
on core.access_control.visibility.scope_key): a dashboard shows the figures "as at" the time they were counted, and everyone with
the same scope shares one count instead of each viewer's refresh running the GROUP BY scans again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import pyarrow as pa
import streamlit as st

from core import queries
from core.enums import DECLINE_ACTIONS, Reason, Tier
from core.models import User
from core.request.running_counts import EVERY_REASON
from ui import charts, components, shared_copies
from ui.chart_view import ChartSpec, chart_spec, show

FIGURES_TTL = 5  # seconds: shorter than the page's 10-second refresh, so each refresh shows new figures

# The charts, in sections shown one at a time: (label, chart builders in ui/charts).
SECTIONS = {
    "where": ("Where", ("open_by_region", "open_by_category", "region_category_heatmap")),
    "route": ("Route and breaches", ("by_tier", "breaches")),
    "time": ("Over time", ("over_time", "recalled_over_time")),
    "outcomes": ("Outcomes", ("outcomes", "doctors")),
    "reasons": ("Declines by reason", ("declines_by_reason", "declines_by_who")),
}
# Pairs side by side; the heatmap and the charts over time take the full width.
FULL_WIDTH = {"region_category_heatmap", "over_time", "recalled_over_time"}
DECLINE_VALUES = {a.value for a in DECLINE_ACTIONS}


@dataclass(frozen=True)
class Counted:
    """What the live part of the dashboard shows of one scope, counted at one moment."""

    headline: queries.Headline
    counted_at: datetime
    breakdown: pa.Table
    attention: pa.Table  # what needs attention, as the table shows it
    attention_ids: tuple[int, ...]
    reasons: pa.Table | None = None  # core.queries.reason_counts, counted in the same read

    @property
    def empty(self) -> bool:
        return self.breakdown.num_rows == 0


# st.cache_resource, not st.cache_data: every viewer of the scope is handed the same object instead of
# each refresh unpickling a private copy (~1 ms a refresh with 200 viewers, bench.capacity). Nothing
# here is changed after it is made: frozen dataclasses, Arrow tables, tuples; Streamlit copies a
# chart's spec before taking its data out (ui.chart_view.show).
@st.cache_resource(ttl=FIGURES_TTL, max_entries=64, show_spinner=False)
def counted(_viewer: User, scope: tuple, period_id: int, url: str) -> Counted:
    """The period's figures in one scope and what needs attention, in one read at one moment
    (core.queries.live_figures), so the headline, the table and the charts agree. It runs once per
    scope, not once per viewer per refresh."""
    live = queries.live_figures(_viewer, period_id)
    attention, ids = components.table_frame(live.attention, ATTENTION_COLUMNS)
    headline = queries.headline(live.breakdown, live.reasons)
    return Counted(headline, live.counted_at, live.breakdown, attention, tuple(ids), live.reasons)


def shape_declines(reasons: pa.Table | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Declines (by a tier as not meeting the criteria, or by the BMA) by reason, and by who declined:
    `label`, `requests` each (a decline may give several reasons; each decline counts once by who)."""
    by_reason: dict[str, int] = {}
    by_who: dict[str, int] = {}
    if reasons is not None:
        rows = zip(*(reasons[c].to_pylist() for c in ("action", "by_tier", "reason", "times")), strict=True)
        for action, by_tier, reason, times in rows:
            if action not in DECLINE_VALUES:
                continue
            if reason == EVERY_REASON:
                who = "BMA" if by_tier == Tier.BMA.value else Tier(by_tier).label
                by_who[who] = by_who.get(who, 0) + int(times)
            else:
                label = Reason(reason).label if reason in set(Reason) else reason
                by_reason[label] = by_reason.get(label, 0) + int(times)
    order = {r.label: i for i, r in enumerate(Reason)}
    who_order = {("BMA" if t is Tier.BMA else t.label): i for i, t in enumerate(Tier)}
    reason_frame = pd.DataFrame(
        sorted(by_reason.items(), key=lambda x: order.get(x[0], 99)), columns=["label", "requests"]
    )
    who_frame = pd.DataFrame(
        sorted(by_who.items(), key=lambda x: who_order.get(x[0], 99)), columns=["label", "requests"]
    )
    return reason_frame, who_frame


def _words(figures: pa.Table, label: str = "label", value: str = "requests") -> str:
    pairs = zip(figures[label].to_pylist(), figures[value].to_pylist(), strict=True)
    return "; ".join(f"{name} {figure}" for name, figure in pairs) or "none"


def _frame_words(frame: pd.DataFrame) -> str:
    return "; ".join(f"{r['label']} {r['requests']}" for r in frame.to_dict("records")) or "none"


def _section(
    breakdown: pa.Table, timeline: pd.DataFrame | None, section: str, reasons: pa.Table | None = None
) -> list[ChartSpec]:
    if section == "where":
        names = shared_copies.region_names()
        regions = charts.shape_open_by(breakdown, "region_code", names)
        categories = charts.shape_open_by(breakdown, "category", charts.SHORT_CATEGORY)
        return [
            chart_spec(charts.open_by_region, regions, "Open requests by region: " + _words(regions)),
            chart_spec(charts.open_by_category, categories, "Open requests by category: " + _words(categories)),
            chart_spec(
                charts.region_category_heatmap,
                charts.shape_region_category(breakdown, names),
                "Open requests by region and category.",
            ),
        ]
    if section == "route":
        tiers = charts.shape_by_tier(breakdown)
        return [
            chart_spec(charts.by_tier, tiers, "Waiting at each tier: " + _words(tiers, "tier", "requests")),
            chart_spec(charts.breaches, tiers, "Breached at each tier: " + _words(tiers, "tier", "breached")),
        ]
    if section == "reasons":
        by_reason, by_who = shape_declines(reasons)
        if by_reason.empty and by_who.empty:
            return []
        drawn = [
            (charts.declines_by_reason, by_reason, "Declines by reason: "),
            (charts.declines_by_who, by_who, "Declines by who declined: "),
        ]
        return [chart_spec(build, frame, words + _frame_words(frame)) for build, frame, words in drawn if len(frame)]
    if section == "time":
        if timeline is None or not len(timeline):
            return []
        hours = charts.shape_timeline(timeline)
        drawn = [chart_spec(charts.over_time, hours, "Submissions and BMA decisions per hour over the strike period.")]
        if (timeline["event"] == charts.APPROVALS_GIVEN).any():
            drawn.append(chart_spec(charts.recalled_over_time, hours, "Resident doctors approved for recall per hour."))
        return drawn
    outcome_frame = charts.shape_outcomes(breakdown)
    doctors = charts.shape_doctors(breakdown)
    return [
        chart_spec(charts.outcomes, outcome_frame, "Outcomes: " + _words(outcome_frame, "label", "requests")),
        chart_spec(charts.doctors, doctors, "Resident doctors: " + _words(doctors, "measure", "doctors")),
    ]


@st.cache_resource(ttl=FIGURES_TTL, max_entries=256, show_spinner=False)
def section_charts(
    _viewer: User, _shown: Counted, scope: tuple, period_id: int, counted_at: datetime, section: str, url: str
) -> list[ChartSpec]:
    """One section's charts of the figures shown (`_shown`, keyed by when they were counted), ready to
    draw; the timeline is read only for "Over time"."""
    breakdown = _shown.breakdown
    timeline = None
    if section == "time":
        chosen = next(p for p in shared_copies.strike_periods() if p.id == period_id)
        timeline = queries.dashboard_timeline(_viewer, chosen)
    return _section(breakdown, timeline, section, _shown.reasons)


def draw_charts(drawn: list[ChartSpec]) -> None:
    pending: list[ChartSpec] = []

    def flush() -> None:
        if pending:
            for column, chart in zip(st.columns(2), pending, strict=False):
                with column:
                    show(chart)
            pending.clear()

    for chart in drawn:
        if chart.name in FULL_WIDTH:
            flush()
            show(chart)
        else:
            pending.append(chart)
            if len(pending) == 2:
                flush()
    flush()


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
