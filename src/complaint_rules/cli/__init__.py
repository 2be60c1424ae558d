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
from .helptext import EXAMPLES, finish
from .style import MODES, color_mode, report

COMMANDS = ("check", "fmt", "convert", "schema", "dump", "eval", "explain", "agenda", "test", "prove", "diff", "calendar",
            "log", "replay", "completion", "lsp")  # fmt: skip
# Commands that load policies take --calendar-data (docs/calendar.md); `calendar` adds its own.
LOADING = ("check", "dump", "eval", "explain", "agenda", "test", "prove", "diff", "log", "replay")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def version() -> str:
    """The installed distribution's version."""
    from importlib import metadata

    try:
        return metadata.version("complaint-rules")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The ``complaint-rules`` parser, with every sub-command of :data:`COMMANDS` that is installed."""
    parser = argparse.ArgumentParser(
        prog="complaint-rules",
        description="Run, check, prove and diff complaint-handling policies.",
        epilog="examples:\n" + "\n".join(f"  {EXAMPLES[name][0][0]}" for name in ("check", "eval", "prove", "diff"))
        + "\n\n'complaint-rules COMMAND --help' describes a command, with examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"complaint-rules {version()}")
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
        command = sub.choices[name]
        if name in LOADING:
            add_calendar_data(command)
        command.add_argument("--color", choices=MODES, default="auto",
                             help="colour diagnostics: auto (when writing to a terminal; NO_COLOR and FORCE_COLOR "
                             "are honoured), always or never")  # fmt: skip
        finish(command, name)
    return parser


def add_calendar_data(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calendar-data", action="append", default=[], metavar="DIR",
                   help="calendar data files (a directory of *.yaml, or one file) for years or days the "
                   "holiday packages lack; repeatable; after the policy's own 'data' file, before "
                   "$COMPLAINT_RULES_CALENDAR_DATA")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (0 success, 1 findings, 2 usage errors)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or 0)
    try:
        with default_calendar_data(getattr(args, "calendar_data", None) or ()), color_mode(args.color):
            return int(args.func(args))
    except PolicyError as exc:
        with color_mode(args.color):
            report(exc.render(), sys.stderr)
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
