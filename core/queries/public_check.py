"""The public check of a confirmation reference (docs/rules.md rule 7): only what a doctor needs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from core.db import read_session
from core.enums import Status
from core.models import DerogationRequest, Trust

REF_PATTERN = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")


@dataclass(frozen=True)
class Verification:
    """Only what a doctor needs to check a recall: nothing about patients, people or the risk."""

    reference: str
    trust_name: str
    service: str
    approved_scope: str
    window_start: datetime
    window_end: datetime
    doctors: int
    grades: list[str]
    valid: bool
    revoked_at: datetime | None


def normalise_reference(text: str) -> str:
    """'abcd efgh', 'ABCDEFGH' and 'abcd-efgh' are the same reference."""
    raw = re.sub(r"[\s-]", "", str(text or "")).upper()[:16]
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def verify_reference(text: str) -> Verification | None:
    """The approval behind a confirmation reference, or None when there is none."""
    reference = normalise_reference(text)
    if not REF_PATTERN.match(reference):
        return None
    with read_session() as session:
        found = session.exec(
            select(DerogationRequest, Trust.name)
            .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
            .where(
                DerogationRequest.confirmation_ref == reference,
                col(DerogationRequest.status).in_([Status.APPROVED.value, Status.REVOKED.value]),
            )
        ).first()
    if found is None:
        return None
    request, trust_name = found
    return Verification(
        reference=reference,
        trust_name=trust_name,
        service=request.service,
        approved_scope=request.approved_scope,
        window_start=request.approved_window_start,
        window_end=request.approved_window_end,
        doctors=request.approved_doctors or 0,
        grades=list(request.approved_grades or []),
        valid=request.status == Status.APPROVED.value,
        revoked_at=request.revoked_at,
    )
