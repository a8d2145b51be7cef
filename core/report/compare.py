"""Every strike round side by side (docs/rules.md rule 10): for the chosen strike periods (by default every period
of the last 12 months), the same figures per period in the reader's scope: requests and doctors, outcomes,
declines by reason, time at each tier, not decided in time, mass-casualty events and failsafe bypasses.

Each period's counts are the dashboard's own (core.queries: the running tallies), so a period's column here
agrees with its post-strike report; times at each tier come from the audit history as in the report."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlmodel import col, select

from core import queries
from core.access_control.visibility import may_open, period_filter
from core.enums import DECLINE_ACTIONS, Reason, Tier
from core.models import StrikePeriod, User
from core.platform import spreadsheet
from core.platform.clock import format_london, utcnow
from core.platform.db import read_session
from core.platform.errors import BadArgument, NotFound, PermissionDenied
from core.platform.input_checks import whole
from core.platform.spreadsheet import defuse
from core.reference import periods
from core.report.decision_times import STAGES, decision_times, stage_label
from core.report.figures import percentile, tier_visits
from core.report.printable import PRINT_CSS, cell_text
from core.request.outcomes import Outcome
from core.request.running_counts import EVERY_REASON

LOOK_BACK = timedelta(days=365)  # a strike mandate lasts 12 months
MAX_PERIODS = 24
PERIOD = "Strike period"
# The figures of each period, in the order the table shows them: Headline field -> column. Each outcome's column
# is its long label (core.request.outcomes), so renaming an outcome renames its column here and in the charts.
HEADLINE_COLUMNS = {
    "requests": "Requests",
    "doctors_requested": "Doctors asked for",
    "approvals_given": "Approvals given (requests)",
    "doctors_given": "Doctors approved by the BMA",
    "doctors_approved": "Doctors recalled (approvals still valid)",
    **{queries.OUTCOME_FIELDS[outcome]: outcome.long_label for outcome in Outcome},
    "mass_casualty": "Mass-casualty events",
    "bypasses": "Recalls under the failsafe bypass",
    "bypass_doctors": "Doctors recalled under the failsafe bypass",
    "bypass_reviews_due": "Failsafe bypass reviews due",
    "bypass_not_justified": "Failsafe bypasses not justified",
}
DECLINE_VALUES = {a.value for a in DECLINE_ACTIONS}


def declines_column(reason: Reason) -> str:
    return f"Declines: {reason.label}"


def tier_columns(tier: Tier) -> tuple[str, str]:
    return f"{tier.label}: median minutes", f"{tier.label}: 90th percentile minutes"


def decision_columns(label: str) -> tuple[str, str]:
    """The columns of one stage of core.report.decision_times (its DecisionTime.label)."""
    return f"{label}: median minutes", f"{label}: 90th percentile minutes"


@dataclass
class Comparison:
    scope: str
    generated_at: datetime
    periods: list[StrikePeriod]
    table: pd.DataFrame  # one row per period (oldest first): PERIOD, then every measure
    reasons: pd.DataFrame  # long: PERIOD, Who ("A tier" / "BMA"), Reason, Declines
    tier_times: pd.DataFrame  # long: PERIOD, Tier, Visits, Median (minutes), 90th percentile (minutes)

    @property
    def measures(self) -> list[str]:
        return [c for c in self.table.columns if c != PERIOD]


def period_name(period: StrikePeriod) -> str:
    return f"{period.name} ({period.starts_at.astimezone(UTC):%b %Y})"


def default_period_ids(now: datetime | None = None) -> list[int]:
    """Every strike period that started in the 12 months before `now`; if that is fewer than two, the two
    latest that have started (a comparison needs two)."""
    now = now or utcnow()
    with read_session() as session:
        started = session.exec(
            select(StrikePeriod).where(periods.started_sql(now)).order_by(col(StrikePeriod.starts_at).desc())
        ).all()
    recent = [p.id for p in started if p.starts_at >= now - LOOK_BACK]
    chosen = recent if len(recent) >= 2 else [p.id for p in started[:2]]
    return chosen[:MAX_PERIODS]


def _period_ids(period_ids: object) -> list[int]:
    if not isinstance(period_ids, (list, tuple, set, frozenset)):
        raise BadArgument("list of strike periods")
    ids = list(dict.fromkeys(whole(p, "strike period") for p in period_ids))
    if len(ids) > MAX_PERIODS:
        raise BadArgument("list of strike periods")
    return ids


def compare(user: User, period_ids: object = None, now: datetime | None = None) -> Comparison:
    """The chosen strike periods side by side in the user's scope (national MDT and regional MDs only)."""
    if not may_open(user, "report"):
        raise PermissionDenied("The post-strike report is for the national MDT and regional medical directors.")
    now = now or utcnow()
    ids = default_period_ids(now) if period_ids is None else _period_ids(period_ids)
    with read_session() as session:
        periods = list(session.exec(select(StrikePeriod).where(col(StrikePeriod.id).in_(ids))).all()) if ids else []
        if len(periods) != len(ids):
            raise NotFound("strike period")
        periods.sort(key=lambda p: p.starts_at)
        visits = {p.id: tier_visits(session, period_filter(user, p.id)) for p in periods}
    to_decide = decision_times(user, [p.id for p in periods])
    rows, reason_rows, time_rows = [], [], []
    for period in periods:
        name = period_name(period)
        given = queries.reason_counts(user, period.id)
        figures = queries.headline(queries.dashboard_breakdown(user, period.id, now), given)
        row: dict[str, object] = {PERIOD: name}
        row |= {column: getattr(figures, field) for field, column in HEADLINE_COLUMNS.items()}
        declines: dict[tuple[str, str], int] = {}
        for action, by_tier, reason, times in zip(
            *(given[c].to_pylist() for c in ("action", "by_tier", "reason", "times")), strict=True
        ):
            if action in DECLINE_VALUES and reason != EVERY_REASON:
                who = "BMA" if by_tier == Tier.BMA.value else "A tier"
                declines[(who, reason)] = declines.get((who, reason), 0) + int(times)
        for reason in Reason:
            row[declines_column(reason)] = sum(n for (_, r), n in declines.items() if r == reason.value)
            for who in ("A tier", "BMA"):
                if declines.get((who, reason.value)):
                    reason_rows.append((name, who, reason.label, declines[(who, reason.value)]))
        for tier in Tier:
            minutes = [m for _, t, m in visits[period.id] if t == tier.value]
            median, p90 = percentile(minutes, 0.5), percentile(minutes, 0.9)
            row[tier_columns(tier)[0]], row[tier_columns(tier)[1]] = median, p90
            time_rows.append((name, tier.label, len(minutes), median, p90))
        for stage in (t for t in to_decide if t.period_id == period.id):
            row[decision_columns(stage.label)[0]], row[decision_columns(stage.label)[1]] = (
                stage.median_minutes,
                stage.p90_minutes,
            )
        rows.append(row)
    columns = [PERIOD, *HEADLINE_COLUMNS.values(), *(declines_column(r) for r in Reason)]
    columns += [c for tier in Tier for c in tier_columns(tier)]
    columns += [c for stage in STAGES for c in decision_columns(stage_label(stage))]
    return Comparison(
        scope=queries.figures_scope_label(user),
        generated_at=now,
        periods=periods,
        table=pd.DataFrame(rows, columns=columns),
        reasons=pd.DataFrame(reason_rows, columns=[PERIOD, "Who", "Reason", "Declines"]),
        tier_times=pd.DataFrame(
            time_rows, columns=[PERIOD, "Tier", "Visits", "Median (minutes)", "90th percentile (minutes)"]
        ),
    )


def _value(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return round(value, 1)
    return defuse(value) if isinstance(value, str) else value


def to_csv(comparison: Comparison) -> bytes:
    """The comparison as one long CSV (period, scope, measure, value), UTF-8 with a byte-order mark."""
    out = io.StringIO()
    writer = spreadsheet.writer(out)
    writer.writerow(["period", "scope", "measure", "value"])
    for record in comparison.table.to_dict("records"):
        for measure in comparison.measures:
            writer.writerow([_value(record[PERIOD]), _value(comparison.scope), measure, _value(record[measure])])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(comparison: Comparison, extension: str) -> str:
    scope = "england" if comparison.scope == queries.ENGLAND else comparison.scope.lower().replace(" ", "-")
    return f"strike-periods-compared-{comparison.generated_at.astimezone(UTC):%Y-%m-%d}-{scope}.{extension}"


def to_html(comparison: Comparison, charts: list[tuple[str, str | None]]) -> str:
    """A self-contained, printable summary: measures down the side, one column per period, and the charts
    (title, SVG text) as images, so it prints and opens offline."""
    import base64

    names = list(comparison.table[PERIOD])
    head = "<th scope='col'>Measure</th>" + "".join(f"<th scope='col'>{html.escape(n)}</th>" for n in names)
    body = []
    for measure in comparison.measures:
        cells = "".join(
            f"<td class=n>{html.escape(cell_text(v, measure))}</td>" for v in comparison.table[measure].tolist()
        )
        body.append(f"<tr><th scope='row'>{html.escape(measure)}</th>{cells}</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>" if names else ""
    figures = "".join(
        f"<figure><figcaption>{html.escape(title)}</figcaption><img alt='{html.escape(title, quote=True)} (chart; "
        f"the same figures are in the table)' src='data:image/svg+xml;base64,"
        f"{base64.b64encode(svg.encode('utf-8')).decode('ascii')}'></figure>"
        for title, svg in charts
        if svg is not None
    )
    periods = "; ".join(
        f"{p.name}: {format_london(p.starts_at)} to {format_london(p.ends_at)}" for p in comparison.periods
    )
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<title>Strike periods compared</title><style>{PRINT_CSS}</style></head><body>"
        "<h1>Strike periods compared</h1>"
        f"<p class='meta'>{html.escape(comparison.scope)} · generated {html.escape(format_london(comparison.generated_at))}"
        f"</p><p>{html.escape(periods) or 'No strike periods chosen.'}</p>"
        "<p>Declines by reason count each reason given: a decline may give several. Times at each tier are "
        "measured from the audit history over finished visits of a request to a tier.</p>"
        f"<h2>Figures</h2>{table or '<p>No strike periods chosen.</p>'}"
        f"{'<h2>Charts</h2>' + figures if figures else ''}</body></html>"
    )
