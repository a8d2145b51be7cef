"""Advice learned from past declines (core.request.advice): the shares come from the reasons the BMA's declines gave in
the last two strike periods that ended, and change when those reasons do; which advice a request gets comes
from its own facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import workflow
from core.enums import Mitigation, Reason, Role, Status, Tier
from core.models import StrikePeriod, User
from core.request import advice
from tests.conftest import valid_form
from tests.core.conftest import add_period, escalate_to, file_request

MONTHS = [datetime(2025, month, 2, 7, 0, tzinfo=UTC) for month in (1, 3, 5, 7)]


def strike(start: datetime, name: str) -> StrikePeriod:
    return add_period(start, start + timedelta(days=3), name)


def bma_declines(team: dict[Role, User], period: StrikePeriod, *reason_lists: list[str]) -> None:
    """One request a decline, walked up the route and declined by the BMA with these reasons."""
    for i, reasons in enumerate(reason_lists):
        now = period.starts_at + timedelta(hours=1 + i)
        request = escalate_to(team, file_request(team, period, now), Tier.BMA, now)
        decision = workflow.BmaDecision(approve=False, rationale="Not evidenced.", reasons=reasons)
        workflow.bma_decide(team[Role.BMA], request.id, request.version, decision, now + timedelta(minutes=30))


@pytest.fixture
def past(team) -> dict[str, StrikePeriod]:
    oldest, march, may = (strike(MONTHS[0], "January"), strike(MONTHS[1], "March"), strike(MONTHS[2], "May"))
    bma_declines(team, oldest, ["other"])  # three periods back: not "the last two"
    bma_declines(team, march, ["non_urgent_work_running"], ["non_urgent_work_running", "incentives_not_offered"])
    bma_declines(team, march, ["non_urgent_work_running"])
    bma_declines(team, may, ["cover_not_tried"])
    return {"oldest": oldest, "march": march, "may": may}


def risky_form(period: StrikePeriod):  # noqa: ANN201
    """Non-urgent work still running, nothing tried."""
    return valid_form(period, non_urgent_work_running=True, non_urgent_work_note="", mitigations={})


AFTER_MAY = MONTHS[2] + timedelta(days=10)


def test_the_shares_come_from_the_last_two_ended_periods(team, past) -> None:
    counted = advice.past_declines(AFTER_MAY)
    assert counted.period_names == ["May", "March"]
    assert counted.declines == 4
    assert counted.citing == {"non_urgent_work_running": 3, "incentives_not_offered": 1, "cover_not_tried": 1}

    found = advice.advice_for(risky_form(past["may"]), counted)
    assert [(a.reason, a.percent, a.citing) for a in found] == [
        (Reason.NON_URGENT_WORK_RUNNING, 75, 3),
        (Reason.INCENTIVES_NOT_OFFERED, 25, 1),
        (Reason.COVER_NOT_TRIED, 25, 1),
    ]
    assert found[0].sentence == (
        "In the last two strike periods, 75% of the BMA's declines (3 of 4) gave "
        f"'{Reason.NON_URGENT_WORK_RUNNING.label}'. This request says non-urgent work is still running: "
        "say why it must continue, or stand it down."
    )


def test_new_declines_in_the_database_change_the_advice(team, past) -> None:
    july = strike(MONTHS[3], "July")
    bma_declines(team, july, ["evidence_missing"], ["evidence_missing", "cover_not_tried"])
    counted = advice.past_declines(MONTHS[3] + timedelta(days=10))
    assert counted.period_names == ["July", "May"] and counted.declines == 3
    found = advice.advice_for(risky_form(july), counted)
    # March's declines over non-urgent work are no longer among the last two periods: that advice goes.
    assert [(a.reason, a.percent) for a in found] == [(Reason.COVER_NOT_TRIED, 67), (Reason.EVIDENCE_MISSING, 67)]


def test_a_request_whose_facts_answer_the_reasons_gets_no_advice(team, past) -> None:
    tried = {m.value: {"tried": True, "note": "Done, with the result."} for m in Mitigation}
    form = valid_form(past["may"], non_urgent_work_running=False, mitigations=tried)
    assert advice.advice_for(form, advice.past_declines(AFTER_MAY)) == []


def test_each_reason_bears_on_its_own_facts(period) -> None:  # noqa: ARG001 (a database for the form's period)
    counted = advice.PastDeclines(["May"], 10, {r.value: 1 for r in Reason})
    form = valid_form(period, mitigations={Mitigation.ENHANCED_RATES.value: {"tried": True, "note": ""}})
    form.patients_affected = None
    reasons = {a.reason: a.this_request for a in advice.advice_for(form, counted)}
    assert set(reasons) == {Reason.COVER_NOT_TRIED, Reason.EVIDENCE_MISSING, Reason.NO_URGENT_NEED}
    assert "'Enhanced rates offered for bank or locum cover' without a note" in reasons[Reason.EVIDENCE_MISSING]
    assert "'Consultants and SAS doctors asked to cover' or 'Staff redeployed'" in reasons[Reason.COVER_NOT_TRIED]
    assert advice.advice_for(form, advice.PastDeclines([], 0, {})) == []  # no past declines, no advice
    assert advice.PastDeclines(["May"], 1, {}).periods_phrase == "the last strike period"


def test_advice_never_blocks_a_submission(team, past) -> None:
    now = MONTHS[2] + timedelta(hours=2)  # during May's strike, with March's declines behind it
    submitted = file_request(team, past["may"], now, non_urgent_work_running=True, non_urgent_work_note="Theatre 3.")
    assert submitted.status == Status.IN_REVIEW.value
