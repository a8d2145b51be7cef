"""The post-strike report's charts, beside the dashboard's (ui/charts.py): each as (title, chart, the same
figures in words), for the page and for the printable summary, which embeds them as SVG drawn on the server
so that it prints and opens offline."""

from __future__ import annotations

import altair as alt
import pandas as pd

from core import queries, report
from core.enums import DECLINE_ACTIONS
from core.lifecycle import REASONED_ACTION_LABELS
from ui import charts
from ui.text import duration

DECLINE_WORDS = [REASONED_ACTION_LABELS[a] for a in DECLINE_ACTIONS]
# The comparison's charted measures, named by their Headline fields: a renamed column is renamed here too, and a
# field the comparison does not have fails loudly (KeyError) instead of dropping a series.
COMPARED_COUNT_FIELDS = (
    "requests",
    "approvals_given",
    "declined_by_bma",
    "not_eligible",
    "not_decided_in_time",
    "mass_casualty",
    "bypasses",
)
COMPARED_DOCTOR_FIELDS = ("doctors_requested", "doctors_given", "doctors_approved", "bypass_doctors")
COMPARED_COUNTS = tuple(report.compare.HEADLINE_COLUMNS[field] for field in COMPARED_COUNT_FIELDS)
COMPARED_DOCTORS = tuple(report.compare.HEADLINE_COLUMNS[field] for field in COMPARED_DOCTOR_FIELDS)


def _words(frame: pd.DataFrame, label: str = "label", value: str = "requests") -> str:
    return "; ".join(f"{row[label]}: {row[value]}" for row in frame.to_dict("records")) or "none"


def report_charts(built: report.Report) -> list[tuple[str, alt.TopLevelMixin, str]]:
    """(title, chart, the same figures in words) for the page and the printed summary alike."""
    region_names = {r.code: r.name for r in queries.regions()}
    regions = charts.shape_totals(built.breakdown, "region_code", region_names).to_pandas()
    categories = charts.shape_totals(built.breakdown, "category", charts.SHORT_CATEGORY).to_pandas()
    outcome_frame = charts.shape_outcomes(built.breakdown).to_pandas()
    doctors = charts.shape_doctors(built.breakdown).to_pandas()
    times = pd.DataFrame(
        {
            "tier": [t.tier for t in built.tier_times],
            "median": [t.median_minutes for t in built.tier_times],
            "p90": [t.p90_minutes for t in built.tier_times],
            "target": [t.target_minutes for t in built.tier_times],
        }
    )
    time_words = "; ".join(
        f"{t.tier}: median {duration(t.median_minutes)}, 90th percentile {duration(t.p90_minutes)}, "
        f"target {duration(t.target_minutes)}"
        for t in built.tier_times
    )
    found = [
        ("Outcomes", charts.outcomes(outcome_frame), _words(outcome_frame, "label")),
        ("Requests by region", charts.requests_by(regions, "Requests by region"), _words(regions)),
        ("Requests by category", charts.requests_by(categories, "Requests by category"), _words(categories)),
        ("Resident doctors", charts.doctors(doctors), _words(doctors, "measure", "doctors")),
        ("Time at each tier", charts.time_at_tier(times), time_words),
    ]
    declines = built.reasons[built.reasons["Action"].isin(DECLINE_WORDS)] if not built.reasons.empty else None
    if declines is not None and not declines.empty:
        by_reason = declines.groupby("Reason", as_index=False)["Times given"].sum()
        by_reason = by_reason.rename(columns={"Reason": "label", "Times given": "requests"})
        found.append(
            (
                "Declines by reason",
                charts.requests_by(by_reason, "Declines by reason (tiers and the BMA)"),
                _words(by_reason),
            )
        )
    if not built.timeline.empty:
        timeline = charts.shape_timeline(built.timeline)
        found += [
            ("Over the strike period", charts.over_time(timeline), "Submissions and BMA decisions per hour."),
            ("Doctors approved over time", charts.recalled_over_time(timeline), "Doctors approved per hour."),
        ]
    return found


def printable(built: report.Report) -> str:
    return report.to_html(built, [(title, charts.to_svg(chart)) for title, chart, _ in report_charts(built)])


def compare_charts(compared: report.compare.Comparison) -> list[tuple[str, alt.TopLevelMixin, str]]:
    """(title, chart, the same figures in words) for the comparison, on the page and in its printed summary."""
    periods = list(compared.table[report.compare.PERIOD])
    counts = charts.shape_compared(compared.table, COMPARED_COUNTS)
    doctors = charts.shape_compared(compared.table, COMPARED_DOCTORS)
    reasons = compared.reasons.groupby([report.compare.PERIOD, "Reason"], as_index=False)["Declines"].sum()
    reasons = reasons.rename(columns={report.compare.PERIOD: "period", "Reason": "reason", "Declines": "value"})
    times = compared.tier_times.rename(
        columns={report.compare.PERIOD: "period", "Tier": "tier", "Median (minutes)": "value"}
    ).dropna(subset=["value"])

    def words(frame: pd.DataFrame, label: str) -> str:
        return "; ".join(f"{r['period']}, {r[label]}: {r['value']:,.0f}" for r in frame.to_dict("records")) or "none"

    found = [
        ("Requests and outcomes", charts.compare_counts(counts, periods), words(counts, "measure")),
        ("Resident doctors", charts.compare_doctors(doctors, periods), words(doctors, "measure")),
    ]
    if not reasons.empty:
        found.append(("Declines by reason", charts.compare_reasons(reasons, periods), words(reasons, "reason")))
    if not times.empty:
        found.append(("Median time at each tier", charts.compare_times(times, periods), words(times, "tier")))
    return found


def compare_printable(compared: report.compare.Comparison) -> str:
    drawn = [(title, charts.to_svg(chart)) for title, chart, _ in compare_charts(compared)]
    return report.compare.to_html(compared, drawn)
