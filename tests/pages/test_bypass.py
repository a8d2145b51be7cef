"""The failsafe bypass through the pages: the trust records the recall on the request, everyone who can see
it sees it, the trust stands the doctors down after a decline, and the national MDT finds it in its review
queue's 'bypass reviews due' and reviews it on the request."""

from __future__ import annotations

from datetime import timedelta

from core import workflow
from core.enums import Role, Tier
from core.models import DerogationRequest
from core.platform.clock import to_london, utcnow
from core.platform.db import read_session
from tests.core.conftest import bma_approval
from tests.pages.conftest import click, errors, escalate_to, file_request, open_page, shown

PAGE = "pages/request_detail.py"


def fresh(request_id: int) -> DerogationRequest:
    with read_session() as session:
        return session.get(DerogationRequest, request_id)


def test_the_trust_records_stands_down_and_the_national_mdt_reviews(people, strike):
    request = file_request(people, strike, mass_casualty=True)
    rid = request.id
    at = open_page(people[Role.REQUESTER], PAGE, id=str(rid))
    click(at, f"bypass_go_{rid}")
    assert any("how many resident doctors" in e for e in errors(at))
    assert fresh(rid).bypass_recorded_at is None
    at.number_input(key=f"bypass_doctors_{rid}").set_value(2)
    at.multiselect(key=f"bypass_grades_{rid}").set_value(["ST3+"])
    at.text_input(key=f"bypass_declared_{rid}").input("<b>Greater Manchester Police</b>")
    at.datetime_input(key=f"bypass_at_{rid}").set_value(
        to_london(utcnow() - timedelta(minutes=10)).replace(tzinfo=None)
    )
    click(at, f"bypass_go_{rid}")
    assert not [e for e in errors(at) if "MASS CASUALTY" not in e], errors(at)
    assert fresh(rid).bypass_doctors == 2
    assert "Failsafe bypass: 2 resident doctors (ST3+) recalled" in shown(at)
    assert "The external event was declared by: <b>Greater Manchester Police</b>" in shown(at)  # as text
    assert f"bypass_go_{rid}" not in [b.key for b in at.button]  # once

    # Every tier sees it; the BMA still decides (and declines, with reasons).
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(rid))
    assert "Failsafe bypass: 2 resident doctors" in shown(at)
    request = escalate_to(people, fresh(rid), Tier.BMA)
    decision = workflow.BmaDecision(approve=False, rationale="No.", reasons=["other"])
    workflow.bma_decide(people[Role.BMA], rid, request.version, decision)

    at = open_page(people[Role.REQUESTER], PAGE, id=str(rid))
    assert "Stand down the doctors recalled under the failsafe bypass" in shown(at)
    assert "Reasons given (declined by the BMA):" in shown(at) and "Other (see the rationale)" in shown(at)
    at.text_area(key=f"standdown_note_{rid}").input("Both sent home.")
    click(at, f"standdown_go_{rid}")
    assert fresh(rid).bypass_stood_down_at is not None

    national = people[Role.NATIONAL_MDT]
    queue = open_page(national, "pages/review_queue.py")
    assert any(h.value == "Failsafe bypass reviews due" for h in queue.header)
    assert f"Request {rid}" in " ".join(link.proto.label for link in queue.get("page_link"))
    at = open_page(national, PAGE, id=str(rid))
    click(at, f"bypassreview_go_{rid}")
    assert any("written rationale" in e for e in errors(at)) and fresh(rid).bypass_review is None
    at.radio(key=f"bypassreview_finding_{rid}").set_value("justified")
    at.multiselect(key=f"bypassreview_reasons_{rid}").set_value(["event_confirmed", "escalated_in_parallel"])
    at.text_area(key=f"bypassreview_rationale_{rid}").input("Declared incident; escalated at once.")
    click(at, f"bypassreview_go_{rid}")
    assert fresh(rid).bypass_review == "justified"
    assert "National MDT review: justified" in shown(at)
    queue = open_page(national, "pages/review_queue.py")
    assert not any(h.value == "Failsafe bypass reviews due" for h in queue.header)


def test_no_bypass_on_an_ordinary_request_or_for_reviewers(people, strike):
    ordinary = file_request(people, strike)
    at = open_page(people[Role.REQUESTER], PAGE, id=str(ordinary.id))
    assert f"bypass_go_{ordinary.id}" not in [b.key for b in at.button]
    mass = file_request(people, strike, mass_casualty=True)
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.NATIONAL_MDT):
        at = open_page(people[role], PAGE, id=str(mass.id))
        assert f"bypass_go_{mass.id}" not in [b.key for b in at.button], role


def bypassed_at_bma(people, strike, doctors: int = 2) -> DerogationRequest:  # noqa: ANN001
    """A mass-casualty request with a recall recorded under the bypass, waiting at the BMA."""
    request = file_request(people, strike, mass_casualty=True)
    recall = workflow.BypassRecall(
        recalled_at=utcnow() - timedelta(minutes=10), doctors=doctors, grades=["FY2", "ST3+"], declared_by="Police"
    )
    request = workflow.record_bypass(people[Role.REQUESTER], request.id, request.version, recall)
    return escalate_to(people, request, Tier.BMA)


def test_the_bypass_box_says_the_recall_is_not_approved_after_a_bma_decline(people, strike):
    request = bypassed_at_bma(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE, id=str(request.id))
    assert "the BMA's decision is still needed" in shown(at)
    decision = workflow.BmaDecision(approve=False, rationale="No.", reasons=["other"])
    declined = workflow.bma_decide(people[Role.BMA], request.id, request.version, decision)
    for role in (Role.REQUESTER, Role.NATIONAL_MDT):
        text = shown(open_page(people[role], PAGE, id=str(request.id)))
        assert "The recall is not approved. Request status: Declined by the BMA." in text
        assert "The trust must stand the recalled doctors down now and record when it did." in text
        assert "the BMA's decision is still needed" not in text
    workflow.stand_down(people[Role.REQUESTER], request.id, declined.version, utcnow(), "Both sent home.")
    text = shown(open_page(people[Role.REQUESTER], PAGE, id=str(request.id)))
    assert "The trust recorded that the recalled doctors were stood down at" in text
    assert "must stand" not in text


def test_the_bypass_box_says_which_part_of_the_recall_a_narrower_approval_covers(people, strike):
    request = bypassed_at_bma(people, strike, doctors=3)
    narrower = bma_approval(request, approved_doctors=1, approved_grades=["ST3+"])
    workflow.bma_decide(people[Role.BMA], request.id, request.version, narrower)
    text = shown(open_page(people[Role.REQUESTER], PAGE, id=str(request.id)))
    assert "The recall is approved only in part. The BMA approved 1 doctor (ST3+)" in text
    assert "The trust must stand the others down now" in text
    wide = bypassed_at_bma(people, strike, doctors=1)
    workflow.bma_decide(people[Role.BMA], wide.id, wide.version, bma_approval(wide))
    assert "its decision covers the doctors recalled" in shown(open_page(people[Role.REQUESTER], PAGE, id=str(wide.id)))


def test_no_select_all_where_findings_exclude_each_other_and_core_refuses_a_contradiction(people, strike):
    request = bypassed_at_bma(people, strike)
    decision = workflow.BmaDecision(approve=False, rationale="No.", reasons=["other"])
    declined = workflow.bma_decide(people[Role.BMA], request.id, request.version, decision)
    workflow.stand_down(people[Role.REQUESTER], request.id, declined.version, utcnow(), "Both sent home.")
    at = open_page(people[Role.NATIONAL_MDT], PAGE, id=str(request.id))
    findings = at.multiselect(key=f"bypassreview_reasons_{request.id}")
    assert findings.proto.select_all == 0  # streamlit: 0 hides "Select all"
    at.radio(key=f"bypassreview_finding_{request.id}").set_value("justified")
    findings.set_value(["event_confirmed", "no_external_event"])
    at.text_area(key=f"bypassreview_rationale_{request.id}").input("Reviewed.")
    click(at, f"bypassreview_go_{request.id}")
    assert any("These findings contradict each other" in e for e in errors(at))
    assert fresh(request.id).bypass_review is None
    assert at.multiselect(key=f"bypassreview_reasons_{request.id}").value == ["event_confirmed", "no_external_event"]
