"""Problem status derived at read time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.enums import ProblemStatus
from models.problems import Problem
from services.problems import effective_status

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def problem(status: ProblemStatus, deadline: datetime) -> Problem:
    return Problem(status=status, deadline=deadline)


class TestEffectiveStatus:
    def test_open_before_the_deadline(self):
        assert effective_status(problem(ProblemStatus.open, NOW + timedelta(seconds=1)), NOW) is ProblemStatus.open

    def test_expired_at_the_deadline(self):
        assert effective_status(problem(ProblemStatus.in_review, NOW), NOW) is ProblemStatus.expired

    def test_awarded_and_closed_stay_as_they_are(self):
        for status in (ProblemStatus.awarded, ProblemStatus.closed):
            assert effective_status(problem(status, NOW - timedelta(days=1)), NOW) is status
