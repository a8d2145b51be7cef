"""Every state change tells exactly the people who must act or know next, and nobody else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from core import workflow
from core.enums import TIER_ORDER, Action, Role, Status, Tier
from core.models import DerogationRequest, EmailOutbox, Notification, StrikePeriod, User
from core.notifications import notify
from core.platform.clock import utcnow
from core.platform.db import write_session
from core.platform.errors import NotAllowed
from tests.conftest import TRUST_A, TRUST_OTHER_REGION, valid_form

ESCALATORS = {
    Tier.CLINICAL_DIRECTOR: "cd_a",
    Tier.TRUST_MD: "tmd_a",
    Tier.REGIONAL_MD: "rmd",
    Tier.NATIONAL_MDT: "nmdt",
}
TRUST_B = "RM3"  # Northern Care Alliance, also Y62 (conftest's RW6 has closed and is not loaded)
REQUESTERS_A = {"req_a1", "req_a2"}
EVERY_TIER_A = {"cd_a", "tmd_a", "rmd", "nmdt", "bma"}


class World:
    """Staff in and out of the request's scope: trust A and B share region Y62; trust O is in Y56."""

    def __init__(self, staff, period: StrikePeriod) -> None:
        self.period = period
        make = staff.make
        self.people: dict[str, User] = {
            "req_a1": make(Role.REQUESTER, trust=TRUST_A),
            "req_a2": make(Role.REQUESTER, trust=TRUST_A),
            "cd_a": make(Role.CLINICAL_DIRECTOR, trust=TRUST_A),
            "cd_a_closed": make(Role.CLINICAL_DIRECTOR, trust=TRUST_A),
            "tmd_a": make(Role.TRUST_MD, trust=TRUST_A),
            "req_b": make(Role.REQUESTER, trust=TRUST_B),
            "cd_b": make(Role.CLINICAL_DIRECTOR, trust=TRUST_B),
            "tmd_b": make(Role.TRUST_MD, trust=TRUST_B),
            "req_o": make(Role.REQUESTER, trust=TRUST_OTHER_REGION),
            "cd_o": make(Role.CLINICAL_DIRECTOR, trust=TRUST_OTHER_REGION),
            "rmd": make(Role.REGIONAL_MD, region="Y62"),
            "rmd_o": make(Role.REGIONAL_MD, region="Y56"),
            "nmdt": make(Role.NATIONAL_MDT),
            "bma": make(Role.BMA),
            "admin": make(Role.ADMIN),
        }
        with write_session() as session:  # a closed account is never told anything
            closed = session.get(User, self.people["cd_a_closed"].id)
            closed.active = False
            session.add(closed)
        self.names = {user.id: name for name, user in self.people.items()}

    def __getitem__(self, name: str) -> User:
        return self.people[name]

    def submitted(self, *, mass_casualty: bool = False) -> DerogationRequest:
        draft = workflow.save_draft(self["req_a1"], valid_form(self.period, mass_casualty=mass_casualty))
        return workflow.submit(self["req_a1"], draft.id, draft.version)

    def at(self, tier: Tier, *, mass_casualty: bool = False) -> DerogationRequest:
        request = self.submitted(mass_casualty=mass_casualty)
        for step in TIER_ORDER[: TIER_ORDER.index(tier)]:
            request = workflow.review(
                self[ESCALATORS[step]], request.id, request.version, Action.ESCALATE, "Risk real."
            )
        return request

    def review(self, request: DerogationRequest, action: Action) -> DerogationRequest:
        return workflow.review(
            self[ESCALATORS[Tier(request.current_tier)]],
            request.id,
            request.version,
            action,
            "Why.",
            reasons=["evidence_missing"],
        )

    def decide(self, request: DerogationRequest, approve: bool) -> DerogationRequest:
        decision = workflow.BmaDecision(
            approve=approve,
            rationale="Decided.",
            approved_doctors=1,
            approved_grades=["ST3+"],
            approved_window_start=request.window_start,
            approved_window_end=request.window_end,
            reasons=["evidence_missing"],
        )
        return workflow.bma_decide(self["bma"], request.id, request.version, decision)

    def notified(self, request_id: int, kind: Action | str) -> list[str]:
        """Names told about `kind` on the request (a list: anyone told twice shows twice)."""
        with write_session() as session:
            rows = session.exec(
                select(Notification.user_id).where(Notification.request_id == request_id, Notification.kind == kind)
            ).all()
        return sorted(self.names[user_id] for user_id in rows)


@pytest.fixture
def world(staff, period) -> World:
    return World(staff, period)


def _expire(w: World) -> DerogationRequest:
    request = w.at(Tier.REGIONAL_MD)
    workflow.expire_ended_periods(now=w.period.ends_at + timedelta(minutes=1))
    return request


def _resubmit(w: World) -> DerogationRequest:
    returned = w.review(w.at(Tier.TRUST_MD), Action.RETURN_FOR_INFO)
    form = valid_form(w.period)
    return workflow.answer_more_info(w["req_a2"], returned.id, returned.version, form, "Consultant rota attached.")


def _harm(w: World) -> DerogationRequest:
    declined = w.decide(w.at(Tier.BMA), approve=False)
    return workflow.record_harm(w["req_a1"], declined.id, declined.version, "Two patients waited 6 hours.")


def _revoke(w: World) -> DerogationRequest:
    approved = w.decide(w.at(Tier.BMA), approve=True)
    return workflow.revoke(
        w["bma"], approved.id, approved.version, "New information: cover found.", reasons=["facts_changed"]
    )


def _withdraw_at(tier: Tier, mass_casualty: bool = False) -> Callable[[World], DerogationRequest]:
    def run(w: World) -> DerogationRequest:
        request = w.at(tier, mass_casualty=mass_casualty)
        return workflow.withdraw(w["req_a2"], request.id, request.version, "Cover found.")

    return run


def _withdraw_returned(w: World) -> DerogationRequest:
    returned = w.review(w.at(Tier.REGIONAL_MD), Action.RETURN_FOR_INFO)
    return workflow.withdraw(w["req_a1"], returned.id, returned.version, "No longer needed.")


def _withdraw_draft(w: World) -> DerogationRequest:
    draft = workflow.save_draft(w["req_a1"], valid_form(w.period))
    return workflow.withdraw(w["req_a1"], draft.id, draft.version, "Filed by mistake.")


CASES: dict[str, tuple[Callable[[World], DerogationRequest], Action, set[str]]] = {
    "submit: clinical director of the trust": (lambda w: w.submitted(), Action.SUBMIT, {"cd_a"}),
    "escalate to trust MD": (lambda w: w.at(Tier.TRUST_MD), Action.ESCALATE, {"tmd_a"}),
    "escalate to region: its regional MDs": (lambda w: w.at(Tier.REGIONAL_MD), Action.ESCALATE, {"tmd_a", "rmd"}),
    "escalate to national MDT": (lambda w: w.at(Tier.NATIONAL_MDT), Action.ESCALATE, {"tmd_a", "rmd", "nmdt"}),
    "escalate to the BMA": (lambda w: w.at(Tier.BMA), Action.ESCALATE, {"tmd_a", "rmd", "nmdt", "bma"}),
    "mass casualty: every tier at once": (lambda w: w.submitted(mass_casualty=True), Action.SUBMIT, EVERY_TIER_A),
    "return for information: requesters": (
        lambda w: w.review(w.at(Tier.TRUST_MD), Action.RETURN_FOR_INFO),
        Action.RETURN_FOR_INFO,
        REQUESTERS_A,
    ),
    "answer goes back to the tier that asked": (_resubmit, Action.RESUBMIT, {"tmd_a"}),
    "resolved locally: requesters": (
        lambda w: w.review(w.at(Tier.CLINICAL_DIRECTOR), Action.RESOLVE_LOCALLY),
        Action.RESOLVE_LOCALLY,
        REQUESTERS_A,
    ),
    "declined on criteria: requesters": (
        lambda w: w.review(w.at(Tier.REGIONAL_MD), Action.DECLINE_CRITERIA),
        Action.DECLINE_CRITERIA,
        REQUESTERS_A,
    ),
    "approved: requesters": (lambda w: w.decide(w.at(Tier.BMA), True), Action.APPROVE, REQUESTERS_A),
    "declined by the BMA: requesters": (lambda w: w.decide(w.at(Tier.BMA), False), Action.DECLINE, REQUESTERS_A),
    "revoked: requesters": (_revoke, Action.REVOKE, REQUESTERS_A),
    "expired: requesters": (_expire, Action.EXPIRE, REQUESTERS_A),
    "withdrawn: the tier holding it": (_withdraw_at(Tier.REGIONAL_MD), Action.WITHDRAW, {"rmd"}),
    "withdrawn while returned: the tier that asked": (_withdraw_returned, Action.WITHDRAW, {"rmd"}),
    "withdrawn mass casualty: every tier": (
        _withdraw_at(Tier.TRUST_MD, mass_casualty=True),
        Action.WITHDRAW,
        EVERY_TIER_A,
    ),
    "withdrawn draft: nobody": (_withdraw_draft, Action.WITHDRAW, set()),
    "harm recorded: national MDT": (_harm, Action.RECORD_HARM, {"nmdt"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_state_change_tells_exactly_who_must_act(world: World, case: str) -> None:
    act, kind, expected = CASES[case]
    request = act(world)
    # "escalate" cases count every escalation on the way up; each reviewer is told once per hop.
    assert world.notified(request.id, kind) == sorted(expected)


def test_out_of_scope_and_closed_accounts_hear_nothing_on_the_whole_route(world: World) -> None:
    revoked = _revoke(world)
    _expire(world)
    with write_session() as session:
        told = {world.names[uid] for uid in session.exec(select(Notification.user_id)).all()}
    assert told == REQUESTERS_A | EVERY_TIER_A
    assert not told & {"req_b", "cd_b", "tmd_b", "req_o", "cd_o", "rmd_o", "admin", "cd_a_closed"}
    assert revoked.status == Status.REVOKED


def test_mass_casualty_is_flagged_in_every_message(world: World) -> None:
    request = world.at(Tier.TRUST_MD, mass_casualty=True)
    with write_session() as session:
        messages = session.exec(select(Notification.message).where(Notification.request_id == request.id)).all()
    assert messages and all("MASS CASUALTY" in m for m in messages)


def test_the_actor_is_never_told_of_their_own_action(world: World) -> None:
    request = world.at(Tier.TRUST_MD)
    with write_session() as session:
        fresh = session.get(DerogationRequest, request.id)
        notify.on_transition(session, fresh, Action.ESCALATE, world["tmd_a"], utcnow())
        notify.on_transition(session, fresh, Action.ESCALATE, None, utcnow())
    # Escalation to trust MD told tmd_a once; the call with tmd_a as actor added nobody; the system call added one.
    assert world.notified(request.id, Action.ESCALATE) == ["tmd_a", "tmd_a"]


def test_message_names_trust_and_service_and_no_email_without_smtp(world: World, monkeypatch) -> None:
    monkeypatch.delenv("DEROG_SMTP_HOST", raising=False)
    request = world.submitted()
    with write_session() as session:
        note = session.exec(select(Notification).where(Notification.request_id == request.id)).one()
        outbox = session.exec(select(EmailOutbox)).all()
    assert note.message == (
        f"Request {request.id} (Manchester University NHS Foundation Trust): Waiting for your review "
        "(Clinical director). Emergency department, Manchester Royal Infirmary."
    )
    assert outbox == []


def test_smtp_configured_queues_one_email_per_person_with_the_deep_link(world: World, monkeypatch) -> None:
    monkeypatch.setenv("DEROG_SMTP_HOST", "mail.invalid")  # queued only; nothing connects in the transaction
    monkeypatch.setenv("DEROG_BASE_URL", "https://derog.example.nhs.uk/")
    request = world.submitted(mass_casualty=True)
    with write_session() as session:
        outbox = session.exec(select(EmailOutbox).order_by(EmailOutbox.to_address)).all()
    assert sorted(m.to_address for m in outbox) == sorted(world[n].email for n in EVERY_TIER_A)
    for mail in outbox:
        assert f"https://derog.example.nhs.uk/request?id={request.id}" in mail.body
        assert mail.subject == f"Derogation request {request.id}: MASS CASUALTY: every tier is alerted at once"
        assert mail.sent_at is None and mail.attempts == 0


def test_a_refused_action_tells_nobody(world: World) -> None:
    request = world.at(Tier.TRUST_MD)
    with pytest.raises(NotAllowed, match="not yours"):
        workflow.review(world["cd_a"], request.id, request.version, Action.ESCALATE, "Wrong tier.")
    assert world.notified(request.id, Action.ESCALATE) == ["tmd_a"]
