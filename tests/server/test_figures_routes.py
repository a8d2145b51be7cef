"""GET /figures/daily.csv and /figures/daily.json (server/figures.py) over HTTP: status, headers, columns,
the JSON twin, the minute's cache, and refusals of bad `period` values."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.platform.clock import utcnow
from core.report import public_figures
from server.routes import ROUTES
from tests.conftest import TRUST_OTHER_REGION, Staff, database_locked
from tests.core.conftest import add_period, file_request, make_team


@pytest.fixture(autouse=True)
def no_cache():
    public_figures.clear_cache()
    yield
    public_figures.clear_cache()


@pytest.fixture
def staff(sqlite_db) -> Staff:
    """The routes on one engine: the counting itself is tested on both (tests/core/report/test_public_figures.py)."""
    return Staff()


@pytest.fixture
def client(sqlite_db) -> TestClient:
    return TestClient(Starlette(routes=ROUTES), base_url="https://derogations.test")


@pytest.fixture
def filed(sqlite_db, staff):
    """A period in progress with one request from the North West and one from London; and an older one."""
    now = utcnow()
    older = add_period(now - timedelta(days=40), now - timedelta(days=35), "Older strike")
    period = add_period(now - timedelta(hours=12), now + timedelta(days=3), "Current strike")
    file_request(make_team(staff), period)
    file_request(make_team(staff, TRUST_OTHER_REGION, "Y56"), period, trust=TRUST_OTHER_REGION)
    return period, older


def rows_of(answer) -> list[list[str]]:  # noqa: ANN001
    return list(csv.reader(io.StringIO(answer.text)))


def test_the_csv_answers_with_the_published_columns_and_a_minute_of_caching(client, filed) -> None:
    period, _ = filed
    answer = client.get("/figures/daily.csv", params={"period": str(period.id)})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["cache-control"] == "public, max-age=60"
    assert answer.headers["x-content-type-options"] == "nosniff"
    rows = rows_of(answer)
    assert rows[0] == list(public_figures.COLUMNS)
    assert rows[0][:9] == [
        "date", "region", "requests", "approved", "declined", "withdrawn", "pending", "doctors_requested",
        "doctors_approved",
    ]  # fmt: skip
    today = [r for r in rows[1:] if r[0] == rows[-1][0]]
    assert len(today) == 7 and sum(int(r[2]) for r in today) == 2 and sum(int(r[7]) for r in today) == 6
    assert "Manchester" not in answer.text and "Guy's" not in answer.text


def test_the_json_twin_holds_the_same_rows(client, filed) -> None:
    period, _ = filed
    as_csv = rows_of(client.get("/figures/daily.csv", params={"period": str(period.id)}))
    answer = client.get("/figures/daily.json", params={"period": str(period.id)})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "public, max-age=60"
    document = answer.json()
    assert document["period"]["id"] == period.id and document["columns"] == as_csv[0]
    assert [[str(row[c]) for c in document["columns"]] for row in document["rows"]] == as_csv[1:]


def test_without_a_period_the_one_in_progress_is_given(client, filed) -> None:
    period, older = filed
    assert client.get("/figures/daily.json").json()["period"]["id"] == period.id
    assert client.get("/figures/daily.json", params={"period": str(older.id)}).json()["period"]["id"] == older.id


def test_figures_are_counted_again_only_after_a_minute(client, filed, staff) -> None:
    period, _ = filed
    first = client.get("/figures/daily.json").json()
    file_request(make_team(staff), period)
    assert client.get("/figures/daily.json").json() == first  # within the minute: the same count
    public_figures.clear_cache()  # as a minute passing does
    again = client.get("/figures/daily.json").json()
    assert sum(row["requests"] for row in again["rows"] if row["date"] == again["rows"][-1]["date"]) == 3


@pytest.mark.parametrize(
    "value", ["abc", "-1", "0", "1.0", "1e3", "99999999999", "", " 1", "1;DROP TABLE x", "<script>", "%00"]
)
def test_a_bad_period_is_refused_with_400(client, filed, value) -> None:
    for path in ("/figures/daily.csv", "/figures/daily.json"):
        answer = client.get(path, params={"period": value})
        assert answer.status_code == 400, value
        assert answer.headers["cache-control"] == "no-store"
        assert "<script>" not in answer.text and "DROP" not in answer.text  # nothing asked is echoed


def test_a_period_that_does_not_exist_or_has_not_started_is_404(client, filed) -> None:
    upcoming = add_period(utcnow() + timedelta(days=30), utcnow() + timedelta(days=32), "Next strike")
    for value in (str(upcoming.id), "424242"):
        assert client.get("/figures/daily.csv", params={"period": value}).status_code == 404


def test_no_period_at_all_is_404(client) -> None:
    assert client.get("/figures/daily.json").status_code == 404


def test_a_busy_database_says_try_again(client, filed, sqlite_db, monkeypatch) -> None:
    with database_locked(sqlite_db, monkeypatch):
        answer = client.get("/figures/daily.csv")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "10"
