"""Optional sign-in with the organisation's identity provider (st.login). A live provider cannot run
here, so the one adapter around st.user (ui/identity_provider.py) is replaced with the claims a
provider would send; everything after it (our account lookup, roles, sign-out) is the real app."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.db import write_session
from core.enums import Role
from core.users import update_user
from tests.pages.conftest import APP, TIMEOUT


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


def test_a_known_address_signs_in_with_our_role_and_sign_out_ends_the_provider_session(people, provider) -> None:
    director = people[Role.CLINICAL_DIRECTOR]
    provider["claims"] = {"is_logged_in": True, "email": director.email.upper(), "email_verified": True}
    at = run()
    assert at.session_state["user"].id == director.id
    assert any("Review queue" in t.value for t in at.title)
    at.button(key="sign_out").click().run()
    assert provider["ended"] == 1
    assert "user" not in at.session_state and at.title[0].value == "Sign in"


def test_an_unknown_or_closed_account_is_refused_with_a_way_out(people, provider) -> None:
    provider["claims"] = {"is_logged_in": True, "email": "nobody@nhs.net", "email_verified": True}
    at = run()
    assert "user" not in at.session_state
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
    provider["claims"] = {"is_logged_in": True, "email": director.email, "email_verified": True}
    at = run()
    assert "user" not in at.session_state


def test_unverified_address_is_refused(people, provider) -> None:
    director = people[Role.CLINICAL_DIRECTOR]
    provider["claims"] = {"is_logged_in": True, "email": director.email, "email_verified": False}
    at = run()
    assert "user" not in at.session_state
    assert any("not verified" in e.value for e in at.error)
