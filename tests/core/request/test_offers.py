"""What the pages offer is what the workflow accepts: every person × every deed × every state a request
can be in. A page draws a deed's panel only when the request's record offers it (RequestRecord.offers,
from core.access_control.permissions); here each deed is then tried for real, with valid input, and must succeed exactly
when it was offered, and when refused, refuse with the message the page shows (a request the person
cannot see offers nothing, and the workflow refuses it).

SQLite only: who may act is decided in Python (core.access_control.permissions), the same on both databases, and the
grid is large; tests/core/workflow/test_route.py and friends run the workflow itself on both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import update

from core import queries, workflow
from core.access_control.permissions import Deed
from core.enums import REASONS_FOR, Action, BypassReviewReason, BypassState, Grade, Role, Tier
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import write_session
from core.platform.errors import DerogationError, NotFound
from core.request.form import RequestForm
from tests.conftest import TRUST_B, Staff, valid_form
from tests.core.conftest import REASON, bma_approval, escalate_to, make_team, reload

Build = Callable[[], tuple[DerogationRequest, dict[str, User]]]


def _reason(action: Action) -> list[str]:
    return [REASONS_FOR[action][0].value] if action in REASONS_FOR else []


def _attempt(deed: Deed, person: User, request: DerogationRequest, period: StrikePeriod) -> object:
    """Do `deed` with input the workflow takes, so only who may act decides the outcome."""
    rid, version, now = request.id, request.version, utcnow()
    if deed is Deed.EDIT:
        return workflow.save_draft(person, RequestForm.from_request(request), rid, version)
    if deed is Deed.SUBMIT:
        return workflow.submit(person, rid, version)
    if deed is Deed.ANSWER:
        return workflow.answer_more_info(person, rid, version, valid_form(period), "The registrar rota is attached.")
    if deed is Deed.WITHDRAW:
        return workflow.withdraw(person, rid, version, "No longer needed.")
    if deed is Deed.RECORD_HARM:
        return workflow.record_harm(person, rid, version, "A delayed review; no lasting harm.")
    if deed is Deed.REVIEW:
        return workflow.review(person, rid, version, Action.ESCALATE, REASON)
    if deed is Deed.BMA_DECIDE:
        decision = workflow.BmaDecision(approve=False, rationale=REASON, reasons=_reason(Action.DECLINE))
        return workflow.bma_decide(person, rid, version, decision)
    if deed is Deed.REVOKE:
        return workflow.revoke(person, rid, version, "New information.", reasons=_reason(Action.REVOKE))
    if deed is Deed.RECORD_BYPASS:
        recall = workflow.BypassRecall(
            recalled_at=now - timedelta(minutes=10), doctors=1, grades=[Grade.FY2.value], declared_by="Police"
        )
        return workflow.record_bypass(person, rid, version, recall)
    if deed is Deed.STAND_DOWN:
        return workflow.stand_down(person, rid, version, now, "Stood down at handover.")
    if deed is Deed.REVIEW_BYPASS:
        reasons = [BypassReviewReason.EVENT_CONFIRMED.value]
        return workflow.review_bypass(person, rid, version, BypassState.JUSTIFIED.value, reasons, REASON)
    assert deed is Deed.COMMENT
    return workflow.add_comment(person, rid, "Noted.")


@dataclass
class World:
    team: dict[Role, User]
    staff: Staff
    period: StrikePeriod

    def draft(self, **overrides) -> DerogationRequest:
        return workflow.save_draft(self.team[Role.REQUESTER], valid_form(self.period, **overrides))

    def filed(self, **overrides) -> DerogationRequest:
        draft = self.draft(**overrides)
        return workflow.submit(self.team[Role.REQUESTER], draft.id, draft.version)

    def at(self, tier: Tier, **overrides) -> DerogationRequest:
        return escalate_to(self.team, self.filed(**overrides), tier)

    def by(self, tier: Tier, action: Action, request: DerogationRequest | None = None) -> DerogationRequest:
        request = request or self.at(tier)
        reviewer = self.team[Role(tier.value)]
        return workflow.review(reviewer, request.id, request.version, action, REASON, reasons=_reason(action))

    def bma(self, approve: bool, request: DerogationRequest | None = None) -> DerogationRequest:
        request = request or self.at(Tier.BMA)
        decision = (
            bma_approval(request)
            if approve
            else workflow.BmaDecision(approve=False, rationale=REASON, reasons=_reason(Action.DECLINE))
        )
        return workflow.bma_decide(self.team[Role.BMA], request.id, request.version, decision)

    def bypassed(self, request: DerogationRequest | None = None) -> DerogationRequest:
        request = request or self.filed(mass_casualty=True)
        recall = workflow.BypassRecall(
            recalled_at=utcnow() - timedelta(minutes=30), doctors=2, grades=[Grade.FY2.value], declared_by="Police"
        )
        return workflow.record_bypass(self.team[Role.REQUESTER], request.id, request.version, recall)

    def period_ended(self, request: DerogationRequest) -> DerogationRequest:
        """The request's strike period ended a minute ago; the expiry job has not run yet."""
        now = utcnow()
        with write_session() as session:
            ended = StrikePeriod(
                name="Ended strike", starts_at=now - timedelta(days=1), ends_at=now - timedelta(minutes=1)
            )
            session.add(ended)
            session.flush()
            session.execute(
                update(DerogationRequest).where(DerogationRequest.id == request.id).values(strike_period_id=ended.id)
            )
        return request

    def expired(self) -> DerogationRequest:
        request = self.period_ended(self.at(Tier.TRUST_MD))
        workflow.expire_ended_periods()
        return reload(request.id)

    def filed_by_a_reviewer(self) -> tuple[DerogationRequest, dict[str, User]]:
        """Four eyes (docs/rules.md rule 6): the requester who filed it has since become a clinical director."""
        filer = self.staff.make(Role.REQUESTER, trust=self.team[Role.REQUESTER].trust_code)
        draft = workflow.save_draft(filer, valid_form(self.period))
        request = workflow.submit(filer, draft.id, draft.version)
        with write_session() as session:
            session.execute(update(User).where(User.id == filer.id).values(role=Role.CLINICAL_DIRECTOR.value))
        filer.role = Role.CLINICAL_DIRECTOR.value
        return request, {"the filer, now a clinical director": filer}

    def builds(self) -> dict[str, Build]:
        plain: dict[str, Callable[[], DerogationRequest]] = {
            "draft": self.draft,
            **{f"waiting at the {tier.label}": (lambda tier=tier: self.at(tier)) for tier in Tier},
            "returned for more information": lambda: self.by(Tier.CLINICAL_DIRECTOR, Action.RETURN_FOR_INFO),
            "resolved locally": lambda: self.by(Tier.TRUST_MD, Action.RESOLVE_LOCALLY),
            "declined by a tier": lambda: self.by(Tier.REGIONAL_MD, Action.DECLINE_CRITERIA),
            "approved": lambda: self.bma(approve=True),
            "declined by the BMA": lambda: self.bma(approve=False),
            "revoked": lambda: self._revoked(),
            "withdrawn": lambda: self._withdrawn(),
            "expired": self.expired,
            "mass casualty, waiting at the clinical director": lambda: self.filed(mass_casualty=True),
            "bypass recorded, on its route": self.bypassed,
            "bypass recorded, then declined by a tier": lambda: self.by(
                Tier.CLINICAL_DIRECTOR, Action.DECLINE_CRITERIA, self.bypassed()
            ),
            "period ended, waiting at the trust MD": lambda: self.period_ended(self.at(Tier.TRUST_MD)),
            "period ended, returned for more information": lambda: self.period_ended(
                self.by(Tier.CLINICAL_DIRECTOR, Action.RETURN_FOR_INFO)
            ),
            "period ended, mass casualty on its route": lambda: self.period_ended(self.filed(mass_casualty=True)),
        }
        builds: dict[str, Build] = {name: (lambda make=make: (make(), {})) for name, make in plain.items()}
        builds["filed by someone now a clinical director"] = self.filed_by_a_reviewer
        # Last, because it moves the strike's start into the future for every state after it.
        builds["draft, before the strike starts (docs/rules.md rule 1)"] = lambda: (self.before_the_strike(), {})
        return builds

    def before_the_strike(self) -> DerogationRequest:
        """A draft while no strike period is in progress: it can be saved, not submitted."""
        draft = self.draft()
        with write_session() as session:
            session.execute(
                update(StrikePeriod)
                .where(StrikePeriod.id == self.period.id)
                .values(starts_at=utcnow() + timedelta(hours=1))
            )
        return draft

    def _revoked(self) -> DerogationRequest:
        approved = self.bma(approve=True)
        reasons = _reason(Action.REVOKE)
        return workflow.revoke(self.team[Role.BMA], approved.id, approved.version, "New facts.", reasons=reasons)

    def _withdrawn(self) -> DerogationRequest:
        request = self.at(Tier.CLINICAL_DIRECTOR)
        return workflow.withdraw(self.team[Role.REQUESTER], request.id, request.version, "No longer needed.")


@pytest.fixture
def world(db: str, staff: Staff) -> World:
    now = utcnow()
    with write_session() as session:
        period = StrikePeriod(name="Test strike", starts_at=now - timedelta(hours=12), ends_at=now + timedelta(days=3))
        session.add(period)
    return World(make_team(staff), staff, period)


def _offered(person: User, request: DerogationRequest) -> dict[Deed, str | None]:
    """What the request's page offers `person` (every deed refused when they cannot see it), and why not."""
    try:
        record = queries.request_record(person, request.id)
    except NotFound:
        return {deed: "not found" for deed in Deed}
    return {deed: record.why_not(deed) for deed in Deed}


@pytest.mark.slow  # the whole grid of roles × states × deeds: the full suite runs it, the quick lane does not
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_what_the_pages_offer_is_what_the_workflow_accepts(world: World, staff: Staff) -> None:
    outsider = staff.make(Role.REQUESTER, trust=TRUST_B)
    everyone = {role.label: person for role, person in world.team.items()} | {"a requester of another trust": outsider}
    mismatches: list[str] = []
    accepted_somewhere: set[Deed] = set()
    for state, build in world.builds().items():
        request, extra = build()
        for who in [*everyone, *extra]:
            for deed in Deed:
                person = extra.get(who) or everyone[who]
                why_not = _offered(person, request)[deed]
                try:
                    _attempt(deed, person, request, world.period)
                except NotFound:
                    refused = "not found"
                except DerogationError as refusal:
                    refused = str(refusal)
                else:
                    refused = None
                    accepted_somewhere.add(deed)
                    request, extra = build()  # the deed changed the request: a fresh one for the next
                # Unseen: the page offers nothing and the workflow refuses. Seen: the page offers exactly what
                # the workflow accepts, and says the workflow's words when it does not.
                agree = refused is not None if why_not == "not found" else refused == why_not
                if not agree:
                    mismatches.append(f"{state} · {who} · {deed}: page says {why_not!r}, workflow says {refused!r}")
    assert not mismatches, "\n".join(mismatches)
    assert accepted_somewhere == set(Deed)  # every deed was possible for someone somewhere: the grid is not empty
