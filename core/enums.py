"""The vocabulary of the letter PRN02106: roles, tiers, categories, states and actions."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REQUESTER = "requester"
    CLINICAL_DIRECTOR = "clinical_director"
    TRUST_MD = "trust_md"
    REGIONAL_MD = "regional_md"
    NATIONAL_MDT = "national_mdt"
    BMA = "bma"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.REQUESTER: "Trust requester",
    Role.CLINICAL_DIRECTOR: "Clinical director",
    Role.TRUST_MD: "Trust medical director",
    Role.REGIONAL_MD: "Regional medical director",
    Role.NATIONAL_MDT: "National MDT",
    Role.BMA: "BMA reviewer",
    Role.ADMIN: "Administrator",
}

# Roles whose scope is one trust, and one region.
TRUST_ROLES = frozenset({Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD})
REGION_ROLES = frozenset({Role.REGIONAL_MD})


class Tier(StrEnum):
    """The escalation route, in order (rule 3)."""

    CLINICAL_DIRECTOR = "clinical_director"
    TRUST_MD = "trust_md"
    REGIONAL_MD = "regional_md"
    NATIONAL_MDT = "national_mdt"
    BMA = "bma"

    @property
    def label(self) -> str:
        return TIER_LABELS[self]

    @property
    def rank(self) -> int:
        return TIER_ORDER.index(self)

    @property
    def next(self) -> Tier | None:
        i = TIER_ORDER.index(self)
        return TIER_ORDER[i + 1] if i + 1 < len(TIER_ORDER) else None

    @property
    def reviewer_role(self) -> Role:
        return Role(self.value)


TIER_ORDER: tuple[Tier, ...] = tuple(Tier)
TIER_LABELS = {
    Tier.CLINICAL_DIRECTOR: "Clinical director",
    Tier.TRUST_MD: "Trust medical director",
    Tier.REGIONAL_MD: "Regional medical director",
    Tier.NATIONAL_MDT: "National MDT",
    Tier.BMA: "BMA",
}


class Category(StrEnum):
    """The five categories the letter accepts, plus the one it refuses (kept so the form can explain)."""

    MAJOR_INCIDENT = "major_incident"
    URGENT_EMERGENCY = "urgent_emergency"
    P1_P2_TIME_CRITICAL = "p1_p2_time_critical"
    CANCER = "cancer"
    TIME_CRITICAL_INTERVENTION = "time_critical_intervention"
    ROUTINE_ELECTIVE = "routine_elective"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]

    @property
    def eligible(self) -> bool:
        return self is not Category.ROUTINE_ELECTIVE


CATEGORY_LABELS = {
    Category.MAJOR_INCIDENT: "Major incident",
    Category.URGENT_EMERGENCY: "Urgent and emergency care",
    Category.P1_P2_TIME_CRITICAL: "P1 and P2 time-critical treatment",
    Category.CANCER: "Essential cancer care",
    Category.TIME_CRITICAL_INTERVENTION: "Time-critical intervention (e.g. elective caesarean section)",
    Category.ROUTINE_ELECTIVE: "Routine elective care (not eligible)",
}
ELIGIBLE_CATEGORIES: tuple[Category, ...] = tuple(c for c in Category if c.eligible)


class Priority(StrEnum):
    """Surgical prioritisation for P1/P2 requests."""

    P1A = "P1a"
    P1B = "P1b"
    P2 = "P2"

    @property
    def label(self) -> str:
        return PRIORITY_LABELS[self]


PRIORITY_LABELS = {
    Priority.P1A: "P1a: within 24 hours",
    Priority.P1B: "P1b: within 72 hours",
    Priority.P2: "P2: within 4 weeks",
}


class Grade(StrEnum):
    FY1 = "FY1"
    FY2 = "FY2"
    CT_ST1_2 = "CT/ST1-2"
    ST3_PLUS = "ST3+"


class Mitigation(StrEnum):
    """What the BMA expects to see tried before a recall (domain/README.md)."""

    CONSULTANTS_SAS = "consultants_sas"
    ENHANCED_RATES = "enhanced_rates"
    ELECTIVE_STOOD_DOWN = "elective_stood_down"
    URGENT_MOVED = "urgent_moved"
    MUTUAL_AID = "mutual_aid"
    REDEPLOYMENT = "redeployment"
    OTHER = "other"

    @property
    def label(self) -> str:
        return MITIGATION_LABELS[self]


MITIGATION_LABELS = {
    Mitigation.CONSULTANTS_SAS: "Consultants and SAS doctors asked to cover",
    Mitigation.ENHANCED_RATES: "Enhanced rates offered for bank or locum cover",
    Mitigation.ELECTIVE_STOOD_DOWN: "Elective and non-urgent work stood down",
    Mitigation.URGENT_MOVED: "Urgent cases moved around the strike days",
    Mitigation.MUTUAL_AID: "Mutual aid from neighbouring trusts",
    Mitigation.REDEPLOYMENT: "Staff redeployed",
    Mitigation.OTHER: "Other",
}


class Status(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    MORE_INFO = "more_info"  # returned to the trust for more information
    RESOLVED_LOCALLY = "resolved_locally"
    NOT_ELIGIBLE = "not_eligible"  # declined by a tier as not meeting the criteria
    APPROVED = "approved"
    DECLINED = "declined"  # declined by the BMA
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


STATUS_LABELS = {
    Status.DRAFT: "Draft",
    Status.IN_REVIEW: "In review",
    Status.MORE_INFO: "More information requested",
    Status.RESOLVED_LOCALLY: "Resolved locally",
    Status.NOT_ELIGIBLE: "Declined: does not meet the criteria",
    Status.APPROVED: "Approved by the BMA",
    Status.DECLINED: "Declined by the BMA",
    Status.REVOKED: "Approval revoked by the BMA",
    Status.WITHDRAWN: "Withdrawn",
    Status.EXPIRED: "Expired: strike period ended",
}
# Submitted and waiting for somebody: a reviewer, or the trust answering a question.
OPEN_STATUSES = frozenset({Status.IN_REVIEW, Status.MORE_INFO})
NOT_DECIDED_IN_TIME = "Not decided in time"


class Action(StrEnum):
    CREATE = "create"
    UPDATE_DRAFT = "update_draft"
    SUBMIT = "submit"
    ESCALATE = "escalate"
    RESOLVE_LOCALLY = "resolve_locally"
    RETURN_FOR_INFO = "return_for_info"
    DECLINE_CRITERIA = "decline_criteria"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    DECLINE = "decline"
    REVOKE = "revoke"
    EXPIRE = "expire"
    RECORD_HARM = "record_harm"
    COMMENT = "comment"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.CREATE: "Draft created",
    Action.UPDATE_DRAFT: "Draft updated",
    Action.SUBMIT: "Submitted",
    Action.ESCALATE: "Escalated",
    Action.RESOLVE_LOCALLY: "Resolved locally",
    Action.RETURN_FOR_INFO: "Returned for more information",
    Action.DECLINE_CRITERIA: "Declined: does not meet the criteria",
    Action.RESUBMIT: "More information given",
    Action.WITHDRAW: "Withdrawn",
    Action.APPROVE: "Approved by the BMA",
    Action.DECLINE: "Declined by the BMA",
    Action.REVOKE: "Approval revoked",
    Action.EXPIRE: "Expired",
    Action.RECORD_HARM: "Harm or near miss recorded",
    Action.COMMENT: "Comment",
}

# What a reviewer at a tier below the BMA may do.
TIER_ACTIONS = (Action.ESCALATE, Action.RESOLVE_LOCALLY, Action.RETURN_FOR_INFO, Action.DECLINE_CRITERIA)
BMA_ACTIONS = (Action.APPROVE, Action.DECLINE)
