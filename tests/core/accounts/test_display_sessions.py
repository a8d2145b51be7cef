"""Display sessions (core/accounts/display_sessions.py) on SQLite and PostgreSQL: a wall screen's code, typed once
by the national MDT or an administrator, becomes a display of one scope with no person's powers; it
ends when someone ends it or at its time, each an audit row; bad codes, wrong roles and stale ends are
refused with nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.access_control.visibility import scope_key, visible_filter
from core.accounts import display_sessions, sessions
from core.accounts.display_sessions import CODE_FIELD, DisplayEnded
from core.accounts.sessions import SessionEnded
from core.enums import AdminAction, Role
from core.models import DisplaySession
from core.platform.clock import utcnow
from core.platform.db import read_session
from core.platform.errors import PermissionDenied, ValidationFailed
from tests.core.conftest import audit_rows

REGION = "Y62"


def started(actor, region_code=None, hours=12, now=None) -> tuple[display_sessions.Pairing, str]:
    """A wall screen's code typed by `actor`, and the display id its cookie then holds."""
    pairing = display_sessions.begin_pairing(now=now)
    display_sessions.start(actor, pairing.shown.lower(), region_code, hours, now=now)  # typed as a person may
    token = display_sessions.redeem(pairing.claim, now=now)
    assert token is not None
    return pairing, token


def display_audit() -> list:
    return [row for row in audit_rows() if row.action.startswith("display_")]


@pytest.mark.parametrize("role", [Role.NATIONAL_MDT, Role.ADMIN])
def test_the_code_typed_by_the_national_mdt_or_an_administrator_starts_a_display_of_one_scope(team, role):
    pairing = display_sessions.begin_pairing()
    assert display_sessions.paired(pairing.claim) is False
    display_id = display_sessions.start(team[role], pairing.code, REGION, 8)
    assert display_sessions.paired(pairing.claim) is True
    token = display_sessions.redeem(pairing.claim)
    assert token and display_sessions.redeem(pairing.claim) is None  # the claim works once
    live = display_sessions.check(token)
    assert (live.id, live.region_code) == (display_id, REGION)
    assert timedelta(hours=7, minutes=59) < live.ends_at - utcnow() <= timedelta(hours=8)
    (row,) = display_audit()
    assert row.action == AdminAction.DISPLAY_STARTED and row.actor_id == team[role].id
    assert row.details == {"display_id": display_id, "region_code": REGION, "hours": 8}
    with read_session() as session:
        stored = session.get(DisplaySession, display_id)
    # Only hashes: neither the code, the claim nor the display id can be read back from a copy of the table.
    assert stored.code_hash is None and stored.claim_hash is None and stored.token_hash == sessions.digest(token)


@pytest.mark.parametrize("role", [Role.REGIONAL_MD, Role.BMA, Role.CLINICAL_DIRECTOR, Role.REQUESTER])
def test_no_other_role_can_start_or_end_a_display(team, role):
    pairing = display_sessions.begin_pairing()
    with pytest.raises(PermissionDenied):
        display_sessions.start(team[role], pairing.code, None, 12)
    assert display_sessions.paired(pairing.claim) is False
    _, token = started(team[Role.NATIONAL_MDT])
    with pytest.raises(PermissionDenied):
        display_sessions.end(team[role], display_sessions.check(token).id)
    assert display_sessions.check(token)


def test_a_closed_account_cannot_start_a_display(team):
    national = team[Role.NATIONAL_MDT]
    national.active = False
    with pytest.raises(PermissionDenied):
        display_sessions.start(national, display_sessions.begin_pairing().code, None, 12)


@pytest.mark.parametrize(
    ("typed", "field"),
    [("", CODE_FIELD), ("ABC", CODE_FIELD), ("OOOO-IIII", CODE_FIELD), (None, CODE_FIELD), (12345678, CODE_FIELD)],
)
def test_a_code_that_cannot_be_one_is_refused_next_to_the_field(team, typed, field):
    with pytest.raises(ValidationFailed) as refused:
        display_sessions.start(team[Role.NATIONAL_MDT], typed, None, 12)
    assert field in refused.value.errors
    assert display_audit() == []


def test_a_code_nobody_shows_an_expired_code_and_a_used_code_start_nothing(team):
    national = team[Role.NATIONAL_MDT]
    with pytest.raises(ValidationFailed, match="No wall screen is showing that code"):
        display_sessions.start(national, "ABCD-EFGH", None, 12)
    old = display_sessions.begin_pairing(now=utcnow() - display_sessions.CODE_LIFETIME - timedelta(seconds=1))
    with pytest.raises(ValidationFailed, match="No wall screen is showing that code"):
        display_sessions.start(national, old.code, None, 12)
    assert display_sessions.paired(old.claim) is None  # the screen shows a new code
    pairing = display_sessions.begin_pairing()
    display_sessions.start(national, pairing.code, None, 12)
    with pytest.raises(ValidationFailed, match="No wall screen is showing that code"):
        display_sessions.start(national, pairing.code, REGION, 4)  # typed twice: the first one holds
    assert len(display_audit()) == 1


def test_a_scope_or_duration_not_offered_is_refused(team):
    national = team[Role.NATIONAL_MDT]
    pairing = display_sessions.begin_pairing()
    with pytest.raises(ValidationFailed) as refused:
        display_sessions.start(national, pairing.code, "NOPE", 12)
    assert "scope" in refused.value.errors
    for hours in (0, 13, 24 * 365, True):
        with pytest.raises(ValidationFailed):
            display_sessions.start(national, pairing.code, None, hours)
    assert display_sessions.paired(pairing.claim) is False


def test_a_claim_redeems_only_once_its_code_was_typed(team):
    pairing = display_sessions.begin_pairing()
    assert display_sessions.redeem(pairing.claim) is None
    assert display_sessions.redeem(pairing.code) is None  # the code seen on the wall is not the claim
    for junk in (None, "", "x" * 500):
        assert display_sessions.redeem(junk) is None


def test_a_display_is_not_a_person_s_session(team):
    """Every page, callback, download and route asks core.accounts.sessions: a display's id is no session there."""
    _, token = started(team[Role.NATIONAL_MDT])
    with pytest.raises(SessionEnded):
        sessions.check(token)


def test_a_display_shows_only_its_scope(team):
    national = team[Role.NATIONAL_MDT]
    england = display_sessions.viewer(None)
    region = display_sessions.viewer(REGION)
    assert scope_key(england) == scope_key(national)
    assert scope_key(region) == scope_key(team[Role.REGIONAL_MD])
    assert str(visible_filter(region)) == str(visible_filter(team[Role.REGIONAL_MD]))
    assert england.id is None and region.id is None  # never stored, never a person


def test_a_display_has_no_idle_limit_and_ends_at_its_time_with_one_audit_row(team):
    national = team[Role.NATIONAL_MDT]
    start = utcnow() - timedelta(hours=3, minutes=59)
    _, token = started(national, hours=4, now=start)
    assert display_sessions.check(token)  # nearly four hours without a person's click: still up
    with pytest.raises(DisplayEnded):
        display_sessions.check(token, now=start + timedelta(hours=4))
    with pytest.raises(DisplayEnded):
        display_sessions.check(token)
    actions = [row.action for row in display_audit()]
    assert actions == [AdminAction.DISPLAY_STARTED, AdminAction.DISPLAY_EXPIRED]
    assert display_audit()[-1].actor_id is None  # nobody ended it: the system did
    assert display_sessions.live_displays() == []


def test_expire_due_notes_each_lapsed_display_once(team):
    national = team[Role.NATIONAL_MDT]
    start = utcnow() - timedelta(hours=5)
    started(national, hours=4, now=start)
    started(national, REGION, hours=4, now=start)
    _, live = started(national, hours=12)
    assert display_sessions.expire_due() == 2
    assert display_sessions.expire_due() == 0
    assert [row.action for row in display_audit()].count(AdminAction.DISPLAY_EXPIRED) == 2
    assert [d.id for d in display_sessions.live_displays()] == [display_sessions.check(live).id]


def test_ending_a_display_is_one_audit_row_and_a_second_end_is_refused(team):
    national, admin = team[Role.NATIONAL_MDT], team[Role.ADMIN]
    _, token = started(national, REGION)
    (listed,) = display_sessions.live_displays()
    assert (listed.region_code, listed.started_by) == (REGION, national.full_name)
    display_sessions.end(admin, listed.id)
    with pytest.raises(DisplayEnded):
        display_sessions.check(token)
    with pytest.raises(ValidationFailed, match="already ended"):
        display_sessions.end(national, listed.id)
    rows = display_audit()
    assert [row.action for row in rows] == [AdminAction.DISPLAY_STARTED, AdminAction.DISPLAY_ENDED]
    assert rows[-1].actor_id == admin.id and rows[-1].details == {"display_id": listed.id, "region_code": REGION}
    assert display_sessions.live_displays() == []


def test_codes_nobody_typed_are_removed_when_new_ones_are_made(team):
    display_sessions.begin_pairing(now=utcnow() - display_sessions.KEEP_UNSTARTED - timedelta(minutes=1))
    display_sessions.begin_pairing()
    with read_session() as session:
        assert len(session.exec(select(DisplaySession)).all()) == 1


@pytest.mark.usefixtures("db")
def test_codes_are_eight_unambiguous_characters_and_differ():
    codes = {display_sessions.begin_pairing().code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) == 8 and not set(code) & set("01OIL") for code in codes)
