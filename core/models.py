"""Database tables, and how much text each column holds (`column_limit`). Times are aware UTC (SQLModel's
UTCDateTime); pages show them in Europe/London."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from annotated_types import MaxLen
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Field, SQLModel

from core.platform.clock import utcnow


class Region(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=8)  # NHS England region code, e.g. Y56
    name: str = Field(max_length=100)


class Trust(SQLModel, table=True):
    ods_code: str = Field(primary_key=True, max_length=10)
    name: str = Field(max_length=200)
    region_code: str = Field(foreign_key="region.code", index=True, max_length=8)
    postcode: str = Field(default="", max_length=10)


class StrikePeriod(SQLModel, table=True):
    __tablename__ = "strike_period"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    starts_at: datetime
    ends_at: datetime
    expired_processed_at: datetime | None = None  # when open requests were closed as expired


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lower-case
    full_name: str = Field(max_length=120)
    job_title: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)
    role: str = Field(max_length=32)
    trust_code: str | None = Field(default=None, foreign_key="trust.ods_code", max_length=10)
    region_code: str | None = Field(default=None, foreign_key="region.code", max_length=8)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A signed-in browser (core/accounts/sessions.py). Only hashes of its secrets are stored: the session id the
    browser holds in an HttpOnly cookie, and the one-time ticket that hands that cookie over."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)  # set when the ticket is redeemed
    ticket_hash: str | None = Field(default=None, max_length=64, unique=True)  # cleared when it is redeemed
    method: str = Field(max_length=32)  # "password" or "identity provider"
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime  # the absolute lifetime (a shift), whatever the activity
    revoked_at: datetime | None = None
    ended_reason: str | None = Field(default=None, max_length=40)


class DisplaySession(SQLModel, table=True):
    """A wall screen that shows one scope's live dashboard and nothing else (core/accounts/display_sessions.py). Only
    hashes of its secrets are stored: the code the screen shows until it is started, the claim its own
    browser tab redeems, and the display id its HttpOnly cookie holds."""

    __tablename__ = "display_session"
    id: int | None = Field(default=None, primary_key=True)
    code_hash: str | None = Field(default=None, max_length=64, unique=True)  # cleared when started
    claim_hash: str | None = Field(default=None, max_length=64, unique=True)  # cleared when redeemed
    token_hash: str | None = Field(default=None, max_length=64, unique=True)  # set when redeemed
    region_code: str | None = Field(default=None, foreign_key="region.code", max_length=8)  # None: England
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    started_by: int | None = Field(default=None, foreign_key="app_user.id")
    expires_at: datetime  # the code's expiry until the display starts, then the display's own
    last_seen_at: datetime | None = None  # the wall's latest refresh (to the minute)
    ended_at: datetime | None = Field(default=None, index=True)
    ended_reason: str | None = Field(default=None, max_length=40)


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per typed e-mail, whether or not the account exists (so a lockout reveals nothing)."""

    __tablename__ = "login_throttle"
    email: str = Field(primary_key=True, max_length=254)
    failed_count: int = 0
    locked_until: datetime | None = None
    last_failed_at: datetime | None = None


class TrustedDevice(SQLModel, table=True):
    """A browser that has signed in to an account before (core/accounts/devices.py): the SHA-256 hash of the
    long-lived device cookie it holds, and that browser's own budget of failed sign-ins for the account."""

    __tablename__ = "trusted_device"
    __table_args__ = (UniqueConstraint("token_hash", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_signed_in_at: datetime = Field(default_factory=utcnow)
    failed_count: int = 0
    locked_until: datetime | None = None
    last_failed_at: datetime | None = None


class AddressThrottle(SQLModel, table=True):
    """Failed sign-ins from unknown browsers per client address, whatever address was typed."""

    __tablename__ = "address_throttle"
    address: str = Field(primary_key=True, max_length=45)  # an IPv6 address at its longest
    failed_count: int = 0
    locked_until: datetime | None = None
    last_failed_at: datetime | None = None


class TierTarget(SQLModel, table=True):
    """Response target per tier, in minutes (configurable by administrators)."""

    __tablename__ = "tier_target"
    tier: str = Field(primary_key=True, max_length=32)
    minutes: int


MAX_RATIONALE = 4000  # every written reason (rationale, answer, comment); a revocation's is stored on the request


class RequestFields(SQLModel):
    """What the trust fills in, declared once: each field's type, length (its column's) and label (`title`).
    The table stores them (DerogationRequest), core.request.form.RequestForm holds them as typed and checks them,
    ui.request_form draws them under these labels, and the tests' strategies generate them."""

    # Where
    trust_code: str = Field(foreign_key="trust.ods_code", max_length=10, title="Trust")
    site: str = Field(default="", max_length=200, title="Hospital site")
    service: str = Field(default="", max_length=200, title="Service or specialty")
    ward: str = Field(default="", max_length=200, title="Ward or unit (optional)")

    # Why
    category: str = Field(default="", max_length=40, index=True, title="Category of care")
    priority: str | None = Field(default=None, max_length=8, title="Surgical priority")
    risk_description: str = Field(
        default="",
        max_length=4000,  # a TEXT column: the limit is ours
        sa_column=Column(Text, nullable=False, default=""),
        title="What will happen to which patients if nothing changes",
    )
    patients_affected: int | None = Field(default=None, title="How many patients are affected")
    risk_from: datetime | None = Field(default=None, title="The risk starts at")
    decision_needed_by: datetime | None = Field(default=None, title="A decision is needed by")

    # Staffing and what is asked
    doctors_on_duty: int | None = Field(default=None, title="Doctors on duty now")
    minimum_safe_doctors: int | None = Field(default=None, title="Minimum safe number of doctors")
    doctors_requested: int | None = Field(default=None, title="Resident doctors you ask to return")
    grades_requested: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False), title="Grades")
    window_start: datetime | None = Field(default=None, title="Recall starts")
    window_end: datetime | None = Field(default=None, title="Recall ends")

    # Evidence
    mitigations: dict[str, dict] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False), title="What you have already tried"
    )
    non_urgent_work_running: bool = Field(default=False, title="Some non-urgent work is still running")
    non_urgent_work_note: str = Field(
        default="", max_length=2000, title="What non-urgent work is still running, and why"
    )
    local_agreement_sought: bool = Field(
        default=False, title="We sought local agreement before asking for a derogation"
    )
    local_agreement_with: str = Field(default="", max_length=500, title="With whom")
    mass_casualty: bool = Field(default=False, index=True, title="This is a mass casualty event")

    # Who to call back
    contact_name: str = Field(default="", max_length=120, title="Name")
    contact_role: str = Field(default="", max_length=120, title="Role")
    contact_phone: str = Field(default="", max_length=40, title="Phone")
    contact_email: str = Field(default="", max_length=254, title="E-mail")


class DerogationRequest(RequestFields, table=True):
    __tablename__ = "derogation_request"
    __table_args__ = (
        Index("ix_request_status_tier", "status", "current_tier"),
        Index("ix_request_region_status", "region_code", "status"),
        Index("ix_request_trust_status", "trust_code", "status"),
        Index("ix_request_period_status", "strike_period_id", "status"),
        # The dashboard's newest-first lists of one period, national and per region, read in id order.
        Index("ix_request_period", "strike_period_id"),
        Index("ix_request_region_period", "region_code", "strike_period_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    status: str = Field(default="draft", max_length=24)
    current_tier: str | None = Field(default=None, max_length=32)
    tier_entered_at: datetime | None = None
    returned_from_tier: str | None = Field(default=None, max_length=32)
    strike_period_id: int | None = Field(default=None, foreign_key="strike_period.id")

    # Set from the trust by the workflow
    region_code: str = Field(foreign_key="region.code", max_length=8)

    # Lifecycle
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = Field(default=None, index=True)
    escalated_to_bma_at: datetime | None = None
    decided_at: datetime | None = None  # BMA approve / decline
    closed_at: datetime | None = None

    # The BMA's decision, exactly as given (docs/rules.md rule 4)
    approved_doctors: int | None = None
    approved_grades: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    approved_window_start: datetime | None = None
    approved_window_end: datetime | None = None
    approved_scope: str = Field(default="", max_length=2000)  # ward / service / shifts
    confirmation_ref: str | None = Field(default=None, max_length=16, unique=True)
    revoked_at: datetime | None = None
    revoke_reason: str = Field(default="", max_length=MAX_RATIONALE)
    harm_report: str = Field(default="", max_length=8000)

    # The failsafe bypass (docs/rules.md rule 5): the recall the trust made at once in a mass-casualty event, standing the
    # doctors down if the BMA then declines (or approves fewer), and the national MDT's review afterwards.
    bypass_recalled_at: datetime | None = None  # when the doctors were recalled
    bypass_doctors: int | None = None
    bypass_grades: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    bypass_declared_by: str = Field(default="", max_length=300)  # who declared the external event
    bypass_recorded_at: datetime | None = Field(default=None, index=True)  # who recorded it: the audit row
    bypass_stood_down_at: datetime | None = None
    bypass_review: str | None = Field(default=None, max_length=24)  # core.enums.BypassState finding
    bypass_review_reasons: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    bypass_reviewed_at: datetime | None = None
    # The recall's own reference, which the public check answers for with its true state (core/queries/public_check.py).
    bypass_ref: str | None = Field(default=None, max_length=16, unique=True, index=True)


class AuditEvent(SQLModel, table=True):
    """Append-only; each row chains the previous row's hash (tamper evidence)."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(default=None, foreign_key="derogation_request.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_name: str = Field(default="", max_length=120)
    actor_role: str = Field(default="", max_length=32)
    action: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=24)
    to_status: str | None = Field(default=None, max_length=24)
    from_tier: str | None = Field(default=None, max_length=32)
    to_tier: str | None = Field(default=None, max_length=32)
    rationale: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(default="", max_length=64)
    row_hash: str = Field(default="", max_length=64)


class AuditChainHead(SQLModel, table=True):
    """One row holding the newest audit hash; locking it serialises appends to the chain."""

    __tablename__ = "audit_chain_head"
    id: int = Field(default=1, primary_key=True)
    last_hash: str = Field(default="", max_length=64)
    last_event_id: int | None = None


class IntegrityCheck(SQLModel, table=True):
    """One row: how far the live state was last proven against its audit history (core/records/integrity.py), what
    that check found (the alarm while `differences` is not 0), and the day the chain's head last went out."""

    __tablename__ = "integrity_check"
    id: int = Field(default=1, primary_key=True)
    last_event_id: int = 0  # every audit row up to this one is replayed into replayed_state
    last_hash: str = Field(default="", max_length=64)  # that row's hash: the incremental check starts from it
    checked_at: datetime | None = None
    full_at: datetime | None = None  # the last replay from the first row
    differences: int = 0
    findings: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    alarm_since: datetime | None = None
    anchor_sent_at: datetime | None = None


class ReplayedState(SQLModel, table=True):
    """What the audit history says a request, account or strike period holds now (core/records/integrity.py), so
    that an incremental check replays only the rows added since and still compares every live row."""

    __tablename__ = "replayed_state"
    kind: str = Field(primary_key=True, max_length=8)  # request, account, period
    entity_id: int = Field(primary_key=True)
    facts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Comment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="derogation_request.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    at: datetime = Field(default_factory=utcnow)
    body: str = Field(sa_column=Column(Text, nullable=False))


class Notification(SQLModel, table=True):
    """In-app inbox."""

    # The header counts a person's unread rows on every page: (user, read_at) answers it from the index.
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="derogation_request.id")
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(default="", max_length=32)
    message: str = Field(sa_column=Column(Text, nullable=False))
    read_at: datetime | None = None


class EmailOutbox(SQLModel, table=True):
    """E-mails written in the same transaction as the state change; a worker sends them."""

    __tablename__ = "email_outbox"
    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    sent_at: datetime | None = None
    last_error: str = Field(default="", max_length=1000)
    failed_at: datetime | None = None  # given up: refused for good, or too many attempts (core/notifications/mailer.py)


class TierReminder(SQLModel, table=True):
    """One reminder per visit of a request to a tier; the unique key makes sending it idempotent."""

    __tablename__ = "tier_reminder"
    __table_args__ = (UniqueConstraint("request_id", "tier", "tier_entered_at", name="uq_tier_reminder_visit"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="derogation_request.id", index=True)
    tier: str = Field(max_length=32)
    tier_entered_at: datetime
    sent_at: datetime
    recipients: int = 0


class RequestTally(SQLModel, table=True):
    """How many submitted requests there are of each kind per strike period and region, kept in the
    transaction of every state change (core/request/running_counts.py), so the dashboard sums a few hundred rows
    instead of scanning a period's thousands of requests."""

    __tablename__ = "request_tally"
    strike_period_id: int = Field(foreign_key="strike_period.id", primary_key=True)
    region_code: str = Field(foreign_key="region.code", primary_key=True, max_length=8)
    category: str = Field(primary_key=True, max_length=40)
    status: str = Field(primary_key=True, max_length=24)
    current_tier: str = Field(default="", primary_key=True, max_length=32)  # "" at no tier: NULL is no key
    mass_casualty: bool = Field(default=False, primary_key=True)
    bypass: str = Field(default="", primary_key=True, max_length=24)  # core.enums.BypassState
    requests: int = 0
    doctors_requested: int = 0
    approved_doctors: int = 0  # the sum of the requests' approved_doctors, whatever their status
    bypass_doctors: int = 0  # doctors recalled under the failsafe bypass


class RequestReason(SQLModel, table=True):
    """One reason given with one decline, return for more information or revocation (docs/rules.md rule 9),
    beside the audit row that records the action (whose details hold the same reasons, hashed)."""

    __tablename__ = "request_reason"
    __table_args__ = (Index("ix_request_reason_reason", "reason", "request_id"),)
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="derogation_request.id", index=True)
    audit_event_id: int = Field(foreign_key="audit_event.id")
    action: str = Field(max_length=32)
    by_tier: str = Field(max_length=32)  # the tier that acted (core.enums.Tier; "bma" for the BMA)
    reason: str = Field(max_length=40)  # core.enums.Reason
    doctors_requested: int = 0  # what the request asked for when the reason was given
    at: datetime


class ReasonTally(SQLModel, table=True):
    """How many times each reason was given, per strike period, region, action and tier, with the doctors
    those requests asked for: kept in the transaction of the action (core/request/running_counts.py), like RequestTally.
    Actions are history, so these counts only grow."""

    __tablename__ = "reason_tally"
    strike_period_id: int = Field(foreign_key="strike_period.id", primary_key=True)
    region_code: str = Field(foreign_key="region.code", primary_key=True, max_length=8)
    action: str = Field(primary_key=True, max_length=32)
    by_tier: str = Field(primary_key=True, max_length=32)
    reason: str = Field(primary_key=True, max_length=40)
    times: int = 0
    doctors_requested: int = 0


class CoverLine(SQLModel, table=True):
    """One line of a trust's cover register (core/request/cover_register.py): the minimum safe number of doctors of
    one grade a service needs on one shift during strike action, the cover expected from staff who are not
    striking, and who agreed it and when. Agreed before the strike; requests prefill from it."""

    __tablename__ = "cover_line"
    # Also the index a trust's register is read by (trust first).
    __table_args__ = (UniqueConstraint("trust_code", "service_key", "grade", "shift", name="uq_cover_line"),)
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    trust_code: str = Field(foreign_key="trust.ods_code", max_length=10)
    service: str = Field(max_length=200)  # as typed (trimmed)
    service_key: str = Field(max_length=200)  # lower case, single spaces: how a request's service is matched
    grade: str = Field(max_length=16)  # core.request.cover_register.COVER_GRADES
    shift: str = Field(max_length=8)  # core.request.cover_register.Shift
    minimum_doctors: int
    expected_cover: int  # doctors of this grade expected from staff who are not striking
    agreed_with: str = Field(max_length=300)  # e.g. "Dr A Patel, local BMA representative"
    agreed_on: date
    updated_by_id: int | None = Field(default=None, foreign_key="app_user.id")  # None: the system (demo data)
    updated_at: datetime = Field(default_factory=utcnow)


def column_limit(column: InstrumentedAttribute[Any]) -> int:
    """The most characters a text column holds, e.g. `column_limit(User.email)`: its VARCHAR length, or for a TEXT
    column the `max_length` its Field declares (the limit is then ours). Every text limit is read here, so that
    changing one is a change to its column (and a migration), never to a number restated beside it."""
    length = getattr(column.type, "length", None)
    if length is None:
        metadata = column.class_.model_fields[column.key].metadata
        length = next((m.max_length for m in metadata if isinstance(m, MaxLen)), None)
    if length is None:
        raise TypeError(f"{column.class_.__name__}.{column.key} declares no length")
    return length
