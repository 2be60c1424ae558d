"""``complaint-rules check PATH...``: parse, resolve overlays and check policies."""

from __future__ import annotations

import argparse
import sys

from ..errors import PolicyError
from ..policy import load
from ._paths import policy_files


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="check policy files for errors", description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    files = policy_files(args.paths)
    failed = 0
    for path in files:
        try:
            load(path)
        except PolicyError as exc:
            failed += 1
            print(exc.render(), file=sys.stderr)
            continue
        if not args.quiet:
            print(f"{path}: ok")
    if not files:
        print("no policy files found", file=sys.stderr)
        return 1
    print(f"{len(files)} checked, {failed} with errors", file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0
