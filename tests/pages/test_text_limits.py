"""Every text box that fills a column lets a person type exactly what that column holds, no more and no less:
the widgets' max_chars against the table's own lengths (the request form's fields: test_file_request.py). A box
that looks something up takes what core/ says it takes, and that is enough for what it looks up."""

from __future__ import annotations

from sqlalchemy.orm import InstrumentedAttribute
from streamlit.testing.v1 import AppTest

from core import queries, workflow
from core.accounts import display_sessions
from core.enums import Action, Role, Tier
from core.models import CoverLine, DerogationRequest, StrikePeriod, User
from core.platform.input_checks import DB_INT_MAX
from core.queries.public_check import MAX_TYPED_REFERENCE
from core.queries.search import MAX_TYPED_NUMBER
from tests.core.conftest import bma_approval
from tests.pages.conftest import escalate_to, file_request, open_page


def stored_length(column: InstrumentedAttribute) -> int:
    """The length the table itself gives the column."""
    return column.property.columns[0].type.length


def text_limits(at: AppTest) -> dict[str, int | None]:
    return {widget.key: widget.max_chars for widget in [*at.text_input, *at.text_area]}


def assert_limits(at: AppTest, expected: dict[str, InstrumentedAttribute]) -> None:
    drawn = text_limits(at)
    assert {key: drawn[key] for key in expected} == {key: stored_length(column) for key, column in expected.items()}


def test_the_administration_forms_hold_what_accounts_and_strike_periods_hold(people):
    at = open_page(people[Role.ADMIN], "pages/admin.py")
    assert_limits(
        at,
        {
            "adm_new_name": User.full_name,
            "adm_new_email": User.email,
            "adm_new_job": User.job_title,
            "adm_new_phone": User.phone,
            "adm_period_name": StrikePeriod.name,
        },
    )


def test_a_cover_line_holds_what_its_columns_hold(people):
    at = open_page(people[Role.REQUESTER], "pages/cover_register.py")
    assert_limits(at, {"cover_service": CoverLine.service, "cover_agreed_with": CoverLine.agreed_with})


def test_the_bypass_recall_holds_what_its_column_holds(people, strike):
    rid = file_request(people, strike, mass_casualty=True).id
    at = open_page(people[Role.REQUESTER], "pages/request_detail.py", id=str(rid))
    assert_limits(at, {f"bypass_declared_{rid}": DerogationRequest.bypass_declared_by})


def test_the_bmas_approved_scope_holds_what_its_column_holds(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.BMA)
    rid = request.id
    at = open_page(people[Role.BMA], "pages/request_detail.py", id=str(rid))
    at.radio(key=f"bma_choice_{rid}").set_value(Action.APPROVE.value).run()
    assert_limits(at, {f"bma_scope_{rid}": DerogationRequest.approved_scope})


def test_a_revocation_holds_what_its_column_holds(people, strike):
    request = escalate_to(people, file_request(people, strike), Tier.BMA)
    workflow.bma_decide(people[Role.BMA], request.id, request.version, bma_approval(request))
    at = open_page(people[Role.BMA], "pages/request_detail.py", id=str(request.id))
    assert_limits(at, {f"revoke_reason_{request.id}": DerogationRequest.revoke_reason})


def test_the_lookup_boxes_take_what_core_says_and_that_holds_the_longest_thing_looked_up(people):
    longest_number = f"patient safety mitigation {DB_INT_MAX}"
    assert len(longest_number) <= MAX_TYPED_NUMBER and queries.request_number(longest_number) == DB_INT_MAX
    assert len("abcd - ef23") <= MAX_TYPED_REFERENCE and queries.normalise_reference("abcd - ef23") == "ABCD-EF23"
    assert display_sessions.normalised_code("km4p - 7rtx") == "KM4P7RTX"
    assert len("km4p - 7rtx") <= display_sessions.MAX_TYPED_CODE
    detail = open_page(people[Role.REQUESTER], "pages/request_detail.py")
    assert text_limits(detail)["detail_number"] == MAX_TYPED_NUMBER
    assert text_limits(open_page(None, "pages/verify.py"))["verify_ref"] == MAX_TYPED_REFERENCE
    walls = open_page(people[Role.NATIONAL_MDT], "pages/wall_displays.py")
    assert text_limits(walls)["wall_code"] == display_sessions.MAX_TYPED_CODE
