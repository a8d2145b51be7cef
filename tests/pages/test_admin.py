"""Administration: accounts, strike periods and response targets, each change audited."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlmodel import select

from core.accounts import admin, identity
from core.accounts.users import UNUSABLE_PASSWORD, authenticate
from core.enums import Role, Tier
from core.models import AuditEvent, StrikePeriod, TierTarget, User
from core.platform.clock import to_london
from core.platform.db import read_session
from core.platform.errors import AuthFailed
from tests.conftest import TEST_PASSWORD
from tests.pages.conftest import click, errors, open_page, shown

PAGE = "pages/admin.py"


def audit_actions() -> list[str]:
    with read_session() as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def account(email: str) -> User | None:
    with read_session() as session:
        return session.exec(select(User).where(User.email == email)).first()


def test_create_an_account_with_messages_next_to_the_fields(people):
    at = open_page(people[Role.ADMIN], PAGE)
    at.selectbox(key="adm_new_role").set_value(Role.CLINICAL_DIRECTOR.value).run()
    at.text_input(key="adm_new_name").input("Dr New Director")
    at.text_input(key="adm_new_email").input("not-an-email")
    at.text_input(key="adm_new_password").input("short")
    click(at, "adm_create")
    messages = errors(at)
    assert "Enter an e-mail address in the right format, like name@nhs.net." in messages
    assert "Choose the trust this person works for." in messages
    assert any("at least 10 characters" in m for m in messages)
    assert at.text_input(key="adm_new_name").value == "Dr New Director"  # kept
    at.text_input(key="adm_new_email").input("new.director@mft.nhs.uk")
    at.text_input(key="adm_new_password").input(TEST_PASSWORD)
    at.selectbox(key="adm_new_trust").set_value("R0A")
    click(at, "adm_create")
    created = account("new.director@mft.nhs.uk")
    assert created is not None and created.role == Role.CLINICAL_DIRECTOR and created.trust_code == "R0A"
    assert authenticate("new.director@mft.nhs.uk", TEST_PASSWORD).user.id == created.id
    assert "user_created" in audit_actions()


def test_create_an_account_that_signs_in_only_through_the_identity_provider(people):
    at = open_page(people[Role.ADMIN], PAGE)
    at.selectbox(key="adm_new_role").set_value(Role.NATIONAL_MDT.value).run()
    at.checkbox(key="adm_new_provider_only").check().run()
    assert "adm_new_password" not in [t.key for t in at.text_input]
    at.text_input(key="adm_new_name").input("Dr Provider Only")
    at.text_input(key="adm_new_email").input("provider.only@nhs.net")
    click(at, "adm_create")
    created = account("provider.only@nhs.net")
    assert created is not None and created.password_hash == UNUSABLE_PASSWORD
    assert "They sign in with their organisation account." in shown(at)
    with pytest.raises(AuthFailed):  # no password opens it, not even the marker itself
        authenticate("provider.only@nhs.net", UNUSABLE_PASSWORD)
    claims = {"email": "provider.only@nhs.net", "email_verified": True, "iat": int(time.time())}
    assert identity.sign_in(claims).user.id == created.id


def test_change_role_and_scope_then_deactivate(people):
    cd = people[Role.CLINICAL_DIRECTOR]
    at = open_page(people[Role.ADMIN], PAGE)
    at.text_input(key="adm_search").input(cd.email).run()
    at.selectbox(key="adm_pick").set_value(cd.id).run()
    assert at.selectbox(key="adm_edit_role").value == Role.CLINICAL_DIRECTOR.value
    at.selectbox(key="adm_edit_role").set_value(Role.REGIONAL_MD.value).run()
    at.selectbox(key="adm_edit_region").set_value("Y62")
    click(at, "adm_change")
    changed = account(cd.email)
    assert (changed.role, changed.region_code, changed.trust_code) == (Role.REGIONAL_MD, "Y62", None)
    at.checkbox(key="adm_edit_active").uncheck()
    click(at, "adm_change")
    assert account(cd.email).active is False
    assert audit_actions().count("user_updated") == 2


def test_an_administrator_ends_a_persons_sessions_from_the_accounts_tab(people):
    cd = people[Role.CLINICAL_DIRECTOR]
    theirs = open_page(cd)  # their browser, signed in
    at = open_page(people[Role.ADMIN], PAGE)
    at.text_input(key="adm_search").input(cd.email).run()
    at.selectbox(key="adm_pick").set_value(cd.id).run()
    assert "Signed in now in 1 browser." in shown(at)
    click(at, "adm_end_sessions")
    assert "Signed out of 1 browser." in shown(at)
    assert "sessions_ended" in audit_actions()
    theirs.run()
    assert theirs.title[0].value == "Sign in"


def test_an_administrator_cannot_lock_themselves_out(people):
    admin = people[Role.ADMIN]
    at = open_page(admin, PAGE)
    at.text_input(key="adm_search").input(admin.email).run()
    at.selectbox(key="adm_pick").set_value(admin.id).run()
    at.checkbox(key="adm_edit_active").uncheck()
    click(at, "adm_change")
    assert "You cannot remove your own administrator access." in errors(at)
    assert account(admin.email).active


def test_a_locked_account_is_unlocked(staff, monkeypatch):
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS", "1")
    admin = staff.make(Role.ADMIN)
    victim = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    with pytest.raises(AuthFailed):
        authenticate(victim.email, "wrong-password")
    at = open_page(admin, PAGE)
    at.text_input(key="adm_search").input(victim.email).run()
    assert at.dataframe[0].value["Sign-in locked"].tolist() == ["LOCKED"]
    at.selectbox(key="adm_pick").set_value(victim.id).run()
    click(at, "adm_unlock")
    assert authenticate(victim.email, TEST_PASSWORD).user.id == victim.id
    assert "user_unlocked" in audit_actions()


def test_strike_periods_are_created_in_london_time_and_checked(people):
    at = open_page(people[Role.ADMIN], PAGE)
    at.text_input(key="adm_period_name").input("July 2025 resident doctors' strike")
    at.datetime_input(key="adm_period_start").set_value(datetime(2025, 7, 25, 7, 0))
    at.datetime_input(key="adm_period_end").set_value(datetime(2025, 7, 25, 6, 0))
    click(at, "adm_period_save")
    assert "The end must be after the start." in errors(at)
    at.datetime_input(key="adm_period_end").set_value(datetime(2025, 7, 30, 7, 0))
    click(at, "adm_period_save")
    with read_session() as session:
        (period,) = session.exec(select(StrikePeriod)).all()
    assert to_london(period.starts_at).replace(tzinfo=None) == datetime(2025, 7, 25, 7, 0)  # 06:00 UTC in BST
    assert period.starts_at.hour == 6
    assert "period_created" in audit_actions()
    # An overlapping period is refused with a message naming the other one.
    at.selectbox(key="adm_period_pick").set_value(None).run()
    at.text_input(key="adm_period_name").input("Overlap")
    at.datetime_input(key="adm_period_start").set_value(datetime(2025, 7, 29, 7, 0))
    at.datetime_input(key="adm_period_end").set_value(datetime(2025, 8, 2, 7, 0))
    click(at, "adm_period_save")
    assert any("overlaps" in m for m in errors(at))


def test_response_targets_are_saved_and_audited(people):
    at = open_page(people[Role.ADMIN], PAGE)
    at.number_input(key="adm_target_clinical_director").set_value(45)
    click(at, "adm_targets_save")
    with read_session() as session:
        assert session.get(TierTarget, Tier.CLINICAL_DIRECTOR.value).minutes == 45
    assert "targets_updated" in audit_actions()
    assert "Response targets saved: Clinical director 45m, Trust medical director" in shown(at)


def test_a_new_strike_period_starts_empty_and_the_tab_says_what_was_saved(people):
    at = open_page(people[Role.ADMIN], PAGE)
    assert at.datetime_input(key="adm_period_start").value is None  # never a prefilled 'now'
    assert at.datetime_input(key="adm_period_end").value is None
    at.text_input(key="adm_period_name").input("<b>March</b> strike")
    at.datetime_input(key="adm_period_start").set_value(datetime(2025, 3, 10, 7, 0))
    at.datetime_input(key="adm_period_end").set_value(datetime(2025, 3, 12, 7, 0))
    click(at, "adm_period_save")
    (saved,) = [s.value for s in at.success if "Strike period saved" in s.value]
    assert "March" in saved and "<b>" not in saved and "Mon 10 Mar 2025 07:00 GMT" in saved
    assert at.datetime_input(key="adm_period_start").value is None  # ready for the next new one
    at.text_input(key="adm_period_name").input("Another").run()
    assert not [s for s in at.success if "Strike period saved" in s.value]  # said once


def test_reset_a_forgotten_password_clears_the_lockout(people):
    cd = people[Role.CLINICAL_DIRECTOR]
    for _ in range(5):
        with pytest.raises(AuthFailed):
            authenticate(cd.email, "wrong password!")
    at = open_page(people[Role.ADMIN], PAGE)
    at.text_input(key="adm_search").input(cd.email).run()
    at.selectbox(key="adm_pick").set_value(cd.id).run()
    at.text_input(key="adm_reset").input("short")
    click(at, "adm_reset_save")
    assert any("at least 10 characters" in m for m in errors(at))
    at.text_input(key="adm_reset").input("A-new-temporary-password")
    click(at, "adm_reset_save")
    assert authenticate(cd.email, "A-new-temporary-password").user.id == cd.id
    assert "password_set" in audit_actions()


def test_an_address_shaped_like_a_link_is_shown_as_text(people):
    hostile = staff_with_email(people, "[click](https://evil.example/x)@nhs.uk")
    at = open_page(people[Role.ADMIN], PAGE)
    at.text_input(key="adm_search").input("evil").run()
    at.selectbox(key="adm_pick").set_value(hostile.id).run()
    click(at, "adm_change")
    flashes = [e.value for e in at.success]
    assert flashes and all("](https://" not in message for message in flashes)


def staff_with_email(people, email: str) -> User:
    return admin.create_account(
        people[Role.ADMIN], password=TEST_PASSWORD, email=email, full_name="Link Shaped", role=Role.NATIONAL_MDT
    )
