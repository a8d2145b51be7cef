"""Fill a fresh database with N realistic requests, fast: rows are simulated in Python and bulk-inserted.

The workflow functions would take hours for 100,000 requests (one transaction and one argon2-free but
chained audit append each), so this file writes the same rows they would write: each request's
audit history (create, submit, every review, the outcome) chained with core.records.audit.compute_hash in
time order, the inbox rows the transitions would send, and a few comments. Most requests are closed
with realistic outcomes over past strike periods; a few hundred are open in the strike period in
progress now, at every tier.

    python -m bench.seed_bulk --requests 10000 --url sqlite:///var/bench/bench-10000.db
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import Engine, insert, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from core import lifecycle
from core.accounts.users import hash_password
from core.enums import Action, Grade, Role, Status, Tier
from core.lifecycle import Audience
from core.models import (
    AuditChainHead,
    AuditEvent,
    Comment,
    DerogationRequest,
    Notification,
    StrikePeriod,
    Trust,
    User,
)
from core.notifications import notify
from core.platform.clock import utcnow
from core.platform.db import make_engine, migrate
from core.records import integrity
from core.records.audit import SYSTEM_ACTOR, compute_hash
from core.reference.nhs_organisations import load_reference_data
from core.request import running_counts
from ops import builders
from ops.seed import RATIONALES, make_form

BENCH_PASSWORD = "Bench-password-2026"  # every seeded account signs in with it (benchmark data only)
BENCH_TRUST = "R0A"  # the trust whose staff the page benchmarks sign in as
BATCH = 5000
STEP_MINUTES = (10, 120)  # time a tier takes to act
ANSWER = "Consultants asked: Dr A (declined, on leave), Dr B (covering days only)."
WITHDRAW_REASON = "Cover found; request no longer needed."
HARM = "Two patients waited over 12 hours for a surgical review; no lasting harm recorded."
COMMENT = "Spoke to the rota lead: one more consultant may be able to cover nights."
# Outcomes of requests that closed, with weights: (final action, tier index it happens at).
CLOSED_OUTCOMES: list[tuple[tuple[Action, int], int]] = [
    ((Action.RESOLVE_LOCALLY, 0), 20),
    ((Action.RESOLVE_LOCALLY, 1), 12),
    ((Action.RESOLVE_LOCALLY, 2), 8),
    ((Action.RESOLVE_LOCALLY, 3), 5),
    ((Action.DECLINE_CRITERIA, 0), 3),
    ((Action.DECLINE_CRITERIA, 1), 2),
    ((Action.DECLINE_CRITERIA, 2), 2),
    ((Action.DECLINE_CRITERIA, 3), 3),
    ((Action.WITHDRAW, 1), 6),
    ((Action.APPROVE, 4), 12),
    ((Action.DECLINE, 4), 20),
]


@dataclass
class Cast:
    """Seeded accounts by scope: one requester, clinical director and trust MD per trust, one regional MD
    per region, two national MDT members and two BMA reviewers."""

    by_trust: dict[tuple[str, str], dict] = field(default_factory=dict)
    by_region: dict[str, dict] = field(default_factory=dict)
    national: dict[str, list[dict]] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)

    def add(self, role: Role, name: str, email: str, trust: str | None, region: str | None, pw: str) -> dict:
        row = {
            "id": len(self.rows) + 1,
            "email": email.lower(),
            "full_name": name,
            "job_title": role.label,
            "phone": "0161 276 1234",
            "role": role.value,
            "trust_code": trust,
            "region_code": region,
            "password_hash": pw,
            "active": True,
        }
        self.rows.append(row)
        return row

    def reviewer(self, tier: Tier, trust: str, region: str, rng: random.Random) -> dict:
        if tier in (Tier.CLINICAL_DIRECTOR, Tier.TRUST_MD):
            return self.by_trust[(trust, tier.value)]
        if tier is Tier.REGIONAL_MD:
            return self.by_region[region]
        return rng.choice(self.national[tier.value])

    def audience(self, tier: Tier, trust: str, region: str) -> list[dict]:
        if tier in (Tier.CLINICAL_DIRECTOR, Tier.TRUST_MD):
            return [self.by_trust[(trust, tier.value)]]
        if tier is Tier.REGIONAL_MD:
            return [self.by_region[region]]
        return self.national[tier.value]


def build_cast(trusts: list[Trust], regions: list[str]) -> Cast:
    cast = Cast()
    password_hash = hash_password(BENCH_PASSWORD)  # one hash for all: argon2 costs ~50 ms each
    for trust in trusts:
        code = trust.ods_code.lower()
        for role in (Role.REQUESTER, Role.CLINICAL_DIRECTOR, Role.TRUST_MD):
            cast.by_trust[(trust.ods_code, role.value)] = cast.add(
                role, f"{role.label} ({trust.ods_code})", f"{role.value}.{code}@bench.nhs.uk", trust.ods_code, None,
                password_hash,
            )  # fmt: skip
    for region in regions:
        cast.by_region[region] = cast.add(
            Role.REGIONAL_MD, f"Regional MD ({region})", f"regional.{region.lower()}@bench.nhs.uk", None, region,
            password_hash,
        )  # fmt: skip
    for role in (Role.NATIONAL_MDT, Role.BMA):
        cast.national[role.value] = [
            cast.add(role, f"{role.label} {i + 1}", f"{role.value}.{i + 1}@bench.nhs.uk", None, None, password_hash)
            for i in range(2)
        ]
    cast.add(Role.ADMIN, "Administrator", "admin@bench.nhs.uk", None, None, password_hash)
    return cast


def make_periods(now: datetime, count: int) -> list[dict]:
    """`count` strike periods over the two years up to now; the last is in progress."""
    periods = []
    start_of_current = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=36)
    for i in range(count - 1):
        days_ago = 720 - i * (680 // max(1, count - 1))
        starts = start_of_current - timedelta(days=days_ago)
        periods.append(
            {"id": i + 1, "name": f"Strike {i + 1}", "starts_at": starts, "ends_at": starts + timedelta(days=5)}
        )
    periods.append(
        {
            "id": count,
            "name": "Strike in progress",
            "starts_at": start_of_current,
            "ends_at": start_of_current + timedelta(days=5),
        }
    )
    return periods


class Builder:
    """Simulates requests and collects the rows to insert."""

    def __init__(self, rng: random.Random, cast: Cast, trusts: list[Trust], now: datetime) -> None:
        self.rng, self.cast, self.now = rng, cast, now
        self.trusts = trusts
        self.trust_weights = [rng.randint(1, 12) for _ in trusts]
        for i, trust in enumerate(trusts):
            if trust.ods_code == BENCH_TRUST:
                self.trust_weights[i] = 12  # a busy trust, so "my trust's requests" has plenty of rows
        self.requests: list[dict] = []
        self.events: list[dict] = []
        self.comments: list[dict] = []
        self.notifications: list[dict] = []
        self.ref_counter = 0
        self.when = now  # the simulated clock of the request being walked

    # -- one event (a future audit row) and whatever inbox rows it sends
    def event(self, req: dict, at: datetime, actor: dict | None, action: Action, to_status: str, to_tier: str | None,
              rationale: str = "", details: dict | None = None) -> None:  # fmt: skip
        self.events.append(
            {
                "request_id": req["id"],
                "at": at,
                "actor_id": actor["id"] if actor else None,
                "actor_name": actor["full_name"] if actor else SYSTEM_ACTOR,
                "actor_role": actor["role"] if actor else SYSTEM_ACTOR,
                "action": action.value,
                "from_status": req["status"] if action is not Action.CREATE else None,
                "to_status": to_status,
                "from_tier": req["current_tier"],
                "to_tier": to_tier,
                "rationale": rationale,
                "details": details or {},
            }
        )
        tier_left = req["current_tier"]
        req["status"], req["current_tier"] = to_status, to_tier
        req["version"] += action not in (Action.CREATE, Action.COMMENT)  # as the workflow counts versions
        self._notify(req, at, actor, action, tier_left)

    def _notify(self, req: dict, at: datetime, actor: dict | None, action: Action, tier_left: str | None) -> None:
        """Who the lifecycle table says is told (core.lifecycle), found in the cast as notify finds them."""
        trust, region = req["trust_code"], req["region_code"]
        people: list[dict] = []
        submitted_mass_casualty = req["mass_casualty"] and req.get("submitted_at") is not None
        for audience in lifecycle.step(action).audience(submitted_mass_casualty):
            if audience is Audience.REQUESTERS:
                people.append(self.cast.by_trust[(trust, Role.REQUESTER.value)])
                continue
            tiers = {
                Audience.TIER_NOW: [req["current_tier"]] if req["current_tier"] else [],
                Audience.TIER_LEFT: [tier_left] if tier_left else [],
                Audience.EVERY_TIER: list(Tier),
                Audience.TRUST_MD: [Tier.TRUST_MD],
                Audience.BMA: [Tier.BMA],
                Audience.NATIONAL_MDT: [Tier.NATIONAL_MDT],
            }[audience]
            for tier in tiers:
                people += self.cast.audience(Tier(tier), trust, region)
        headline = notify.headline(SimpleNamespace(**req), action) if people else ""
        people = list({person["id"]: person for person in people}.values())  # each person told once
        for person in people:
            if actor is None or person["id"] != actor["id"]:
                self.notifications.append(
                    {
                        "user_id": person["id"],
                        "request_id": req["id"],
                        "at": at,
                        "kind": action.value,
                        "message": f"Request {req['id']}: {headline}. {req['service']} at {req['site']}.",
                        "read_at": at + timedelta(minutes=30) if at + timedelta(minutes=30) < self.now else None,
                    }
                )

    def confirmation_ref(self) -> str:
        self.ref_counter += 1
        alphabet, n, chars = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789", self.ref_counter, []
        for _ in range(8):
            n, digit = divmod(n, 32)
            chars.append(alphabet[digit])
        raw = "".join(reversed(chars))
        return f"{raw[:4]}-{raw[4:]}"

    def step(self) -> timedelta:
        return timedelta(minutes=self.rng.randint(*STEP_MINUTES))

    # -- one request from draft to where it stops
    def request(self, job: Job) -> None:
        rng, cast, period = self.rng, self.cast, job.period
        trust = rng.choices(self.trusts, weights=self.trust_weights)[0]
        values = make_form(rng, trust, job.filed, StrikePeriod(**period)).storable()
        requester = cast.by_trust[(trust.ods_code, Role.REQUESTER.value)]
        req = (
            values
            | integrity.REQUEST_DEFAULTS
            | {
                "id": len(self.requests) + 1,
                "version": 1,
                "status": Status.DRAFT.value,
                "current_tier": None,
                "tier_entered_at": None,
                "returned_from_tier": None,
                "strike_period_id": period["id"],
                "region_code": trust.region_code,
                "created_by_id": requester["id"],
                "created_at": job.filed - timedelta(minutes=5),
                "submitted_at": job.filed,
                "escalated_to_bma_at": None,
                "closed_at": None,
                "harm_report": "",
            }
        )
        self.requests.append(req)
        self.event(req, job.filed - timedelta(minutes=5), requester, Action.CREATE, Status.DRAFT.value, None)
        details = {"mass_casualty": True} if req["mass_casualty"] else {}
        self.event(req, job.filed, requester, Action.SUBMIT, Status.IN_REVIEW.value, Tier.CLINICAL_DIRECTOR.value,
                   details=details)  # fmt: skip
        req["tier_entered_at"] = self.when = job.filed
        stop_at = job.open_tier if job.final is None else job.final[1]
        for index, tier in enumerate(Tier):
            reviewer = cast.reviewer(tier, trust.ods_code, trust.region_code, rng)
            if index == job.more_info_at:
                if not self.advance(req, period):
                    return
                self.event(req, self.when, reviewer, Action.RETURN_FOR_INFO, Status.MORE_INFO.value, tier.value,
                           RATIONALES[Action.RETURN_FOR_INFO])  # fmt: skip
                req["tier_entered_at"], req["returned_from_tier"] = self.when, tier.value
                if not self.advance(req, period):
                    return
                self.event(req, self.when, requester, Action.RESUBMIT, Status.IN_REVIEW.value, tier.value, ANSWER)
                req["tier_entered_at"], req["returned_from_tier"] = self.when, None
            if index == stop_at:
                break
            if not self.advance(req, period):
                return
            self.event(req, self.when, reviewer, Action.ESCALATE, Status.IN_REVIEW.value, tier.next.value,
                       RATIONALES[Action.ESCALATE])  # fmt: skip
            req["tier_entered_at"] = self.when
            if tier.next is Tier.BMA:
                req["escalated_to_bma_at"] = self.when
        if job.final is None:
            if job.more_info_now:  # waiting for the trust to answer
                self.when += timedelta(minutes=rng.randint(1, 30))
                self.event(req, self.when, reviewer, Action.RETURN_FOR_INFO, Status.MORE_INFO.value,
                           req["current_tier"], RATIONALES[Action.RETURN_FOR_INFO])  # fmt: skip
                req["tier_entered_at"], req["returned_from_tier"] = self.when, req["current_tier"]
            return
        if self.advance(req, period):
            self.close(req, self.when, job.final[0], trust, requester, reviewer)

    def advance(self, req: dict, period: dict) -> bool:
        """Move the clock one tier's worth; past the period's end the system expires the request instead."""
        self.when += timedelta(minutes=self.rng.randint(*STEP_MINUTES))
        if self.when < period["ends_at"]:
            return True
        req["closed_at"] = period["ends_at"]
        self.event(req, period["ends_at"], None, Action.EXPIRE, Status.EXPIRED.value, None,
                   f"The strike period '{period['name']}' ended.")  # fmt: skip
        return False

    def close(self, req: dict, when: datetime, action: Action, trust: Trust, requester: dict, reviewer: dict) -> None:
        rng = self.rng
        req["closed_at"] = when
        if action is Action.WITHDRAW:
            self.event(req, when, requester, action, Status.WITHDRAWN.value, None, WITHDRAW_REASON)
        elif action in (Action.RESOLVE_LOCALLY, Action.DECLINE_CRITERIA):
            status = Status.RESOLVED_LOCALLY if action is Action.RESOLVE_LOCALLY else Status.NOT_ELIGIBLE
            self.event(req, when, reviewer, action, status.value, None, RATIONALES[action])
        elif action is Action.DECLINE:
            req["decided_at"] = when
            self.event(req, when, reviewer, action, Status.DECLINED.value, None, RATIONALES[action])
        else:
            grades = req["grades_requested"][: max(1, len(req["grades_requested"]) - rng.randint(0, 1))]
            decision = builders.approval(
                SimpleNamespace(**req),  # type: ignore[arg-type]  (the row the workflow would hold)
                approved_doctors=max(1, req["doctors_requested"] - rng.randint(0, 1)),
                approved_grades=[g.value for g in Grade if g.value in grades],
            )
            # What an approval sets on the request: the decision's approved_* fields, as core.workflow.bma stores them.
            approved = {name: value for name, value in vars(decision).items() if name.startswith("approved_")}
            approved["confirmation_ref"] = self.confirmation_ref()
            req |= approved | {"decided_at": when}
            details = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in approved.items()}
            self.event(req, when, reviewer, action, Status.APPROVED.value, None, RATIONALES[action], details)
            later = when + timedelta(hours=2)
            if rng.random() < 0.08 and later < self.now:
                req |= {"revoked_at": later, "revoke_reason": builders.REVOKE_REASON}
                self.event(req, later, reviewer, Action.REVOKE, Status.REVOKED.value, None, req["revoke_reason"])
        later = when + timedelta(hours=6)
        if (
            req["status"] in (Status.DECLINED.value, Status.NOT_ELIGIBLE.value)
            and rng.random() < 0.1
            and later < self.now
        ):
            req["harm_report"] = HARM
            self.event(req, later, requester, Action.RECORD_HARM, req["status"], None, HARM)
        if rng.random() < 0.05:
            self.comments.append({"request_id": req["id"], "author_id": reviewer["id"], "at": when, "body": COMMENT})
            self.event(req, when, reviewer, Action.COMMENT, req["status"], None, COMMENT,
                       {"comment_id": len(self.comments)})  # fmt: skip


@dataclass
class Job:
    period: dict
    filed: datetime
    final: tuple[Action, int] | None  # how a closed request ends, and at which tier index
    open_tier: int | None = None  # where an open request waits
    more_info_at: int | None = None  # tier index that once returned it for more information
    more_info_now: bool = False  # open and waiting for the trust's answer


def plan(builder: Builder, periods: list[dict], requests: int, open_count: int) -> None:
    """Spread `requests` over the periods: the open ones and a share of closed ones in the current period."""
    rng, now = builder.rng, builder.now
    current, past = periods[-1], periods[:-1]
    outcomes, weights = zip(*CLOSED_OUTCOMES, strict=True)
    closed_now = min(requests - open_count, max(0, requests // 20))
    closed_past = requests - open_count - closed_now

    def more_info_at(stop: int) -> int | None:
        return rng.randint(0, min(stop, 3)) if rng.random() < 0.08 else None  # the BMA only decides

    jobs: list[Job] = []
    for i in range(closed_past):
        period = past[i % len(past)]
        span = (period["ends_at"] - period["starts_at"]).total_seconds() - 4 * 3600
        final = rng.choices(outcomes, weights)[0]
        filed = period["starts_at"] + timedelta(seconds=rng.uniform(0, span))
        jobs.append(Job(period, filed, final, more_info_at=more_info_at(final[1])))
    latest = now - timedelta(hours=23)  # room for the whole route, a revocation and a harm report before now
    span = (latest - current["starts_at"]).total_seconds()
    for _ in range(closed_now):
        final = rng.choices(outcomes, weights)[0]
        filed = current["starts_at"] + timedelta(seconds=rng.uniform(0, span))
        jobs.append(Job(current, filed, final, more_info_at=more_info_at(final[1])))
    for i in range(open_count):
        tier = i % len(Tier)
        asked = more_info_at(tier)
        # Walked from here, the request reaches its tier a few minutes to ~5 hours before now.
        steps = tier + (2 if asked is not None else 0)
        filed = now - timedelta(minutes=steps * STEP_MINUTES[1] + rng.randint(35, 300))
        jobs.append(Job(current, filed, None, tier, asked, more_info_now=tier < 4 and rng.random() < 0.1))
    jobs.sort(key=lambda job: job.filed)  # ids in filing order, as the real system gives them
    for job in jobs:
        builder.request(job)


def _chain(events: list[dict], start_id: int, prev_hash: str) -> str:
    """Order every event by time, number it, and link each to the previous row's hash."""
    events.sort(key=lambda e: e["at"])
    for offset, row in enumerate(events):
        row["id"] = start_id + offset
        row["prev_hash"] = prev_hash
        row["row_hash"] = prev_hash = compute_hash(SimpleNamespace(**row))  # type: ignore[arg-type]
    return prev_hash


def _insert(engine: Engine, table, rows: list[dict]) -> None:  # noqa: ANN001
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:  # one transaction per batch
            conn.execute(insert(table), rows[start : start + BATCH])


def seed_bulk(url: str, requests: int, *, seed: int = 2025, periods: int = 5, now: datetime | None = None) -> dict:
    """Seed an empty database at `url`; returns counts. Raises if it already holds requests."""
    started = time.perf_counter()
    now = now or utcnow()
    rng = random.Random(seed)
    migrate(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        load_reference_data(session)
    with Session(engine) as session:
        if session.exec(select(DerogationRequest.id).limit(1)).first() is not None:
            raise SystemExit(f"{url} already holds requests; seed a fresh database.")
        trusts = list(session.exec(select(Trust).order_by(Trust.ods_code)).all())
        session.expunge_all()
    regions = sorted({t.region_code for t in trusts})
    cast = build_cast(trusts, regions)
    period_rows = make_periods(now, periods)
    builder = Builder(rng, cast, trusts, now)
    open_count = min(300, requests // 4)
    plan(builder, period_rows, requests, open_count)

    joined = now - timedelta(days=760)
    user_events = []
    for user in cast.rows:
        user["created_at"] = joined
        details = {k: user[k] for k in ("email", "role", "trust_code", "region_code")} | {"user_id": user["id"]}
        user_events.append(
            {"request_id": None, "at": joined, "actor_id": None, "actor_name": SYSTEM_ACTOR, "actor_role": SYSTEM_ACTOR,
             "action": "user_created", "from_status": None, "to_status": None, "from_tier": None, "to_tier": None,
             "rationale": "", "details": details}
        )  # fmt: skip
    for (
        p
    ) in period_rows:  # as Administration records a new period (core/accounts/admin.py), so the history vouches for it
        after = {"name": p["name"], "starts_at": p["starts_at"].isoformat(), "ends_at": p["ends_at"].isoformat()}
        user_events.append(
            {"request_id": None, "at": joined, "actor_id": None, "actor_name": SYSTEM_ACTOR, "actor_role": SYSTEM_ACTOR,
             "action": "period_created", "from_status": None, "to_status": None, "from_tier": None, "to_tier": None,
             "rationale": "", "details": {"period_id": p["id"], "before": {}, "after": after}}
        )  # fmt: skip
    head = _chain(user_events, 1, "")
    head = _chain(builder.events, len(user_events) + 1, head)
    events = user_events + builder.events
    for req in builder.requests:  # expired requests are closed; their period was processed
        if req["status"] in {s.value for s in (Status.IN_REVIEW, Status.MORE_INFO)}:
            req["closed_at"] = None
    prepared = time.perf_counter()

    _insert(engine, User.__table__, cast.rows)
    past_ids = [p["id"] for p in period_rows[:-1]]
    for p in period_rows:
        p["expired_processed_at"] = p["ends_at"] if p["id"] in past_ids else None
    _insert(engine, StrikePeriod.__table__, period_rows)
    _insert(engine, DerogationRequest.__table__, builder.requests)
    _insert(engine, Comment.__table__, builder.comments)
    _insert(engine, AuditEvent.__table__, events)
    _insert(engine, Notification.__table__, builder.notifications)
    with Session(engine) as session, session.begin():
        running_counts.rebuild(session)  # the rows above bypassed the workflow that keeps the tally
    with engine.begin() as conn:
        conn.execute(
            update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=head, last_event_id=len(events))
        )
        if make_url(url).get_backend_name() == "postgresql":
            _reset_sequences(conn)
    engine.dispose()
    counts = {
        "requests": len(builder.requests),
        "open": sum(r["status"] in ("in_review", "more_info") for r in builder.requests),
        "audit_events": len(events),
        "notifications": len(builder.notifications),
        "users": len(cast.rows),
        "periods": len(period_rows),
        "simulate_s": round(prepared - started, 1),
        "insert_s": round(time.perf_counter() - prepared, 1),
    }
    return counts


def _reset_sequences(conn) -> None:  # noqa: ANN001
    """Explicit ids were inserted, so move each serial sequence past them (PostgreSQL only)."""
    for table in ("app_user", "strike_period", "derogation_request", "comment", "audit_event", "notification"):
        conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))")
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--url", required=True, help="an empty database, e.g. sqlite:///var/bench/bench.db")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--periods", type=int, default=5, help="strike periods over two years (3-6)")
    args = parser.parse_args(argv)
    counts = seed_bulk(args.url, args.requests, seed=args.seed, periods=args.periods)
    print(", ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
