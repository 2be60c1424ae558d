"""Durations compared by what they mean: ``24 hours``, ``1440 minutes`` and (in a zone with one UTC offset)
``1 day`` add the same length of time, so a diff must not report a change between them.

The calendar (:mod:`complaint_rules.calendars`) gives each unit its meaning:

* ``minutes``, ``hours``: elapsed time on the UTC time line, whatever the zone;
* ``days``, ``weeks``: the same wall-clock time n (7n) calendar days later in the policy's zone. That is
  ``24 n`` hours exactly when the zone keeps one UTC offset; across a daylight-saving change a day is 23
  or 25 hours long;
* ``months``, ``years``: wall-clock months (a year is 12 months), whose length varies;
* ``working_days``, ``business_hours``: depend on the working calendar (holidays, opening hours);
* any of these with amount 0: the start itself;
* any other unit (a point in time rather than a length): only equal to itself on the same calendar.

:func:`duration_key` maps a duration to a key equal for durations that add the same time to every start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from functools import lru_cache

from .. import ir
from ..language.printer import duration as show_duration

ELAPSED = {"minutes": 1, "hours": 60}  # minutes per unit
DAYS = {"days": 1, "weeks": 7}
MONTHS = {"months": 1, "years": 12}
CALENDAR_UNITS = ("working_days", "business_hours")
# Units that measure a length (0 of any of them is the start itself). Any other unit (a point such as
# the end of a working day) is only equal to itself, on the same working calendar.
LENGTHS = frozenset({*ELAPSED, *DAYS, *MONTHS, *CALENDAR_UNITS})
EPOCH = dt.date(1970, 1, 1)  # where the offset check starts for a policy without an effective date
HORIZON = 2100  # the check runs to 1 January of this year (the tz database has no rule beyond it)


def calendar_key(h: ir.Header) -> tuple:
    """What working-day and business-hour arithmetic depends on."""
    return (h.calendar, h.hours, h.timezone, h.holidays, h.workdays, h.calendar_sources)


def zone(h: ir.Header) -> str:
    """The IANA zone the policy's deadlines are computed in (the evaluator's default is UTC)."""
    return h.timezone or "UTC"


def since(h: ir.Header) -> dt.date:
    """From when the policy's records are assumed dated: its effective date, else 1970."""
    return h.effective or EPOCH


@lru_cache(maxsize=64)
def steady(timezone: str, start: dt.date = EPOCH) -> bool:
    """Whether ``timezone`` keeps one UTC offset from ``start`` to the horizon (so a day is 24 hours).

    As ``Calendar._is_steady`` does for one year: the offset is sampled twice a day, which catches every
    change except one undone within 12 hours (none exist). An unknown zone is not steady.
    """
    from zoneinfo import ZoneInfo

    try:
        tz = ZoneInfo(timezone)
    except (KeyError, ValueError, TypeError, OSError):
        return False
    if start.year >= HORIZON:
        start = dt.date(HORIZON - 1, 1, 1)
    at = dt.datetime.combine(start, dt.time(0), tz)
    first = at.utcoffset()
    step = dt.timedelta(hours=12)
    for _ in range(2 * (dt.date(HORIZON, 1, 1) - start).days):
        at += step
        if at.utcoffset() != first:
            return False
    return True


def offset_text(timezone: str) -> str:
    """``UTC+08:00`` for a zone (its offset now); the zone name when it cannot be read."""
    from zoneinfo import ZoneInfo

    try:
        off = dt.datetime(2026, 1, 1, tzinfo=ZoneInfo(timezone)).utcoffset()
    except (KeyError, ValueError, TypeError, OSError):
        return timezone
    if off is None:
        return timezone
    sign = "-" if off < dt.timedelta(0) else "+"
    minutes = abs(int(off.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def duration_key(d: ir.Duration, h: ir.Header) -> Hashable:
    """A key that is equal for two durations of the policy with header ``h`` exactly when they add the
    same time to every start: minutes and hours by length; days and weeks by length too when the zone
    keeps one UTC offset from the policy's effective date on, else by day count in that zone; months
    and years by month count in the zone; working days and business hours only equal to themselves
    (on the same working calendar)."""
    if d.amount == 0 and d.unit in LENGTHS:
        return ("elapsed", 0)
    if d.unit in ELAPSED:
        return ("elapsed", d.amount * ELAPSED[d.unit])
    if d.unit in DAYS:
        days = d.amount * DAYS[d.unit]
        if steady(zone(h), since(h)):
            return ("elapsed", days * 24 * 60)
        return ("days", days, zone(h))
    if d.unit in MONTHS:
        return ("months", d.amount * MONTHS[d.unit], zone(h))
    return (d.unit, d.amount, calendar_key(h))


def on_calendar(d: ir.Duration, h: ir.Header) -> bool:
    """Whether the duration depends on the policy's calendar or zone (it is not a plain length there)."""
    return duration_key(d, h)[0] != "elapsed"


def timing_key(t: ir.Timing, h: ir.Header) -> Hashable:
    """:func:`duration_key` for a timing: the same kind and anchor, and durations of the same length."""
    return (t.kind, duration_key(t.duration, h) if t.duration is not None else None, t.anchor)


def _days(d: ir.Duration | None) -> bool:
    return d is not None and d.amount != 0 and d.unit in DAYS


def same_meaning(old, new, old_header: ir.Header, new_header: ir.Header) -> str | None:
    """Why two different durations (or timings) mean the same, or None when they do not.

    ``"same length"``; when a day is equated with 24 hours, the zone that makes it so is named.
    """
    if isinstance(old, ir.Duration) and isinstance(new, ir.Duration):
        if duration_key(old, old_header) != duration_key(new, new_header):
            return None
        pair = (old, new)
    elif isinstance(old, ir.Timing) and isinstance(new, ir.Timing):
        if timing_key(old, old_header) != timing_key(new, new_header):
            return None
        pair = (old.duration, new.duration)
    else:
        return None
    # Days against days (or weeks) are the same length in any zone; days against hours only in a steady one.
    days = [h for d, h in zip(pair, (old_header, new_header)) if _days(d)]
    if len(days) != 1:
        return "same length"
    h = days[0]
    return f"same length: {zone(h)} keeps {offset_text(zone(h))} from {since(h).isoformat()} on"


def offset_changes(timezone: str, first_year: int, years: int = 2) -> list[dt.datetime]:
    """UTC instants (to the hour) at which ``timezone`` changes its UTC offset in ``years`` from ``first_year``."""
    from zoneinfo import ZoneInfo

    try:
        tz = ZoneInfo(timezone)
    except (KeyError, ValueError, TypeError, OSError):
        return []
    utc = dt.timezone.utc
    at = dt.datetime(max(1, first_year), 1, 1, tzinfo=utc)
    end = dt.datetime(min(9998, first_year + years), 1, 1, tzinfo=utc)
    step, hour = dt.timedelta(hours=12), dt.timedelta(hours=1)
    out: list[dt.datetime] = []
    before = at.astimezone(tz).utcoffset()
    while at < end:
        nxt = at + step
        after = nxt.astimezone(tz).utcoffset()
        if after != before:
            t = at
            while t.astimezone(tz).utcoffset() == before:  # to the hour
                t += hour
            out.append(t)
            before = after
        at = nxt
    return out


def _naive_minutes(d: ir.Duration | None) -> int | None:
    """The length of a duration counting a day as 24 hours; None for units that are not lengths of time."""
    if d is None or d.amount == 0:
        return 0
    if d.unit in ELAPSED:
        return d.amount * ELAPSED[d.unit]
    if d.unit in DAYS:
        return d.amount * DAYS[d.unit] * 24 * 60
    return None


def zone_note(old, new, old_header: ir.Header, new_header: ir.Header) -> str | None:
    """Why two durations (or timings) that look the same length (``1 day``, ``24 hours``) are compared as
    different: a zone whose UTC offset changes. None when that is not the case."""
    if isinstance(old, ir.Timing) and isinstance(new, ir.Timing):
        if (old.kind, old.anchor) != (new.kind, new.anchor):
            return None
        old, new = old.duration, new.duration
    if not (isinstance(old, ir.Duration) and isinstance(new, ir.Duration)):
        return None
    length = _naive_minutes(old)
    if length is None or length != _naive_minutes(new):
        return None
    if duration_key(old, old_header) == duration_key(new, new_header):
        return None
    h = old_header if _days(old) else new_header
    hint = "" if h.effective else " (no effective date is declared: records are taken to date from 1970)"
    return (
        f"{show_duration(old)} and {show_duration(new)} are compared as different: a day is 24 hours "
        f"only where the zone keeps one UTC offset, and {zone(h)} changes its offset after "
        f"{since(h).isoformat()}{hint}"
    )
