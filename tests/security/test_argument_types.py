"""Every core command checks the types of its ids, versions, counts and flags before any SQL: a bool (which
Python counts as an int), text, a float, None or a number no column can hold is refused with a plain
DerogationError on SQLite and on PostgreSQL, and nothing changes. A fresh clone's run once drew
`version=True`, which reached PostgreSQL as `version = true` and failed there with a ProgrammingError."""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from core import queries, report, workflow
from core.accounts import admin, users
from core.enums import Role, Tier
from core.models import AuditEvent, DerogationRequest, Notification, StrikePeriod, User
from core.notifications import notify
from core.platform.clock import utcnow
from core.platform.db import read_session, write_session
from core.platform.errors import BadArgument, DerogationError, NotFound, ValidationFailed
from core.records import audit
from tests.conftest import valid_form
from tests.security.world import approval, assert_consistent, fingerprint, make_request

HUGE = [2**31, 2**63, 2**70]  # no PostgreSQL INTEGER holds these
WRONG_NUMBERS = [True, False, "1", " 1", 1.0, 1.5, None, b"1", [1]]
WRONG_FLAGS = ["no", "", 1, 0, 1.0, None]
GOOD = "Checked with the service: the risk is real."


@dataclass(frozen=True)
class Argument:
    command: str
    name: str
    kind: str  # "id", "version", "count", "flag", "list" (of ids) or "key" (of a dict)
    call: Callable[[object], object]  # the command with this argument replaced, every other one right
    optional: bool = False  # None is a meaning of its own here (a new draft, a new period, unchanged)
    huge: type[DerogationError] | None = BadArgument  # what a number too large for a column gets (None: ignored)
    wrong: type[DerogationError] = BadArgument  # what a wrong type gets


def commands(team: dict[Role, User], period: StrikePeriod) -> list[Argument]:
    """Each command's ids, versions, counts and flags, against requests in the state that command needs, so
    the argument under test is the only thing wrong. The draft and the user are row 1 at version 1, so
    True and 1.0 would name them if they were taken for numbers."""
    requester, cd, bma, adm = team[Role.REQUESTER], team[Role.CLINICAL_DIRECTOR], team[Role.BMA], team[Role.ADMIN]
    draft = make_request(team, period, "draft")
    assert (draft.id, draft.version) == (1, 1)
    first_user = min(member.id for member in team.values())
    assert first_user == 1
    at_cd = make_request(team, period, Tier.CLINICAL_DIRECTOR.value)
    more_info = make_request(team, period, "more_info")
    at_bma = make_request(team, period, Tier.BMA.value)
    approved = make_request(team, period, "approved")
    declined = make_request(team, period, "declined")
    form = valid_form(period)
    answer = valid_form(period)
    decision = approval(at_bma)

    def on(request: DerogationRequest, act: Callable[..., object]) -> list[Argument]:
        name = act.__name__
        return [  # the version first: True at version 1 is the case that reached PostgreSQL
            Argument(name, "version", "version", lambda v: act(request.id, v)),
            Argument(name, "request_id", "id", lambda v: act(v, request.version), huge=NotFound),
        ]

    def export_request(value: object) -> object:
        with read_session() as session:
            return audit.export_request(session, io.StringIO(), value)

    def export_period(value: object) -> object:
        with read_session() as session:
            return audit.export_period(session, io.StringIO(), value)

    def update_user(user_id: object = first_user, active: object = True) -> object:
        with write_session() as session:
            return users.update_user(session, user_id, by=adm, role=Role.REQUESTER, trust_code="R0A", active=active)

    def set_password(user_id: object) -> object:
        with write_session() as session:
            return users.set_password(session, user_id, "A-new-password-2026", by=adm)

    def save_draft(request_id: object, version: object) -> object:
        return workflow.save_draft(requester, form, request_id, version)

    def submit(request_id: object, version: object) -> object:
        return workflow.submit(requester, request_id, version)

    def answer_more_info(request_id: object, version: object) -> object:
        return workflow.answer_more_info(requester, request_id, version, answer, GOOD)

    def review(request_id: object, version: object) -> object:
        return workflow.review(cd, request_id, version, "escalate", GOOD)

    def bma_decide(request_id: object, version: object) -> object:
        return workflow.bma_decide(bma, request_id, version, decision)

    def withdraw(request_id: object, version: object) -> object:
        return workflow.withdraw(requester, request_id, version, GOOD)

    def revoke(request_id: object, version: object) -> object:
        return workflow.revoke(bma, request_id, version, GOOD, reasons=["facts_changed"])

    def record_harm(request_id: object, version: object) -> object:
        return workflow.record_harm(requester, request_id, version, GOOD)

    # The failsafe bypass: the arguments are checked before the request's state, so one submitted
    # mass-casualty request serves all three.
    mass = workflow.save_draft(requester, valid_form(period, mass_casualty=True))
    mass = workflow.submit(requester, mass.id, mass.version)
    recall = workflow.BypassRecall(recalled_at=utcnow(), doctors=1, grades=["FY2"], declared_by="Police, 01:40")

    def record_bypass(request_id: object, version: object) -> object:
        return workflow.record_bypass(requester, request_id, version, recall)

    def stand_down(request_id: object, version: object) -> object:
        return workflow.stand_down(requester, request_id, version, utcnow(), GOOD)

    def review_bypass(request_id: object, version: object) -> object:
        return workflow.review_bypass(team[Role.NATIONAL_MDT], request_id, version, "justified", [], GOOD)

    targets = {tier: 60 for tier in Tier}
    return [
        *[
            replace(argument, optional=True) if argument.name == "request_id" else argument
            for argument in on(draft, save_draft)
        ],
        *on(draft, submit),
        *on(more_info, answer_more_info),
        *on(at_cd, review),
        *on(at_bma, bma_decide),
        Argument(
            "bma_decide",
            "decision.approve",
            "flag",
            lambda v: workflow.bma_decide(bma, at_bma.id, at_bma.version, replace(decision, approve=v)),
        ),
        *on(draft, withdraw),
        *on(approved, revoke),
        *on(declined, record_harm),
        *on(mass, record_bypass),
        *on(mass, stand_down),
        *on(mass, review_bypass),
        Argument("add_comment", "request_id", "id", lambda v: workflow.add_comment(cd, v, GOOD), huge=NotFound),
        Argument(
            "admin.change_account",
            "user_id",
            "id",
            lambda v: admin.change_account(
                adm, v, role=Role.REQUESTER, trust_code="R0A", region_code=None, active=True
            ),
            huge=NotFound,
        ),
        Argument(
            "admin.change_account",
            "active",
            "flag",
            lambda v: admin.change_account(
                adm, first_user, role=Role.REQUESTER, trust_code="R0A", region_code=None, active=v
            ),
        ),
        Argument("admin.end_sessions", "user_id", "id", lambda v: admin.end_sessions(adm, v), huge=NotFound),
        Argument("admin.signed_in_browsers", "user_id", "id", lambda v: admin.signed_in_browsers(adm, v)),
        Argument(
            "admin.reset_password",
            "user_id",
            "id",
            lambda v: admin.reset_password(adm, v, "A-new-password-2026"),
            huge=NotFound,
        ),
        Argument(
            "admin.save_period",
            "period_id",
            "id",
            lambda v: admin.save_period(
                adm, name="Renamed", starts_at=period.starts_at, ends_at=period.ends_at, period_id=v
            ),
            optional=True,
            huge=NotFound,
        ),
        Argument("admin.list_accounts", "limit", "count", lambda v: admin.list_accounts(adm, "", v)),
        Argument(  # what an administrator typed: a message under the field
            "admin.save_targets",
            "minutes",
            "count",
            lambda v: admin.save_targets(adm, targets | {Tier.BMA: v}),
            huge=ValidationFailed,
            wrong=ValidationFailed,
        ),
        Argument("admin.save_targets", "tier", "key", lambda v: admin.save_targets(adm, {v: 60})),
        Argument("users.update_user", "user_id", "id", lambda v: update_user(user_id=v), huge=NotFound),
        Argument("users.update_user", "active", "flag", lambda v: update_user(active=v), optional=True),
        Argument("users.set_password", "user_id", "id", set_password, huge=NotFound),
        Argument("notify.inbox", "limit", "count", lambda v: notify.inbox(requester, limit=v)),
        Argument("notify.inbox", "unread_only", "flag", lambda v: notify.inbox(requester, unread_only=v)),
        Argument("notify.mark_read", "notification_ids", "id", lambda v: notify.mark_read(requester, [v]), huge=None),
        Argument("notify.mark_read", "the list", "list", lambda v: notify.mark_read(requester, v)),
        Argument(
            "notify.mark_request_read",
            "request_id",
            "id",
            lambda v: notify.mark_request_read(requester, v),
            huge=None,
        ),
        Argument("audit.export_request", "request_id", "id", export_request, huge=NotFound),
        Argument("audit.export_period", "period_id", "id", export_period, huge=NotFound),
    ]


def everything() -> dict[str, object]:
    """fingerprint() and what it leaves out: accounts, periods, targets and inbox rows read."""
    with read_session() as session:
        return fingerprint() | {
            "users": sorted(u.model_dump_json() for u in session.exec(select(User)).all()),
            "periods": sorted(p.model_dump_json() for p in session.exec(select(StrikePeriod)).all()),
            "read": session.exec(
                select(func.count()).select_from(Notification).where(col(Notification.read_at).is_not(None))
            ).one(),
            "last_audit": session.exec(select(func.max(AuditEvent.id))).one(),
        }


def wrong_values(argument: Argument) -> list[object]:
    if argument.kind == "flag":
        values = WRONG_FLAGS
    elif argument.kind == "list":
        values = ["1", 1, True, None, {"1": 1}.keys(), b"12"]
    elif argument.kind == "key":
        values = ["clinical_director", 1, None, True]
    else:
        values = WRONG_NUMBERS
    return [v for v in values if not (v is None and argument.optional)]


def test_every_command_refuses_wrong_typed_arguments_before_sql(team, period):
    arguments = commands(team, period)
    acting_on_a_request = {  # every workflow command that takes a request id
        name
        for name in workflow.__all__
        if inspect.isfunction(function := getattr(workflow, name))
        and "request_id" in inspect.signature(function).parameters
    }
    assert acting_on_a_request <= {a.command for a in arguments}, "a new command: add it to commands()"
    before = everything()
    problems: list[str] = []
    for argument in arguments:
        cases = [(value, argument.wrong) for value in wrong_values(argument)]
        if argument.kind in ("id", "version", "count"):
            cases += [(value, argument.huge) for value in HUGE]
        for value, expected in cases:
            where = f"{argument.command}({argument.name}={value!r})"
            try:
                argument.call(value)
            except DerogationError as exc:
                if expected is not None and not isinstance(exc, expected):
                    problems.append(f"{where}: {type(exc).__name__} ({exc}), expected {expected.__name__}")
                elif not str(exc).strip():
                    problems.append(f"{where}: refused without a message")
            except Exception as exc:  # noqa: BLE001  (the point: anything else is a failure, reported together)
                problems.append(f"{where}: {type(exc).__name__}: {exc}"[:300])
            else:
                if expected is not None:
                    problems.append(f"{where}: accepted")
            if everything() != before:
                problems.append(f"{where}: changed the database")
                before = everything()
    assert not problems, "\n".join(problems)
    assert_consistent()


def test_numpy_integers_from_a_dataframe_are_whole_numbers(team, period):
    """A page may pass an id read from a dataframe (numpy.int64): that is a whole number, not a wrong type."""
    np = pytest.importorskip("numpy")
    request = make_request(team, period, Tier.CLINICAL_DIRECTOR.value)
    done = workflow.review(
        team[Role.CLINICAL_DIRECTOR], np.int64(request.id), np.int64(request.version), "escalate", GOOD
    )
    assert done.current_tier == Tier.TRUST_MD.value
    with pytest.raises(BadArgument):
        workflow.add_comment(team[Role.CLINICAL_DIRECTOR], np.bool_(True), GOOD)


def test_every_reader_of_a_strike_period_refuses_a_wrong_typed_period(team, period):
    """The dashboard, the list, its downloads and the report read one period: True, "1" or 1.0 must not be
    taken for period 1 (nor reach a cached statement built for it)."""
    national = next(member for member in team.values() if member.role == Role.NATIONAL_MDT.value)
    no_filter = queries.ListFilters()
    readers = {
        "dashboard_breakdown": lambda value: queries.dashboard_breakdown(national, value),
        "live_figures": lambda value: queries.live_figures(national, value),
        "attention": lambda value: queries.attention(national, value),
        "reason_counts": lambda value: queries.reason_counts(national, value),
        "requests_csv": lambda value: queries.requests_csv(national, value, no_filter),
        "audit_csv": lambda value: queries.audit_csv(national, value, no_filter),
        "report.build": lambda value: report.build(national, value),
    }
    assert period.id == 1
    problems = []
    for name, read in readers.items():
        read(period.id)  # the right type is read
        for value in [v for v in WRONG_NUMBERS if v is not None] + HUGE:
            try:
                read(value)
            except BadArgument:
                continue
            except Exception as exc:  # noqa: BLE001  (reported together)
                problems.append(f"{name}({value!r}): {type(exc).__name__}: {exc}"[:200])
            else:
                problems.append(f"{name}({value!r}): accepted")
    assert not problems, "\n".join(problems)
