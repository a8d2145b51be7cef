"""Scope in one home (core/access_control/scope.py): each role's scope, and one request seen, counted and told
alike by the visible filter, the tally filter and the recipients filter (its inverse)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import workflow
from core.access_control.scope import Scope, ScopeKind, kind_of, recipients_filter, reviewer_tier
from core.accounts.users import update_user
from core.enums import Role, Tier
from core.models import DerogationRequest, RequestTally, Trust, User
from core.platform.db import read_session, write_session
from tests.conftest import TRUST_A, TRUST_B, TRUST_OTHER_REGION, valid_form
from tests.core.conftest import escalate_to, file_request, make_team


def _account(role: Role, active: bool = True) -> User:
    """An account naming both a trust and a region, so each scope shows which code it keeps."""
    return User(
        email="x@test.nhs.uk",
        full_name="X",
        password_hash="",
        role=role.value,
        trust_code=TRUST_A,
        region_code="Y62",
        active=active,
    )


ROLE_SCOPES = {
    Role.REQUESTER: Scope(ScopeKind.TRUST, trust_code=TRUST_A, drafts=True),  # the trust's drafts too
    Role.CLINICAL_DIRECTOR: Scope(ScopeKind.TRUST, trust_code=TRUST_A),
    Role.TRUST_MD: Scope(ScopeKind.TRUST, trust_code=TRUST_A),
    Role.REGIONAL_MD: Scope(ScopeKind.REGION, region_code="Y62"),
    Role.NATIONAL_MDT: Scope(ScopeKind.NATIONAL),
    Role.BMA: Scope(ScopeKind.BMA_ROUTE),
    Role.ADMIN: Scope(ScopeKind.NOTHING),
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_its_scope_and_keeps_only_the_code_it_needs(role):
    assert Scope.of(_account(role)) == ROLE_SCOPES[role]
    assert Scope.of(_account(role)).kind is kind_of(role)
    assert Scope.of(_account(role, active=False)) == Scope(ScopeKind.NOTHING)  # a closed account covers nothing
    assert Scope.of_role(role, TRUST_A, "Y62") == ROLE_SCOPES[role]  # the role's, open or closed


@pytest.mark.parametrize(
    ("role", "spans_regions", "spans_trusts", "tier"),
    [
        (Role.REQUESTER, False, False, None),
        (Role.CLINICAL_DIRECTOR, False, False, Tier.CLINICAL_DIRECTOR),
        (Role.TRUST_MD, False, False, Tier.TRUST_MD),
        (Role.REGIONAL_MD, False, True, Tier.REGIONAL_MD),
        (Role.NATIONAL_MDT, True, True, Tier.NATIONAL_MDT),
        (Role.BMA, True, True, Tier.BMA),
        (Role.ADMIN, False, False, None),
    ],
)
def test_list_filters_are_those_the_scope_spans_more_than_one_of(role, spans_regions, spans_trusts, tier):
    scope = Scope.of(_account(role))
    assert (scope.spans_regions, scope.spans_trusts) == (spans_regions, spans_trusts)
    assert reviewer_tier(_account(role)) is tier


@pytest.fixture
def world(staff, period):
    """Three trusts in two regions (R0A and RM3 in the North West, RJ1 in London), one person per role in
    each, and a request of R0A's escalated to the BMA (so every tier of its route covers it) beside a draft."""
    teams = {
        TRUST_A: make_team(staff),
        TRUST_B: make_team(staff, trust=TRUST_B),
        TRUST_OTHER_REGION: make_team(staff, trust=TRUST_OTHER_REGION, region="Y56"),
    }
    escalated = escalate_to(teams[TRUST_A], file_request(teams[TRUST_A], period), Tier.BMA)
    draft = workflow.save_draft(teams[TRUST_A][Role.REQUESTER], valid_form(period))
    return {"teams": teams, "escalated": escalated, "draft": draft, "period": period}


def _seen(user: User, request_id: int) -> bool:
    with read_session() as session:
        where = (DerogationRequest.id == request_id, Scope.of(user).visible_filter())
        return session.exec(select(DerogationRequest.id).where(*where)).first() is not None


def _counted(user: User, period_id: int) -> bool | None:
    """Whether the scope reads the request's running tally (its region's rows); None: it cannot read tallies."""
    tally_scope = Scope.of(user).tally_filter()
    if tally_scope is None:
        return None
    with read_session() as session:
        where = (tally_scope, RequestTally.strike_period_id == period_id, RequestTally.requests > 0)
        return session.exec(select(RequestTally.region_code).where(*where)).first() is not None


def _told(user: User, request: DerogationRequest) -> bool:
    with read_session() as session:
        told = session.exec(select(User.id).where(recipients_filter(Role(user.role), request))).all()
    return user.id in told


# (trust of the person's team, role) -> (sees R0A's escalated request, reads its tally, is told of it)
EXPECTED = {
    (TRUST_A, Role.REQUESTER): (True, None, True),
    (TRUST_A, Role.CLINICAL_DIRECTOR): (True, None, True),
    (TRUST_A, Role.TRUST_MD): (True, None, True),
    (TRUST_A, Role.REGIONAL_MD): (True, True, True),  # North West
    (TRUST_B, Role.REQUESTER): (False, None, False),  # another trust of the same region
    (TRUST_B, Role.CLINICAL_DIRECTOR): (False, None, False),
    (TRUST_B, Role.TRUST_MD): (False, None, False),
    (TRUST_B, Role.REGIONAL_MD): (True, True, True),  # North West too
    (TRUST_OTHER_REGION, Role.REQUESTER): (False, None, False),
    (TRUST_OTHER_REGION, Role.CLINICAL_DIRECTOR): (False, None, False),
    (TRUST_OTHER_REGION, Role.TRUST_MD): (False, None, False),
    (TRUST_OTHER_REGION, Role.REGIONAL_MD): (False, False, False),  # London: reads tallies, not this region's
}
EVERYWHERE = {
    Role.NATIONAL_MDT: (True, True, True),
    Role.BMA: (True, None, True),  # escalated to it
    Role.ADMIN: (False, False, False),  # manages the system, not requests
}


def test_one_request_is_seen_counted_and_told_alike(world):
    request, period_id = world["escalated"], world["period"].id
    for trust, team in world["teams"].items():
        for role, user in team.items():
            expected = EXPECTED.get((trust, role)) or EVERYWHERE[role]
            found = (_seen(user, request.id), _counted(user, period_id), _told(user, request))
            assert found == expected, (trust, role)
            assert found[0] == found[2], (trust, role)  # who is told is who sees it: the inverse
            assert found[1] in (None, found[0]), (trust, role)  # a tally read is the visible filter's count


def test_a_draft_is_seen_by_its_trusts_requesters_only(world):
    draft = world["draft"]
    seen = {(trust, role) for trust, team in world["teams"].items() for role, u in team.items() if _seen(u, draft.id)}
    assert seen == {(TRUST_A, Role.REQUESTER)}


def test_a_closed_account_sees_counts_and_hears_nothing(world):
    team, request = world["teams"][TRUST_A], world["escalated"]
    regional = team[Role.REGIONAL_MD]
    with write_session() as session:
        closed = update_user(session, regional.id, by=team[Role.ADMIN], region_code="Y62", active=False)
    found = (_seen(closed, request.id), _counted(closed, world["period"].id), _told(closed, request))
    assert found == (False, False, False)


@pytest.mark.parametrize(
    ("role", "trusts"),
    [
        (Role.REQUESTER, {TRUST_A}),
        (Role.TRUST_MD, {TRUST_A}),
        (Role.REGIONAL_MD, {TRUST_A, TRUST_B}),  # every trust of the region, not the other region's
        (Role.NATIONAL_MDT, {TRUST_A, TRUST_B, TRUST_OTHER_REGION}),
        (Role.BMA, set()),  # the BMA's route is made of requests: it sees no trust's own records
        (Role.ADMIN, set()),
    ],
)
def test_the_trusts_a_scope_covers_are_its_trusts_and_its_regions(db, role, trusts):
    """The cover register's reach (core.request.cover_register.trust_scope)."""
    with read_session() as session:
        covered = set(session.exec(select(Trust.ods_code).where(Scope.of(_account(role)).trust_filter())))
        closed = session.exec(select(Trust.ods_code).where(Scope.of(_account(role, active=False)).trust_filter()))
        assert closed.first() is None  # a closed account covers no trust
    assert trusts <= covered
    assert not covered & ({TRUST_A, TRUST_B, TRUST_OTHER_REGION} - trusts)
