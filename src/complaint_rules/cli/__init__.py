"""The ``complaint-rules`` command: a thin layer over the library.

Each sub-command lives in ``complaint_rules.cli.<name>`` with ``register(subparsers)``;
library exceptions become exit codes here, in one place.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import ComplaintRulesError, PolicyError
from ..policy import default_calendar_data

COMMANDS = ("check", "fmt", "convert", "schema", "dump", "eval", "explain", "test", "prove", "diff", "calendar",
            "log", "replay")  # fmt: skip
# Commands that load policies take --calendar-data (docs/calendar.md); `calendar` adds its own.
LOADING = ("check", "dump", "eval", "explain", "test", "prove", "diff", "log", "replay")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="complaint-rules",
        description="Run, check, prove and diff complaint-handling policies.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"complaint_rules.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"complaint_rules.cli.{name}":
                raise
            continue
        module.register(sub)
        if name in LOADING:
            add_calendar_data(sub.choices[name])
    return parser


def add_calendar_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calendar-data", action="append", default=[], metavar="DIR",
                   help="calendar data files (a directory of *.yaml, or one file) for years or days the "
                   "holiday packages lack; repeatable; after the policy's own 'data' file, before "
                   "$COMPLAINT_RULES_CALENDAR_DATA")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    try:
        with default_calendar_data(getattr(args, "calendar_data", None) or ()):
            return int(args.func(args))
    except PolicyError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_FINDINGS
    except ComplaintRulesError as exc:
        print(f"complaint-rules: {exc}", file=sys.stderr)
        return EXIT_FINDINGS
    except (OSError, ValueError) as exc:
        print(f"complaint-rules: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
