"""Every state change writes exactly one audit row (who, role, UTC time, from/to, action, why);
a refused action writes none; the application has no way to change or remove an audit row."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.platform.config import PROJECT_ROOT
from core.platform.db import read_session, write_session
from core.platform.errors import NotAllowed
from core.records import audit
from core.request.form import RequestForm
from tests.core.conftest import T0, audit_rows, bma_approval, file_request, nothing_changes, timed_form


def _minute(n: int):
    return T0 + timedelta(minutes=n)


def test_a_whole_history_is_one_row_per_state_change(team, fixed_period):
    requester, director, bma = team[Role.REQUESTER], team[Role.CLINICAL_DIRECTOR], team[Role.BMA]
    r = workflow.save_draft(requester, timed_form(fixed_period, T0), now=_minute(0))
    r = workflow.save_draft(requester, timed_form(fixed_period, T0, ward="Ward 9"), r.id, r.version, now=_minute(1))
    r = workflow.submit(requester, r.id, r.version, now=_minute(2))
    r = workflow.review(
        director,
        r.id,
        r.version,
        Action.RETURN_FOR_INFO,
        "Which consultants?",
        now=_minute(3),
        reasons=["evidence_missing"],
    )
    r = workflow.answer_more_info(
        requester, r.id, r.version, RequestForm.from_request(r), "Dr A and Dr B asked.", now=_minute(4)
    )
    minute = 5
    for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
        r = workflow.review(team[role], r.id, r.version, Action.ESCALATE, f"Up from {role.label}.", now=_minute(minute))
        minute += 1
    r = workflow.bma_decide(bma, r.id, r.version, bma_approval(r), now=_minute(9))
    r = workflow.revoke(bma, r.id, r.version, "New information.", now=_minute(10), reasons=["facts_changed"])

    rows = audit_rows(r.id)
    IN, MORE, CD, TMD, RMD, NAT, BMA = (
        Status.IN_REVIEW,
        Status.MORE_INFO,
        Tier.CLINICAL_DIRECTOR,
        Tier.TRUST_MD,
        Tier.REGIONAL_MD,
        Tier.NATIONAL_MDT,
        Tier.BMA,
    )
    expected = [
        (Action.CREATE, requester, None, Status.DRAFT, None, None, ""),
        (Action.UPDATE_DRAFT, requester, Status.DRAFT, Status.DRAFT, None, None, ""),
        (Action.SUBMIT, requester, Status.DRAFT, IN, None, CD, ""),
        (Action.RETURN_FOR_INFO, director, IN, MORE, CD, CD, "Which consultants?"),
        (Action.RESUBMIT, requester, MORE, IN, CD, CD, "Dr A and Dr B asked."),
        (Action.ESCALATE, director, IN, IN, CD, TMD, "Up from Clinical director."),
        (Action.ESCALATE, team[Role.TRUST_MD], IN, IN, TMD, RMD, "Up from Trust medical director."),
        (Action.ESCALATE, team[Role.REGIONAL_MD], IN, IN, RMD, NAT, "Up from Regional medical director."),
        (Action.ESCALATE, team[Role.NATIONAL_MDT], IN, IN, NAT, BMA, "Up from National MDT."),
        (Action.APPROVE, bma, IN, Status.APPROVED, BMA, None, "Risk evidenced and mitigations exhausted."),
        (Action.REVOKE, bma, Status.APPROVED, Status.REVOKED, None, None, "New information."),
    ]
    assert len(rows) == len(expected) == r.version  # every change bumped the version once, and left one row
    for minute, (row, (action, actor, from_s, to_s, from_t, to_t, why)) in enumerate(zip(rows, expected, strict=True)):
        assert (row.action, row.actor_id, row.actor_name, row.actor_role) == (
            action,
            actor.id,
            actor.full_name,
            actor.role,
        )
        assert (row.from_status, row.to_status, row.from_tier, row.to_tier, row.rationale) == (
            from_s,
            to_s,
            from_t,
            to_t,
            why,
        )
        assert row.at == _minute(minute) and row.at.utcoffset() == timedelta(0)
    with read_session() as session:
        assert audit.verify_chain(session).ok


def test_a_refused_action_writes_no_audit_row(team, fixed_period):
    draft = workflow.save_draft(team[Role.REQUESTER], timed_form(fixed_period, T0), now=T0)
    before = audit_rows()
    with nothing_changes(draft.id), pytest.raises(NotAllowed):
        workflow.record_harm(team[Role.REQUESTER], draft.id, draft.version, "Nothing to record yet.")
    assert [r.id for r in audit_rows()] == [r.id for r in before]


# Statements that would change or remove audit rows; none may appear in application code.
FORBIDDEN = [
    r"update\(\s*AuditEvent",
    r"delete\(\s*AuditEvent",
    r"update\s+audit_event",
    r"delete\s+from\s+audit_event",
    r"truncate[^;\n]*audit_event",
    r"drop\s+table[^;\n]*audit_event",
]


def _application_sources() -> list[Path]:
    paths = [PROJECT_ROOT / "app.py", *(PROJECT_ROOT / d for d in ("core", "ops", "pages", "ui"))]
    files: list[Path] = []
    for path in paths:
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def test_the_application_has_no_update_or_delete_path_for_audit_rows():
    sources = _application_sources()
    assert any(p.name == "command.py" and p.parent.name == "workflow" for p in sources)  # the reader reaches it
    for path in sources:
        source = path.read_text(encoding="utf-8")
        for pattern in FORBIDDEN:
            assert not re.search(pattern, source, re.IGNORECASE), f"{path.relative_to(PROJECT_ROOT)}: {pattern}"
        # An AuditEvent is only ever added: never merged over, deleted, or changed after it is written.
        for line in source.splitlines():
            if "session.delete(" in line or "session.merge(" in line:
                assert "event" not in line.lower() and "audit" not in line.lower(), f"{path}: {line.strip()}"


def test_an_edited_or_removed_row_breaks_the_chain(team, period):
    request = file_request(team, period)
    rows = audit_rows(request.id)
    with read_session() as session:
        assert audit.verify_chain(session).ok
    with write_session() as session:  # what an attacker with database access would do
        session.execute(text("UPDATE audit_event SET rationale = 'edited' WHERE id = :id"), {"id": rows[0].id})
    with read_session() as session:
        report = audit.verify_chain(session)
    assert (report.ok, report.first_bad_id) == (False, rows[0].id)
