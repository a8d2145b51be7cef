"""Row-level access: every list and load is scoped, and a request out of scope looks exactly like one
that does not exist."""

from __future__ import annotations

import numpy
import pytest
from sqlmodel import select

from core import queries, workflow
from core.access_control.visibility import load_visible, may_open, queue_filter, visible_filter
from core.accounts.users import update_user
from core.enums import Role, Tier
from core.models import DerogationRequest
from core.platform.db import read_session, write_session
from core.platform.errors import NotFound
from tests.conftest import TRUST_B, TRUST_OTHER_REGION, valid_form
from tests.core.conftest import escalate_to, file_request, make_team

MISSING = 10**9
JUNK_IDS = ["abc", "", " ", "1.5", "1e3", -1, 0, 10**30, -(10**30), None, True, 1.0, [1], {"id": 1}, b"1"]


@pytest.fixture
def world(staff, period):
    """Three trusts in two regions, with requests at several points of the route."""
    a = make_team(staff)  # R0A, North West
    b = make_team(staff, trust=TRUST_B)  # RM3, North West
    c = make_team(staff, trust=TRUST_OTHER_REGION, region="Y56")  # RJ1, London
    requests = {
        "a_draft": workflow.save_draft(a[Role.REQUESTER], valid_form(period)),
        "a_cd": file_request(a, period),
        "a_bma": escalate_to(a, file_request(a, period), Tier.BMA),
        "b_cd": file_request(b, period, trust=TRUST_B),
        "c_cd": file_request(c, period, trust=TRUST_OTHER_REGION),
    }
    return {"a": a, "b": b, "c": c, "ids": {name: r.id for name, r in requests.items()}}


def _visible(user) -> set[int]:
    with read_session() as session:
        return set(session.exec(select(DerogationRequest.id).where(visible_filter(user))).all())


def _names(world, *names) -> set[int]:
    return {world["ids"][name] for name in names}


SCOPES = [
    ("a", Role.REQUESTER, {"a_draft", "a_cd", "a_bma"}),  # the trust's own drafts too (shift handover)
    ("a", Role.CLINICAL_DIRECTOR, {"a_cd", "a_bma"}),  # the trust, not its drafts
    ("a", Role.TRUST_MD, {"a_cd", "a_bma"}),
    ("b", Role.REQUESTER, {"b_cd"}),
    ("b", Role.CLINICAL_DIRECTOR, {"b_cd"}),
    ("a", Role.REGIONAL_MD, {"a_cd", "a_bma", "b_cd"}),  # North West: both its trusts
    ("c", Role.REGIONAL_MD, {"c_cd"}),  # London
    ("a", Role.NATIONAL_MDT, {"a_cd", "a_bma", "b_cd", "c_cd"}),  # everything submitted
    ("a", Role.BMA, {"a_bma"}),  # only what was escalated to it
    ("a", Role.ADMIN, set()),  # manages the system, not requests
]


def test_each_role_sees_only_its_scope(world):
    for team, role, expected in SCOPES:
        user = world[team][role]
        visible = _names(world, *expected)
        assert _visible(user) == visible, (team, role)
        for name, request_id in world["ids"].items():
            if request_id in visible:
                assert queries.request_record(user, request_id).request.id == request_id
                continue
            # Out of scope: the same exception and message as an id that does not exist.
            with pytest.raises(NotFound) as out_of_scope:
                queries.request_record(user, request_id)
            with pytest.raises(NotFound) as missing:
                queries.request_record(user, MISSING)
            assert (type(out_of_scope.value), str(out_of_scope.value)) == (type(missing.value), str(missing.value))
            assert str(missing.value) == "That request was not found.", (team, role, name)


def test_junk_ids_read_as_not_found(world):
    user = world["a"][Role.REQUESTER]
    first = min(world["ids"].values())
    assert first == 1  # so that True, 1.0 and "1" would all hit a real request if coerced
    for junk in JUNK_IDS:
        with pytest.raises(NotFound, match="That request was not found."), read_session() as session:
            load_visible(session, user, junk)
    assert queries.request_record(user, "1").request.id == 1  # a deep link's id arrives as text
    assert queries.request_record(user, numpy.int64(1)).request.id == 1  # and a table selection's as numpy's integer


def test_after_the_bma_decides_it_still_sees_the_request(world):
    a = world["a"]
    request = queries.request_record(a[Role.BMA], world["ids"]["a_bma"]).request
    workflow.bma_decide(
        a[Role.BMA],
        request.id,
        request.version,
        workflow.BmaDecision(False, "Not evidenced.", reasons=["evidence_missing"]),
    )
    assert world["ids"]["a_bma"] in _visible(a[Role.BMA])


def test_an_inactive_account_sees_nothing(world):
    national = world["a"][Role.NATIONAL_MDT]
    with write_session() as session:
        closed = update_user(session, national.id, by=world["a"][Role.ADMIN], role=Role.NATIONAL_MDT, active=False)
    assert _visible(closed) == set()
    assert not may_open(closed, "dashboard")


def test_queues_hold_only_the_readers_own_tier_in_scope(world):
    a, c = world["a"], world["c"]

    def queue(user, tier):
        with read_session() as session:
            return set(session.exec(select(DerogationRequest.id).where(queue_filter(user, tier))).all())

    assert queue(a[Role.CLINICAL_DIRECTOR], Tier.CLINICAL_DIRECTOR) == _names(world, "a_cd")
    assert queue(c[Role.CLINICAL_DIRECTOR], Tier.CLINICAL_DIRECTOR) == _names(world, "c_cd")
    assert queue(a[Role.BMA], Tier.BMA) == _names(world, "a_bma")
    assert queue(a[Role.NATIONAL_MDT], Tier.NATIONAL_MDT) == set()
    assert queue(a[Role.NATIONAL_MDT], Tier.CLINICAL_DIRECTOR) == set()  # not its tier, though it can see them
    assert queue(a[Role.REQUESTER], Tier.CLINICAL_DIRECTOR) == set()


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        (Role.REQUESTER, {"file_request", "my_requests", "request_detail", "inbox"}),
        (Role.BMA, {"review_queue", "request_detail", "inbox"}),
        (Role.ADMIN, {"admin", "inbox"}),
    ],
)
def test_pages_follow_the_role(team, role, pages):
    user = team[role]
    assert {
        page
        for page in (
            "file_request",
            "my_requests",
            "review_queue",
            "request_detail",
            "dashboard",
            "requests_list",
            "admin",
            "inbox",
        )
        if may_open(user, page)
    } == pages
    assert not may_open(None, "inbox") and not may_open(user, "no_such_page")
