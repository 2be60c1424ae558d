"""Working days, business hours and time zones: the calendar arithmetic behind every deadline.

The exact meaning of each duration unit is documented in ``docs/calendar.md``.

Where the official days come from (packages and calendar data files) is :mod:`.calendar_data`.

One module: a Calendar's year tables, working-day caches and shift functions (and their inline
forms for generated code) share its private state; split, they would have to expose it.
"""

from __future__ import annotations

import datetime as dt
import re
from array import array
from calendar import isleap as _isleap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from complaint_rules.calendars.data import (
    CalendarData,
    CalendarDataError,
    DataYear,
    as_calendar_data,
    check_agrees,
    data_flags,
    data_from_env,
    load_calendar_data,
    official_flags,
    official_source,
    parse_calendar_data,
    regional_subdivisions,
    usual_zone,
)
from complaint_rules.errors import CalendarError
from complaint_rules.ir import DURATION_UNITS, Duration, fixed_length

__all__ = [
    "Calendar",
    "CalendarData",
    "CalendarDataError",
    "DataYear",
    "Interval",
    "as_calendar_data",
    "data_from_env",
    "calendar",
    "load_calendar_data",
    "parse_calendar_data",
    "parse_duration",
    "regional_subdivisions",
    "usual_zone",
]

_UTC = dt.timezone.utc
_ZERO = dt.timedelta(0)
_FULL_DAY = dt.timedelta(days=1)
_MIDNIGHT = dt.time(0)
_DATETIME = dt.datetime
_TZ_KINDS = (dt.timezone, ZoneInfo)  # tzinfo classes whose utcoffset is never None for a datetime
_COMBINE = dt.datetime.combine
_UNSET = object()  # a start no caller can pass
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_NTH_CACHE_MAX = 65536  # (day, n) -> n-th working day entries kept per calendar before starting afresh

# ---------------------------------------------------------------------------- durations

_UNIT_WORDS = {
    "immediately": None,
    "minute": "minutes", "minutes": "minutes", "min": "minutes",
    "hour": "hours", "hours": "hours", "h": "hours",
    "business hour": "business_hours", "business hours": "business_hours", "bh": "business_hours",
    "day": "days", "days": "days", "d": "days",
    "working day": "working_days", "working days": "working_days", "wd": "working_days",
    "business day": "working_days", "business days": "working_days",
    "week": "weeks", "weeks": "weeks", "w": "weeks",
    "month": "months", "months": "months", "mo": "months",
    "year": "years", "years": "years", "y": "years",
}  # fmt: skip
for _unit in DURATION_UNITS:  # the IR spelling itself, e.g. "working_days"
    _UNIT_WORDS.setdefault(_unit, _unit)

_DURATION_RE = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*([a-z_][a-z_ ]*)")
_EXPECTED = (
    "expected '<whole number> <unit>' with unit minutes, hours, business hours, days, working days, "
    "weeks, months or years (singular or plural), a shorthand such as 30min 2h 8bh 3d 1wd 2w 1mo 2y, "
    "'immediately', or the close of a working day: 'end of day', 'end of 2 working days'"
)


def parse_duration(text: str) -> Duration:
    """Parse ``"1 working day"``, ``"2h"``, ``"3 business hours"`` or ``"immediately"`` into a Duration."""
    if not isinstance(text, str):
        raise CalendarError(f"invalid duration {text!r}: {_EXPECTED}")
    return _parse_duration(text)


@lru_cache(maxsize=512)
def _parse_duration(text: str) -> Duration:
    norm = " ".join(text.lower().split())
    if norm == "immediately":
        return Duration(0, "minutes")
    if norm in ("end of day", "end_of_day"):
        return Duration(0, "end_of_day")
    if norm.startswith("end of "):
        inner = _parse_duration(norm[len("end of "):])
        if inner.unit != "working_days":
            raise CalendarError(f"invalid duration {text!r}: 'end of' counts working days, e.g. 'end of 2 working days'")
        return Duration(inner.amount, "end_of_day")
    match = _DURATION_RE.fullmatch(norm)
    if match is None:
        raise CalendarError(f"invalid duration {text!r}: {_EXPECTED}")
    number, word = match.group(1), match.group(2).strip()
    unit = _UNIT_WORDS.get(word)
    if unit is None:
        raise CalendarError(f"invalid duration {text!r}: unknown unit {word!r}; {_EXPECTED}")
    if not number.lstrip("+-").isdigit():
        raise CalendarError(f"invalid duration {text!r}: the amount must be a whole number (use a smaller unit)")
    if number.startswith("-"):
        raise CalendarError(f"invalid duration {text!r}: the amount must not be negative (use 'before' instead)")
    return Duration(int(number), unit)


def _check_aware(when: object) -> None:
    """CalendarError unless ``when`` is an aware datetime."""
    if not isinstance(when, dt.datetime):
        raise CalendarError(f"expected a timezone-aware datetime, got {type(when).__name__} {when!r}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise CalendarError(f"naive datetime {when.isoformat()}: calendar arithmetic needs a UTC offset")


def _as_duration(duration: Duration | str) -> Duration:
    if isinstance(duration, Duration):
        if duration.unit not in DURATION_UNITS:
            units = ", ".join(DURATION_UNITS)
            raise CalendarError(f"invalid duration unit {duration.unit!r}; expected one of {units}")
        return duration
    return parse_duration(duration)


class _Year(NamedTuple):
    base: int  # ordinal of 1 January
    flags: bytes  # 1 = working day
    cum: array  # cum[i] = working days among the first i days of the year


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Interval:
    """What lies between two instants; every count is negative when ``end`` is before ``start``.

    ``working_days`` is the largest n with ``add(start, n working days) <= end``; ``business_time``
    is the time inside business hours of working days between the two (wall clock).
    """

    start: dt.datetime
    end: dt.datetime
    elapsed: dt.timedelta
    calendar_days: int
    working_days: int
    business_time: dt.timedelta

    @property
    def business_minutes(self) -> int:
        """Whole business minutes, rounded toward zero."""
        seconds = int(self.business_time.total_seconds())
        return seconds // 60 if seconds >= 0 else -(-seconds // 60)

    @property
    def business_hours(self) -> float:
        return self.business_time.total_seconds() / 3600


# ---------------------------------------------------------------------------- the calendar


def _parse_hours(hours: str | tuple[dt.time, dt.time] | None) -> tuple[dt.time, dt.time] | None:
    if hours is None:
        return None
    if isinstance(hours, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", hours)
        if match is None:
            raise CalendarError(f"invalid business hours {hours!r}: expected 'HH:MM-HH:MM'")
        try:
            a, b, c, d = (int(g) for g in match.groups())
            opening, closing = dt.time(a, b), dt.time(c, d)
        except ValueError:
            raise CalendarError(f"invalid business hours {hours!r}: not a time of day") from None
    elif isinstance(hours, tuple) and len(hours) == 2 and all(isinstance(t, dt.time) for t in hours):
        opening, closing = hours
        if opening.tzinfo is not None or closing.tzinfo is not None:
            raise CalendarError("business hours are wall-clock times of the calendar's zone: drop tzinfo")
    else:
        raise CalendarError(f"invalid business hours {hours!r}: expected 'HH:MM-HH:MM' or (time, time)")
    if opening >= closing:
        raise CalendarError(f"invalid business hours {hours!r}: opening must come before closing")
    return (opening, closing)


def _parse_dates(values: Iterable[dt.date | str], what: str) -> tuple[dt.date, ...]:
    out = set()
    for value in (values,) if isinstance(values, (str, dt.date)) else values:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise CalendarError(f"invalid {what} date {value!r}: expected YYYY-MM-DD") from None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise CalendarError(f"invalid {what} {value!r}: expected a date")
        out.add(value)
    return tuple(sorted(out))


def _clock(t: dt.time | dt.datetime) -> dt.timedelta:
    """The wall-clock time of day as the time since midnight."""
    return dt.timedelta(0, t.hour * 3600 + t.minute * 60 + t.second, t.microsecond)


class Calendar:
    """Working days, business hours and a time zone; immutable, thread-safe and picklable.

    Per-year working-day tables are built lazily on first use and kept; building one twice in a race
    is harmless because both builds give the same immutable table.
    """

    __slots__ = (
        "_close",
        "_data",
        "_day",
        "_key",
        "_nth",
        "_open",
        "_source",
        "_steady",
        "_years",
        "country",
        "data",
        "holidays",
        "hours",
        "timezone",
        "tzinfo",
        "workdays",
    )  # fmt: skip

    def __init__(
        self,
        country: str = "CN",
        hours: str | tuple[dt.time, dt.time] | None = None,
        timezone: str = "UTC",
        holidays: Iterable[dt.date | str] = (),
        workdays: Iterable[dt.date | str] = (),
        data: object = None,
    ):
        if not isinstance(country, str):
            raise CalendarError(f"invalid calendar {country!r}: expected a country code such as 'CN'")
        source = official_source(country)
        span = _parse_hours(hours)
        try:
            tzinfo = ZoneInfo(timezone)
        except (KeyError, ValueError, TypeError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise CalendarError(
                f"unknown time zone {timezone!r}: expected an IANA name such as 'Asia/Shanghai'"
            ) from None
        hol = _parse_dates(holidays, "holiday")
        work = _parse_dates(workdays, "workday")
        both = sorted(set(hol) & set(work))
        if both:
            raise CalendarError(f"{both[0].isoformat()} is declared both a holiday and a workday")
        code = source.code if source.subdiv is None else f"{source.code}-{source.subdiv}"
        supplied = tuple(d for d in as_calendar_data(data) if d.country == code)
        by_year: dict[int, tuple[DataYear, CalendarData]] = {}
        for item in supplied:  # earlier data wins a year (docs/calendar.md: precedence)
            for year in item.years:
                by_year.setdefault(year.year, (year, item))
        if source.kind == "none" and by_year:
            raise CalendarError("the 'NONE' calendar has no holidays: calendar data cannot apply to it")
        for year, item in by_year.values():
            check_agrees(source, year, item)
        set_ = object.__setattr__
        set_(self, "country", code)
        set_(self, "data", supplied)
        set_(self, "_data", by_year)
        set_(self, "hours", span)
        set_(self, "timezone", timezone)
        set_(self, "holidays", hol)
        set_(self, "workdays", work)
        set_(self, "tzinfo", tzinfo)
        set_(self, "_source", source)
        set_(self, "_open", _clock(span[0]) if span else _ZERO)
        set_(self, "_close", _clock(span[1]) if span else _FULL_DAY)
        set_(self, "_day", self._close - self._open)
        set_(self, "_years", {})
        set_(self, "_steady", {})  # year -> whether the zone keeps one UTC offset all year (no DST)
        set_(self, "_nth", {})  # (ordinal, n) -> n-th working day after it, for the shifters
        set_(self, "_key", (self.country, span, timezone, hol, work, supplied))

    # -- identity, immutability, pickling

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Calendar is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Calendar is immutable; cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Calendar) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __reduce__(self):
        # Rebuild through the cached factory: caches are not pickled, and equal calendars are shared.
        return (calendar, self._key)

    def __repr__(self) -> str:
        parts = [repr(self.country)]
        if self.hours:
            parts.append(f"hours='{self.hours[0]:%H:%M}-{self.hours[1]:%H:%M}'")
        parts.append(f"timezone={self.timezone!r}")
        if self.holidays:
            parts.append(f"holidays={len(self.holidays)}")
        if self.workdays:
            parts.append(f"workdays={len(self.workdays)}")
        if self.data:
            parts.append(f"data={len(self.data)}")
        return f"Calendar({', '.join(parts)})"

    # -- coverage and working days

    @property
    def coverage(self) -> tuple[int, int]:
        """First and last year of the unbroken run of covered years around the package's own data
        (supplied years next to it extend it; see :meth:`coverage_ranges` for every covered year)."""
        first, last = self._source.first, self._source.last
        while last + 1 in self._data:
            last += 1
        while first - 1 in self._data:
            first -= 1
        return (first, last)

    @property
    def data_source(self) -> str:
        """The package the calendar's official days come from (supplied data: :meth:`source_of`)."""
        return self._source.name

    def covers(self, year: int) -> bool:
        """Whether working days in ``year`` are known (package data or a supplied data file covers it)."""
        return self._source.first <= year <= self._source.last or year in self._data

    def source_of(self, year: int) -> str | None:
        """Where ``year``'s official days come from: a data file (path and notice title), the package
        (name and version), or None when nothing covers it."""
        if year in self._data:
            return self._data[year][1].label
        if self._source.first <= year <= self._source.last:
            return self._source.name
        return None

    def coverage_ranges(self) -> tuple[tuple[int, int, str], ...]:
        """Every covered year as ``(first, last, source)`` runs of consecutive years with one source."""
        first, last, name = self._source.first, self._source.last, self._source.name
        pieces: list[tuple[int, int, str]] = []
        start = first
        for year in sorted(self._data):
            if first <= year <= last:
                if start <= year - 1:
                    pieces.append((start, year - 1, name))
                start = year + 1
            pieces.append((year, year, self._data[year][1].label))
        if start <= last:
            pieces.append((start, last, name))
        runs: list[tuple[int, int, str]] = []
        for piece in sorted(pieces):
            if runs and runs[-1][2] == piece[2] and runs[-1][1] == piece[0] - 1:
                runs[-1] = (runs[-1][0], piece[1], piece[2])
            else:
                runs.append(piece)
        return tuple(runs)

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is not None:
            return table
        if not self.covers(year):
            first, last = self.coverage
            raise CalendarError(
                f"the {self.country!r} calendar has no holiday data for {year} ({self.data_source} covers "
                f"{first}-{last}); a working-day deadline there would be a guess: update the package "
                "or supply a calendar data file for the year (docs/calendar.md)"
            )
        supplied = self._data.get(year)
        flags = data_flags(self._source, supplied[0]) if supplied else official_flags(self._source, year)
        base = dt.date(year, 1, 1).toordinal()
        for day in self.holidays:
            if day.year == year:
                flags[day.toordinal() - base] = 0
        for day in self.workdays:
            if day.year == year:
                flags[day.toordinal() - base] = 1
        cum = array("l", [0])
        for flag in flags:
            cum.append(cum[-1] + flag)
        table = _Year(base, bytes(flags), cum)
        self._years[year] = table
        return table

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (an aware datetime is first taken to the calendar's zone)."""
        if isinstance(day, dt.datetime):
            day = self._local(day).date()
        elif not isinstance(day, dt.date):
            raise CalendarError(f"expected a date, got {type(day).__name__}")
        return self._works(day)

    def _works(self, day: dt.date) -> bool:
        table = self._years.get(day.year) or self._year(day.year)
        return table.flags[day.toordinal() - table.base] == 1

    def _nth_working(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (n > 0) or before it (n < 0), ``day`` itself excluded."""
        step = 1 if n > 0 else -1
        left = abs(n)
        year = day.year
        table = self._year(year)
        i = day.toordinal() - table.base
        while True:
            # Skip whole years whose remaining working days are too few, so long spans stay cheap.
            remaining = table.cum[-1] - table.cum[i + 1] if step > 0 else table.cum[i]
            if left > remaining:
                left -= remaining
                year += step
                table = self._year(year)
                i = -1 if step > 0 else len(table.flags)
                continue
            while True:
                i += step
                if table.flags[i]:
                    left -= 1
                    if left == 0:
                        return dt.date.fromordinal(table.base + i)

    def _count_working(self, first: int, stop: int) -> int:
        """Working days with ordinal in ``[first, stop)``."""
        total = 0
        while first < stop:
            table = self._year(dt.date.fromordinal(first).year)
            end = min(stop, table.base + len(table.flags))
            total += table.cum[end - table.base] - table.cum[first - table.base]
            first = end
        return total

    # -- instants

    def _local(self, when: dt.datetime) -> dt.datetime:
        _check_aware(when)
        try:
            return when.astimezone(self.tzinfo)
        except (OverflowError, ValueError):  # e.g. 9999-12-31T23:00-05:00 is in year 10000 in Shanghai
            raise CalendarError(f"{when.isoformat()} is out of range in {self.timezone}") from None

    def in_zone(self, when: dt.datetime) -> dt.datetime:
        """``when`` (aware) as a wall time of the calendar's zone; unchanged where that zone cannot show it
        (the first or last moments ``datetime`` knows). Decisions show every time this way."""
        if when.tzinfo is self.tzinfo:
            return when
        try:
            return when.astimezone(self.tzinfo)
        except (OverflowError, ValueError):
            return when

    def _aware(self, day: dt.date, clock: dt.timedelta) -> dt.datetime:
        wall = _COMBINE(day, _MIDNIGHT, self.tzinfo) + clock  # wall-clock addition
        if self._steady.get(wall.year) or self._is_steady(wall.year):
            return wall  # one offset all year: every wall time exists once, so the round trip is the identity
        # Through UTC so a wall time in a DST gap moves forward by the gap instead of not existing.
        return wall.astimezone(_UTC).astimezone(self.tzinfo)

    def _is_steady(self, year: int) -> bool:
        """Whether the zone keeps one UTC offset from 1 January of ``year`` to 2 January of the next."""
        steady = self._steady.get(year)
        if steady is None:
            start = _COMBINE(dt.date(year, 1, 1), _MIDNIGHT, self.tzinfo)
            first = start.utcoffset()
            try:
                # Twice a day catches every offset change except one undone within 12 hours (none exist).
                steady = all((start + dt.timedelta(hours=12 * k)).utcoffset() == first for k in range(1, 736))
            except OverflowError:  # the last year datetime knows: take the general path
                steady = False
            self._steady[year] = steady
        return steady

    def _nth_cached(self, day: dt.date, n: int) -> dt.date:
        key = (day.toordinal(), n)
        found = self._nth.get(key)
        if found is None:
            found = self._nth_working(day, n)
            if len(self._nth) >= _NTH_CACHE_MAX:
                self._nth.clear()  # bounded; a race with another thread only costs a recomputation
            self._nth[key] = found
        return found

    def _forward(self, local: dt.datetime) -> tuple[dt.date, dt.timedelta]:
        """The first business moment at or after ``local``."""
        day, clock = local.date(), _clock(local)
        if self._works(day):
            if clock < self._open:
                return day, self._open
            if clock <= self._close:
                return day, clock
        return self._nth_working(day, 1), self._open

    def _backward(self, local: dt.datetime) -> tuple[dt.date, dt.timedelta]:
        """The last business moment at or before ``local``."""
        day, clock = local.date(), _clock(local)
        if self._works(day):
            if clock > self._close:
                return day, self._close
            if clock >= self._open:
                return day, clock
        return self._nth_working(day, -1), self._close

    # -- arithmetic

    def add(self, start: dt.datetime, duration: Duration | str) -> dt.datetime:
        """``start`` plus ``duration``, as an aware datetime in the calendar's time zone."""
        d = _as_duration(duration)
        if d.amount and d.unit in ("minutes", "hours"):
            return self._elapsed(start, d.amount, d.unit)
        return self._shift(self._local(start), d.amount, d.unit)

    def subtract(self, start: dt.datetime, duration: Duration | str) -> dt.datetime:
        """``start`` minus ``duration`` (e.g. a reminder 1 day before a deadline)."""
        d = _as_duration(duration)
        if d.unit == "end_of_day":
            raise CalendarError(f"'{d}' is a point in time, not a length: it cannot be subtracted")
        if d.amount and d.unit in ("minutes", "hours"):
            return self._elapsed(start, -d.amount, d.unit)
        return self._shift(self._local(start), -d.amount, d.unit)

    def _elapsed(self, start: dt.datetime, n: int, unit: str) -> dt.datetime:
        """Elapsed minutes or hours: the same instant whatever zone the sum is done in, so it is done in the
        start's own offset (or UTC) and only the result need be a time of the calendar's zone: a start that
        zone cannot show (0001-01-01T00:00+14:00) still has a due time 24 hours later. The shifters' shortcut
        and the compiler's inlined sum do the very same, so every evaluator gives the same answer."""
        _check_aware(start)
        try:
            base = start if type(start.tzinfo) is dt.timezone else start.astimezone(_UTC)
            return (base + dt.timedelta(**{unit: n})).astimezone(self.tzinfo)
        except (OverflowError, ValueError) as exc:  # named as the other paths name it: the start in the zone
            local = self._local(start)  # (or that the zone cannot show the start at all)
            raise CalendarError(f"{n} {unit} from {local.isoformat()} is out of range") from exc

    def add_business_time(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """``start`` plus ``delta`` (>= 0) of business time: the first instant with that much time inside
        business hours of working days since ``start`` (as ``business_hours``, to the microsecond). A paused
        clock that counts business time is extended this way (docs/calendar.md, "Clocks that pause")."""
        local = self._local(start)
        if delta <= _ZERO:
            return local
        try:
            day, clock = self._forward(local)
            if delta <= self._close - clock:
                return self._aware(day, clock + delta)
            left = delta - (self._close - clock)
            skip = (left - dt.timedelta(microseconds=1)) // self._day  # whole days used up before the last
            day = self._nth_working(day, 1 + skip)
            return self._aware(day, self._open + left - skip * self._day)
        except CalendarError:
            raise
        except (OverflowError, ValueError) as exc:
            raise CalendarError(f"{delta} of business time from {local.isoformat()} is out of range") from exc

    def shifter(self, duration: Duration | str, sign: int = 1) -> Callable[[dt.datetime], dt.datetime]:
        """``lambda start: add(start, duration)`` (``subtract`` when ``sign`` is -1), faster when called often.

        Gives exactly what :meth:`add` and :meth:`subtract` give, errors included: the common units take
        a shortcut when the result's year has a single UTC offset, everything else goes through
        :meth:`add`. It reuses its last result when asked again about the very same ``start`` object
        (identity, not equality: datetimes equal across zones or folds may still differ, and the kept
        reference stops the object being freed and its id reused); the one (start, result) pair is
        swapped whole, so a shifter may be shared between threads.
        """
        d = _as_duration(duration)
        if sign < 0 and d.unit == "end_of_day":
            def refuse(start: dt.datetime) -> dt.datetime:
                return self.subtract(start, d)

            return refuse
        amount, unit = d.amount if sign >= 0 else -d.amount, d.unit
        fast = self._shortcut(amount, unit)
        last: list[tuple[object, object]] = [(_UNSET, None)]

        def shift(start: dt.datetime) -> dt.datetime:
            seen = last[0]
            if seen[0] is start:
                return seen[1]  # type: ignore[return-value]
            out = None
            if fast is not None and type(start) is _DATETIME and type(start.tzinfo) in _TZ_KINDS:
                try:
                    out = fast(start)
                except (OverflowError, ValueError):
                    pass  # the general path says what is out of range
            if out is None:
                out = self._shift(self._local(start), amount, unit)
            last[0] = (start, out)
            return out

        return shift

    def inline(self, duration: Duration, sign: int = 1) -> tuple[str, dt.timedelta] | None:
        """How the compiler may inline :meth:`shifter`'s common case for ``duration``, or None.

        ``("elapsed", delta)``: for a start whose tzinfo is a ``datetime.timezone``, the result is
        ``(start + delta).astimezone(self.tzinfo)``. ``("wall", delta)``: for a start whose tzinfo is a
        ``timezone`` or ``ZoneInfo``, ``wall = start.astimezone(self.tzinfo) + delta`` is the result when
        the calendar's ``steady`` map (see :meth:`steady_years`) says ``wall.year`` is steady. In every
        other case, and when the arithmetic overflows, the shifter itself decides.
        """
        try:
            d = _as_duration(duration)
        except ValueError:
            return None
        n = d.amount if sign >= 0 else -d.amount
        if d.unit == "end_of_day":
            return None
        if n == 0:
            return "elapsed", dt.timedelta(0)
        length = fixed_length(Duration(n, d.unit))
        if length is None:
            return None
        return ("elapsed" if d.unit in ("minutes", "hours") else "wall"), length

    def steady_years(self) -> dict[int, bool]:
        """The calendar's live cache: year -> whether its zone keeps one UTC offset all that year (filled
        as years are met; a year not in it yet is not known to be steady)."""
        return self._steady

    def _shortcut(self, n: int, unit: str) -> Callable[[dt.datetime], dt.datetime | None] | None:
        """A fast ``start -> shifted`` for one amount and unit, returning None where it cannot be sure."""
        tz, steady, is_steady = self.tzinfo, self._steady, self._is_steady
        if unit == "end_of_day":
            return None
        if n == 0:  # as _shift: the start itself, in the calendar's zone

            def same(start: dt.datetime) -> dt.datetime:
                return start.astimezone(tz)

            return same
        if unit in ("minutes", "hours"):
            delta = fixed_length(Duration(n, unit))

            def elapsed(start: dt.datetime) -> dt.datetime:
                # Elapsed time: the same instant whatever zone the sum is done in, so add in a fixed offset.
                if type(start.tzinfo) is dt.timezone:
                    return (start + delta).astimezone(tz)
                return (start.astimezone(_UTC) + delta).astimezone(tz)

            return elapsed
        if unit in ("days", "weeks"):
            days = fixed_length(Duration(n, unit))

            def calendar_days(start: dt.datetime) -> dt.datetime | None:
                wall = start.astimezone(tz) + days  # wall-clock addition; the sum has fold 0
                return wall if steady.get(wall.year) or is_steady(wall.year) else None

            return calendar_days
        if unit in ("months", "years"):
            months = n * 12 if unit == "years" else n

            def calendar_months(start: dt.datetime) -> dt.datetime | None:
                local = start.astimezone(tz)
                year, month0 = divmod(local.year * 12 + local.month - 1 + months, 12)
                if not (steady.get(year) or is_steady(year)):
                    return None
                # As _shift_months: the same day of the month, or its last day when the month is shorter.
                last = _MONTH_DAYS[month0] + (month0 == 1 and _isleap(year))
                day = min(local.day, last)
                return local.replace(year=year, month=month0 + 1, day=day, fold=0)

            return calendar_months
        works, nth = self._works, self._nth_cached
        opening = self.hours[0] if self.hours else _MIDNIGHT
        closing = self.hours[1] if self.hours else None
        if unit == "working_days" and n > 0:

            def working_days(start: dt.datetime) -> dt.datetime | None:
                local = start.astimezone(tz)
                day, clock = local.date(), local.time()
                # As _forward: the first business moment at or after start, then n working days on.
                if works(day) and (closing is None or clock <= closing):
                    clock = max(clock, opening)
                else:
                    day, clock = nth(day, 1), opening
                day = nth(day, n)
                if not (steady.get(day.year) or is_steady(day.year)):
                    return None
                return _COMBINE(day, clock.replace(fold=0) if clock.fold else clock, tz)

            return working_days
        if unit == "business_hours" and n > 0:
            left_total = dt.timedelta(hours=n)
            open_, close_, length, tick = self._open, self._close, self._day, dt.timedelta(microseconds=1)

            def business_hours(start: dt.datetime) -> dt.datetime | None:
                local = start.astimezone(tz)
                day, clock = self._forward(local)
                if left_total <= close_ - clock:
                    return self._aware(day, clock + left_total)
                left = left_total - (close_ - clock)
                skip = (left - tick) // length  # whole days used up before the last
                return self._aware(nth(day, 1 + skip), open_ + left - skip * length)

            return business_hours
        return None

    def _shift(self, local: dt.datetime, amount: int, unit: str) -> dt.datetime:
        if unit == "end_of_day":
            if amount < 0:
                raise CalendarError(f"'{Duration(-amount, unit)}' is a point in time, not a length: it cannot be subtracted")
            return self._shift_end_of_day(local, amount)  # add() only: subtract() and shifters refuse it first
        if amount == 0:
            return local
        try:
            return getattr(self, _SHIFTS[unit])(local, amount)
        except CalendarError:
            raise  # already says what is wrong (e.g. a year without holiday data)
        except (OverflowError, ValueError) as exc:
            text = f"{amount} {unit.replace('_', ' ')}"
            raise CalendarError(f"{text} from {local.isoformat()} is out of range") from exc

    def _shift_minutes(self, local: dt.datetime, n: int) -> dt.datetime:
        return (local.astimezone(_UTC) + dt.timedelta(minutes=n)).astimezone(self.tzinfo)

    def _shift_hours(self, local: dt.datetime, n: int) -> dt.datetime:
        return (local.astimezone(_UTC) + dt.timedelta(hours=n)).astimezone(self.tzinfo)

    def _shift_weeks(self, local: dt.datetime, n: int) -> dt.datetime:
        return self._shift_days(local, 7 * n)

    def _shift_years(self, local: dt.datetime, n: int) -> dt.datetime:
        return self._shift_months(local, 12 * n)

    def _shift_days(self, local: dt.datetime, days: int) -> dt.datetime:
        clock = _clock(local)
        return self._aware(local.date() + dt.timedelta(days=days), clock)

    def _shift_months(self, local: dt.datetime, months: int) -> dt.datetime:
        year, month0 = divmod(local.year * 12 + local.month - 1 + months, 12)
        following = dt.date(year + (month0 == 11), (month0 + 1) % 12 + 1, 1)
        day = min(local.day, (following - dt.timedelta(days=1)).day)
        clock = _clock(local)
        return self._aware(dt.date(year, month0 + 1, day), clock)

    def _shift_working_days(self, local: dt.datetime, n: int) -> dt.datetime:
        day, clock = self._forward(local) if n > 0 else self._backward(local)
        return self._aware(self._nth_working(day, n), clock)

    def _shift_end_of_day(self, local: dt.datetime, n: int) -> dt.datetime:
        # The first business moment at or after start (as for working days), then the close of that working
        # day (n = 0) or of the n-th working day after it. Without business hours a day closes at 24:00.
        day, _ = self._forward(local)
        try:
            return self._aware(self._nth_working(day, n) if n else day, self._close)
        except CalendarError:
            raise  # already says what is wrong (e.g. a year without holiday data)
        except (OverflowError, ValueError) as exc:
            raise CalendarError(f"{Duration(n, 'end_of_day')} from {local.isoformat()} is out of range") from exc

    def _shift_business_hours(self, local: dt.datetime, n: int) -> dt.datetime:
        left = dt.timedelta(hours=abs(n))
        if n > 0:
            day, clock = self._forward(local)
            if left <= self._close - clock:
                return self._aware(day, clock + left)
            left -= self._close - clock
            skip = (left - dt.timedelta(microseconds=1)) // self._day  # whole days used up before the last
            day = self._nth_working(day, 1 + skip)
            return self._aware(day, self._open + left - skip * self._day)
        day, clock = self._backward(local)
        if left <= clock - self._open:
            return self._aware(day, clock - left)
        left -= clock - self._open
        skip = (left - dt.timedelta(microseconds=1)) // self._day
        day = self._nth_working(day, -1 - skip)
        return self._aware(day, self._close - left + skip * self._day)

    # -- between

    def between(self, start: dt.datetime, end: dt.datetime) -> Interval:
        """Elapsed, calendar-day, working-day and business time from ``start`` to ``end``."""
        a, b = self._local(start), self._local(end)
        # Through UTC: Python subtracts datetimes sharing a tzinfo by wall clock, wrong across DST.
        elapsed = b.astimezone(_UTC) - a.astimezone(_UTC)
        if elapsed < _ZERO:
            back = self.between(b, a)
            return Interval(a, b, elapsed, -back.calendar_days, -back.working_days, -back.business_time)
        days = (b.date() - a.date()).days
        return Interval(a, b, elapsed, days, self._working_days(a, b), self._business(a, b))

    def _working_days(self, a: dt.datetime, b: dt.datetime) -> int:
        day, clock = self._forward(a)
        end_day = b.date()
        if day > end_day:
            return 0
        end_clock = _clock(b)
        count = self._count_working(day.toordinal() + 1, end_day.toordinal())
        if end_day > day and clock <= end_clock and self._works(end_day):
            count += 1
        return count

    def _business(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        first, last = a.date(), b.date()
        a_clock = _clock(a)
        b_clock = _clock(b)
        if first == last:
            if not self._works(first):
                return _ZERO
            return max(_ZERO, min(b_clock, self._close) - max(a_clock, self._open))
        total = self._count_working(first.toordinal() + 1, last.toordinal()) * self._day
        if self._works(first):
            total += max(_ZERO, self._close - max(a_clock, self._open))
        if self._works(last):
            total += max(_ZERO, min(b_clock, self._close) - self._open)
        return total


# unit -> method name: dispatch by table; nothing unpicklable is kept anywhere.
_SHIFTS = {unit: f"_shift_{unit}" for unit in DURATION_UNITS}


def calendar(
    country: str = "CN",
    hours: str | tuple[dt.time, dt.time] | None = None,
    timezone: str = "UTC",
    holidays: Iterable[dt.date | str] = (),
    workdays: Iterable[dt.date | str] = (),
    data: object = None,
) -> Calendar:
    """A shared :class:`Calendar`; equal arguments give the same object, so its tables are built once.

    ``data``: calendar data extending or amending the official days (docs/calendar.md): a path to a data
    file or a directory of them, a parsed mapping, a :class:`CalendarData`, or a list of these; earlier
    ones win a year.
    """
    if isinstance(country, str):
        country = country.strip().upper()
    return _cached(country, _parse_hours(hours), timezone, _parse_dates(holidays, "holiday"),
                   _parse_dates(workdays, "workday"), as_calendar_data(data))  # fmt: skip


@lru_cache(maxsize=256)
def _cached(country, hours, timezone, holidays, workdays, data=()) -> Calendar:
    return Calendar(country, hours, timezone, holidays, workdays, data)
