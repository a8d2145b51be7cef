"""The request page as a reviewer on call uses it (issue 19): what they decide on first, the outcome in place of
the panel with the next request at their tier, the requester's answer at the top, and the lists' links."""

from __future__ import annotations

import html

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.models import DerogationRequest
from core.platform.db import read_session
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

PAGE = "pages/request_detail.py"


def asked_question(people, strike) -> DerogationRequest:  # noqa: ANN001
    """A request the clinical director has returned to the trust with a question."""
    request = file_request(people, strike)
    return workflow.review(people[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.RETURN_FOR_INFO,
                           "Which consultants?", reasons=["evidence_missing"])  # fmt: skip


def summary_of(at) -> str:  # noqa: ANN001
    """The summary at the top of the request (its <dl class="summary">), as text."""
    [body] = [str(e.proto.body) for e in at.html if 'class="summary"' in str(e.proto.body)]
    return html.unescape(body)


def test_the_summary_comes_before_the_decision_and_says_what_is_asked_and_the_evidence(people, strike):
    request = file_request(people, strike, mass_casualty=True)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(request.id))
    body = summary_of(at)
    for label in ("Trust", "Service", "Asked for", "Risk", "Decision needed by", "Mass casualty", "Evidence"):
        assert f"<dt>{label}</dt>" in body
    assert "MASS CASUALTY EVENT declared" in body
    assert f"{request.doctors_requested} resident doctors" in body
    assert "Non-urgent work stood down: Done" in body  # valid_form stands electives down
    assert "Incentives offered: Not done" in body and "Staff redeployed: Not done" in body
    assert at.expander[0].label == "The request as submitted"  # the full record follows, folded


def test_after_a_decision_the_outcome_replaces_the_panel_with_the_next_request_at_the_tier(people, strike):
    first, second = file_request(people, strike), file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(first.id))
    at.radio(key=f"review_action_{first.id}").set_value(Action.ESCALATE.value)
    at.text_area(key=f"review_rationale_{first.id}").input(REASON)
    click(at, f"review_go_{first.id}")
    assert f"Request {first.id}: escalated. The people who act next have been told." in [s.value for s in at.success]
    assert f"review_go_{first.id}" not in [b.key for b in at.button]
    links = [link.proto for link in at.get("page_link") if "next request" in link.proto.label]
    assert [(link.label, link.query_string) for link in links] == [
        (f"Open the next request waiting at your tier: request {second.id}", f"id={second.id}")
    ]


def test_after_the_last_decision_it_says_nothing_else_is_waiting(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.BMA)
    at = open_page(people[Role.BMA], PAGE, id=str(request.id))
    at.radio(key=f"bma_choice_{request.id}").set_value(Action.APPROVE.value).run()
    at.text_area(key=f"bma_rationale_{request.id}").input("Evidenced.")
    click(at, f"bma_go_{request.id}")
    with read_session() as session:
        ref = session.get(DerogationRequest, request.id).confirmation_ref
    assert ref and f"Request {request.id} approved. Confirmation reference {ref}." in shown(at)
    assert "Nothing else is waiting at your tier." in shown(at)


def test_the_requester_answers_the_question_at_the_top_of_the_request(people, strike):
    asked = asked_question(people, strike)
    at = open_page(people[Role.REQUESTER], PAGE, id=str(asked.id))
    click(at, f"answer_go_{asked.id}")
    assert errors(at)  # an empty answer is refused, under the answer box
    assert status_of(asked.id) == Status.MORE_INFO
    at.text_area(key=f"answer_text_{asked.id}").input("Dr Ahmed and Dr Lowe, both asked at 14:00; both declined.")
    click(at, f"answer_go_{asked.id}")
    assert status_of(asked.id) == Status.IN_REVIEW
    assert f"Answer sent: request {asked.id} has gone back to the reviewer who asked." in shown(at)
    assert f"answer_go_{asked.id}" not in [b.key for b in at.button]


def test_a_reviewer_sees_no_answer_box_and_another_trust_cannot_answer(people, staff, strike):
    asked = asked_question(people, strike)
    reviewer = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(asked.id))
    assert f"answer_go_{asked.id}" not in [b.key for b in reviewer.button]
    stranger = open_page(other_trust_team(staff)[Role.REQUESTER], PAGE, id=str(asked.id))
    assert f"answer_go_{asked.id}" not in [b.key for b in stranger.button]
    assert "Request not found" in shown(stranger)


def test_a_stale_answer_is_refused_and_nothing_changes(people, strike):
    asked = asked_question(people, strike)
    at = open_page(people[Role.REQUESTER], PAGE, id=str(asked.id))
    workflow.add_comment(people[Role.REQUESTER], asked.id, "A note")  # comments do not change the version
    workflow.withdraw(people[Role.REQUESTER], asked.id, asked.version, "No longer needed.")  # another tab
    at.text_area(key=f"answer_text_{asked.id}").input("Too late.")
    click(at, f"answer_go_{asked.id}")
    assert status_of(asked.id) == Status.WITHDRAWN
    assert "Answer sent" not in shown(at)


def test_lists_link_every_row_and_leave_out_a_column_empty_for_everyone(people, strike):
    quiet = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/review_queue.py")
    [table] = [str(e.proto.body) for e in at.html if 'class="requests"' in str(e.proto.body)]
    assert f'href="request?id={quiet.id}"' in table
    head = html_rows(table)[0]
    assert "Mass casualty" not in head  # nobody's is one
    assert {"Time left", "Decision needed by"} <= set(head)
    file_request(people, strike, mass_casualty=True)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/review_queue.py")
    assert [row["Mass casualty"] for row in request_rows(at)] == ["MASS CASUALTY", "—"]
    assert "Click a row" not in shown(at)


def status_of(request_id: int) -> str:
    with read_session() as session:
        return session.get(DerogationRequest, request_id).status


def test_the_queue_keeps_the_decided_request_open_and_selected_with_its_outcome(people, strike):
    """After a BMA approval in the queue, what is selected is what is shown: the decided request."""
    decided, waiting = (escalate_to(people, file_request(people, strike), Tier.BMA) for _ in range(2))
    at = open_page(people[Role.BMA], "pages/review_queue.py")
    at.selectbox(key="queue_open").set_value(decided.id).run()
    at.radio(key=f"bma_choice_{decided.id}").set_value(Action.APPROVE.value).run()
    at.text_area(key=f"bma_rationale_{decided.id}").input("Evidenced.")
    click(at, f"bma_go_{decided.id}")
    assert at.selectbox(key="queue_open").value == decided.id
    assert f"Request {decided.id}" in [h.value for h in at.header]
    assert [int(row["No."]) for row in request_rows(at)] == [waiting.id]  # the list has no selection to jump
    assert f"Open the next request waiting at your tier: request {waiting.id}" in [
        link.proto.label for link in at.get("page_link")
    ]
    assert not at.dataframe
