"""Sign-in: lockout after repeated failures (for unknown e-mails too), one message that does not say
whether an account exists, idle sessions end, and identity-provider sign-in maps only to our own
active accounts."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import col, select

from core.accounts import identity, sessions
from core.accounts.identity import NO_EMAIL, UNVERIFIED, WRONG_DOMAIN, IdentitySettings, user_for_identity
from core.accounts.users import GENERIC_FAILURE, authenticate, unlock, update_user, verify_password
from core.enums import Role
from core.models import AuditEvent, User
from core.platform.clock import utcnow
from core.platform.config import PROJECT_ROOT
from core.platform.db import read_session, write_session
from core.platform.errors import AuthFailed
from core.records import audit
from tests.conftest import TEST_PASSWORD, TRUST_A

MAX_FAILURES = 3
LOCK_MINUTES = 15


@pytest.fixture
def account(staff, monkeypatch):
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS", str(MAX_FAILURES))
    monkeypatch.setenv("DEROG_LOCKOUT_MINUTES", str(LOCK_MINUTES))
    return staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_A, password=TEST_PASSWORD)


def refusal(email: str, password: str, now=None) -> str:
    with pytest.raises(AuthFailed) as refused:
        authenticate(email, password, now=now)
    return str(refused.value)


def test_right_password_signs_in(account):
    assert authenticate(account.email.upper() + "  ", TEST_PASSWORD).user.id == account.id


def test_a_hash_with_older_parameters_is_upgraded_at_the_next_sign_in(account):
    older = PasswordHasher().hash(TEST_PASSWORD)  # argon2-cffi's default: 64 MiB, 4 lanes
    with write_session() as session:
        session.get(User, account.id).password_hash = older
    assert authenticate(account.email, TEST_PASSWORD).user.id == account.id
    with read_session() as session:
        upgraded = session.get(User, account.id).password_hash
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$") and verify_password(upgraded, TEST_PASSWORD)
    assert authenticate(account.email, TEST_PASSWORD).user.id == account.id


def sign_in_events() -> list[tuple[str, int | None, dict]]:
    with read_session() as session:
        rows = session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.action).in_(["signed_in", "sign_in_locked"]))
            .order_by(AuditEvent.id)
        ).all()
        return [(row.action, row.actor_id, row.details) for row in rows]


def test_sign_ins_and_lockouts_are_in_the_audit_history_and_failures_are_counted_only(account):
    authenticate(account.email, TEST_PASSWORD)
    assert sign_in_events() == [("signed_in", account.id, {"method": "password"})]
    now = utcnow()
    for _ in range(MAX_FAILURES - 1):
        refusal("Nobody@NHS.net", "wrong-password", now)
    assert len(sign_in_events()) == 1  # a failure alone is a count in login_throttle, not a history row
    refusal("nobody@nhs.net", "wrong-password", now)
    locked = sign_in_events()[-1]
    assert locked[:2] == ("sign_in_locked", None) and locked[2]["email"] == "nobody@nhs.net"
    identity.sign_in({"email": account.email, "email_verified": True, "iat": int(time.time())})
    assert sign_in_events()[-1] == ("signed_in", account.id, {"method": "identity provider"})
    with read_session() as session:
        assert audit.verify_chain(session).ok


def test_every_answer_takes_the_floor_whoever_the_address_belongs_to(account, staff, monkeypatch):
    # Without it a wrong password took 17 ms for an unknown address, ~90 ms for an account whose hash
    # predates the stronger-and-cheaper parameters, and 0.01 ms for an account with no password.
    monkeypatch.setenv("DEROG_SIGN_IN_FLOOR_MS", "300")
    older = staff.make(Role.TRUST_MD, trust=TRUST_A, password=TEST_PASSWORD)
    with write_session() as session:
        session.get(User, older.id).password_hash = PasswordHasher().hash(TEST_PASSWORD)
    no_password = staff.make(Role.TRUST_MD, trust=TRUST_A)  # signs in through the identity provider only
    for email in ("nobody@nhs.net", older.email, no_password.email, account.email):
        started = time.monotonic()
        assert refusal(email, "wrong-password-x") == GENERIC_FAILURE
        assert time.monotonic() - started >= 0.3, email
    started = time.monotonic()
    assert authenticate(account.email, TEST_PASSWORD).user.id == account.id
    assert time.monotonic() - started >= 0.3


def test_one_message_whether_or_not_the_account_exists(account, staff):
    closed = staff.make(Role.TRUST_MD, trust=TRUST_A, password=TEST_PASSWORD)
    with write_session() as session:
        update_user(session, closed.id, by=account, role=Role.TRUST_MD, trust_code=TRUST_A, active=False)
    messages = {
        "wrong password": refusal(account.email, "not-the-password"),
        "unknown e-mail": refusal("nobody@nhs.net", "not-the-password"),
        "closed account, right password": refusal(closed.email, TEST_PASSWORD),
        "empty": refusal("", ""),
    }
    assert set(messages.values()) == {GENERIC_FAILURE}, messages
    assert "exist" not in GENERIC_FAILURE and "unknown" not in GENERIC_FAILURE


@pytest.mark.parametrize("who", ["an account", "an unknown e-mail"])
def test_lockout_after_repeated_failures_reveals_nothing_either(account, who):
    email = account.email if who == "an account" else "nobody@nhs.net"
    now = utcnow()
    for _ in range(MAX_FAILURES):
        assert refusal(email, "wrong-password", now) == GENERIC_FAILURE
    locked = refusal(email, TEST_PASSWORD, now)  # even the right password is refused while locked
    assert locked.startswith("Too many failed attempts") and f"{LOCK_MINUTES} more minute" in locked
    # The lock message is the same for a real account and an unknown e-mail.
    other = "someone.else@nhs.net" if who == "an account" else account.email
    for _ in range(MAX_FAILURES):
        refusal(other, "wrong-password", now)
    assert refusal(other, "wrong-password", now) == locked


def test_lock_ends_after_the_configured_time(account):
    now = utcnow()
    for _ in range(MAX_FAILURES):
        refusal(account.email, "wrong-password", now)
    assert refusal(account.email, TEST_PASSWORD, now + timedelta(minutes=LOCK_MINUTES - 1)).startswith("Too many")
    assert authenticate(account.email, TEST_PASSWORD, now=now + timedelta(minutes=LOCK_MINUTES, seconds=1))


def test_case_and_spaces_do_not_dodge_the_lockout(account):
    now = utcnow()
    variants = [account.email.upper(), f"  {account.email}", account.email.title()]
    for email in variants[:MAX_FAILURES]:
        refusal(email, "wrong-password", now)
    assert refusal(account.email, TEST_PASSWORD, now).startswith("Too many")


def test_success_resets_the_count_and_an_administrator_can_unlock(account, team):
    now = utcnow()
    for _ in range(MAX_FAILURES - 1):
        refusal(account.email, "wrong-password", now)
    authenticate(account.email, TEST_PASSWORD, now=now)
    for _ in range(MAX_FAILURES - 1):  # counting starts again: not locked yet
        refusal(account.email, "wrong-password", now)
    assert authenticate(account.email, TEST_PASSWORD, now=now)
    for _ in range(MAX_FAILURES):
        refusal(account.email, "wrong-password", now)
    with write_session() as session:
        unlock(session, account.email, team[Role.ADMIN])
    assert authenticate(account.email, TEST_PASSWORD, now=now)


# ---------------------------------------------------------------- identity provider (OIDC)


def identify(claims: dict, settings: IdentitySettings | None = None):
    with read_session() as session:
        return user_for_identity(session, claims, settings or IdentitySettings())


def test_identity_maps_to_our_account_with_its_role_and_scope(account):
    user = identify({"is_logged_in": True, "email": f" {account.email.upper()} ", "email_verified": True})
    assert (user.id, user.role, user.trust_code) == (account.id, Role.CLINICAL_DIRECTOR.value, TRUST_A)


def test_identity_without_an_active_account_gets_nothing(account, team):
    with pytest.raises(AuthFailed) as unknown:
        identify({"email": "stranger@nhs.net"})
    assert "no active account" in str(unknown.value)
    with write_session() as session:
        update_user(session, account.id, by=team[Role.ADMIN], role=account.role, trust_code=TRUST_A, active=False)
    with pytest.raises(AuthFailed) as closed:
        identify({"email": account.email})
    assert "no active account" in str(closed.value)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({}, NO_EMAIL),
        ({"email": None}, NO_EMAIL),
        ({"email": ["a@nhs.net"]}, NO_EMAIL),
        ({"email": "not an address"}, NO_EMAIL),
        ({"email": "a\x00@nhs.net"}, NO_EMAIL),
        ({"email": "x" * 300 + "@nhs.net"}, NO_EMAIL),
        ({"email": "{email}", "email_verified": False}, UNVERIFIED),
        ({"email": "{email}", "email_verified": "false"}, UNVERIFIED),
    ],
)
def test_identity_claims_that_cannot_be_trusted_are_refused(account, claims, message):
    claims = {k: (v.format(email=account.email) if isinstance(v, str) else v) for k, v in claims.items()}
    with pytest.raises(AuthFailed) as refused:
        identify(claims)
    assert str(refused.value) == message


def test_identity_domains_and_claim_name_are_configurable(account, monkeypatch):
    domain = account.email.rsplit("@", 1)[1]  # test.nhs.uk
    assert identify({"email": account.email}, IdentitySettings(allowed_domains=("nhs.uk",))).id == account.id
    assert identify({"email": account.email}, IdentitySettings(allowed_domains=(domain,))).id == account.id
    with pytest.raises(AuthFailed) as refused:
        identify({"email": account.email}, IdentitySettings(allowed_domains=("st.nhs.uk", "nhs.net")))
    assert str(refused.value) == WRONG_DOMAIN  # "test.nhs.uk" ends with "st.nhs.uk" but is not under it
    monkeypatch.setenv("DEROG_OIDC_EMAIL_CLAIM", "preferred_username")
    monkeypatch.setenv("DEROG_OIDC_ALLOWED_DOMAINS", f" @{domain.upper()} , nhs.net")
    with read_session() as session:
        assert user_for_identity(session, {"preferred_username": account.email}).id == account.id
        with pytest.raises(AuthFailed):
            user_for_identity(session, {"email": account.email})


@pytest.mark.parametrize("issued", [None, "1700000000", True, -(10**20), "age:301", "age:-120"])
def test_provider_claims_too_old_or_odd_to_open_a_session_by_themselves(account, issued):
    """An identity cookie left in a browser opens no session by itself: the person signs in again."""
    if isinstance(issued, str) and issued.startswith("age:"):
        issued = int(time.time()) - int(issued.removeprefix("age:"))
    claims = {"email": account.email, "email_verified": True} | ({} if issued is None else {"iat": issued})
    with pytest.raises(identity.StaleIdentity):
        identity.sign_in(claims)


def test_provider_claims_issued_before_a_sign_out_open_no_session(account):
    """Two tabs, one signed in through the provider: signing out in one must not let the other's
    claims (still fresh) sign the browser straight back in; claims issued after it do."""
    issued = int(time.time())
    first = identity.sign_in({"email": account.email, "email_verified": True, "iat": issued})
    token = sessions.redeem(first.ticket)
    sessions.sign_out(token, now=utcnow() + timedelta(seconds=2))
    with pytest.raises(identity.StaleIdentity):
        identity.sign_in(
            {"email": account.email, "email_verified": True, "iat": issued}, now=utcnow() + timedelta(seconds=3)
        )
    again = identity.sign_in(
        {"email": account.email, "email_verified": True, "iat": issued + 3}, now=utcnow() + timedelta(seconds=3)
    )
    assert again.user.id == account.id


def test_core_and_ops_never_import_streamlit_and_core_never_imports_ops():
    """Rules live in core/ and must run without the UI (CLI, workers, tests); operations (ops/) build on
    core, never the other way round."""
    modules = sorted(
        ".".join(p.relative_to(PROJECT_ROOT).with_suffix("").parts)
        for folder in ("core", "ops")
        for p in (PROJECT_ROOT / folder).rglob("*.py")
        if p.stem not in ("__main__", "__init__")
    )
    code = "import importlib, sys\n" + "".join(
        f"importlib.import_module('{m}')\n" for m in modules if m.startswith("core.")
    )
    code += "assert not [m for m in sys.modules if m == 'ops' or m.startswith('ops.')], 'core imported ops'\n"
    code += "".join(f"importlib.import_module('{m}')\n" for m in modules if m.startswith("ops."))
    code += "assert 'streamlit' not in sys.modules, 'core or ops imported streamlit'\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
