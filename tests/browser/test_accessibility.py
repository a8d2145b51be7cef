"""axe-core (npm, pinned in package.json) on every page, for every role that sees it.

Each page is checked against WCAG 2.0/2.1/2.2 A and AA. Every violation is written to
test-artifacts/accessibility.txt and printed. A violation fails the test unless it is one of the
few that come from Streamlit's own markup, listed in STREAMLIT_OWN with the reason (the same list
is in docs/accessibility.md): what our code draws (text, labels, colours, headings) must be clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.browser.setup_db import ACCOUNTS, SEEDED
from tests.browser.steps import settle, sign_in

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
REPORT = ARTIFACTS / "accessibility.txt"


@dataclass(frozen=True)
class Known:
    """A violation in markup Streamlit draws itself, which the app cannot change."""

    rule: str
    where: str  # a regular expression matched against the node's selector and HTML
    why: str


STREAMLIT_OWN: list[Known] = []


def request_id(name: str) -> int:
    return SEEDED.index(name) + 1


# role -> pages: (how to reach it, the heading that shows it has loaded). "/path" is a deep link opened
# at sign-in; a plain name is the navigation link a person clicks.
ROLE_PAGES: dict[str, list[tuple[str, str]]] = {
    "requester": [
        (f"/request?id={request_id('approved')}", f"Request {request_id('approved')}"),
        ("My trust's requests", "My trust's requests"),
        ("File a request", "File a request"),
        ("Find a request", "Find a request"),
        ("Inbox", "Inbox"),
    ],
    "clinical_director": [
        (f"/request?id={request_id('at_clinical_director')}", f"Request {request_id('at_clinical_director')}"),
        ("Review queue", "Review queue: Clinical director"),
        ("Inbox", "Inbox"),
    ],
    "trust_md": [
        (f"/request?id={request_id('at_trust_md')}", f"Request {request_id('at_trust_md')}"),
        ("Review queue", "Review queue: Trust medical director"),
    ],
    "regional_md": [
        (f"/request?id={request_id('at_regional_md')}", f"Request {request_id('at_regional_md')}"),
        ("Review queue", "Review queue: Regional medical director"),
        ("Live dashboard", "Live dashboard"),
        ("Requests list", "Requests list"),
        ("Post-strike report", "Post-strike report"),
    ],
    "national_mdt": [
        (f"/request?id={request_id('at_national_mdt')}", f"Request {request_id('at_national_mdt')}"),
        ("Review queue", "Review queue: National MDT"),
        ("Live dashboard", "Live dashboard"),
        ("Requests list", "Requests list"),
        ("Post-strike report", "Post-strike report"),
        ("Inbox", "Inbox"),
    ],
    "bma": [
        (f"/request?id={request_id('at_bma')}", f"Request {request_id('at_bma')}"),
        ("Review queue", "Review queue: BMA"),
    ],
    "admin": [("/administration", "Administration")],
}


def run_axe(page: Page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol, which the page's Content-Security-Policy does not govern (a script tag
        # added to the page would be refused by it, as any script of another's should be).
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 240),
                                           summary: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300)})),
            }));
        }""",
        WCAG,
    )


def known(rule: str, node: dict) -> Known | None:
    for entry in STREAMLIT_OWN:
        if entry.rule == rule and re.search(entry.where, f"{node['target']} {node['html']}"):
            return entry
    return None


def check(page: Page, who: str, name: str) -> list[str]:
    """Run axe on the page as it is; record every violation; return the ones our code causes."""
    ours, lines = [], []
    for violation in run_axe(page):
        for node in violation["nodes"]:
            entry = known(violation["id"], node)
            verdict = f"Streamlit's own ({entry.why})" if entry else "OURS"
            line = f"{who:18} {name:28} {violation['id']} [{violation['impact']}] {node['target']} :: {verdict}"
            lines.append(line + f"\n{'':48}{violation['help']}: {node['summary']}\n{'':48}{node['html']}")
            if entry is None:
                ours.append(line)
    ARTIFACTS.mkdir(exist_ok=True)
    with REPORT.open("a") as report:
        report.write("".join(f"{line}\n" for line in lines) or f"{who:18} {name:28} no violations\n")
    print("\n".join(lines) or f"{who} {name}: no violations")
    return ours


def wait_for_page(page: Page, heading: str) -> None:
    expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    settle(page)
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)  # every element drawn


def show_form_errors(page: Page) -> None:
    """Submit the empty form: every field's message is shown next to it (and listed at the top)."""
    page.get_by_role("button", name="Submit request").click()
    expect(page.get_by_text("There is a problem").first).to_be_visible()
    settle(page)


def show_approval_fields(page: Page) -> None:
    """The BMA chooses 'Approve': the fields for what exactly is approved appear."""
    page.get_by_text("Approve (you can approve less than was asked)", exact=True).click()
    expect(page.get_by_label("Grades approved", exact=True)).to_be_visible()
    settle(page)


def show_comparison(page: Page) -> None:
    """Every strike round side by side: the report's comparison view, its table and charts."""
    page.get_by_text("Compare strike periods", exact=True).click()
    expect(page.get_by_role("heading", name="Figures, period by period")).to_be_visible()
    settle(page)


# Further states of a page worth checking: (role, page heading) -> what a person does first.
STATES = {
    ("requester", "File a request"): show_form_errors,
    ("bma", "Review queue: BMA"): show_approval_fields,
    ("national_mdt", "Post-strike report"): show_comparison,
}
# A desk and the ops room's wall (height: a screen of each). At a phone's width the pages each issue changed
# are checked by their own tests (phone review, forms, wall, figures, cover register); walking every page
# through the folded menu there is still to do.
WIDTHS = {1280: 800, 1920: 1080}


def open_first_in_queue(page: Page) -> None:
    """A reviewer opens the first waiting request, so the decision panel is checked too."""
    page.get_by_label("Open a request", exact=True).click()
    page.get_by_role("option").first.click()
    expect(page.get_by_role("heading", name="Your decision")).to_be_visible()
    settle(page)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("who", list(ROLE_PAGES))
def test_every_page_of_each_role_passes_axe(who: str, width: int, people, app_server) -> None:
    page = people.open(who, app_server.url, signed_in=False)
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    seen = f"{who} at {width}"
    ours: list[str] = []
    for target, heading in ROLE_PAGES[who]:
        if target.startswith("/"):
            sign_in(page, app_server.url, ACCOUNTS[who], target)
        else:
            page.get_by_role("link", name=target, exact=True).first.click()
        wait_for_page(page, heading)
        if heading.startswith("Review queue"):
            open_first_in_queue(page)
        ours += check(page, seen, heading)
        if (who, heading) in STATES:
            STATES[(who, heading)](page)
            ours += check(page, seen, f"{heading} ({STATES[(who, heading)].__name__})")
    assert not ours, "Accessibility violations in our own markup:\n" + "\n".join(ours)


def test_pages_before_sign_in_pass_axe(people, app_server) -> None:
    page = people.open("visitor", app_server.url, signed_in=False)
    wait_for_page(page, "Sign in")
    ours = check(page, "signed out", "Sign in")
    page.get_by_role("link", name="Check a recall", exact=True).first.click()
    wait_for_page(page, "Check a recall")
    ours += check(page, "signed out", "Check a recall")
    assert not ours, "Accessibility violations in our own markup:\n" + "\n".join(ours)
