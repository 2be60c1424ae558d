"""Where a calendar's official days come from: the holiday packages, and calendar data files a host supplies.

A data file declares a country's official holidays and make-up workdays for whole years, with the notice
they come from (docs/calendar.md, "Calendar data files"); a year it declares is covered. Validated like a
policy: every problem at ``file:line:col`` with a caret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

from complaint_rules.errors import CalendarError, PolicyError
from complaint_rules.span import Source, Span

__all__ = [
    "DATA_ENV",
    "CalendarData",
    "CalendarDataError",
    "DataYear",
    "as_calendar_data",
    "check_agrees",
    "data_flags",
    "data_from_env",
    "load_calendar_data",
    "official_flags",
    "official_source",
    "parse_calendar_data",
    "regional_subdivisions",
    "usual_zone",
]

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
def official_source(country: str) -> _Source:
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
    source = official_source(country)
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


def official_flags(source: _Source, year: int) -> bytearray:
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


def check_agrees(source: _Source, year: DataYear, data: CalendarData) -> None:
    """Supplied data for a year the package also covers must agree with it, unless it says it overrides it."""
    if year.overrides or not source.first <= year.year <= source.last or source.kind == "none":
        return
    mine, theirs = data_flags(source, year), official_flags(source, year.year)
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


def data_flags(source: _Source, year: DataYear) -> bytearray:
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
        from ..errors import Diagnostics

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
            source = official_source(code)
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
