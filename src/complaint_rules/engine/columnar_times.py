"""Calendar shifts over whole columns of instants: what the columnar engine times every clock with.

Instants are int64 microseconds since 1970-01-01 UTC with a validity mask. :class:`ColumnShifter` gives,
for one duration, the shifted instants of a column and the rows the calendar could not place:

- elapsed time (minutes, hours, ``immediately``) is an addition, in any zone;
- where the policy's zone keeps one UTC offset over the years in question, calendar days and weeks are an
  addition too, and working days, business hours and end of day are lookups in a per-calendar date table
  (working-day flags incl. make-up days, and the ordinal of each working day);
- every other start (months and years, ``before`` by working days or business hours, zones with daylight
  saving time, a date outside the table) goes through the calendar's own shifter, once per distinct start.

The results are exactly :meth:`Calendar.shifter`'s; ``tests/test_columnar.py`` holds them to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from .. import ir
from ..calendars import Calendar
from ..errors import CalendarError

__all__ = ["ColumnShifter", "DateTable", "from_micros", "to_micros"]

DAY = 86_400_000_000  # microseconds
_HOUR = 3_600_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_US = dt.timedelta(microseconds=1)
# Starts outside these years take the calendar's own path (its range checks say what overflows).
_LOW, _HIGH = (dt.datetime(y, 1, 1, tzinfo=dt.timezone.utc) for y in (1900, 2400))
LOW_US, HIGH_US = ((t - _EPOCH) // _US for t in (_LOW, _HIGH))


def to_micros(t: dt.datetime) -> int:
    return (t - _EPOCH) // _US


def from_micros(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=int(us))


def _offset_us(cal: Calendar, first: int, last: int) -> int | None:
    """The zone's one UTC offset over the years ``first..last``, or None where it changes (DST)."""
    tz = cal.tzinfo
    start = dt.datetime(first, 1, 1, tzinfo=tz)
    offset = start.utcoffset()
    hours = 12
    probes = ((last - first + 2) * 366 * 24) // hours
    for k in range(1, probes):  # twice a day, as Calendar's own steadiness check
        if (start + dt.timedelta(hours=hours * k)).utcoffset() != offset:
            return None
    return offset // _US


def _months(us: np.ndarray, off: int, months: int) -> np.ndarray:
    """``months`` calendar months on, at the same wall time, in a zone of one UTC offset ``off``
    (Calendar._shift_months: the same day of the month, or the month's last day when it is shorter)."""
    local = us + off
    day = local // DAY
    clock = local - day * DAY
    dates = day.astype("datetime64[D]")
    month = dates.astype("datetime64[M]")
    dom = (dates - month.astype("datetime64[D]")).astype(np.int64)  # 0-based day of the month
    target = month + np.timedelta64(months, "M")
    length = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    shifted = target.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, length - 1)
    return shifted * DAY + clock - off


class DateTable:
    """Working-day flags of consecutive years with data, and the n-th working day after a day, as arrays."""

    def __init__(self, cal: Calendar, first: int, last: int):
        years = []
        for year in range(first, last + 1):
            try:
                cal.is_working_day(dt.date(year, 1, 1))
            except CalendarError:
                if years:
                    break  # the table stops before the first year without data
                continue
            years.append(year)
        self.base = dt.date(years[0], 1, 1).toordinal() - _EPOCH_ORDINAL if years else 0  # epoch days
        days = (dt.date(years[-1] + 1, 1, 1).toordinal() - dt.date(years[0], 1, 1).toordinal()) if years else 0
        flags = np.zeros(days, dtype=bool)
        day = dt.date(years[0], 1, 1) if years else None
        for i in range(days):
            flags[i] = cal.is_working_day(day + dt.timedelta(days=i))
        self.flags = flags
        self.count = np.cumsum(flags)  # working days up to and including each day
        self.working = np.flatnonzero(flags)  # index of each working day

    def index(self, epoch_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Table index of each day, and whether it is in the table."""
        i = epoch_day - self.base
        inside = (i >= 0) & (i < len(self.flags))
        return np.where(inside, i, 0), inside

    def nth(self, i: np.ndarray, n: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
        """Index of the n-th (n > 0) working day after day ``i``, and whether the table holds it."""
        k = self.count[i] + n - 1
        inside = k < len(self.working)
        return self.working[np.where(inside, k, 0)] if len(self.working) else i, inside & (len(self.working) > 0)


class ColumnShifter:
    """Shifts of whole columns by one calendar; date tables are built for the years a batch meets."""

    def __init__(self, cal: Calendar):
        self.cal = cal
        self.open = (cal.hours[0].hour * 60 + cal.hours[0].minute) * 60_000_000 if cal.hours else 0
        self.close = (cal.hours[1].hour * 60 + cal.hours[1].minute) * 60_000_000 if cal.hours else DAY
        self.hours_set = cal.hours is not None
        self._tables: dict[tuple[int, int], tuple[int | None, DateTable | None]] = {}
        self._shifters: dict[tuple[ir.Duration, int], Callable] = {}

    def _frame(self, first: int, last: int, tables: bool) -> tuple[int | None, DateTable | None]:
        key = (first, last)
        if key not in self._tables:
            off = _offset_us(self.cal, first, last)
            self._tables[key] = (off, None)
        off, table = self._tables[key]
        if tables and off is not None and table is None:
            table = DateTable(self.cal, first, last)
            self._tables[key] = (off, table)
        return off, table

    def shift(self, us: np.ndarray, valid: np.ndarray, duration: ir.Duration, sign: int = 1
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
        """``(shifted, placed, failed)``: the shifted instants (where ``placed``) of the valid rows, and the
        valid rows whose shift the calendar refused (a year without data, out of range, a bad duration)."""
        out = np.zeros(len(us), dtype=np.int64)
        done = np.zeros(len(us), dtype=bool)
        n = duration.amount * sign
        unit = duration.unit
        sane = valid & (us >= LOW_US) & (us < HIGH_US)
        fixed = ir.fixed_length(ir.Duration(abs(n), unit)) if unit != "end_of_day" else None
        if unit != "end_of_day" and n == 0:  # the start itself (Calendar._shift)
            out[sane] = us[sane]
            done = sane.copy()
        elif unit in ("minutes", "hours") and fixed is not None:
            out[sane] = us[sane] + (fixed // _US) * (1 if n >= 0 else -1)
            done = sane.copy()
        elif sane.any():
            lo, hi = us[sane].min(), us[sane].max()
            first = from_micros(lo).year - 1
            spans = {"days": 365, "weeks": 52, "working_days": 200, "end_of_day": 200, "business_hours": 500,
                     "months": 12, "years": 1}
            first -= abs(n) // spans.get(unit, 1) + 1 if n < 0 else 0
            last = from_micros(hi).year + 2 + max(0, n) // spans.get(unit, 1)
            needs_table = unit in ("working_days", "business_hours", "end_of_day") and n >= 0
            off, table = self._frame(first, last, needs_table)
            if off is not None:
                if unit in ("days", "weeks") and fixed is not None:
                    out[sane] = us[sane] + (fixed // _US) * (1 if n >= 0 else -1)
                    done = sane.copy()
                elif unit in ("months", "years"):
                    out[sane] = _months(us[sane], off, n * 12 if unit == "years" else n)
                    done = sane.copy()
                elif needs_table and table is not None and len(table.flags):
                    got, ok = self._by_table(us, off, table, n, unit)
                    ok &= sane
                    out[ok] = got[ok]
                    done = ok
        rest = valid & ~done
        failed = np.zeros(len(us), dtype=bool)
        if rest.any():
            self._slow(us, rest, duration, sign, out, done, failed)
        return out, done, failed

    def _by_table(self, us: np.ndarray, off: int, t: DateTable, n: int, unit: str):
        local = us + off
        day = local // DAY
        clock = local - day * DAY
        i, ok = t.index(day)
        works = t.flags[i] & ok
        # The first business moment at or after the start (Calendar._forward).
        stays = works & (clock <= self.close)
        nxt, ok1 = t.nth(i, 1)
        ok &= stays | ok1
        i = np.where(stays, i, nxt)
        clock = np.where(stays, np.maximum(clock, self.open), self.open)
        if unit == "working_days":
            j, ok2 = t.nth(i, n)
            return (j + t.base) * DAY + clock - off, ok & ok2
        if unit == "end_of_day":
            if n == 0:
                return (i + t.base) * DAY + self.close - off, ok
            j, ok2 = t.nth(i, n)
            return (j + t.base) * DAY + self.close - off, ok & ok2
        # business hours
        left = n * _HOUR
        room = self.close - clock
        same = left <= room
        length = self.close - self.open
        left2 = left - room
        skip = np.where(same, 0, (left2 - 1) // length)
        j, ok2 = t.nth(i, 1 + skip)
        later = (j + t.base) * DAY + self.open + left2 - skip * length - off
        today = (i + t.base) * DAY + clock + left - off
        return np.where(same, today, later), ok & (same | ok2)

    def _slow(self, us, rows, duration, sign, out, done, failed) -> None:
        """The calendar's own shifter, once per distinct start."""
        key = (duration, sign)
        fn = self._shifters.get(key)
        if fn is None:
            try:
                fn = self.cal.shifter(duration, sign)
            except (CalendarError, ValueError) as exc:
                error = exc

                def fn(start, error=error):
                    raise error

            self._shifters[key] = fn
        starts, inverse = np.unique(us[rows], return_inverse=True)
        got = np.zeros(len(starts), dtype=np.int64)
        ok = np.zeros(len(starts), dtype=bool)
        for k, start in enumerate(starts.tolist()):
            try:
                got[k] = to_micros(fn(from_micros(start)))
                ok[k] = True
            except Exception:  # noqa: BLE001 - the row engine decides such a row (and words its problem)
                pass
        where = np.flatnonzero(rows)
        out[where] = got[inverse]
        done[where] = ok[inverse]
        failed[where] = ~ok[inverse]
