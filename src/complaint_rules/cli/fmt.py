"""``complaint-rules fmt [--check] PATH...``: rewrite .policy files in their canonical form."""

from __future__ import annotations

import argparse
import sys

from ..errors import PolicyError
from ..language.frontend import dsl
from ..language.printer import print_policy
from ..policy import DSL_SUFFIXES, display_path
from ._paths import policy_files


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fmt", help="format .policy files canonically", description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--diff", action="store_true", help="show a unified diff instead of rewriting (implies --check)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    unformatted = errors = 0
    for path in policy_files(args.paths, DSL_SUFFIXES):
        if path.suffix.lower() not in DSL_SUFFIXES:
            errors += 1
            print(f"{display_path(path)}: fmt formats .policy files; a YAML policy's canonical text is "
                  "'complaint-rules convert FILE --to yaml' (which drops comments)", file=sys.stderr)
            continue
        text = path.read_text(encoding="utf-8-sig")
        try:
            formatted = print_policy(dsl.parse(text, display_path(path)))
        except PolicyError as exc:
            errors += 1
            print(exc.render(), file=sys.stderr)
            continue
        if formatted == text:
            continue
        unformatted += 1
        if args.check or args.diff:
            print(f"would reformat {path}")
            if args.diff:
                import difflib

                sys.stdout.writelines(
                    difflib.unified_diff(text.splitlines(True), formatted.splitlines(True), str(path), str(path))
                )
        else:
            path.write_text(formatted, encoding="utf-8")
            print(f"reformatted {path}")
    return 1 if errors or ((args.check or args.diff) and unformatted) else 0
