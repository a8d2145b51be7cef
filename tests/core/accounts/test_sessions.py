"""The session store (core/accounts/sessions.py) on SQLite and PostgreSQL: tickets, hashes, expiry, revocation,
and one account signed in from several browsers at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core.accounts import sessions
from core.accounts.sessions import EndReason, SessionEnded
from core.accounts.users import authenticate
from core.enums import Role
from core.models import UserSession
from core.platform.clock import utcnow
from core.platform.config import security_settings
from core.platform.db import read_session, write_session
from tests.conftest import TEST_PASSWORD, TRUST_A, session_cookie


@pytest.fixture
def person(staff):
    return staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_A, password=TEST_PASSWORD)


def reason_of(token: str, **kwargs) -> EndReason | None:
    with pytest.raises(SessionEnded) as ended:
        sessions.check(token, **kwargs)
    return ended.value.reason


def test_a_ticket_is_redeemed_once_for_a_session_id_and_only_hashes_are_stored(person):
    signed_in = authenticate(person.email, TEST_PASSWORD)
    token = sessions.redeem(signed_in.ticket)
    assert token is not None and len(token) >= 43  # 256 random bits, URL-safe
    assert sessions.redeem(signed_in.ticket) is None  # used
    assert sessions.check(token).user.id == person.id
    with read_session() as session:
        dump = " ".join(str(v) for row in session.execute(text("select * from user_session")).all() for v in row)
    assert token not in dump and signed_in.ticket not in dump
    assert sessions.digest(token) in dump


def test_a_ticket_not_redeemed_within_a_minute_is_refused(person):
    ticket = authenticate(person.email, TEST_PASSWORD).ticket
    assert sessions.redeem(ticket, now=utcnow() + timedelta(seconds=61)) is None
    assert sessions.redeem(ticket) is not None


@pytest.mark.parametrize("bogus", [None, "", 42, True, "x" * 101, "not-a-session", "\x00"])
def test_anything_but_a_live_session_id_is_no_session(db, bogus):
    assert reason_of(bogus) is None
    assert sessions.redeem(bogus) is None


def ended_row(token: str) -> UserSession:
    with read_session() as session:
        return session.exec(select(UserSession).where(UserSession.token_hash == sessions.digest(token))).one()


def test_idle_limit_and_absolute_lifetime(person, monkeypatch):
    monkeypatch.setenv("DEROG_IDLE_TIMEOUT_MINUTES", "10")
    monkeypatch.setenv("DEROG_SESSION_MAX_HOURS", "1")
    idle, busy = session_cookie(person), session_cookie(person)
    now = utcnow()
    assert sessions.check(idle, activity=False, now=now + timedelta(minutes=9, seconds=50)).user.id == person.id
    assert reason_of(idle, now=now + timedelta(minutes=10, seconds=5)) is EndReason.IDLE
    # The lapse is written on the row: from then on it reads as ended, at any time, like a sign-out.
    assert ended_row(idle).ended_reason == EndReason.IDLE and ended_row(idle).revoked_at is not None
    assert reason_of(idle, now=now + timedelta(minutes=1)) is EndReason.IDLE
    # Kept active, a session still ends at its absolute lifetime.
    for minutes in range(5, 60, 5):
        sessions.check(busy, now=now + timedelta(minutes=minutes))
    live = sessions.check(busy, activity=False, now=now + timedelta(minutes=56))
    assert live.signs_out_at <= now + timedelta(hours=1, seconds=1)  # the sooner of the two deadlines
    assert reason_of(busy, now=now + timedelta(minutes=61)) is EndReason.EXPIRED
    assert ended_row(busy).ended_reason == EndReason.EXPIRED


def test_lapsed_sessions_are_not_counted_as_signed_in_nor_as_ended_by_an_administrator(person, monkeypatch):
    monkeypatch.setenv("DEROG_IDLE_TIMEOUT_MINUTES", "10")
    session_cookie(person)
    session_cookie(person)
    later = utcnow() + timedelta(minutes=11)  # both idle, neither checked since, so neither marked
    assert sessions.live_count(person.id, now=later) == 0
    with write_session() as session:
        assert sessions.end_all(session, person.id, EndReason.ENDED_BY_ADMIN, now=later) == 0


def test_sign_out_revokes_one_browser_and_end_all_every_browser(person):
    laptop, phone, tablet = (session_cookie(person) for _ in range(3))
    sessions.sign_out(laptop)
    assert reason_of(laptop) is EndReason.SIGNED_OUT
    assert sessions.check(phone).user.id == person.id
    sessions.sign_out(laptop)  # twice: nothing more happens
    assert sessions.sign_out_everywhere(phone) == 2
    assert reason_of(tablet) is EndReason.SIGNED_OUT_EVERYWHERE
    assert sessions.sign_out_everywhere(phone) == 0  # again: nothing left to end
    with pytest.raises(SessionEnded):
        sessions.sign_out_everywhere("not-a-session")


def test_sign_out_everywhere_from_a_tab_whose_session_lapsed_still_ends_the_others(person, monkeypatch):
    """The shared-computer case: the person comes back to an idle tab and asks to sign out everywhere."""
    monkeypatch.setenv("DEROG_IDLE_TIMEOUT_MINUTES", "10")
    forgotten = session_cookie(person)
    later = utcnow() + timedelta(minutes=11)
    assert reason_of(forgotten, now=later) is EndReason.IDLE
    phone = session_cookie(person)
    with write_session() as session:  # the phone was used a minute ago
        session.execute(
            UserSession.__table__.update()
            .where(UserSession.token_hash == sessions.digest(phone))
            .values(last_seen_at=later - timedelta(minutes=1))
        )
    assert sessions.sign_out_everywhere(forgotten, now=later) == 1
    assert reason_of(phone, now=later) is EndReason.SIGNED_OUT_EVERYWHERE


def test_signing_in_again_in_a_browser_ends_the_session_its_cookie_held(person, staff):
    other = staff.make(Role.CLINICAL_DIRECTOR, trust=TRUST_A, password=TEST_PASSWORD)
    before = session_cookie(person)
    after = sessions.redeem(authenticate(other.email, TEST_PASSWORD).ticket, replacing=before)
    assert sessions.check(after).user.id == other.id
    assert reason_of(before) is EndReason.REPLACED
    # A refused ticket ends nothing: the cookie the browser still holds keeps working.
    kept = session_cookie(person)
    assert sessions.redeem("not-a-ticket", replacing=kept) is None
    assert sessions.check(kept).user.id == person.id


def test_an_unknown_stored_reason_reads_as_signed_out(person):
    token = session_cookie(person)
    with write_session() as session:
        session.execute(
            UserSession.__table__.update()
            .where(UserSession.token_hash == sessions.digest(token))
            .values(revoked_at=utcnow(), ended_reason="from_a_newer_version")
        )
    assert reason_of(token) is EndReason.SIGNED_OUT


def test_concurrent_sign_ins_of_one_account_each_get_their_own_session(person):
    with ThreadPoolExecutor(max_workers=4) as pool:
        tickets = list(pool.map(lambda _: authenticate(person.email, TEST_PASSWORD).ticket, range(4)))
        tokens = list(pool.map(sessions.redeem, tickets))
    assert None not in tokens and len(set(tokens)) == 4
    assert all(sessions.check(token).user.id == person.id for token in tokens)
    assert sessions.live_count(person.id) == 4


def test_two_requests_racing_with_one_ticket_get_one_session(person):
    ticket = authenticate(person.email, TEST_PASSWORD).ticket
    with ThreadPoolExecutor(max_workers=2) as pool:
        tokens = list(pool.map(sessions.redeem, [ticket, ticket]))
    assert sorted(token is None for token in tokens) == [False, True]


@pytest.mark.parametrize("ended_by", ["expires_at", "revoked_at", "last_seen_at"])
def test_sessions_that_ended_over_30_days_ago_are_purged(person, ended_by):
    token = session_cookie(person)
    recent = session_cookie(person)
    sessions.sign_out(recent)  # ended yesterday, say: kept (who was signed in when)
    with write_session() as session:
        row = session.exec(select(UserSession).where(UserSession.token_hash == sessions.digest(token))).one()
        setattr(row, ended_by, utcnow() - timedelta(days=31))
        session.add(row)
    assert sessions.purge() == 1
    with read_session() as session:
        left = session.exec(select(UserSession.token_hash).where(UserSession.user_id == person.id)).all()
    assert left == [sessions.digest(recent)]


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEROG_IDLE_TIMEOUT_MINUTES", "0"), ("DEROG_IDLE_TIMEOUT_MINUTES", "half an hour"),
     ("DEROG_SESSION_MAX_HOURS", "-1"), ("DEROG_SESSION_MAX_HOURS", "nan")],
)  # fmt: skip
def test_a_session_limit_that_makes_no_sense_is_refused_by_name(monkeypatch, name, value):
    """A typo must not sign everyone out at once, nor fail every page with a bare traceback."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=rf"{name} must be a positive"):
        security_settings()
    monkeypatch.setenv("DEROG_SESSION_MAX_HOURS", "7.5")
    monkeypatch.setenv("DEROG_IDLE_TIMEOUT_MINUTES", "20")
    assert (security_settings().session_max_hours, security_settings().idle_timeout_minutes) == (7.5, 20)
