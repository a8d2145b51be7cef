"""core/reference/periods.py: where a strike period stands, which one is in progress and which comes next, decided
the same way from a list (pages) and from the database (commands)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import StrikePeriod
from core.platform.clock import utcnow
from core.platform.db import write_session
from core.reference import periods
from core.reference.periods import PeriodState

NOW = utcnow().replace(microsecond=0)


def period(name: str, starts: int, ends: int) -> StrikePeriod:
    """A period from `starts` to `ends` hours after NOW."""
    return StrikePeriod(name=name, starts_at=NOW + timedelta(hours=starts), ends_at=NOW + timedelta(hours=ends))


def test_a_period_runs_from_its_start_to_just_before_its_end():
    strike = period("s", 0, 48)
    assert periods.state(strike, NOW - timedelta(seconds=1)) is PeriodState.UPCOMING
    assert periods.state(strike, NOW) is PeriodState.IN_PROGRESS
    assert periods.state(strike, strike.ends_at - timedelta(seconds=1)) is PeriodState.IN_PROGRESS
    assert periods.state(strike, strike.ends_at) is PeriodState.ENDED


@pytest.mark.parametrize(
    ("layout", "current", "following", "shown_first"),
    [
        ({"past": (-100, -50), "now": (-2, 40), "next": (100, 140)}, "now", "next", "now"),
        ({"past": (-100, -50), "later": (-90, -60)}, None, None, "later"),  # the latest that has started
        ({"next": (100, 140), "after": (300, 340)}, None, "next", "next"),
        ({"long": (-10, 200), "overlap": (-1, 20)}, "overlap", None, "overlap"),  # the one that started last
        ({}, None, None, None),
    ],
)
def test_in_progress_next_and_shown_first_agree_from_a_list_and_from_the_database(
    db, layout, current, following, shown_first
):
    listed = [period(name, *hours) for name, hours in layout.items()]
    name = lambda found: found.name if found else None  # noqa: E731
    assert name(periods.in_progress(listed, NOW)) == current
    assert name(periods.next_to_start(listed, NOW)) == following
    assert name(periods.most_relevant(listed, NOW)) == shown_first
    with write_session() as session:
        session.add_all(listed)
        session.flush()
        assert name(periods.current(session, NOW)) == current
        assert name(periods.upcoming(session, NOW)) == following
        session.rollback()


def test_one_message_says_when_submission_opens():
    assert periods.submission_closed(None).endswith("No strike period is scheduled. Your draft is kept.")
    opens = periods.submission_closed(period("next", 24, 48))
    assert "Submission opens at " in opens and opens.endswith("Your draft is kept.")
