"""Review queues: each tier sees its own waiting requests in scope, in the right order, and acts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.models import DerogationRequest
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from tests.pages.conftest import (
    REASON,
    click,
    errors,
    escalate_to,
    file_request,
    open_page,
    other_trust_team,
    request_rows,
    shown,
)
from ui.components import REQUEST_NOT_FOUND

PAGE = "pages/review_queue.py"


def queue_ids(at) -> list[int]:  # noqa: ANN001
    return [int(row["No."]) for row in request_rows(at)]


def fresh(request_id: int) -> DerogationRequest:
    with read_session() as session:
        return session.get(DerogationRequest, request_id)


def test_each_tier_sees_only_what_waits_at_its_tier_in_its_scope(people, staff, strike):
    at_cd = file_request(people, strike)
    at_tmd = escalate_to(people, file_request(people, strike), Tier.TRUST_MD)
    elsewhere = file_request(other_trust_team(staff), strike, trust="RJ1")
    assert queue_ids(open_page(people[Role.CLINICAL_DIRECTOR], PAGE)) == [at_cd.id]
    assert queue_ids(open_page(people[Role.TRUST_MD], PAGE)) == [at_tmd.id]
    assert elsewhere.id not in queue_ids(open_page(people[Role.CLINICAL_DIRECTOR], PAGE))
    assert "Review queue: Clinical director" in shown(open_page(people[Role.CLINICAL_DIRECTOR], PAGE))


def test_mass_casualty_first_then_breached_then_oldest(people, strike):
    oldest = file_request(people, strike)
    newer = file_request(people, strike)
    breached = file_request(people, strike)
    mass = file_request(people, strike, mass_casualty=True)
    with write_session() as session:  # place them in time: the breached one waited longer than the target
        for request, minutes in ((oldest, 30), (newer, 10), (breached, 300), (mass, 1)):
            session.execute(
                update(DerogationRequest)
                .where(DerogationRequest.id == request.id)
                .values(tier_entered_at=utcnow() - timedelta(minutes=minutes))
            )
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE)
    assert queue_ids(at) == [mass.id, breached.id, oldest.id, newer.id]
    rows = request_rows(at)
    assert [row["Mass casualty"] for row in rows] == ["MASS CASUALTY", "—", "—", "—"]
    assert rows[1]["Time at tier (target)"].endswith("BREACHED")


def test_filters_narrow_the_national_queue(people, staff, strike):
    here = escalate_to(people, file_request(people, strike), Tier.NATIONAL_MDT)
    london = other_trust_team(staff)
    there = escalate_to(london, file_request(london, strike, trust="RJ1"), Tier.NATIONAL_MDT)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert sorted(queue_ids(at)) == sorted([here.id, there.id])
    at.selectbox(key="queue_region").set_value("Y56").run()
    assert queue_ids(at) == [there.id]
    at.selectbox(key="queue_region").set_value(None).run()
    at.selectbox(key="queue_category").set_value("cancer").run()
    assert queue_ids(at) == []


def test_opening_a_request_shows_what_was_tried_first_and_escalating_needs_a_rationale(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(request.id))
    subheads = [m.value.lstrip("# ") for m in at.markdown if m.value.startswith("#")]
    assert subheads[0] == "What the trust has already tried"
    at.radio(key=f"review_action_{request.id}").set_value(Action.ESCALATE.value).run()
    click(at, f"review_go_{request.id}")
    assert "Give your reasons: every action needs a written rationale." in errors(at)
    assert fresh(request.id).current_tier == Tier.CLINICAL_DIRECTOR
    at.text_area(key=f"review_rationale_{request.id}").input(REASON)
    click(at, f"review_go_{request.id}")
    assert fresh(request.id).current_tier == Tier.TRUST_MD
    assert f"Request {request.id}: escalated" in shown(at)
    assert queue_ids(at) == []


def test_returning_for_more_information_and_declining(people, strike):
    returned, declined = file_request(people, strike), file_request(people, strike)
    for request, action in ((returned, Action.RETURN_FOR_INFO), (declined, Action.DECLINE_CRITERIA)):
        at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(request.id))
        at.radio(key=f"review_action_{request.id}").set_value(action.value).run()
        at.text_area(key=f"review_rationale_{request.id}").input(REASON)
        click(at, f"review_go_{request.id}")
        assert any(
            "Choose at least one reason" in e for e in errors(at)
        )  # reasons from the list too (docs/rules.md rule 9)
        assert fresh(request.id).status == Status.IN_REVIEW
        picker = at.multiselect(key=f"review_reasons_{request.id}")
        assert "Evidence missing or unclear" in picker.options
        picker.set_value(["evidence_missing", "cover_not_tried"])
        click(at, f"review_go_{request.id}")
    assert fresh(returned.id).status == Status.MORE_INFO
    assert fresh(declined.id).status == Status.NOT_ELIGIBLE


def test_acting_on_a_request_changed_since_it_was_opened_is_refused_with_the_fresh_state(people, staff, strike):
    request = file_request(people, strike)
    colleague = staff.make(Role.CLINICAL_DIRECTOR, trust="R0A")
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(request.id))
    workflow.review(colleague, request.id, request.version, Action.ESCALATE, "Escalated by my colleague.")
    at.radio(key=f"review_action_{request.id}").set_value(Action.DECLINE_CRITERIA.value)
    at.text_area(key=f"review_rationale_{request.id}").input(REASON)
    click(at, f"review_go_{request.id}")
    assert any("changed since you opened it" in m for m in errors(at))
    assert fresh(request.id).current_tier == Tier.TRUST_MD  # the colleague's escalation stands
    assert "Trust medical director" in shown(at)  # the fresh state is on screen


def test_nobody_reviews_what_they_filed_at_two_tiers(people, staff, strike):
    request = escalate_to(people, file_request(people, strike), Tier.TRUST_MD)
    # The clinical director who escalated it becomes trust medical director: still refused (four eyes).
    cd = people[Role.CLINICAL_DIRECTOR]
    with write_session() as session:
        from core.models import User

        session.get(User, cd.id).role = Role.TRUST_MD.value
    with read_session() as session:
        from core.models import User

        promoted = session.get(User, cd.id)
    at = open_page(promoted, PAGE, id=str(request.id))
    # Not offered, then refused: the panel says why instead (core.access_control.permissions.four_eyes_refusal, as the workflow).
    assert f"review_go_{request.id}" not in [b.key for b in at.button]
    assert any("already acted on this request at the Clinical director tier" in i.value for i in at.info)
    assert fresh(request.id).current_tier == Tier.TRUST_MD


def test_the_bma_approves_less_than_was_asked_and_cannot_approve_more(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.BMA)
    at = open_page(people[Role.BMA], PAGE, id=str(request.id))
    at.radio(key=f"bma_choice_{request.id}").set_value(Action.APPROVE.value).run()
    assert at.number_input(key=f"bma_doctors_{request.id}").value == 3  # starts from what was asked
    at.number_input(key=f"bma_doctors_{request.id}").set_value(5)
    at.text_area(key=f"bma_rationale_{request.id}").input("Evidenced; mitigations exhausted.")
    click(at, f"bma_go_{request.id}")
    assert "You cannot approve more doctors than were asked for (3)." in errors(at)
    assert fresh(request.id).status == Status.IN_REVIEW
    at.number_input(key=f"bma_doctors_{request.id}").set_value(2)
    at.multiselect(key=f"bma_grades_{request.id}").set_value(["ST3+"])
    at.text_area(key=f"bma_scope_{request.id}").input("Majors only, night shifts")
    click(at, f"bma_go_{request.id}")
    approved = fresh(request.id)
    assert (approved.status, approved.approved_doctors, approved.approved_grades) == (Status.APPROVED, 2, ["ST3+"])
    assert approved.approved_scope == "Majors only, night shifts"
    assert f"Confirmation reference {approved.confirmation_ref}" in shown(at)


def test_the_bma_declines(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.BMA)
    at = open_page(people[Role.BMA], PAGE, id=str(request.id))
    at.radio(key=f"bma_choice_{request.id}").set_value(Action.DECLINE.value).run()
    at.text_area(key=f"bma_rationale_{request.id}").input("Consultant cover not shown to be exhausted.")
    at.multiselect(key=f"bma_reasons_{request.id}").set_value(["cover_not_tried", "non_urgent_work_running"])
    click(at, f"bma_go_{request.id}")
    assert fresh(request.id).status == Status.DECLINED


def test_a_deep_link_to_a_request_outside_the_scope_reads_as_not_found(people, staff, strike):
    elsewhere = file_request(other_trust_team(staff), strike, trust="RJ1")
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(elsewhere.id))
    assert errors(at) == [REQUEST_NOT_FOUND]
    assert "RJ1" not in shown(at)


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "1.5", "99999999999999999999", "1 OR 1=1", "999999"])
def test_every_bad_id_in_a_link_gets_the_one_message_and_the_queue_stays(people, strike, bad):
    waiting = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=bad)
    assert errors(at) == [REQUEST_NOT_FOUND]
    assert queue_ids(at) == [waiting.id]
    for page in ("pages/request_detail.py", "pages/file_request.py"):
        who = people[Role.REQUESTER] if page.endswith("file_request.py") else people[Role.CLINICAL_DIRECTOR]
        assert errors(open_page(who, page, id=bad)) == [REQUEST_NOT_FOUND]
