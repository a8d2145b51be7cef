"""No patient-identifiable data in free text (issue 21): every free-text field refuses an NHS number, ten
digits written with or without spaces or hyphens whose Modulus 11 check digit is valid, with a message at
the field; nothing is stored. Ten digits with a wrong check digit, and fields with a shape of their own
(phone, e-mail), are accepted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from core import workflow
from core.enums import Action, Role
from core.models import Comment, DerogationRequest
from core.platform.db import write_session
from core.records import audit
from core.records.nhs_numbers import NHS_NUMBER_MESSAGE, holds_nhs_number, valid_nhs_number
from core.request.form import RequestForm
from ops import cli
from tests.conftest import examples, valid_form
from tests.security.free_text import free_text_refusals
from tests.security.world import assert_consistent

VALID = "9434765919"  # NHS England's published example
WRITTEN = ["943 476 5919", "943-476-5919", "9434765919", "943\u00a0476\u00a05919", "94 34 76 59 19"]
IN_TEXT = [
    f"Patient {WRITTEN[0]} on Ward 3 needs review",
    f"NHS no.{WRITTEN[1]}.",
    f"bed 12 {WRITTEN[0]}",  # a number before the number
    f"({WRITTEN[2]})",
    f"line one\n{WRITTEN[0]}\tline two",
]
ACCEPTED = [
    "9434765918",  # wrong check digit: a phone extension is not a patient
    "943 476 5918",
    "1000000010",  # its check digit computes to 10: no NHS number has it
    "01632 960 123",  # an eleven-digit UK phone number
    "+44 1632 960 123",
    "+44 7700 900000",  # an international phone number whose last ten digits happen to pass the check
    "agreed with Dr B (+44 7700 900 000)",
    "94347659190",  # eleven digits in a row
    "943476591",  # nine
    "Ward 9, 4 beds, 3 doctors, 47 patients",
    "Call 0161 496 0000 ext 2345",
]


def mod11_check_digit(nine: str) -> int | None:
    """The check digit as the NHS Data Dictionary defines it (None: no valid number starts so)."""
    check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    return None if check == 10 else check % 11


@pytest.mark.parametrize("text", WRITTEN + IN_TEXT)
def test_an_nhs_number_as_people_write_it_is_found(text):
    assert holds_nhs_number(text)


@pytest.mark.parametrize("text", ACCEPTED)
def test_ten_digits_that_are_not_a_valid_nhs_number_are_accepted(text):
    assert not holds_nhs_number(text)


@settings(max_examples=examples(500))
@given(st.text("0123456789", min_size=9, max_size=9), st.integers(0, 9), st.sampled_from(["", " ", "-"]))
def test_exactly_the_numbers_with_a_valid_check_digit_are_refused(nine, last, separator):
    digits = nine + str(last)
    written = separator.join([digits[:3], digits[3:6], digits[6:]])
    expected = mod11_check_digit(nine) == last
    assert valid_nhs_number(digits) == expected
    assert holds_nhs_number(f"Risk: {written} today") == expected


def test_every_free_text_field_refuses_an_nhs_number_and_stores_nothing(team, period):
    messages = free_text_refusals(team, period, f"Patient {WRITTEN[0]} in majors")
    assert len(messages) >= 20
    assert set(messages.values()) == {NHS_NUMBER_MESSAGE}, messages
    assert "NHS number" in NHS_NUMBER_MESSAGE and "Patient details do not belong in a request" in NHS_NUMBER_MESSAGE
    assert_consistent()


def test_a_wrong_check_digit_and_an_eleven_digit_phone_are_stored(team, period):
    requester = team[Role.REQUESTER]
    form = valid_form(
        period, risk_description="Call ext 943 476 5918 for the bed manager", contact_phone="01632 960123"
    )
    draft = workflow.save_draft(requester, form)
    draft = workflow.submit(requester, draft.id, draft.version)
    assert draft.risk_description.endswith("5918 for the bed manager") and draft.contact_phone == "01632 960123"
    comment = workflow.add_comment(requester, draft.id, "Switchboard 9434765918")
    assert comment.body == "Switchboard 9434765918"


def test_the_phone_field_is_not_free_text(team, period):
    """A phone field has its own shape: ten digits there are a phone number, whatever their check digit."""
    requester = team[Role.REQUESTER]
    draft = workflow.save_draft(requester, valid_form(period, contact_phone=VALID))
    assert RequestForm.from_request(draft).contact_phone == VALID


# ---------------------------------------------------------------- what was stored before: python -m ops pid-scan


def test_pid_scan_names_rows_holding_one_by_id_and_field_without_printing_it(team, period, capsys):
    requester = team[Role.REQUESTER]
    request = workflow.save_draft(requester, valid_form(period))
    request = workflow.submit(requester, request.id, request.version)
    comment = workflow.add_comment(requester, request.id, "Ring the ward")
    assert cli.main(["pid-scan"]) == 0
    assert "No NHS numbers found" in capsys.readouterr().out
    written = WRITTEN[1]
    with write_session() as session:  # as if saved before free text refused them: past core
        session.execute(
            update(DerogationRequest)
            .where(DerogationRequest.id == request.id)
            .values(ward=f"Bay 2 ({written})", mitigations={"other": {"tried": True, "note": f"NHS {written}"}})
        )
        session.execute(update(Comment).where(Comment.id == comment.id).values(body=f"Re {WRITTEN[2]}"))
        audit.append(session, action=Action.COMMENT, actor=requester, request_id=request.id, rationale=written)
        event = audit.append(session, action=Action.COMMENT, actor=requester, details={"note": [f"x {written}"]})
    assert cli.main(["pid-scan"]) == 1
    out = capsys.readouterr().out
    assert f"request {request.id}: ward" in out and f"request {request.id}: mitigations.other.note" in out
    assert f"comment {comment.id}: body" in out
    assert f"audit row {event.id - 1}: rationale" in out and f"audit row {event.id}: details.note[0]" in out
    assert "4 field(s)" not in out and "5 field(s)" in out
    assert not any(digits in out for digits in ("943", "5919", VALID))
