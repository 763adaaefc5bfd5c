"""Free intervals: weekly local opening hours minus blackouts and busy time, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from services.availability import free_intervals, merge, subtract

WEEKDAYS_9_TO_17 = [(d, 540, 1020) for d in range(5)]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestFreeIntervals:
    def test_weekday_hours_in_shanghai(self):
        free = free_intervals(WEEKDAYS_9_TO_17, "Asia/Shanghai", utc(2026, 12, 6, 16), utc(2026, 12, 8, 16))
        assert free == [(utc(2026, 12, 7, 1), utc(2026, 12, 7, 9)), (utc(2026, 12, 8, 1), utc(2026, 12, 8, 9))]

    def test_weekends_are_closed(self):
        assert free_intervals(WEEKDAYS_9_TO_17, "Asia/Shanghai", utc(2026, 12, 5), utc(2026, 12, 6, 15)) == []

    def test_blackouts_and_busy_time_are_subtracted(self):
        free = free_intervals(
            WEEKDAYS_9_TO_17,
            "Asia/Shanghai",
            utc(2026, 12, 7),
            utc(2026, 12, 7, 12),
            blackouts=[(utc(2026, 12, 7, 2), utc(2026, 12, 7, 3))],
            busy=[(utc(2026, 12, 7, 5), utc(2026, 12, 7, 6)), (utc(2026, 12, 7, 8), utc(2026, 12, 7, 10))],
        )
        assert free == [
            (utc(2026, 12, 7, 1), utc(2026, 12, 7, 2)),
            (utc(2026, 12, 7, 3), utc(2026, 12, 7, 5)),
            (utc(2026, 12, 7, 6), utc(2026, 12, 7, 8)),
        ]

    def test_round_the_clock_days_merge_across_midnight(self):
        always = [(d, 0, 1440) for d in range(7)]
        free = free_intervals(always, "Asia/Shanghai", utc(2026, 12, 1), utc(2026, 12, 4))
        assert free == [(utc(2026, 12, 1), utc(2026, 12, 4))]

    def test_daylight_saving_shifts_the_utc_times(self):
        # Berlin: 09:00 local is 08:00 UTC in winter and 07:00 UTC in summer (switch on 29 March 2026).
        friday = free_intervals(WEEKDAYS_9_TO_17, "Europe/Berlin", utc(2026, 3, 27), utc(2026, 3, 28))
        monday = free_intervals(WEEKDAYS_9_TO_17, "Europe/Berlin", utc(2026, 3, 30), utc(2026, 3, 31))
        assert friday == [(utc(2026, 3, 27, 8), utc(2026, 3, 27, 16))]
        assert monday == [(utc(2026, 3, 30, 7), utc(2026, 3, 30, 15))]

    def test_a_night_shift_on_the_day_of_the_change_has_its_real_length(self):
        # Sunday 29 March 2026 00:00-06:00 in Berlin lasts five real hours (02:00 does not exist).
        night = [(6, 0, 360)]
        free = free_intervals(night, "Europe/Berlin", utc(2026, 3, 28, 12), utc(2026, 3, 29, 12))
        assert free == [(utc(2026, 3, 28, 23), utc(2026, 3, 29, 4))]


class TestIntervalAlgebra:
    def test_merge_joins_touching_and_overlapping(self):
        assert merge([(utc(2026, 1, 1, 3), utc(2026, 1, 1, 4)), (utc(2026, 1, 1, 1), utc(2026, 1, 1, 3))]) == [
            (utc(2026, 1, 1, 1), utc(2026, 1, 1, 4))
        ]

    def test_subtract_a_covering_interval_leaves_nothing(self):
        assert subtract([(utc(2026, 1, 1, 1), utc(2026, 1, 1, 2))], [(utc(2026, 1, 1), utc(2026, 1, 2))]) == []

    def test_subtract_is_half_open(self):
        free = subtract([(utc(2026, 1, 1, 1), utc(2026, 1, 1, 3))], [(utc(2026, 1, 1, 3), utc(2026, 1, 1, 4))])
        assert free == [(utc(2026, 1, 1, 1), utc(2026, 1, 1, 3))]
