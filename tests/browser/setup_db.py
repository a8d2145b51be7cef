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

from core.accounts.users import create_user
from core.enums import Role
from core.models import StrikePeriod, Trust, User
from core.platform.clock import utcnow
from core.platform.db import dispose_engines, read_session, write_session
from ops.builders import add_period, request_in_state
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
            period = add_period(
                now - timedelta(hours=12), now + timedelta(days=3), "Browser-test strike", session=session
            )
        else:  # one strike that has ended and one that has not started
            add_period(now - timedelta(days=30), now - timedelta(days=25), "Last strike", session=session)
            add_period(now + timedelta(days=10), now + timedelta(days=15), "Next strike", session=session)
            period = None
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


def seeded_team() -> dict[Role, User]:
    """The accounts of TRUST's route, one a role (the account keyed by the role's value), for ops.builders."""
    with read_session() as session:
        return {role: session.exec(select(User).where(User.email == ACCOUNTS[role.value].email)).one() for role in Role}


def seed_requests(period: StrikePeriod) -> None:
    """File SEEDED through the real workflow (ops.builders.request_in_state), each step by the right test account."""
    rng = random.Random(4)
    team = seeded_team()
    with read_session() as session:
        trust = session.get(Trust, TRUST)
    for name in SEEDED:
        request_in_state(team, name.removeprefix("at_"), make_form(rng, trust, utcnow(), period))


if __name__ == "__main__":
    prepare(sys.argv[1], sys.argv[2])
