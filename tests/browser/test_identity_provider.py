"""Sign-in through a real OpenID Connect provider, run here by the test (node-oidc-provider from npm,
tests/browser/oidc/provider.mjs): Streamlit's whole st.login redirect, the e-mail claim mapped to our
account and our own server-side session, unverified addresses and other domains refused, and sign-out
ending our session, Streamlit's identity cookie and the provider's own session."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from core.accounts import sessions
from tests.browser.conftest import ARTIFACTS, ROOT, AppServer, free_port, start_server, stop_server
from tests.browser.setup_db import ACCOUNTS
from tests.conftest import artifact_name

# One worker runs them all: they share one provider and app server (with_provider), started once.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("identity_provider")]
PROVIDER_SCRIPT = ROOT / "tests" / "browser" / "oidc" / "provider.mjs"
ORGANISATION_BUTTON = "Sign in with your organisation account"


@dataclass
class IdentityProvider:
    url: str
    process: subprocess.Popen


@dataclass
class ProviderSetup:
    app: AppServer
    provider: IdentityProvider


def _wait_for(url: str, process: subprocess.Popen, log) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the identity provider exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the identity provider did not answer {url}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def with_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProviderSetup]:
    """An OIDC provider and an app server that signs in through it (only test.nhs.uk addresses)."""
    if shutil.which("node") is None:
        pytest.fail("node is needed for the identity-provider tests (./scripts/test installs it)")
    app_port, provider_port = free_port(), free_port()
    client_id, client_secret = "derogations", secrets.token_urlsafe(24)
    callback = f"http://127.0.0.1:{app_port}/oauth2callback"
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / artifact_name("oidc-provider.log")
    with log.open("w") as out:
        process = subprocess.Popen(
            ["node", str(PROVIDER_SCRIPT), str(provider_port), client_id, client_secret, callback, callback],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    provider = IdentityProvider(f"http://127.0.0.1:{provider_port}", process)
    _wait_for(f"{provider.url}/.well-known/openid-configuration", process, log)
    app = start_server(
        tmp_path_factory.mktemp("oidc"),
        "in-progress",
        {
            "DEROG_OIDC_METADATA_URL": f"{provider.url}/.well-known/openid-configuration",
            "DEROG_OIDC_CLIENT_ID": client_id,
            "DEROG_OIDC_CLIENT_SECRET": client_secret,
            "DEROG_OIDC_REDIRECT_URI": callback,
            "DEROG_OIDC_COOKIE_SECRET": secrets.token_hex(32),
            "DEROG_OIDC_ALLOWED_DOMAINS": "test.nhs.uk",
        },
        port=app_port,
    )
    yield ProviderSetup(app, provider)
    stop_server(app)
    process.terminate()
    process.wait(timeout=10)


def provider_sign_in(page: Page, setup: ProviderSetup, login: str) -> None:
    """Click the organisation button, then sign in at the provider's own page."""
    page.goto(setup.app.url)
    page.get_by_role("button", name=ORGANISATION_BUTTON).click()
    page.wait_for_url(f"{setup.provider.url}/interaction/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("the provider checks its own passwords")
    page.locator("button[type=submit]").click()


def cookie_names(page: Page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def open_browser(people, key: str) -> Page:  # noqa: ANN001
    page = people.browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    people.pages[key] = page
    return page


def test_the_provider_signs_a_person_in_to_our_account_and_our_session(people, with_provider) -> None:
    account = ACCOUNTS["national_mdt"]
    page = open_browser(people, "provider_national")
    provider_sign_in(page, with_provider, account.email.upper())  # the claim's case does not matter
    expect(page.get_by_text(f"Signed in as {account.full_name} · National MDT")).to_be_visible()
    [cookie] = [c for c in page.context.cookies() if c["name"] == sessions.COOKIE_NAME]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.reload()  # our own session: a reload stays signed in
    expect(page.get_by_text(f"Signed in as {account.full_name}")).to_be_visible()


def test_an_unverified_address_is_refused(people, with_provider) -> None:
    page = open_browser(people, "provider_unverified")
    provider_sign_in(page, with_provider, f"unverified:{ACCOUNTS['regional_md'].email}")
    expect(page.get_by_text("Your organisation has not verified this e-mail address")).to_be_visible()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert sessions.COOKIE_NAME not in cookie_names(page)


def test_an_address_outside_the_allowed_domains_is_refused(people, with_provider) -> None:
    page = open_browser(people, "provider_other_domain")
    provider_sign_in(page, with_provider, ACCOUNTS["bma"].email)  # test.bma.org.uk: not allowed here
    expect(page.get_by_text("does not accept sign-in with e-mail addresses from that organisation")).to_be_visible()
    assert sessions.COOKIE_NAME not in cookie_names(page)


def test_sign_out_ends_our_session_and_the_providers(people, with_provider) -> None:
    account = ACCOUNTS["trust_md"]
    page = open_browser(people, "provider_sign_out")
    provider_sign_in(page, with_provider, account.email)
    expect(page.get_by_text(f"Signed in as {account.full_name}")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own sign-out page
    expect(page.get_by_role("button", name=ORGANISATION_BUTTON)).to_be_visible()
    assert not cookie_names(page) & {sessions.COOKIE_NAME, "_streamlit_user"}
    # The provider forgot the person too: signing in again asks for their login, not straight back in.
    page.get_by_role("button", name=ORGANISATION_BUTTON).click()
    page.wait_for_url(f"{with_provider.provider.url}/interaction/**")
    expect(page.locator("input[name=login]")).to_be_visible()
