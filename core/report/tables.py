"""The post-strike report as titled tables, in the order it is published: the page, the CSV and the
printable summary all show these, so they cannot disagree."""

from __future__ import annotations

from dataclasses import fields

import pandas as pd

from core.queries import OUTCOME_FIELDS
from core.report.decision_times import DecisionTime
from core.report.figures import Approvals, Report
from core.request.outcomes import Outcome

# Headline field -> its row in the summary; each outcome's row is the outcome's long label (core.request.outcomes).
HEADLINE_LABELS = {
    "requests": "Requests",
    **{OUTCOME_FIELDS[outcome]: outcome.long_label for outcome in Outcome},
    "doctors_requested": "Doctors requested",
    "doctors_approved": "Doctors approved (still valid)",
    "approvals_given": "Approvals given by the BMA (requests, including any later revoked)",
    "doctors_given": "Doctors approved by the BMA (in every approval given)",
    "mass_casualty": "Mass-casualty events",
    "bypasses": "Recalls under the failsafe bypass",
    "bypass_doctors": "Doctors recalled under the failsafe bypass",
    "bypass_reviews_due": "Failsafe bypass reviews due",
    "bypass_not_justified": "Failsafe bypasses found not justified",
}
APPROVAL_LABELS = {
    "requests": "Requests",
    "reached_bma": "Reached the BMA",
    "approvals_given": "Approvals given",
    "revoked": Outcome.REVOKED.long_label,
    "declined_by_bma": Outcome.DECLINED.long_label,
    "doctors_requested": "Doctors requested (all requests)",
    "doctors_requested_at_bma": "Doctors requested (requests that reached the BMA)",
    "doctors_given": "Doctors approved by the BMA (in every approval given)",
    "doctors_recalled": "Doctors recalled (approvals still valid)",
    "decision_median_minutes": "Submission to BMA decision, median (minutes)",
    "decision_p90_minutes": "Submission to BMA decision, 90th percentile (minutes)",
}


def tier_times_frame(report: Report) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Tier": t.tier,
                "Visits": t.visits,
                "Median (minutes)": t.median_minutes,
                "90th percentile (minutes)": t.p90_minutes,
                "Target (minutes)": t.target_minutes,
                "Breaches": t.breaches,
                "Waiting now": t.waiting_now,
            }
            for t in report.tier_times
        ]
    )


def decision_times_frame(times: list[DecisionTime]) -> pd.DataFrame:
    """Time to decision (core.report.decision_times): one row a stage."""
    return pd.DataFrame(
        [
            {
                "Stage": t.label,
                "Decisions": t.decisions,
                "Median (minutes)": t.median_minutes,
                "90th percentile (minutes)": t.p90_minutes,
            }
            for t in times
        ],
        columns=["Stage", "Decisions", "Median (minutes)", "90th percentile (minutes)"],
    )


def summary_rows(report: Report) -> list[tuple[str, object]]:
    """The headline figures as (label, value), in the order they are published."""
    rows: list[tuple[str, object]] = [
        (label, getattr(report.headline, name)) for name, label in HEADLINE_LABELS.items()
    ]
    rows.append(("Requests breaching a tier target at least once", report.breached_requests))
    rows.append(("Decided by the BMA after the decision-needed-by time", report.decided_late))
    return rows


def _rounded(value: object) -> object:
    return round(value, 1) if isinstance(value, float) else value


def tables(report: Report) -> list[tuple[str, pd.DataFrame, int]]:
    """(title, table, how many leading columns name the row) for every table of the report."""
    approvals = pd.DataFrame(
        [(APPROVAL_LABELS[f.name], _rounded(getattr(report.approvals, f.name))) for f in fields(Approvals)],
        columns=["Measure", "Value"],
        dtype=object,  # counts stay whole numbers beside the minutes
    )
    return [
        ("Summary", pd.DataFrame(summary_rows(report), columns=["Measure", "Value"]), 1),
        ("Approvals and doctors", approvals, 1),
        ("Requests by region", report.by_region, 1),
        ("Requests by category", report.by_category, 1),
        ("Requests by trust", report.by_trust, 3),
        ("Outcomes at each tier", report.tier_outcomes, 1),
        ("Time at each tier", tier_times_frame(report), 1),
        ("Time to decision", decision_times_frame(report.decision_times), 1),
        ("Declines by who declined", report.declines_by_who, 1),
        ("Reasons given for declines, returns and revocations", report.reasons, 3),
        ("Mass-casualty events", report.mass_casualty, 1),
        ("Recalls under the failsafe bypass, and their reviews", report.bypasses, 1),
    ]
