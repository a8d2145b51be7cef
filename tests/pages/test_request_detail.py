"""Request detail (?id=): the form as submitted, the whole timeline, comments; out of scope = not found."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.models import Comment, DerogationRequest
from core.platform.db import read_session
from tests.pages.conftest import (
    MARKUP,
    click,
    errors,
    escalate_to,
    file_request,
    markdown_sources,
    open_page,
    other_trust_team,
    shown,
)
from tests.pages.test_my_requests import approve

PAGE = "pages/request_detail.py"
NOT_FOUND = "Request not found. Check the number: you can only open requests within your own scope."


def test_the_timeline_lists_every_action_with_who_role_when_and_why(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.REGIONAL_MD)
    at = open_page(people[Role.REGIONAL_MD], PAGE, id=str(request.id))
    page = shown(at)
    for words in (
        "Draft created",
        "Submitted: now with the Clinical director",
        "Escalated: now with the Trust medical director",
    ):
        assert words in page
    cd = people[Role.CLINICAL_DIRECTOR]
    assert any(t.value.startswith("") and f"{cd.full_name} (Clinical director)" in t.value for t in at.text)
    assert any(t.value == "Checked with the service and the on-call consultant." for t in at.text)
    assert at.title[0].value == f"Request {request.id}"


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD])
def test_out_of_scope_reads_exactly_like_a_missing_id(people, staff, strike, role):
    elsewhere = file_request(other_trust_team(staff), strike, trust="RJ1")
    out_of_scope = open_page(people[role], PAGE, id=str(elsewhere.id))
    missing = open_page(people[role], PAGE, id="999999")
    garbage = open_page(people[role], PAGE, id="1 OR 1=1")
    for at in (out_of_scope, missing, garbage):
        assert [t.value for t in at.title] == ["Request not found"]
        assert errors(at) == [NOT_FOUND]
    assert "RJ1" not in shown(out_of_scope)


def test_the_bma_cannot_see_a_request_not_escalated_to_it(people, strike):
    request = file_request(people, strike)
    assert errors(open_page(people[Role.BMA], PAGE, id=str(request.id))) == [NOT_FOUND]


def test_without_an_id_the_page_asks_for_a_number(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert at.title[0].value == "Find a request"
    at.text_input(key="detail_number").input("derogation")
    click(at, "detail_open")
    assert at.title[0].value == "Find a request" and any("Type the request's number" in e for e in errors(at))
    at.text_input(key="detail_number").input(f"Patient safety mitigation {request.id}")
    click(at, "detail_open")
    assert at.title[0].value == f"Request {request.id}"


def test_find_a_request_accepts_either_name(people, strike):
    request = file_request(people, strike)
    for typed in (str(request.id), f"derogation {request.id}", f"#{request.id}"):
        at = open_page(people[Role.NATIONAL_MDT], PAGE)
        at.text_input(key="detail_number").input(typed)
        click(at, "detail_open")
        assert at.title[0].value == f"Request {request.id}", typed


def test_comments_are_added_and_markup_in_them_is_shown_as_text(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(request.id))
    click(at, f"comment_go_{request.id}")
    assert "Give your reasons: every action needs a written rationale." in errors(at)
    at.text_area(key=f"comment_body_{request.id}").input(MARKUP)
    click(at, f"comment_go_{request.id}")
    with read_session() as session:
        (comment,) = session.exec(select(Comment)).all()
    assert comment.body == MARKUP
    assert sum(t.value == MARKUP for t in at.text) >= 1
    assert not [s for s in markdown_sources(at) if "<b>" in s or "<script>" in s or "](http" in s]


def test_the_reviewer_at_the_tier_can_act_from_the_detail_page(people, strike):
    request = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], PAGE, id=str(request.id))
    at.radio(key=f"review_action_{request.id}").set_value(Action.ESCALATE.value)
    at.text_area(key=f"review_rationale_{request.id}").input("Escalating now.")
    click(at, f"review_go_{request.id}")
    with read_session() as session:
        assert session.get(DerogationRequest, request.id).current_tier == Tier.TRUST_MD
    assert f"review_go_{request.id}" not in [b.key for b in at.button]  # no longer waiting at their tier


def test_the_bma_revokes_an_approval_with_a_reason(people, strike):
    approved = approve(people, file_request(people, strike))
    at = open_page(people[Role.BMA], PAGE, id=str(approved.id))
    click(at, f"revoke_go_{approved.id}")
    assert "Give your reasons: every action needs a written rationale." in errors(at)
    at.text_area(key=f"revoke_reason_{approved.id}").input("New information: consultant cover found.")
    click(at, f"revoke_go_{approved.id}")
    assert any("Choose at least one reason" in e for e in errors(at))  # the fixed list as well (docs/rules.md rule 9)
    at.multiselect(key=f"revoke_reasons_{approved.id}").set_value(["facts_changed"])
    click(at, f"revoke_go_{approved.id}")
    with read_session() as session:
        assert session.get(DerogationRequest, approved.id).status == Status.REVOKED
    assert "APPROVAL REVOKED by the BMA" in shown(at)


def test_only_the_bma_is_offered_revocation(people, strike):
    approved = approve(people, file_request(people, strike))
    for role in (Role.REQUESTER, Role.NATIONAL_MDT):
        at = open_page(people[role], PAGE, id=str(approved.id))
        assert f"revoke_go_{approved.id}" not in [b.key for b in at.button]


def test_a_stale_revocation_is_refused(people, staff, strike):
    approved = approve(people, file_request(people, strike))
    at = open_page(people[Role.BMA], PAGE, id=str(approved.id))
    workflow.revoke(
        staff.make(Role.BMA), approved.id, approved.version, "Revoked by a colleague.", reasons=["facts_changed"]
    )
    at.text_area(key=f"revoke_reason_{approved.id}").input("Also revoking.")
    click(at, f"revoke_go_{approved.id}")
    assert any("changed since you opened it" in m for m in errors(at))
    assert "APPROVAL REVOKED by the BMA" in shown(at)  # and the fresh state below it
