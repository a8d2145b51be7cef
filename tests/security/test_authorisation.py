"""Authorisation matrix: every role × every core function that takes a request id.

For each cell: on a request outside the role's scope the function behaves exactly as for an id that
does not exist (same exception, same message, nothing changed), and on a request inside the scope it
does what the role may do. Lists and downloads never include a request outside the scope."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from core import queries, workflow
from core.access_control.visibility import visible_filter
from core.enums import Action, Role, Status
from core.models import DerogationRequest, Notification, StrikePeriod, User
from core.notifications import notify
from core.platform.db import read_session, write_session
from core.platform.errors import DerogationError
from core.records import audit
from core.request.form import RequestForm
from tests.conftest import TRUST_A, TRUST_OTHER_REGION, valid_form
from tests.security.world import REASON, TIER_STATES, approval, fingerprint, make_request

MISSING_ID = 1_000_000
OK, NF, PD, NA = "ok", "NotFound", "PermissionDenied", "NotAllowed"
ACTIONS = (
    "view",
    "record",
    "edit_form",
    "history",
    "save_draft",
    "submit",
    "withdraw",
    "answer",
    "review",
    "bma_decide",
    "revoke",
    "record_harm",
    "comment",
)
# What each role gets on a request of its own trust / region in the state the action needs.
# NotFound here means the rules hide that request from the role (e.g. drafts are the trust's own).
#                          view record form history draft submit withdraw answer review decide revoke harm comment
MATRIX = {
    Role.REQUESTER:         (OK, OK, OK, OK, OK, OK, OK, OK, PD, PD, PD, OK, OK),
    Role.CLINICAL_DIRECTOR: (OK, OK, NF, OK, PD, NF, PD, PD, OK, PD, PD, PD, OK),
    Role.TRUST_MD:          (OK, OK, NF, OK, PD, NF, PD, PD, OK, PD, PD, PD, OK),
    Role.REGIONAL_MD:       (OK, OK, NF, OK, PD, NF, PD, PD, OK, PD, PD, PD, OK),
    Role.NATIONAL_MDT:      (OK, OK, NF, OK, PD, NF, PD, PD, OK, PD, PD, PD, OK),
    Role.BMA:               (OK, OK, NF, OK, PD, NF, NF, NF, NA, OK, OK, PD, OK),
    Role.ADMIN:             (NF, NF, NF, NF, PD, NF, NF, NF, NF, NF, NF, NF, NF),
}  # fmt: skip
STATE_FOR = {
    "view": "bma",
    "record": "bma",
    "edit_form": "draft",
    "history": "bma",
    "save_draft": "draft",
    "submit": "draft",
    "withdraw": "clinical_director",
    "answer": "more_info",
    "bma_decide": "bma",
    "revoke": "approved",
    "record_harm": "declined",
    "comment": "bma",
}


def state_for(action: str, role: Role) -> str:
    if action != "review":
        return STATE_FOR[action]
    return role.value if role not in (Role.REQUESTER, Role.ADMIN) else "clinical_director"


def call(action: str, actor: User, request_id: object, version: int, period: StrikePeriod) -> None:
    """The core function behind each column, called as a page would."""
    if action in ("view", "record", "edit_form"):  # the request page and the form page read it the same way
        queries.request_record(actor, request_id)
    elif action == "history":
        with read_session() as session:
            audit.export_request(session, io.StringIO(), request_id, viewer=actor)
    elif action == "save_draft":
        workflow.save_draft(actor, valid_form(period, trust=actor.trust_code or TRUST_A), request_id, version)
    elif action == "submit":
        workflow.submit(actor, request_id, version)
    elif action == "withdraw":
        workflow.withdraw(actor, request_id, version, REASON)
    elif action == "answer":
        with read_session() as session:
            found = session.get(DerogationRequest, request_id)
        form = RequestForm.from_request(found) if found else valid_form(period)
        workflow.answer_more_info(actor, request_id, version, form, "The answer: two more consultants asked.")
    elif action == "review":
        workflow.review(actor, request_id, version, Action.ESCALATE, REASON)
    elif action == "bma_decide":
        with read_session() as session:
            found = session.get(DerogationRequest, request_id)
        decision = (
            approval(found)
            if found
            else workflow.BmaDecision(approve=False, rationale=REASON, reasons=["evidence_missing"])
        )
        workflow.bma_decide(actor, request_id, version, decision)
    elif action == "revoke":
        workflow.revoke(actor, request_id, version, REASON, reasons=["facts_changed"])
    elif action == "record_harm":
        workflow.record_harm(actor, request_id, version, "A patient waited six hours for review.")
    else:
        workflow.add_comment(actor, request_id, "Looking at this now.")


def outcome(action: str, actor: User, request: DerogationRequest | None, period: StrikePeriod) -> tuple[str, str]:
    request_id, version = (request.id, request.version) if request else (MISSING_ID, 1)
    try:
        call(action, actor, request_id, version, period)
    except DerogationError as exc:
        return type(exc).__name__, str(exc)
    return OK, ""


def invisible_to(actor: User, requests: list[DerogationRequest]) -> DerogationRequest:
    """The first of `requests` the actor's scope does not include."""
    with read_session() as session:
        visible = set(session.exec(select(DerogationRequest.id).where(visible_filter(actor))).all())
    return next(r for r in requests if r.id not in visible)


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", list(MATRIX), ids=lambda r: r.value)
def test_authorisation_matrix(role, action, team, staff, period):
    other = staff.team(trust=TRUST_OTHER_REGION, region="Y56")
    actor = team[role]
    state = state_for(action, role)
    # Out of scope: another region's request in the same state; for national roles, whose scope is
    # everywhere, a draft (the trust's own) or one the BMA has not been asked about.
    candidates = [make_request(other, period, state, trust=TRUST_OTHER_REGION)]
    if role in (Role.NATIONAL_MDT, Role.BMA):
        candidates.append(make_request(other, period, "draft", trust=TRUST_OTHER_REGION))
    theirs = invisible_to(actor, candidates)
    mine = make_request(team, period, state)

    before = fingerprint()
    outside = outcome(action, actor, theirs, period)
    missing = outcome(action, actor, None, period)
    assert outside == missing, "an out-of-scope request must read exactly like a missing one"
    assert outside[0] != OK
    assert fingerprint() == before

    expected = MATRIX[role][ACTIONS.index(action)]
    inside = outcome(action, actor, mine, period)
    assert inside[0] == expected, inside[1]


def test_matrix_rows_say_what_the_letter_says():
    """Read by column: only requesters change a trust's request, only the BMA decides and revokes."""
    column = {action: {role for role, row in MATRIX.items() if row[ACTIONS.index(action)] == OK} for action in ACTIONS}
    for action in ("save_draft", "submit", "withdraw", "answer", "record_harm", "edit_form"):
        assert column[action] == {Role.REQUESTER}
    assert column["bma_decide"] == column["revoke"] == {Role.BMA}
    assert column["review"] == {Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT}
    assert Role.ADMIN not in column["view"] | column["comment"]


# ---------------------------------------------------------------- lists and downloads


def ids_in_csv(text: str, column: str) -> set[int]:
    return {int(row[column]) for row in csv.DictReader(io.StringIO(text)) if row[column]}


LISTS = {
    "trust list": lambda user, period: {r.request.id for r in queries.trust_requests(user)[0]},
    "review queue": lambda user, period: {r.request.id for r in queries.queue(user)[0]},
    "dashboard list": lambda user, period: {
        r.request.id for r in queries.period_requests(user, period.id, queries.ListFilters())[0]
    },
    "attention": lambda user, period: {r.request.id for r in queries.attention(user, period.id)},
    "requests CSV": lambda user, period: ids_in_csv(queries.requests_csv(user, period.id, queries.ListFilters()), "id"),
    "audit CSV": lambda user, period: ids_in_csv(
        queries.audit_csv(user, period.id, queries.ListFilters()), "request_id"
    ),
}


@pytest.mark.parametrize("role", list(MATRIX), ids=lambda r: r.value)
def test_lists_hold_only_requests_in_scope(role, team, staff, period):
    other = staff.team(trust=TRUST_OTHER_REGION, region="Y56")
    for world, trust in ((team, TRUST_A), (other, TRUST_OTHER_REGION)):
        for state in ("draft", *TIER_STATES):  # one waiting at every tier, in both regions
            make_request(world, period, state, trust=trust)
    user = team[role]
    with read_session() as session:
        visible = set(session.exec(select(DerogationRequest.id).where(visible_filter(user))).all())
        elsewhere = set(
            session.exec(select(DerogationRequest.id).where(DerogationRequest.trust_code == TRUST_OTHER_REGION)).all()
        )
        drafts = set(session.exec(select(DerogationRequest.id).where(DerogationRequest.status == Status.DRAFT)).all())
    for listing, read in LISTS.items():
        shown = read(user, period)
        assert shown <= visible, listing
        if role in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.ADMIN):
            assert not shown & elsewhere, listing
        if role is not Role.REQUESTER:
            assert not shown & drafts, listing
    if role is not Role.ADMIN:  # the scope is not empty: the checks above had something to look at
        assert visible
        assert queries.request_record(user, min(visible)).request.id == min(visible)


def test_notifications_of_others_read_as_missing(team):
    """Marking someone else's notification read is ignored exactly like an id that does not exist."""
    with write_session() as session:
        theirs = Notification(user_id=team[Role.TRUST_MD].id, message="Waiting for your review")
        session.add(theirs)
    me = team[Role.CLINICAL_DIRECTOR]
    assert notify.mark_read(me, [theirs.id]) == notify.mark_read(me, [MISSING_ID]) == 0
    with read_session() as session:
        assert session.get(Notification, theirs.id).read_at is None
    assert notify.mark_read(team[Role.TRUST_MD], [theirs.id]) == 1  # the owner can


def test_deactivated_account_can_do_nothing(team, period):
    """A role withdrawn since sign-in takes effect at once: the session's User object is not trusted."""
    request = make_request(team, period, "clinical_director")
    reviewer = team[Role.CLINICAL_DIRECTOR]
    with write_session() as session:
        fresh = session.get(User, reviewer.id)
        fresh.active = False
        session.add(fresh)
    before = fingerprint()
    with pytest.raises(DerogationError):
        workflow.review(reviewer, request.id, request.version, Action.ESCALATE, REASON)
    assert fingerprint() == before
