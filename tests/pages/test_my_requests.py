"""My trust's requests: every request of the trust in words, withdraw, harm after a decline, and the
BMA's approval beside what was asked."""

from __future__ import annotations

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.models import DerogationRequest
from core.platform.db import read_session
from tests.conftest import valid_form
from tests.pages.conftest import (
    REASON,
    click,
    errors,
    escalate_to,
    file_request,
    html_rows,
    open_page,
    other_trust_team,
    request_rows,
    shown,
)

PAGE = "pages/my_requests.py"


def approve(team, request, doctors=2, grades=("ST3+",)):  # noqa: ANN001, ANN201
    request = escalate_to(team, request, Tier.BMA)
    decision = workflow.BmaDecision(
        approve=True,
        rationale="Evidenced.",
        approved_doctors=doctors,
        approved_grades=list(grades),
        approved_window_start=request.window_start,
        approved_window_end=request.window_end,
        approved_scope="Majors only",
    )
    return workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)


def status_of(request_id: int) -> str:
    with read_session() as session:
        return session.get(DerogationRequest, request_id).status


def test_the_list_shows_every_request_of_the_trust_in_words_and_no_other_trust(people, staff, strike):
    waiting = file_request(people, strike)
    draft = workflow.save_draft(people[Role.REQUESTER], valid_form(strike))
    elsewhere = file_request(other_trust_team(staff), strike, trust="RJ1")
    at = open_page(people[Role.REQUESTER], PAGE)
    rows = {int(row["No."]): row for row in request_rows(at)}
    assert sorted(rows) == sorted([waiting.id, draft.id])
    assert elsewhere.id not in rows
    assert rows[waiting.id]["Status"] == "In review" and rows[draft.id]["Status"] == "Draft"
    assert rows[waiting.id]["Waiting at"] == "Clinical director"
    assert rows[waiting.id]["Latest action"].startswith("Submitted")


def test_a_question_is_flagged_and_linked_to_its_answer(people, strike):
    request = file_request(people, strike)
    workflow.review(
        people[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which consultants?",
        reasons=["evidence_missing"],
    )
    at = open_page(people[Role.REQUESTER], PAGE)
    assert f"A reviewer is waiting for your answer on request {request.id}." in shown(at)
    notice = [link.proto for link in at.get("page_link") if link.proto.label.startswith("Answer the question")]
    assert [link.label for link in notice] == [f"Answer the question on request {request.id}"]
    assert notice[0].page.endswith("request") and notice[0].query_string == f"id={request.id}"
    at.selectbox(key="my_open").set_value(request.id).run()
    assert any("Which consultants?" in t.value for t in at.text)
    assert at.text_area(key=f"answer_text_{request.id}").label == "Your answer (required, shown to the reviewers)"


def test_withdraw_needs_a_reason_and_then_closes_the_request(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.REQUESTER], PAGE)
    at.selectbox(key="my_open").set_value(request.id).run()
    click(at, f"withdraw_go_{request.id}")
    assert "Give your reasons: every action needs a written rationale." in errors(at)
    assert status_of(request.id) == Status.IN_REVIEW
    at.text_area(key=f"withdraw_reason_{request.id}").input("Consultant cover found.")
    click(at, f"withdraw_go_{request.id}")
    assert status_of(request.id) == Status.WITHDRAWN
    assert f"Request {request.id} withdrawn." in shown(at)


def test_withdrawing_after_somebody_acted_is_refused_as_stale(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.REQUESTER], PAGE)
    at.selectbox(key="my_open").set_value(request.id).run()
    workflow.review(people[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON)
    at.text_area(key=f"withdraw_reason_{request.id}").input("Consultant cover found.")
    click(at, f"withdraw_go_{request.id}")
    assert any("changed since you opened it" in m for m in errors(at))
    assert status_of(request.id) == Status.IN_REVIEW
    assert at.text_area(key=f"withdraw_reason_{request.id}").value == "Consultant cover found."


def test_harm_is_recorded_after_a_decline(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.BMA)
    workflow.bma_decide(
        people[Role.BMA],
        request.id,
        request.version,
        workflow.BmaDecision(approve=False, rationale="No.", reasons=["evidence_missing"]),
    )
    at = open_page(people[Role.REQUESTER], PAGE)
    at.selectbox(key="my_open").set_value(request.id).run()
    at.text_area(key=f"harm_report_{request.id}").input("Two patients waited 6 hours for review; one deteriorated.")
    click(at, f"harm_go_{request.id}")
    with read_session() as session:
        assert "one deteriorated" in session.get(DerogationRequest, request.id).harm_report
    assert any("one deteriorated" in t.value for t in at.text)


def test_after_approval_the_trust_sees_exactly_what_was_approved_beside_what_was_asked(people, strike):
    approved = approve(people, file_request(people, strike))
    at = open_page(people[Role.REQUESTER], PAGE)
    at.selectbox(key="my_open").set_value(approved.id).run()
    assert "Approved by the BMA. You may now contact the resident doctors in scope" in shown(at)
    (table,) = [str(h.proto.body) for h in at.html if "What the BMA approved" in str(h.proto.body)]
    rows = {label: (approved, asked) for label, approved, asked in html_rows(table)[1:]}
    assert rows["Resident doctors"] == ("2", "3")
    assert rows["Grades"] == ("ST3+", "FY2, ST3+")
    assert rows["Scope (ward, service, shifts)"][0] == "Majors only"
    assert rows["Confirmation reference"][0] == approved.confirmation_ref
