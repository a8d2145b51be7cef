"""Page-level security (AppTest on app.py, SQLite): user text is shown as plain text on every page and
never reaches anything that renders markdown or HTML; a busy database gives a "try again" message
and keeps everything typed on screen."""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from core import workflow
from core.accounts.users import create_user
from core.enums import Action, Role
from core.models import DerogationRequest, StrikePeriod, User
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, read_session, write_session
from core.request.form import MAX_NOTE, RequestForm
from ops.backup import sqlite_file
from tests.conftest import PROSE_LIMITS, TRUST_A, valid_form
from tests.pages.conftest import open_page
from tests.pages.test_file_request import fill

# Each marker is unique, so finding it raw means user text went unescaped into markdown or HTML.
RAW_MARKERS = ("<b>ZQ", "<script>ZQ", "<img src=ZQ", "[ZQ-link](", "![ZQ-img](", ":red[ZQ", "**ZQ-bold**")
HOSTILE = "<b>ZQ-b</b> <script>ZQ()</script> <img src=ZQ onerror=alert(1)> [ZQ-link](javascript:alert(1))"
HOSTILE_MORE = "![ZQ-img](https://example.com/x.png) :red[ZQ-red] **ZQ-bold** # ZQ-heading | ZQ | cell |"


def hostile(label: str, limit: int = 4000) -> str:
    """Markup that says which field it came from, within the field's limit."""
    return f"{label}: {HOSTILE} {HOSTILE_MORE}"[:limit]


@pytest.fixture
def strike(sqlite_db: str) -> StrikePeriod:
    now = utcnow()
    with write_session() as session:
        period = StrikePeriod(
            name=hostile("period", 120), starts_at=now - timedelta(hours=12), ends_at=now + timedelta(days=3)
        )
        session.add(period)
    return period


@pytest.fixture
def people(strike) -> dict[Role, User]:
    """One person per role, every name full of markup."""
    team = {}
    with write_session() as session:
        for role in Role:
            team[role] = create_user(
                session,
                email=f"{role.value}@test.nhs.uk",
                full_name=hostile(role.value, 120),
                job_title=hostile("job", 120),
                role=role,
                password=None,
                trust_code=TRUST_A if role in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD) else None,
                region_code="Y62" if role is Role.REGIONAL_MD else None,
            )
    return team


def hostile_form(period: StrikePeriod):
    form = valid_form(period, **{name: hostile(name, limit) for name, limit in PROSE_LIMITS.items()})
    form.non_urgent_work_running = form.local_agreement_sought = True
    form.mitigations = {
        key: {"tried": True, "note": hostile(f"mitigation {key}", MAX_NOTE)} for key in form.mitigations
    }
    return form


@pytest.fixture
def hostile_requests(people, strike) -> dict[str, DerogationRequest]:
    """Requests whose every free-text field, rationale, comment and decision is markup."""
    requester = people[Role.REQUESTER]
    reason = hostile("reason")

    def filed() -> DerogationRequest:
        draft = workflow.save_draft(requester, hostile_form(strike))
        return workflow.submit(requester, draft.id, draft.version)

    def up_to_bma(request: DerogationRequest) -> DerogationRequest:
        for role in (Role.CLINICAL_DIRECTOR, Role.TRUST_MD, Role.REGIONAL_MD, Role.NATIONAL_MDT):
            request = workflow.review(people[role], request.id, request.version, Action.ESCALATE, reason)
        return request

    asked = filed()
    asked = workflow.review(
        people[Role.CLINICAL_DIRECTOR],
        asked.id,
        asked.version,
        Action.RETURN_FOR_INFO,
        reason,
        reasons=["evidence_missing"],
    )
    decided = filed()
    decided = workflow.review(
        people[Role.CLINICAL_DIRECTOR],
        decided.id,
        decided.version,
        Action.RETURN_FOR_INFO,
        reason,
        reasons=["evidence_missing"],
    )
    decided = workflow.answer_more_info(
        requester, decided.id, decided.version, RequestForm.from_request(decided), hostile("answer")
    )
    decided = up_to_bma(decided)
    workflow.add_comment(people[Role.BMA], decided.id, hostile("comment"))

    def approval(request: DerogationRequest) -> workflow.BmaDecision:
        return workflow.BmaDecision(
            approve=True,
            rationale=reason,
            approved_doctors=1,
            approved_grades=["ST3+"],
            approved_window_start=request.window_start,
            approved_window_end=request.window_end,
            approved_scope=hostile("scope", 2000),
        )

    decided = workflow.bma_decide(people[Role.BMA], decided.id, decided.version, approval(decided))
    approved_ref = decided.confirmation_ref
    revoked = workflow.revoke(
        people[Role.BMA], decided.id, decided.version, hostile("revoke"), reasons=["facts_changed"]
    )
    revoked = workflow.record_harm(requester, revoked.id, revoked.version, hostile("harm"))
    still_approved = up_to_bma(filed())
    still_approved = workflow.bma_decide(
        people[Role.BMA], still_approved.id, still_approved.version, approval(still_approved)
    )
    return {
        "waiting at clinical director": filed(),
        "waiting at BMA": up_to_bma(filed()),
        "asked for more information": asked,
        "revoked with harm": revoked,
        "approved": still_approved,
        "_revoked_ref": approved_ref,
    }


def markdown_strings(at: AppTest) -> Iterator[tuple[str, str]]:
    """Every string the page hands to something that renders markdown or HTML."""
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success"):
        for element in getattr(at, kind):
            yield kind, str(element.value)
    for element in at.html:
        yield "html", str(element.proto.body)
    for element in at.table:
        for cell in element.value.astype(str).to_numpy().ravel():
            yield "table", cell
    for element in at.expander:
        yield "expander label", str(element.label)
    for element in at.tabs:
        yield "tab label", str(element.label)
    for kind in ("button", "checkbox", "toggle", "text_input", "text_area", "number_input", "selectbox", "radio"):
        for element in getattr(at, kind):
            yield f"{kind} label", str(element.label)
    for element in at.radio:  # radio options render markdown
        for option in element.options:
            yield "radio option", str(option)
    for element in at.metric:
        yield "metric", f"{element.label} {element.value}"


def plain_strings(at: AppTest) -> str:
    """What the page shows as text: st.text, st.code, dataframes, and escaped markdown as rendered."""
    parts = [str(e.value) for e in at.text] + [str(e.value) for e in at.code]
    for element in at.dataframe:
        parts += [str(v) for v in element.value.astype(str).to_numpy().ravel()]
    parts += [html.unescape(s).replace("  \n", "\n") for _, s in markdown_strings(at)]
    return "\n".join(parts)


def assert_nothing_rendered(at: AppTest, where: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    leaks = [(kind, s[:120]) for kind, s in markdown_strings(at) if any(marker in s for marker in RAW_MARKERS)]
    assert not leaks, f"{where}: user text reached markdown/HTML unescaped: {leaks}"


PAGES = [
    (Role.REQUESTER, "pages/my_requests.py", {}),
    (Role.REQUESTER, "pages/inbox.py", {}),
    (Role.REQUESTER, "pages/file_request.py", {"id": "asked for more information"}),
    (Role.REQUESTER, "pages/request_detail.py", {"id": "revoked with harm"}),
    (Role.CLINICAL_DIRECTOR, "pages/review_queue.py", {}),
    (Role.CLINICAL_DIRECTOR, "pages/request_detail.py", {"id": "waiting at clinical director"}),
    (Role.REGIONAL_MD, "pages/dashboard.py", {}),
    (Role.NATIONAL_MDT, "pages/dashboard.py", {}),
    (Role.REGIONAL_MD, "pages/requests_list.py", {}),
    (Role.NATIONAL_MDT, "pages/requests_list.py", {}),
    (Role.NATIONAL_MDT, "pages/report.py", {}),
    (Role.NATIONAL_MDT, "pages/request_detail.py", {"id": "approved"}),
    (Role.BMA, "pages/review_queue.py", {}),
    (Role.BMA, "pages/request_detail.py", {"id": "waiting at BMA"}),
    (Role.BMA, "pages/request_detail.py", {"id": "approved"}),
    (Role.BMA, "pages/inbox.py", {}),
    (Role.ADMIN, "pages/admin.py", {}),
]


@pytest.mark.parametrize(("role", "page", "query"), PAGES, ids=lambda v: v.value if isinstance(v, Role) else None)
def test_user_text_is_plain_text_on_every_page(people, hostile_requests, role, page, query):
    query = {name: str(hostile_requests[value].id) for name, value in query.items()}
    at = open_page(people[role], page, **query)
    assert_nothing_rendered(at, f"{page} as {role.value}")
    assert "ZQ" in plain_strings(at), "the page should show some of the hostile text (as text)"


def test_the_detail_page_shows_every_field_exactly_as_typed(people, hostile_requests):
    request = hostile_requests["revoked with harm"]
    at = open_page(people[Role.REQUESTER], "pages/request_detail.py", id=str(request.id))
    assert_nothing_rendered(at, "request detail")
    text = plain_strings(at)
    with read_session() as session:
        stored = session.get(DerogationRequest, request.id)
    for name in ("site", "service", "ward", "risk_description", "non_urgent_work_note", "local_agreement_with"):
        assert getattr(stored, name) in text, name
    for name in ("contact_name", "contact_role", "approved_scope", "revoke_reason"):
        assert getattr(stored, name) in text, name
    for entry in stored.mitigations.values():
        assert entry["note"] in text
    for label in ("reason", "answer", "comment", "harm"):
        assert hostile(label) in text, label
    assert people[Role.BMA].full_name in text  # the actor's name on the timeline


def test_the_public_check_shows_the_scope_as_plain_text(hostile_requests):
    at = open_page(None, "pages/verify.py", ref=hostile_requests["approved"].confirmation_ref)
    assert_nothing_rendered(at, "verify")
    assert hostile("scope", 2000) in plain_strings(at) or hostile("service", 200) in plain_strings(at)
    revoked = open_page(None, "pages/verify.py", ref=hostile_requests["_revoked_ref"])
    assert_nothing_rendered(revoked, "verify (revoked)")


# ---------------------------------------------------------------- a busy database loses nothing typed


@contextmanager
def database_locked() -> Iterator[None]:
    """Another connection holds SQLite's write lock for longer than the (short) busy timeout."""
    blocker = sqlite3.connect(sqlite_file(), isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


@pytest.fixture
def short_busy_timeout(sqlite_db, monkeypatch):
    monkeypatch.setenv("DEROG_SQLITE_BUSY_TIMEOUT_MS", "100")
    dispose_engines()


def request_count() -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(DerogationRequest)).one()


def test_busy_database_keeps_the_typed_form_and_says_try_again(short_busy_timeout, people, strike):
    typed = valid_form(strike, site="Wythenshawe Hospital", service="Acute medicine", ward="AMU")
    at = fill(open_page(people[Role.REQUESTER], "pages/file_request.py"), typed)
    with database_locked():
        at.button(key="rf_submit").click().run()
    assert not at.exception
    assert any("try again" in html.unescape(e.value) for e in at.error)
    assert request_count() == 0  # nothing half-saved
    for name in ("site", "service", "ward", "contact_phone"):
        assert at.text_input(key=f"rf_{name}").value == getattr(typed, name)  # nothing typed is lost
    assert at.text_area(key="rf_risk_description").value == typed.risk_description
    assert at.number_input(key="rf_doctors_requested").value == typed.doctors_requested

    at.button(key="rf_submit").click().run()  # the same click once the lock is gone
    assert not at.exception
    assert request_count() == 1


def test_busy_database_keeps_a_reviewers_reasons(short_busy_timeout, people, strike):
    requester = people[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(strike))
    request = workflow.submit(requester, draft.id, draft.version)
    at = open_page(people[Role.CLINICAL_DIRECTOR], "pages/request_detail.py", id=str(request.id))
    at.radio(key=f"review_action_{request.id}").set_value(Action.ESCALATE.value)
    reasons = at.text_area(key=f"review_rationale_{request.id}")
    reasons.input("Escalating: no consultant cover overnight.")
    with database_locked():
        at.button(key=f"review_go_{request.id}").click().run()
    assert not at.exception
    assert any("try again" in html.unescape(e.value) for e in at.error)
    assert at.text_area(key=reasons.key).value == "Escalating: no consultant cover overnight."
    assert at.radio(key=f"review_action_{request.id}").value == Action.ESCALATE.value
    with read_session() as session:
        assert session.get(DerogationRequest, request.id).version == request.version

    at.button(key=f"review_go_{request.id}").click().run()  # the same click once the lock is gone
    assert not at.exception
    with read_session() as session:
        assert session.get(DerogationRequest, request.id).version == request.version + 1


def test_the_checker_catches_markup_rendered_unescaped():
    """The page checks above would fail on a page that put user text into markdown or a radio option."""

    def unsafe_page() -> None:
        import streamlit as st

        text = "Service: <b>ZQ-b</b> [ZQ-link](javascript:alert(1))"
        st.text(text)
        st.radio("Pick one", [text])

    at = AppTest.from_function(unsafe_page).run()
    with pytest.raises(AssertionError, match="radio option"):
        assert_nothing_rendered(at, "unsafe page")
