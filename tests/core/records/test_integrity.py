"""The live state proven against its history (core/records/integrity.py): one SQL UPDATE behind the audit's back
is named by `verify-audit` (whole and incremental), the public check will not vouch for it, and the alarm
reaches administrators, the national MDT, /metrics and the mail worker's schedule. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core import queries, workflow
from core.accounts import admin
from core.enums import Action, Role, Tier
from core.models import EmailOutbox, IntegrityCheck, Notification, ReplayedState
from core.notifications.notify import INTEGRITY_ALARM
from core.platform.clock import format_london, utcnow
from core.platform.db import get_engine, read_session, write_session
from core.queries import Standing
from core.records import audit, integrity
from ops import cli, mail_worker
from server.metrics import render
from tests.core.conftest import REASON, audit_rows, bma_approval, escalate_to, file_request
from tests.core.workflow.test_bypass import recall


def approved(team, period):  # noqa: ANN001, ANN201
    request = escalate_to(team, file_request(team, period), Tier.BMA)
    return workflow.bma_decide(team[Role.BMA], request.id, request.version, bma_approval(request, approved_doctors=1))


def revoked(team, period):  # noqa: ANN001, ANN201
    request = approved(team, period)
    return workflow.revoke(team[Role.BMA], request.id, request.version, "New information.", reasons=["facts_changed"])


def verify(capsys: pytest.CaptureFixture, *flags: str) -> tuple[int, str]:
    code = cli.main(["verify-audit", *flags])
    return code, capsys.readouterr().out


def behind_the_audits_back(statement: str, **values: object) -> None:
    with get_engine().begin() as conn:
        conn.execute(text(statement), values)


def alarms_for(person) -> list[Notification]:  # noqa: ANN001
    with read_session() as session:
        return list(
            session.exec(
                select(Notification).where(Notification.user_id == person.id, Notification.kind == INTEGRITY_ALARM)
            ).all()
        )


@pytest.fixture
def history(team, period):  # noqa: ANN001, ANN201
    """Every kind of change the replay follows, made through the application."""
    made = {"revoked": revoked(team, period), "approved": approved(team, period)}
    returned = workflow.review(
        team[Role.CLINICAL_DIRECTOR], file_request(team, period).id, 2, Action.RETURN_FOR_INFO, REASON,
        reasons=["evidence_missing"],
    )  # fmt: skip
    workflow.add_comment(team[Role.REGIONAL_MD], returned.id, "Called the trust.")
    bypass = file_request(team, period, mass_casualty=True)
    made["bypass"] = workflow.record_bypass(team[Role.REQUESTER], bypass.id, bypass.version, recall())
    other = admin.create_account(team[Role.ADMIN], password=None, email="cd@x.nhs.uk", full_name="CD", role="bma")
    admin.change_account(
        team[Role.ADMIN], other.id, role=Role.NATIONAL_MDT, trust_code=None, region_code=None, active=True
    )
    admin.save_period(
        team[Role.ADMIN],
        name="Next strike",
        starts_at=utcnow() + timedelta(days=10),
        ends_at=utcnow() + timedelta(days=12),
    )
    return made


def test_an_untouched_history_verifies_clean_whole_and_incrementally(history, team, capsys):
    code, out = verify(capsys)
    assert code == 0, out
    assert "Live records match their history" in out and "0 difference" not in out
    code, out = verify(capsys, "--incremental")
    assert code == 0 and "0 rows checked (since the last check)" in out, out
    # New rows after the bookmark are replayed on their own, and still match.
    request = history["approved"]
    workflow.revoke(team[Role.BMA], request.id, request.version, "Cover found.", reasons=["facts_changed"])
    report = integrity.check()
    assert report.ok and not report.full and report.rows_replayed == 1, report.findings()
    assert integrity.alarm_state().differences == 0 and alarms_for(team[Role.ADMIN]) == []


def test_one_update_behind_the_audits_back_is_named_and_the_alarm_goes(history, team, period, capsys):
    assert verify(capsys)[0] == 0  # the bookmark: the incremental check below starts from here
    request = history["revoked"]
    behind_the_audits_back(
        "UPDATE derogation_request SET status = 'approved', approved_doctors = 25, revoked_at = NULL WHERE id = :id",
        id=request.id,
    )
    behind_the_audits_back("UPDATE app_user SET role = 'bma' WHERE id = :id", id=team[Role.REQUESTER].id)
    behind_the_audits_back(
        "UPDATE strike_period SET ends_at = :end WHERE id = :id", end=period.ends_at + timedelta(days=9), id=period.id
    )
    for flags in ((), ("--incremental",)):
        code, out = verify(capsys, *flags)
        assert code == 1, out
        assert f"request {request.id}: status is 'approved', its audit history says 'revoked'" in out
        assert f"request {request.id}: approved_doctors is 25, its audit history says 1" in out
        assert (
            f"request {request.id}: revoked_at is empty, its audit history says {format_london(request.revoked_at)}"
            in out
        )
        assert f"account {team[Role.REQUESTER].id}: role is 'bma', its audit history says 'requester'" in out
        assert f"period {period.id}: ends_at is" in out
        assert "5 difference(s)" in out

    # The public check will not vouch for it: "cannot be confirmed", not VALID.
    found = queries.verify_reference(request.confirmation_ref)
    assert found is not None and found.standing is Standing.UNCONFIRMED and not found.valid
    assert found.doctors == 0 and found.trust_name == ""  # none of the forged facts are shown

    # The alarm: administrators and the national MDT, once each, and /metrics.
    for role in (Role.ADMIN, Role.NATIONAL_MDT):
        told = alarms_for(team[role])
        assert len(told) == 2, role  # the first check's findings, then the public check's own line
        assert f"request {request.id}: approved_doctors is 25" in told[0].message
    assert alarms_for(team[Role.BMA]) == []
    state = integrity.alarm_state()
    assert state.differences == 6 and state.since is not None
    assert "derog_integrity_differences 6" in render()


def test_a_change_to_a_request_that_the_public_check_meets_first_raises_the_alarm(team, period):
    request = approved(team, period)
    assert queries.verify_reference(request.confirmation_ref).standing is Standing.VALID
    behind_the_audits_back("UPDATE derogation_request SET approved_doctors = 25 WHERE id = :id", id=request.id)
    assert queries.verify_reference(request.confirmation_ref).standing is Standing.UNCONFIRMED
    assert any("approved_doctors is 25" in n.message for n in alarms_for(team[Role.NATIONAL_MDT]))
    assert integrity.alarm_state().differences == 2  # the public check's line, and the difference


def test_an_edited_audit_row_of_the_request_stops_the_public_check_vouching(team, period):
    request = approved(team, period)
    behind_the_audits_back(
        "UPDATE audit_event SET rationale = 'Approved on the phone.' WHERE request_id = :id AND action = 'approve'",
        id=request.id,
    )
    assert queries.verify_reference(request.confirmation_ref).standing is Standing.UNCONFIRMED
    assert any("does not match its hash" in f for f in integrity.alarm_state().findings)


def test_a_row_made_outside_the_application_has_no_history(team, period, capsys):
    behind_the_audits_back(
        "INSERT INTO strike_period (name, starts_at, ends_at) VALUES ('Forged', :start, :end)",
        start=period.ends_at + timedelta(days=30),
        end=period.ends_at + timedelta(days=31),
    )
    code, out = verify(capsys)
    assert code == 1 and "the row has no audit history (made outside the application)" in out


def test_a_bypass_recall_has_a_reference_the_public_check_answers_with_its_true_state(team, period):
    request = file_request(team, period, mass_casualty=True)
    request = workflow.record_bypass(team[Role.REQUESTER], request.id, request.version, recall())
    assert request.bypass_ref and request.bypass_ref != request.confirmation_ref
    pending = queries.verify_reference(request.bypass_ref.lower())
    assert pending.standing is Standing.BYPASS_PENDING and pending.valid
    assert (pending.recalled_doctors, pending.recalled_grades) == (3, ["FY2", "ST3+"])
    request = escalate_to(team, request, Tier.BMA)
    decision = bma_approval(request, approved_doctors=2)
    request = workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)
    now_approved = queries.verify_reference(request.bypass_ref)
    assert now_approved.standing is Standing.BYPASS_APPROVED and now_approved.doctors == 2
    assert now_approved.confirmation_ref == request.confirmation_ref
    request = workflow.revoke(team[Role.BMA], request.id, request.version, "Cover found.", reasons=["other"])
    assert queries.verify_reference(request.bypass_ref).standing is Standing.BYPASS_STAND_DOWN
    assert integrity.check(full=True).ok


def test_a_declined_bypass_recall_says_stand_down(team, period):
    request = file_request(team, period, mass_casualty=True)
    request = escalate_to(
        team, workflow.record_bypass(team[Role.REQUESTER], request.id, request.version, recall()), Tier.BMA
    )
    decline = bma_approval(request, approve=False, reasons=["no_urgent_need"])
    request = workflow.bma_decide(team[Role.BMA], request.id, request.version, decline)
    found = queries.verify_reference(request.bypass_ref)
    assert found.standing is Standing.BYPASS_STAND_DOWN and not found.valid


def test_the_mail_worker_checks_on_a_schedule_and_sends_the_days_anchor(history, team, monkeypatch):
    monkeypatch.setenv(integrity.ANCHOR_ADDRESS, "anchor@assurance.example")
    now = utcnow()
    mail_worker.run_once(now)
    with read_session() as session:
        anchors = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == "anchor@assurance.example")).all()
        mark_hash = integrity.alarm_state()
        head_hash = session.exec(text("SELECT last_hash FROM audit_chain_head")).one()[0]
    assert len(anchors) == 1 and head_hash in anchors[0].body and f"--anchor {head_hash}" in anchors[0].body
    assert mark_hash.differences == 0 and mark_hash.checked_at == now
    request = history["revoked"]
    behind_the_audits_back("UPDATE derogation_request SET status = 'approved' WHERE id = :id", id=request.id)
    mail_worker.run_once(now + timedelta(minutes=1))  # not due yet: checked every few minutes
    assert integrity.alarm_state().differences == 0
    mail_worker.run_once(now + timedelta(minutes=6))  # due: the incremental check finds it
    assert integrity.alarm_state().differences == 1
    assert alarms_for(team[Role.ADMIN]) and alarms_for(team[Role.NATIONAL_MDT])
    with read_session() as session:  # still one anchor that day
        assert (
            len(session.exec(select(EmailOutbox).where(EmailOutbox.to_address == "anchor@assurance.example")).all())
            == 1
        )


def test_kept_facts_emptied_make_the_next_check_replay_from_the_first_row(history):
    assert integrity.check(full=True).ok
    behind_the_audits_back("DELETE FROM replayed_state")
    report = integrity.check()
    assert report.ok and report.full, report.findings()


def kept_facts() -> dict[tuple[str, int], dict]:
    with read_session() as session:
        return {(row.kind, row.entity_id): row.facts for row in session.exec(select(ReplayedState)).all()}


def test_two_first_checks_at_once_store_what_they_replayed_one_after_the_other(history, monkeypatch):
    """Two mail workers for a moment during a deployment, each with the first check of its life: both reach
    the point of storing together (a full run under load once saw the second fail on a duplicate key)."""
    both_replayed = threading.Barrier(2, timeout=60)
    store = integrity._remember

    def together(*args: object) -> integrity.Report:
        both_replayed.wait()
        return store(*args)

    monkeypatch.setattr(integrity, "_remember", together)
    reports: list[integrity.Report] = []
    checks = [threading.Thread(target=lambda: reports.append(integrity.check())) for _ in range(2)]
    for thread in checks:
        thread.start()
    for thread in checks:
        thread.join(timeout=120)
    assert len(reports) == 2 and all(report.ok and report.full for report in reports)
    kept = kept_facts()
    monkeypatch.setattr(integrity, "_remember", store)
    assert integrity.check(full=True).ok and kept_facts() == kept  # what one check alone keeps
    report = integrity.check()
    assert report.ok and not report.full and report.rows_replayed == 0, report.findings()


def test_two_first_alarms_at_once_are_both_kept(team, monkeypatch):
    """Two public checks that cannot confirm a recall, together, before any check has run: both reach the alarm
    with no alarm row yet, and the second must not fail on the first's insert."""
    with read_session() as session:
        assert session.get(IntegrityCheck, 1) is None
    both_inside = threading.Barrier(2, timeout=60)
    raise_in_transaction = integrity.alarm

    def together(*args: object, **kwargs: object) -> None:
        both_inside.wait()
        raise_in_transaction(*args, **kwargs)

    monkeypatch.setattr(integrity, "alarm", together)
    failures: list[BaseException] = []

    def public_check(finding: str) -> None:
        try:
            integrity.raise_alarm([finding])
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            failures.append(exc)

    checks = [threading.Thread(target=public_check, args=(f"Reference {n} could not be confirmed.",)) for n in (1, 2)]
    for thread in checks:
        thread.start()
    for thread in checks:
        thread.join(timeout=120)
    assert failures == []
    state = integrity.alarm_state()
    assert sorted(state.findings) == ["Reference 1 could not be confirmed.", "Reference 2 could not be confirmed."]
    assert state.differences == 2 and state.since is not None


def test_a_check_that_ends_after_a_later_one_does_not_move_the_bookmark_back(history, team):
    assert integrity.check(full=True).ok
    with read_session() as session:
        older = session.get(IntegrityCheck, 1)
    request = history["approved"]
    workflow.revoke(team[Role.BMA], request.id, request.version, "Cover found.", reasons=["facts_changed"])
    assert integrity.check().ok
    later, kept = integrity.alarm_state().checked_at, kept_facts()
    with write_session() as session:
        newest = session.get(IntegrityCheck, 1).last_event_id
    stale = integrity.Report(chain=audit.ChainReport(0, None, "", older.last_hash), full=False)
    integrity._remember(stale, (older.last_event_id, older.last_hash, {}), later + timedelta(seconds=1))
    with read_session() as session:
        assert session.get(IntegrityCheck, 1).last_event_id == newest > older.last_event_id
    assert kept_facts() == kept
    report = integrity.check()
    assert report.ok and report.rows_replayed == 0, report.findings()


def remove_the_revocation(request_id: int) -> int:
    """Delete the request's REVOKE audit row and its reasons, and set the live row back to approved: in SQL,
    behind the application's back (finding 1 of the security review). The removed row's id."""
    revoke_id = next(e.id for e in audit_rows(request_id) if e.action == Action.REVOKE)
    behind_the_audits_back("DELETE FROM request_reason WHERE audit_event_id = :id", id=revoke_id)
    behind_the_audits_back("DELETE FROM audit_event WHERE id = :id", id=revoke_id)
    behind_the_audits_back(
        "UPDATE derogation_request SET status = 'approved', revoked_at = NULL, revoke_reason = '' WHERE id = :id",
        id=request_id,
    )
    return revoke_id


def test_a_revocation_removed_from_the_end_of_the_chain_cannot_be_confirmed(team, period):
    untouched = approved(team, period)
    request = revoked(team, period)  # its REVOKE row is the newest: the chain's head names it
    revoke_id = remove_the_revocation(request.id)
    found = queries.verify_reference(request.confirmation_ref)
    assert found.standing is Standing.UNCONFIRMED and not found.valid
    findings = integrity.alarm_state().findings
    assert any(f"of request {request.id} is not linked to the row after it" in f for f in findings), findings
    assert queries.verify_reference(untouched.confirmation_ref).standing is Standing.VALID
    assert revoke_id not in [e.id for e in audit_rows()]


def test_a_revocation_removed_from_the_middle_of_the_chain_cannot_be_confirmed(team, period):
    untouched, request = approved(team, period), approved(team, period)
    other = file_request(team, period)  # a row of another request between the approval and the revocation
    request = workflow.revoke(team[Role.BMA], request.id, request.version, "Cover found.", reasons=["facts_changed"])
    assert integrity.check().ok  # the check keeps what the request's history replays to
    workflow.add_comment(team[Role.CLINICAL_DIRECTOR], other.id, "Rows after the revocation, too.")
    remove_the_revocation(request.id)
    found = queries.verify_reference(request.confirmation_ref)
    assert found.standing is Standing.UNCONFIRMED and not found.valid
    assert any(
        f"request {request.id}: its audit history no longer replays to what the integrity check kept" in f
        for f in integrity.alarm_state().findings
    )
    assert queries.verify_reference(untouched.confirmation_ref).standing is Standing.VALID


def test_a_request_the_alarm_names_cannot_be_confirmed_until_a_check_clears_it(team, period):
    request, untouched = approved(team, period), approved(team, period)
    behind_the_audits_back("UPDATE derogation_request SET approved_doctors = 25 WHERE id = :id", id=request.id)
    assert not integrity.check(full=True).ok
    behind_the_audits_back("UPDATE derogation_request SET approved_doctors = 1 WHERE id = :id", id=request.id)
    # The row is put back, but the alarm still names it: not vouched for until a check finds it gone.
    assert queries.verify_reference(request.confirmation_ref).standing is Standing.UNCONFIRMED
    assert queries.verify_reference(untouched.confirmation_ref).standing is Standing.VALID
    assert integrity.check(full=True).ok
    assert queries.verify_reference(request.confirmation_ref).standing is Standing.VALID
