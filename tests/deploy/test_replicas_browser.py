"""Two app processes on PostgreSQL behind nginx (deploy/, as ./scripts/start-replicas runs them), in
Debian's Chromium: the whole route with each person wherever nginx sends them, a dashboard on one
process seeing an action taken on the other within one refresh, and a process killed with SIGKILL in
the middle of a person's work."""

from __future__ import annotations

import os
import re
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from core.accounts import sessions
from core.models import Comment, DerogationRequest, User
from core.platform.db import dispose_engines, read_session, write_session
from deploy import replicas
from tests.browser.setup_db import ACCOUNTS
from tests.browser.steps import (
    RequestValues,
    choose,
    fill_request,
    main_text,
    metric,
    review,
    settle,
    sign_in,
    submit_request,
)
from tests.deploy.conftest import Cluster, landed_on

# One worker runs the tests that start several app processes, one after another: this module's cluster is
# started once, and two clusters never share the machine's two cores (test_once_only.py is in the group).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("replicas")]
# One refresh of the dashboard (10 s) after the shared figures' lifetime (5 s), with room for a busy
# 2-core machine: the figures must change without a reload, at the latest on the refresh after next.
WITHIN_A_REFRESH = 30_000
ROUTE = [
    ("clinical_director", "Escalate to the Trust medical director"),
    ("trust_md", "Escalate to the Regional medical director"),
    ("regional_md", "Escalate to the National MDT"),
    ("national_mdt", "Escalate to the BMA"),
]


@pytest.fixture(scope="module")
def db(cluster: Cluster):  # noqa: ANN201
    """This test process reads and writes the cluster's database (to open sessions, as a sign-in does)."""
    before = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = cluster.database_url
    dispose_engines()
    yield cluster.database_url
    dispose_engines()
    if before is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = before


def session_on(cluster: Cluster, key: str, app_index: int) -> str:
    """A signed-in session of this person (as the sign-in form opens one) whose cookie nginx sends to
    the given app process: sessions are opened until one hashes there (half of them do)."""
    with read_session() as session:
        person = session.exec(select(User).where(User.email == ACCOUNTS[key].email)).one()
    want = cluster.apps[app_index - 1].port
    for _ in range(40):
        with write_session() as session:
            ticket = sessions.begin(session, person, "password")
        token = sessions.redeem(ticket)
        if cluster.app_at(cluster.served_by(token)).port == want:
            return token
    raise AssertionError(f"no session of {key} hashed to app {app_index}")


def open_on(people, cluster: Cluster, key: str, app_index: int, path: str) -> Page:  # noqa: ANN001
    page = people.open(key, cluster.url, signed_in=False)
    page.context.add_cookies([{"name": sessions.COOKIE_NAME, "value": session_on(cluster, key, app_index),
                               "url": cluster.url, "httpOnly": True, "sameSite": "Lax"}])  # fmt: skip
    page.goto(f"{cluster.url}/{path}")
    expect(page.get_by_text(f"Signed in as {ACCOUNTS[key].full_name}")).to_be_visible(timeout=30_000)
    settle(page)
    assert cluster.app_at(landed_on(page)).index == app_index
    return page


def saved_comments(request_id: int, body: str) -> int:
    with read_session() as session:
        return len(session.exec(select(Comment.id).where(Comment.request_id == request_id, Comment.body == body)).all())


def test_the_route_across_processes_and_a_dashboard_on_one_sees_actions_on_the_other(people, cluster, db) -> None:
    # The national team's dashboard on process 1; everybody who acts below is on process 2, or on 1
    # and 2 in turn, so each step is saved by one process and seen by the other.
    dashboard = open_on(people, cluster, "national_watch", 1, "live-dashboard")
    expect(metric(dashboard, "Requests")).to_be_visible()
    before = {name: int(metric(dashboard, name).inner_text()) for name in ("Requests", "Approved")}

    requester = open_on(people, cluster, "requester", 2, "file")
    values = RequestValues(service="Paediatric emergency department", doctors_requested=3)
    fill_request(requester, values)
    request_id = submit_request(requester)
    expect(metric(dashboard, "Requests")).to_have_text(str(before["Requests"] + 1), timeout=WITHIN_A_REFRESH)

    served = set()
    for turn, (person, decision) in enumerate(ROUTE):
        reviewer = open_on(people, cluster, person, 2 - turn % 2, f"request?id={request_id}")
        served.add(landed_on(reviewer))
        expect(reviewer.get_by_role("heading", name="Your decision")).to_be_visible()
        review(reviewer, request_id, decision, f"{person}: mitigations exhausted, risk confirmed by phone.")
        reviewer.context.close()
        people.pages.pop(person)
    assert len(served) == 2

    bma = open_on(people, cluster, "bma", 2, f"request?id={request_id}")
    choose(bma, "Approve (you can approve less than was asked)")
    bma.get_by_label(f"Resident doctors approved (asked: {values.doctors_requested})", exact=True).fill("2")
    bma.get_by_label("Your rationale (required)", exact=True).fill("Risk evidenced; two doctors are enough overnight.")
    bma.get_by_role("button", name="Record the BMA's decision").click()
    expect(bma.get_by_text(re.compile(rf"Request {request_id} approved\. Confirmation reference"))).to_be_visible()

    expect(metric(dashboard, "Approved")).to_have_text(str(before["Approved"] + 1), timeout=WITHIN_A_REFRESH)
    requester.goto(f"{cluster.url}/request?id={request_id}")
    expect(requester.get_by_text("Approved by the BMA.")).to_be_visible()
    assert main_text(requester).count("Escalated") == 4


@pytest.fixture
def revived(cluster: Cluster) -> Iterator[list[replicas.App]]:
    """The processes a test kills, started again afterwards on their own ports (nginx's configuration names
    them), so that the next test has two again."""
    killed: list[replicas.App] = []
    yield killed
    env = replicas.app_env(cluster.database_url, cluster.url) | {
        "DEROG_METRICS_TOKEN": replicas.metrics_token(cluster.state)
    }
    for app in killed:
        again = replicas.start_app(cluster.state, app.index, env, port=app.port)
        replicas.ready(again.url, pid=again.pid)
        cluster.apps[cluster.apps.index(app)] = again


# How the person comes back after the process behind their page died: they click a link in the page, or,
# the page looking stuck, they reload it about three seconds later (the independent check's timing).
COME_BACK = ("click", "reload")


@pytest.mark.parametrize("how", COME_BACK)
def test_a_process_killed_mid_session_the_next_click_or_reload_lands_on_another_still_signed_in(
    people, cluster, db, revived, how
) -> None:
    # Signed in through the form, through nginx: the sign-in page, the ticket's redirect and the pages
    # after it go wherever nginx sends them.
    page = people.open("clinical_director", cluster.url, signed_in=False)
    sign_in(page, cluster.url, ACCOUNTS["clinical_director"], "queue")
    access_log = (cluster.state / "nginx-access.log").read_text()
    assert "/session/start" in access_log and "ticket=" not in access_log  # the sign-in went through nginx

    # Something saved: a comment on a request the person can see (saved before the process dies).
    with read_session() as session:
        request_id = session.exec(
            select(DerogationRequest.id)
            .where(DerogationRequest.trust_code == ACCOUNTS["clinical_director"].trust_code)
            .where(DerogationRequest.status != "draft")
            .order_by(DerogationRequest.id)
        ).first()
    page.goto(f"{cluster.url}/request?id={request_id}")
    expect(page.get_by_role("heading", name=f"Request {request_id}")).to_be_visible()
    settle(page)
    note = f"Spoke to the ward manager at 14:05; staffing unchanged ({how})."
    page.get_by_label("Add a comment", exact=True).fill(note)
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Comment added.")).to_be_visible()
    settle(page)
    assert saved_comments(request_id, note) == 1
    # The process this browser's requests go to now: on a loaded machine nginx may have moved the cookie to
    # the other one since sign-in (a slow answer counts as a failure, max_fails=1); kill whichever it is.
    victim = cluster.app_at(landed_on(page))
    survivor = next(a for a in cluster.apps if a.port != victim.port)

    os.kill(victim.pid, signal.SIGKILL)  # the process goes mid-session, as in a crash or an OOM kill
    revived.append(victim)
    if how == "reload":
        page.wait_for_timeout(3_000)  # the scenario's own timing: a person who waits a moment, then reloads
        page.reload(timeout=20_000)  # the page's load event, within a few seconds even on a busy machine
        expect(page.get_by_role("heading", name=f"Request {request_id}")).to_be_visible(timeout=20_000)
        expect(page.get_by_text(f"Signed in as {ACCOUNTS['clinical_director'].full_name}")).to_be_visible()
        assert cluster.app_at(landed_on(page)).port == survivor.port
        assert saved_comments(request_id, note) == 1
        return

    # The person's next click: the page's connection was to the dead process; the browser reconnects
    # through nginx, which sends it to the other one, where the cookie's session is just as good. A click the
    # page takes in before it has a connection again is dropped (seen on a busy 2-core machine): the person
    # clicks again, as anyone would, until the page opens (four tries in all).
    queue = page.get_by_role("heading", name=re.compile("Review queue"))
    for attempt in range(4):
        page.get_by_role("link", name="Review queue").first.click()
        try:
            expect(queue).to_be_visible(timeout=20_000)
            break
        except AssertionError:
            if attempt == 3:
                raise
    expect(page.get_by_text(f"Signed in as {ACCOUNTS['clinical_director'].full_name}")).to_be_visible()
    assert cluster.app_at(landed_on(page)).port == survivor.port
    # Nothing saved is lost, and nothing is saved twice: the comment is there once, read by the survivor.
    assert saved_comments(request_id, note) == 1
    page.goto(f"{cluster.url}/request?id={request_id}")
    expect(page.get_by_text(f"Signed in as {ACCOUNTS['clinical_director'].full_name}")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(note, exact=True).last).to_be_visible()  # in the timeline and under Comments


def _answer(url: str, token: str | None = None) -> tuple[int, Message]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers


def test_through_nginx_every_answer_has_the_security_headers_once_and_metrics_want_the_token(cluster) -> None:
    for path, status in (("/", 200), ("/_stcore/health", 200), ("/metrics", 404), ("/session/end", 303)):
        code, headers = _answer(f"{cluster.url}{path}")
        assert code in (status, 200), path  # urllib follows the sign-out's redirect to the page
        for header in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"):
            assert len(headers.get_all(header) or []) == 1, (path, header)
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    token = replicas.metrics_token(cluster.state)
    app = cluster.apps[0]
    assert _answer(f"{app.url}/metrics")[0] == 401
    code, headers = _answer(f"{app.url}/metrics", token)
    assert code == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "127.0.0.1:" in (cluster.state / "prometheus.yml").read_text()
