"""The request's lifecycle as one table: for each deed (core.enums.Action), who does it, from which statuses
and at which tiers it may happen, the status and tier it leaves the request in, who is told, and the event's
label. The workflow computes every status and tier change from it, the notifications read who is told, the
pages read the labels, and docs/lifecycle.md is generated from it (`python -m core.lifecycle`).

It sits beside core/enums.py rather than in core/workflow/ because the layers below the workflow read it too
(core.access_control.permissions, core.notifications.notify): in the workflow's package they would import
the workflow, which imports them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from core.enums import OPEN_STATUSES, REASONS_FOR, TIER_ORDER, Action, Status, Tier


class Actor(StrEnum):
    """Who does a deed (who exactly may, for one request, is core.access_control.permissions' question)."""

    TRUST = "the trust's requesters"
    REVIEWER = "the reviewer at the request's tier"
    BMA = "the BMA"
    NATIONAL_MDT = "the national MDT"
    ANYONE = "anyone who can see the request"
    SYSTEM = "the system, when the strike period ends"


class TierMove(StrEnum):
    """What a deed does to the tier a request waits at."""

    SAME = "stays"
    FIRST = "to the first tier"
    NEXT = "up one tier"
    OFF = "leaves the route"


class Audience(StrEnum):
    """Who is told of a deed, by role and tier; which people that is for one request is
    core.notifications.notify's question (their scope). Declared in the order they are told."""

    TIER_NOW = "reviewers at the tier it now waits at"
    TIER_LEFT = "reviewers at the tier it was waiting at"
    EVERY_TIER = "reviewers at every tier and the BMA"
    REQUESTERS = "the trust's requesters"
    TRUST_MD = "the trust's medical directors"
    BMA = "the BMA"
    NATIONAL_MDT = "the national MDT"


CLOSED_STATUSES = frozenset(s for s in Status if not s.is_open and s is not Status.DRAFT)
BELOW_BMA = TIER_ORDER[:-1]


@dataclass(frozen=True)
class Step:
    """One deed in the table. `from_statuses` empty: the deed makes a new request."""

    action: Action
    label: str  # the event in a request's history, the inbox and the audit export
    by: Actor
    from_statuses: frozenset[Status]
    to_status: Status | None = None  # None: the status stays
    tier: TierMove = TierMove.SAME
    at_tiers: tuple[Tier, ...] = ()  # the tiers it happens at; empty: wherever the request is
    told: tuple[Audience, ...] = ()
    told_in_mass_casualty: tuple[Audience, ...] | None = None  # once submitted, if it differs (docs/rules.md rule 5)
    figure_label: str = ""  # how the figures and charts name it, where that differs from `label`

    @property
    def in_figures(self) -> str:
        return self.figure_label or self.label

    def may_happen(self, status: Status | str, tier: Tier | str | None) -> bool:
        """Whether the table lets this deed happen to a request in `status` at `tier`."""
        return Status(status) in self.from_statuses and (not self.at_tiers or tier in self.at_tiers)

    def next_status(self, status: Status | str) -> Status:
        return self.to_status or Status(status)

    def next_tier(self, tier: Tier | str | None) -> Tier | None:
        if self.tier is TierMove.OFF:
            return None
        if self.tier is TierMove.FIRST:
            return TIER_ORDER[0]
        current = Tier(tier) if tier else None
        return current.next if self.tier is TierMove.NEXT and current else current

    def audience(self, mass_casualty: bool) -> tuple[Audience, ...]:
        """Who is told; `mass_casualty`: the request was submitted as a mass-casualty event."""
        if mass_casualty and self.told_in_mass_casualty is not None:
            return self.told_in_mass_casualty
        return self.told

    def changes(self, status: Status | str, tier: Tier | str | None, at: datetime) -> dict:
        """The request's columns this deed sets when it happens at `at` to a request in `status` at `tier`:
        the status and tier, when it started waiting afresh (a new status or tier on its route), and when
        its route ended."""
        before, after = Status(status), self.next_status(status)
        tier_before, tier_after = (Tier(tier) if tier else None), self.next_tier(tier)
        changes: dict = {}
        if after is not before:
            changes["status"] = after.value
        if tier_after is not tier_before:
            changes["current_tier"] = tier_after.value if tier_after else None
        if changes and after.is_open:
            changes["tier_entered_at"] = at
        if after in CLOSED_STATUSES and before not in CLOSED_STATUSES:
            changes["closed_at"] = at
        return changes


_TELL_THE_TRUST = (Audience.REQUESTERS,)
_TO_THE_TIER = {"told": (Audience.TIER_NOW,), "told_in_mass_casualty": (Audience.EVERY_TIER,)}
_EVERYONE_ON_THE_ROUTE = (Audience.EVERY_TIER, Audience.REQUESTERS)
_ANY = frozenset(Status)

LIFECYCLE: tuple[Step, ...] = (
    Step(Action.CREATE, "Draft created", Actor.TRUST, frozenset(), Status.DRAFT),
    Step(Action.UPDATE_DRAFT, "Draft updated", Actor.TRUST, frozenset({Status.DRAFT})),
    Step(
        Action.SUBMIT, "Submitted", Actor.TRUST, frozenset({Status.DRAFT}), Status.IN_REVIEW, TierMove.FIRST,
        **_TO_THE_TIER,
    ),
    Step(
        Action.ESCALATE, "Escalated", Actor.REVIEWER, frozenset({Status.IN_REVIEW}), None, TierMove.NEXT, BELOW_BMA,
        told=(Audience.TIER_NOW,),
    ),
    Step(
        Action.RESOLVE_LOCALLY, "Resolved locally", Actor.REVIEWER, frozenset({Status.IN_REVIEW}),
        Status.RESOLVED_LOCALLY, TierMove.OFF, BELOW_BMA, told=_TELL_THE_TRUST,
    ),
    Step(
        Action.RETURN_FOR_INFO, "Returned for more information", Actor.REVIEWER, frozenset({Status.IN_REVIEW}),
        Status.MORE_INFO, TierMove.SAME, BELOW_BMA, told=_TELL_THE_TRUST,
    ),
    Step(
        Action.DECLINE_CRITERIA, "Declined: does not meet the criteria", Actor.REVIEWER,
        frozenset({Status.IN_REVIEW}), Status.NOT_ELIGIBLE, TierMove.OFF, BELOW_BMA, told=_TELL_THE_TRUST,
        figure_label="Declined by a tier (criteria)",
    ),
    Step(
        Action.RESUBMIT, "More information given", Actor.TRUST, frozenset({Status.MORE_INFO}), Status.IN_REVIEW,
        TierMove.SAME, **_TO_THE_TIER,  # back to the tier that asked: it never left it
    ),
    Step(
        Action.WITHDRAW, "Withdrawn", Actor.TRUST, frozenset({Status.DRAFT, *OPEN_STATUSES}), Status.WITHDRAWN,
        TierMove.OFF, told=(Audience.TIER_LEFT,), told_in_mass_casualty=(Audience.EVERY_TIER,),
    ),
    Step(
        Action.APPROVE, "Approved by the BMA", Actor.BMA, frozenset({Status.IN_REVIEW}), Status.APPROVED,
        TierMove.OFF, (Tier.BMA,), told=_TELL_THE_TRUST, figure_label="Approvals given",
    ),
    Step(
        Action.DECLINE, "Declined by the BMA", Actor.BMA, frozenset({Status.IN_REVIEW}), Status.DECLINED,
        TierMove.OFF, (Tier.BMA,), told=_TELL_THE_TRUST,
    ),
    Step(
        Action.REVOKE, "Approval revoked", Actor.BMA, frozenset({Status.APPROVED}), Status.REVOKED,
        told=_TELL_THE_TRUST, figure_label="Approval revoked by the BMA",
    ),
    Step(
        Action.EXPIRE, "Expired", Actor.SYSTEM, OPEN_STATUSES, Status.EXPIRED, TierMove.OFF, told=_TELL_THE_TRUST
    ),
    Step(
        Action.RECORD_HARM, "Harm or near miss recorded", Actor.TRUST,
        frozenset({Status.DECLINED, Status.NOT_ELIGIBLE, Status.REVOKED}), told=(Audience.NATIONAL_MDT,),
    ),
    Step(Action.COMMENT, "Comment", Actor.ANYONE, _ANY),
    Step(
        Action.RECORD_BYPASS, "Doctors recalled under the failsafe bypass", Actor.TRUST, OPEN_STATUSES,
        told=_EVERYONE_ON_THE_ROUTE,
    ),
    Step(
        Action.STAND_DOWN, "Doctors recalled under the failsafe bypass stood down", Actor.TRUST, CLOSED_STATUSES,
        told=_EVERYONE_ON_THE_ROUTE,
    ),
    Step(
        Action.REVIEW_BYPASS, "Failsafe bypass reviewed", Actor.NATIONAL_MDT, CLOSED_STATUSES,
        told=(Audience.REQUESTERS, Audience.TRUST_MD, Audience.BMA),
    ),
)  # fmt: skip
STEPS: dict[Action, Step] = {s.action: s for s in LIFECYCLE}


def step(action: Action | str) -> Step:
    return STEPS[Action(action)]


def entered_by(status: Status | str) -> tuple[Action, ...]:
    """The deeds that move a request into `status` (from another status, or as a new request)."""
    status = Status(status)
    return tuple(s.action for s in LIFECYCLE if s.to_status is status and s.from_statuses != {status})


def reasoned_deed_into(status: Status | str) -> Action | None:
    """The deed with reasons (core.enums.REASONS_FOR) that put a request in `status`, if one did."""
    return next((action for action in entered_by(status) if action in REASONS_FOR), None)


# How the figures name each deed that carries reasons.
REASONED_ACTION_LABELS = {action: step(action).in_figures for action in REASONS_FOR}


# ---------------------------------------------------------------- docs/lifecycle.md, generated


def _diagram() -> list[str]:
    lines = ["```mermaid", "stateDiagram-v2"]
    lines += [f'    state "{status.label}" as {status.value}' for status in Status]
    for s in LIFECYCLE:
        if not s.from_statuses:
            lines.append(f"    [*] --> {s.to_status.value} : {s.label}")
            continue
        moves_tier = s.tier in (TierMove.FIRST, TierMove.NEXT)
        for status in sorted(s.from_statuses, key=list(Status).index):
            if s.next_status(status) is not status or moves_tier:
                lines.append(f"    {status.value} --> {s.next_status(status).value} : {s.label}")
    return [*lines, "```"]


def _statuses(statuses: frozenset[Status]) -> str:
    if not statuses:
        return "(a new request)"
    if statuses == _ANY:
        return "any"
    return ", ".join(status.label for status in Status if status in statuses)


def _row(s: Step) -> str:
    at = ", ".join(tier.label for tier in s.at_tiers) or "any"
    to = s.to_status.label if s.to_status else "(same)"
    tier = s.tier if s.from_statuses else "none yet"
    told = "; ".join(s.told) or "nobody"
    if s.told_in_mass_casualty is not None:
        told += f" (mass casualty: {'; '.join(s.told_in_mass_casualty)})"
    return f"| {s.label} (`{s.action.value}`) | {s.by} | {_statuses(s.from_statuses)} | {at} | {to} | {tier} | {told} |"


def markdown() -> str:
    """docs/lifecycle.md: a short explanation, the state diagram and the table of deeds."""
    lines = [
        "# The request's lifecycle",
        "",
        "<!-- Generated from core/lifecycle.py by `python -m core.lifecycle > docs/lifecycle.md`;",
        "     tests/core/test_lifecycle.py fails when this file and the table differ. -->",
        "",
        "Every deed done to a request is one row of one table, `core/lifecycle.py`: who does it, from which",
        "statuses and at which tiers it may happen, the status and tier it leaves the request in, and who is told.",
        "The workflow computes every status and tier change from that table, the notifications read who is told",
        "(which people that is for one request follows from their scope), and the request's history shows each",
        "deed's label. Who exactly may do a deed to one request now is `core/access_control/permissions.py`'s",
        "question (docs/rules.md rule 15); the rules themselves are in [rules.md](rules.md).",
        "",
        "The statuses, and the deeds that move a request between them (a deed that moves it up the route without",
        "changing its status is drawn as a loop):",
        "",
        *_diagram(),
        "",
        "Every deed:",
        "",
        "| deed | by | from | at tier | to | tier | who is told |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(_row(s) for s in LIFECYCLE),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
