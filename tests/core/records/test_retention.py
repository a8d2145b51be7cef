"""Personal details kept only as long as needed (issue 21, docs/retention.md): contact details of requests
whose strike period ended more than DEROG_CONTACT_RETENTION_MONTHS ago are removed, and accounts closed
that long keep their audit trail under a pseudonym; the requests, their figures and reasons and the audit
history stay, and the chain still verifies, with anchors recorded before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from core import queries, workflow
from core.accounts.users import update_user
from core.enums import Action, AdminAction, Role, Tier
from core.models import AuditEvent, DerogationRequest, EmailOutbox, User
from core.platform.db import read_session, write_session
from core.queries import Standing
from core.records import audit, integrity, retention
from ops import cli, mail_worker
from tests.core.conftest import audit_rows, bma_approval, escalate_to, file_request, reload


def later(months: int) -> datetime:
    return retention.cutoff(datetime.now(UTC), -months)


def chain() -> audit.ChainReport:
    with read_session() as session:
        return audit.verify_chain(session)


def close(account: User, by: User) -> None:
    with write_session() as session:
        update_user(
            session, account.id, by=by, trust_code=account.trust_code, region_code=account.region_code, active=False
        )


def test_the_limit_counts_calendar_months():
    assert retention.cutoff(datetime(2026, 3, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert retention.cutoff(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)
    assert retention.cutoff(datetime(2026, 2, 28, tzinfo=UTC), -24) == datetime(2028, 2, 28, tzinfo=UTC)


def test_contact_details_past_the_limit_are_removed_and_nothing_else(team, period, monkeypatch):
    request = file_request(team, period)
    workflow.add_comment(team[Role.CLINICAL_DIRECTOR], request.id, "Called the rota coordinator back.")
    before = reload(request.id)
    history = [(e.id, e.row_hash) for e in audit_rows(request.id)]
    anchor = chain().last_hash

    not_yet = retention.due(later(23))
    assert not not_yet and reload(request.id).contact_name == before.contact_name
    soon = later(25)
    listed = retention.due(soon)
    assert listed.request_ids == [request.id] and not listed.account_ids and not listed.address_rows
    assert reload(request.id) == before  # the dry run changes nothing

    removed = retention.apply(soon)
    assert removed.request_ids == [request.id]
    after = reload(request.id)
    assert [getattr(after, name) for name in retention.CONTACT_FIELDS] == ["", "", "", ""]
    kept = set(DerogationRequest.model_fields) - set(retention.CONTACT_FIELDS)
    assert {name: getattr(after, name) for name in kept} == {name: getattr(before, name) for name in kept}
    assert [(e.id, e.row_hash) for e in audit_rows(request.id)] == history
    [record] = [e for e in audit_rows() if e.action == AdminAction.CONTACTS_REMOVED]
    assert record.details["requests"] == 1 and record.actor_name == audit.SYSTEM_ACTOR
    with read_session() as session:
        assert audit.verify_chain(session, anchors=[anchor]).ok
    assert not retention.apply(soon)  # nothing left to remove, nothing recorded
    assert len([e for e in audit_rows() if e.action == AdminAction.CONTACTS_REMOVED]) == 1

    monkeypatch.setenv(retention.MONTHS_SETTING, "1")
    assert retention.retention_months() == 1
    monkeypatch.setenv(retention.MONTHS_SETTING, "0")
    with pytest.raises(ValueError, match=retention.MONTHS_SETTING):
        retention.retention_months()


def test_a_long_closed_account_keeps_its_trail_under_a_pseudonym(team, period, staff):
    admin, reviewer = team[Role.ADMIN], staff.make(Role.CLINICAL_DIRECTOR, trust=team[Role.REQUESTER].trust_code)
    request = file_request(team, period)
    workflow.add_comment(reviewer, request.id, "I will look at this now.")
    close(reviewer, admin)
    acted = [e for e in audit_rows() if e.actor_id == reviewer.id]
    created = next(
        e for e in audit_rows() if e.action == AdminAction.USER_CREATED and e.details["user_id"] == reviewer.id
    )
    anchor = chain().last_hash
    assert retention.due(later(23)).account_ids == []  # closed just now

    removed = retention.apply(later(25))
    assert removed.account_ids == [reviewer.id]  # the open accounts stay as they are
    name, email = retention.pseudonym(reviewer.id)
    with read_session() as session:
        account = session.get(User, reviewer.id)
        assert (account.full_name, account.email, account.phone, account.active) == (name, email, "", False)
        others = session.exec(select(User).where(User.id != reviewer.id)).all()
        assert all(u.email.endswith("@test.nhs.uk") for u in others)
        rows = {e.id: e for e in session.exec(select(AuditEvent)).all()}
        assert audit.verify_chain(session, anchors=[anchor]).ok
    for event in acted:
        assert rows[event.id].actor_name == name and rows[event.id].row_hash == event.row_hash
        assert rows[event.id].rationale == event.rationale  # what they did and why stays
    assert rows[created.id].details["email"] == email
    assert not any(reviewer.email in str(e.details) or reviewer.full_name == e.actor_name for e in rows.values())
    record = next(e for e in rows.values() if e.action == AdminAction.ACCOUNT_PSEUDONYMISED)
    assert record.details["user_id"] == reviewer.id
    assert [row_id for row_id, _ in record.details["rows"]] == sorted([*(e.id for e in acted), created.id])
    assert cli.main(["verify-audit"]) == 0
    with read_session() as session:  # the public check still vouches for the request the account acted on
        assert integrity.prove_request(session, session.get(DerogationRequest, request.id)) == []
    assert retention.apply(later(25)).account_ids == []  # once only


def test_an_edit_to_a_pseudonymised_row_still_shows(team, period, staff):
    reviewer = staff.make(Role.CLINICAL_DIRECTOR, trust=team[Role.REQUESTER].trust_code)
    request = file_request(team, period)
    comment = workflow.add_comment(reviewer, request.id, "Seen.")
    close(reviewer, team[Role.ADMIN])
    retention.apply(later(25))
    row_id = next(e.id for e in audit_rows() if e.details.get("comment_id") == comment.id)
    with write_session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == row_id).values(rationale="Approved it myself."))
    report = chain()
    assert (report.first_bad_id, report.problem) == (row_id, "its content does not match its hash (it was edited)")


def test_an_edit_made_before_is_not_hidden_by_pseudonymising(team, period, staff):
    reviewer = staff.make(Role.CLINICAL_DIRECTOR, trust=team[Role.REQUESTER].trust_code)
    request = file_request(team, period)
    comment = workflow.add_comment(reviewer, request.id, "Seen.")
    close(reviewer, team[Role.ADMIN])
    row_id = next(e.id for e in audit_rows() if e.details.get("comment_id") == comment.id)
    with write_session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == row_id).values(rationale="Edited."))
    with pytest.raises(retention.ChainBroken):
        retention.apply(later(25))
    assert reload(request.id).contact_name  # one transaction: nothing removed
    with read_session() as session:
        assert session.get(User, reviewer.id).full_name == reviewer.full_name


def test_the_command_line_lists_then_applies(team, period, capsys, monkeypatch):
    request = file_request(team, period)
    monkeypatch.setattr(retention, "utcnow", lambda: later(25))
    assert cli.main(["retention"]) == 0
    out = capsys.readouterr().out
    assert f"Would remove the contact details of 1 request(s): {request.id}" in out and "--apply" in out
    assert reload(request.id).contact_name
    assert cli.main(["retention", "--apply"]) == 0
    assert f"Removed the contact details of 1 request(s): {request.id}" in capsys.readouterr().out
    assert reload(request.id).contact_name == "" and cli.main(["verify-audit"]) == 0


def test_the_mail_worker_applies_it_once_a_day(team, period, monkeypatch):
    request = file_request(team, period)
    monkeypatch.setattr(mail_worker, "_retention_ran", [])
    first = later(25)
    assert mail_worker.daily_retention(first).request_ids == [request.id]
    assert mail_worker.daily_retention(first + timedelta(hours=23)) is None  # not yet a day
    assert mail_worker.daily_retention(first + timedelta(days=1)) is not None


def test_an_address_typed_at_sign_in_that_is_no_accounts_is_removed_after_the_limit(team, period):
    known = team[Role.BMA].email
    with write_session() as session:
        for email in ("guess@example.com", known):
            details = {"email": email, "locked_until": period.starts_at.isoformat()}
            audit.append(session, action=AdminAction.SIGN_IN_LOCKED, actor=None, details=details)
    rows = [e for e in audit_rows() if e.action == AdminAction.SIGN_IN_LOCKED]
    anchor = chain().last_hash
    assert retention.due(later(23)).address_rows == []
    assert retention.due(later(25)).address_rows == [rows[0].id]
    assert retention.apply(later(25)).address_rows == [rows[0].id]
    after = {e.id: e for e in audit_rows()}
    assert after[rows[0].id].details == {"email": retention.REMOVED, "locked_until": period.starts_at.isoformat()}
    assert after[rows[1].id].details["email"] == known  # an account's address stays while the account does
    with read_session() as session:
        assert audit.verify_chain(session, anchors=[anchor]).ok
    assert retention.apply(later(25)).address_rows == []


def test_mail_sent_before_the_limit_leaves_the_outbox_and_mail_still_to_send_stays(db):
    now = datetime.now(UTC)
    with write_session() as session:
        for sent, failed in ((now, None), (None, now), (None, None)):
            session.add(EmailOutbox(to_address="a@nhs.net", subject="s", body="b", sent_at=sent, failed_at=failed))
    with read_session() as session:
        sent_id, failed_id, waiting_id = session.exec(select(EmailOutbox.id).order_by(EmailOutbox.id)).all()
    assert retention.due(later(23)).mail_ids == []
    assert retention.apply(later(25)).mail_ids == [sent_id, failed_id]
    with read_session() as session:
        assert session.exec(select(EmailOutbox.id)).all() == [waiting_id]


@pytest.mark.parametrize(
    "named", ["the approver, still active", "a closed account", "that closed account again", "no account"]
)
def test_a_forged_pseudonymisation_row_does_not_launder_an_edit(team, period, staff, named):
    """Finding 2 of the security review: a pseudonymisation row appended by someone with database access,
    listing an edited row with the hash of its new content, vouches for nothing retention would not change."""
    reviewer = staff.make(Role.CLINICAL_DIRECTOR, trust=team[Role.REQUESTER].trust_code)
    request = file_request(team, period)
    comment = workflow.add_comment(reviewer, request.id, "Seen.")
    close(reviewer, team[Role.ADMIN])
    assert retention.apply(later(25)).account_ids == [reviewer.id]  # the real one: the comment row changed
    request = escalate_to(team, reload(request.id), Tier.BMA)
    request = workflow.bma_decide(
        team[Role.BMA], request.id, request.version, bma_approval(request, approved_doctors=1)
    )
    assert queries.verify_reference(request.confirmation_ref).standing is Standing.VALID
    assert chain().ok

    if named == "that closed account again":  # its own comment row, edited after the real pseudonymisation
        edited = next(e for e in audit_rows(request.id) if e.details.get("comment_id") == comment.id)
        change, user_id = {"rationale": "Approved it myself."}, reviewer.id
    else:  # the approval: 1 doctor becomes 25, in the audit row and the live row
        edited = next(e for e in audit_rows(request.id) if e.action == Action.APPROVE)
        change = {"details": edited.details | {"approved_doctors": 25}}
        user_id = team[Role.BMA].id if named.startswith("the approver") else reviewer.id
    with write_session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == edited.id).values(**change))
        session.execute(update(DerogationRequest).where(DerogationRequest.id == request.id).values(approved_doctors=25))
    with write_session() as session:
        row = session.get(AuditEvent, edited.id)
        forged = audit.redacted([(row, audit.compute_hash(row))])
        if named == "no account":  # as if typed addresses were removed from it
            audit.append(session, action=AdminAction.ADDRESSES_REMOVED, actor=None, details=forged)
        else:
            forged = {"user_id": user_id} | forged
            audit.append(session, action=AdminAction.ACCOUNT_PSEUDONYMISED, actor=None, details=forged)

    report = chain()
    assert (report.first_bad_id, report.problem) == (edited.id, audit.EDITED)
    assert cli.main(["verify-audit"]) == 1
    found = queries.verify_reference(request.confirmation_ref)
    assert found.standing is Standing.UNCONFIRMED and found.doctors == 0
    assert any(f"audit row {edited.id} of request {request.id} does not match its hash" in f for f in
               integrity.alarm_state().findings)  # fmt: skip
