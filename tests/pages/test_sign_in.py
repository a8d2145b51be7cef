"""Sign-in, sign-out, lockout, idle and absolute expiry, and ended sessions through app.py: the page
side of the server-side sessions (core/accounts/sessions.py). AppTest plays the browser (tests/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core.accounts import sessions
from core.accounts.admin import end_sessions
from core.accounts.users import GENERIC_FAILURE, set_password, update_user
from core.enums import Action, Role, Tier
from core.models import AuditEvent, DerogationRequest, User, UserSession
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from tests.conftest import TEST_COOKIE_KEY, TEST_PASSWORD
from tests.pages.conftest import REASON, click, errors, file_request, open_page, shown

QUEUE = "pages/review_queue.py"


def sign_in(at, email: str, password: str):  # noqa: ANN001, ANN201
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click().run()
    return at


def session_rows(user: User) -> list[UserSession]:
    with read_session() as session:
        return list(session.exec(select(UserSession).where(UserSession.user_id == user.id)).all())


def age_session(token: str, **moved: timedelta) -> None:
    """Move a session's times into the past, as if that much time had gone by."""
    with write_session() as session:
        row = session.exec(select(UserSession).where(UserSession.token_hash == sessions.digest(token))).one()
        for name, by in moved.items():
            setattr(row, name, getattr(row, name) - by)
        session.add(row)


def test_signed_out_sees_only_the_sign_in_form(sqlite_db):
    at = open_page(None)
    assert at.title[0].value == "Sign in"
    assert TEST_COOKIE_KEY not in at.session_state


def test_sign_in_opens_a_server_side_session_and_the_home_page(staff):
    requester = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    at = sign_in(open_page(None), requester.email.upper(), TEST_PASSWORD)
    assert not at.exception
    assert "Signing you in…" in shown(at)  # the browser is sent to redeem its ticket for the cookie
    [row] = session_rows(requester)
    token = at.session_state[TEST_COOKIE_KEY]
    assert row.token_hash == sessions.digest(token) and row.ticket_hash is None  # only the hash is stored
    at.run()  # the page the browser lands on
    assert at.title[0].value == "My trust's requests"
    assert (
        f"Signed in as {requester.full_name} · Trust requester · Manchester University NHS Foundation Trust (R0A)"
        in shown(at)
    )


def test_wrong_password_gets_the_generic_message_and_opens_no_session(staff):
    requester = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    at = sign_in(open_page(None), requester.email, "not-the-password")
    assert GENERIC_FAILURE in errors(at)
    assert session_rows(requester) == [] and TEST_COOKIE_KEY not in at.session_state
    unknown = sign_in(open_page(None), "nobody@nowhere.nhs.uk", "not-the-password")
    assert GENERIC_FAILURE in errors(unknown)  # the same words: nothing says who has an account


def test_repeated_failures_lock_the_address(staff, monkeypatch):
    monkeypatch.setenv("DEROG_MAX_FAILED_LOGINS", "2")
    requester = staff.make(Role.REQUESTER, trust="R0A", password=TEST_PASSWORD)
    for _ in range(2):
        sign_in(open_page(None), requester.email, "wrong-password!")
    at = sign_in(open_page(None), requester.email, TEST_PASSWORD)  # even the right password is refused now
    assert any("Too many failed attempts" in message for message in errors(at))
    assert session_rows(requester) == []


def test_sign_out_ends_the_session_in_every_tab_of_the_browser(people):
    reviewer = people[Role.CLINICAL_DIRECTOR]
    at = open_page(reviewer)
    token = at.session_state[TEST_COOKIE_KEY]
    other_tab = open_page(None)
    other_tab.session_state[TEST_COOKIE_KEY] = token  # the same browser: the same cookie
    other_tab.run()
    assert other_tab.title[0].value.startswith("Review queue")
    click(at, "sign_out")
    assert at.title[0].value == "Sign in"
    assert "You have signed out." in shown(at)
    [row] = session_rows(reviewer)
    assert row.revoked_at is not None and row.ended_reason == "signed_out"
    other_tab.run()  # its next run or refresh
    assert other_tab.title[0].value == "Sign in"
    with read_session() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "signed_out")).first().actor_id == reviewer.id


def test_sign_out_everywhere_ends_every_browser_of_the_account(people):
    reviewer = people[Role.TRUST_MD]
    laptop, phone = open_page(reviewer), open_page(reviewer)
    bystander = open_page(people[Role.CLINICAL_DIRECTOR])
    click(laptop, "sign_out_everywhere")
    assert laptop.title[0].value == "Sign in"
    assert "You signed out on every device." in shown(laptop)  # carried by the sign-out route's address
    phone.run()
    assert phone.title[0].value == "Sign in"
    assert "You signed out on every device." in shown(phone)
    bystander.run()  # someone else's session is untouched
    assert bystander.title[0].value.startswith("Review queue")


def test_sign_out_everywhere_from_a_tab_left_idle_still_ends_the_other_browsers(people):
    """Back at a shared computer where the tab went idle: the button must not say it worked and end nothing."""
    reviewer = people[Role.TRUST_MD]
    forgotten, phone = open_page(reviewer), open_page(reviewer)
    age_session(forgotten.session_state[TEST_COOKIE_KEY], last_seen_at=timedelta(hours=3))
    click(forgotten, "sign_out_everywhere")
    assert "You signed out on every device." in shown(forgotten)
    phone.run()
    assert phone.title[0].value == "Sign in" and "You signed out on every device." in shown(phone)


def test_an_idle_session_ends_and_the_page_says_why(people):
    at = open_page(people[Role.TRUST_MD])
    age_session(at.session_state[TEST_COOKIE_KEY], last_seen_at=timedelta(hours=3))
    at.run()
    assert at.title[0].value == "Sign in"
    assert "inactive" in shown(at)


def test_a_session_ends_at_its_absolute_lifetime_however_active(people):
    at = open_page(people[Role.TRUST_MD])
    age_session(at.session_state[TEST_COOKIE_KEY], created_at=timedelta(hours=13), expires_at=timedelta(hours=13))
    at.run()
    assert at.title[0].value == "Sign in"
    assert "time limit" in shown(at)


def test_a_closed_account_is_signed_out_on_its_next_click(people):
    reviewer = people[Role.CLINICAL_DIRECTOR]
    at = open_page(reviewer)
    with write_session() as session:
        update_user(session, reviewer.id, by=people[Role.ADMIN], trust_code="R0A", active=False)
    at.run()
    assert at.title[0].value == "Sign in"
    assert "no longer active" in shown(at)
    assert all(row.ended_reason == "account_closed" for row in session_rows(reviewer))


def test_a_role_change_or_new_password_ends_the_accounts_sessions(people):
    reviewer = people[Role.CLINICAL_DIRECTOR]
    before = open_page(reviewer)
    with write_session() as session:
        update_user(session, reviewer.id, by=people[Role.ADMIN], role=Role.TRUST_MD, trust_code="R0A")
    before.run()
    assert before.title[0].value == "Sign in"
    assert "changed your role or scope" in shown(before)
    again = open_page(reviewer)
    with write_session() as session:
        set_password(session, reviewer.id, "A-new-password-2026", by=people[Role.ADMIN])
    again.run()
    assert "Your password was changed" in shown(again)


def test_an_administrator_ends_a_persons_sessions(people):
    reviewer = people[Role.REGIONAL_MD]
    at = open_page(reviewer)
    assert end_sessions(people[Role.ADMIN], reviewer.id) == 1
    at.run()
    assert at.title[0].value == "Sign in"
    assert "An administrator ended your session." in shown(at)


def test_a_decision_clicked_after_the_session_went_idle_saves_nothing(people, strike, monkeypatch):
    monkeypatch.setenv("DEROG_IDLE_TIMEOUT_MINUTES", "2")
    request = file_request(people, strike)
    at = open_page(people[Role.CLINICAL_DIRECTOR], QUEUE, id=str(request.id))
    at.radio(key=f"review_action_{request.id}").set_value(Action.ESCALATE.value)
    at.text_area(key=f"review_rationale_{request.id}").input(REASON)
    age_session(at.session_state[TEST_COOKIE_KEY], last_seen_at=timedelta(seconds=135))
    at.button(key=f"review_go_{request.id}").click().run()
    assert not at.exception
    with read_session() as session:
        fresh = session.get(DerogationRequest, request.id)
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.request_id == request.id)).all()
    assert fresh.current_tier == Tier.CLINICAL_DIRECTOR and Action.ESCALATE.value not in actions
    assert at.title[0].value == "Sign in"
    assert "Nothing was saved. You were signed out because you were inactive." in shown(at)


def test_a_callback_acts_as_the_account_is_now_not_as_it_was_drawn(people, strike):
    """The page was drawn for a clinical director; an administrator ends the session before the click."""
    request = file_request(people, strike)
    reviewer = people[Role.CLINICAL_DIRECTOR]
    at = open_page(reviewer, "pages/request_detail.py", id=str(request.id))
    at.text_area(key=f"comment_body_{request.id}").input("Phoned the consultant on call.")
    with write_session() as session:
        sessions.end_all(session, reviewer.id, sessions.EndReason.ENDED_BY_ADMIN)
    at.button(key=f"comment_go_{request.id}").click().run()
    with read_session() as session:
        comments = session.exec(
            select(AuditEvent).where(AuditEvent.request_id == request.id, AuditEvent.action == Action.COMMENT.value)
        ).all()
    assert comments == []
    assert at.title[0].value == "Sign in"
    assert "Nothing was saved. An administrator ended your session." in shown(at)


def test_a_deep_link_while_signed_out_asks_for_sign_in_and_shows_nothing_else(people):
    at = open_page(None)
    at.query_params["id"] = "1"
    at.switch_page("pages/request_detail.py").run()
    assert at.title[0].value == "Sign in"
    assert "Request" not in [t.value for t in at.title]


def test_a_reload_or_new_tab_with_the_cookie_lands_signed_in_on_the_linked_request(people, strike):
    request = file_request(people, strike)
    reviewer = people[Role.CLINICAL_DIRECTOR]
    first = open_page(reviewer)
    new_tab = open_page(None)
    new_tab.session_state[TEST_COOKIE_KEY] = first.session_state[TEST_COOKIE_KEY]
    new_tab.query_params["id"] = str(request.id)
    new_tab.switch_page("pages/request_detail.py").run()
    assert new_tab.title[0].value == f"Request {request.id}"


def test_only_activity_moves_the_idle_deadline(people):
    reviewer = people[Role.NATIONAL_MDT]
    token = open_page(reviewer).session_state[TEST_COOKIE_KEY]
    age_session(token, last_seen_at=timedelta(minutes=5))
    before = sessions.check(token, activity=False).signs_out_at
    assert sessions.check(token, activity=False).signs_out_at == before  # an automatic refresh
    assert sessions.check(token, activity=True).signs_out_at > before  # a click
    with read_session() as session:
        row = session.exec(select(UserSession).where(col(UserSession.token_hash) == sessions.digest(token))).one()
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)
