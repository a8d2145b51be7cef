"""The audit history is tamper-evident: any edit, removal or rewrite of a row is found and named,
in the database (verify_chain, `python -m ops verify-audit`) and in an exported CSV checked by the
stand-alone script with nothing but the standard library."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from core import workflow
from core.enums import Action, Role
from core.models import AuditChainHead, AuditEvent, DerogationRequest, StrikePeriod, User
from core.platform.config import PROJECT_ROOT
from core.platform.db import dispose_engines, get_engine, migrate, read_session, write_session
from core.platform.errors import NotFound
from core.records import audit
from core.request.form import RequestForm
from ops import cli
from tests.conftest import TRUST_OTHER_REGION
from tests.security.world import approval, assert_consistent, make_request

VERIFIER = PROJECT_ROOT / "scripts" / "verify_audit_csv.py"
HOSTILE_RATIONALE = 'Line one, "quoted"\r\nline two;\ttab <b>bold</b> — ünïcødé 🚑\n=SUM(A1:A9)'


@dataclass
class History:
    period: StrikePeriod
    approved: DerogationRequest
    approval_row: AuditEvent
    requests: list[DerogationRequest]


@pytest.fixture
def history(team, staff, period) -> History:
    """A realistic strike: requests in every outcome, comments, an answer, a revocation, a harm report."""
    other = staff.team(trust=TRUST_OTHER_REGION, region="Y56")
    requests = [make_request(team, period, state) for state in ("draft", "regional_md", "not_eligible")]
    requests.append(make_request(other, period, "national_mdt", trust=TRUST_OTHER_REGION))
    returned = make_request(team, period, "more_info")
    form = RequestForm.from_request(returned)
    requests.append(
        workflow.answer_more_info(team[Role.REQUESTER], returned.id, returned.version, form, HOSTILE_RATIONALE)
    )
    declined = make_request(team, period, "declined")
    requests.append(workflow.record_harm(team[Role.REQUESTER], declined.id, declined.version, HOSTILE_RATIONALE))
    at_bma = make_request(team, period, "bma")
    workflow.add_comment(team[Role.NATIONAL_MDT], at_bma.id, '=HYPERLINK("http://example.com","open me")')
    approved = workflow.bma_decide(
        team[Role.BMA], at_bma.id, at_bma.version, approval(at_bma, rationale=HOSTILE_RATIONALE)
    )
    with read_session() as session:
        approval_row = session.exec(
            select(AuditEvent).where(AuditEvent.request_id == approved.id, AuditEvent.action == Action.APPROVE.value)
        ).one()
    revoked_elsewhere = make_request(other, period, "approved", trust=TRUST_OTHER_REGION)
    requests.append(
        workflow.revoke(
            other[Role.BMA],
            revoked_elsewhere.id,
            revoked_elsewhere.version,
            "New information.",
            reasons=["facts_changed"],
        )
    )
    staff.make(Role.NATIONAL_MDT)  # an account change after the decisions: a row about no request
    workflow.add_comment(team[Role.REQUESTER], approved.id, "Doctors contacted.")
    return History(period, approved, approval_row, [*requests, approved])


def newest_row_id() -> int:
    with read_session() as session:
        return session.exec(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first()


def verify():
    with read_session() as session:
        return audit.verify_chain(session)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, env=os.environ.copy()
    )


def run_verifier(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # -I: isolated mode, so the script cannot lean on this project's packages.
    return subprocess.run([sys.executable, "-I", str(VERIFIER), *map(str, args)], capture_output=True, text=True)


# ---------------------------------------------------------------- in the database


def test_realistic_history_verifies(history):
    report = verify()
    assert report.ok, report
    with read_session() as session:
        assert report.rows_checked == len(session.exec(select(AuditEvent)).all()) > 40
        assert report.last_hash == session.get(AuditChainHead, 1).last_hash
    assert_consistent()


EDITS = {
    "rationale": "Approved without any review.",
    "actor_name": "Somebody else",
    "to_status": "declined",
    "details": {"approved_doctors": 40},
    "actor_id": None,
    "prev_hash": "0" * 64,
    "row_hash": "f" * 64,
}


@pytest.mark.parametrize("column", [*EDITS, "at"])
def test_an_edited_row_is_named(history, column):
    row_id = history.approval_row.id
    value = history.approval_row.at + timedelta(seconds=1) if column == "at" else EDITS[column]
    with write_session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == row_id).values({column: value}))
    report = verify()
    assert not report.ok
    assert report.first_bad_id == row_id
    expected = "link to the previous row" if column == "prev_hash" else "does not match its hash"
    assert expected in report.problem


def test_plain_sql_update_is_named(history):
    row_id = history.approval_row.id
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE audit_event SET rationale = 'All fine' WHERE id = :id"), {"id": row_id})
    report = verify()
    assert (report.first_bad_id, report.ok) == (row_id, False)


def test_a_deleted_row_is_caught_at_the_next_row(history):
    row_id = history.approval_row.id
    with write_session() as session:
        following = session.exec(select(AuditEvent.id).where(AuditEvent.id > row_id).order_by(AuditEvent.id)).first()
        session.execute(delete(AuditEvent).where(AuditEvent.id == row_id))
    report = verify()
    assert report.first_bad_id == following
    assert "removed" in report.problem


def test_deleting_the_newest_rows_is_caught(history):
    with write_session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == newest_row_id()))
    report = verify()
    assert not report.ok
    assert "newest rows are missing" in report.problem


def test_a_recomputed_chain_is_caught_by_an_anchor(history):
    """Someone with the database could edit a row and recompute every hash after it; a hash recorded
    before (an anchor) then no longer appears."""
    anchor = verify().last_hash
    with write_session() as session:
        rows = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
        previous = ""
        for row in rows:
            if row.id == history.approval_row.id:
                row.rationale = "Approved on the phone."
            row.prev_hash = previous
            row.row_hash = audit.compute_hash(row)
            previous = row.row_hash
            session.add(row)
        session.get(AuditChainHead, 1).last_hash = previous
    assert verify().ok  # the rewrite is self-consistent...
    with read_session() as session:
        report = audit.verify_chain(session, anchors=[anchor])
    assert not report.ok and report.missing_anchors == (anchor,)  # ...but the recorded hash is gone


def test_cli_exits_non_zero_and_names_the_row(history):
    intact = run_cli("verify-audit")
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stdout
    newest_hash = verify().last_hash
    assert newest_hash in intact.stdout
    assert run_cli("verify-audit", "--anchor", newest_hash).returncode == 0

    row_id = history.approval_row.id
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor_name = 'BMA chair' WHERE id = :id"), {"id": row_id})
    broken = run_cli("verify-audit")
    assert broken.returncode == 1
    assert f"BROKEN at row {row_id}:" in broken.stdout


# ---------------------------------------------------------------- exported for outsiders


def export(tmp_path: Path, **which: int) -> Path:
    ((kind, number),) = which.items()
    out = tmp_path / f"{kind}-{number}.csv"
    assert cli.main(["export-audit", f"--{kind}", str(number), "--out", str(out)]) == 0
    return out


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)


def test_period_export_reverifies_outside_the_system(history, tmp_path):
    path = export(tmp_path, period=history.period.id)
    result = run_verifier(path)
    assert result.returncode == 0, result.stdout
    assert "Every row links to the row before it" in result.stdout
    assert verify().last_hash in result.stdout  # ends where the live chain ends: nothing after it is missing

    rows = read_rows(path)
    header, body = rows[0], rows[1:]
    assert header[-1] == audit.PERIOD_FLAG
    ids = [int(r[0]) for r in body]
    with read_session() as session:
        period_ids = session.exec(
            select(DerogationRequest.id).where(DerogationRequest.strike_period_id == history.period.id)
        ).all()
        own_rows = session.exec(
            select(AuditEvent.id).where(AuditEvent.request_id.in_(period_ids)).order_by(AuditEvent.id)
        ).all()
        all_ids = session.exec(
            select(AuditEvent.id)
            .where(AuditEvent.id >= own_rows[0], AuditEvent.id <= own_rows[-1])
            .order_by(AuditEvent.id)
        ).all()
    assert ids == list(all_ids)  # the unbroken stretch from its first to its last row...
    assert [int(r[0]) for r in body if r[-1] == "yes"] == list(own_rows)  # ...with its own rows marked
    assert any(r[-1] == "no" for r in body)  # the account created mid-way is in the stretch, marked "no"


def test_export_keeps_text_exactly_and_defuses_formulas(history, tmp_path):
    path = export(tmp_path, request=history.approved.id)
    rows = read_rows(path)
    header = rows[0]
    by_action = {r[header.index("action")]: r for r in rows[1:]}
    assert by_action["approve"][header.index("rationale")] == HOSTILE_RATIONALE  # commas, quotes, CRLF, tab
    comment = next(r for r in rows[1:] if r[header.index("rationale")].startswith("'"))
    assert comment[header.index("rationale")] == '\'=HYPERLINK("http://example.com","open me")'
    assert run_verifier("--request-export", path).returncode == 0


def test_request_export_needs_its_mode_and_catches_edits(history, tmp_path):
    path = export(tmp_path, request=history.approved.id)
    assert run_verifier("--request-export", path).returncode == 0
    strict = run_verifier(path)  # other requests' rows lie between this request's rows
    assert strict.returncode == 1 and "link" in strict.stdout

    rows = read_rows(path)
    header = rows[0]
    target = next(r for r in rows[1:] if r[header.index("action")] == "approve")
    target[header.index("details")] = target[header.index("details")].replace(
        '"approved_doctors":1', '"approved_doctors":9'
    )
    write_rows(path, rows)
    result = run_verifier("--request-export", path)
    assert result.returncode == 1
    assert f"row id {target[0]} " in result.stdout and "edited" in result.stdout


@pytest.mark.parametrize("tamper", ["edit", "delete", "swap", "truncate"])
def test_tampered_period_export_fails(history, tmp_path, tamper):
    path = export(tmp_path, period=history.period.id)
    rows = read_rows(path)
    header, body = rows[0], rows[1:]
    middle = len(body) // 2
    named = body[middle][0]
    if tamper == "edit":
        body[middle][header.index("actor_role")] = "bma"
        body[middle][header.index("actor_name")] = "BMA reviewer"
        expected = "edited"
    elif tamper == "delete":
        named = body[middle + 1][0]
        del body[middle]
        expected = "removed"
    elif tamper == "swap":
        body[middle], body[middle + 1] = body[middle + 1], body[middle]
        named = body[middle][0]
        expected = "removed or reordered"
    else:
        anchor = body[-1][header.index("row_hash")]
        del body[-3:]
        write_rows(path, [header, *body])
        result = run_verifier("--anchor", anchor, path)
        assert result.returncode == 1 and anchor in result.stdout
        return
    write_rows(path, [header, *body])
    result = run_verifier(path)
    assert result.returncode == 1
    assert f"row id {named} " in result.stdout and expected in result.stdout


def test_verifier_refuses_a_file_that_is_not_an_export(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    assert run_verifier(path).returncode == 2


def test_export_refuses_unknown_ids_and_writes_nothing(history, tmp_path, capsys):
    for args in (["--request", "999999"], ["--period", "999999"]):
        out = tmp_path / "x.csv"
        assert cli.main(["export-audit", *args, "--out", str(out)]) == 2
        assert "not found" in capsys.readouterr().err
        assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_period_without_requests_exports_a_header_only(history):
    with write_session() as session:
        empty = StrikePeriod(
            name="Future",
            starts_at=history.period.ends_at + timedelta(days=30),
            ends_at=history.period.ends_at + timedelta(days=32),
        )
        session.add(empty)
    out = io.StringIO(newline="")
    with read_session() as session:
        summary = audit.export_period(session, out, empty.id)
    assert summary.rows == 0
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [[*audit.EXPORT_COLUMNS, audit.PERIOD_FLAG]]


def test_scoped_request_history_reads_out_of_scope_as_missing(history, team):
    """What a page may offer: the viewer's own requests only; another region's reads as not found."""
    with read_session() as session:
        mine = audit.request_events(session, history.approved.id, viewer=team[Role.REGIONAL_MD])
        assert [e.action for e in mine][-2:] == [Action.APPROVE.value, Action.COMMENT.value]
        elsewhere = history.requests[3].id  # the other region's request
        with pytest.raises(NotFound) as out_of_scope:
            audit.request_events(session, elsewhere, viewer=team[Role.REGIONAL_MD])
        with pytest.raises(NotFound) as missing:
            audit.request_events(session, 10**9, viewer=team[Role.REGIONAL_MD])
    assert str(out_of_scope.value) == str(missing.value)


def test_postgresql_grants_make_the_history_append_only(db, history, monkeypatch):
    """docs/audit-chain.md: run the app as a role that may insert audit rows but never change them."""
    if not db.startswith("postgresql"):
        pytest.skip("grants are PostgreSQL's")
    role = f"derog_app_{uuid.uuid4().hex[:8]}"
    owner = create_engine(db, isolation_level="AUTOCOMMIT")
    grants = [
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM {role}",
    ]
    with owner.connect() as conn:
        for statement in grants:
            conn.execute(text(statement))
    app_url = make_url(db).set(username=role).render_as_string(hide_password=False)
    try:
        monkeypatch.setenv("DATABASE_URL", app_url)
        dispose_engines()
        migrate(app_url)  # the start-up check works with the app's rights
        team_member = history.approved.created_by_id
        with read_session() as session:
            requester = session.get(User, team_member)
        workflow.add_comment(requester, history.approved.id, "Written by the restricted app role.")
        assert verify().ok
        for statement in ("UPDATE audit_event SET rationale = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"):
            with pytest.raises(ProgrammingError, match="permission denied"), get_engine().begin() as conn:
                conn.execute(text(statement))
    finally:
        dispose_engines()
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        owner.dispose()
