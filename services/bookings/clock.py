"""The bookings area's clock: one place to read the time, so tests can move it."""

from __future__ import annotations

from datetime import datetime

from models.base import utcnow


def now() -> datetime:
    """The current time in UTC."""
    return utcnow()
