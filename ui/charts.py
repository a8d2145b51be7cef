"""Altair charts of small aggregate tables (never of request rows): the live dashboard and the
post-strike report draw the same charts. Each builder takes a DataFrame with the columns named in
its docstring and uses it only as the chart's data (any reshaping is a Vega-Lite transform), so the
dashboard can build a chart's spec once and give it new figures on every refresh (ui/chart_view.py);
`shape_*` helpers turn core.queries.dashboard_breakdown into those tables as Arrow (what the live
dashboard ships; `.to_pandas()` to give one to a builder) and the timeline into a DataFrame.
Colours are the NHS palette; every figure is also labelled in words."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pyarrow as pa

from core.enums import OPEN_STATUSES, TIER_ORDER, Action, Category, Status, Tier
from core.queries import TIMELINE_EVENTS
from core.request.outcomes import Outcome

# The timeline's approvals: given in that hour, whether or not revoked since ("Approved" means still valid).
APPROVALS_GIVEN = TIMELINE_EVENTS[Action.APPROVE.value]

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_GREEN = "#007F3B"
NHS_RED = "#D5281B"
NHS_WARM_YELLOW = "#FFB81C"
NHS_GREY = "#768692"
NHS_DARK_GREY = "#425563"
COUNT_AXIS = alt.Axis(tickMinStep=1, format="d")  # counts of requests and doctors: whole numbers only
# Each outcome's colour, keyed by its value (the member carries it: core.request.outcomes).
OUTCOME_SCALE = alt.Scale(domain=[o.value for o in Outcome], range=[o.colour for o in Outcome])
OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
TIER_LABELS = [t.label for t in TIER_ORDER]
SHORT_CATEGORY = {
    Category.MAJOR_INCIDENT.value: "Major incident",
    Category.URGENT_EMERGENCY.value: "Urgent and emergency care",
    Category.P1_P2_TIME_CRITICAL.value: "P1/P2 time-critical",
    Category.CANCER.value: "Cancer care",
    Category.TIME_CRITICAL_INTERVENTION.value: "Time-critical intervention",
    Category.ROUTINE_ELECTIVE.value: "Routine elective",
}


# ---------------------------------------------------------------- shaping the breakdown


# The breakdown has at most a few hundred rows: plain loops over its columns (as lists) beat pandas'
# per-call overhead, and beat iterating its rows (pandas builds an object per row).


def _sums(breakdown: pa.Table, keys: tuple[str, ...], *, open_only: bool = False) -> dict[tuple, int]:
    statuses = breakdown["status"].to_pylist()
    columns = [breakdown[k].to_pylist() for k in keys]
    totals: dict[tuple, int] = {}
    for i, n in enumerate(breakdown["requests"].to_pylist()):
        if open_only and statuses[i] not in OPEN_VALUES:
            continue
        key = tuple(column[i] for column in columns)
        totals[key] = totals.get(key, 0) + n
    return totals


def _table(**columns: tuple[pa.DataType, list]) -> pa.Table:
    """A chart's figures as Arrow, the form Streamlit ships chart data in (typed, so an empty table
    still has its columns' types)."""
    return pa.table(
        [pa.array(values, type=kind) for kind, values in columns.values()],
        schema=pa.schema([(name, kind) for name, (kind, _) in columns.items()]),
    )


def shape_open_by(breakdown: pa.Table, column: str, names: dict[str, str]) -> pa.Table:
    """Open requests per region or category: columns `label`, `requests`."""
    totals = sorted(_sums(breakdown, (column,), open_only=True).items())
    return _table(
        label=(pa.string(), [names.get(value, value) for (value,), _ in totals]),
        requests=(pa.int64(), [n for _, n in totals]),
    )


def shape_totals(breakdown: pa.Table, column: str, names: dict[str, str]) -> pa.Table:
    """Every request (open or closed) per region or category, most first: columns `label`, `requests`."""
    totals = sorted(
        ((names.get(value, value), n) for (value,), n in _sums(breakdown, (column,)).items()),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return _table(label=(pa.string(), [label for label, _ in totals]), requests=(pa.int64(), [n for _, n in totals]))


def shape_region_category(breakdown: pa.Table, region_names: dict[str, str]) -> pa.Table:
    """Open requests per region and category: columns `region`, `category`, `requests`."""
    totals = sorted(_sums(breakdown, ("region_code", "category"), open_only=True).items())
    return _table(
        region=(pa.string(), [region_names.get(region, region) for (region, _), _ in totals]),
        category=(pa.string(), [SHORT_CATEGORY.get(category, category) for (_, category), _ in totals]),
        requests=(pa.int64(), [n for _, n in totals]),
    )


def shape_by_tier(breakdown: pa.Table) -> pa.Table:
    """Requests in review per tier, and how many of them are breached: `tier`, `requests`, `breached`."""
    waiting = dict.fromkeys(TIER_ORDER, 0)
    breached = dict.fromkeys(TIER_ORDER, 0)
    tiers = set(Tier)
    for status, tier, n, late in zip(
        *(breakdown[c].to_pylist() for c in ("status", "current_tier", "requests", "breached")), strict=True
    ):
        if status == Status.IN_REVIEW.value and tier in tiers:
            waiting[Tier(tier)] += n
            breached[Tier(tier)] += n * late
    return _table(
        tier=(pa.string(), [tier.label for tier in TIER_ORDER]),
        requests=(pa.int64(), [waiting[tier] for tier in TIER_ORDER]),
        breached=(pa.int64(), [breached[tier] for tier in TIER_ORDER]),
    )


def shape_outcomes(breakdown: pa.Table) -> pa.Table:
    """Requests per outcome, in the outcomes' order: `outcome` (the value), `label` (its words), `requests`."""
    totals = {Outcome(value): n for (value,), n in _sums(breakdown, ("outcome",)).items()}
    shown = [outcome for outcome in Outcome if outcome in totals]
    return _table(
        outcome=(pa.string(), [o.value for o in shown]),
        label=(pa.string(), [o.label for o in shown]),
        requests=(pa.int64(), [totals[o] for o in shown]),
    )


def shape_doctors(breakdown: pa.Table) -> pa.Table:
    """Resident doctors asked for and approved: `measure`, `doctors`."""
    asked, approved = (sum(breakdown[c].to_pylist()) for c in ("doctors_requested", "doctors_approved"))
    return _table(measure=(pa.string(), ["Asked for", "Approved by the BMA"]), doctors=(pa.int64(), [asked, approved]))


def shape_timeline(timeline: pd.DataFrame) -> pd.DataFrame:
    """core.queries.dashboard_timeline with `at` as UK local time (ISO text, read as local by the
    browser): `at`, `event`, `requests`, `doctors`."""
    local = timeline["at"].dt.tz_convert("Europe/London").dt.strftime("%Y-%m-%dT%H:%M:%S")
    return timeline.assign(at=local)


# ---------------------------------------------------------------- charts


def _bars(frame: pd.DataFrame, label: str, value: str, title: str, colour: str = NHS_BLUE) -> alt.Chart:
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{value}:Q", title="Requests" if value == "requests" else value.capitalize(), axis=COUNT_AXIS),
        tooltip=[alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{value}:Q")],
    )
    return base.mark_bar(color=colour) + base.mark_text(align="left", dx=3, color="#212B32").encode(text=f"{value}:Q")


def open_by_region(frame: pd.DataFrame) -> alt.Chart:
    """`label` (region), `requests`."""
    return _bars(frame, "label", "requests", "Open requests by region")


def open_by_category(frame: pd.DataFrame) -> alt.Chart:
    """`label` (category), `requests`."""
    return _bars(frame, "label", "requests", "Open requests by category", NHS_DARK_BLUE)


def region_category_heatmap(frame: pd.DataFrame) -> alt.Chart:
    """`region`, `category`, `requests`."""
    base = alt.Chart(frame, title="Open requests by region and category").encode(
        x=alt.X("category:N", title=None, axis=alt.Axis(labelAngle=-30, labelLimit=200)),
        y=alt.Y("region:N", title=None),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color("requests:Q", scale=alt.Scale(range=["#AEB7BD", NHS_DARK_BLUE]), title="Requests"),
        tooltip=["region:N", "category:N", "requests:Q"],
    )
    # White text on the darker cells: those above a third of the largest count.
    labels = (
        base.transform_joinaggregate(most="max(requests)")
        .mark_text(fontWeight="bold")
        .encode(
            text="requests:Q",
            color=alt.condition("datum.requests > datum.most / 3", alt.value("white"), alt.value("#212B32")),
        )
    )
    return (cells + labels).properties(height=alt.Step(32))


def by_tier(frame: pd.DataFrame) -> alt.Chart:
    """`tier`, `requests`, `breached`: waiting at each tier, with the breached part in words and colour."""
    return (
        alt.Chart(frame, title="Waiting at each tier (and breached)")
        .transform_fold(["requests", "breached"], as_=["measure", "count"])
        .transform_calculate(measure="datum.measure === 'requests' ? 'Waiting' : 'Of which BREACHED'")
        .mark_bar()
        .encode(
            y=alt.Y("tier:N", sort=TIER_LABELS, title=None),
            x=alt.X("count:Q", title="Requests", axis=COUNT_AXIS),
            yOffset=alt.YOffset("measure:N"),
            color=alt.Color(
                "measure:N",
                scale=alt.Scale(domain=["Waiting", "Of which BREACHED"], range=[NHS_BLUE, NHS_RED]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["tier:N", "measure:N", "count:Q"],
        )
    )


def breaches(frame: pd.DataFrame) -> alt.Chart:
    """`tier`, `breached`: requests past their tier's response target now."""
    return _bars(frame, "tier", "breached", "Past the response target now (BREACHED)", NHS_RED)


def over_time(frame: pd.DataFrame) -> alt.Chart:
    """`at` (UK time, shape_timeline), `event`, `requests`: submissions and BMA decisions over the strike period."""
    return (
        alt.Chart(frame, title="Submissions and BMA decisions over the strike period (UK time)")
        .mark_line(point=True)
        .encode(
            x=alt.X("at:T", title=None),
            y=alt.Y("requests:Q", title="Requests", axis=COUNT_AXIS),
            color=alt.Color(
                "event:N",
                scale=alt.Scale(domain=list(TIMELINE_EVENTS.values()), range=[NHS_BLUE, NHS_GREEN, NHS_RED]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            strokeDash=alt.StrokeDash("event:N", legend=None),
            tooltip=[alt.Tooltip("at:T", title="Hour", format="%a %d %b %H:%M"), "event:N", "requests:Q"],
        )
    )


def outcomes(frame: pd.DataFrame) -> alt.Chart:
    """`outcome` (the value), `label` (its words), `requests` (shape_outcomes): approvals against declines and
    every other outcome, each in its outcome's colour."""
    base = alt.Chart(frame, title="Outcomes").encode(
        y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=280)),
        x=alt.X("requests:Q", title="Requests", axis=COUNT_AXIS),
        tooltip=[alt.Tooltip("label:N", title="Outcome"), "requests:Q"],
    )
    colours = alt.Color("outcome:N", scale=OUTCOME_SCALE, legend=None)
    said = alt.Description("said:N")  # a bar as a screen reader says it: words, not the key
    bars = base.mark_bar().encode(color=colours, description=said)
    bars = bars.transform_calculate(said="datum.label + ': ' + datum.requests")
    return bars + base.mark_text(align="left", dx=3).encode(text="requests:Q")


def doctors(frame: pd.DataFrame) -> alt.Chart:
    """`measure`, `doctors`: resident doctors asked for against approved."""
    return _bars(frame, "measure", "doctors", "Resident doctors: asked for and approved", NHS_GREEN)


def recalled_over_time(frame: pd.DataFrame) -> alt.Chart:
    """`at` (UK time, shape_timeline), `event`, `doctors`: doctors approved per hour (approvals only)."""
    return (
        alt.Chart(frame, title="Resident doctors approved for recall over time (UK time)")
        .transform_filter(alt.datum.event == APPROVALS_GIVEN)
        .mark_bar(color=NHS_GREEN)
        .encode(
            x=alt.X("at:T", title=None),
            y=alt.Y("doctors:Q", title="Doctors approved", axis=COUNT_AXIS),
            tooltip=[alt.Tooltip("at:T", title="Hour", format="%a %d %b %H:%M"), "doctors:Q"],
        )
    )


# ---------------------------------------------------------------- the post-strike report, and print


def requests_by(frame: pd.DataFrame, title: str) -> alt.Chart:
    """`label`, `requests`: every request of a strike period by region or category (the report's totals)."""
    return _bars(frame, "label", "requests", title)


def time_at_tier(frame: pd.DataFrame) -> alt.LayerChart:
    """`tier`, `median`, `p90`, `target` (minutes): time at each tier against its response target."""
    bars = (
        alt.Chart()
        .transform_fold(["median", "p90"], as_=["measure", "minutes"])
        .transform_filter("isValid(datum.minutes)")
        .transform_calculate(measure="datum.measure === 'median' ? 'Median' : '90th percentile'")
        .mark_bar()
        .encode(
            y=alt.Y("tier:N", sort=TIER_LABELS, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("minutes:Q", title="Minutes at the tier"),
            yOffset=alt.YOffset("measure:N"),
            color=alt.Color(
                "measure:N",
                scale=alt.Scale(domain=["Median", "90th percentile"], range=[NHS_BLUE, NHS_DARK_BLUE]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["tier:N", "measure:N", alt.Tooltip("minutes:Q", format=".0f")],
        )
    )
    targets = (
        alt.Chart()
        .mark_tick(color=NHS_RED, thickness=3, size=28)
        .encode(y=alt.Y("tier:N", sort=TIER_LABELS), x="target:Q", tooltip=["tier:N", "target:Q"])
    )
    return alt.layer(
        bars, targets, data=frame, title="Time at each tier: median and 90th percentile (red mark: target)"
    )


def to_svg(chart: alt.TopLevelMixin) -> str | None:
    """The chart drawn as SVG for print, offline (vl-convert-python); None if it cannot be drawn here."""
    try:
        import vl_convert  # optional: without it the printed report keeps its tables and says so

        return vl_convert.vegalite_to_svg(chart.to_dict())
    except Exception:  # noqa: BLE001  (a chart that cannot be drawn must not stop the report)
        return None


# ---------------------------------------------------------------- strike periods compared (core.report.compare)

PERIOD_COLOURS = [NHS_DARK_BLUE, NHS_BLUE, NHS_LIGHT_BLUE, NHS_GREEN, NHS_WARM_YELLOW, NHS_GREY, "#AE2573", NHS_RED]


def shape_compared(table: pd.DataFrame, measures: tuple[str, ...], period: str = "Strike period") -> pd.DataFrame:
    """`period`, `measure`, `value`: the chosen measures of each period, long (one row per figure). A measure
    the table does not have is an error, not a series silently left out."""
    missing = [m for m in measures if m not in table.columns]
    if missing:
        raise KeyError(f"not in the comparison: {missing}")
    rows = [(r[period], m, int(r[m] or 0)) for r in table.to_dict("records") for m in measures]
    return pd.DataFrame(rows, columns=["period", "measure", "value"])


def _by_period(frame: pd.DataFrame, category: str, value: str, title: str, periods: list[str]) -> alt.Chart:
    """Bars of `value` for each `category`, one bar per period side by side, periods oldest first."""
    colours = (PERIOD_COLOURS * (len(periods) // len(PERIOD_COLOURS) + 1))[: len(periods)]
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=None, title=None, axis=alt.Axis(labelLimit=300)),
            x=alt.X(f"{value}:Q", title=None, axis=COUNT_AXIS),
            yOffset=alt.YOffset("period:N", sort=periods),
            color=alt.Color(
                "period:N",
                sort=periods,
                scale=alt.Scale(domain=periods, range=colours),
                legend=alt.Legend(title=None, orient="bottom", columns=2, labelLimit=400),
            ),
            tooltip=["period:N", f"{category}:N", alt.Tooltip(f"{value}:Q", format=",.0f")],
        )
    )


def compare_counts(frame: pd.DataFrame, periods: list[str]) -> alt.Chart:
    """`period`, `measure`, `value` (shape_compared of ui.report_charts.COMPARED_COUNTS): requests and outcomes."""
    return _by_period(frame, "measure", "value", "Requests and outcomes, period by period", periods)


def compare_doctors(frame: pd.DataFrame, periods: list[str]) -> alt.Chart:
    """`period`, `measure`, `value` (shape_compared of ui.report_charts.COMPARED_DOCTORS): doctors asked for,
    approved, recalled."""
    return _by_period(frame, "measure", "value", "Resident doctors, period by period", periods)


def compare_reasons(frame: pd.DataFrame, periods: list[str]) -> alt.Chart:
    """`period`, `reason`, `value`: declines (by a tier or the BMA) giving each reason, per period."""
    return _by_period(frame, "reason", "value", "Declines by reason, period by period", periods)


def compare_times(frame: pd.DataFrame, periods: list[str]) -> alt.Chart:
    """`period`, `tier`, `value` (median minutes at the tier), per period."""
    chart = _by_period(frame, "tier", "value", "Median time at each tier (minutes), period by period", periods)
    return chart.encode(
        y=alt.Y("tier:N", sort=TIER_LABELS, title=None, axis=alt.Axis(labelLimit=300)),
        x=alt.X("value:Q", title="Minutes"),
    )


def declines_by_reason(frame: pd.DataFrame) -> alt.Chart:
    """`label`, `requests`: declines (by a tier or the BMA) giving each reason (a decline may give several)."""
    return _bars(frame, "label", "requests", "Declines by reason (a decline may give several)", NHS_RED)


def declines_by_who(frame: pd.DataFrame) -> alt.Chart:
    """`label`, `requests`: declines at each tier (as not meeting the criteria) and by the BMA."""
    return _bars(frame, "label", "requests", "Declines by who declined", NHS_DARK_BLUE)
