"""What the trust's requesters do: file a request (draft, submit), answer a question, withdraw, record
harm after a refusal, and the failsafe bypass (docs/rules.md rule 5): record a recall, stand doctors down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from core import lifecycle
from core.access_control.permissions import Deed, filing_refusal
from core.enums import Action, Grade
from core.models import MAX_RATIONALE, DerogationRequest, StrikePeriod, Trust, User, column_limit
from core.platform.clock import format_london, from_london, utcnow
from core.platform.db import write_session
from core.platform.errors import BadArgument, ValidationFailed
from core.platform.input_checks import free_text_problem, plausible_time, request_at, text_problem
from core.records import audit
from core.request.form import MAX_DOCTORS, RequestForm, validate_draft, validate_submission
from core.workflow.bma import new_confirmation_ref
from core.workflow.command import acting_on, active_actor, written

MAX_HARM_RECORD = column_limit(DerogationRequest.harm_report)  # every report on one request together
MAX_DECLARED_BY = column_limit(DerogationRequest.bypass_declared_by)
CLOCK_SLACK_MINUTES = 5  # a recall "now" typed on a clock a little ahead of the server's


def _check_trust(session: Session, actor: User, form: RequestForm) -> dict[str, str]:
    if form.trust_code != actor.trust_code:
        return {"trust_code": "You can only file requests for your own trust."}
    if session.get(Trust, form.trust_code) is None:
        return {"trust_code": "Choose a trust from the list of NHS trusts."}
    return {}


def save_draft(
    actor: User,
    form: RequestForm,
    request_id: int | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> DerogationRequest:
    """Create or update a draft. Drafts can be saved at any time, incomplete."""
    request_id, version = request_at(request_id, version, new=True)
    if request_id is not None:
        with acting_on(actor, request_id, version, Deed.EDIT, now, filing=True) as act:
            errors = validate_draft(form) | _check_trust(act.session, act.actor, form)
            if errors:
                raise ValidationFailed(errors)
            values = _form_values(act.session, form)
            return act.record(Action.UPDATE_DRAFT, values, details=_where(values))
    now = now or utcnow()
    with write_session() as session:
        actor = active_actor(session, actor)
        if refused := filing_refusal(actor):
            raise refused
        errors = validate_draft(form) | _check_trust(session, actor, form)
        if errors:
            raise ValidationFailed(errors)
        values = _form_values(session, form)
        status = lifecycle.step(Action.CREATE).to_status.value
        return audit.saved(
            session,
            DerogationRequest(**values, created_by_id=actor.id, created_at=now, status=status),
            action=Action.CREATE,
            actor=actor,
            to_status=status,
            details=lambda _: _where(values),
            at=now,
        )


def _form_values(session: Session, form: RequestForm) -> dict:
    return form.storable() | {"region_code": session.get(Trust, form.trust_code).region_code}


def _where(values: dict) -> dict:
    """Whose request it is, in the audit row that sets it: who may see it follows from these (core/records/integrity.py)."""
    return {"trust_code": values["trust_code"], "region_code": values["region_code"]}


def submit(actor: User, request_id: int, version: int, now: datetime | None = None) -> DerogationRequest:
    """Send a complete draft to the clinical director, only while strike action is in progress."""
    with acting_on(actor, request_id, version, Deed.SUBMIT, now) as act:
        form = RequestForm.from_request(act.request)  # its period is in progress: core.access_control.permissions asked
        errors = validate_submission(form, act.period, act.now) | _check_trust(act.session, act.actor, form)
        if errors:
            raise ValidationFailed(errors)
        changes = {"submitted_at": act.now, "strike_period_id": act.period.id}
        details = {"strike_period_id": act.period.id} | ({"mass_casualty": True} if act.request.mass_casualty else {})
        return act.record(Action.SUBMIT, changes, details=details)


def answer_more_info(
    actor: User,
    request_id: int,
    version: int,
    form: RequestForm,
    answer: str,
    now: datetime | None = None,
) -> DerogationRequest:
    """The trust answers a 'more information' return; the request goes back to the tier that asked."""
    answer = written(answer, "answer")
    with acting_on(actor, request_id, version, Deed.ANSWER, now) as act:
        errors = validate_submission(form, act.period, act.now) | _check_trust(act.session, act.actor, form)
        if errors:
            raise ValidationFailed(errors)
        values = _form_values(act.session, form)
        changes = values | {"returned_from_tier": None}  # back in review at the tier that asked (core.lifecycle)
        return act.record(Action.RESUBMIT, changes, rationale=answer, details=_where(values))


def withdraw(
    actor: User, request_id: int, version: int, rationale: str, now: datetime | None = None
) -> DerogationRequest:
    rationale = written(rationale)
    with acting_on(actor, request_id, version, Deed.WITHDRAW, now) as act:
        return act.record(Action.WITHDRAW, {}, rationale=rationale)


def record_harm(
    actor: User, request_id: int, version: int, report: str, now: datetime | None = None
) -> DerogationRequest:
    """After a decline (or revocation), the trust records any harm or near miss that followed."""
    report = written(report, "harm_report")
    with acting_on(actor, request_id, version, Deed.RECORD_HARM, now) as act:
        earlier = act.request.harm_report
        record = f"{earlier}\n\n" if earlier else ""
        record += f"[{format_london(act.now)}] {report}"
        if len(record) > MAX_HARM_RECORD:
            room = max(0, MAX_HARM_RECORD - len(record) + len(report))
            raise ValidationFailed(
                {"harm_report": f"The harm record of this request is nearly full: use {room:,} characters or fewer."}
            )
        return act.record(Action.RECORD_HARM, {"harm_report": record}, rationale=report)


# ---------------------------------------------------------------- the failsafe bypass (docs/rules.md rule 5)


@dataclass
class BypassRecall:
    """What the trust did under the failsafe bypass: when it recalled whom, and who declared the event."""

    recalled_at: datetime | None
    doctors: int | None
    grades: list[str] = field(default_factory=list)
    declared_by: str = ""  # who declared the massive, external event (e.g. "Greater Manchester Police, 01:40")
    note: str = ""  # optional: anything else the reviewers should know


def _check_recall(recall: BypassRecall, period: StrikePeriod, now: datetime) -> dict:
    errors: dict[str, str] = {}
    if not plausible_time(recall.recalled_at):
        errors["recalled_at"] = "Enter when the doctors were recalled."
    else:
        at = from_london(recall.recalled_at)
        if at > now + timedelta(minutes=CLOCK_SLACK_MINUTES):
            errors["recalled_at"] = "Record a recall that has happened: this time is in the future."
        elif at < period.starts_at:
            errors["recalled_at"] = (
                f"The recall must be during the strike period (it started at {format_london(period.starts_at)})."
            )
    doctors = recall.doctors
    if not isinstance(doctors, int) or isinstance(doctors, bool) or not 1 <= doctors <= MAX_DOCTORS:
        errors["doctors"] = f"Enter how many resident doctors were recalled (1 to {MAX_DOCTORS})."
    grades = recall.grades
    if not isinstance(grades, (list, tuple)) or not grades or any(g not in set(Grade) for g in grades):
        errors["grades"] = "Choose the grades recalled."
    declared = recall.declared_by
    if not isinstance(declared, str) or not declared.strip():
        errors["declared_by"] = "Say who declared the external event (for example the police or the ambulance service)."
    elif len(declared) > MAX_DECLARED_BY:
        errors["declared_by"] = f"Use {MAX_DECLARED_BY:,} characters or fewer (you have {len(declared):,})."
    elif problem := free_text_problem(declared):
        errors["declared_by"] = problem
    if problem := text_problem(recall.note, MAX_RATIONALE):
        errors["note"] = problem
    if errors:
        raise ValidationFailed(errors)
    return {
        "bypass_recalled_at": from_london(recall.recalled_at),
        "bypass_doctors": doctors,
        "bypass_grades": [g for g in Grade if g in set(grades)],
        "bypass_declared_by": declared.strip(),
        "bypass_recorded_at": now,
    }


def record_bypass(
    actor: User, request_id: int, version: int, recall: BypassRecall, now: datetime | None = None
) -> DerogationRequest:
    """The trust records the doctors it recalled at once under the failsafe bypass on a submitted
    mass-casualty request. Every tier and the BMA are told at once; the request stays on its route and
    still needs the BMA's decision; the national MDT reviews the bypass afterwards."""
    request_at(request_id, version)  # a wrong-typed id or version is the first thing refused
    if not isinstance(recall, BypassRecall):
        raise BadArgument("bypass record")
    with acting_on(actor, request_id, version, Deed.RECORD_BYPASS, now) as act:
        changes = _check_recall(recall, act.period, act.now) | {"bypass_ref": new_confirmation_ref()}
        details = {
            "recalled_at": changes["bypass_recalled_at"].isoformat(),
            "doctors": changes["bypass_doctors"],
            "grades": changes["bypass_grades"],
            "declared_by": changes["bypass_declared_by"],
            "reference": changes["bypass_ref"],
        }
        return act.record(Action.RECORD_BYPASS, changes, rationale=recall.note.strip(), details=details)


def stand_down(
    actor: User,
    request_id: int,
    version: int,
    stood_down_at: datetime | None,
    note: str,
    now: datetime | None = None,
) -> DerogationRequest:
    """After a decline (or a revocation, or an approval of fewer doctors or grades than were recalled) the
    trust stands the doctors recalled under the bypass down, and records when."""
    note = written(note, "note")
    with acting_on(actor, request_id, version, Deed.STAND_DOWN, now) as act:
        if not plausible_time(stood_down_at):
            raise ValidationFailed({"stood_down_at": "Enter when the doctors were stood down."})
        at = from_london(stood_down_at)
        if at > act.now + timedelta(minutes=CLOCK_SLACK_MINUTES):
            raise ValidationFailed(
                {"stood_down_at": "Record a stand-down that has happened: this time is in the future."}
            )
        if at < act.request.bypass_recalled_at:
            raise ValidationFailed(
                {"stood_down_at": "The doctors were stood down before they were recalled: check the time."}
            )
        details = {"stood_down_at": at.isoformat()}
        return act.record(Action.STAND_DOWN, {"bypass_stood_down_at": at}, rationale=note, details=details)
