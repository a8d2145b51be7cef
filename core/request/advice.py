"""Advice learned from past declines (docs/figures.md): before a trust submits, which parts of its request match
what the BMA's declines of the last strike periods cited.

What is data and what is code: how often each reason was cited, and which reasons were cited at all, are read
from the reasons recorded with the BMA's declines (core.models.RequestReason) in the strike periods that have
ended; which of a request's own facts bear on a reason is the mapping below (FACTS_FOR). It advises and never
blocks: nothing here is asked by a command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from core.enums import Action, Category, Mitigation, Reason
from core.models import DerogationRequest, RequestReason, StrikePeriod
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.reference import periods
from core.request.form import RequestForm

LOOK_BACK_PERIODS = 2  # "the last two strike periods": recent enough to be the BMA's current practice
NUMBER_WORDS = {1: "", 2: "two ", 3: "three ", 4: "four "}


def _tried(form: RequestForm, mitigation: Mitigation) -> bool:
    return bool(form.mitigations.get(mitigation.value, {}).get("tried"))


def _non_urgent_work(form: RequestForm) -> str | None:
    if not form.non_urgent_work_running:
        return None
    if form.non_urgent_work_note.strip():
        return "This request says non-urgent work is still running: make sure the note says why it cannot stop."
    return "This request says non-urgent work is still running: say why it must continue, or stand it down."


def _incentives(form: RequestForm) -> str | None:
    if not _tried(form, Mitigation.ENHANCED_RATES):
        return (
            "This request does not say enhanced rates were offered for bank or locum cover: offer them, or say why not."
        )
    return None


def _cover(form: RequestForm) -> str | None:
    missing = [f"'{m.label}'" for m in (Mitigation.CONSULTANTS_SAS, Mitigation.REDEPLOYMENT) if not _tried(form, m)]
    if missing:
        return f"This request does not tick {' or '.join(missing)}: try it, or say why it cannot work."
    return None


def _evidence(form: RequestForm) -> str | None:
    bare = [
        f"'{Mitigation(key).label}'"
        for key, entry in form.mitigations.items()
        if key in set(Mitigation) and entry.get("tried") and not str(entry.get("note", "")).strip()
    ]
    if not form.mitigations or not any(entry.get("tried") for entry in form.mitigations.values()):
        return "This request does not yet say what was tried: tick each step taken and note what happened."
    if bare:
        return f"This request ticks {', '.join(bare)} without a note: say what was done and what came of it."
    return None


def _urgent_need(form: RequestForm) -> str | None:
    if form.patients_affected is None or form.risk_from is None:
        return "This request does not yet say how many patients are affected and from when."
    return None


def _eligible(form: RequestForm) -> str | None:
    if form.category == Category.ROUTINE_ELECTIVE.value:
        return "Routine elective care is not eligible: choose the category that fits, or do not request."
    return None


# Which of a request's facts bear on each reason the BMA gives (None: nothing on the form bears on it).
FACTS_FOR: dict[Reason, Callable[[RequestForm], str | None]] = {
    Reason.NON_URGENT_WORK_RUNNING: _non_urgent_work,
    Reason.INCENTIVES_NOT_OFFERED: _incentives,
    Reason.COVER_NOT_TRIED: _cover,
    Reason.EVIDENCE_MISSING: _evidence,
    Reason.NO_URGENT_NEED: _urgent_need,
    Reason.NOT_ELIGIBLE: _eligible,
}


@dataclass(frozen=True)
class PastDeclines:
    """The BMA's declines of the last strike periods that ended, and how many cited each reason."""

    period_names: list[str]  # newest first
    declines: int
    citing: dict[str, int]  # reason value -> declines that gave it

    @property
    def periods_phrase(self) -> str:
        count = len(self.period_names)
        return f"the last {NUMBER_WORDS.get(count, f'{count} ')}strike period{'s' if count > 1 else ''}"


@dataclass(frozen=True)
class Advice:
    reason: Reason
    citing: int
    declines: int
    percent: int
    periods_phrase: str
    this_request: str  # which of this request's facts bear on the reason, and what to do

    @property
    def sentence(self) -> str:
        return (
            f"In {self.periods_phrase}, {self.percent}% of the BMA's declines ({self.citing} of {self.declines}) "
            f"gave '{self.reason.label}'. {self.this_request}"
        )


def past_declines(now: datetime | None = None, look_back: int = LOOK_BACK_PERIODS) -> PastDeclines:
    """Counted nationally: a share of all the BMA's declines says nothing about any one trust."""
    now = now or utcnow()
    with read_session() as session:
        ended = session.exec(
            select(StrikePeriod).where(periods.ended_sql(now)).order_by(col(StrikePeriod.ends_at).desc())
        ).all()[:look_back]
        ids = [p.id for p in ended]
        decline_of_period = (
            col(DerogationRequest.id) == RequestReason.request_id,
            RequestReason.action == Action.DECLINE.value,
            col(DerogationRequest.strike_period_id).in_(ids),
        )
        declines_citing = func.count(func.distinct(RequestReason.audit_event_id))
        citing = session.exec(
            select(RequestReason.reason, declines_citing).where(*decline_of_period).group_by(RequestReason.reason)
        ).all()
        declines = session.exec(select(declines_citing).where(*decline_of_period)).one()
    return PastDeclines([p.name for p in ended], int(declines), {r: int(n) for r, n in citing})


def advice_for(form: RequestForm, past: PastDeclines) -> list[Advice]:
    """The reasons past declines cited that this request's facts bear on, most cited first."""
    found = []
    for value, citing in past.citing.items():
        try:
            reason = Reason(value)
        except ValueError:
            continue
        bears = FACTS_FOR.get(reason)
        this_request = bears(form) if bears else None
        if this_request and past.declines:
            percent = round(100 * citing / past.declines)
            found.append(Advice(reason, citing, past.declines, percent, past.periods_phrase, this_request))
    return sorted(found, key=lambda a: (-a.citing, list(Reason).index(a.reason)))
