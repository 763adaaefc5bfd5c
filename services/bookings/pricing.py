"""Booking prices and fees: pure integer arithmetic on minor units (no I/O).

Rule: billed units = max(used, minimum); gross = unit rate x billed units (per hour: x minutes / 60,
rounded half up to the fen); the membership discount is `apply_bps(gross, bps)` (half up) and is
subtracted from the gross. Fees are `apply_bps(quoted, fee_bps)`, half up.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.enums import RateUnit
from services.money import apply_bps

MINUTES_PER_HOUR = 60


def _div_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def gross_amount(unit: RateUnit, unit_rate: int, quantity: int) -> int:
    """Rate x quantity: quantity is minutes for an hourly rate (half up to the fen), samples otherwise."""
    if unit is RateUnit.hour:
        return _div_half_up(unit_rate * quantity, MINUTES_PER_HOUR)
    return unit_rate * quantity


def amount(unit: RateUnit, unit_rate: int, quantity: int, minimum: int, discount_bps: int) -> int:
    """What `quantity` costs: at least `minimum` billed, minus the membership discount."""
    gross = gross_amount(unit, unit_rate, max(quantity, minimum))
    return gross - apply_bps(gross, discount_bps)


def in_fee_window(start_at: datetime, now: datetime, free_hours: int) -> bool:
    """True once less than `free_hours` remain before the start (exactly N hours before is still free)."""
    return now > start_at - timedelta(hours=free_hours)


def cancellation_fee(quoted: int, fee_bps: int, start_at: datetime | None, now: datetime, free_hours: int) -> int:
    """The fee for cancelling now: nothing until N hours before the start, then `fee_bps` of the quote."""
    if start_at is None or not in_fee_window(start_at, now, free_hours):
        return 0
    return apply_bps(quoted, fee_bps)
