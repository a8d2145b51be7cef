"""GET /display/start (server/routes.py): a wall screen's browser redeems its claim for the display
cookie once its code has been typed, and the person's session it held (if any) ends with it."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import display_sessions, sessions
from core.accounts.sessions import SessionEnded
from core.enums import Role
from server.routes import ROUTES
from tests.conftest import session_cookie


@pytest.fixture
def client(db) -> TestClient:
    return TestClient(Starlette(routes=ROUTES), base_url="https://derogations.test", follow_redirects=False)


def typed(team) -> display_sessions.Pairing:  # noqa: ANN001
    pairing = display_sessions.begin_pairing()
    display_sessions.start(team[Role.NATIONAL_MDT], pairing.code, None, 12)
    return pairing


def cookies_set(answer) -> dict[str, str]:  # noqa: ANN001
    found = {}
    for header in answer.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        found[name] = header
    return found


def test_a_typed_code_s_claim_becomes_an_httponly_display_cookie_and_ends_the_person_s_session(client, team):
    person = session_cookie(team[Role.NATIONAL_MDT])
    client.cookies.set(sessions.COOKIE_NAME, person)
    answer = client.get("/display/start", params={"claim": typed(team).claim})
    assert answer.status_code == 303 and answer.headers["location"] == "/wall"
    set_now = cookies_set(answer)
    display = set_now[display_sessions.COOKIE_NAME]
    flags = {part.strip().lower() for part in display.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/", "secure"} <= flags
    assert display_sessions.check(display.split(";")[0].split("=", 1)[1])
    assert "max-age=0" in set_now[sessions.COOKIE_NAME].lower()  # the person's cookie goes
    with pytest.raises(SessionEnded):
        sessions.check(person)  # a wall acts for nobody


def test_a_claim_whose_code_was_not_typed_or_was_used_sets_no_cookie(client, team):
    waiting = display_sessions.begin_pairing()
    used = typed(team)
    client.get("/display/start", params={"claim": used.claim})
    for claim in (waiting.claim, used.claim, waiting.code, "", "x" * 500):
        answer = client.get("/display/start", params={"claim": claim})
        assert answer.headers["location"] == "/wall" and "set-cookie" not in answer.headers


def test_another_site_cannot_turn_a_browser_into_a_display(client, team):
    pairing = typed(team)
    answer = client.get("/display/start", params={"claim": pairing.claim}, headers={"Sec-Fetch-Site": "cross-site"})
    assert "set-cookie" not in answer.headers
    assert display_sessions.paired(pairing.claim) is True  # still the wall's own to redeem
