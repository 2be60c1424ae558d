"""``complaint-rules check PATH...``: parse, resolve overlays and check policies."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from ..errors import Diagnostic, PolicyError
from ..language.overlay import near_misses
from ..policy import Policy, load, loads, parse_file
from ._paths import STDIN, STDIN_NAME, policy_files, read_stdin
from .style import report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check policy files for errors", description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories; '-' reads standard input")
    p.add_argument("--stdin-format", choices=("dsl", "yaml"), default="dsl",
                   help="the syntax of a policy read from standard input (default dsl)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.add_argument("--horizon", type=int, default=60, metavar="DAYS",
                   help="warn when a policy's calendar data ends within DAYS days of today (default 60)")
    p.add_argument("--today", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="the date the horizon is measured from (default: today, or $COMPLAINT_RULES_TODAY)")
    p.set_defaults(func=run)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: expected YYYY-MM-DD") from None


def today(given: dt.date | None) -> dt.date:
    if given is not None:
        return given
    env = os.environ.get("COMPLAINT_RULES_TODAY")
    if env:
        try:
            return dt.date.fromisoformat(env)
        except ValueError:
            raise ValueError(f"COMPLAINT_RULES_TODAY={env!r}: expected YYYY-MM-DD") from None
    return dt.date.today()


def horizon_warning(policy: Policy, day: dt.date, days: int) -> str | None:
    """A warning when the policy's calendar stops knowing working days within ``days`` days of ``day``."""
    h = policy.ir.header
    if h.calendar is None:
        return None
    cal = policy.compiled.calendar
    year = day.year
    if not cal.covers(year):
        return (f"warning: the {cal.country!r} calendar has no holiday data for {year} (today is {day}): "
                "working-day deadlines fail; supply the year's calendar data (--calendar-data)")
    while cal.covers(year + 1) and year < dt.MAXYEAR:
        year += 1
    end = dt.date(year, 12, 31)
    left = (end - day).days
    if left > days:
        return None
    return (f"warning: the {cal.country!r} calendar's holiday data ends {end} ({left} days from {day}; "
            f"{cal.source_of(year)}): working-day deadlines after it cannot be placed (incomplete decisions) "
            f"until {year + 1}'s data is supplied (--calendar-data, docs/calendar.md)")


def override_warnings(policy: Policy, path: Path) -> list[Diagnostic]:
    """An overlay's new rules whose ids are near misses of its base's rule ids (:func:`near_misses`)."""
    if policy.source.extends is None:
        return []
    _, base = parse_file(Path(path).parent / policy.source.extends)  # it loaded: so does its base
    return near_misses(base, policy.source)


def run(args: argparse.Namespace) -> int:
    files = policy_files(args.paths)
    failed = 0
    day = today(args.today)
    for path in files:
        try:
            # comments are only for formatting
            if path == STDIN:
                policy = loads(read_stdin(), args.stdin_format, STDIN_NAME, comments=False)
            else:
                policy = load(path, comments=False)
        except PolicyError as exc:
            failed += 1
            report(exc.render(), sys.stderr)
            continue
        if path == STDIN:
            path = STDIN_NAME
        if path != STDIN_NAME:
            for diagnostic in override_warnings(policy, path):
                report(diagnostic.render(), sys.stdout)
        warning = horizon_warning(policy, day, args.horizon)
        if warning:
            report(f"{path}: {warning}", sys.stdout)  # with the ok lines, in order: a warning is no failure
        if not args.quiet:
            print(f"{path}: ok")
    if not files:
        print("no policy files found", file=sys.stderr)
        return 1
    print(f"{len(files)} checked, {failed} with errors", file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0
