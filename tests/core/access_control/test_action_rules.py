"""Which deeds a person may do to one request (core.access_control.permissions.refusal): the question the workflow asks
before it records a deed and the pages ask before offering one. tests/core/request/test_offers.py walks the
whole grid against the workflow itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.access_control.permissions import Deed, refusal, waits_for
from core.enums import Role, Status, Tier
from core.models import DerogationRequest, User

TRUST, OTHER_TRUST = "R0A", "RM3"


def _user(role: Role, trust: str | None = TRUST, active: bool = True) -> User:
    return User(email=f"{role.value}@example.nhs.uk", full_name="A Person", role=role.value, trust_code=trust,
                password_hash="x", active=active)  # fmt: skip


def _request(status: Status, tier: Tier | None = None) -> DerogationRequest:
    return DerogationRequest(status=status.value, current_tier=tier.value if tier else None, trust_code=TRUST)


def _may(user: User, deed: Deed, request: DerogationRequest) -> bool:
    return refusal(user, request, deed, period=None, now=datetime.now(UTC)) is None


@pytest.mark.parametrize("status", list(Status))
def test_the_trust_withdraws_until_decided_and_records_harm_after_a_refusal(status: Status) -> None:
    requester, request = _user(Role.REQUESTER), _request(status)
    undecided = status in (Status.DRAFT, Status.IN_REVIEW, Status.MORE_INFO)
    refused = status in (Status.DECLINED, Status.NOT_ELIGIBLE, Status.REVOKED)
    assert _may(requester, Deed.WITHDRAW, request) is undecided
    assert _may(requester, Deed.RECORD_HARM, request) is refused
    assert _may(requester, Deed.EDIT, request) is (status is Status.DRAFT)
    assert _may(requester, Deed.ANSWER, request) is (status is Status.MORE_INFO)
    assert _may(requester, Deed.REVOKE, request) is False


@pytest.mark.parametrize(
    "someone",
    [_user(Role.REQUESTER, OTHER_TRUST), _user(Role.REQUESTER, active=False), _user(Role.CLINICAL_DIRECTOR)],
)
def test_only_an_active_requester_of_the_trust_withdraws_edits_or_records_harm(someone: User) -> None:
    assert not _may(someone, Deed.WITHDRAW, _request(Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR))
    assert not _may(someone, Deed.EDIT, _request(Status.DRAFT))
    assert not _may(someone, Deed.RECORD_HARM, _request(Status.DECLINED))


def test_only_the_bma_revokes_and_only_an_approval() -> None:
    bma = _user(Role.BMA, trust=None)
    assert _may(bma, Deed.REVOKE, _request(Status.APPROVED))
    assert not _may(bma, Deed.REVOKE, _request(Status.REVOKED))
    assert not _may(bma, Deed.REVOKE, _request(Status.IN_REVIEW, Tier.BMA))
    assert not _may(_user(Role.BMA, trust=None, active=False), Deed.REVOKE, _request(Status.APPROVED))
    assert not _may(_user(Role.NATIONAL_MDT, trust=None), Deed.REVOKE, _request(Status.APPROVED))


def test_a_request_waits_for_the_reviewers_of_its_tier_only_while_in_review() -> None:
    at_cd = _request(Status.IN_REVIEW, Tier.CLINICAL_DIRECTOR)
    assert waits_for(_user(Role.CLINICAL_DIRECTOR), at_cd)
    assert not waits_for(_user(Role.TRUST_MD), at_cd)
    assert not waits_for(_user(Role.REQUESTER), at_cd)
    assert not waits_for(_user(Role.CLINICAL_DIRECTOR), _request(Status.MORE_INFO, Tier.CLINICAL_DIRECTOR))
    assert waits_for(_user(Role.BMA, trust=None), _request(Status.IN_REVIEW, Tier.BMA))
