"""The outbox worker against a real SMTP server on localhost: delivery, outage and recovery, two workers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from core import workflow
from core.enums import Action, Role
from core.models import DerogationRequest, EmailOutbox
from core.notifications import mailer
from core.notifications.mailer import SmtpSettings
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from ops import mail_worker
from tests.conftest import valid_form
from tests.core.notifications.conftest import SmtpServer


def _outbox() -> list[EmailOutbox]:
    with read_session() as session:
        return list(session.exec(select(EmailOutbox).order_by(EmailOutbox.id)).all())


def _submit(team, period) -> DerogationRequest:
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period))
    return workflow.submit(requester, draft.id, draft.version)


def _queue(count: int, to: str = "reviewer{}@test.nhs.uk") -> None:
    now = utcnow()
    with write_session() as session:
        for i in range(count):
            session.add(
                EmailOutbox(to_address=to.format(i), subject=f"Mail {i}", body=f"Body {i}", next_attempt_at=now)
            )


def test_worker_delivers_queued_mail_with_the_deep_link(team, period, smtp_server: SmtpServer) -> None:
    request = _submit(team, period)
    result = mailer.deliver_due()
    assert (result.sent, result.failed) == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == team[Role.CLINICAL_DIRECTOR].email
    assert message["From"] == "derogations@test.nhs.uk"
    assert message["Subject"] == f"Derogation request {request.id}: Waiting for your review (Clinical director)"
    assert f"https://derogations.test.nhs.uk/request?id={request.id}" in message.get_content()
    [row] = _outbox()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert mailer.deliver_due().sent == 0  # sent once only


def test_smtp_down_never_blocks_the_state_change_and_mail_is_sent_once_when_it_returns(
    team, period, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    request = _submit(team, period)  # commits although no mail server answers
    request = workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, "Real.")
    assert request.current_tier == "trust_md"
    assert len(_outbox()) == 2

    t0 = utcnow()
    result = mailer.deliver_due(now=t0)
    assert (result.sent, result.failed) == (0, 2)
    for row in _outbox():
        assert row.sent_at is None and row.failed_at is None
        assert row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        assert row.next_attempt_at == t0 + timedelta(minutes=1)

    assert mailer.deliver_due(now=t0 + timedelta(seconds=59)).failed == 0  # backing off: not due yet
    result = mailer.deliver_due(now=t0 + timedelta(minutes=1))
    assert result.failed == 2
    assert {row.next_attempt_at for row in _outbox()} == {t0 + timedelta(minutes=1) + timedelta(minutes=2)}
    assert {row.attempts for row in _outbox()} == {2}

    smtp_server.start()
    result = mailer.deliver_due(now=t0 + timedelta(minutes=3))
    assert (result.sent, result.failed) == (2, 0)
    assert mailer.deliver_due(now=t0 + timedelta(hours=5)).sent == 0
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [team[Role.CLINICAL_DIRECTOR].email, team[Role.TRUST_MD].email]
    )
    assert all(row.sent_at is not None and row.attempts == 3 for row in _outbox())


def test_backoff_doubles_and_is_capped_at_an_hour() -> None:
    assert [mailer.backoff(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_recipient_refused_for_good_is_not_retried_and_does_not_hold_up_the_rest(db, smtp_server: SmtpServer) -> None:
    _queue(1, to="bounce@test.nhs.uk")
    _queue(2)
    result = mailer.deliver_due()
    assert (result.sent, result.failed, result.gave_up) == (2, 0, 1)
    bounced = [row for row in _outbox() if row.to_address.startswith("bounce")][0]
    assert bounced.failed_at is not None and "550" in bounced.last_error
    assert mailer.deliver_due(now=utcnow() + timedelta(days=1)).gave_up == 0  # never tried again


def test_mail_is_given_up_after_max_attempts(db, smtp_server: SmtpServer, monkeypatch) -> None:
    monkeypatch.setattr(mailer, "MAX_ATTEMPTS", 2)
    smtp_server.stop()
    _queue(1)
    t0 = utcnow()
    assert mailer.deliver_due(now=t0).failed == 1
    assert mailer.deliver_due(now=t0 + timedelta(hours=1)).gave_up == 1
    [row] = _outbox()
    assert row.failed_at is not None and row.attempts == 2
    assert mailer.outbox_status() == mailer.OutboxStatus(waiting=0, sent=0, given_up=1)


def test_two_workers_at_once_never_send_the_same_mail_twice(db, smtp_server: SmtpServer) -> None:
    _queue(40)
    settings = SmtpSettings.from_env()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while mailer.deliver_due(settings=settings, limit=3).sent:
                pass
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert sorted(subjects) == sorted(f"Mail {i}" for i in range(40))  # each exactly once
    assert all(row.sent_at is not None and row.attempts == 1 for row in _outbox())


def test_a_claimed_row_is_invisible_to_other_workers_until_its_lease_runs_out(db) -> None:
    _queue(1)
    t0 = utcnow()
    [claimed] = mailer.claim_due(t0)
    assert mailer.claim_due(t0) == []  # a second worker gets nothing
    assert mailer.claim_due(t0 + mailer.LEASE - timedelta(seconds=1)) == []
    [again] = mailer.claim_due(t0 + mailer.LEASE)  # the first worker died: the row is picked up again
    assert again.id == claimed.id and again.attempts == 2


def test_without_smtp_settings_the_worker_sends_nothing(db, monkeypatch) -> None:
    monkeypatch.delenv("DEROG_SMTP_HOST", raising=False)
    _queue(1)
    assert mailer.deliver_due() == mailer.PassResult()
    assert _outbox()[0].attempts == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEROG_SMTP_HOST": "smtp.nhs.net", "DEROG_SMTP_STARTTLS": "true"}, ("smtp.nhs.net", 587, True, False)),
        ({"DEROG_SMTP_HOST": "smtp.nhs.net", "DEROG_SMTP_SSL": "1"}, ("smtp.nhs.net", 465, False, True)),
        ({"DEROG_SMTP_HOST": "relay", "DEROG_SMTP_PORT": "2525"}, ("relay", 2525, False, False)),
    ],
)
def test_settings_from_the_environment(monkeypatch, env, expected) -> None:
    for name in ("DEROG_SMTP_PORT", "DEROG_SMTP_STARTTLS", "DEROG_SMTP_SSL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = SmtpSettings.from_env()
    assert (settings.host, settings.port, settings.starttls, settings.ssl) == expected


def test_cli_once_runs_reminders_and_the_outbox(db, smtp_server: SmtpServer, capsys) -> None:
    from ops.cli import main

    _queue(2)
    assert main(["mail-worker", "--once"]) == 0
    out = capsys.readouterr().out
    assert "2 sent" in out and "Outbox: 0 waiting, 2 sent" in out
    assert len(smtp_server.messages) == 2


def test_the_worker_loop_sends_until_told_to_stop(db, smtp_server: SmtpServer) -> None:
    _queue(3)
    stop = threading.Event()
    worker = threading.Thread(target=mail_worker.run, kwargs={"interval": 0.05, "stop": stop})
    worker.start()
    try:
        deadline = threading.Event()
        for _ in range(400):  # wait for the outcome, not for a fixed time
            if len(smtp_server.messages) == 3:
                break
            deadline.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert sorted(m["Subject"] for m in smtp_server.messages) == ["Mail 0", "Mail 1", "Mail 2"]


def test_the_worker_signs_in_when_the_server_requires_it(db, monkeypatch) -> None:
    from tests.core.notifications.conftest import free_port

    server = SmtpServer(free_port(), login=("derog", "s3cret-relay"))
    server.start()
    try:
        monkeypatch.setenv("DEROG_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DEROG_SMTP_PORT", str(server.port))
        monkeypatch.setenv("DEROG_SMTP_USER", "derog")
        monkeypatch.setenv("DEROG_SMTP_PASSWORD", "wrong")
        _queue(1)
        t0 = utcnow()
        result = mailer.deliver_due(now=t0)
        assert result.failed == 1 and "SMTPAuthenticationError" in _outbox()[0].last_error  # retried, not lost
        monkeypatch.setenv("DEROG_SMTP_PASSWORD", "s3cret-relay")
        assert mailer.deliver_due(now=t0 + timedelta(minutes=1)).sent == 1
        assert [m["Subject"] for m in server.messages] == ["Mail 0"]
    finally:
        server.stop()


def test_a_housekeeping_step_that_fails_never_stops_the_mail(db, smtp_server: SmtpServer, monkeypatch, caplog) -> None:
    """Retention under a database role without UPDATE on the audit rows (the hardening in docs/audit-chain.md),
    or an integrity check that breaks, is logged and retried later: reviewers' e-mail still goes out."""
    from sqlalchemy.exc import ProgrammingError

    from core.records import integrity, retention

    def refused(*_: object) -> None:
        raise ProgrammingError("UPDATE audit_event", {}, Exception("permission denied for table audit_event"))

    monkeypatch.setattr(mail_worker, "_retention_ran", [])
    monkeypatch.setattr(retention, "apply", refused)
    monkeypatch.setattr(integrity, "check_if_due", refused)
    _queue(2)
    reminded, result = mail_worker.run_once()
    assert result.sent == 2 and len(smtp_server.messages) == 2
    assert "retention failed" in caplog.text and "the integrity check failed" in caplog.text
