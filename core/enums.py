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

# Roles whose scope is one trust, and one region: core/access_control/scope.py maps every role to its scope.
TRUST_ROLES = frozenset({Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD})
REGION_ROLES = frozenset({Role.REGIONAL_MD})


class Tier(StrEnum):
    """The escalation route, in order (docs/rules.md rule 3)."""

    CLINICAL_DIRECTOR = "clinical_director"
    TRUST_MD = "trust_md"
    REGIONAL_MD = "regional_md"
    NATIONAL_MDT = "national_mdt"
    BMA = "bma"

    @property
    def label(self) -> str:
        return TIER_LABELS[self]

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
    """What the BMA expects to see tried before a recall (the product specification's form, and its domain notes)."""

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
    RECORD_BYPASS = "record_bypass"  # the trust recalled doctors under the failsafe bypass (docs/rules.md rule 5)
    STAND_DOWN = "stand_down"  # ... and stood them down after a decline or a narrower approval
    REVIEW_BYPASS = "review_bypass"  # the national MDT's review of a bypass, afterwards

    @property
    def label(self) -> str:
        """The event in a request's history: its home is the lifecycle table, which imports this module."""
        from core.lifecycle import step

        return step(self).label


class AdminAction(StrEnum):
    """What the audit history records that is not about one request: accounts, sign-ins and sessions,
    strike periods, response targets, trusts' cover registers, wall displays and what retention removed."""

    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"  # role, scope, name or closed
    USER_UNLOCKED = "user_unlocked"
    PASSWORD_SET = "password_set"
    SIGNED_IN = "signed_in"
    SIGN_IN_LOCKED = "sign_in_locked"
    SIGNED_OUT = "signed_out"
    SESSIONS_ENDED = "sessions_ended"  # "sign out everywhere", or an administrator's
    PERIOD_CREATED = "period_created"
    PERIOD_UPDATED = "period_updated"
    TARGETS_UPDATED = "targets_updated"
    CONTACTS_REMOVED = (
        "contacts_removed"  # retention: contact details of requests past the limit (core.records.retention)
    )
    ACCOUNT_PSEUDONYMISED = "account_pseudonymised"  # retention: a long-closed account's name and e-mail replaced
    ADDRESSES_REMOVED = "addresses_removed"  # retention: addresses typed at sign-in that belong to no account
    DISPLAY_STARTED = "display_started"  # a wall screen (core/accounts/display_sessions.py)
    DISPLAY_ENDED = "display_ended"
    DISPLAY_EXPIRED = "display_expired"
    COVER_LINE_SAVED = "cover_line_saved"  # a trust's cover register (core/request/cover_register.py)
    COVER_LINE_REMOVED = "cover_line_removed"
    COVER_IMPORTED = "cover_imported"  # a whole register replaced from a CSV file


# What a reviewer at a tier below the BMA may do.
TIER_ACTIONS = (Action.ESCALATE, Action.RESOLVE_LOCALLY, Action.RETURN_FOR_INFO, Action.DECLINE_CRITERIA)
BMA_ACTIONS = (Action.APPROVE, Action.DECLINE)


class Reason(StrEnum):
    """Why a request was declined, returned for more information or revoked (docs/rules.md rule 9): a fixed list,
    so the figures can say why requests fail. Always given with a written rationale."""

    NOT_ELIGIBLE = "not_eligible"
    NON_URGENT_WORK_RUNNING = "non_urgent_work_running"
    INCENTIVES_NOT_OFFERED = "incentives_not_offered"
    COVER_NOT_TRIED = "cover_not_tried"
    NO_URGENT_NEED = "no_urgent_need"
    EVIDENCE_MISSING = "evidence_missing"
    FACTS_CHANGED = "facts_changed"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS = {
    Reason.NOT_ELIGIBLE: "Not an eligible category (routine elective work)",
    Reason.NON_URGENT_WORK_RUNNING: "Non-urgent work still running that could release staff",
    Reason.INCENTIVES_NOT_OFFERED: "Incentives or enhanced rates not offered to non-striking doctors",
    Reason.COVER_NOT_TRIED: "Consultants, SAS doctors or redeployment not tried",
    Reason.NO_URGENT_NEED: "No urgent clinical need shown",
    Reason.EVIDENCE_MISSING: "Evidence missing or unclear",
    Reason.FACTS_CHANGED: "The request's facts changed or were wrong",
    Reason.OTHER: "Other (see the rationale)",
}
# The actions that carry reasons, and the reasons each offers: whether facts changed or were wrong is a
# question once a request was approved (a revocation); every other reason fits all four.
REASONS_FOR: dict[Action, tuple[Reason, ...]] = {
    Action.RETURN_FOR_INFO: tuple(r for r in Reason if r is not Reason.FACTS_CHANGED),
    Action.DECLINE_CRITERIA: tuple(r for r in Reason if r is not Reason.FACTS_CHANGED),
    Action.DECLINE: tuple(r for r in Reason if r is not Reason.FACTS_CHANGED),
    Action.REVOKE: tuple(Reason),
}
REASONED_ACTIONS: tuple[Action, ...] = tuple(REASONS_FOR)  # their labels in figures: core.lifecycle
DECLINE_ACTIONS = (Action.DECLINE_CRITERIA, Action.DECLINE)


class BypassState(StrEnum):
    """Where a request stands with the failsafe bypass: none recorded, recorded and waiting for the national
    MDT's review, or reviewed (the finding)."""

    NONE = ""
    REVIEW_DUE = "review_due"
    JUSTIFIED = "justified"
    NOT_JUSTIFIED = "not_justified"

    @property
    def label(self) -> str:
        return BYPASS_STATE_LABELS[self]


BYPASS_STATE_LABELS = {
    BypassState.NONE: "No bypass",
    BypassState.REVIEW_DUE: "Bypass review due",
    BypassState.JUSTIFIED: "Bypass reviewed: justified",
    BypassState.NOT_JUSTIFIED: "Bypass reviewed: not justified",
}
BYPASS_FINDINGS = (BypassState.JUSTIFIED, BypassState.NOT_JUSTIFIED)


class BypassReviewReason(StrEnum):
    """What the national MDT's review of a failsafe bypass found (one or more, with a written rationale)."""

    EVENT_CONFIRMED = "event_confirmed"
    NO_EXTERNAL_EVENT = "no_external_event"
    RECALL_PROPORTIONATE = "recall_proportionate"
    RECALL_EXCESSIVE = "recall_excessive"
    OTHER_COVER_AVAILABLE = "other_cover_available"
    ESCALATED_IN_PARALLEL = "escalated_in_parallel"
    NOT_ESCALATED_PROMPTLY = "not_escalated_promptly"
    STOOD_DOWN_PROMPTLY = "stood_down_promptly"
    NOT_STOOD_DOWN_PROMPTLY = "not_stood_down_promptly"
    OTHER = "other"

    @property
    def label(self) -> str:
        return BYPASS_REVIEW_REASON_LABELS[self]


BYPASS_REVIEW_REASON_LABELS = {
    BypassReviewReason.EVENT_CONFIRMED: "A massive, externally declared event was confirmed",
    BypassReviewReason.NO_EXTERNAL_EVENT: "No externally declared event",
    BypassReviewReason.RECALL_PROPORTIONATE: "The number and grades recalled were proportionate",
    BypassReviewReason.RECALL_EXCESSIVE: "More doctors or grades were recalled than the event needed",
    BypassReviewReason.OTHER_COVER_AVAILABLE: "Other cover was available (consultants, SAS, mutual aid)",
    BypassReviewReason.ESCALATED_IN_PARALLEL: "Escalated to NHS England and the BMA at the same time",
    BypassReviewReason.NOT_ESCALATED_PROMPTLY: "Not escalated promptly",
    BypassReviewReason.STOOD_DOWN_PROMPTLY: "Doctors stood down promptly when required",
    BypassReviewReason.NOT_STOOD_DOWN_PROMPTLY: "Doctors not stood down promptly when required",
    BypassReviewReason.OTHER: "Other (see the rationale)",
}
