"""The public check of a confirmation reference (docs/rules.md rule 7): only what a doctor needs.

It verifies before it vouches: the request behind the reference is replayed from its own audit rows, whose
hashes and links are checked (core.records.integrity.prove_request); a request whose live row differs from what
its history records is never shown as approved, and the alarm goes (core.records.integrity.raise_alarm).

Two kinds of reference: the BMA's approval (`confirmation_ref`) and a recall the trust made at once under
the failsafe bypass (`bypass_ref`, docs/rules.md rule 5), answered with where that recall stands now."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, or_, select

from core.enums import Status
from core.models import DerogationRequest, Trust, column_limit
from core.platform.db import read_session
from core.records import integrity

REF_PATTERN = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")
# What the "Check a recall" box takes: a reference as people type it, "abcd - ef23" and a little room.
MAX_TYPED_REFERENCE = 20


class Standing(StrEnum):
    """What a reference means for a doctor now."""

    VALID = "valid"  # the BMA approved the recall and has not revoked it
    REVOKED = "revoked"  # the BMA withdrew its approval
    UNCONFIRMED = "unconfirmed"  # the record differs from its audit history: call the trust
    BYPASS_PENDING = "bypass_pending"  # recalled under the failsafe bypass; the BMA has not decided yet
    BYPASS_APPROVED = "bypass_approved"  # ... and the BMA approved it since (perhaps fewer doctors or grades)
    BYPASS_STAND_DOWN = "bypass_stand_down"  # ... and it was not approved, or was revoked, or stood down


# Where a request recalled under the bypass stands, by its status, before any stand-down.
BYPASS_STANDING = {
    Status.IN_REVIEW: Standing.BYPASS_PENDING,
    Status.MORE_INFO: Standing.BYPASS_PENDING,
    Status.APPROVED: Standing.BYPASS_APPROVED,
}


@dataclass(frozen=True)
class Verification:
    """Only what a doctor needs to check a recall: nothing about patients, people or the risk."""

    reference: str
    standing: Standing
    trust_name: str = ""
    service: str = ""
    approved_scope: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    doctors: int = 0
    grades: list[str] = field(default_factory=list)
    revoked_at: datetime | None = None
    recalled_at: datetime | None = None  # a bypass recall: when, how many and which grades the trust recalled
    recalled_doctors: int = 0
    recalled_grades: list[str] = field(default_factory=list)
    stood_down_at: datetime | None = None
    confirmation_ref: str | None = None  # a bypass recall the BMA approved since: the approval's own reference

    @property
    def valid(self) -> bool:
        """A doctor may work under it now (a pending bypass recall stands until the BMA decides)."""
        return self.standing in (Standing.VALID, Standing.BYPASS_PENDING, Standing.BYPASS_APPROVED)


def normalise_reference(text: str) -> str:
    """'abcd efgh', 'ABCDEFGH' and 'abcd-efgh' are the same reference."""
    raw = re.sub(r"[\s-]", "", str(text or "")).upper()[: column_limit(DerogationRequest.confirmation_ref)]
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def _standing(request: DerogationRequest, reference: str) -> Standing | None:
    status = Status(request.status)
    if reference == request.confirmation_ref:
        return {Status.APPROVED: Standing.VALID, Status.REVOKED: Standing.REVOKED}.get(status)
    if request.bypass_stood_down_at is not None and status is not Status.APPROVED:
        return Standing.BYPASS_STAND_DOWN
    return BYPASS_STANDING.get(status, Standing.BYPASS_STAND_DOWN)


def verify_reference(text: str) -> Verification | None:
    """What a confirmation or bypass reference stands for now, proven against its audit history; None
    when no approval or recall has it."""
    reference = normalise_reference(text)
    if not REF_PATTERN.match(reference):
        return None
    with read_session() as session:
        integrity.snapshot(session)
        found = session.exec(
            select(DerogationRequest, Trust.name)
            .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
            .where(or_(DerogationRequest.confirmation_ref == reference, DerogationRequest.bypass_ref == reference))
        ).first()
        if found is None:
            return None
        request, trust_name = found
        problems = integrity.prove_request(session, request)
    if problems:
        integrity.raise_alarm([f"The public check could not confirm reference {reference}.", *problems])
        return Verification(reference=reference, standing=Standing.UNCONFIRMED)
    standing = _standing(request, reference)
    if standing is None:  # an approval's reference on a request that was never approved: proven, so none
        return None
    return Verification(
        reference=reference,
        standing=standing,
        trust_name=trust_name,
        service=request.service,
        approved_scope=request.approved_scope,
        window_start=request.approved_window_start,
        window_end=request.approved_window_end,
        doctors=request.approved_doctors or 0,
        grades=list(request.approved_grades or []),
        revoked_at=request.revoked_at,
        recalled_at=request.bypass_recalled_at if reference == request.bypass_ref else None,
        recalled_doctors=request.bypass_doctors or 0,
        recalled_grades=list(request.bypass_grades or []),
        stood_down_at=request.bypass_stood_down_at,
        confirmation_ref=request.confirmation_ref if standing is Standing.BYPASS_APPROVED else None,
    )
