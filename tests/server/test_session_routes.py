"""The session routes (server/routes.py) over HTTP: the cookie they set and clear, and where they send
the browser."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from core.accounts import devices, sessions
from core.accounts.sessions import safe_return_path as safe_next
from core.enums import Role
from core.platform.clock import utcnow
from core.platform.db import write_session
from server.routes import ROUTES
from tests.conftest import TRUST_A, Staff, database_locked, session_cookie


@pytest.fixture
def client(db) -> TestClient:
    return TestClient(Starlette(routes=ROUTES), base_url="https://derogations.test", follow_redirects=False)


@pytest.fixture
def person(staff):
    return staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_A)


def set_cookie(answer, name: str) -> str:  # noqa: ANN001 - an httpx response
    """The Set-Cookie header of one cookie (the start route sets two: the session and the device)."""
    return next(value for value in answer.headers.get_list("set-cookie") if value.startswith(f"{name}="))


def flags_of(cookie: str) -> set[str]:
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def ticket_for(user) -> str:  # noqa: ANN001
    with write_session() as session:
        return sessions.begin(session, user, "password")


def test_a_ticket_becomes_an_httponly_lax_secure_cookie_and_goes_on_to_the_deep_link(client, person):
    answer = client.get("/session/start", params={"ticket": ticket_for(person), "next": "/request?id=7"})
    assert answer.status_code == 303 and answer.headers["location"] == "/request?id=7"
    cookie = set_cookie(answer, sessions.COOKIE_NAME)
    flags = flags_of(cookie)
    assert {"httponly", "samesite=lax", "path=/", "secure"} <= flags
    assert not any(flag.startswith(("max-age", "expires")) for flag in flags)  # gone when the browser closes
    token = cookie.split(";")[0].split("=", 1)[1]
    assert sessions.check(token).user.id == person.id


def test_the_browser_gets_a_long_lived_httponly_device_cookie_trusted_for_the_account(client, person):
    answer = client.get("/session/start", params={"ticket": ticket_for(person), "next": "/"})
    cookie = set_cookie(answer, devices.COOKIE_NAME)
    assert {"httponly", "samesite=strict", "path=/", "secure", f"max-age={180 * 24 * 3600}"} <= flags_of(cookie)
    device = cookie.split(";")[0].split("=", 1)[1]
    with write_session() as session:
        assert devices.trusted(session, sessions.digest(device), person.id, utcnow()) is not None
    # Signing in again from the same browser keeps its device cookie (one a browser, for every account).
    client.cookies.set(devices.COOKIE_NAME, device, domain="derogations.test")
    again = client.get("/session/start", params={"ticket": ticket_for(person), "next": "/"})
    assert set_cookie(again, devices.COOKIE_NAME).startswith(f"{devices.COOKIE_NAME}={device};")


def test_a_device_cookie_this_server_never_issued_is_replaced_not_trusted(client, person):
    """A value planted in the browser by another site (cookie tossing) must not become a trusted browser."""
    planted = sessions.new_secret()
    client.cookies.set(devices.COOKIE_NAME, planted, domain="derogations.test")
    answer = client.get("/session/start", params={"ticket": ticket_for(person), "next": "/"})
    issued = set_cookie(answer, devices.COOKIE_NAME).split(";")[0].split("=", 1)[1]
    assert issued != planted
    with write_session() as session:
        assert devices.trusted(session, sessions.digest(planted), person.id, utcnow()) is None
        assert devices.trusted(session, sessions.digest(issued), person.id, utcnow()) is not None


def test_the_demo_can_serve_the_cookie_over_plain_http(client, person, monkeypatch):
    monkeypatch.setenv("DEROG_SECURE_COOKIES", "0")
    answer = client.get("/session/start", params={"ticket": ticket_for(person), "next": "/"})
    assert "secure" not in answer.headers["set-cookie"].lower()  # neither the session's nor the device's


def test_a_used_or_unknown_ticket_sets_no_cookie(client, person):
    ticket = ticket_for(person)
    client.get("/session/start", params={"ticket": ticket})
    for bad in (ticket, "made-up", ""):
        answer = client.get("/session/start", params={"ticket": bad, "next": "/queue"})
        assert answer.headers["location"] == "/sign-in?ended=ticket" and "set-cookie" not in answer.headers


@pytest.mark.parametrize(
    "address",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "queue",
        "/session/end",
        "/ok\r\nSet-Cookie: x=1",
        None,
    ],
)
def test_the_next_address_is_always_a_page_of_this_server(address):
    assert safe_next(address) == "/"


def test_sign_out_revokes_the_session_and_clears_the_cookie(client, person):
    token = session_cookie(person)
    client.cookies.set(sessions.COOKIE_NAME, token)
    answer = client.get("/session/end")
    assert answer.headers["location"] == "/sign-in?ended=signed_out"
    assert f'{sessions.COOKIE_NAME}=""' in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    with pytest.raises(sessions.SessionEnded):
        sessions.check(token)


def test_sign_out_of_a_provider_sign_in_goes_through_streamlits_sign_out(client, person):
    client.cookies.set(sessions.COOKIE_NAME, session_cookie(person, method="identity provider"))
    client.cookies.set("_streamlit_user", "signed-value")
    assert client.get("/session/end").headers["location"] == "/auth/logout"


@pytest.mark.parametrize("origin", ["cross-site", "same-site", "none"])
def test_a_ticket_sent_from_another_site_signs_nobody_in(client, person, origin):
    """Login CSRF: someone's own ticket, in a link on another site, must not sign the victim in as them."""
    ticket = ticket_for(person)
    answer = client.get("/session/start", params={"ticket": ticket, "next": "/"}, headers={"Sec-Fetch-Site": origin})
    assert answer.headers["location"] == "/sign-in?ended=ticket" and "set-cookie" not in answer.headers
    # The ticket was not spent either: our own page's redirect still redeems it.
    answer = client.get(
        "/session/start", params={"ticket": ticket, "next": "/"}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert set_cookie(answer, sessions.COOKIE_NAME)


def test_a_sign_out_link_on_another_site_ends_nothing(client, person):
    token = session_cookie(person)
    client.cookies.set(sessions.COOKIE_NAME, token)
    answer = client.get("/session/end", headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.headers["location"] == "/" and "set-cookie" not in answer.headers
    assert sessions.check(token).user.id == person.id


def test_signing_in_again_ends_the_session_the_browser_held(client, person, staff):
    """One browser, one session: the earlier one (perhaps someone else's) ends as the new cookie is set."""
    earlier = session_cookie(staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_A))
    client.cookies.set(sessions.COOKIE_NAME, earlier)
    answer = client.get("/session/start", params={"ticket": ticket_for(person), "next": "/"})
    assert answer.status_code == 303 and "set-cookie" in answer.headers
    with pytest.raises(sessions.SessionEnded) as ended:
        sessions.check(earlier)
    assert ended.value.reason is sessions.EndReason.REPLACED


@pytest.mark.parametrize(
    ("sent", "shown"),
    [("signed_out_everywhere", "signed_out_everywhere"), ("made-up", "signed_out"), (None, "signed_out")],
)
def test_sign_out_says_why_on_the_sign_in_page_only_in_our_words(client, person, sent, shown):
    client.cookies.set(sessions.COOKIE_NAME, session_cookie(person))
    answer = client.get("/session/end", params={"reason": sent} if sent else {})
    assert answer.headers["location"] == f"/sign-in?ended={shown}"


def test_sign_out_clears_the_cookie_even_when_the_database_is_busy(sqlite_db, monkeypatch):
    client = TestClient(Starlette(routes=ROUTES), base_url="https://derogations.test", follow_redirects=False)
    client.cookies.set(sessions.COOKIE_NAME, session_cookie(Staff().make(Role.CLINICAL_DIRECTOR, trust=TRUST_A)))
    with database_locked(sqlite_db, monkeypatch):
        answer = client.get("/session/end")
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?ended=signed_out"
    assert "Max-Age=0" in answer.headers["set-cookie"]
