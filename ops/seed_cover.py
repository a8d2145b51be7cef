"""The demo's cover registers (core/request/cover_register.py): one for each trust with requests in the strike period
in progress and for the demo's own trusts, agreed three days before the strike with the local BMA
representative, for the services those trusts file requests for. Most services are covered by staff who are
not striking; some are short, so the request form, the reviewers and the dashboard have gaps to show."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import select

from core.models import DerogationRequest, StrikePeriod
from core.platform.clock import to_london
from core.platform.db import write_session
from core.request.cover_register import LineValues, Shift, replace_register

# (grade, the minimum at night; the day needs one more), for every registered service and both shifts.
GRADES = (("ST3+", 1), ("CT/ST1-2", 1), ("FY1", 1))
SHORT_BY = (0,) * 14 + (1, 2)  # how far the cover expected from staff not striking falls short, drawn per line


def seed_cover_registers(current: StrikePeriod, always: dict[str, list[str]], rng: random.Random) -> int:
    """A register for each trust with requests in `current`, and for each trust of `always` (its services).
    Returns the number of registers made."""
    services: dict[str, set[str]] = {trust: set(names) for trust, names in always.items()}
    agreed_on = to_london(current.starts_at - timedelta(days=3)).date()
    with write_session() as session:
        filed = select(DerogationRequest.trust_code, DerogationRequest.service).where(
            DerogationRequest.strike_period_id == current.id
        )
        for trust, service in session.exec(filed.distinct()).all():
            services.setdefault(trust, set()).add(service)
        for trust in sorted(services):
            lines = [
                LineValues(
                    service=service,
                    grade=grade,
                    shift=shift,
                    minimum_doctors=(minimum := night + (shift == Shift.DAY) + rng.randint(0, 1)),
                    expected_cover=max(0, minimum - rng.choice(SHORT_BY)),
                    agreed_with="Local BMA representative and the trust's medical director",
                    agreed_on=agreed_on,
                )
                for service in sorted(services[trust])
                for shift in (Shift.DAY, Shift.NIGHT)
                for grade, night in GRADES
            ]
            replace_register(session, trust, lines, None, source="demo data")
    return len(services)
