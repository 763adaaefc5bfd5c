"""Money in integer minor units, and the one rule for splitting it (largest remainder)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

# ISO 4217 currencies the marketplace accepts, with their minor-unit exponent.
CURRENCIES: dict[str, int] = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0}
BPS_WHOLE = 10_000
# The largest amount any request may carry, in minor units: 10^15 fen is ten trillion yuan, far above
# any contract, and far below int64 (9.2 * 10^18), so sums of many amounts never overflow a BIGINT.
MAX_AMOUNT = 10**15


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` minor units in proportion to non-negative integer `weights`.

    Largest-remainder rule: each part is the floor of its exact share; the units left over go one
    each to the parts with the largest remainders, ties to the earlier part. The parts always sum
    to `total` and each is within one unit of its exact share.
    """
    if not weights:
        raise ValueError("at least one weight is needed")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if total < 0 else 1
    magnitude = abs(total)
    floors = [magnitude * w // weight_sum for w in weights]
    remainders = [magnitude * w % weight_sum for w in weights]
    left = magnitude - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * part for part in floors]


def apply_bps(amount: int, bps: int) -> int:
    """`amount * bps / 10000`, rounded half up to the minor unit (for a single rate, not a split)."""
    if bps < 0:
        raise ValueError("basis points must not be negative")
    sign = -1 if amount < 0 else 1
    return sign * ((abs(amount) * bps * 2 + BPS_WHOLE) // (2 * BPS_WHOLE))


def format_money(amount: int | None, currency: str) -> str:
    """`12,345.60 CNY` from minor units, exactly (integer arithmetic only); `—` for None."""
    if amount is None:
        return "—"
    exponent = CURRENCIES.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**exponent)
    text = f"{whole:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    return f"{sign}{text} {currency}"


def to_decimal(amount: int, currency: str) -> Decimal:
    """Minor units as an exact decimal in major units: 123456 CNY -> Decimal('1234.56')."""
    exponent = CURRENCIES.get(currency, 2)
    return Decimal(amount).scaleb(-exponent) if exponent else Decimal(amount)


def decimal_text(amount: int, currency: str) -> str:
    """Minor units as plain major units for files (no grouping): 123456 CNY -> `1234.56`, -5 -> `-0.05`."""
    exponent = CURRENCIES.get(currency, 2)
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}" + (f".{minor:0{exponent}d}" if exponent else "")


def format_bps(value: int) -> str:
    """Basis points as a percentage: 2550 -> `25.50%`."""
    return f"{value // 100}.{value % 100:02d}%"
