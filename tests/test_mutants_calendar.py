"""Month and year arithmetic checked against an independent reference, over many years and every month end.

Written to kill mutants that survived an audit: the shortcut's leap-day test (``month0 == 1``), the slow
path's ``% 12``, and the guard that keeps the month shortcut off years with a daylight-saving change. The
other calendar tests drew dates from about 2025-12 to 2027, which holds no leap day.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies_ir import aware_datetimes

from complaint_rules import ir
from complaint_rules.calendars import Calendar

UTC_CAL = Calendar("NONE", None, "UTC")
SHANGHAI = Calendar("CN", None, "Asia/Shanghai")  # one offset every year since 1992: the shortcut's home
NEW_YORK = Calendar("US", None, "America/New_York")  # a DST change every year: the shortcut must step aside


def reference_months(local: dt.datetime, months: int) -> dt.datetime:
    """The same wall clock ``months`` months on, on the same day or the target month's last day; written
    without the library's helpers (``calendar.monthrange`` knows the leap years)."""
    index = local.year * 12 + (local.month - 1) + months
    year, month = index // 12, index % 12 + 1
    day = min(local.day, stdlib_calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def test_reference_knows_leap_days_and_month_ends():
    jan31 = dt.datetime(2024, 1, 31, 10, tzinfo=dt.timezone.utc)
    assert reference_months(jan31, 1).date() == dt.date(2024, 2, 29)
    assert reference_months(jan31, 13).date() == dt.date(2025, 2, 28)
    assert reference_months(dt.datetime(2023, 10, 31, tzinfo=dt.timezone.utc), 1).date() == dt.date(2023, 11, 30)


# Every day from the 28th to the 31st of every month of a span holding the leap years 2000 (divisible by
# 400), 2024 and 2028, and the non-leap 2100 (divisible by 100 only), shifted by amounts landing in
# February and November (the months a month-end start lands short in) and across year ends.
MONTH_ENDS = [
    dt.date(year, month, day)
    for year in (1999, 2000, 2023, 2024, 2027, 2028, 2099, 2100)
    for month in range(1, 13)
    for day in range(28, stdlib_calendar.monthrange(year, month)[1] + 1)
]
AMOUNTS = [-25, -13, -12, -11, -2, -1, 1, 2, 3, 9, 10, 11, 12, 13, 25, 48]


def test_month_shift_from_month_ends_matches_reference_in_add_and_shifter():
    for cal in (UTC_CAL, SHANGHAI):
        for months in AMOUNTS:
            shift = cal.shifter(ir.Duration(months, "months"))
            for day in MONTH_ENDS:
                start = dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=cal.tzinfo)
                expected = reference_months(start, months)
                assert cal.add(start, ir.Duration(months, "months")) == expected, (cal.timezone, start, months)
                got = shift(start)
                assert got == expected and got.tzinfo is cal.tzinfo and got.fold == 0, (cal.timezone, start, months, got)


def test_year_shift_from_leap_day_lands_on_the_28th():
    start = dt.datetime(2024, 2, 29, 12, tzinfo=SHANGHAI.tzinfo)
    for cal in (UTC_CAL, SHANGHAI):
        assert cal.shifter(ir.Duration(1, "years"))(start).date() == dt.date(2025, 2, 28)
        assert cal.add(start, "1 year").date() == dt.date(2025, 2, 28)
        assert cal.shifter(ir.Duration(4, "years"))(start).date() == dt.date(2028, 2, 29)
        assert cal.subtract(start, "100 years").date() == dt.date(1924, 2, 29)
        assert cal.shifter(ir.Duration(76, "years"))(start).date() == dt.date(2100, 2, 28)


def test_month_shift_into_a_dst_gap_is_resolved_like_add():
    # 2026-03-08 02:30 does not exist in New York: the wall clock moves forward by the gap, to 03:30 EDT.
    start = dt.datetime(2026, 2, 8, 2, 30, tzinfo=NEW_YORK.tzinfo)
    expected = dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.timezone.utc)
    assert NEW_YORK.add(start, "1 month") == expected
    got = NEW_YORK.shifter(ir.Duration(1, "months"))(start)
    assert got == expected
    assert got.utcoffset() == dt.timedelta(hours=-4)
    # A year on, the same gap (2027-03-14 02:30).
    start = dt.datetime(2027, 2, 14, 2, 30, tzinfo=NEW_YORK.tzinfo)
    assert NEW_YORK.shifter(ir.Duration(1, "months"))(start) == NEW_YORK.add(start, "1 month")
    assert NEW_YORK.shifter(ir.Duration(1, "months"))(start).utcoffset() == dt.timedelta(hours=-4)


ZONES = [ZoneInfo("UTC"), ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), dt.timezone(dt.timedelta(hours=-3))]


@settings(max_examples=300, deadline=None)
@given(
    start=aware_datetimes,
    months=st.integers(-240, 240),
    cal=st.sampled_from([UTC_CAL, SHANGHAI, NEW_YORK]),
)
def test_shifter_months_match_add_over_many_years(start, months, cal):
    duration = ir.Duration(months, "months")
    assert cal.shifter(duration)(start) == cal.add(start, duration)
    if cal is not NEW_YORK:  # one offset: no gap to resolve, so the wall clock is the reference's
        local = start.astimezone(cal.tzinfo)
        assert cal.add(start, duration) == reference_months(local, months)
