"""Which actions a person may take on one request: the predicates the workflow enforces and the pages
ask before offering an action."""

from __future__ import annotations

import pytest

from core.access import may_edit, may_record_harm, may_revoke, may_withdraw, waits_for
from core.enums import Role, Status, Tier
from core.models import DerogationRequest, User

TRUST, OTHER_TRUST = "R0A", "RM3"


def _user(role: Role, trust: str | None = TRUST, active: bool = True) -> User:
    return User(email=f"{role.value}@example.nhs.uk", full_name="A Person", role=role.value, trust_code=trust,
                password_hash="x", active=active)  # fmt: skip


def _request(status: Status, tier: Tier | None = None) -> DerogationRequest:
    return DerogationRequest(status=status.value, current_tier=tier.value if tier else None, trust_code=TRUST)


@pytest.mark.parametrize("status", list(Status))
def test_the_trust_withdraws_until_decided_and_records_harm_after_a_refusal(status: Status) -> None:
    requester, request = _user(Role.REQUESTER), _request(status)
    undecided = status in (Status.DRAFT, Status.IN_REVIEW, Status.MORE_INFO)
    refused = status in (Status.DECLINED, Status.NOT_ELIGIBLE, Status.REVOKED)
    assert may_withdraw(requester, request) is undecided
    assert may_record_harm(requester, request) is refused
    assert may_edit(requester, request) is (status in (Status.DRAFT, Status.MORE_INFO))
    assert may_revoke(requester, request) is False


@pytest.mark.parametrize(
    "someone",
    [_user(Role.REQUESTER, OTHER_TRUST), _user(Role.REQUESTER, active=False), _user(Role.CLINICAL_DIRECTOR)],
)
def test_only_an_active_requester_of_the_trust_withdraws_edits_or_records_harm(someone: User) -> None:
    assert not may_withdraw(someone, _request(Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR))
    assert not may_edit(someone, _request(Status.DRAFT))
    assert not may_record_harm(someone, _request(Status.DECLINED))


def test_only_the_bma_revokes_and_only_an_approval() -> None:
    bma = _user(Role.BMA, trust=None)
    assert may_revoke(bma, _request(Status.APPROVED))
    assert not may_revoke(bma, _request(Status.REVOKED))
    assert not may_revoke(bma, _request(Status.IN_REVIEW, Tier.BMA))
    assert not may_revoke(_user(Role.BMA, trust=None, active=False), _request(Status.APPROVED))
    assert not may_revoke(_user(Role.NATIONAL_MDT, trust=None), _request(Status.APPROVED))


def test_a_request_waits_for_the_reviewers_of_its_tier_only_while_in_review() -> None:
    at_cd = _request(Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)
    assert waits_for(_user(Role.CLINICAL_DIRECTOR), at_cd)
    assert not waits_for(_user(Role.TRUST_MD), at_cd)
    assert not waits_for(_user(Role.REQUESTER), at_cd)
    assert not waits_for(_user(Role.CLINICAL_DIRECTOR), _request(Status.MORE_INFO, Tier.CLINICAL_DIRECTOR))
    assert waits_for(_user(Role.BMA, trust=None), _request(Status.IN_REVIEW, Tier.BMA))
