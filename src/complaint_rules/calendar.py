"""Working days, business hours and time zones: the calendar arithmetic behind every deadline.

The exact meaning of each duration unit is documented in ``docs/calendar.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from array import array
from calendar import isleap as _isleap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from complaint_rules.errors import CalendarError, PolicyError
from complaint_rules.ir import DURATION_UNITS, Duration, fixed_length
from complaint_rules.span import Source, Span

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


def _as_duration(duration: Duration | str) -> Duration:
    if isinstance(duration, Duration):
        if duration.unit not in DURATION_UNITS:
            units = ", ".join(DURATION_UNITS)
            raise CalendarError(f"invalid duration unit {duration.unit!r}; expected one of {units}")
        return duration
    return parse_duration(duration)


# ---------------------------------------------------------------------------- data sources


class _Source(NamedTuple):
    """Where a country's official working days come from, and which years it knows."""

    kind: str  # "cn" (chinesecalendar), "holidays" (the holidays package) or "none"
    code: str
    subdiv: str | None
    first: int
    last: int
    name: str


@cache
def _source(country: str) -> _Source:
    code = country.strip().upper()
    if code == "NONE":
        return _Source("none", code, None, dt.MINYEAR, dt.MAXYEAR, "plain Monday-Friday weekdays")
    if code in ("CN", "CHN"):
        # chinesecalendar, not holidays: it raises for years it has no 调休 data for, where holidays
        # silently estimates (docs/calendar.md compares the two).
        import chinese_calendar

        years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
        version = getattr(chinese_calendar, "__version__", "")
        return _Source("cn", "CN", None, min(years), max(years), f"chinesecalendar {version}".strip())
    import holidays

    base, _, subdiv = code.partition("-")
    try:
        table = holidays.country_holidays(base, subdiv=subdiv or None, years=())
    except NotImplementedError:
        if subdiv:
            try:
                whole = holidays.country_holidays(base, years=())
            except NotImplementedError:
                pass
            else:
                valid = ", ".join(f"{whole.country}-{s}" for s in whole.subdivisions) or "none"
                raise CalendarError(
                    f"unknown calendar {country!r}: {whole.country} has no subdivision {subdiv!r}; "
                    f"expected one of {valid}"
                ) from None
        raise CalendarError(
            f"unknown calendar {country!r}: use a country code known to the holidays package "
            "(e.g. 'CN', 'US', 'US-CA') or 'NONE' for plain weekdays"
        ) from None
    # Releases before start_year/end_year existed computed every year by rule within this range.
    first, last = getattr(table, "start_year", 1901), getattr(table, "end_year", 2100)
    return _Source("holidays", table.country, subdiv or None, first, last, f"holidays {holidays.__version__}")


@cache
def regional_subdivisions(country: str) -> tuple[str, ...]:
    """The subdivisions (``GB-ENG``, ...) of a bare country whose holidays differ from its nationwide ones
    (in 2026 or 2027, by the ``holidays`` package); empty when they do not, or ``country`` names one already."""
    source = _source(country)
    if source.kind != "holidays" or source.subdiv is not None:
        return ()
    import holidays

    def days(subdiv: str | None) -> frozenset:
        return frozenset(holidays.country_holidays(source.code, subdiv=subdiv, years=(2026, 2027)).keys())

    subdivisions = holidays.country_holidays(source.code, years=()).subdivisions
    nationwide = days(None)
    if all(days(s) == nationwide for s in subdivisions):
        return ()
    return tuple(f"{source.code}-{s}" for s in subdivisions)


_USUAL_ZONES = {"CN": "Asia/Shanghai", "GB": "Europe/London", "US": "America/New_York", "TW": "Asia/Taipei",
                "HK": "Asia/Hong_Kong", "JP": "Asia/Tokyo", "DE": "Europe/Berlin", "FR": "Europe/Paris",
                "AU": "Australia/Sydney", "CA": "America/Toronto", "SG": "Asia/Singapore"}  # fmt: skip


_ZONE_TABLE_DIRS = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo")


@cache
def usual_zone(country: str) -> str | None:
    """The time zone a country's deadlines are usually counted in: the first zone ``zone1970.tab`` lists
    for it (its most populous), else a small built-in table; None when neither knows the country."""
    code = country.strip().upper().partition("-")[0]
    code = {"UK": "GB", "CHN": "CN"}.get(code, code)
    for folder in _ZONE_TABLE_DIRS:
        try:
            lines = Path(folder, "zone1970.tab").read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split("\t")
            if len(parts) >= 3 and not line.startswith("#") and code in parts[0].split(","):
                return parts[2]
        break
    return _USUAL_ZONES.get(code)


def _official_flags(source: _Source, year: int) -> bytearray:
    """One byte per day of ``year``: 1 if the official calendar makes it a working day."""
    first = dt.date(year, 1, 1)
    days = [first + dt.timedelta(i) for i in range((dt.date(year, 12, 31) - first).days + 1)]
    if source.kind == "cn":
        from chinese_calendar import is_workday

        return bytearray(is_workday(d) for d in days)
    if source.kind == "holidays":
        import holidays

        table = holidays.country_holidays(source.code, subdiv=source.subdiv, years=year)
        weekend = table.weekend
        extra = getattr(table, "weekend_workdays", set())
        return bytearray((d in extra) if d.weekday() in weekend else (d not in table) for d in days)
    return bytearray(d.weekday() < 5 for d in days)


# ---------------------------------------------------------------------------- calendar data files

DATA_ENV = "COMPLAINT_RULES_CALENDAR_DATA"
_DATA_KEYS = ("country", "subdivision", "source", "years")
_SOURCE_KEYS = ("title", "date", "url")
_YEAR_KEYS = ("holidays", "workdays", "overrides")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


class CalendarDataError(PolicyError, CalendarError):
    """A calendar data file that is wrong, located ``file:line:col`` like a policy error (also a CalendarError)."""

    kind = "calendar"


@dataclass(frozen=True, slots=True)
class DataYear:
    """One year a calendar data file declares: its holidays and make-up workdays."""

    year: int
    holidays: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...]
    overrides: bool = False
    span: Span | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class CalendarData:
    """A loaded calendar data file (docs/calendar.md): a country's official days for some years."""

    country: str  # "CN", or "GB-ENG" with a subdivision
    title: str
    date: dt.date | None
    url: str | None
    years: tuple[DataYear, ...]
    path: str = field(default="<data>", compare=False)

    @property
    def label(self) -> str:
        """Where the data comes from, as coverage reports show it."""
        return f"{self.path} ({self.title})"

    def year(self, year: int) -> DataYear | None:
        return next((y for y in self.years if y.year == year), None)

    def digest(self) -> str:
        """sha256 of what the file means (not its layout or comments): part of a policy's fingerprint."""
        parts = [self.country, self.title, self.date.isoformat() if self.date else "", self.url or ""]
        for y in self.years:
            parts += [str(y.year), ",".join(d.isoformat() for d in y.holidays),
                      ",".join(d.isoformat() for d in y.workdays), str(y.overrides)]  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _weekend(source: _Source) -> frozenset[int]:
    if source.kind == "holidays":
        import holidays

        return frozenset(holidays.country_holidays(source.code, subdiv=source.subdiv, years=()).weekend)
    return frozenset((5, 6))


def _check_agrees(source: _Source, year: DataYear, data: CalendarData) -> None:
    """Supplied data for a year the package also covers must agree with it, unless it says it overrides it."""
    if year.overrides or not source.first <= year.year <= source.last or source.kind == "none":
        return
    mine, theirs = _data_flags(source, year), _official_flags(source, year.year)
    if mine == theirs:
        return
    first = dt.date(year.year, 1, 1)
    days = [first + dt.timedelta(i) for i in range(len(mine)) if mine[i] != theirs[i]]
    word = ("a holiday", "a working day")
    shown = ", ".join(f"{d.isoformat()} is {word[mine[(d - first).days]]} here" for d in days[:3])
    more = f" and {len(days) - 3} more" if len(days) > 3 else ""
    message = (f"{year.year} in {data.path} disagrees with {source.name}, which also covers {year.year}: "
               f"{shown}{more}; set 'overrides: true' under {year.year} if this file replaces those days")  # fmt: skip
    raise CalendarDataError(message, year.span)


def _data_flags(source: _Source, year: DataYear) -> bytearray:
    """One byte per day of the year: a working day unless a weekend day or a holiday, or a declared workday."""
    weekend = _weekend(source)
    first = dt.date(year.year, 1, 1)
    flags = bytearray(
        (first + dt.timedelta(i)).weekday() not in weekend
        for i in range((dt.date(year.year, 12, 31) - first).days + 1)
    )
    for day in year.holidays:
        flags[(day - first).days] = 0
    for day in year.workdays:
        flags[(day - first).days] = 1
    return flags


class _DataReader:
    """Reads one calendar data file into CalendarData; every problem is a located diagnostic."""

    def __init__(self, text: str, name: str):
        from .errors import Diagnostics

        self.source = Source(name, text)
        self.diagnostics = Diagnostics()

    def span(self, node) -> Span:
        s, e = node.start_mark, node.end_mark
        return Span(self.source, s.line + 1, s.column + 1, e.line + 1, e.column + 1)

    def error(self, message: str, node) -> None:
        self.diagnostics.add("calendar", message, self.span(node) if node is not None else None)

    def mapping(self, node, what: str, allowed: tuple[str, ...]) -> dict:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            self.error(f"{what} must be a mapping", node)
            return {}
        out: dict = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name in out:
                self.error(f"'{name}' appears twice in {what}", key)
            elif name not in allowed:
                from difflib import get_close_matches

                close = get_close_matches(str(name), allowed, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(f"unknown key '{name}' in {what}{hint}; expected one of {', '.join(allowed)}", key)
            else:
                out[name] = (key, value)
        return out

    def text(self, node, what: str) -> str | None:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.error(f"{what} must be text", node)
            return None
        return node.value.strip()

    def date(self, node, what: str) -> dt.date | None:
        import yaml

        if isinstance(node, yaml.ScalarNode) and _DATE_TEXT.match(node.value):
            try:
                return dt.date.fromisoformat(node.value)
            except ValueError:
                pass
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        self.error(f"{what}: {shown!r} is not a valid date (YYYY-MM-DD)", node)
        return None

    def read(self) -> CalendarData | None:
        import yaml

        try:
            root = yaml.compose(self.source.text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            span = Span(self.source, mark.line + 1, mark.column + 1) if mark else None
            self.diagnostics.add("calendar", f"not valid YAML: {getattr(exc, 'problem', exc)}", span)
            return None
        if root is None:
            self.diagnostics.add("calendar", "empty calendar data file", Span(self.source, 1, 1))
            return None
        keys = self.mapping(root, "a calendar data file", _DATA_KEYS)
        for need in ("country", "source", "years"):
            if need not in keys and isinstance(root, yaml.MappingNode):
                self.error(f"a calendar data file needs '{need}'", root)
        if not {"country", "source", "years"} <= keys.keys():
            return None
        country = self.text(keys["country"][1], "'country'")
        subdiv = self.text(keys["subdivision"][1], "'subdivision'") if "subdivision" in keys else None
        if country is None:
            return None
        code = country.upper() + (f"-{subdiv.upper()}" if subdiv else "")
        try:
            source = _source(code)
        except CalendarError as exc:
            self.error(str(exc), keys["subdivision" if subdiv else "country"][1])
            return None
        if source.kind == "none":
            self.error("the 'NONE' calendar has no holidays to declare", keys["country"][1])
            return None
        info = self.mapping(keys["source"][1], "'source'", _SOURCE_KEYS)
        title = self.text(info["title"][1], "'source: title'") if "title" in info else None
        if title is None and "title" not in info:
            self.error("'source' needs 'title' (the notice the dates come from)", keys["source"][1])
        when = self.date(info["date"][1], "'source: date'") if "date" in info else None
        url = self.text(info["url"][1], "'source: url'") if "url" in info else None
        weekend = _weekend(source)
        years: list[DataYear] = []
        seen: dict[int, Span] = {}
        node = keys["years"][1]
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self.error("'years' must map each year to its holidays and workdays", node)
            node = yaml.MappingNode("", [])
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or not re.fullmatch(r"\d{4}", key.value):
                self.error(f"{key.value if isinstance(key, yaml.ScalarNode) else 'this'!r} is not a year", key)
                continue
            year = int(key.value)
            if year in seen:
                self.error(f"year {year} is declared twice (first at {seen[year].location()})", key)
                continue
            seen[year] = self.span(key)
            parts = self.mapping(value, f"year {year}", _YEAR_KEYS)
            days: dict[str, dict[dt.date, object]] = {"holidays": {}, "workdays": {}}
            for what in ("holidays", "workdays"):
                if what not in parts:
                    continue
                items = parts[what][1]
                if not isinstance(items, yaml.SequenceNode):
                    self.error(f"'{what}' of {year} must be a list of dates", items)
                    continue
                for item in items.value:
                    day = self.date(item, f"a date in '{what}' of {year}")
                    if day is None:
                        continue
                    if day.year != year:
                        self.error(f"{day.isoformat()} is not in {year}, the year it is listed under", item)
                    elif what == "workdays" and day.weekday() not in weekend:
                        self.error(f"make-up workday {day.isoformat()} is a {day:%A}, already a working day "
                                   f"in {source.code} (a make-up workday is a weekend day)", item)  # fmt: skip
                    elif day in days[what]:
                        self.error(f"{day.isoformat()} is listed twice in '{what}' of {year}", item)
                    else:
                        days[what][day] = item
            for day in sorted(days["holidays"].keys() & days["workdays"].keys()):
                self.error(f"{day.isoformat()} is both a holiday and a workday", days["workdays"][day])
            overrides = False
            if "overrides" in parts:
                flag = parts["overrides"][1]
                if not (isinstance(flag, yaml.ScalarNode) and flag.value in ("true", "false")):
                    self.error(f"'overrides' of {year} must be true or false", flag)
                overrides = isinstance(flag, yaml.ScalarNode) and flag.value == "true"
            years.append(DataYear(year, tuple(sorted(days["holidays"])), tuple(sorted(days["workdays"])),
                                  overrides, self.span(key)))  # fmt: skip
        if title is None:
            return None
        return CalendarData(code, title, when, url, tuple(sorted(years, key=lambda y: y.year)), self.source.name)


def parse_calendar_data(text: str, name: str = "<data>") -> CalendarData:
    """Read the text of a calendar data file; raises :class:`CalendarDataError` with every problem located."""
    reader = _DataReader(text, name)
    data = reader.read()
    if reader.diagnostics:
        items = reader.diagnostics.items
        raise CalendarDataError(items[0].message, items[0].span, diagnostics=items)
    assert data is not None
    return data


def load_calendar_data(path: str | os.PathLike, read: Callable[[Path], str] | None = None) -> tuple[CalendarData, ...]:
    """A calendar data file, or every ``*.yaml``/``*.yml`` file of a directory (sorted by name)."""
    path = Path(path)
    if read is None and path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml"))
        return tuple(d for f in files for d in load_calendar_data(f))
    try:
        text = read(path) if read is not None else path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CalendarError(f"calendar data {str(path)!r}: no such file or directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(f"calendar data {str(path)!r}: cannot be read ({exc})") from None
    try:
        shown = os.path.relpath(path) if read is None else str(path)
    except ValueError:
        shown = str(path)
    return (parse_calendar_data(text, shown),)


def as_calendar_data(data: object) -> tuple[CalendarData, ...]:
    """``data=`` of :func:`calendar`: a CalendarData, a path (file or directory), a parsed mapping, or a sequence."""
    if data is None:
        return ()
    if isinstance(data, CalendarData):
        return (data,)
    if isinstance(data, (str, os.PathLike)):
        return load_calendar_data(data)
    if isinstance(data, dict):
        import yaml

        return (parse_calendar_data(yaml.safe_dump(_plain(data), sort_keys=False), "<mapping>"),)
    if isinstance(data, (list, tuple)):
        return tuple(d for item in data for d in as_calendar_data(item))
    raise CalendarError(
        f"invalid calendar data {data!r}: expected a path, a mapping, a CalendarData or a list of them"
    )


def _plain(value: object) -> object:
    """A parsed mapping with dates as text, so it reads back exactly as the file would."""
    if isinstance(value, dict):
        return {k.isoformat() if isinstance(k, dt.date) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def data_from_env() -> tuple[CalendarData, ...]:
    """The calendar data the ``COMPLAINT_RULES_CALENDAR_DATA`` directories (``os.pathsep``-separated) hold."""
    value = os.environ.get(DATA_ENV, "")
    return tuple(d for part in value.split(os.pathsep) if part for d in load_calendar_data(part))


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
        source = _source(country)
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
            _check_agrees(source, year, item)
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
        flags = _data_flags(self._source, supplied[0]) if supplied else _official_flags(self._source, year)
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
        if not isinstance(when, dt.datetime):
            raise CalendarError(f"expected a timezone-aware datetime, got {type(when).__name__} {when!r}")
        if when.tzinfo is None or when.utcoffset() is None:
            raise CalendarError(f"naive datetime {when.isoformat()}: calendar arithmetic needs a UTC offset")
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
        return self._shift(self._local(start), d.amount, d.unit)

    def subtract(self, start: dt.datetime, duration: Duration | str) -> dt.datetime:
        """``start`` minus ``duration`` (e.g. a reminder 1 day before a deadline)."""
        d = _as_duration(duration)
        if d.unit == "end_of_day":
            raise CalendarError(f"'{d}' is a point in time, not a length: it cannot be subtracted")
        return self._shift(self._local(start), -d.amount, d.unit)

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
