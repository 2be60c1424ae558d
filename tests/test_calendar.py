"""Working days, business hours, time zones and duration parsing of complaint_rules.calendars."""

from __future__ import annotations

import datetime as dt
import pickle
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from complaint_rules.calendars import Calendar, Interval, calendar, parse_duration
from complaint_rules.errors import CalendarError
from complaint_rules.ir import Duration

CST = dt.timezone(dt.timedelta(hours=8))
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(y, m, d, hh=0, mm=0, tz=CST):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz)


@pytest.fixture(scope="module")
def cn():
    return calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai")


# ---------------------------------------------------------------------------- the examples


def test_one_working_day_skips_national_day(cn):
    due = cn.add(at(2026, 9, 30, 17), "1 working day")
    assert due == at(2026, 10, 8, 17)
    assert due.tzinfo is SHANGHAI


def test_one_working_day_lands_on_make_up_saturday(cn):
    due = cn.add(at(2026, 10, 9, 10), "1 working day")
    assert due == at(2026, 10, 10, 10)
    assert due.weekday() == 5  # a Saturday, worked in exchange for National Day


def test_start_in_another_offset_is_taken_to_the_calendar_zone(cn):
    start = dt.datetime(2026, 9, 30, 9, tzinfo=dt.timezone.utc)  # 17:00 in Shanghai
    due = cn.add(start, "1wd")
    assert due == at(2026, 10, 8, 17) and due.utcoffset() == dt.timedelta(hours=8)


def test_official_2026_schedule(cn):
    assert not any(cn.is_working_day(dt.date(2026, 10, d)) for d in range(1, 8))
    assert cn.is_working_day(dt.date(2026, 9, 20))  # Sunday make-up day
    assert not cn.is_working_day(dt.date(2026, 9, 25))  # Mid-Autumn Festival, a Friday
    assert cn.is_working_day(dt.date(2026, 2, 14)) and cn.is_working_day(dt.date(2026, 2, 28))
    assert not cn.is_working_day(dt.date(2026, 10, 11))  # an ordinary Sunday


def test_packages_agree_on_china_2025_2026():
    import chinese_calendar
    import holidays

    for year in (2025, 2026):
        table = holidays.country_holidays("CN", years=year)
        day = dt.date(year, 1, 1)
        while day.year == year:
            assert table.is_working_day(day) == chinese_calendar.is_workday(day), day
            day += dt.timedelta(days=1)


# ---------------------------------------------------------------------------- working days outside hours


def test_working_day_from_outside_hours_starts_at_next_opening(cn):
    # Saturday 14:00 -> the clock starts Monday 09:00 -> due Tuesday 09:00.
    assert cn.add(at(2026, 11, 7, 14), "1 working day") == at(2026, 11, 10, 9)
    # Before opening on a working day -> that day's opening.
    assert cn.add(at(2026, 11, 4, 7), "1 working day") == at(2026, 11, 5, 9)
    # After closing -> next working day's opening.
    assert cn.add(at(2026, 11, 4, 20), "1 working day") == at(2026, 11, 6, 9)


def test_closing_time_itself_is_inside_hours(cn):
    assert cn.add(at(2026, 11, 4, 18, 30), "1wd") == at(2026, 11, 5, 18, 30)


# ---------------------------------------------------------------------------- business hours


def test_business_hours_across_a_night(cn):
    assert cn.add(at(2026, 11, 4, 18), "2 business hours") == at(2026, 11, 5, 10, 30)


def test_business_hours_across_a_weekend(cn):
    # Friday 17:00: 1.5 h on Friday, 2.5 h on Monday.
    assert cn.add(at(2026, 11, 6, 17), "4bh") == at(2026, 11, 9, 11, 30)


def test_business_hours_fill_a_day_exactly_end_at_closing(cn):
    assert cn.add(at(2026, 11, 4, 17), "1bh") == at(2026, 11, 4, 18)
    start = at(2026, 11, 4, 9, 30)
    assert cn.add(start, Duration(9, "business_hours")) == at(2026, 11, 4, 18, 30)


def test_business_hours_ending_on_a_closing_time_stay_on_that_day(cn):
    # Wednesday 17:00 + 11 h = 1.5 h + a full Thursday: Thursday 18:30, not Friday 09:00.
    assert cn.add(at(2026, 11, 4, 17), "11bh") == at(2026, 11, 5, 18, 30)
    assert cn.subtract(at(2026, 11, 6, 10, 30), "11bh") == at(2026, 11, 5, 9)  # not Wednesday 18:30


def test_business_hours_over_several_days_and_a_holiday(cn):
    # 2026-09-30 17:00: 1.5 h, then Oct 8 (9.5 h), Oct 9 (9.5 h), Oct 10 (make-up Saturday) the rest.
    assert cn.add(at(2026, 9, 30, 17), "22 business hours") == at(2026, 10, 10, 10, 30)


def test_business_hours_without_hours_use_whole_working_days():
    cal = calendar("CN", timezone="Asia/Shanghai")
    assert cal.add(at(2026, 11, 6, 20), "8bh") == at(2026, 11, 9, 4)
    assert cal.add(at(2026, 11, 7, 14), "1wd") == at(2026, 11, 10, 0)


# ---------------------------------------------------------------------------- policy holidays and workdays


def test_policy_holiday():
    cal = calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai", holidays=[dt.date(2026, 12, 24)])
    assert not cal.is_working_day(dt.date(2026, 12, 24))
    assert cal.add(at(2026, 12, 23, 10), "1 working day") == at(2026, 12, 25, 10)


def test_policy_make_up_workday():
    cal = calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai", workdays=["2026-12-27"])
    assert cal.is_working_day(dt.date(2026, 12, 27))
    assert cal.add(at(2026, 12, 25, 10), "1 working day") == at(2026, 12, 27, 10)
    assert cal.add(at(2026, 12, 25, 18), "1bh") == at(2026, 12, 27, 9, 30)


def test_a_single_date_needs_no_list():
    assert Calendar("NONE", holidays="2026-12-24").holidays == (dt.date(2026, 12, 24),)


def test_same_date_holiday_and_workday_is_rejected():
    with pytest.raises(CalendarError, match="2026-12-24 is declared both"):
        Calendar("CN", holidays=["2026-12-24"], workdays=[dt.date(2026, 12, 24)])


# ---------------------------------------------------------------------------- coverage and bad input


def test_uncovered_year_raises(cn):
    assert cn.covers(2026) and not cn.covers(2027)
    with pytest.raises(CalendarError, match=r"no holiday data for 2027.*chinesecalendar.*2004-2026"):
        cn.add(at(2026, 12, 31, 10), "1 working day")
    with pytest.raises(CalendarError, match="2027"):
        cn.is_working_day(dt.date(2027, 3, 1))
    with pytest.raises(CalendarError, match="2027"):
        cn.between(at(2026, 12, 1), at(2027, 1, 5))
    # Units that do not depend on holidays still work there.
    assert cn.add(at(2027, 3, 1, 10), "2 days") == at(2027, 3, 3, 10)


def test_none_calendar_is_plain_weekdays_for_every_year():
    cal = calendar("NONE", timezone="Asia/Shanghai")
    assert cal.covers(1) and cal.covers(9999)
    assert cal.is_working_day(dt.date(2026, 10, 1))  # no holidays at all
    assert cal.add(at(2030, 1, 4, 10), "1wd") == at(2030, 1, 7, 10)  # Friday -> Monday


@pytest.mark.parametrize("method", ["add", "subtract"])
def test_naive_datetime_rejected(cn, method):
    with pytest.raises(CalendarError, match="naive datetime 2026-10-09T10:00:00"):
        getattr(cn, method)(dt.datetime(2026, 10, 9, 10), "1wd")


def test_naive_datetime_rejected_by_between_and_is_working_day(cn):
    with pytest.raises(CalendarError, match="naive"):
        cn.between(at(2026, 10, 9), dt.datetime(2026, 10, 10))
    with pytest.raises(CalendarError, match="naive"):
        cn.is_working_day(dt.datetime(2026, 10, 10))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "XX"}, "unknown calendar 'XX'"),
        ({"hours": "9-18"}, "expected 'HH:MM-HH:MM'"),
        ({"hours": "18:30-09:00"}, "opening must come before closing"),
        ({"hours": "25:00-26:00"}, "not a time of day"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"holidays": ["2026-13-01"]}, "invalid holiday date"),
    ],
)
def test_bad_calendar_arguments(kwargs, message):
    with pytest.raises(CalendarError, match=message):
        Calendar(**kwargs)


# ---------------------------------------------------------------------------- other units


def test_subtract(cn):
    assert cn.subtract(at(2026, 10, 8, 17), "1 working day") == at(2026, 9, 30, 17)
    assert cn.subtract(at(2026, 10, 8, 17), "1 day") == at(2026, 10, 7, 17)
    assert cn.subtract(at(2026, 11, 9, 10), "2bh") == at(2026, 11, 6, 17, 30)  # Monday -> Friday
    # Outside hours, counting backward starts at the last closing time.
    assert cn.subtract(at(2026, 11, 8, 12), "1wd") == at(2026, 11, 5, 18, 30)


def test_elapsed_and_wall_clock_units_across_dst():
    cal = calendar("US", timezone="America/New_York")
    start = dt.datetime(2026, 3, 7, 12, tzinfo=NEW_YORK)  # DST starts 2026-03-08 02:00
    assert cal.add(start, "1 day") == dt.datetime(2026, 3, 8, 12, tzinfo=NEW_YORK)
    assert cal.between(start, cal.add(start, "1 day")).elapsed == dt.timedelta(hours=23)
    assert cal.add(start, "24 hours") == dt.datetime(2026, 3, 8, 13, tzinfo=NEW_YORK)
    assert cal.add(start, "1440min") == cal.add(start, "24h")
    gap = cal.add(dt.datetime(2026, 3, 7, 2, 30, tzinfo=NEW_YORK), "1d")  # 02:30 does not exist
    assert (gap.hour, gap.minute, gap.utcoffset()) == (3, 30, dt.timedelta(hours=-4))


def test_months_and_years_clamp_to_month_end(cn):
    assert cn.add(at(2026, 1, 31, 10), "1 month") == at(2026, 2, 28, 10)
    assert cn.add(at(2024, 1, 31, 10), "1 month") == at(2024, 2, 29, 10)
    assert cn.add(at(2026, 3, 31, 10), "1 month") == at(2026, 4, 30, 10)
    assert cn.add(at(2026, 8, 31, 10), "4mo") == at(2026, 12, 31, 10)
    assert cn.add(at(2026, 12, 15, 10), "2mo") == at(2027, 2, 15, 10)
    assert cn.add(at(2024, 2, 29, 10), "1y") == at(2025, 2, 28, 10)
    assert cn.add(at(2026, 10, 8, 10), "2 weeks") == at(2026, 10, 22, 10)
    assert cn.subtract(at(2026, 3, 31, 10), "1 month") == at(2026, 2, 28, 10)


def test_zero_duration_returns_start(cn):
    start = at(2026, 10, 3, 3)  # a holiday at night: still unchanged
    assert cn.add(start, "immediately") == start == cn.add(start, "0 working days")


def test_us_calendar():
    cal = calendar("US", hours="09:00-17:00", timezone="America/New_York")
    assert not cal.is_working_day(dt.date(2026, 7, 3))  # Independence Day observed (Friday)
    assert not cal.is_working_day(dt.date(2026, 11, 26))  # Thanksgiving
    assert not cal.is_working_day(dt.date(2026, 10, 10))  # an ordinary Saturday
    start = dt.datetime(2026, 7, 2, 10, tzinfo=NEW_YORK)
    assert cal.add(start, "1wd") == dt.datetime(2026, 7, 6, 10, tzinfo=NEW_YORK)
    assert cal.add(start, "8bh") == dt.datetime(2026, 7, 6, 10, tzinfo=NEW_YORK)


def test_between(cn):
    span = cn.between(at(2026, 9, 30, 17), at(2026, 10, 9, 10))
    assert isinstance(span, Interval)
    assert span.working_days == 1  # Oct 8 17:00 is within; Oct 9 17:00 is not
    assert span.business_minutes == (90 + 570 + 60)  # Sep 30, Oct 8, Oct 9
    assert span.calendar_days == 9
    assert span.elapsed == dt.timedelta(days=8, hours=17)
    back = cn.between(at(2026, 10, 9, 10), at(2026, 9, 30, 17))
    assert (back.working_days, back.business_minutes, back.calendar_days) == (-1, -720, -9)
    assert cn.between(at(2026, 10, 3, 10), at(2026, 10, 4, 10)).business_minutes == 0


# ---------------------------------------------------------------------------- objects


def test_pickle_round_trip(cn):
    cal = Calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai", holidays=["2026-12-24"])
    cal.add(at(2026, 10, 9, 10), "1wd")  # fill a year table first: it must not break pickling
    copy = pickle.loads(pickle.dumps(cal))
    assert copy == cal and copy.holidays == (dt.date(2026, 12, 24),)
    assert copy.add(at(2026, 12, 23, 10), "1wd") == at(2026, 12, 25, 10)
    assert pickle.loads(pickle.dumps(cn)) is cn  # through the cached factory


def test_immutable_and_cached(cn):
    with pytest.raises(AttributeError):
        cn.country = "US"
    assert calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai") is cn
    a = calendar("NONE", holidays=[dt.date(2026, 1, 2), "2026-01-01"])
    assert a is calendar("none", holidays=("2026-01-01", dt.date(2026, 1, 2)))


def test_threads_agree_with_a_single_thread():
    starts = [at(2026, 1, 1) + dt.timedelta(hours=7 * i) for i in range(400)]
    expected = [calendar("CN", timezone="Asia/Shanghai").add(s, "3wd") for s in starts]
    fresh = Calendar("CN", timezone="Asia/Shanghai")  # empty tables, built concurrently
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda s: fresh.add(s, "3wd"), starts)) == expected


# ---------------------------------------------------------------------------- parse_duration


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("30 minutes", 30, "minutes"), ("1 minute", 1, "minutes"), ("30min", 30, "minutes"),
        ("2 hours", 2, "hours"), ("1 hour", 1, "hours"), ("2h", 2, "hours"),
        ("4 business hours", 4, "business_hours"), ("1 business hour", 1, "business_hours"),
        ("8bh", 8, "business_hours"),
        ("1 day", 1, "days"), ("3 days", 3, "days"), ("3d", 3, "days"),
        ("1 working day", 1, "working_days"), ("2 working days", 2, "working_days"),
        ("1wd", 1, "working_days"),
        ("2 business days", 2, "working_days"),
        ("1 week", 1, "weeks"), ("2 weeks", 2, "weeks"), ("2w", 2, "weeks"),
        ("1 month", 1, "months"), ("6 months", 6, "months"), ("1mo", 1, "months"),
        ("1 year", 1, "years"), ("2 years", 2, "years"), ("2y", 2, "years"),
        ("immediately", 0, "minutes"), ("  3   Working  Days ", 3, "working_days"), ("2 h", 2, "hours"),
    ],
)  # fmt: skip
def test_parse_duration(text, amount, unit):
    assert parse_duration(text) == Duration(amount, unit)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected '<whole number> <unit>'"),
        ("3 fortnights", "unknown unit 'fortnights'"),
        ("1.5 hours", "must be a whole number"),
        ("-1 day", "must not be negative"),
        ("day", "expected '<whole number> <unit>'"),
        ("2 hours later", "unknown unit 'hours later'"),
        (None, "invalid duration None"),
        (["1 day"], "invalid duration"),
    ],
)
def test_parse_duration_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_add_rejects_bad_duration(cn):
    with pytest.raises(ValueError, match="unknown unit"):
        cn.add(at(2026, 10, 9), "3 fortnights")
    with pytest.raises(ValueError, match="invalid duration unit 'fortnights'"):
        cn.add(at(2026, 10, 9), Duration(3, "fortnights"))


# ---------------------------------------------------------------------------- laws

starts = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 10, 31)).map(
    lambda t: t.replace(tzinfo=SHANGHAI, microsecond=0)
)


@settings(max_examples=150, deadline=None)
@given(start=starts, n=st.integers(1, 20))
def test_working_days_land_on_working_days_and_grow_with_n(cn, start, n):
    due, later = cn.add(start, Duration(n, "working_days")), cn.add(start, Duration(n + 1, "working_days"))
    assert cn.is_working_day(due.date()) and due > start and later > due
    assert cn.between(start, due).working_days == n
    # Counting back returns to the first business moment at or after start: no business time in between.
    back = cn.subtract(due, Duration(n, "working_days"))
    assert back >= start and cn.between(start, back).business_minutes == 0


@settings(max_examples=150, deadline=None)
@given(start=starts, n=st.integers(1, 60))
def test_business_hours_are_counted_back_by_between(cn, start, n):
    due = cn.add(start, Duration(n, "business_hours"))
    assert cn.between(start, due).business_minutes == 60 * n
    back = cn.subtract(due, Duration(n, "business_hours"))
    assert back >= start and cn.between(start, back).business_minutes == 0


@settings(max_examples=100, deadline=None)
@given(
    day=st.dates(dt.date(2025, 1, 1), dt.date(2026, 11, 30)),
    minute=st.integers(1, 540),
    n=st.integers(1, 9),
)
def test_a_working_day_is_a_day_of_business_hours_inside_hours(day, minute, n):
    # Just after opening to closing: from 09:00 itself, 9 business hours end at 18:00 the same day, the
    # same business moment as the next day's 09:00 that 1 working day gives, but a different instant.
    cal = calendar("CN", hours="09:00-18:00", timezone="Asia/Shanghai")
    start = dt.datetime.combine(day, dt.time(9), SHANGHAI) + dt.timedelta(minutes=minute)
    assume(cal.is_working_day(day))
    due = cal.add(start, Duration(n, "working_days"))
    assert due == cal.add(start, Duration(9 * n, "business_hours"))
    assert cal.subtract(due, Duration(n, "working_days")) == start
