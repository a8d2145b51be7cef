"""Demo data: one account per role, strike periods, and a few hundred requests walked through the
real workflow (so every row has its true audit history)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect
from sqlmodel import Session, select

from core import workflow
from core.access_control.scope import ScopeKind, kind_of
from core.accounts.users import create_user
from core.enums import (
    ELIGIBLE_CATEGORIES,
    Action,
    Category,
    Grade,
    Mitigation,
    Priority,
    Reason,
    Role,
    Tier,
)
from core.models import DerogationRequest, StrikePeriod, Trust, User
from core.platform.clock import LONDON, utcnow
from core.platform.db import get_engine, write_session
from core.platform.errors import DerogationError
from core.reference import periods
from core.reference.nhs_organisations import load_reference_data
from core.request.form import RequestForm
from ops import builders
from ops.seed_cover import seed_cover_registers

DEMO_PASSWORD = "Demo-password-2026"  # demo data only; never used outside a demo database
DEMO_TRUST = "R0A"  # Manchester University NHS Foundation Trust, North West
DEMO_OTHER_TRUST = "RJ1"  # Guy's and St Thomas' NHS Foundation Trust, London
DEMO_REGION = "Y62"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: Role
    trust_code: str | None = None
    region_code: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("requester@demo.nhs.uk", "Priya Shah", Role.REQUESTER, DEMO_TRUST),
    DemoAccount("clinical.director@demo.nhs.uk", "Dr Tom Evans", Role.CLINICAL_DIRECTOR, DEMO_TRUST),
    DemoAccount("medical.director@demo.nhs.uk", "Dr Aisha Khan", Role.TRUST_MD, DEMO_TRUST),
    DemoAccount("regional@demo.nhs.uk", "Dr Sam Wright", Role.REGIONAL_MD, region_code=DEMO_REGION),
    DemoAccount("national@demo.nhs.uk", "Dr Ruth Okafor", Role.NATIONAL_MDT),
    DemoAccount("bma@demo.bma.org.uk", "Dr Ben Carter", Role.BMA),
    DemoAccount("admin@demo.nhs.uk", "Jo Bennett", Role.ADMIN),
    DemoAccount("requester.london@demo.nhs.uk", "Mark Lee", Role.REQUESTER, DEMO_OTHER_TRUST),
)

SERVICES = {
    Category.MAJOR_INCIDENT: ["Emergency department", "Trauma and orthopaedics", "Critical care"],
    Category.URGENT_EMERGENCY: [
        "Emergency department",
        "Acute medicine",
        "Paediatric emergency department",
        "General surgery on call",
        "Acute medical unit",
    ],
    Category.P1_P2_TIME_CRITICAL: ["General surgery", "Vascular surgery", "Urology", "Neurosurgery"],
    Category.CANCER: ["Oncology", "Haematology", "Colorectal surgery", "Breast surgery"],
    Category.TIME_CRITICAL_INTERVENTION: ["Obstetrics", "Maternity theatres", "Interventional radiology"],
}
SITES = ["Royal Infirmary", "General Hospital", "District Hospital", "University Hospital", "Memorial Hospital"]
WARDS = ["Ward 3", "Ward 7", "Majors", "Resus", "Delivery suite", "Theatres", "AMU", "Ward 12", ""]
RISKS = [
    "Only one registrar for {n} patients overnight; time-critical reviews will be missed and deteriorating patients will wait.",
    "{n} patients awaiting time-critical surgery will breach their P-category window without a second middle-grade.",
    "Cancer patients ({n}) due chemotherapy cannot be reviewed safely; neutropenic sepsis cover is below minimum.",
    "Elective caesarean list of {n} women cannot run safely without an obstetric resident on the delivery suite.",
    "Major incident declared; {n} casualties expected and the emergency department is below minimum safe staffing.",
]
RATIONALES = {
    Action.ESCALATE: "Mitigations exhausted locally; risk confirmed with the on-call consultant. Escalating.",
    Action.RESOLVE_LOCALLY: "Consultant cover arranged after a call with the service; no recall needed.",
    Action.RETURN_FOR_INFO: "Please evidence which consultants and SAS doctors were asked and when.",
    Action.DECLINE_CRITERIA: "This is routine work that can be rescheduled; it does not meet the criteria.",
    Action.APPROVE: "Patient safety risk evidenced and mitigations exhausted. Approved as set out.",
    Action.DECLINE: "Consultant cover has not been shown to be exhausted.",
}


# The reasons the demo's reviewers give, most likely first (since late 2025 the BMA declines where non-urgent
# work was still running or non-striking doctors were not offered incentives).
SEED_REASONS = {
    Action.RETURN_FOR_INFO: (Reason.EVIDENCE_MISSING, Reason.COVER_NOT_TRIED, Reason.INCENTIVES_NOT_OFFERED),
    Action.DECLINE_CRITERIA: (Reason.NOT_ELIGIBLE, Reason.NO_URGENT_NEED, Reason.NON_URGENT_WORK_RUNNING),
    Action.DECLINE: (
        Reason.NON_URGENT_WORK_RUNNING,
        Reason.INCENTIVES_NOT_OFFERED,
        Reason.COVER_NOT_TRIED,
        Reason.EVIDENCE_MISSING,
        Reason.OTHER,
    ),
    Action.REVOKE: (Reason.FACTS_CHANGED,),
}


def seed_reasons(action: Action, request_id: int) -> list[str]:
    """One or two reasons for a demo decline, return or revocation (drawn from their own generator, so the
    rest of the demo data does not depend on them)."""
    choices = SEED_REASONS.get(action, ())
    if not choices:
        return []
    rng = random.Random(request_id * 31 + len(action.value))
    first = choices[min(int(rng.expovariate(1.0)), len(choices) - 1)]
    second = rng.choice(choices) if rng.random() < 0.35 else first
    return [r.value for r in choices if r in (first, second)]


def london(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=LONDON).astimezone(UTC)


def ensure_periods(session: Session, now: datetime) -> tuple[StrikePeriod, StrikePeriod]:
    """The July 2025 strike (history) and one in progress now (so the demo can submit)."""
    july_name = "July 2025 resident doctors' strike"
    july = session.exec(select(StrikePeriod).where(StrikePeriod.name == july_name)).first()
    if july is None:
        july = builders.add_period(london(2025, 7, 25, 7), london(2025, 7, 30, 7), july_name, session=session, at=now)
    current = periods.current(session, now)
    if current is None:
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=36)
        name = "Demo strike (in progress)"
        current = builders.add_period(start, start + timedelta(days=5), name, session=session, at=now)
    return july, current


def ensure_demo_accounts(session: Session) -> None:
    for account in DEMO_ACCOUNTS:
        if session.exec(select(User).where(User.email == account.email)).first() is None:
            create_user(
                session,
                email=account.email,
                full_name=account.full_name,
                role=account.role,
                password=DEMO_PASSWORD,
                trust_code=account.trust_code,
                region_code=account.region_code,
                job_title=account.role.label,
                phone="0161 276 1234",
            )


SYNTHETIC_DOMAIN = "synthetic.demo.nhs.uk"  # the cast below: accounts that cannot sign in


class NotADemoDatabase(DerogationError):
    """The database holds accounts of real people: the demo, whose password is published, stays out."""


def refuse_real_accounts() -> None:
    """NotADemoDatabase if any account is neither a demo account nor one of the demo's synthetic cast.
    Read before anything is written (migrations included), so a refused database is left as it was."""
    engine = get_engine()
    if not inspect(engine).has_table(User.__tablename__):
        return
    demo = {account.email for account in DEMO_ACCOUNTS}
    with engine.connect() as connection:
        emails = connection.execute(select(User.email)).scalars().all()
    others = sorted(email for email in emails if email not in demo and not email.endswith(f"@{SYNTHETIC_DOMAIN}"))
    if others:
        raise NotADemoDatabase(
            f"This database holds {len(others)} account(s) that are not the demo's (the first: {others[0]}). "
            "The demo accounts share a published password and must never sit beside real ones, so nothing "
            "was changed. Seed the demo into a new, empty database."
        )


class Cast:
    """Synthetic staff who file and review the generated requests (they cannot sign in)."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str, int], User] = {}

    def get(self, role: Role, scope: str = "national", index: int = 0) -> User:
        key = (role.value, scope, index)
        if key not in self.cache:
            email = f"{role.value}.{index}.{scope}@{SYNTHETIC_DOMAIN}".lower()
            with write_session() as session:
                user = session.exec(select(User).where(User.email == email)).first() or create_user(
                    session,
                    email=email,
                    full_name=f"{role.label} {index + 1} ({scope})",
                    role=role,
                    password=None,
                    trust_code=scope if kind_of(role) is ScopeKind.TRUST else None,
                    region_code=scope if kind_of(role) is ScopeKind.REGION else None,
                )
            self.cache[key] = user
        return self.cache[key]

    def reviewer(self, tier: Tier, request: DerogationRequest, rng: random.Random) -> User:
        role = tier.reviewer_role
        if tier in (Tier.CLINICAL_DIRECTOR, Tier.TRUST_MD):
            return self.get(role, request.trust_code)
        if tier is Tier.REGIONAL_MD:
            return self.get(role, request.region_code)
        return self.get(role, "national", rng.randrange(2))


def make_form(rng: random.Random, trust: Trust, start: datetime, period: StrikePeriod) -> RequestForm:
    category = rng.choices(ELIGIBLE_CATEGORIES, weights=[1, 8, 4, 3, 2])[0]
    on_duty = rng.randint(0, 4)
    minimum = on_duty + rng.randint(1, 4)
    window_start = start + timedelta(minutes=rng.randint(60, 180))
    window_end = min(window_start + timedelta(hours=rng.choice([8, 12, 24])), period.ends_at)
    needed_by = start + (window_start - start) * rng.uniform(0.4, 0.9)
    n = rng.randint(2, 60)
    mitigations = {
        Mitigation.CONSULTANTS_SAS.value: {
            "tried": True,
            "note": "All consultants and SAS doctors on the rota asked; two agreed.",
        },
        Mitigation.ELECTIVE_STOOD_DOWN.value: {"tried": True, "note": "All electives stood down for the strike days."},
    }
    if rng.random() < 0.7:
        mitigations[Mitigation.ENHANCED_RATES.value] = {
            "tried": True,
            "note": "Enhanced bank and locum rates offered; no takers.",
        }
    if rng.random() < 0.4:
        mitigations[Mitigation.MUTUAL_AID.value] = {
            "tried": True,
            "note": "Neighbouring trusts asked; none can release staff.",
        }
    return RequestForm(
        trust_code=trust.ods_code,
        site=f"{trust.name.split(' NHS')[0]} {rng.choice(SITES)}",
        service=rng.choice(SERVICES[category]),
        ward=rng.choice(WARDS),
        category=category.value,
        priority=rng.choice(list(Priority)).value if category is Category.P1_P2_TIME_CRITICAL else None,
        risk_description=rng.choice(RISKS).format(n=n),
        patients_affected=n,
        risk_from=window_start,
        decision_needed_by=needed_by,
        doctors_on_duty=on_duty,
        minimum_safe_doctors=minimum,
        doctors_requested=rng.randint(1, minimum - on_duty),
        grades_requested=sorted(rng.sample([g.value for g in Grade], rng.randint(1, 3))),
        window_start=window_start,
        window_end=window_end,
        mitigations=mitigations,
        local_agreement_sought=rng.random() < 0.5,
        local_agreement_with="Local BMA representative",
        mass_casualty=category is Category.MAJOR_INCIDENT and rng.random() < 0.4,
        contact_name="Rota coordinator",
        contact_role="Medical staffing lead",
        contact_phone="0161 276 1234",
        contact_email="rota@demo.nhs.uk",
    )


def _approval(request: DerogationRequest, rng: random.Random) -> workflow.BmaDecision:
    """An approval as the BMA gives them: often a doctor or a grade fewer, for one ward or service."""
    return builders.approval(
        request,
        rationale=RATIONALES[Action.APPROVE],
        approved_doctors=max(1, request.doctors_requested - rng.randint(0, 1)),
        approved_grades=request.grades_requested[: max(1, len(request.grades_requested) - 1)],
    )


def _walk(request: DerogationRequest, cast: Cast, rng: random.Random, when: datetime, now: datetime) -> None:
    """Take the request up the route with realistic choices, stopping where 'now' is reached."""
    requester = cast.get(Role.REQUESTER, request.trust_code)
    version = request.version
    tier = Tier.CLINICAL_DIRECTOR
    while True:
        when += timedelta(minutes=rng.randint(10, 150))
        if when >= now:
            return  # still waiting at this tier
        actor = cast.reviewer(tier, request, rng)
        if tier is Tier.BMA:
            roll = rng.random()
            if roll < 0.3 and when < request.window_end:
                decision = _approval(request, rng)
            else:
                decision = workflow.BmaDecision(
                    approve=False,
                    rationale=RATIONALES[Action.DECLINE],
                    reasons=seed_reasons(Action.DECLINE, request.id),
                )
            request = workflow.bma_decide(actor, request.id, version, decision, now=when)
            if decision.approve and rng.random() < 0.08 and when + timedelta(hours=2) < now:
                builders.revoke(
                    actor, request, when + timedelta(hours=2), reasons=seed_reasons(Action.REVOKE, request.id)
                )
            return
        if rng.random() < 0.05:
            workflow.withdraw(requester, request.id, version, "Cover found; request no longer needed.", now=when)
            return
        action = rng.choices(
            [Action.ESCALATE, Action.RESOLVE_LOCALLY, Action.RETURN_FOR_INFO, Action.DECLINE_CRITERIA],
            weights=[82, 8, 5, 5],
        )[0]
        request = workflow.review(
            actor, request.id, version, action, RATIONALES[action], now=when, reasons=seed_reasons(action, request.id)
        )
        version = request.version
        if action is Action.RETURN_FOR_INFO:
            when += timedelta(minutes=rng.randint(10, 60))
            if when >= now:
                return
            form = RequestForm.from_request(request)
            form.decision_needed_by = max(form.decision_needed_by, when + timedelta(minutes=30))
            if form.decision_needed_by >= form.window_end:
                workflow.withdraw(requester, request.id, version, "Too late to be useful; withdrawn.", now=when)
                return
            request = workflow.answer_more_info(
                requester,
                request.id,
                version,
                form,
                "Consultants asked: Dr A (declined, on leave), Dr B (covering days only).",
                now=when,
            )
            version = request.version
            continue
        if action is not Action.ESCALATE:
            return
        tier = tier.next


def seed_requests(
    count: int,
    period: StrikePeriod,
    now: datetime,
    rng: random.Random,
    cast: Cast,
    trusts: list[Trust],
    end: datetime | None = None,
) -> int:
    """File `count` requests spread over the period up to `end` and walk each up the route."""
    end = min(end or now, period.ends_at)
    span = (end - period.starts_at).total_seconds()
    made = 0
    for _ in range(count):
        trust = rng.choice(trusts)
        filed = period.starts_at + timedelta(seconds=rng.uniform(0, span * 0.97))
        form = make_form(rng, trust, filed, period)
        requester = cast.get(Role.REQUESTER, trust.ods_code)
        try:
            request = builders.file(requester, form, filed, drafted_at=filed - timedelta(minutes=5))
            _walk(request, cast, rng, filed, min(now, period.ends_at))
            made += 1
        except DerogationError as exc:  # a generated request that breaks a rule is a bug in this file
            raise RuntimeError(f"demo data broke a rule: {exc}") from exc
    return made


# Requests of the demo trust walked by the demo accounts, so that every queue has something waiting and
# every outcome is on show however few requests are asked for. "expire" is left open in July 2025.
E = Action.ESCALATE
SHOWCASE: tuple[tuple[Action, ...], ...] = (
    (),  # waiting at the clinical director (and flagged mass casualty)
    (E,),
    (E, E),
    (E, E, E),
    (E, E, E, E),  # waiting at the BMA
    (E, Action.RETURN_FOR_INFO),
    (Action.RESOLVE_LOCALLY,),
    (E, E, Action.DECLINE_CRITERIA),
    (E, E, E, E, Action.APPROVE),
    (E, E, E, E, Action.DECLINE),
    (E, E, E, E, Action.APPROVE, Action.REVOKE),
    (E, Action.WITHDRAW),
    (E, E, Action.EXPIRE),
)


def _play(request: DerogationRequest, steps: tuple[Action, ...], people: dict[Role, User], when: datetime) -> None:
    rng = random.Random(request.id)
    for action in steps:
        when += timedelta(minutes=5)
        if action is Action.EXPIRE:
            return  # left open: expire_ended_periods closes it with its period
        if action is Action.WITHDRAW:
            request = workflow.withdraw(people[Role.REQUESTER], request.id, request.version, "Cover found.", now=when)
        elif action is Action.REVOKE:
            request = builders.revoke(people[Role.BMA], request, when)
        elif action is Action.APPROVE:
            request = workflow.bma_decide(
                people[Role.BMA], request.id, request.version, _approval(request, rng), now=when
            )
        elif action is Action.DECLINE:
            reasons = [Reason.NON_URGENT_WORK_RUNNING.value, Reason.INCENTIVES_NOT_OFFERED.value]
            request = builders.decline(people[Role.BMA], request, when, RATIONALES[Action.DECLINE], reasons)
        else:
            actor = people[Role(request.current_tier)]
            reasons = seed_reasons(action, request.id)
            request = workflow.review(
                actor, request.id, request.version, action, RATIONALES[action], now=when, reasons=reasons
            )


def seed_showcase(july: StrikePeriod, current: StrikePeriod, now: datetime, rng: random.Random) -> int:
    with write_session() as session:
        trust = session.get(Trust, DEMO_TRUST)
        people = {
            account.role: session.exec(select(User).where(User.email == account.email)).one()
            for account in DEMO_ACCOUNTS
            if account.trust_code in (None, DEMO_TRUST)
        }
    for index, steps in enumerate(SHOWCASE):
        period = july if Action.EXPIRE in steps else current
        end = min(now, period.ends_at)
        filed = end - timedelta(minutes=40 + 10 * index) if period is current else end - timedelta(hours=4)
        form = make_form(rng, trust, filed, period)
        form.mass_casualty = index == 0
        request = builders.file(people[Role.REQUESTER], form, filed, drafted_at=filed - timedelta(minutes=5))
        if form.mass_casualty:  # the trust recalled doctors at once under the failsafe bypass (docs/rules.md rule 5)
            request = builders.record_bypass(people[Role.REQUESTER], request, filed)
        _play(request, steps, people, filed)
    return len(SHOWCASE)


def seed_demo(requests: int = 300, seed: int = 2025, now: datetime | None = None) -> dict[str, int]:
    """Reference data, demo accounts, periods and requests. Running it again adds nothing twice; a database
    with real accounts in it is refused (NotADemoDatabase) and left as it was."""
    refuse_real_accounts()
    now = now or utcnow()
    rng = random.Random(seed)
    with write_session() as session:
        load_reference_data(session)
        ensure_demo_accounts(session)
        july, current = ensure_periods(session, now)
        already = session.exec(select(DerogationRequest.id).limit(1)).first() is not None
        trusts = list(session.exec(select(Trust).order_by(Trust.ods_code)).all())
        demo_trust = session.get(Trust, DEMO_TRUST)
    if already:
        return {"requests": 0}
    cast = Cast()
    rest = max(0, requests - len(SHOWCASE))
    history, own = min(58, rest // 5), min(20, rest // 10)  # July 2025, and the demo trust's own
    made = seed_requests(history, july, now, rng, cast, trusts)
    made += seed_requests(rest - history - own, current, now, rng, cast, rng.sample(trusts, 60))
    made += seed_requests(own, current, now, rng, cast, [demo_trust])
    made += seed_showcase(july, current, now, rng)
    expired = workflow.expire_ended_periods(now)
    demo_services = SERVICES[Category.URGENT_EMERGENCY]
    registers = seed_cover_registers(current, {DEMO_TRUST: demo_services, DEMO_OTHER_TRUST: demo_services}, rng)
    return {"requests": made, "expired": expired, "cover registers": registers}
