"""A trust's cover register (docs/cover-register.md): for each service, the minimum safe number of doctors
by grade and shift during strike action, the cover expected from staff who are not striking, and who agreed
it and when. Agreed before the strike; a request for a registered service starts from it, every reviewer
compares the request with it, and the dashboard lists the services below it.

Who may see a trust's register: the trust's staff, the regional medical director of its region and the
national MDT (anyone else: "not found", as for a request). Who may change it: the trust's requesters and its
medical director. Every change is one transaction with one audit row; a CSV import replaces the whole
register, or saves nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, func, update
from sqlmodel import Session, col, select

from core.access_control.scope import Scope
from core.access_control.visibility import visible_filter
from core.enums import AdminAction, Grade, Role, Status
from core.models import CoverLine, DerogationRequest, Trust, User, column_limit
from core.platform.clock import to_london, utcnow
from core.platform.db import read_session, write_session
from core.platform.errors import DerogationError, NotFound, PermissionDenied, StaleVersion, ValidationFailed
from core.platform.input_checks import DB_INT_MAX, EARLIEST, text_problem, whole
from core.records import audit
from core.request.form import MAX_DOCTORS


class Shift:
    """When a minimum applies: the day shift (08:00 to 20:00 UK time), the night shift, or the whole day."""

    DAY = "day"
    NIGHT = "night"
    WHOLE_DAY = "24h"


SHIFT_LABELS = {Shift.DAY: "Day (08:00 to 20:00)", Shift.NIGHT: "Night (20:00 to 08:00)", Shift.WHOLE_DAY: "24 hours"}
SHIFTS = tuple(SHIFT_LABELS)
DAY_STARTS, NIGHT_STARTS = 8, 20  # UK hours
# The resident grades a request can ask for, and the staff who are not striking a minimum may count on.
COVER_GRADES = (*(g.value for g in Grade), "Consultant", "SAS", "Any grade")
RESIDENT_GRADES = frozenset(g.value for g in Grade)
MAX_SERVICE = column_limit(CoverLine.service)
MAX_AGREED_WITH = column_limit(CoverLine.agreed_with)
EDITORS = frozenset({Role.REQUESTER, Role.TRUST_MD})
NOT_AN_EDITOR = "Only the trust's requesters and its medical director can change its cover register."


class StaleLine(StaleVersion):
    def __init__(self) -> None:
        DerogationError.__init__(
            self, "This line of the register changed since you opened it. Nothing was saved: check it and try again."
        )


@dataclass(frozen=True)
class LineValues:
    """One line as typed, checked by `line_problems`."""

    service: str
    grade: str
    shift: str
    minimum_doctors: int
    expected_cover: int
    agreed_with: str
    agreed_on: date


@dataclass(frozen=True)
class ServiceCover:
    """A service's register for one shift, summed over its grades."""

    service: str
    shift: str
    minimum: int
    expected: int
    short_grades: tuple[str, ...]  # resident grades whose expected cover is below their minimum
    agreed_with: tuple[str, ...]
    agreed_on: date

    @property
    def gap(self) -> int:
        return max(0, self.minimum - self.expected)

    @property
    def label(self) -> str:
        return f"{self.service} · {SHIFT_LABELS[self.shift]}"


@dataclass(frozen=True)
class RequestCover:
    """A request beside its service's register: what it asks for, the registered minimum, who is on duty."""

    asked: int | None
    grades: tuple[str, ...]
    stated_minimum: int | None  # what the request says the minimum is
    on_duty: int | None
    registered: ServiceCover | None  # the shift the recall starts in (or the whole day)
    shifts: tuple[ServiceCover, ...] = field(default=())  # every shift registered for the service

    @property
    def registered_gap(self) -> int | None:
        if self.registered is None or self.on_duty is None:
            return None
        return max(0, self.registered.minimum - self.on_duty)


@dataclass(frozen=True)
class BelowMinimum:
    trust_code: str
    trust_name: str
    service: str
    shift: str
    minimum: int
    expected: int
    approved: int

    @property
    def short_by(self) -> int:
        return self.minimum - self.expected - self.approved


# ---------------------------------------------------------------- who may see and change a register


def service_key(service: str) -> str:
    """How a service is matched: case and spacing ignored ("Emergency  department" is "emergency department")."""
    return " ".join(service.split()).lower()


def trust_scope(user: User) -> ColumnElement[bool]:
    """SQL condition on Trust: the trusts whose register `user` may see (their scope's trusts)."""
    return Scope.of(user).trust_filter()


def may_edit(user: User, trust_code: str) -> bool:
    return user.active and Role(user.role) in EDITORS and user.trust_code == trust_code


def _trust(session: Session, user: User, trust_code: object) -> Trust:
    """The trust if `user` may see its register; otherwise NotFound, as for a trust that does not exist."""
    if not isinstance(trust_code, str) or not 0 < len(trust_code) <= column_limit(Trust.ods_code):
        raise NotFound("cover register")
    found = session.exec(select(Trust).where(Trust.ods_code == trust_code, trust_scope(user))).first()
    if found is None:
        raise NotFound("cover register")
    return found


def editor_of(session: Session, actor: User, trust_code: object) -> tuple[User, Trust]:
    """The actor as stored now (not as the page saw them), if they may change this trust's register."""
    fresh = session.get(User, actor.id) if actor.id is not None else None
    if fresh is None:
        raise PermissionDenied(NOT_AN_EDITOR)
    trust = _trust(session, fresh, trust_code)
    if not may_edit(fresh, trust.ods_code):
        raise PermissionDenied(NOT_AN_EDITOR)
    return fresh, trust


def trusts_in_scope(user: User) -> list[tuple[Trust, int]]:
    """The trusts whose register `user` may see, each with its number of lines; trusts with a register first."""
    lines = func.count(CoverLine.id)
    with read_session() as session:
        rows = session.exec(
            select(Trust, lines)
            .outerjoin(CoverLine, col(CoverLine.trust_code) == Trust.ods_code)
            .where(trust_scope(user))
            .group_by(Trust.ods_code)
            .order_by(lines.desc(), Trust.name)
        ).all()
    return [(trust, count) for trust, count in rows]


def register(user: User, trust_code: object) -> list[CoverLine]:
    """A trust's register, by service, shift and grade."""
    with read_session() as session:
        trust = _trust(session, user, trust_code)
        return _lines(session, trust.ods_code)


def _lines(session: Session, trust_code: str, key: str | None = None) -> list[CoverLine]:
    query = select(CoverLine).where(CoverLine.trust_code == trust_code)
    if key is not None:
        query = query.where(CoverLine.service_key == key)
    order = {grade: i for i, grade in enumerate(COVER_GRADES)}
    lines = list(session.exec(query).all())
    return sorted(lines, key=lambda x: (x.service_key, SHIFTS.index(x.shift), order.get(x.grade, len(order))))


# ---------------------------------------------------------------- checking a line


def _count_problem(value: object) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return "Enter a whole number of doctors, for example 4."
    if not 0 <= value <= MAX_DOCTORS:
        return f"Enter a number from 0 to {MAX_DOCTORS}."
    return None


def line_problems(values: LineValues, today: date) -> dict[str, str]:
    """What is wrong with a line, by field (empty when it can be saved)."""
    problems: dict[str, str] = {}
    for name, limit in (("service", MAX_SERVICE), ("agreed_with", MAX_AGREED_WITH)):
        text = getattr(values, name)
        why = text_problem(text, limit)
        if why is None and not text.strip():
            why = "Enter the service or specialty." if name == "service" else "Enter who agreed it, and their role."
        if why:
            problems[name] = why
    if values.grade not in COVER_GRADES:
        problems["grade"] = "Choose one of: " + ", ".join(COVER_GRADES) + "."
    if values.shift not in SHIFTS:
        problems["shift"] = "Choose day, night or 24h."
    for name in ("minimum_doctors", "expected_cover"):
        why = _count_problem(getattr(values, name))
        if why:
            problems[name] = why
    if "minimum_doctors" not in problems and values.minimum_doctors < 1:
        problems["minimum_doctors"] = "A minimum safe number is at least 1 doctor."
    if not isinstance(values.agreed_on, date) or isinstance(values.agreed_on, datetime):
        problems["agreed_on"] = "Enter the date it was agreed, for example 2026-11-30."
    elif not EARLIEST.date() <= values.agreed_on <= today:
        problems["agreed_on"] = "The date it was agreed cannot be in the future."
    return problems


def uk_today() -> date:
    return to_london(utcnow()).date()


def stored_values(values: LineValues) -> dict[str, object]:
    service, agreed_with = " ".join(values.service.split()), values.agreed_with.strip()
    return {
        "service": service,
        "service_key": service_key(service),
        "grade": values.grade,
        "shift": values.shift,
        "minimum_doctors": values.minimum_doctors,
        "expected_cover": values.expected_cover,
        "agreed_with": agreed_with,
        "agreed_on": values.agreed_on,
    }


def _audited(stored: dict[str, object]) -> dict[str, object]:
    return {name: str(value) if isinstance(value, date) else value for name, value in stored.items()}


# ---------------------------------------------------------------- changing a register


def save_line(
    actor: User, trust_code: object, values: LineValues, line_id: object = None, version: object = None
) -> CoverLine:
    """Add a line (`line_id` None) or change one as it was at `version`. One transaction, one audit row."""
    line_id = whole(line_id, "register line", optional=True, low=1, high=DB_INT_MAX)
    version = whole(version, "version", optional=line_id is None, low=1, high=DB_INT_MAX)
    problems = line_problems(values, uk_today())
    if problems:
        raise ValidationFailed(problems)
    stored = stored_values(values)
    with write_session() as session:
        editor, trust = editor_of(session, actor, trust_code)
        clash = session.exec(
            select(CoverLine.id).where(
                CoverLine.trust_code == trust.ods_code,
                CoverLine.service_key == stored["service_key"],
                CoverLine.grade == values.grade,
                CoverLine.shift == values.shift,
                col(CoverLine.id) != (line_id or 0),
            )
        ).first()
        if clash is not None:
            raise ValidationFailed(
                {"service": "The register already has this service, grade and shift: change that line."}
            )
        now = utcnow()
        if line_id is None:
            line = CoverLine(trust_code=trust.ods_code, updated_by_id=editor.id, updated_at=now, **stored)
            session.add(line)
            session.flush()
        else:
            changed = session.execute(
                update(CoverLine)
                .where(
                    col(CoverLine.id) == line_id, CoverLine.trust_code == trust.ods_code, CoverLine.version == version
                )
                .values(**stored, updated_by_id=editor.id, updated_at=now, version=CoverLine.version + 1)
            )
            if changed.rowcount != 1:
                _missing_or_stale(session, trust.ods_code, line_id)
            line = session.get(CoverLine, line_id, populate_existing=True)
        audit.append(
            session,
            action=AdminAction.COVER_LINE_SAVED,
            actor=editor,
            details={"trust": trust.ods_code, "line_id": line.id, "new": line_id is None, **_audited(stored)},
            at=now,
        )
        return line


def _missing_or_stale(session: Session, trust_code: str, line_id: int) -> None:
    exists = session.exec(
        select(CoverLine.id).where(col(CoverLine.id) == line_id, CoverLine.trust_code == trust_code)
    ).first()
    raise StaleLine() if exists is not None else NotFound("line of the register")


def remove_line(actor: User, trust_code: object, line_id: object, version: object) -> None:
    line_id = whole(line_id, "register line", low=1, high=DB_INT_MAX)
    version = whole(version, "version", low=1, high=DB_INT_MAX)
    with write_session() as session:
        editor, trust = editor_of(session, actor, trust_code)
        line = session.exec(
            select(CoverLine).where(col(CoverLine.id) == line_id, CoverLine.trust_code == trust.ods_code)
        ).first()
        removed = session.execute(
            delete(CoverLine).where(
                col(CoverLine.id) == line_id, CoverLine.trust_code == trust.ods_code, CoverLine.version == version
            )
        ).rowcount
        if line is None or removed != 1:
            _missing_or_stale(session, trust.ods_code, line_id)
        audit.append(
            session,
            action=AdminAction.COVER_LINE_REMOVED,
            actor=editor,
            details={"trust": trust.ods_code, "line_id": line_id, **_audited(stored_values(line_values(line)))},
        )


def replace_register(
    session: Session, trust_code: str, lines: list[LineValues], actor: User | None, **details: object
) -> int:
    """Inside the caller's transaction: the trust's whole register replaced by `lines` (already checked), and
    one audit row. `actor` None is the system (the demo's registers). Returns how many lines were replaced."""
    replaced = session.execute(delete(CoverLine).where(CoverLine.trust_code == trust_code)).rowcount
    now = utcnow()
    by = actor.id if actor else None
    session.add_all(
        CoverLine(trust_code=trust_code, updated_by_id=by, updated_at=now, **stored_values(values)) for values in lines
    )
    session.flush()
    audit.append(
        session,
        action=AdminAction.COVER_IMPORTED,
        actor=actor,
        details={"trust": trust_code, "lines": len(lines), "replaced": replaced, **details},
        at=now,
    )
    return replaced


def line_values(line: CoverLine) -> LineValues:
    return LineValues(**{name: getattr(line, name) for name in LineValues.__dataclass_fields__})


# ---------------------------------------------------------------- what requests and the dashboard read


def _by_shift(lines: Iterable[CoverLine]) -> list[ServiceCover]:
    groups: dict[tuple[str, str], list[CoverLine]] = defaultdict(list)
    for line in lines:
        groups[(line.service_key, line.shift)].append(line)
    return [
        ServiceCover(
            service=group[0].service,
            shift=shift,
            minimum=sum(x.minimum_doctors for x in group),
            expected=sum(x.expected_cover for x in group),
            short_grades=tuple(
                x.grade for x in group if x.grade in RESIDENT_GRADES and x.expected_cover < x.minimum_doctors
            ),
            agreed_with=tuple(dict.fromkeys(x.agreed_with for x in group)),
            agreed_on=max(x.agreed_on for x in group),
        )
        for (_key, shift), group in groups.items()
    ]


def service_cover(user: User, trust_code: object) -> list[ServiceCover]:
    """Each registered service and shift of the trust, for the request form to start from."""
    with read_session() as session:
        trust = _trust(session, user, trust_code)
        return _by_shift(_lines(session, trust.ods_code))


def shift_at(moment: datetime | None) -> str:
    local = to_london(moment)
    if local is None:
        return Shift.DAY
    return Shift.DAY if DAY_STARTS <= local.hour < NIGHT_STARTS else Shift.NIGHT


def request_cover(request: DerogationRequest) -> RequestCover:
    """A request beside its service's register. The request must already be in the viewer's scope
    (access.load_visible): whoever may see a request may see the register lines of its service."""
    with read_session() as session:
        shifts = _by_shift(_lines(session, request.trust_code, service_key(request.service or "")))
    by_shift = {cover.shift: cover for cover in shifts}
    registered = by_shift.get(shift_at(request.window_start)) or by_shift.get(Shift.WHOLE_DAY)
    return RequestCover(
        asked=request.doctors_requested,
        grades=tuple(request.grades_requested),
        stated_minimum=request.minimum_safe_doctors,
        on_duty=request.doctors_on_duty,
        registered=registered,
        shifts=tuple(shifts),
    )


def below_minimum(user: User, period_id: int | None) -> list[BelowMinimum]:
    """The registered services in `user`'s scope whose expected cover from staff not striking, with the doctors
    the BMA approved for them in the strike period, is below their registered minimum: largest shortfall first."""
    period_id = whole(period_id, "strike period", optional=True, high=DB_INT_MAX)
    scope = trust_scope(user)
    with read_session() as session:
        registered = session.exec(
            select(
                CoverLine.trust_code,
                Trust.name,
                CoverLine.service_key,
                func.min(CoverLine.service),
                CoverLine.shift,
                func.sum(CoverLine.minimum_doctors),
                func.sum(CoverLine.expected_cover),
            )
            .join(Trust, col(Trust.ods_code) == CoverLine.trust_code)
            .where(scope)
            .group_by(CoverLine.trust_code, Trust.name, CoverLine.service_key, CoverLine.shift)
        ).all()
        approved: dict[tuple[str, str], int] = defaultdict(int)
        if period_id is not None and registered:
            # Few rows: one per approved service of the period (matched in Python, where lower case is Unicode's).
            for trust_code, service, doctors in session.exec(
                select(
                    DerogationRequest.trust_code,
                    DerogationRequest.service,
                    func.sum(DerogationRequest.approved_doctors),
                )
                .join(Trust, col(Trust.ods_code) == DerogationRequest.trust_code)
                .where(
                    scope,
                    visible_filter(user),
                    DerogationRequest.strike_period_id == period_id,
                    DerogationRequest.status == Status.APPROVED.value,
                )
                .group_by(DerogationRequest.trust_code, DerogationRequest.service)
            ).all():
                approved[(trust_code, service_key(service))] += int(doctors or 0)
    rows = [
        BelowMinimum(trust, name, service, shift, int(minimum), int(expected), approved[(trust, key)])
        for trust, name, key, service, shift, minimum, expected in registered
    ]
    below = [row for row in rows if row.short_by > 0]
    return sorted(below, key=lambda row: (-row.short_by, row.trust_name, row.service, SHIFTS.index(row.shift)))
