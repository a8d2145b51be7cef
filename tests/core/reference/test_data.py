"""Reference data (regions and trusts), the demo seed, and the administration CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import select

from core.accounts.users import create_user
from core.enums import Role, Status, Tier
from core.models import AuditEvent, DerogationRequest, Region, StrikePeriod, Trust, User
from core.platform.config import PROJECT_ROOT
from core.platform.db import read_session, write_session
from core.records import audit
from core.reference.nhs_organisations import REGIONS, load_reference_data
from ops.seed import DEMO_ACCOUNTS, DEMO_TRUST, NotADemoDatabase, seed_demo
from tests.core.conftest import T0


def _count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


# ---------------------------------------------------------------- reference data


def test_seven_regions_and_the_english_trusts_load_idempotently(db):
    assert (_count(Region), _count(Trust)) == (7, 199)  # loaded by the fixture
    for _ in range(2):
        with write_session() as session:
            assert load_reference_data(session) == (7, 199)
    assert (_count(Region), _count(Trust)) == (7, 199)
    with read_session() as session:
        assert {r.code for r in session.exec(select(Region)).all()} == set(REGIONS)
        manchester = session.get(Trust, "R0A")
        assert (manchester.name, manchester.region_code) == ("Manchester University NHS Foundation Trust", "Y62")
        assert session.get(Trust, "RW6") is None  # Pennine Acute closed in 2021
        per_region = Counter(t.region_code for t in session.exec(select(Trust)).all())
    assert set(per_region) == set(REGIONS) and min(per_region.values()) >= 10


# ---------------------------------------------------------------- demo data


@pytest.mark.usefixtures("cheap_hashing")
def test_the_demo_has_something_true_at_every_tier_and_every_outcome(db):
    result = seed_demo(requests=30, now=T0)  # a fixed clock: the same demo every run
    assert result["requests"] == 30
    with read_session() as session:
        rows = session.exec(select(DerogationRequest)).all()
        assert audit.verify_chain(session).ok
        demo_emails = {a.email for a in DEMO_ACCOUNTS}
        assert demo_emails <= set(session.exec(select(User.email)).all())
    waiting = {r.current_tier for r in rows if r.status == Status.IN_REVIEW}
    assert waiting == {t.value for t in Tier}
    assert {r.status for r in rows} == {s.value for s in Status} - {Status.DRAFT.value}
    assert len({r.region_code for r in rows}) >= 5
    assert any(r.mass_casualty for r in rows if r.status == Status.IN_REVIEW)
    # The demo accounts' own trust has a request waiting at each tier, so every demo queue has work.
    assert {r.current_tier for r in rows if r.trust_code == DEMO_TRUST and r.status == Status.IN_REVIEW} == {
        t.value for t in Tier
    }
    approved = [r for r in rows if r.status == Status.APPROVED]
    assert all(r.approved_doctors <= r.doctors_requested and r.confirmation_ref for r in approved)

    counts = (_count(DerogationRequest), _count(AuditEvent), _count(User))
    assert seed_demo(requests=30, now=T0) == {"requests": 0}  # running it again adds nothing
    assert (_count(DerogationRequest), _count(AuditEvent), _count(User)) == counts


# ---------------------------------------------------------------- the CLI


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "ops", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow  # seeds the whole demo through the CLI: the full suite runs it, the quick lane does not
def test_the_cli_creates_users_seeds_the_demo_and_verifies_the_audit(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    demo = _cli(url, "demo", "--requests", "80")
    assert demo.returncode == 0, demo.stderr
    assert "Seeded 80 demo requests" in demo.stdout and "requester@demo.nhs.uk" in demo.stdout

    made = _cli(
        url,
        "create-user",
        "--email",
        "Lead@Example.nhs.uk",
        "--name",
        "Lead",
        "--role",
        "admin",
        "--password",
        "x" * 12,
    )
    assert made.returncode == 0, made.stderr
    assert "Created lead@example.nhs.uk (Administrator)." in made.stdout
    assert "x" * 12 not in made.stdout + made.stderr
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        (stored,) = conn.execute("SELECT password_hash FROM app_user WHERE email = 'lead@example.nhs.uk'").fetchone()
    assert stored.startswith("$argon2id$")

    verified = _cli(url, "verify-audit")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Audit chain intact" in verified.stdout


def test_the_demo_refuses_a_database_with_real_accounts_and_changes_nothing(tmp_path):
    path = tmp_path / "real.db"
    url = f"sqlite:///{path}"
    made = _cli(url, "create-user", "--email", "real.person@mft.nhs.uk", "--name", "Real Person", "--role", "admin",
                "--password", "x" * 12)  # fmt: skip
    assert made.returncode == 0, made.stderr
    before = path.read_bytes()
    refused = _cli(url, "demo", "--requests", "10")
    assert refused.returncode == 1
    assert "not the demo's" in refused.stderr and "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert path.read_bytes() == before  # not a byte: no demo account, no period, no request, no migration
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT email FROM app_user").fetchall() == [("real.person@mft.nhs.uk",)]


def test_seeding_the_demo_beside_a_real_account_is_refused_and_adds_nothing(db):
    with write_session() as session:
        create_user(session, email="someone@nhs.net", full_name="Someone Real", role=Role.ADMIN, password=None)
    with pytest.raises(NotADemoDatabase, match="someone@nhs.net"):
        seed_demo(requests=10, now=T0)
    assert (_count(User), _count(StrikePeriod), _count(DerogationRequest)) == (1, 0, 0)
