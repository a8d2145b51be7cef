"""Prepare the database a browser-test app server runs on (run as a separate process, before the server).

python -m tests.browser.setup_db sqlite:////tmp/x.db in-progress   # users and a strike in progress
python -m tests.browser.setup_db sqlite:////tmp/y.db none          # no strike now: submission refused
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select

from core import workflow
from core.accounts.users import create_user
from core.enums import TIER_ORDER, Action, Role, Tier
from core.models import StrikePeriod, Trust, User
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, write_session
from ops.seed import make_form

PASSWORD = "Browser-test-2026"
TRUST, OTHER_TRUST, REGION = "R0A", "RJ1", "Y62"  # Manchester (North West) and Guy's (London)


@dataclass(frozen=True)
class Account:
    key: str
    email: str
    full_name: str
    role: Role
    trust_code: str | None = None
    region_code: str | None = None


ACCOUNTS = {
    a.key: a
    for a in (
        Account("requester", "priya.shah@mft.test.nhs.uk", "Priya Shah", Role.REQUESTER, TRUST),
        Account("clinical_director", "tom.evans@mft.test.nhs.uk", "Dr Tom Evans", Role.CLINICAL_DIRECTOR, TRUST),
        Account("trust_md", "aisha.khan@mft.test.nhs.uk", "Dr Aisha Khan", Role.TRUST_MD, TRUST),
        Account("regional_md", "sam.wright@nw.test.nhs.uk", "Dr Sam Wright", Role.REGIONAL_MD, region_code=REGION),
        Account("national_mdt", "ruth.okafor@test.nhs.uk", "Dr Ruth Okafor", Role.NATIONAL_MDT),
        Account("national_watch", "dev.patel@test.nhs.uk", "Dr Dev Patel", Role.NATIONAL_MDT),
        Account("bma", "ben.carter@test.bma.org.uk", "Dr Ben Carter", Role.BMA),
        Account("admin", "jo.bennett@test.nhs.uk", "Jo Bennett", Role.ADMIN),
        Account("other_requester", "mark.lee@gstt.test.nhs.uk", "Mark Lee", Role.REQUESTER, OTHER_TRUST),
    )
}


def prepare(url: str, strike: str) -> None:
    env = os.environ | {"DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "ops", "load-reference"], env=env, check=True, capture_output=True)
    os.environ["DATABASE_URL"] = url
    now = utcnow().replace(microsecond=0)
    with write_session() as session:
        for account in ACCOUNTS.values():
            create_user(
                session,
                email=account.email,
                full_name=account.full_name,
                role=account.role,
                password=PASSWORD,
                trust_code=account.trust_code,
                region_code=account.region_code,
                job_title=account.role.label,
                phone="0161 276 1234",
            )
        if strike == "in-progress":
            session.add(
                StrikePeriod(
                    name="Browser-test strike", starts_at=now - timedelta(hours=12), ends_at=now + timedelta(days=3)
                )
            )
        else:  # one strike that has ended and one that has not started
            session.add(
                StrikePeriod(name="Last strike", starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=25))
            )
            session.add(
                StrikePeriod(name="Next strike", starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=15))
            )
        period = session.exec(select(StrikePeriod)).first() if strike == "in-progress" else None
    if period is not None:
        seed_requests(period)
    dispose_engines()


# Requests the in-progress database starts with, in id order (1, 2, ...): one in every state a page shows.
SEEDED = (
    "draft",
    "at_clinical_director",
    "at_trust_md",
    "at_regional_md",
    "at_national_mdt",
    "at_bma",
    "more_info",
    "approved",
    "declined",
)


def seed_requests(period: StrikePeriod) -> None:
    """File SEEDED through the real workflow, each step by the right test account."""
    rng = random.Random(4)
    with write_session() as session:
        people = {key: session.exec(select(User).where(User.email == a.email)).one() for key, a in ACCOUNTS.items()}
        trust = session.get(Trust, TRUST)
    route = {Tier(key): people[key] for key in ("clinical_director", "trust_md", "regional_md", "national_mdt", "bma")}
    for name in SEEDED:
        draft = workflow.save_draft(people["requester"], make_form(rng, trust, utcnow(), period))
        if name == "draft":
            continue
        request = workflow.submit(people["requester"], draft.id, draft.version)
        stop = {f"at_{tier.value}": tier for tier in Tier}.get(
            name, Tier.CLINICAL_DIRECTOR if name == "more_info" else Tier.BMA
        )
        for tier in TIER_ORDER[: TIER_ORDER.index(stop)]:
            request = workflow.review(route[tier], request.id, request.version, Action.ESCALATE, "Risk confirmed.")
        if name == "more_info":
            workflow.review(route[Tier.CLINICAL_DIRECTOR], request.id, request.version, Action.RETURN_FOR_INFO,
                            "Which consultants were asked, and when?", reasons=["evidence_missing"])  # fmt: skip
        elif name in ("approved", "declined"):
            decision = workflow.BmaDecision(
                approve=name == "approved",
                rationale="Decided on the evidence given.",
                approved_doctors=1,
                approved_grades=request.grades_requested[:1],
                approved_window_start=request.window_start,
                approved_window_end=request.window_end,
                reasons=[] if name == "approved" else ["evidence_missing"],
            )
            workflow.bma_decide(route[Tier.BMA], request.id, request.version, decision)


if __name__ == "__main__":
    prepare(sys.argv[1], sys.argv[2])
