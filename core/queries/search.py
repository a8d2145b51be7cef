"""What a person types to find requests. NHS England has begun calling derogations "patient safety
mitigations", so either name (and "request", "PSM", "#") is accepted around a request number, and is
not itself searched for: every request is one."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_
from sqlmodel import col, select

from core.access_control.visibility import request_id_from
from core.models import DerogationRequest, Trust

MAX_SEARCH = 200
# What the "Find a request" box takes: "patient safety mitigation" and the largest id (DB_INT_MAX), with room.
MAX_TYPED_NUMBER = 80
# The names of the thing itself, longest first: "patient safety mitigation request 42" is request 42.
NAMES = re.compile(
    r"\b(?:patient[\s-]+safety[\s-]+mitigations?|derogations?|psms?|mitigations?|requests?|number|no\.?|ref(?:erence)?)\b"
    r"|[#:]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Search:
    """A search as typed, understood: a request number, or words to look for (or nothing at all)."""

    number: int | None
    words: str

    @property
    def empty(self) -> bool:
        return self.number is None and not self.words


def understand(text: object) -> Search:
    """Strip the names of the thing ("derogation", "patient safety mitigation", "request", "#") from what
    was typed; a number left on its own is a request number."""
    if not isinstance(text, str):
        return Search(None, "")
    text = text[:MAX_SEARCH]
    rest = " ".join(NAMES.sub(" ", text).split())
    if rest != " ".join(text.split()):  # a name was taken out: so is the punctuation beside it ("PSM-42")
        rest = rest.strip(" -\u2013\u2014.,;")
    if re.fullmatch(r"[0-9]{1,18}", rest):
        return Search(request_id_from(rest), "") if request_id_from(rest) else Search(None, rest)
    return Search(None, rest)


def request_number(text: object) -> int | None:
    """The request number in what was typed on "Find a request" ("42", "#42", "derogation 42", "patient
    safety mitigation 42", "PSM-42"), or None."""
    if isinstance(text, int) and not isinstance(text, bool):
        return request_id_from(text)
    return understand(text).number


def _like(words: str) -> str:
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_condition(text: object) -> ColumnElement[bool] | None:
    """The requests matching a search: its number, or the words in the service, site, ward, trust name or
    ODS code, or the confirmation reference. None when nothing was typed (no condition)."""
    search = understand(text)
    if search.empty:  # nothing typed, or only "derogation" / "patient safety mitigation": every request is one
        return None
    if search.number is not None:
        return DerogationRequest.id == search.number
    pattern = _like(search.words)
    trusts = select(Trust.ods_code).where(col(Trust.name).ilike(pattern, escape="\\"))
    return or_(
        col(DerogationRequest.service).ilike(pattern, escape="\\"),
        col(DerogationRequest.site).ilike(pattern, escape="\\"),
        col(DerogationRequest.ward).ilike(pattern, escape="\\"),
        col(DerogationRequest.trust_code).ilike(pattern, escape="\\"),
        col(DerogationRequest.confirmation_ref).ilike(pattern, escape="\\"),
        col(DerogationRequest.trust_code).in_(trusts),
    )
