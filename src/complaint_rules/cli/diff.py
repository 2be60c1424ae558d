"""``complaint-rules diff OLD NEW``: what changed between two policies and which complaints it affects.

OLD and NEW are policy files or git revision specs (``HEAD~1:policies/x.policy``). Exit 0 when the
two are equivalent, 1 when they differ.
"""

from __future__ import annotations

import argparse
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diff",
        help="compare two versions of a policy: rules, decisions, impact",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("old", metavar="OLD", help="the old policy: a file or REV:path")
    p.add_argument("new", metavar="NEW", help="the new policy: a file or REV:path")
    p.add_argument("--corpus", metavar="FILE", help="JSONL or CSV records to decide under both (impact)")
    p.add_argument(
        "--columns", metavar="MAP", help="JSON mapping of corpus columns to record fields (as for eval)"
    )
    p.add_argument("--format", choices=("text", "markdown", "json", "html"), default="text", help="output format")
    p.add_argument(
        "--max-bytes", type=int, metavar="N", help="markdown: shorten the report to at most N bytes (PR comment limits)"
    )
    p.add_argument("--structural-only", action="store_true", help="skip the semantic layer")
    p.add_argument("--no-totals", action="store_true", help="with --corpus: skip the what-if totals (one pass less)")
    p.add_argument("--no-verify", action="store_true", help="do not evaluate the witnesses")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of standard output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..compare import DiffSourceError, diff
    from ..compare.report import MIN_BYTES
    from ..errors import PolicyError

    if args.columns and not args.corpus:
        print("complaint-rules diff: --columns needs --corpus", file=sys.stderr)
        return 2
    if args.max_bytes is not None and args.format != "markdown":
        print("complaint-rules diff: --max-bytes needs --format markdown", file=sys.stderr)
        return 2
    if args.max_bytes is not None and args.max_bytes < MIN_BYTES:
        print(f"complaint-rules diff: --max-bytes must be at least {MIN_BYTES}", file=sys.stderr)
        return 2
    if args.corpus and not os.path.exists(args.corpus):
        raise FileNotFoundError(f"{args.corpus}: no such file")
    try:
        result = diff(
            args.old,
            args.new,
            args.corpus,
            columns=args.columns,
            semantic=not args.structural_only,
            verify=not args.no_verify,
            totals=not args.no_totals,
        )
    except PolicyError as exc:  # exit 1 means "different" here, so a broken input is a usage error
        print(exc.render(), file=sys.stderr)
        return 2
    except DiffSourceError as exc:
        print(f"complaint-rules diff: {exc}", file=sys.stderr)
        return 2
    text = result.render(args.format, max_bytes=args.max_bytes)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0 if result.empty else 1
