"""The dashboard's figures computed the naive way, as a baseline: every request loaded into pandas,
then filtered and grouped in Python. core.queries does the same in one SQL GROUP BY."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pyarrow as pa
from sqlmodel import select

from core.enums import OPEN_STATUSES, Status
from core.models import DerogationRequest
from core.platform.db import get_engine, read_session
from core.queries import BREAKDOWN_COLUMNS, Headline, headline
from core.request.timing import tier_targets

OPEN = [s.value for s in OPEN_STATUSES]
UNDECIDED = [*OPEN, Status.EXPIRED.value]


def naive_breakdown(period_id: int, now: datetime) -> pd.DataFrame:
    """The national breakdown (every submitted request of the period) from a full table load."""
    with read_session() as session:
        targets = tier_targets(session)
    with get_engine().connect() as conn:
        frame = pd.read_sql(select(DerogationRequest), conn)  # every column of every request
    frame = frame[(frame["strike_period_id"] == period_id) & (frame["status"] != Status.DRAFT.value)].copy()
    limit = frame["current_tier"].map({t.value: now - timedelta(minutes=m) for t, m in targets.items()})
    entered = pd.to_datetime(frame["tier_entered_at"], utc=True)
    frame["breached"] = (
        (frame["status"] == Status.IN_REVIEW.value) & (entered < pd.to_datetime(limit, utc=True))
    ).astype(int)
    late = frame["status"].isin(UNDECIDED) & (pd.to_datetime(frame["decision_needed_by"], utc=True) < now)
    frame["outcome"] = frame["status"].where(~frame["status"].isin(OPEN), "pending").where(~late, "not_decided_in_time")
    frame["mass_casualty"] = frame["mass_casualty"].astype(int)
    frame["doctors_approved"] = frame["approved_doctors"].fillna(0).where(frame["status"] == Status.APPROVED.value, 0)
    frame["requests"] = 1
    keys = ["region_code", "category", "status", "current_tier", "outcome", "breached", "mass_casualty"]
    grouped = (
        frame.groupby(keys, dropna=False)[["requests", "doctors_requested", "doctors_approved"]].sum().reset_index()
    )
    for name in ("requests", "doctors_requested", "doctors_approved"):
        grouped[name] = grouped[name].fillna(0).astype(int)
    return grouped[BREAKDOWN_COLUMNS]


def naive_headline(period_id: int, now: datetime) -> Headline:
    return headline(pa.Table.from_pandas(naive_breakdown(period_id, now), preserve_index=False))
