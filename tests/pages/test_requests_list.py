"""Requests list: every request of a strike period in the viewer's scope, filtered, with both CSV
downloads; a regional medical director sees their own region only. Linked from the live dashboard."""

from __future__ import annotations

from datetime import timedelta

from core.enums import Role
from core.models import StrikePeriod
from core.platform.clock import utcnow
from core.platform.db import write_session
from tests.pages.conftest import file_request, open_page, other_trust_team, request_rows, shown
from tests.pages.test_my_requests import approve

PAGE = "pages/requests_list.py"


def listed(at) -> list[int]:  # noqa: ANN001
    return [int(row["No."]) for row in request_rows(at)]


def test_the_list_filters_by_outcome_and_offers_both_downloads(people, strike):
    approved = approve(people, file_request(people, strike))
    pending = file_request(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert listed(at) == [pending.id, approved.id]  # newest first
    assert "2 requests." in shown(at)
    at.selectbox(key="list_outcome").set_value("approved").run()
    assert listed(at) == [approved.id]
    assert "1 request." in shown(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download this list (CSV)", "Download the audit history of this list (CSV)"]


def test_a_region_sees_only_its_own_region_and_no_region_filter(people, staff, strike):
    london = other_trust_team(staff)
    file_request(london, strike, trust="RJ1")
    mine = file_request(people, strike)
    at = open_page(people[Role.REGIONAL_MD], PAGE)
    assert listed(at) == [mine.id]
    assert "North West region only." in shown(at)
    assert "list_region" not in [s.key for s in at.selectbox]  # no filter over other regions
    national = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert len(listed(national)) == 2
    national.selectbox(key="list_region").set_value("Y56").run()
    assert listed(national) != [mine.id] and len(listed(national)) == 1


def test_the_dashboards_link_opens_the_period_it_showed(people, strike):
    now = utcnow()
    with write_session() as session:
        earlier = StrikePeriod(
            name="Earlier strike", starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=27)
        )
        session.add(earlier)
    file_request(people, strike)
    at = open_page(people[Role.NATIONAL_MDT], PAGE, period=str(earlier.id))
    assert at.selectbox(key="list_period").value == earlier.id
    assert "0 requests." in shown(at)
    current = open_page(people[Role.NATIONAL_MDT], PAGE, period="not-a-number")
    assert current.selectbox(key="list_period").value == strike.id  # a bad link falls back to the current period
    assert len(listed(current)) == 1


def test_other_roles_cannot_open_it(people, strike):
    for role in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.BMA, Role.ADMIN):
        at = open_page(people[role], PAGE)
        assert [e.value for e in at.error] == ["This page is not available to your role."], role
        assert not request_rows(at)


def test_the_list_filters_by_reason_and_bypass_and_searches_either_name(people, strike):
    from core import workflow
    from core.enums import Tier
    from tests.pages.conftest import escalate_to

    declined = escalate_to(people, file_request(people, strike, service="Obstetrics"), Tier.BMA)
    decision = workflow.BmaDecision(approve=False, rationale="No.", reasons=["incentives_not_offered"])
    workflow.bma_decide(people[Role.BMA], declined.id, declined.version, decision)
    other = file_request(people, strike, mass_casualty=True)
    recall = workflow.BypassRecall(utcnow() - timedelta(minutes=5), 2, ["ST3+"], "Police")
    workflow.record_bypass(people[Role.REQUESTER], other.id, other.version, recall)
    at = open_page(people[Role.NATIONAL_MDT], PAGE)
    assert listed(at) == [other.id, declined.id]
    at.selectbox(key="list_reason").set_value("incentives_not_offered").run()
    assert listed(at) == [declined.id]
    at.selectbox(key="list_reason").set_value(None).run()
    at.selectbox(key="list_bypass").set_value("review_due").run()
    assert listed(at) == [other.id]
    at.selectbox(key="list_bypass").set_value(None).run()
    for typed in (f"patient safety mitigation {declined.id}", f"derogation {declined.id}", "derogation obstetrics"):
        at.text_input(key="list_search").input(typed).run()
        assert listed(at) == [declined.id], typed
