"""The dashboard's running tally (core/request/running_counts.py) moves with every kind of state change, on both
databases, and the dashboard's figures read from it equal the figures counted from the requests."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from alembic import command
from sqlalchemy import update

from core import queries, workflow
from core.enums import Action, Role, Tier
from core.models import DerogationRequest, RequestTally
from core.platform.clock import utcnow
from core.platform.db import alembic_config, read_session, write_session
from core.queries.dashboard import BREAKDOWN_COLUMNS, BREAKDOWN_KEYS, BREAKDOWN_SUMS, _moments, _requests_grouped
from core.request import running_counts
from core.request.timing import tier_targets
from ops.cli import main
from tests.conftest import TRUST_OTHER_REGION, valid_form
from tests.core.queries.test_queries import REASON, approve, escalate, file


def assert_tally_right() -> None:
    with read_session() as session:
        assert running_counts.differences(session) == {}


def test_every_kind_of_change_moves_the_request_in_the_tally(team, staff, period):
    london = staff.team(trust=TRUST_OTHER_REGION, region="Y56")
    requester = team[Role.REQUESTER]
    approved = approve(team, file(team, period))
    assert_tally_right()
    workflow.revoke(team[Role.BMA], approved.id, approved.version, "New information.", reasons=["facts_changed"])
    assert_tally_right()

    declined = escalate(team, file(team, period, mass_casualty=True), Tier.BMA)
    decision = workflow.BmaDecision(approve=False, rationale="Cover exists.", reasons=["evidence_missing"])
    workflow.bma_decide(team[Role.BMA], declined.id, declined.version, decision)
    assert_tally_right()

    returned = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        (r := file(team, period)).id,
        r.version,
        Action.RETURN_FOR_INFO,
        REASON,
        reasons=["evidence_missing"],
    )
    assert_tally_right()
    bigger = valid_form(period, trust=requester.trust_code, doctors_requested=4, minimum_safe_doctors=9)
    workflow.answer_more_info(requester, returned.id, returned.version, bigger, "Two more doctors are off sick.")
    assert_tally_right()

    for action in (Action.RESOLVE_LOCALLY, Action.DECLINE_CRITERIA):
        r = file(london, period)
        workflow.review(london[Role.CLINICAL_DIRECTOR], r.id, r.version, action, REASON, reasons=["evidence_missing"])
        assert_tally_right()
    withdrawn = file(team, period)
    workflow.withdraw(requester, withdrawn.id, withdrawn.version, "Cover found.")
    assert_tally_right()

    open_at_end = escalate(team, file(team, period), Tier.REGIONAL_MD)
    assert workflow.expire_ended_periods(now=period.ends_at + timedelta(minutes=1)) >= 1
    with read_session() as session:
        assert session.get(DerogationRequest, open_at_end.id).status == "expired"
        assert running_counts.differences(session) == {}
        assert sum(row.requests for row in session.exec(RequestTally.__table__.select()).all()) == 7


def test_a_tally_changed_by_hand_is_found_and_counted_afresh_by_the_cli(team, period, capsys):
    file(team, period)
    assert main(["check-tally"]) == 0
    with write_session() as session:
        session.execute(update(RequestTally).values(requests=RequestTally.requests + 1))
    assert main(["check-tally"]) == 1
    assert "1 count(s) differ" in capsys.readouterr().out
    assert main(["check-tally", "--repair"]) == 0
    assert_tally_right()
    assert main(["check-tally"]) == 0
    withdrawn = file(team, period, mass_casualty=True)  # the only request of its row...
    workflow.withdraw(team[Role.REQUESTER], withdrawn.id, withdrawn.version, "Cover found.")  # ...left at 0
    with write_session() as session:
        emptied = RequestTally.requests == 0
        session.execute(update(RequestTally).where(emptied).values(doctors_requested=5))
    assert main(["check-tally"]) == 1  # doctors on a row that counts no request are wrong too


def _by_keys(frame: pd.DataFrame) -> list[dict]:
    keys = BREAKDOWN_KEYS
    grouped = frame.fillna({"current_tier": ""}).groupby(keys, as_index=False)[BREAKDOWN_SUMS].sum()
    return grouped.sort_values(keys).to_dict("records")


def test_figures_from_the_tally_equal_figures_counted_from_the_requests(team, staff, period):
    london = staff.team(trust=TRUST_OTHER_REGION, region="Y56")
    approve(team, file(team, period))
    approve(london, file(london, period, mass_casualty=True))
    r = file(team, period)
    workflow.withdraw(team[Role.REQUESTER], r.id, r.version, "Cover found.")
    late = escalate(london, file(london, period), Tier.NATIONAL_MDT)
    with write_session() as session:
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == late.id)
            .values(decision_needed_by=utcnow() - timedelta(minutes=1), tier_entered_at=utcnow() - timedelta(days=1))
        )
    now = utcnow()
    for viewer in (team[Role.NATIONAL_MDT], team[Role.REGIONAL_MD], london[Role.REGIONAL_MD]):
        from_tally = queries.dashboard_breakdown(viewer, period.id, now).to_pandas()
        with read_session() as session:
            counted = pd.DataFrame(
                session.execute(
                    _requests_grouped(viewer, period.id, targets := tier_targets(session), timed_only=False),
                    _moments(targets, now),
                ).all(),
                columns=BREAKDOWN_COLUMNS,
            )
        counted = counted.astype({c: int for c in ["breached", "mass_casualty", *BREAKDOWN_SUMS]})
        assert _by_keys(from_tally) == _by_keys(counted)
        assert len(from_tally) > 0


def test_the_migration_counts_the_requests_already_there(team, period, db):
    approve(team, file(team, period))
    file(team, period, mass_casualty=True)
    config = alembic_config(db)
    command.downgrade(config, "0004")  # as a database was before the tally existed
    command.upgrade(config, "head")
    assert_tally_right()
    with read_session() as session:
        assert sum(row.requests for row in session.exec(RequestTally.__table__.select()).all()) == 2
