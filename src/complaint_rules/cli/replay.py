"""``complaint-rules replay LOG [--policy POLICY]``: decide the logged inputs again and report every difference.

Without ``--policy`` each entry is decided under the policy it was logged from (its path in the log);
with it, under that policy instead. Exit 0 when every decision is the same, 1 when some differ or cannot
be decided again, 2 when the log cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="re-decide a decision log and report every difference",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("log", metavar="LOG", help="the log: FILE.jsonl, postgresql://..., or an SQLite file")
    p.add_argument("--policy", metavar="POLICY", help="decide under this policy instead of the logged ones")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..compare import replay
    from ..logs import LogError

    if "://" not in args.log and not os.path.exists(args.log):
        raise FileNotFoundError(f"{args.log}: no such log")
    try:
        report = replay(args.log, args.policy)
    except LogError as exc:
        print(f"complaint-rules replay: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(report.model_dump_json(indent=2) + "\n" if args.json else report.render())
    return 0 if report.clean else 1
