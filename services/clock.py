"""The one clock: every "now" in the services goes through `now()`, so tests and demo data move it.

Production never moves it. Tests move it with `set`/`advance` (the `clock` fixture resets it after
each test); demo seeding builds the past by travelling there (`travel_to`) and calling the same
verbs a user calls. Row timestamps (`created_at`, `updated_at`) are stamped from it at flush
(services/db.py), so a record made while the clock is moved carries the moved time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_fixed: datetime | None = None


def now() -> datetime:
    """The current time, aware and in UTC."""
    return _fixed if _fixed is not None else wall()


def wall() -> datetime:
    """The wall clock, which nothing moves: for credentials only (access and refresh tokens live
    in real time, so a moved clock neither expires nor revives a sign-in)."""
    return datetime.now(UTC)


def set(when: datetime) -> None:
    """Stop the clock at `when` (aware) until it is moved again or reset."""
    global _fixed
    if when.tzinfo is None:
        raise ValueError("the clock takes aware times")
    _fixed = when.astimezone(UTC)


def advance(delta: timedelta) -> None:
    """Move a stopped clock forward (or back) by `delta`; a running clock stops there."""
    set(now() + delta)


def reset() -> None:
    """Back to the wall clock."""
    global _fixed
    _fixed = None


def is_moved() -> bool:
    return _fixed is not None


@contextmanager
def travel_to(when: datetime) -> Iterator[None]:
    """Run a block at `when`, then put the clock back as it was."""
    global _fixed
    before = _fixed
    set(when)
    try:
        yield
    finally:
        _fixed = before
