"""/metrics (server/metrics.py): what each figure counts, on SQLite and PostgreSQL, and the route."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.runtime.scriptrunner import script_runner
from streamlit.testing.v1 import AppTest

from core.models import EmailOutbox
from core.platform.db import read_session, write_session
from core.records import audit
from server import metrics

LINE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$|^# (HELP|TYPE) .+$')


@pytest.fixture(autouse=True)
def installed() -> None:
    metrics.install()


def figures() -> dict[str, float]:
    rendered = metrics.render()
    for line in rendered.splitlines():
        assert LINE.match(line), f"not Prometheus text: {line!r}"
    return {
        name: float(value)
        for name, value in (line.rsplit(" ", 1) for line in rendered.splitlines() if not line.startswith("#"))
    }


def test_committed_actions_and_e_mails_are_counted_and_rolled_back_ones_are_not(db) -> None:
    before = figures()
    with write_session() as session:
        audit.append(session, action="comment", actor=None, details={"note": "counted"})
        session.add(EmailOutbox(to_address="a@test.nhs.uk", subject="s", body="b"))
    with pytest.raises(RuntimeError), write_session() as session:
        audit.append(session, action="comment", actor=None, details={"note": "rolled back"})
        session.add(EmailOutbox(to_address="b@test.nhs.uk", subject="s", body="b"))
        session.flush()
        raise RuntimeError("the transaction fails after the flush")
    after = figures()
    key = 'derog_actions_total{action="comment"}'
    assert after[key] - before.get(key, 0) == 1
    assert after["derog_emails_queued_total"] - before["derog_emails_queued_total"] == 1


def test_the_outbox_is_read_from_the_database(db) -> None:
    metrics.REGISTRY._outbox = None  # noqa: SLF001  (no cached read from an earlier test)
    with write_session() as session:
        session.add(EmailOutbox(to_address="a@test.nhs.uk", subject="s", body="b"))
    shown = figures()
    assert shown['derog_email_outbox{state="waiting"}'] >= 1
    assert shown["derog_email_oldest_waiting_seconds"] >= 0


def test_database_errors_are_counted_by_kind(db) -> None:
    before = figures()
    with pytest.raises(Exception), read_session() as session:  # noqa: B017, PT011  (the driver's own error)
        session.execute(text("select * from no_such_table"))
    after = figures()
    counted = {k: v for k, v in after.items() if k.startswith("derog_database_errors_total")}
    assert sum(counted.values()) - sum(v for k, v in before.items() if k.startswith("derog_database_errors_total")) == 1


def test_script_runs_are_timed_through_streamlits_runner() -> None:
    # Streamlit 1.67's runner calls this module-level function for every run: if it moves, this fails.
    assert getattr(script_runner.exec_func_with_error_handling, "derog_timed", False)
    runs = metrics.REGISTRY.counters["derog_script_runs_total"]
    page_ok = (("kind", "page"), ("outcome", "ok"))
    before = runs[page_ok]
    AppTest.from_string("import streamlit as st\nst.title('counted')").run()
    assert runs[page_ok] == before + 1
    assert 'derog_script_run_seconds_bucket{kind="page",le="+Inf"}' in metrics.render()


def test_without_a_token_set_the_route_is_off(db, monkeypatch) -> None:
    monkeypatch.delenv("DEROG_METRICS_TOKEN", raising=False)
    client = TestClient(Starlette(routes=[metrics.ROUTE]))
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    monkeypatch.setenv("DEROG_METRICS_TOKEN", "   ")  # blank is unset, not a token anyone can send
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_the_route_answers_prometheus_text_only_with_the_token(db, monkeypatch) -> None:
    monkeypatch.setenv("DEROG_METRICS_TOKEN", "s3cret-token")
    client = TestClient(Starlette(routes=[metrics.ROUTE]))
    for refused in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"},
                    {"Authorization": "Bearer s3cret-token-and-more"}):  # fmt: skip
        answer = client.get("/metrics", headers=refused)
        assert answer.status_code == 401
        assert "derog_" not in answer.text
    answer = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "derog_sessions_open" in answer.text
