"""Accounts: argon2 hashes only, sign-in with a lockout that reveals nothing about who has an account,
unlock by an administrator, closed accounts refused, idle sessions ended."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import Type
from sqlalchemy import text

from core.accounts import admin, users
from core.enums import Role
from core.models import LoginThrottle
from core.platform.db import read_session, write_session
from core.platform.errors import AuthFailed, PermissionDenied, ValidationFailed
from tests.conftest import TEST_PASSWORD
from tests.core.conftest import T0


def locked(session, email: str, at) -> bool:  # noqa: ANN001
    """Whether the address is locked out at `at`, read from the throttle table itself."""
    throttle = session.get(LoginThrottle, users.normalise_email(email))
    return bool(throttle and throttle.locked_until and throttle.locked_until > at)


EMAIL = "Priya.Shah@MFT.nhs.uk"
REAL_HASHER = users._hasher  # before the cheap_hashing fixture swaps it


pytestmark = pytest.mark.usefixtures("cheap_hashing")


def test_the_real_hasher_is_argon2id_at_owasps_recommended_minimum():
    assert REAL_HASHER.type is Type.ID
    # OWASP Password Storage Cheat Sheet: 19 MiB, 2 iterations, 1 degree of parallelism.
    assert REAL_HASHER.memory_cost >= 19 * 1024 and REAL_HASHER.time_cost >= 2


@pytest.fixture
def limits(monkeypatch):
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS", "3")
    monkeypatch.setenv("DEROG_LOCKOUT_MINUTES", "15")


@pytest.fixture
def priya(db):
    with write_session() as session:
        return users.create_user(
            session, email=EMAIL, full_name="Priya Shah", role=Role.REQUESTER, password=TEST_PASSWORD, trust_code="R0A"
        )


def _fail(email: str, now) -> str:
    with pytest.raises(AuthFailed) as caught:
        users.authenticate(email, "wrong-password-123", now=now)
    return str(caught.value)


def test_passwords_are_stored_only_as_argon2_hashes(priya):
    with read_session() as session:
        stored = session.execute(text("SELECT password_hash FROM app_user WHERE id = :id"), {"id": priya.id}).scalar()
        every_user_cell = " ".join(str(v) for row in session.execute(text("SELECT * FROM app_user")) for v in row)
        every_audit_cell = " ".join(str(v) for row in session.execute(text("SELECT * FROM audit_event")) for v in row)
    assert stored.startswith("$argon2id$")
    assert TEST_PASSWORD not in every_user_cell and TEST_PASSWORD not in every_audit_cell
    assert users.verify_password(stored, TEST_PASSWORD) and not users.verify_password(stored, "nope")


def test_sign_in_with_the_right_password_ignores_case_and_spaces(priya):
    assert users.authenticate("  priya.shah@mft.NHS.uk ", TEST_PASSWORD).user.id == priya.id


def test_a_wrong_password_and_an_unknown_address_get_the_same_message(priya):
    assert _fail(EMAIL, T0) == _fail("nobody@nowhere.nhs.uk", T0) == users.GENERIC_FAILURE


def test_repeated_failures_lock_the_address_for_a_while(priya, limits):
    for attempt in range(3):
        _fail(EMAIL, T0 + timedelta(seconds=attempt))
    with pytest.raises(AuthFailed, match="Too many failed attempts"):  # even the right password, while locked
        users.authenticate(EMAIL, TEST_PASSWORD, now=T0 + timedelta(minutes=1))
    with read_session() as session:
        assert locked(session, EMAIL, T0 + timedelta(minutes=1))
    assert users.authenticate(EMAIL, TEST_PASSWORD, now=T0 + timedelta(minutes=16)).user.id == priya.id


def test_a_success_resets_the_count(priya, limits):
    _fail(EMAIL, T0)
    _fail(EMAIL, T0)
    users.authenticate(EMAIL, TEST_PASSWORD, now=T0)
    _fail(EMAIL, T0)
    _fail(EMAIL, T0)
    assert users.authenticate(EMAIL, TEST_PASSWORD, now=T0).user.id == priya.id


def test_unknown_addresses_lock_exactly_like_real_ones(priya, limits):
    """Otherwise the lockout itself would tell an attacker which addresses have accounts."""
    messages = {}
    for email in (EMAIL, "nobody@nowhere.nhs.uk"):
        for _ in range(3):
            _fail(email, T0)
        messages[email] = _fail(email, T0 + timedelta(minutes=1))
    assert len(set(messages.values())) == 1 and "Too many failed attempts" in messages[EMAIL]


def test_an_administrator_unlocks_an_address(priya, staff, limits):
    administrator, clinician = staff.make(Role.ADMIN), staff.make(Role.CLINICAL_DIRECTOR, trust="R0A")
    for _ in range(3):
        _fail(EMAIL, T0)
    with pytest.raises(PermissionDenied):
        admin.unlock_account(clinician, EMAIL)
    with read_session() as session:
        assert locked(session, EMAIL, T0)
    admin.unlock_account(administrator, EMAIL.lower())
    assert users.authenticate(EMAIL, TEST_PASSWORD, now=T0).user.id == priya.id
    with read_session() as session:
        row = session.execute(text("SELECT actor_id FROM audit_event WHERE action = 'user_unlocked'")).one()
    assert row.actor_id == administrator.id


def test_parallel_guessing_still_locks_the_address(priya, limits):
    """Six wrong guesses at the same moment: each is counted (no lost update, no crash on the first row)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def guess() -> None:
        barrier.wait()
        try:
            users.authenticate(EMAIL, "wrong-password-123", now=T0)
        except AuthFailed:
            pass
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with read_session() as session:
        assert locked(session, EMAIL, T0 + timedelta(minutes=1))


def test_a_closed_account_cannot_sign_in(priya, staff):
    administrator = staff.make(Role.ADMIN)
    admin.change_account(administrator, priya.id, role=Role.REQUESTER, trust_code="R0A", region_code=None, active=False)
    with pytest.raises(AuthFailed) as caught:
        users.authenticate(EMAIL, TEST_PASSWORD)
    assert str(caught.value) == users.GENERIC_FAILURE


def test_an_account_without_a_password_cannot_sign_in(staff):
    person = staff.make(Role.NATIONAL_MDT)  # the fixture creates accounts with no password
    with pytest.raises(AuthFailed):
        users.authenticate(person.email, users.UNUSABLE_PASSWORD)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": EMAIL.upper()}, "email"),  # already taken, whatever the case
        ({"password": "short"}, "password"),
        ({"full_name": "  "}, "full_name"),
        ({"role": Role.CLINICAL_DIRECTOR, "trust_code": None}, "trust_code"),
        ({"role": Role.CLINICAL_DIRECTOR, "trust_code": "ZZZ"}, "trust_code"),
        ({"role": Role.REGIONAL_MD, "trust_code": None, "region_code": None}, "region_code"),
    ],
)
def test_bad_accounts_are_refused_with_a_message(priya, fields, field):
    values = {
        "email": "new.person@mft.nhs.uk",
        "full_name": "New Person",
        "role": Role.REQUESTER,
        "password": TEST_PASSWORD,
        "trust_code": "R0A",
    } | fields
    with pytest.raises(ValidationFailed) as caught, write_session() as session:
        users.create_user(session, **values)
    assert field in caught.value.errors


def test_scope_follows_the_role(db):
    with write_session() as session:
        national = users.create_user(
            session,
            email="n@nhs.net",
            full_name="N",
            role=Role.NATIONAL_MDT,
            password=None,
            trust_code="R0A",
            region_code="Y62",
        )
        regional = users.create_user(
            session, email="r@nhs.net", full_name="R", role=Role.REGIONAL_MD, password=None, region_code="Y62"
        )
    assert (national.trust_code, national.region_code) == (None, None)
    assert (regional.trust_code, regional.region_code) == (None, "Y62")


def test_passwords_checked_from_many_sessions_at_once_get_their_own_answers():
    # Every hash runs on one worker thread (memory: one argon2 block, however many sign in at once).
    hashed = users.hash_password("the-right-password")
    guesses = ["the-right-password" if i % 2 else f"wrong-{i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as sessions:
        answers = list(sessions.map(lambda guess: users.verify_password(hashed, guess), guesses))
    assert answers == [guess == "the-right-password" for guess in guesses]
