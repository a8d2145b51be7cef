"""Sign-in, sign-out, lockout, idle timeout and closed accounts through app.py."""

from __future__ import annotations

from datetime import timedelta

from core.clock import utcnow
from core.db import write_session
from core.enums import Role
from core.models import User
from core.users import GENERIC_FAILURE
from tests.conftest import TEST_PASSWORD
from tests.pages.conftest import errors, open_page, shown


def sign_in(at, email: str, password: str):  # noqa: ANN001, ANN201
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click().run()
    return at


def test_signed_out_sees_only_the_sign_in_form(sqlite_db):
    at = open_page(None)
    assert at.title[0].value == "Sign in"
    assert "user" not in at.session_state


def test_sign_in_with_the_right_password_opens_the_home_page(staff):
    requester = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    at = sign_in(open_page(None), requester.email.upper(), TEST_PASSWORD)
    assert not at.exception
    assert at.session_state["user"].id == requester.id
    assert at.title[0].value == "My trust's requests"
    page = shown(at)
    assert (
        f"Signed in as {requester.full_name} · Trust requester · Manchester University NHS Foundation Trust (R0A)"
        in page
    )


def test_wrong_password_gets_the_generic_message_and_stays_signed_out(staff):
    requester = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    at = sign_in(open_page(None), requester.email, "not-the-password")
    assert GENERIC_FAILURE in errors(at)
    assert "user" not in at.session_state
    unknown = sign_in(open_page(None), "nobody@nowhere.nhs.uk", "not-the-password")
    assert GENERIC_FAILURE in errors(unknown)  # the same words: nothing says who has an account


def test_repeated_failures_lock_the_address(staff, monkeypatch):
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS", "2")
    requester = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    for _ in range(2):
        sign_in(open_page(None), requester.email, "wrong-password!")
    at = sign_in(open_page(None), requester.email, TEST_PASSWORD)  # even the right password is refused now
    assert any("Too many failed attempts" in message for message in errors(at))
    assert "user" not in at.session_state


def test_sign_out_forgets_the_session(people):
    at = open_page(people[Role.CLINICAL_DIRECTOR])
    at.button(key="sign_out").click().run()
    assert "user" not in at.session_state
    assert at.title[0].value == "Sign in"
    assert "You have signed out." in shown(at)


def test_an_idle_session_ends(people):
    at = open_page(people[Role.TRUST_MD])
    at.session_state["last_seen"] = utcnow() - timedelta(hours=3)
    at.run()
    assert "user" not in at.session_state
    assert "inactive" in shown(at)


def test_a_closed_account_is_signed_out_on_its_next_click(people):
    reviewer = people[Role.CLINICAL_DIRECTOR]
    at = open_page(reviewer)
    with write_session() as session:
        session.get(User, reviewer.id).active = False
    at.run()
    assert "user" not in at.session_state
    assert "no longer active" in shown(at)


def test_a_deep_link_while_signed_out_asks_for_sign_in_and_shows_nothing_else(people):
    at = open_page(None)
    at.query_params["id"] = "1"
    at.switch_page("pages/request_detail.py").run()
    assert at.title[0].value == "Sign in"
    assert "Request" not in [t.value for t in at.title]
