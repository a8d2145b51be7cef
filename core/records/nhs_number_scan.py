"""Find NHS numbers (core.records.nhs_numbers) already stored in free text: rows written before free text refused them.
`python -m ops pid-scan` prints what this finds, by table, id and field, never the number itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, SQLModel, select

from core.models import AuditEvent, Comment, DerogationRequest, StrikePeriod
from core.records.nhs_numbers import holds_nhs_number
from core.request.form import SHAPED, TEXT_FIELDS

BATCH = 2000
# Free text a request holds: the form's (not its phone or e-mail), and what reviewers and the trust write later.
REQUEST_TEXT = (
    *(name for name in TEXT_FIELDS if name not in SHAPED),
    "approved_scope",
    "revoke_reason",
    "harm_report",
    "bypass_declared_by",
)


@dataclass(frozen=True)
class Finding:
    table: str
    row_id: int
    field: str

    def __str__(self) -> str:
        return f"{self.table} {self.row_id}: {self.field}"


def _texts(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value, with where it sits (details.before.name, mitigations.other.note)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _texts(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _texts(inner, f"{path}[{index}]")


def _rows(session: Session, model: type[SQLModel]) -> Iterator[SQLModel]:
    after = 0
    while True:
        batch = session.exec(select(model).where(model.id > after).order_by(model.id).limit(BATCH)).all()
        if not batch:
            return
        yield from batch
        after = batch[-1].id


def _fields(row: SQLModel) -> Iterator[tuple[str, str]]:
    if isinstance(row, DerogationRequest):
        for name in REQUEST_TEXT:
            yield name, getattr(row, name)
        yield from _texts(row.mitigations, "mitigations")
    elif isinstance(row, Comment):
        yield "body", row.body
    elif isinstance(row, AuditEvent):
        yield "rationale", row.rationale
        yield from _texts(row.details, "details")
    elif isinstance(row, StrikePeriod):
        yield "name", row.name


TABLES = {"request": DerogationRequest, "comment": Comment, "audit row": AuditEvent, "strike period": StrikePeriod}


def scan(session: Session) -> Iterator[Finding]:
    """Each field of a request, comment, audit row or strike period that holds a valid NHS number."""
    for table, model in TABLES.items():
        for row in _rows(session, model):
            for field, text in _fields(row):
                if text and holds_nhs_number(text):
                    yield Finding(table, row.id, field)
