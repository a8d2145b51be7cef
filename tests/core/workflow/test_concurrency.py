"""Many people acting at the same moment, on a SQLite file and on PostgreSQL: exactly one wins per
request, the others are told it changed, nothing is lost, no 'database is locked' reaches anyone, and
the audit chain stays one unbroken line."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from core import queries, workflow
from core.enums import Action, Role, Status, Tier
from core.platform.db import read_session
from core.platform.errors import StaleVersion
from core.records import audit
from tests.core.conftest import REASON, audit_rows, file_request, reload

THREADS = 16


def _race(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread, released together; return each result or exception."""
    results: list[object] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as exc:  # noqa: BLE001  (DatabaseBusy, OperationalError... are all failures here)
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def _chain_ok() -> None:
    with read_session() as session:
        report = audit.verify_chain(session)
    assert report.ok, report


def test_everyone_escalating_the_same_requests_at_once_exactly_one_wins_each(team, staff, period):
    directors = [team[Role.CLINICAL_DIRECTOR]] + [staff.make(Role.CLINICAL_DIRECTOR, trust="R0A") for _ in range(3)]
    requests = [file_request(team, period) for _ in range(4)]
    # Each thread opened its request (read its version) before anyone acted.
    opened = [
        (requests[i % 4].id, queries.request_record(directors[i % 4], requests[i % 4].id).request.version)
        for i in range(THREADS)
    ]
    calls = [
        lambda i=i: workflow.review(directors[i // 4], opened[i][0], opened[i][1], Action.ESCALATE, f"{REASON} ({i})")
        for i in range(THREADS)
    ]
    results = _race(calls)

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, StaleVersion)]
    assert unexpected == []
    wins = Counter(r.id for r in results if not isinstance(r, Exception))
    assert wins == {request.id: 1 for request in requests}
    assert sum(isinstance(r, StaleVersion) for r in results) == THREADS - len(requests)
    for request in requests:
        row = reload(request.id)
        assert (row.current_tier, row.version) == (Tier.TRUST_MD, request.version + 1)  # no lost or double update
        escalations = [e for e in audit_rows(request.id) if e.action == Action.ESCALATE]
        assert len(escalations) == 1
        winner = next(r for r in results if not isinstance(r, Exception) and r.id == request.id)
        assert winner.version == row.version
    _chain_ok()


def test_actions_on_different_requests_at_once_all_succeed_and_chain_in_one_line(team, period):
    """The audit chain head is locked per append: without it, concurrent appends fork the chain."""
    requests = [file_request(team, period) for _ in range(THREADS)]
    before = len(audit_rows())
    calls = [
        lambda r=r: workflow.review(team[Role.CLINICAL_DIRECTOR], r.id, r.version, Action.ESCALATE, REASON)
        for r in requests
    ]
    results = _race(calls)
    assert [type(r).__name__ for r in results if isinstance(r, Exception)] == []
    assert all(reload(r.id).current_tier == Tier.TRUST_MD for r in requests)
    assert len(audit_rows()) == before + THREADS
    _chain_ok()


def test_different_people_doing_different_things_to_one_request_at_once(team, staff, period):
    """Withdraw, escalate, return and resolve race on one request; comments need no version and all land."""
    request = file_request(team, period)
    other_director = staff.make(Role.CLINICAL_DIRECTOR, trust="R0A")
    version = request.version
    state_changes = [
        lambda: workflow.withdraw(team[Role.REQUESTER], request.id, version, "Cover found."),
        lambda: workflow.review(team[Role.CLINICAL_DIRECTOR], request.id, version, Action.ESCALATE, REASON),
        lambda: workflow.review(
            other_director, request.id, version, Action.RETURN_FOR_INFO, "Which wards?", reasons=["evidence_missing"]
        ),
        lambda: workflow.review(other_director, request.id, version, Action.RESOLVE_LOCALLY, REASON),
    ] * 3
    comments = [
        lambda i=i: workflow.add_comment(team[Role.NATIONAL_MDT], request.id, f"Watching this one ({i}).")
        for i in range(4)
    ]
    before = len(audit_rows(request.id))
    results = _race(state_changes + comments)

    changed = [r for r in results[: len(state_changes)] if not isinstance(r, Exception)]
    refused = [r for r in results[: len(state_changes)] if isinstance(r, Exception)]
    assert len(changed) == 1 and all(isinstance(r, StaleVersion) for r in refused)
    assert all(not isinstance(r, Exception) for r in results[len(state_changes) :])
    row = reload(request.id)
    assert row.version == version + 1 and row.status == changed[0].status
    assert row.status in {Status.WITHDRAWN, Status.IN_REVIEW, Status.MORE_INFO, Status.RESOLVED_LOCALLY}
    rows = audit_rows(request.id)[before:]
    assert Counter(r.action for r in rows)[Action.COMMENT] == 4
    assert len(rows) == 1 + 4  # one state change, four comments
    _chain_ok()
