"""``complaint-rules calendar COUNTRY``: which years a calendar knows working days for, and from where."""

from __future__ import annotations

import argparse

from ..calendars import calendar, data_from_env


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calendar", help="show which years a calendar covers, and each year's source",
                       description=__doc__)  # fmt: skip
    p.add_argument("country", metavar="COUNTRY", help="a calendar code: CN, US, GB-ENG, NONE, ...")
    p.add_argument("--year", type=int, default=None, help="show this year only (exit 1 when it is not covered)")
    p.add_argument("--calendar-data", action="append", default=[], metavar="DIR",
                   help="calendar data files (a directory of *.yaml, or one file); repeatable; "
                   "before $COMPLAINT_RULES_CALENDAR_DATA")  # fmt: skip
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cal = calendar(args.country, data=[*args.calendar_data, *data_from_env()])
    if args.year is not None:
        source = cal.source_of(args.year)
        print(f"{cal.country} {args.year}: {source or 'not covered: working-day deadlines fail'}")
        return 0 if source else 1
    for first, last, source in cal.coverage_ranges():
        years = str(first) if first == last else f"{first}-{last}"
        print(f"{cal.country} {years}: {source}")
    return 0
