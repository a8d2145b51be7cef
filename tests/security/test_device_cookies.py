"""Nobody else can lock a person out (OWASP's device cookies, core/accounts/devices.py): wrong passwords from
browsers that never signed in to an account spend the account's budget for unknown browsers and their
address's, never a trusted browser's; a trusted browser has a small budget of its own; an
administrator's unlock gives every budget of the account back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from core.accounts import devices, sessions
from core.accounts.users import GENERIC_FAILURE, authenticate, unlock
from core.enums import Role
from core.models import AddressThrottle, AuditEvent, TrustedDevice
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from core.platform.errors import AuthFailed
from tests.conftest import TEST_PASSWORD, TRUST_A

MAX_FAILURES = 3
PER_ADDRESS = 6
LOCK_MINUTES = 15
OUTSIDER, HOSPITAL = "203.0.113.9", "198.51.100.20"


@pytest.fixture
def reviewer(staff, monkeypatch):
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS", str(MAX_FAILURES))
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS_PER_ADDRESS", str(PER_ADDRESS))
    monkeypatch.setenv("DEROG_LOCKOUT_MINUTES", str(LOCK_MINUTES))
    monkeypatch.setenv("DEROG_SIGN_IN_FLOOR_MS", "0")
    return staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_A, password=TEST_PASSWORD)


def signed_in_browser(person, address: str = HOSPITAL) -> str:  # noqa: ANN001
    """A browser that signs in as `person` and redeems its ticket (the route's work): its device cookie."""
    device = sessions.new_secret()
    ticket = authenticate(person.email, TEST_PASSWORD, device=device, address=address).ticket
    assert sessions.redeem(ticket, device=device) is not None
    return device


def refused(email: str, password: str = "wrong-password", **where: str | None) -> str:
    with pytest.raises(AuthFailed) as refusal:
        authenticate(email, password, **where)
    return str(refusal.value)


def locks() -> list[dict]:
    with read_session() as session:
        rows = session.exec(select(AuditEvent).where(col(AuditEvent.action) == "sign_in_locked")).all()
        return [row.details for row in rows]


def test_an_outsiders_wrong_passwords_leave_the_reviewers_own_browser_signing_in(reviewer):
    own = signed_in_browser(reviewer)
    for _ in range(8):
        refused(reviewer.email, address=OUTSIDER)  # a fresh browser each time: no device cookie
    assert "Too many failed attempts" in refused(reviewer.email, TEST_PASSWORD, address=OUTSIDER)
    assert "Too many failed attempts" in refused(reviewer.email, TEST_PASSWORD, device=sessions.new_secret())
    assert authenticate(reviewer.email, TEST_PASSWORD, device=own, address=OUTSIDER).user.id == reviewer.id
    assert [lock["locked"] for lock in locks()] == ["account"]  # the account's unknown browsers, once


def test_a_device_cookie_counts_only_for_the_account_it_signed_in_to(reviewer, staff):
    own = signed_in_browser(reviewer)
    colleague = staff.make(Role.TRUST_MD, trust=TRUST_A, password=TEST_PASSWORD)
    for _ in range(MAX_FAILURES):
        refused(colleague.email, device=own)
    assert "Too many failed attempts" in refused(colleague.email, TEST_PASSWORD, device=own)
    assert "Too many failed attempts" in refused(colleague.email, TEST_PASSWORD, device="made-up-cookie")
    assert authenticate(reviewer.email, TEST_PASSWORD, device=own).user.id == reviewer.id


def test_a_trusted_browser_has_its_own_small_budget_and_then_counts_as_unknown(reviewer):
    own, other = signed_in_browser(reviewer), signed_in_browser(reviewer)
    for _ in range(MAX_FAILURES):
        assert refused(reviewer.email, device=own) == GENERIC_FAILURE
    assert [lock["locked"] for lock in locks()] == ["device"]  # that browser, not the account
    assert authenticate(reviewer.email, TEST_PASSWORD, device=other).user.id == reviewer.id
    assert authenticate(reviewer.email, TEST_PASSWORD).user.id == reviewer.id  # unknown browsers too
    for _ in range(MAX_FAILURES):  # spent: its guesses now count against the account's unknown browsers
        refused(reviewer.email, device=own)
    assert "Too many failed attempts" in refused(reviewer.email, TEST_PASSWORD, device=own)
    assert authenticate(reviewer.email, TEST_PASSWORD, device=other).user.id == reviewer.id


def test_a_success_gives_a_trusted_browser_its_budget_back(reviewer):
    own = signed_in_browser(reviewer)
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            refused(reviewer.email, device=own)
        assert authenticate(reviewer.email, TEST_PASSWORD, device=own)
    assert locks() == []


def test_one_address_guessing_at_many_accounts_is_throttled_without_touching_others(reviewer, staff):
    own = signed_in_browser(reviewer, address=OUTSIDER)
    victims = [f"someone{n}@nhs.net" for n in range(PER_ADDRESS)]
    for email in victims:  # one guess each: no account reaches its own limit
        refused(email, address=OUTSIDER)
    message = refused(reviewer.email, TEST_PASSWORD, address=OUTSIDER)
    assert "from this network" in message
    assert authenticate(reviewer.email, TEST_PASSWORD, address=HOSPITAL).user.id == reviewer.id
    assert authenticate(reviewer.email, TEST_PASSWORD, device=own, address=OUTSIDER).user.id == reviewer.id
    [lock] = locks()
    assert lock["locked"] == "address" and lock["address"] == OUTSIDER


def test_failures_far_apart_start_the_count_again(reviewer):
    start = utcnow()
    for n in range(MAX_FAILURES * 2):
        with pytest.raises(AuthFailed, match="not right"):
            authenticate(reviewer.email, "wrong-password", now=start + n * timedelta(minutes=LOCK_MINUTES + 1))
    assert locks() == []


def test_an_administrators_unlock_unlocks_unknown_browsers_and_every_trusted_one(reviewer, team):
    own = signed_in_browser(reviewer)
    for _ in range(MAX_FAILURES):
        refused(reviewer.email, device=own)
    for _ in range(MAX_FAILURES):
        refused(reviewer.email, device=own)  # spent: now the account's unknown-browser budget
    assert "Too many failed attempts" in refused(reviewer.email, TEST_PASSWORD)
    with write_session() as session:
        unlock(session, reviewer.email, team[Role.ADMIN])
    with read_session() as session:
        row = session.exec(select(TrustedDevice).where(col(TrustedDevice.user_id) == reviewer.id)).one()
        assert row.locked_until is None and row.failed_count == 0
    assert authenticate(reviewer.email, TEST_PASSWORD).user.id == reviewer.id
    for _ in range(MAX_FAILURES - 1):
        refused(reviewer.email, device=own)
    assert authenticate(reviewer.email, TEST_PASSWORD, device=own).user.id == reviewer.id


def test_a_browser_not_seen_for_its_lifetime_is_unknown_again_and_purged(reviewer):
    own = signed_in_browser(reviewer)
    later = utcnow() + devices.LIFETIME + timedelta(days=1)
    with write_session() as session:
        assert devices.trusted(session, sessions.digest(own), reviewer.id, later) is None
    sessions.purge(later)
    with read_session() as session:
        assert session.exec(select(TrustedDevice)).all() == []


def addresses_counted() -> list[str]:
    with read_session() as session:
        return sorted(row.address for row in session.exec(select(AddressThrottle)).all())


def test_a_client_address_is_forgotten_once_its_count_has_lapsed_and_not_while_it_can_lock(reviewer):
    earlier = utcnow() - timedelta(minutes=LOCK_MINUTES, seconds=1)
    with pytest.raises(AuthFailed):
        authenticate(reviewer.email, "wrong-password", earlier, address=HOSPITAL)  # a count that has lapsed
    for n in range(PER_ADDRESS):
        refused(f"someone{n}@nhs.net", address=OUTSIDER)  # locks the outsider's address
    sessions.purge()
    assert addresses_counted() == [OUTSIDER]
    assert "from this network" in refused(reviewer.email, TEST_PASSWORD, address=OUTSIDER)
    sessions.purge(utcnow() + timedelta(minutes=LOCK_MINUTES, seconds=1))
    assert addresses_counted() == []


def test_only_hashes_of_device_cookies_are_stored(reviewer):
    own = signed_in_browser(reviewer)
    with read_session() as session:
        stored = [row.token_hash for row in session.exec(select(TrustedDevice)).all()]
    assert stored == [sessions.digest(own)]


def test_an_administrators_unlock_also_unlocks_a_network_locked_by_guessing(reviewer, team):
    """Behind one NAT or proxy, an outsider's guesses at other addresses lock the network's unknown browsers
    (a reviewer's new phone among them): the administrator's unlock ends that too."""
    for n in range(PER_ADDRESS):
        refused(f"someone{n}@nhs.net", address=OUTSIDER)
    assert "from this network" in refused(reviewer.email, TEST_PASSWORD, address=OUTSIDER)
    with write_session() as session:
        unlock(session, reviewer.email, team[Role.ADMIN])
    assert authenticate(reviewer.email, TEST_PASSWORD, address=OUTSIDER).user.id == reviewer.id
