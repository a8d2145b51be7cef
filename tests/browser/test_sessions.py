"""Server-side sessions in a real browser: signed in across reloads, tabs and e-mail links; every power
gone the moment the session or the account ends (core/accounts/sessions.py, server/routes.py, SECURITY.md)."""

from __future__ import annotations

import contextlib
import itertools
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlmodel import select

from core.accounts import devices, sessions
from core.accounts.users import create_user, update_user
from core.enums import Role
from core.models import AuditEvent, DerogationRequest, User, UserSession
from core.platform.db import get_engine, read_session, write_session
from tests.browser.setup_db import PASSWORD, SEEDED, TRUST, Account
from tests.browser.steps import choose, settle, sign_in

pytestmark = pytest.mark.browser
_numbers = itertools.count(1)
AT_CLINICAL_DIRECTOR = SEEDED.index("at_clinical_director") + 1  # the request's id


def new_account(server, role: Role, **scope: str) -> Account:  # noqa: ANN001
    """A person of our own for this test, so closing their account touches nobody else's test."""
    number = next(_numbers)
    account = Account(f"{role.value}_{number}", f"session.{role.value}.{number}@test.nhs.uk", f"Session Tester {number}",
                      role, scope.get("trust_code"), scope.get("region_code"))  # fmt: skip
    with write_session(get_engine(server.database_url)) as session:
        create_user(session, email=account.email, full_name=account.full_name, role=role, password=PASSWORD,
                    trust_code=account.trust_code, region_code=account.region_code)  # fmt: skip
    return account


def close_account(server, account: Account) -> None:  # noqa: ANN001
    with write_session(get_engine(server.database_url)) as session:
        user = session.exec(select(User).where(User.email == account.email)).one()
        admin = session.exec(select(User).where(User.role == Role.ADMIN.value)).first()
        update_user(session, user.id, by=admin, role=user.role, trust_code=user.trust_code,
                    region_code=user.region_code, active=False)  # fmt: skip


def expect_signed_out(page: Page) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stMetric']")).to_have_count(0)


def open_page(people, server, account: Account, path: str = "") -> Page:  # noqa: ANN001
    people.pages[account.key] = page = people.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    return sign_in(page, server.url, account, path)


def test_the_cookie_is_httponly_lax_and_secure_and_a_reload_stays_signed_in(people, app_server) -> None:
    page = people.open("regional_md", app_server.url)
    [cookie] = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE_NAME]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/" and cookie["secure"]
    assert cookie["expires"] == -1  # gone when the browser closes
    assert page.evaluate("document.cookie").find(sessions.COOKIE_NAME) == -1  # no script can read it
    page.reload()
    expect(page.get_by_text("Signed in as Dr Sam Wright")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0)


def test_an_email_link_in_a_new_tab_opens_the_request_signed_in(people, app_server) -> None:
    page = people.open("clinical_director", app_server.url)
    link = page.context.new_page()  # a new tab of the same browser, as when a notification's link is clicked
    people.pages["clinical_director_link"] = link
    link.goto(f"{app_server.url}/request?id={AT_CLINICAL_DIRECTOR}")
    expect(link.get_by_role("heading", name=f"Request {AT_CLINICAL_DIRECTOR}")).to_be_visible()
    expect(link.get_by_text("Signed in as Dr Tom Evans")).to_be_visible()


def test_a_deep_link_opened_signed_out_opens_after_sign_in(people, app_server) -> None:
    page = people.open("clinical_director", app_server.url, f"request?id={AT_CLINICAL_DIRECTOR}")
    expect(page.get_by_role("heading", name=f"Request {AT_CLINICAL_DIRECTOR}")).to_be_visible()


def test_a_sign_in_link_on_another_site_signs_nobody_in(people, app_server) -> None:
    """Login CSRF: someone's own sign-in ticket, put in a link on another site, must not sign a visitor
    in as them (whose requests the visitor would then file). The browser says where the link was."""
    account = new_account(app_server, Role.REQUESTER, trust_code=TRUST)
    with write_session(get_engine(app_server.database_url)) as session:
        user = session.exec(select(User).where(User.email == account.email)).one()
        ticket = sessions.begin(session, user, "password")
    people.pages[account.key] = page = people.browser.new_context().new_page()
    page.set_content(f'<a href="{app_server.url}/session/start?ticket={ticket}&next=/">Open the rota</a>')
    page.get_by_role("link", name="Open the rota").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("That sign-in did not complete")).to_be_visible()
    assert sessions.COOKIE_NAME not in {c["name"] for c in page.context.cookies()}
    with read_session(get_engine(app_server.database_url)) as session:
        assert session.exec(select(UserSession).where(UserSession.user_id == user.id)).one().token_hash is None


def test_signing_out_in_one_tab_signs_the_other_out_at_its_next_refresh(people, app_server) -> None:
    account = new_account(app_server, Role.NATIONAL_MDT)
    dashboard = open_page(people, app_server, account, "live-dashboard")
    expect(dashboard.get_by_role("heading", name="Live dashboard")).to_be_visible()
    other = dashboard.context.new_page()
    people.pages[f"{account.key}_other"] = other
    other.goto(f"{app_server.url}/requests-list")
    expect(other.get_by_text(f"Signed in as {account.full_name}")).to_be_visible()
    settle(other)
    other.get_by_role("button", name="Sign out").click()
    expect(other.get_by_text("You have signed out.")).to_be_visible()
    assert sessions.COOKIE_NAME not in {c["name"] for c in other.context.cookies()}
    expect_signed_out(dashboard)  # the dashboard's own refresh, within about 10 seconds


def test_a_closed_accounts_open_dashboard_shows_no_figures_within_one_refresh(people, app_server) -> None:
    account = new_account(app_server, Role.NATIONAL_MDT)
    dashboard = open_page(people, app_server, account, "live-dashboard")
    expect(dashboard.locator("[data-testid='stMetric']").first).to_be_visible()
    close_account(app_server, account)
    expect_signed_out(dashboard)
    expect(dashboard.get_by_text("no longer active")).to_be_visible()


def test_a_decision_after_the_session_went_idle_saves_nothing(people, app_server) -> None:
    account = new_account(app_server, Role.CLINICAL_DIRECTOR, trust_code=TRUST)
    page = open_page(people, app_server, account, f"queue?id={AT_CLINICAL_DIRECTOR}")
    choose(page, "Escalate to the Trust medical director")
    page.get_by_label("Your rationale (required, shown to everyone who can see this request)", exact=True).fill(
        "Escalating: no registrar cover overnight."
    )
    engine = get_engine(app_server.database_url)
    with write_session(engine) as session:  # an hour passes with nobody at the keyboard
        user = session.exec(select(User).where(User.email == account.email)).one()
        for row in session.exec(select(UserSession).where(UserSession.user_id == user.id)).all():
            row.last_seen_at -= timedelta(hours=1)
            session.add(row)
    # Two outcomes are right, and the machine's load decides which: the click reaches a page that then
    # signs out, or the page has already signed itself out (its countdown) and the button is gone.
    # What matters is the same either way: signed out, told why, nothing saved.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.get_by_role("button", name="Record my decision").click(timeout=5_000)
    expect_signed_out(page)
    expect(page.get_by_text("inactive")).to_be_visible()
    with read_session(engine) as session:
        assert session.get(DerogationRequest, AT_CLINICAL_DIRECTOR).current_tier == "clinical_director"
        by_them = session.exec(select(AuditEvent.action).where(AuditEvent.actor_id == user.id)).all()
    assert set(by_them) == {"signed_in"}  # nothing was done in their name


def test_a_download_clicked_after_the_account_is_closed_gives_no_file_and_the_page_says_why_by_itself(
    people, app_server
) -> None:
    account = new_account(app_server, Role.NATIONAL_MDT)
    page = open_page(people, app_server, account, "requests-list")
    button = page.get_by_role("button", name="Download this list (CSV)")
    with page.expect_download() as first:
        button.click()
    assert first.value.path().stat().st_size > 0
    close_account(app_server, account)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    log_before = app_server.log.read_text()
    button.click()
    # No further click: the refusal runs the page again, which finds the account closed.
    expect_signed_out(page)
    expect(page.get_by_text("Your account is no longer active")).to_be_visible()
    assert downloads == []
    written = app_server.log.read_text()[len(log_before) :]
    assert "Traceback" not in written and "deferred callable" not in written, written


def try_password(page: Page, base_url: str, account: Account, password: str) -> str:
    """Open the sign-in page afresh (so the error read is this attempt's), type an e-mail address and a
    password, press Sign in; the error shown."""
    page.goto(base_url)
    settle(page)
    page.get_by_label("E-mail address", exact=True).fill(account.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    error = page.locator("[data-testid='stAlertContentError']")
    expect(error).to_be_visible()
    return error.inner_text()


def test_an_outsiders_wrong_passwords_leave_the_reviewer_signing_in_from_their_own_browser(people, app_server):
    reviewer = new_account(app_server, Role.CLINICAL_DIRECTOR, trust_code=TRUST)
    own = open_page(people, app_server, reviewer)  # the reviewer's browser has signed in before
    [device] = [c for c in own.context.cookies() if c["name"] == devices.COOKIE_NAME]
    assert device["httpOnly"] and device["sameSite"] == "Strict" and device["expires"] > 0  # long-lived
    own.get_by_role("button", name="Sign out", exact=True).click()
    expect(own.get_by_text("You have signed out.")).to_be_visible()
    settle(own)

    outsider = people.open("outsider", app_server.url, signed_in=False)  # a fresh browser
    answers = [try_password(outsider, app_server.url, reviewer, f"guess-number-{n}") for n in range(8)]
    assert "not right" in answers[0] and "Too many failed attempts" in answers[-1]
    # An unknown browser is still throttled, even with the right password.
    assert "Too many failed attempts" in try_password(outsider, app_server.url, reviewer, PASSWORD)

    sign_in(own, app_server.url, reviewer)  # the reviewer, from their own browser, signs straight in
    expect(own.get_by_text(f"Signed in as {reviewer.full_name}")).to_be_visible()


def test_every_page_answers_at_its_own_address_with_no_page_not_found(people, app_server) -> None:
    """st.navigation serves its default page only at '/': were the sign-in page or a person's home page the
    default, its own address (/sign-in, where every sign-out lands; a bookmarked /queue) would open under
    Streamlit's "Page not found". '/' forwards to the right page instead."""
    account = new_account(app_server, Role.CLINICAL_DIRECTOR, trust_code=TRUST)
    people.pages[account.key] = page = people.browser.new_context().new_page()
    not_found = page.get_by_text("Page not found")
    for address in ("/sign-in", "/sign-in?ended=signed_out", "/"):
        page.goto(f"{app_server.url}{address}")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        settle(page)
        expect(not_found).to_have_count(0)
    sign_in(page, app_server.url, account, "sign-in")
    expect(page.get_by_role("heading", name=re.compile("^Review queue"))).to_be_visible()
    for address in ("/queue", "/"):
        page.goto(f"{app_server.url}{address}")
        expect(page.get_by_role("heading", name=re.compile("^Review queue"))).to_be_visible()
        settle(page)
        expect(not_found).to_have_count(0)
    assert page.url.endswith("/queue")  # '/' forwarded to the person's page, which the address now names
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    settle(page)
    expect(not_found).to_have_count(0)
