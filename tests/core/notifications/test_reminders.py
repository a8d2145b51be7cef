"""A request past its tier's response target reminds that tier once, and counts as breached."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import select

from core import workflow
from core.enums import Action, Role, Tier
from core.models import DerogationRequest, EmailOutbox, Notification, TierReminder
from core.notifications import notify, reminders
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from core.request.timing import DEFAULT_TARGETS, breached_sql, set_target, tier_targets
from core.workflow import upkeep
from ops import mail_worker
from tests.conftest import valid_form

CD_TARGET = timedelta(minutes=DEFAULT_TARGETS[Tier.CLINICAL_DIRECTOR])
TMD_TARGET = timedelta(minutes=DEFAULT_TARGETS[Tier.TRUST_MD])


def _submitted(team, period, now, **form) -> DerogationRequest:
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period, **form), now=now)
    return workflow.submit(requester, draft.id, draft.version, now=now)


def _reminded(request_id: int) -> list[tuple[int, str]]:
    with read_session() as session:
        rows = session.exec(
            select(Notification.user_id, Notification.message).where(
                Notification.request_id == request_id, Notification.kind == notify.REMINDER
            )
        ).all()
    return [(r[0], r[1]) for r in rows]


def _breached_ids(now) -> list[int]:
    with read_session() as session:
        return list(session.exec(select(DerogationRequest.id).where(breached_sql(tier_targets(session), now))).all())


def test_past_its_target_a_request_reminds_its_tier_once_and_is_breached(team, period, staff) -> None:
    other_cd = staff.make(Role.CLINICAL_DIRECTOR, trust="RJ1")  # another trust: never reminded
    t0 = utcnow()
    request = _submitted(team, period, t0)

    assert reminders.send_due_reminders(t0 + CD_TARGET) == 0  # at the target, not past it
    assert _breached_ids(t0 + CD_TARGET) == []

    late = t0 + CD_TARGET + timedelta(minutes=1)
    assert reminders.send_due_reminders(late) == 1
    assert reminders.send_due_reminders(late) == 0  # running the job twice sends one
    assert reminders.send_due_reminders(late + timedelta(hours=3)) == 0
    reminded = _reminded(request.id)
    assert [uid for uid, _ in reminded] == [team[Role.CLINICAL_DIRECTOR].id]
    assert other_cd.id not in [uid for uid, _ in reminded]
    assert "REMINDER: waiting 1h 01m for your review, past the Clinical director target of 1h 00m" in reminded[0][1]
    assert _breached_ids(late) == [request.id]


def test_each_tier_visit_gets_its_own_reminder(team, period) -> None:
    t0 = utcnow()
    request = _submitted(team, period, t0)
    reminders.send_due_reminders(t0 + CD_TARGET + timedelta(minutes=5))

    t1 = t0 + timedelta(minutes=70)
    request = workflow.review(
        team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, "Risk.", now=t1
    )
    assert reminders.send_due_reminders(t1 + TMD_TARGET) == 0
    assert reminders.send_due_reminders(t1 + TMD_TARGET + timedelta(minutes=1)) == 1
    # Returned for information and answered: back at the trust MD, a new visit with its own clock.
    t2 = t1 + timedelta(minutes=90)
    request = workflow.review(
        team[Role.TRUST_MD],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Who?",
        now=t2,
        reasons=["evidence_missing"],
    )
    assert reminders.send_due_reminders(t2 + timedelta(hours=5)) == 0  # with the trust: no tier is waiting
    t3 = t2 + timedelta(minutes=10)
    request = workflow.answer_more_info(
        team[Role.REQUESTER], request.id, request.version, valid_form(period), "Rota attached.", now=t3
    )
    assert reminders.send_due_reminders(t3 + TMD_TARGET + timedelta(minutes=1)) == 1

    reminded = [uid for uid, _ in _reminded(request.id)]
    cd, tmd = team[Role.CLINICAL_DIRECTOR].id, team[Role.TRUST_MD].id
    assert sorted(reminded) == sorted([cd, tmd, tmd])
    with read_session() as session:
        visits = session.exec(select(TierReminder.tier, TierReminder.recipients).order_by(TierReminder.id)).all()
    assert [tuple(v) for v in visits] == [("clinical_director", 1), ("trust_md", 1), ("trust_md", 1)]


def test_the_configured_target_decides(team, period) -> None:
    with write_session() as session:
        set_target(session, Tier.CLINICAL_DIRECTOR, 5)
    t0 = utcnow()
    _submitted(team, period, t0)
    assert reminders.send_due_reminders(t0 + timedelta(minutes=5)) == 0
    assert reminders.send_due_reminders(t0 + timedelta(minutes=6)) == 1


def test_mass_casualty_reminder_goes_to_the_current_tier_and_is_flagged(team, period) -> None:
    t0 = utcnow()
    request = _submitted(team, period, t0, mass_casualty=True)
    reminders.send_due_reminders(t0 + CD_TARGET + timedelta(minutes=1))
    [(uid, message)] = _reminded(request.id)
    assert uid == team[Role.CLINICAL_DIRECTOR].id and message.startswith(f"Request {request.id} (")
    assert "MASS CASUALTY: REMINDER" in message


def test_reminder_is_emailed_when_smtp_is_configured(team, period, monkeypatch) -> None:
    monkeypatch.setenv("DEROG_SMTP_HOST", "mail.invalid")
    t0 = utcnow()
    request = _submitted(team, period, t0)
    reminders.send_due_reminders(t0 + CD_TARGET + timedelta(minutes=1))
    with read_session() as session:
        subjects = session.exec(select(EmailOutbox.subject).where(EmailOutbox.subject.contains("REMINDER"))).all()
    assert subjects == [
        f"Derogation request {request.id}: REMINDER: waiting 1h 01m for your review, "
        "past the Clinical director target of 1h 00m"
    ]


def test_two_runs_at_once_send_one_reminder(team, period) -> None:
    t0 = utcnow()
    requests = [_submitted(team, period, t0) for _ in range(3)]
    late = t0 + CD_TARGET + timedelta(minutes=1)
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            counts.append(reminders.send_due_reminders(late))
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and sum(counts) == 3
    for request in requests:
        assert len(_reminded(request.id)) == 1


def test_app_entry_point_runs_at_most_once_a_minute(team, period, monkeypatch) -> None:
    monkeypatch.setattr(upkeep, "_reminders", upkeep.OncePer(60))
    t0 = utcnow()
    _submitted(team, period, t0)
    late = t0 + CD_TARGET + timedelta(minutes=1)
    assert upkeep.remind_if_due(late) == 1
    _submitted(team, period, t0)
    assert upkeep.remind_if_due(late) == 0  # throttled: the next page view after a minute sends it
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(TierReminder)).one() == 1


def test_after_the_strike_ends_the_worker_expires_and_reminds_nobody(team, period) -> None:
    t0 = utcnow()
    request = _submitted(team, period, t0)
    after_end = period.ends_at + timedelta(minutes=1)
    assert reminders.send_due_reminders(after_end) == 0  # breached, but its strike has ended
    reminded, _ = mail_worker.run_once(after_end)  # no visitor needed: the worker closes it
    assert reminded == 0 and _reminded(request.id) == []
    with read_session() as session:
        assert session.get(DerogationRequest, request.id).status == "expired"
