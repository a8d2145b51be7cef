"""The public page's figures (pages/figures.py): the England totals of a day, and Altair charts of the daily
rows of core.report.public_figures (aggregates by region only, so the data each chart ships is public anyway)."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from core.report.public_figures import OUTCOME_COLUMNS, DayRow, Publication
from core.request.outcomes import DECLINED_EITHER, Outcome
from ui.chart_view import chart_spec, show
from ui.charts import COUNT_AXIS, NHS_BLUE, NHS_GREEN

# Each outcome column in words, from its outcome (the dashboard's words and colours); "declined" counts both kinds.
OUTCOMES = {column: DECLINED_EITHER if column == "declined" else Outcome(column).label for column in OUTCOME_COLUMNS}
# Colours keyed by the column; the legend gives each its words.
OUTCOME_SCALE = alt.Scale(domain=list(OUTCOMES), range=[Outcome(column).colour for column in OUTCOMES])
OUTCOME_WORDS = json.dumps(OUTCOMES) + "[datum.value]"  # a Vega expression: the legend's words for each column
HEIGHT = 420  # the whole chart (Streamlit fits the plot, axes and legend below it into this)
LEGEND = alt.Legend(orient="bottom", columns=2)  # below the chart: a phone's width is the chart's
DOCTORS = {"doctors_requested": "Doctors requested", "doctors_approved": "Doctors approved"}


def day_totals(publication: Publication) -> dict[str, int]:
    """England's figures at the end of the latest day published (the sum of its regions)."""
    if not publication.rows:
        return {}
    latest = publication.rows[-1].date
    rows = [row for row in publication.rows if row.date == latest]
    names = ["requests", *OUTCOMES, *DOCTORS]
    return {name: sum(getattr(row, name) for row in rows) for name in names}


def headline(totals: dict[str, int]) -> None:
    cells = st.columns(4)
    cells[0].metric("Requests", totals["requests"], border=True)
    cells[1].metric(OUTCOMES["approved"], totals["approved"], border=True, help="Approved by the BMA and not revoked.")
    cells[2].metric(
        OUTCOMES["declined"], totals["declined"], border=True, help="By the BMA, or by a tier as not eligible."
    )
    cells[3].metric(OUTCOMES["withdrawn"], totals["withdrawn"], border=True)
    cells = st.columns(4)
    cells[0].metric(
        OUTCOMES["pending"], totals["pending"], border=True, help="Open and inside their decision-needed-by time."
    )
    cells[1].metric(OUTCOMES["not_decided_in_time"], totals["not_decided_in_time"], border=True)
    cells[2].metric("Doctors requested", totals["doctors_requested"], border=True)
    cells[3].metric("Doctors approved", totals["doctors_approved"], border=True, help="In approvals still valid.")
    st.caption(
        f"Also: resolved locally {totals['resolved_locally']} · approvals revoked {totals['revoked']} · "
        f"expired {totals['expired']}."
    )


def _long(rows: list[DayRow], by: str) -> pd.DataFrame:
    """Requests per `by` (date or region) and outcome column (`outcome`, and `label`: its words)."""
    records = [
        {by: str(getattr(row, by)), "outcome": name, "label": words, "requests": getattr(row, name)}
        for row in rows
        for name, words in OUTCOMES.items()
    ]
    frame = pd.DataFrame(records, columns=[by, "outcome", "label", "requests"])
    return frame.groupby([by, "outcome", "label"], as_index=False, sort=False)["requests"].sum()


def _by_outcome(legend_columns: int) -> alt.Color:
    """Bars coloured by outcome, the legend in words below the chart."""
    return alt.Color(
        "outcome:N",
        scale=OUTCOME_SCALE,
        title="Outcome",
        legend=alt.Legend(orient="bottom", columns=legend_columns, labelExpr=OUTCOME_WORDS),
    )


def by_day(frame: pd.DataFrame) -> alt.Chart:
    """`date`, `outcome`, `requests`: England's requests at the end of each day, by outcome."""
    return (
        alt.Chart(frame, title="Requests by day and outcome (England)")
        .mark_bar()
        .encode(
            x=alt.X("date:O", title="Day (UK)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("requests:Q", title="Requests", axis=COUNT_AXIS, stack="zero"),
            color=_by_outcome(legend_columns=2),
            tooltip=["date:O", alt.Tooltip("label:N", title="Outcome"), "requests:Q"],
            description=alt.Description("said:N"),  # a bar as a screen reader says it: words, not the key
        )
        .transform_calculate(said="datum.date + ', ' + datum.label + ': ' + datum.requests")
        .properties(height=HEIGHT)
    )


def by_region(frame: pd.DataFrame) -> alt.Chart:
    """`region`, `outcome`, `requests`: each region's requests at the end of the latest day, by outcome."""
    return (
        alt.Chart(frame, title="Requests by region (latest day)")
        .mark_bar()
        .encode(
            y=alt.Y("region:N", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("requests:Q", title="Requests", axis=COUNT_AXIS, stack="zero"),
            # One column: the region names beside the bars leave a phone's legend little width.
            color=_by_outcome(legend_columns=1),
            tooltip=["region:N", alt.Tooltip("label:N", title="Outcome"), "requests:Q"],
            description=alt.Description("said:N"),
        )
        .transform_calculate(said="datum.region + ', ' + datum.label + ': ' + datum.requests")
        .properties(height=HEIGHT + 160)  # its legend is one column
    )


def doctors_by_day(frame: pd.DataFrame) -> alt.Chart:
    """`date`, `measure`, `doctors`: resident doctors requested and approved by the end of each day."""
    colours = alt.Scale(domain=list(DOCTORS.values()), range=[NHS_BLUE, NHS_GREEN])
    return (
        alt.Chart(frame, title="Doctors requested and approved")
        .mark_bar()
        .encode(
            x=alt.X("date:O", title="Day (UK)", axis=alt.Axis(labelAngle=0)),
            xOffset="measure:N",
            y=alt.Y("doctors:Q", title="Doctors", axis=COUNT_AXIS),
            color=alt.Color("measure:N", scale=colours, title=None, legend=LEGEND),
            tooltip=["date:O", "measure:N", "doctors:Q"],
        )
        .properties(height=HEIGHT)
    )


def _words(frame: pd.DataFrame, *columns: str) -> str:
    """A chart's figures in words, one "label kind: value" a row (its text alternative)."""
    label, kind, value = columns
    parts = [f"{row[label]} {row[kind]}: {row[value]}" for _, row in frame.iterrows()]
    return "; ".join(parts) or "No requests."


def charts(publication: Publication) -> None:
    """Three charts, each with its figures in words as its text alternative."""
    days = _long(publication.rows, "date")
    latest = [row for row in publication.rows if publication.rows and row.date == publication.rows[-1].date]
    regions = _long(latest, "region")
    doctors = pd.DataFrame(
        [
            {
                "date": day,
                "measure": words,
                "doctors": int(sum(getattr(r, name) for r in publication.rows if str(r.date) == day)),
            }
            for day in dict.fromkeys(str(r.date) for r in publication.rows)
            for name, words in DOCTORS.items()
        ],
        columns=["date", "measure", "doctors"],
    )
    days, regions = days[days["requests"] > 0], regions[regions["requests"] > 0]  # no empty bars
    show(chart_spec(by_day, days, _words(days, "date", "label", "requests")))
    left, right = st.columns(2)
    with left:
        show(chart_spec(by_region, regions, _words(regions, "region", "label", "requests")))
    with right:
        show(chart_spec(doctors_by_day, doctors, _words(doctors, "date", "measure", "doctors")))


def table(publication: Publication) -> pd.DataFrame:
    """Every row as published, newest day first."""
    frame = pd.DataFrame([vars(row) for row in publication.rows])
    if frame.empty:
        return frame
    frame["date"] = frame["date"].astype(str)
    return frame.iloc[::-1].reset_index(drop=True)
