"""docs/rules.md rule 8, and the end of docs/rules.md rule 1: time at tier, response targets and breaches (Python and SQL agree),
'not decided in time', and open requests expiring with their strike period."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from core import workflow
from core.enums import Action, Role, Status, Tier
from core.models import DerogationRequest, StrikePeriod
from core.platform.clock import to_london
from core.platform.db import read_session, write_session
from core.platform.errors import ValidationFailed
from core.records import audit
from core.request import timing
from tests.core.conftest import REASON, T0, add_period, audit_rows, escalate_to, file_request, reload, timed_form


def _ids_where(condition) -> set[int]:
    with read_session() as session:
        return set(session.exec(select(DerogationRequest.id).where(condition)).all())


# ---------------------------------------------------------------- time at tier and breaches


def test_time_at_tier_restarts_at_each_tier_and_breaches_follow_the_target(team, fixed_period):
    request = file_request(team, fixed_period, now=T0)
    targets = timing.DEFAULT_TARGETS
    assert timing.minutes_at_tier(request, T0 + timedelta(minutes=45)) == 45
    assert timing.target_minutes(request, targets) == 60  # the clinical director's
    assert not timing.is_breached(request, targets, T0 + timedelta(minutes=60))
    assert timing.is_breached(request, targets, T0 + timedelta(minutes=61))

    moved_at = T0 + timedelta(minutes=90)
    request = workflow.review(
        team[Role.CLINICAL_DIRECTOR], request.id, request.version, Action.ESCALATE, REASON, now=moved_at
    )
    assert timing.minutes_at_tier(request, moved_at + timedelta(minutes=10)) == 10
    assert not timing.is_breached(request, targets, moved_at + timedelta(minutes=10))


def test_the_sql_breach_filter_agrees_with_python(team, fixed_period):
    cd = file_request(team, fixed_period, now=T0)
    regional = escalate_to(team, file_request(team, fixed_period, now=T0), Tier.REGIONAL_MD, now=T0)
    closed = file_request(team, fixed_period, now=T0)
    workflow.review(team[Role.CLINICAL_DIRECTOR], closed.id, closed.version, Action.RESOLVE_LOCALLY, REASON, now=T0)
    targets = timing.DEFAULT_TARGETS  # clinical director 60 min, regional 120 min
    for minutes, expected in [(30, set()), (90, {cd.id}), (150, {cd.id, regional.id})]:
        now = T0 + timedelta(minutes=minutes)
        assert _ids_where(timing.breached_sql(targets, now)) == expected
        assert {r.id for r in (cd, regional, reload(closed.id)) if timing.is_breached(reload(r.id), targets, now)} == (
            expected
        )


def test_a_request_waiting_for_the_trust_is_not_at_a_tier(team, fixed_period):
    request = file_request(team, fixed_period, now=T0)
    request = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        request.id,
        request.version,
        Action.RETURN_FOR_INFO,
        "Which wards?",
        now=T0,
        reasons=["evidence_missing"],
    )
    later = T0 + timedelta(hours=5)
    assert timing.minutes_at_tier(request, later) is None
    assert timing.target_minutes(request, timing.DEFAULT_TARGETS) is None
    assert not timing.is_breached(request, timing.DEFAULT_TARGETS, later)
    assert _ids_where(timing.breached_sql(timing.DEFAULT_TARGETS, later)) == set()


def test_targets_are_configurable_within_limits(db):
    with write_session() as session:
        timing.set_target(session, Tier.BMA, 30)
    with read_session() as session:
        assert timing.tier_targets(session)[Tier.BMA] == 30
        assert timing.tier_targets(session)[Tier.CLINICAL_DIRECTOR] == timing.DEFAULT_TARGETS[Tier.CLINICAL_DIRECTOR]
    for bad in (0, timing.MAX_TARGET_MINUTES + 1):
        with pytest.raises(ValidationFailed), write_session() as session:
            timing.set_target(session, Tier.BMA, bad)


# ---------------------------------------------------------------- not decided in time


def test_an_undecided_request_past_its_deadline_is_not_decided_in_time(team, fixed_period):
    open_one = file_request(team, fixed_period, now=T0)  # decision needed by T0 + 3h
    decided = escalate_to(team, file_request(team, fixed_period, now=T0), Tier.BMA, now=T0)
    decided = workflow.bma_decide(
        team[Role.BMA],
        decided.id,
        decided.version,
        workflow.BmaDecision(False, REASON, reasons=["evidence_missing"]),
        now=T0 + timedelta(hours=1),
    )
    before, after = T0 + timedelta(hours=2), T0 + timedelta(hours=4)
    assert not timing.not_decided_in_time(reload(open_one.id), before)
    assert timing.not_decided_in_time(reload(open_one.id), after)
    assert not timing.not_decided_in_time(reload(decided.id), after)
    assert timing.minutes_to_decision(reload(open_one.id), before) == 60
    assert _ids_where(timing.not_decided_in_time_sql(before)) == set()
    assert _ids_where(timing.not_decided_in_time_sql(after)) == {open_one.id}


# ---------------------------------------------------------------- expiry with the strike period


def test_open_requests_expire_with_their_own_period_only(team):
    """Two periods: expiry closes the open requests of the one that ended, nothing else."""
    first = add_period(T0 - timedelta(days=2), T0 + timedelta(hours=1), "First")
    second = add_period(T0 + timedelta(hours=1), T0 + timedelta(days=3), "Second")
    in_review = file_request(team, first, now=T0 - timedelta(days=1))
    waiting = file_request(team, first, now=T0 - timedelta(days=1))
    waiting = workflow.review(
        team[Role.CLINICAL_DIRECTOR],
        waiting.id,
        waiting.version,
        Action.RETURN_FOR_INFO,
        "Which wards?",
        now=T0,
        reasons=["evidence_missing"],
    )
    at_bma = escalate_to(team, file_request(team, first, now=T0 - timedelta(days=1)), Tier.BMA, now=T0)
    resolved = file_request(team, first, now=T0 - timedelta(days=1))
    workflow.review(team[Role.CLINICAL_DIRECTOR], resolved.id, resolved.version, Action.RESOLVE_LOCALLY, REASON, now=T0)
    draft = workflow.save_draft(team[Role.REQUESTER], timed_form(first, T0), now=T0)
    later = file_request(team, second, now=T0 + timedelta(hours=2))
    assert later.strike_period_id == second.id

    assert workflow.expire_ended_periods(now=T0 + timedelta(hours=3)) == 3
    for request in (in_review, waiting, at_bma):
        row = reload(request.id)
        assert (row.status, row.current_tier, row.closed_at) == (Status.EXPIRED, None, first.ends_at)
        last = audit_rows(request.id)[-1]
        assert (last.action, last.actor_id, last.actor_role, last.to_status) == (
            Action.EXPIRE,
            None,
            audit.SYSTEM_ACTOR,
            Status.EXPIRED,
        )
        assert "The strike period 'First' ended" in last.rationale
    assert reload(resolved.id).status == Status.RESOLVED_LOCALLY
    assert reload(draft.id).status == Status.DRAFT
    assert reload(later.id).status == Status.IN_REVIEW
    # Expired past its decision-needed-by: counted as not decided in time, not hidden.
    assert timing.not_decided_in_time(reload(in_review.id), T0 + timedelta(hours=3))
    # Running again finds nothing more to do, and the period is marked as processed.
    assert workflow.expire_ended_periods(now=T0 + timedelta(hours=4)) == 0
    with read_session() as session:
        assert session.get(StrikePeriod, first.id).expired_processed_at == T0 + timedelta(hours=3)
        assert session.get(StrikePeriod, second.id).expired_processed_at is None


def test_nothing_expires_before_the_period_ends(team, fixed_period):
    request = file_request(team, fixed_period, now=T0)
    assert workflow.expire_ended_periods(now=fixed_period.ends_at - timedelta(seconds=1)) == 0
    assert reload(request.id).status == Status.IN_REVIEW


def test_expiry_run_by_several_app_processes_at_once_expires_each_request_once(team, fixed_period):
    """Every page run checks for ended periods: when one ends, many processes try at the same moment."""
    requests = [file_request(team, fixed_period, now=T0) for _ in range(4)]
    after_end = fixed_period.ends_at + timedelta(minutes=1)
    threads, results, errors = 6, [], []
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        try:
            results.append(workflow.expire_ended_periods(now=after_end))
        except Exception as exc:  # noqa: BLE001  (any exception is a failure of this test)
            errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == [] and sum(results) == len(requests)
    for request in requests:
        assert [r.action for r in audit_rows(request.id)].count(Action.EXPIRE) == 1
    with read_session() as session:
        assert audit.verify_chain(session).ok


def test_the_sql_breach_filter_reads_a_uk_time_as_the_moment_it_is(team, db):
    # The cutoffs are typed as the column is, so "now" written in UK time is the same moment as in UTC
    # (in summer the two differ by an hour: a 30-minute wait must not read as 90).
    summer = T0.replace(month=7)
    request = file_request(team, add_period(summer - timedelta(hours=12), summer + timedelta(days=3)), now=summer)
    now = summer + timedelta(minutes=30)
    for written in (now, to_london(now)):
        assert _ids_where(timing.breached_sql(timing.DEFAULT_TARGETS, written)) == set()
    later = summer + timedelta(minutes=61)
    for written in (later, to_london(later)):
        assert _ids_where(timing.breached_sql(timing.DEFAULT_TARGETS, written)) == {request.id}
