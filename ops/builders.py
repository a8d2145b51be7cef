"""Builders of people, strike periods and requests in any state, each step through the real commands
(core.workflow, core.accounts.users): the one home of "file a request, escalate it, approve, decline,
revoke, record a bypass" for the tests, the demo seed (ops/seed.py), the browser tests' database
(tests/browser/setup_db.py) and the benchmarks (bench/).

It lives in ops/, not tests/, because the demo seed is production tooling and may not import the tests;
and not in core/, because it holds no rule: only sensible defaults for the forms and decisions the rules
judge. Every builder that changes a request returns the request as saved (its new version)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlmodel import Session

from core import workflow
from core.access_control.scope import ScopeKind, kind_of
from core.accounts.users import create_user
from core.enums import Action, AdminAction, Grade, Mitigation, Reason, Role, Tier
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import write_session
from core.records import audit
from core.request.form import RequestForm

DEFAULT_TRUST, DEFAULT_REGION = "R0A", "Y62"  # Manchester University NHS Foundation Trust, North West
REASON = "Checked with the service and the on-call consultant."
APPROVAL_RATIONALE = "Risk evidenced and mitigations exhausted."
DECLINE_RATIONALE = "Mitigations not evidenced."
DECLINE_REASONS = (Reason.EVIDENCE_MISSING.value,)
REVOKE_REASON = "New information: consultant cover found."
MORE_INFO_QUESTION = "Which consultants were asked, and when?"

# The states request_in_state walks a request to: a draft, waiting at a tier, back with the trust, or closed.
TIER_STATES = tuple(tier.value for tier in Tier)
STATES = ("draft", *TIER_STATES, "more_info", "approved", "declined", "not_eligible")

Team = Mapping[Role, User]  # one person per role, with scope over the request's trust


# ---------------------------------------------------------------- people and strike periods


def make_team(
    trust: str = DEFAULT_TRUST,
    region: str = DEFAULT_REGION,
    *,
    email: str = "{role}{number}@test.nhs.uk",
    first_number: int = 1,
    password: str | None = None,
) -> dict[Role, User]:
    """One person per role over `trust` (trust roles) and `region` (the regional MD), created in one
    transaction. `email` is formatted with the role's value and a running number from `first_number`."""
    made = {}
    with write_session() as session:
        for number, role in enumerate(Role, start=first_number):
            made[role] = create_user(
                session,
                email=email.format(role=role.value, number=number),
                full_name=f"{role.label} {number}",
                role=role,
                password=password,
                trust_code=trust if kind_of(role) is ScopeKind.TRUST else None,
                region_code=region if kind_of(role) is ScopeKind.REGION else None,
            )
    return made


def add_period(
    starts_at: datetime,
    ends_at: datetime,
    name: str = "Strike",
    *,
    session: Session | None = None,
    at: datetime | None = None,
) -> StrikePeriod:
    """A strike period, audited as Administration audits a new one (core.accounts.admin.save_period), so the
    history vouches for it. Unlike save_period it needs no administrator and may overlap or lie in the past,
    as fixtures must. Inside the caller's transaction when given `session`."""
    if session is None:
        with write_session() as own:
            return add_period(starts_at, ends_at, name, session=own, at=at)
    period = StrikePeriod(name=name, starts_at=starts_at, ends_at=ends_at)
    session.add(period)
    session.flush()
    after = {"name": period.name, "starts_at": period.starts_at.isoformat(), "ends_at": period.ends_at.isoformat()}
    details = {"period_id": period.id, "before": {}, "after": after}
    audit.append(session, action=AdminAction.PERIOD_CREATED, actor=None, details=details, at=at or utcnow())
    return period


# ---------------------------------------------------------------- the trust's form and filing


def request_form(trust: str = DEFAULT_TRUST, now: datetime | None = None, **overrides: object) -> RequestForm:
    """A complete, eligible request of `trust`: the risk an hour after `now` (default: the clock), a decision
    needed two hours later, a 12-hour window from an hour after that. Override any field by name."""
    now = now or utcnow()
    form = RequestForm(
        trust_code=trust,
        site="Manchester Royal Infirmary",
        service="Emergency department",
        ward="Majors",
        category="urgent_emergency",
        risk_description="Only one registrar for 40 patients overnight; sepsis reviews will wait.",
        patients_affected=40,
        risk_from=now + timedelta(hours=1),
        decision_needed_by=now + timedelta(hours=3),
        doctors_on_duty=1,
        minimum_safe_doctors=4,
        doctors_requested=3,
        grades_requested=[Grade.FY2.value, Grade.ST3_PLUS.value],
        window_start=now + timedelta(hours=4),
        window_end=now + timedelta(hours=16),
        mitigations={
            Mitigation.CONSULTANTS_SAS.value: {"tried": True, "note": "All eight consultants asked; two are covering."},
            Mitigation.ELECTIVE_STOOD_DOWN.value: {
                "tried": True,
                "note": "All elective lists cancelled for the strike.",
            },
        },
        contact_name="Priya Shah",
        contact_role="Rota coordinator",
        contact_phone="0161 276 1234",
        contact_email="rota@mft.nhs.uk",
    )
    for name, value in overrides.items():
        setattr(form, name, value)
    return form


def file(
    requester: User,
    form: RequestForm,
    now: datetime | None = None,
    *,
    drafted_at: datetime | None = None,
    submit: bool = True,
) -> DerogationRequest:
    """Save `form` as a draft (at `drafted_at`, default `now`) and, unless `submit` is false, submit it at
    `now`: it then waits at the clinical director."""
    draft = workflow.save_draft(requester, form, now=drafted_at or now)
    if not submit:
        return draft
    return workflow.submit(requester, draft.id, draft.version, now=now)


def file_request(
    team: Team, period: StrikePeriod, now: datetime | None = None, **overrides: object
) -> DerogationRequest:
    """File a valid request (request_form with `overrides`) as the team's requester, for its trust; it waits
    at the clinical director. With `now`, the form's times are placed relative to it. The request must
    land in `period`, so a test that meant another period fails here rather than later."""
    requester = team[Role.REQUESTER]
    form = request_form(**({"trust": requester.trust_code or DEFAULT_TRUST, "now": now} | overrides))
    request = file(requester, form, now)
    if request.strike_period_id != period.id:
        raise AssertionError(f"request {request.id} was filed in period {request.strike_period_id}, not {period.id}")
    return request


# ---------------------------------------------------------------- the route


def escalate_to(
    team: Team, request: DerogationRequest, tier: Tier, now: datetime | None = None, rationale: str = REASON
) -> DerogationRequest:
    """Escalate one tier at a time, each by the team's reviewer for that tier, until `tier` is reached."""
    while request.current_tier != tier.value:
        reviewer = team[Role(request.current_tier)]
        request = workflow.review(reviewer, request.id, request.version, Action.ESCALATE, rationale, now=now)
    return request


def return_for_info(
    reviewer: User, request: DerogationRequest, now: datetime | None = None, question: str = MORE_INFO_QUESTION
) -> DerogationRequest:
    """The reviewer at the request's tier sends it back to the trust for more information."""
    return workflow.review(
        reviewer, request.id, request.version, Action.RETURN_FOR_INFO, question, now=now, reasons=DECLINE_REASONS
    )


def approval(request: DerogationRequest, **overrides: object) -> workflow.BmaDecision:
    """An approval exactly as wide as the request, for its ward (or service); override fields to narrow or
    widen it."""
    values = {
        "approve": True,
        "rationale": APPROVAL_RATIONALE,
        "approved_doctors": request.doctors_requested,
        "approved_grades": list(request.grades_requested),
        "approved_window_start": request.window_start,
        "approved_window_end": request.window_end,
        "approved_scope": f"{request.ward or request.service} only",
    }
    return workflow.BmaDecision(**(values | overrides))


def approval_of_one(request: DerogationRequest, **overrides: object) -> workflow.BmaDecision:
    """An approval narrower than asked, as the BMA often gives: one doctor, of the first grade asked."""
    return approval(
        request, **({"approved_doctors": 1, "approved_grades": list(request.grades_requested[:1])} | overrides)
    )


def refusal(rationale: str = DECLINE_RATIONALE, reasons: list[str] | None = None) -> workflow.BmaDecision:
    """The BMA's decline, with its reasons (core.enums.Reason values)."""
    return workflow.BmaDecision(approve=False, rationale=rationale, reasons=list(reasons or DECLINE_REASONS))


def approve(
    bma: User, request: DerogationRequest, now: datetime | None = None, **overrides: object
) -> DerogationRequest:
    """The BMA approves the request waiting at it (approval() with `overrides`)."""
    return workflow.bma_decide(bma, request.id, request.version, approval(request, **overrides), now=now)


def decline(
    bma: User,
    request: DerogationRequest,
    now: datetime | None = None,
    rationale: str = DECLINE_RATIONALE,
    reasons: list[str] | None = None,
) -> DerogationRequest:
    """The BMA declines the request waiting at it."""
    return workflow.bma_decide(bma, request.id, request.version, refusal(rationale, reasons), now=now)


def revoke(
    bma: User,
    request: DerogationRequest,
    now: datetime | None = None,
    reason: str = REVOKE_REASON,
    reasons: list[str] | None = None,
) -> DerogationRequest:
    """The BMA revokes an approval because the facts changed."""
    reasons = [Reason.FACTS_CHANGED.value] if reasons is None else reasons
    return workflow.revoke(bma, request.id, request.version, reason, now=now, reasons=reasons)


def record_bypass(
    requester: User, request: DerogationRequest, now: datetime | None = None, **overrides: object
) -> DerogationRequest:
    """The trust records that it recalled doctors at once under the failsafe bypass (docs/rules.md rule 5):
    by default two doctors (or fewer, if fewer were asked for) of the first grade asked, ten minutes ago."""
    now = now or utcnow()
    values = {
        "recalled_at": now - timedelta(minutes=10),
        "doctors": min(2, request.doctors_requested),
        "grades": list(request.grades_requested[:1]),
        "declared_by": "Greater Manchester Police: major incident declared",
        "note": "Agreed by the trust's gold command while the request was filed.",
    }
    recall = workflow.BypassRecall(**(values | overrides))
    return workflow.record_bypass(requester, request.id, request.version, recall, now=now)


def request_in_state(
    team: Team, state: str, form: RequestForm | None = None, now: datetime | None = None
) -> DerogationRequest:
    """A request filed by the team's requester (`form`, default request_form for its trust) and walked by
    the team's reviewers to `state`, one of STATES: "draft", a tier's value (waiting there), "more_info"
    (returned by the clinical director), "approved" (approval_of_one), "declined" (by the
    BMA) or "not_eligible" (declined on the criteria by the clinical director)."""
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; one of {STATES}")
    requester = team[Role.REQUESTER]
    form = form or request_form(trust=requester.trust_code or DEFAULT_TRUST, now=now)
    request = file(requester, form, now, submit=state != "draft")
    if state == "draft":
        return request
    if state == "more_info":
        return return_for_info(team[Role.CLINICAL_DIRECTOR], request, now)
    if state == "not_eligible":
        return workflow.review(
            team[Role.CLINICAL_DIRECTOR],
            request.id,
            request.version,
            Action.DECLINE_CRITERIA,
            REASON,
            now=now,
            reasons=DECLINE_REASONS,
        )
    request = escalate_to(team, request, Tier.BMA if state in ("approved", "declined") else Tier(state), now)
    if state == "approved":
        return workflow.bma_decide(team[Role.BMA], request.id, request.version, approval_of_one(request), now=now)
    if state == "declined":
        return decline(team[Role.BMA], request, now)
    return request
