"""Post-strike report: what happened in one strike period, in the reader's scope (England for the
national MDT, their own region for a regional medical director; core.report decides). The charts are
the dashboard's own Altair charts (ui/charts.py); the printable summary embeds them as SVG drawn on
the server, so it prints and opens offline."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core import queries, report
from core.clock import format_london
from core.db import DatabaseBusy
from core.enums import DECLINE_ACTIONS, REASONED_ACTION_LABELS
from core.errors import NotFound
from ui import charts
from ui.filters import period_picker
from ui.session import guarded_download, require_page
from ui.text import duration

user = require_page("report")
DECLINE_WORDS = [REASONED_ACTION_LABELS[a] for a in DECLINE_ACTIONS]


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
        ("Outcomes", charts.outcomes(outcome_frame), _words(outcome_frame, "outcome")),
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
    counts = charts.shape_compared(compared.table, charts.COMPARED_COUNTS)
    doctors = charts.shape_compared(compared.table, charts.COMPARED_DOCTORS)
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


def compare_view() -> None:
    """Every strike round side by side: by default every period of the last 12 months."""
    periods = queries.strike_periods()
    by_id = {p.id: p for p in periods}
    chosen = st.multiselect(
        "Strike periods to compare",
        options=list(by_id),
        default=[pid for pid in report.compare.default_period_ids() if pid in by_id],
        format_func=lambda pid: queries.period_label(by_id[pid]),
        key="report_compare_periods",
        help="At first, every strike period of the last 12 months (a strike mandate lasts 12 months).",
    )
    if not chosen:
        st.info("Choose the strike periods to compare.")
        return
    try:
        compared = report.compare.compare(user, chosen)
    except NotFound:
        st.error("One of those strike periods was not found. Choose again.")
        return
    except DatabaseBusy as exc:
        st.error(str(exc))
        return
    st.markdown(f"**{compared.scope}** · {len(compared.periods)} strike periods, oldest first.")
    left, right = st.columns(2)
    left.download_button(
        "Download the comparison (CSV)",
        data=guarded_download(lambda actor: report.compare.to_csv(report.compare.compare(actor, chosen))),
        file_name=report.compare.filename(compared, "csv"),
        mime="text/csv",
        key="compare_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Download a printable comparison (HTML)",
        data=guarded_download(lambda actor: compare_printable(report.compare.compare(actor, chosen))),
        file_name=report.compare.filename(compared, "html"),
        mime="text/html",
        key="compare_html",
        icon=":material/print:",
        on_click="ignore",
    )
    st.header("Figures, period by period")
    st.caption("Declines by reason count each reason given: a decline may give several.")
    shown = compared.table.set_index(report.compare.PERIOD).T.reset_index(names="Measure")
    st.dataframe(shown, hide_index=True, width="stretch", key="compare_table")
    st.header("Charts")
    for start, pair in enumerate(_pairs(compare_charts(compared))):
        for column, (title, chart, chart_words) in zip(st.columns(2), pair, strict=False):
            with column:
                st.altair_chart(chart, width="stretch", key=f"compare_chart_{start}_{title}")
                st.caption(f"{title}: {chart_words}")


def _pairs(items: list) -> list[list]:
    return [items[i : i + 2] for i in range(0, len(items), 2)]


st.title("Post-strike report")
view = st.segmented_control(
    "Show",
    options=["period", "compare"],
    format_func={"period": "One strike period", "compare": "Compare strike periods"}.get,
    default="period",
    required=True,
    key="report_view",
)
if view == "compare":
    compare_view()
    st.stop()
period_id = period_picker("report_period").id

try:
    built = report.build(user, period_id)
except NotFound:
    st.error("That strike period was not found. Choose another.")
    st.stop()
except DatabaseBusy as exc:
    st.error(str(exc))
    st.stop()

status = (
    "Final: the strike period has ended." if built.is_final else "Provisional: the strike period has not ended yet."
)
st.markdown(f"**{built.scope}** · {status} Drawn up {format_london(built.generated_at)}.")

h = built.headline
a = built.approvals
figures = [
    ("Requests", h.requests),
    ("Approved (still valid)", h.approved),
    ("Declined", h.declined),
    ("Withdrawn", h.withdrawn),
    ("Not decided in time", h.not_decided_in_time),
    ("Doctors requested", a.doctors_requested),
    ("Doctors recalled", a.doctors_recalled),
    ("Breached a tier target", built.breached_requests),
    ("Mass-casualty events", h.mass_casualty),
    ("Approvals given", h.approvals_given),
    ("Doctors approved by the BMA", h.doctors_given),
    ("Recalls under the failsafe bypass", h.bypasses),
    ("Bypass reviews due", h.bypass_reviews_due),
    ("Bypasses not justified", h.bypass_not_justified),
]
for start in range(0, len(figures), 5):
    columns = st.columns(5)
    for column, (label, value) in zip(columns, figures[start : start + 5], strict=False):
        column.metric(label, f"{value:,}")

left, right = st.columns(2)
left.download_button(
    "Download the figures (CSV)",
    data=guarded_download(lambda actor: report.to_csv(report.build(actor, period_id))),
    file_name=report.filename(built, "csv"),
    mime="text/csv",
    key="report_csv",
    icon=":material/download:",
    on_click="ignore",
)
right.download_button(
    "Download a printable summary (HTML)",
    data=guarded_download(lambda actor: printable(report.build(actor, period_id))),
    file_name=report.filename(built, "html"),
    mime="text/html",
    key="report_html",
    icon=":material/print:",
    on_click="ignore",
)

st.header("Charts")
chart_list = report_charts(built)
for start in range(0, len(chart_list), 2):
    for column, (title, chart, words) in zip(st.columns(2), chart_list[start : start + 2], strict=False):
        with column:
            st.altair_chart(chart, width="stretch")
            st.caption(f"{title}: {words}")

st.header("Figures")
for title, frame, _ in report.tables(built):
    st.subheader(title)
    if frame.empty:
        st.caption("None in this period.")
    else:
        st.dataframe(frame, hide_index=True, width="stretch")
