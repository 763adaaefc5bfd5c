"""The one split rule (largest remainder) conserves every fen."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services import money
from services.money import allocate, apply_bps


class TestAllocate:
    def test_even_split_leftover_goes_to_largest_remainders(self):
        assert allocate(100, [1, 1, 1]) == [34, 33, 33]

    def test_basis_points(self):
        assert allocate(1001, [5000, 3000, 2000]) == [501, 300, 200]

    def test_negative_totals_mirror_positive(self):
        assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]

    @pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
    def test_bad_weights(self, weights):
        with pytest.raises(ValueError):
            allocate(100, weights)

    @given(
        total=st.integers(min_value=-(10**15), max_value=10**15),
        weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(any),
    )
    def test_parts_sum_to_total_and_stay_within_one_unit(self, total, weights):
        parts = allocate(total, weights)
        assert sum(parts) == total
        whole = sum(weights)
        for part, weight in zip(parts, weights, strict=True):
            assert abs(Fraction(part) - Fraction(total * weight, whole)) < 1


class TestApplyBps:
    @pytest.mark.parametrize(
        "amount,bps,expected",
        [(10000, 1500, 1500), (333, 5000, 167), (1, 5000, 1), (1, 4999, 0), (-333, 5000, -167), (0, 10000, 0)],
    )
    def test_half_up_to_the_minor_unit(self, amount, bps, expected):
        assert apply_bps(amount, bps) == expected


class TestFormatting:
    @pytest.mark.parametrize(
        ("amount", "currency", "text"),
        [
            (123_456_789, "CNY", "1,234,567.89 CNY"),
            (5, "CNY", "0.05 CNY"),
            (1500, "JPY", "1,500 JPY"),
            (None, "CNY", "—"),
        ],
    )
    def test_minor_units_are_formatted_exactly(self, amount, currency, text):
        assert money.format_money(amount, currency) == text

    def test_basis_points(self):
        assert (money.format_bps(5000), money.format_bps(1), money.format_bps(10000)) == ("50.00%", "0.01%", "100.00%")
