"""Optional sign-in with the organisation's identity provider (st.login). A live provider cannot run
here, so the one adapter around st.user (ui/identity_provider.py) is replaced with the claims a
provider would send; everything after it (our account lookup, roles, sign-out) is the real app."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.accounts import sessions
from core.accounts.users import update_user
from core.enums import Role
from core.models import UserSession
from core.platform.db import write_session
from tests.conftest import TEST_COOKIE_KEY
from tests.pages.conftest import APP, TIMEOUT, shown


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A configured provider; set state["claims"] to sign someone in with it."""
    state: dict = {"claims": None, "ended": 0}

    def end() -> None:
        state["ended"] += 1
        state["claims"] = None

    monkeypatch.setattr("ui.identity_provider.configured", lambda: True)
    monkeypatch.setattr("ui.identity_provider.claims", lambda: state["claims"])
    monkeypatch.setattr("ui.identity_provider.end", end)
    return state


def run() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_sign_in_page_offers_the_organisation_account(sqlite_db, provider) -> None:
    at = run()
    assert any(b.label == "Sign in with your organisation account" for b in at.button)
    assert at.title[0].value == "Sign in"


def claims_for(email: str, *, verified: bool = True, age_seconds: float = 5) -> dict:
    """What st.user holds after the provider's redirect: the ID token's claims, `iat` when it was issued."""
    return {"is_logged_in": True, "email": email, "email_verified": verified, "iat": int(time.time() - age_seconds)}


def test_a_known_address_gets_our_own_session_with_our_role(people, provider) -> None:
    director = people[Role.CLINICAL_DIRECTOR]
    provider["claims"] = claims_for(director.email.upper())
    at = run()
    assert "Signing you in…" in shown(at)
    token = at.session_state[TEST_COOKIE_KEY]
    assert sessions.check(token).user.id == director.id
    at.run()
    assert any("Review queue" in t.value for t in at.title)
    at.button(key="sign_out").click().run()  # the session route then signs out of the provider too
    assert at.title[0].value == "Sign in"
    with pytest.raises(sessions.SessionEnded):
        sessions.check(token)


def test_an_old_provider_sign_in_does_not_open_a_session_by_itself(people, provider) -> None:
    """After 'sign out everywhere' or an administrator ending sessions, the provider's cookie may still be
    there: the person must choose to sign in again."""
    director = people[Role.CLINICAL_DIRECTOR]
    provider["claims"] = claims_for(director.email, age_seconds=3600)
    at = run()
    assert TEST_COOKIE_KEY not in at.session_state and at.title[0].value == "Sign in"
    assert any(b.label == "Sign in with your organisation account" for b in at.button)


def test_signing_out_in_one_tab_is_not_undone_by_the_provider_sign_in_of_another(people, provider) -> None:
    """Two tabs of one browser, signed in through the provider a moment ago. Tab B signs out; tab A still
    holds the provider's (fresh) claims from when it opened, and must not open a new session with them."""
    director = people[Role.CLINICAL_DIRECTOR]
    provider["claims"] = claims_for(director.email)
    tab_a = run()
    token = tab_a.session_state[TEST_COOKIE_KEY]
    tab_a.run()
    tab_b = AppTest.from_file(APP, default_timeout=TIMEOUT)
    tab_b.session_state[TEST_COOKIE_KEY] = token
    tab_b.run()
    assert any("Review queue" in t.value for t in tab_b.title)
    time.sleep(1.1)  # the claims' iat is in whole seconds: a sign-out within that second does not count
    tab_b.button(key="sign_out").click().run()
    tab_a.run()
    assert tab_a.title[0].value == "Sign in" and tab_a.session_state[TEST_COOKIE_KEY] == token
    with write_session() as session:
        opened = session.exec(select(UserSession).where(UserSession.user_id == director.id)).all()
    assert len(opened) == 1 and opened[0].revoked_at is not None
    assert any(b.label == "Sign in with your organisation account" for b in tab_a.button)


def test_an_unknown_or_closed_account_is_refused_with_a_way_out(people, provider) -> None:
    provider["claims"] = claims_for("nobody@nhs.net")
    at = run()
    assert TEST_COOKIE_KEY not in at.session_state
    assert any("has no active account" in e.value for e in at.error)
    assert any(b.label == "Sign out of your organisation account" for b in at.button)

    director = people[Role.CLINICAL_DIRECTOR]
    with write_session() as session:
        update_user(
            session,
            director.id,
            by=people[Role.ADMIN],
            role=Role.CLINICAL_DIRECTOR,
            trust_code=director.trust_code,
            active=False,
        )
    provider["claims"] = claims_for(director.email)
    at = run()
    assert TEST_COOKIE_KEY not in at.session_state


def test_unverified_address_is_refused(people, provider) -> None:
    director = people[Role.CLINICAL_DIRECTOR]
    provider["claims"] = claims_for(director.email, verified=False)
    at = run()
    assert TEST_COOKIE_KEY not in at.session_state
    assert any("not verified" in e.value for e in at.error)
