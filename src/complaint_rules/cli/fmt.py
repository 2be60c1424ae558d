"""``complaint-rules fmt [--check] PATH...``: rewrite .policy files in their canonical form.

``-`` formats standard input to standard output (with ``--check``, prints nothing and exits 1 when it is
not canonical). A summary line ends the output: how many files were reformatted (or would be) and how
many were already canonical.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from ..errors import PolicyError
from ..language.frontend import dsl
from ..language.printer import print_policy
from ..policy import DSL_SUFFIXES, display_path
from ._paths import STDIN, STDIN_NAME, policy_files, read_stdin
from .style import report


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="format .policy files canonically", description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="policy files or directories; '-' formats standard input to standard output")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--diff", action="store_true", help="show a unified diff instead of rewriting (implies --check)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    p.set_defaults(func=run)


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


def _stdin(args: argparse.Namespace) -> int:
    text = read_stdin()
    try:
        formatted = print_policy(dsl.parse(text, STDIN_NAME))
    except PolicyError as exc:
        report(exc.render(), sys.stderr)
        return 1
    if args.diff:
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), formatted.splitlines(True),
                                                   STDIN_NAME, STDIN_NAME))  # fmt: skip
    elif not args.check:
        sys.stdout.write(formatted)
    return 1 if (args.check or args.diff) and formatted != text else 0


def run(args: argparse.Namespace) -> int:
    paths = policy_files(args.paths, DSL_SUFFIXES)
    if STDIN in paths:
        if len(paths) > 1:
            raise ValueError("fmt: '-' (standard input) cannot be mixed with files")
        return _stdin(args)
    unformatted = errors = unchanged = 0
    for path in paths:
        if path.suffix.lower() not in DSL_SUFFIXES:
            errors += 1
            print(f"{display_path(path)}: fmt formats .policy files; a YAML policy's canonical text is "
                  "'complaint-rules convert FILE --to yaml' (which drops comments)", file=sys.stderr)
            continue
        text = Path(path).read_text(encoding="utf-8-sig")
        try:
            formatted = print_policy(dsl.parse(text, display_path(path)))
        except PolicyError as exc:
            errors += 1
            report(exc.render(), sys.stderr)
            continue
        if formatted == text:
            unchanged += 1
            continue
        unformatted += 1
        if args.check or args.diff:
            print(f"would reformat {path}")
            if args.diff:
                sys.stdout.writelines(
                    difflib.unified_diff(text.splitlines(True), formatted.splitlines(True), str(path), str(path))
                )
        else:
            path.write_text(formatted, encoding="utf-8")
            print(f"reformatted {path}")
    if not args.quiet:
        verb = "would be reformatted" if args.check or args.diff else "reformatted"
        parts = [f"{_files(unformatted)} {verb}", f"{_files(unchanged)} already formatted"]
        if errors:
            parts.append(f"{_files(errors)} with errors")
        print(", ".join(parts), file=sys.stderr)
    return 1 if errors or ((args.check or args.diff) and unformatted) else 0
