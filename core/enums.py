"""The vocabulary of the letter PRN02106: roles, tiers, categories, states and actions."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry their words, `NAME = "value", "Label"`: the value is what is stored and
    keyed on, the label what a person reads. Listed in the members' order."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Role(LabelledEnum):
    REQUESTER = "requester", "Trust requester"
    CLINICAL_DIRECTOR = "clinical_director", "Clinical director"
    TRUST_MD = "trust_md", "Trust medical director"
    REGIONAL_MD = "regional_md", "Regional medical director"
    NATIONAL_MDT = "national_mdt", "National MDT"
    BMA = "bma", "BMA reviewer"
    ADMIN = "admin", "Administrator"


class Tier(LabelledEnum):
    """The escalation route, in order (docs/rules.md rule 3)."""

    CLINICAL_DIRECTOR = "clinical_director", "Clinical director"
    TRUST_MD = "trust_md", "Trust medical director"
    REGIONAL_MD = "regional_md", "Regional medical director"
    NATIONAL_MDT = "national_mdt", "National MDT"
    BMA = "bma", "BMA"

    @property
    def next(self) -> Tier | None:
        i = TIER_ORDER.index(self)
        return TIER_ORDER[i + 1] if i + 1 < len(TIER_ORDER) else None

    @property
    def reviewer_role(self) -> Role:
        return Role(self.value)


TIER_ORDER: tuple[Tier, ...] = tuple(Tier)


class Category(LabelledEnum):
    """The five categories the letter accepts, plus the one it refuses (kept so the form can explain)."""

    MAJOR_INCIDENT = "major_incident", "Major incident"
    URGENT_EMERGENCY = "urgent_emergency", "Urgent and emergency care"
    P1_P2_TIME_CRITICAL = "p1_p2_time_critical", "P1 and P2 time-critical treatment"
    CANCER = "cancer", "Essential cancer care"
    TIME_CRITICAL_INTERVENTION = (
        "time_critical_intervention",
        "Time-critical intervention (e.g. elective caesarean section)",
    )
    ROUTINE_ELECTIVE = "routine_elective", "Routine elective care (not eligible)"

    @property
    def eligible(self) -> bool:
        return self is not Category.ROUTINE_ELECTIVE


ELIGIBLE_CATEGORIES: tuple[Category, ...] = tuple(c for c in Category if c.eligible)


class Priority(LabelledEnum):
    """Surgical prioritisation for P1/P2 requests."""

    P1A = "P1a", "P1a: within 24 hours"
    P1B = "P1b", "P1b: within 72 hours"
    P2 = "P2", "P2: within 4 weeks"


class Grade(StrEnum):
    FY1 = "FY1"
    FY2 = "FY2"
    CT_ST1_2 = "CT/ST1-2"
    ST3_PLUS = "ST3+"


class Mitigation(LabelledEnum):
    """What the BMA expects to see tried before a recall (the product specification's form, and its domain notes)."""

    CONSULTANTS_SAS = "consultants_sas", "Consultants and SAS doctors asked to cover"
    ENHANCED_RATES = "enhanced_rates", "Enhanced rates offered for bank or locum cover"
    ELECTIVE_STOOD_DOWN = "elective_stood_down", "Elective and non-urgent work stood down"
    URGENT_MOVED = "urgent_moved", "Urgent cases moved around the strike days"
    MUTUAL_AID = "mutual_aid", "Mutual aid from neighbouring trusts"
    REDEPLOYMENT = "redeployment", "Staff redeployed"
    OTHER = "other", "Other"


class Status(LabelledEnum):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    MORE_INFO = "more_info", "More information requested"  # returned to the trust for more information
    RESOLVED_LOCALLY = "resolved_locally", "Resolved locally"
    NOT_ELIGIBLE = (
        "not_eligible",
        "Declined: does not meet the criteria",
    )  # declined by a tier as not meeting the criteria
    APPROVED = "approved", "Approved by the BMA"
    DECLINED = "declined", "Declined by the BMA"  # declined by the BMA
    REVOKED = "revoked", "Approval revoked by the BMA"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired: strike period ended"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


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


class Reason(LabelledEnum):
    """Why a request was declined, returned for more information or revoked (docs/rules.md rule 9): a fixed list,
    so the figures can say why requests fail. Always given with a written rationale."""

    NOT_ELIGIBLE = "not_eligible", "Not an eligible category (routine elective work)"
    NON_URGENT_WORK_RUNNING = "non_urgent_work_running", "Non-urgent work still running that could release staff"
    INCENTIVES_NOT_OFFERED = (
        "incentives_not_offered",
        "Incentives or enhanced rates not offered to non-striking doctors",
    )
    COVER_NOT_TRIED = "cover_not_tried", "Consultants, SAS doctors or redeployment not tried"
    NO_URGENT_NEED = "no_urgent_need", "No urgent clinical need shown"
    EVIDENCE_MISSING = "evidence_missing", "Evidence missing or unclear"
    FACTS_CHANGED = "facts_changed", "The request's facts changed or were wrong"
    OTHER = "other", "Other (see the rationale)"


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


class BypassState(LabelledEnum):
    """Where a request stands with the failsafe bypass: none recorded, recorded and waiting for the national
    MDT's review, or reviewed (the finding)."""

    NONE = "", "No bypass"
    REVIEW_DUE = "review_due", "Bypass review due"
    JUSTIFIED = "justified", "Bypass reviewed: justified"
    NOT_JUSTIFIED = "not_justified", "Bypass reviewed: not justified"


BYPASS_FINDINGS = (BypassState.JUSTIFIED, BypassState.NOT_JUSTIFIED)


class BypassReviewReason(LabelledEnum):
    """What the national MDT's review of a failsafe bypass found (one or more, with a written rationale)."""

    EVENT_CONFIRMED = "event_confirmed", "A massive, externally declared event was confirmed"
    NO_EXTERNAL_EVENT = "no_external_event", "No externally declared event"
    RECALL_PROPORTIONATE = "recall_proportionate", "The number and grades recalled were proportionate"
    RECALL_EXCESSIVE = "recall_excessive", "More doctors or grades were recalled than the event needed"
    OTHER_COVER_AVAILABLE = "other_cover_available", "Other cover was available (consultants, SAS, mutual aid)"
    ESCALATED_IN_PARALLEL = "escalated_in_parallel", "Escalated to NHS England and the BMA at the same time"
    NOT_ESCALATED_PROMPTLY = "not_escalated_promptly", "Not escalated promptly"
    STOOD_DOWN_PROMPTLY = "stood_down_promptly", "Doctors stood down promptly when required"
    NOT_STOOD_DOWN_PROMPTLY = "not_stood_down_promptly", "Doctors not stood down promptly when required"
    OTHER = "other", "Other (see the rationale)"
