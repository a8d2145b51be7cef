"""core.models.column_limit, and every limit the code names read from its home: a text limit from its column,
the integer ceiling from core.platform.input_checks, the doctor limit from core.request.form, each in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Text
from sqlalchemy.orm import InstrumentedAttribute

from core.accounts import admin
from core.models import MAX_RATIONALE, AuditEvent, CoverLine, DerogationRequest, StrikePeriod, User, column_limit
from core.platform.config import PROJECT_ROOT
from core.platform.input_checks import DB_INT_MAX
from core.request import cover_register
from core.request.form import TEXT_LIMITS
from core.workflow import bma, trust

SOURCES = ("core", "ui", "pages", "ops", "server", "bench")


def stored_length(column: InstrumentedAttribute) -> int:
    """The length the table itself gives the column (not through column_limit)."""
    return column.property.columns[0].type.length


def test_a_limit_is_the_varchar_length_or_what_a_text_column_declares():
    assert column_limit(User.email) == stored_length(User.email) == 254
    assert isinstance(DerogationRequest.risk_description.type, Text)
    assert column_limit(DerogationRequest.risk_description) == 4000  # TEXT: the Field's max_length is the limit


def test_a_column_that_declares_no_length_has_no_limit_to_read():
    with pytest.raises(TypeError, match="AuditEvent.rationale declares no length"):
        column_limit(AuditEvent.rationale)


@pytest.mark.parametrize(
    ("limit", "column"),
    [
        (trust.MAX_HARM_RECORD, DerogationRequest.harm_report),
        (trust.MAX_DECLARED_BY, DerogationRequest.bypass_declared_by),
        (bma.MAX_SCOPE, DerogationRequest.approved_scope),
        (MAX_RATIONALE, DerogationRequest.revoke_reason),
        (admin.MAX_PERIOD_NAME, StrikePeriod.name),
        (cover_register.MAX_SERVICE, CoverLine.service),
        (cover_register.MAX_AGREED_WITH, CoverLine.agreed_with),
        *(
            (limit, getattr(DerogationRequest, name))
            for name, limit in TEXT_LIMITS.items()
            if name != "risk_description"
        ),
    ],
    ids=lambda value: value.key if isinstance(value, InstrumentedAttribute) else None,
)
def test_each_named_text_limit_is_its_columns_length(limit: int, column: InstrumentedAttribute):
    assert limit == stored_length(column)


def python_sources() -> list[Path]:
    return [path for folder in SOURCES for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]


def test_the_integer_ceiling_is_written_once():
    """ids, versions and counts are checked against DB_INT_MAX; a second spelling of it drifts."""
    spelled = re.compile(r"2\s*\*\*\s*31|2147483647|\bMAX_ID\b")
    written = [str(path.relative_to(PROJECT_ROOT)) for path in python_sources() if spelled.search(path.read_text())]
    assert written == ["core/platform/input_checks.py"]
    assert DB_INT_MAX == 2**31 - 1  # PostgreSQL's INTEGER


def test_one_name_for_the_doctor_limit():
    """A request, a bypass recall and a cover line all count doctors up to core.request.form.MAX_DOCTORS."""
    named = re.compile(r"\bMAX_\w*DOCTORS\b")
    names = {name for path in python_sources() for name in named.findall(path.read_text())}
    assert names == {"MAX_DOCTORS"}
