"""core/queries/ and core/accounts/admin.py on both databases: scope, ordering, SQL aggregates, CSV, the public
check, and audited administration."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from core import queries, workflow
from core.accounts import admin
from core.enums import Action, Role, Tier
from core.models import AuditEvent, DerogationRequest, StrikePeriod
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import read_session, write_session
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.conftest import TRUST_OTHER_REGION, valid_form
from tests.core.conftest import bma_approval

REASON = "Checked with the service."


def file(team, period, **overrides):  # noqa: ANN001, ANN201
    draft = workflow.save_draft(
        team[Role.REQUESTER], valid_form(period, trust=team[Role.REQUESTER].trust_code, **overrides)
    )
    return workflow.submit(team[Role.REQUESTER], draft.id, draft.version)


def escalate(team, request, tier):  # noqa: ANN001, ANN201
    while request.current_tier != tier.value:
        request = workflow.review(
            team[Role(request.current_tier)], request.id, request.version, Action.ESCALATE, REASON
        )
    return request


def approve(team, request):  # noqa: ANN001, ANN201
    request = escalate(team, request, Tier.BMA)
    decision = bma_approval(request, approved_doctors=2, approved_grades=["ST3+"])
    return workflow.bma_decide(team[Role.BMA], request.id, request.version, decision)


@pytest.fixture
def london(staff):  # noqa: ANN001, ANN201
    return staff.team(trust=TRUST_OTHER_REGION, region="Y56")


def test_queue_is_scoped_and_ordered_mass_casualty_breached_oldest(team, period):
    oldest, newer, breached = (file(team, period) for _ in range(3))
    mass = file(team, period, mass_casualty=True)
    with write_session() as session:
        for request, minutes in ((oldest, 30), (newer, 10), (breached, 600), (mass, 1)):
            session.execute(
                update(DerogationRequest)
                .where(DerogationRequest.id == request.id)
                .values(tier_entered_at=utcnow() - timedelta(minutes=minutes))
            )
    rows, total = queries.queue(team[Role.CLINICAL_DIRECTOR])
    assert [r.request.id for r in rows] == [mass.id, breached.id, oldest.id, newer.id] and total == 4
    assert rows[1].breached and not rows[2].breached
    assert queries.queue(team[Role.TRUST_MD]) == ([], 0)
    assert queries.queue(team[Role.REQUESTER]) == ([], 0)


def test_lists_never_cross_a_trust_or_region(team, london, period):
    mine, theirs = file(team, period), file(london, period)
    rows, _ = queries.trust_requests(team[Role.REQUESTER])
    assert [r.request.id for r in rows] == [mine.id]
    rows, _ = queries.period_requests(team[Role.REGIONAL_MD], period.id, queries.ListFilters())
    assert [r.request.id for r in rows] == [mine.id]
    rows, total = queries.period_requests(team[Role.NATIONAL_MDT], period.id, queries.ListFilters())
    assert {r.request.id for r in rows} == {mine.id, theirs.id} and total == 2
    assert rows[0].latest_action == "Submitted"


def test_dashboard_breakdown_and_headline_are_sql_aggregates_in_scope(team, london, period):
    approve(team, file(team, period))
    file(london, period)
    withdrawn = file(team, period)
    workflow.withdraw(team[Role.REQUESTER], withdrawn.id, withdrawn.version, "Cover found.")
    late = file(team, period)
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == late.id)
            .values(decision_needed_by=utcnow() - timedelta(minutes=1))
        )
    national = queries.headline(queries.dashboard_breakdown(team[Role.NATIONAL_MDT], period.id))
    assert (national.requests, national.approved, national.withdrawn, national.pending) == (4, 1, 1, 1)
    assert national.not_decided_in_time == 1
    assert (national.doctors_requested, national.doctors_approved) == (12, 2)
    regional = queries.headline(queries.dashboard_breakdown(team[Role.REGIONAL_MD], period.id))
    assert regional.requests == 3 and regional.pending == 0
    nobody = queries.dashboard_breakdown(team[Role.REQUESTER], None)
    assert nobody.num_rows == 0


def test_dashboard_timeline_buckets_by_hour_on_either_database(team, period):
    approve(team, file(team, period))
    frame = queries.dashboard_timeline(team[Role.NATIONAL_MDT], period)
    assert set(frame["event"]) == {"Submitted", "Approvals given"}
    assert frame.loc[frame["event"] == "Approvals given", "doctors"].sum() == 2
    assert all(stamp.minute == 0 and stamp.tzinfo is not None for stamp in frame["at"])


def test_attention_lists_breached_and_near_deadline_only(team, period):
    calm, breached = file(team, period), file(team, period)
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == calm.id)
            .values(decision_needed_by=utcnow() + timedelta(hours=12))
        )
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == breached.id)
            .values(tier_entered_at=utcnow() - timedelta(hours=6), decision_needed_by=utcnow() + timedelta(hours=12))
        )
    rows = queries.attention(team[Role.NATIONAL_MDT], period.id)
    assert [r.request.id for r in rows] == [breached.id]


def test_the_dashboards_statements_built_once_answer_for_the_moment_they_run(team, period):
    # The live figures' SQL is built once per scope with "now" as parameters: the same statement, run
    # later, must see what has changed with the clock alone.
    waiting = file(team, period)
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == waiting.id)
            .values(decision_needed_by=utcnow() + timedelta(hours=12))
        )
    national, now = team[Role.NATIONAL_MDT], utcnow()
    early = queries.live_figures(national, period.id, now)
    assert queries.headline(early.breakdown).breached_now == 0 and early.attention == []
    later = queries.live_figures(national, period.id, now + timedelta(hours=11))  # past the 1-hour target
    figures = queries.headline(later.breakdown)
    assert (figures.breached_now, figures.pending, figures.not_decided_in_time) == (1, 1, 0)
    assert [row.request.id for row in later.attention] == [waiting.id] and later.attention[0].breached
    latest = queries.headline(queries.live_figures(national, period.id, now + timedelta(hours=13)).breakdown)
    assert (latest.pending, latest.not_decided_in_time) == (0, 1)


def test_csv_downloads_hold_the_filtered_rows_and_defuse_formulas(team, london, period):
    mine = file(team, period, service='=HYPERLINK("http://evil")')
    file(london, period)
    text = queries.requests_csv(team[Role.REGIONAL_MD], period.id, queries.ListFilters())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["id"]) for r in rows] == [mine.id]
    assert rows[0]["service"].startswith("'=")  # shown as text by a spreadsheet, never run
    assert rows[0]["outcome"] == "Pending"
    audit = list(
        csv.DictReader(io.StringIO(queries.audit_csv(team[Role.REGIONAL_MD], period.id, queries.ListFilters())))
    )
    assert {int(r["request_id"]) for r in audit} == {mine.id}
    assert [r["action"] for r in audit] == ["create", "submit"] and all(len(r["row_hash"]) == 64 for r in audit)


def test_the_dashboard_audit_download_rechecks_outside_the_system(team, period, tmp_path):
    file(team, period)
    path = tmp_path / "audit.csv"
    path.write_text(queries.audit_csv(team[Role.NATIONAL_MDT], period.id, queries.ListFilters()), newline="")
    verifier = [sys.executable, "-I", str(PROJECT_ROOT / "scripts" / "verify_audit_csv.py"), "--request-export"]
    assert subprocess.run([*verifier, str(path)], capture_output=True).returncode == 0
    written = path.read_text()
    assert ',"requester",' in written  # every text cell is quoted (core.platform.spreadsheet.writer)
    path.write_text(written.replace(',"requester",', ',"trust_md",', 1), newline="")  # a forged role
    assert subprocess.run([*verifier, str(path)], capture_output=True).returncode == 1


def test_the_public_check_finds_an_approval_loosely_typed_and_nothing_else(team, period):
    approved = approve(team, file(team, period))
    found = queries.verify_reference(approved.confirmation_ref.lower().replace("-", " "))
    assert found is not None and found.valid and found.doctors == 2 and found.grades == ["ST3+"]
    assert queries.verify_reference("ABCD-EFGH") is None
    assert queries.verify_reference("' OR 1=1 --") is None
    workflow.revoke(team[Role.BMA], approved.id, approved.version, "New information.", reasons=["facts_changed"])
    revoked = queries.verify_reference(approved.confirmation_ref)
    assert revoked is not None and not revoked.valid and revoked.revoked_at is not None


def test_a_request_record_out_of_scope_is_not_found(team, london, period):
    from core.platform.errors import NotFound

    theirs = file(london, period)
    with pytest.raises(NotFound):
        queries.request_record(team[Role.REQUESTER], theirs.id)
    record = queries.request_record(london[Role.REQUESTER], theirs.id)
    assert [e.action for e in record.events] == ["create", "submit"]


def test_strike_periods_are_validated_audited_and_never_overlap(team, db):
    administrator = team[Role.ADMIN]
    with pytest.raises(ValidationFailed) as refused:
        admin.save_period(administrator, name="", starts_at=datetime(2025, 7, 25, 7), ends_at=datetime(2025, 7, 25, 6))
    assert set(refused.value.errors) == {"name"}
    with pytest.raises(ValidationFailed) as refused:
        admin.save_period(
            administrator, name="July", starts_at=datetime(2025, 7, 25, 7), ends_at=datetime(2025, 7, 25, 6)
        )
    assert refused.value.errors == {"ends_at": "The end must be after the start."}
    july = admin.save_period(
        administrator, name="July", starts_at=datetime(2025, 7, 25, 7), ends_at=datetime(2025, 7, 30, 7)
    )
    assert july.starts_at.hour == 6  # 07:00 BST
    with pytest.raises(ValidationFailed) as refused:
        admin.save_period(administrator, name="Overlap", starts_at=datetime(2025, 7, 29), ends_at=datetime(2025, 8, 2))
    assert "overlaps 'July'" in refused.value.errors["starts_at"]
    admin.save_period(
        administrator,
        period_id=july.id,
        name="July 2025",
        starts_at=datetime(2025, 7, 25, 7),
        ends_at=datetime(2025, 7, 30, 7),
    )
    with pytest.raises(PermissionDenied):
        admin.save_period(
            team[Role.NATIONAL_MDT], name="Sneaky", starts_at=datetime(2026, 1, 1), ends_at=datetime(2026, 1, 2)
        )
    with read_session() as session:
        names = [p.name for p in session.exec(select(StrikePeriod))]
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert names == ["July 2025"]
    assert actions[-2:] == ["period_created", "period_updated"]


def test_targets_are_all_or_nothing_and_admin_only(team, db):
    with pytest.raises(ValidationFailed) as refused:
        admin.save_targets(team[Role.ADMIN], {Tier.CLINICAL_DIRECTOR: 30, Tier.BMA: 0})
    assert set(refused.value.errors) == {"target.bma"}
    assert queries.targets()[Tier.CLINICAL_DIRECTOR] == 60  # unchanged
    with pytest.raises(PermissionDenied):
        admin.save_targets(team[Role.BMA], {Tier.BMA: 600})
    admin.save_targets(team[Role.ADMIN], {Tier.CLINICAL_DIRECTOR: 30, Tier.BMA: 600})
    assert queries.targets()[Tier.CLINICAL_DIRECTOR] == 30 and queries.targets()[Tier.BMA] == 600


def test_accounts_change_through_admin_only(team, db):
    cd = team[Role.CLINICAL_DIRECTOR]
    with pytest.raises(PermissionDenied):
        admin.change_account(
            team[Role.TRUST_MD], cd.id, role=Role.TRUST_MD, trust_code="R0A", region_code=None, active=True
        )
    changed = admin.change_account(
        team[Role.ADMIN], cd.id, role=Role.TRUST_MD, trust_code="R0A", region_code=None, active=False
    )
    assert (changed.role, changed.active) == (Role.TRUST_MD, False)
    found, total = admin.list_accounts(team[Role.ADMIN], cd.email.upper())
    assert [u.id for u in found] == [cd.id] and total == 1


def test_queue_filters_are_offered_where_the_scope_spans_more_than_one(team, london, period):
    file(team, period)
    escalate(london, file(london, period), Tier.NATIONAL_MDT)
    assert queries.queue_choices(team[Role.CLINICAL_DIRECTOR]) == (None, None)  # one trust
    assert queries.queue_choices(team[Role.REGIONAL_MD]) == (None, {})  # one region, nothing waiting there
    regions, trusts = queries.queue_choices(team[Role.NATIONAL_MDT])
    assert list(regions) == ["Y56"] and list(trusts) == [TRUST_OTHER_REGION]
    assert queries.queue_choices(team[Role.REQUESTER]) == (None, None)  # reviews nothing


def test_the_next_request_waiting_is_the_first_of_the_queue_in_scope_and_never_the_one_just_decided(
    team, london, period
):
    oldest, newer = file(team, period), file(team, period)
    elsewhere = file(london, period)  # another trust's clinical director's queue
    director = team[Role.CLINICAL_DIRECTOR]
    assert queries.next_waiting(director) == oldest.id
    assert queries.next_waiting(director, besides=oldest.id) == newer.id
    escalate(team, oldest, Tier.TRUST_MD)
    escalate(team, newer, Tier.TRUST_MD)
    assert queries.next_waiting(director) is None  # nothing else here; never another trust's
    assert queries.next_waiting(team[Role.TRUST_MD], besides=oldest.id) == newer.id
    assert queries.next_waiting(team[Role.REQUESTER]) is None  # reviews nothing
    assert elsewhere.id not in {queries.next_waiting(director), queries.next_waiting(team[Role.TRUST_MD])}
