"""``complaint-rules prove PATH...``: prove that every record gets a level, a route, a tier and a follow-up."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import PolicyError
from ._paths import policy_files


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prove", help="prove policies have no gaps, unreachable rules or early deadlines",
                       description=__doc__)  # fmt: skip
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories")
    p.add_argument("--invariants", action="store_true",
                   help="besides the policy's declared invariants, check the built-in ones "
                   "(monotone caps and deadlines across levels, some option always left)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON report per policy")
    p.add_argument("--no-replay", action="store_true",
                   help="do not re-run counterexamples through evaluate to confirm them")  # fmt: skip
    p.set_defaults(func=run)


def _load(path):
    from ..policy import load

    return load(path, comments=False)  # comments are only for formatting


def run(args: argparse.Namespace) -> int:
    from ..analysis import prove
    from ..analysis.replay import replay

    files = policy_files(args.paths)
    if not files:
        print("no policy files found", file=sys.stderr)
        return 1
    proved = flawed = errors = 0
    for path in files:
        try:
            policy = _load(path)
        except PolicyError as exc:
            errors += 1
            print(exc.render(), file=sys.stderr)
            continue
        report = prove(policy, invariants=args.invariants)
        if not args.no_replay:
            replay(policy, report)
        if report.proven:
            proved += 1
        else:
            flawed += 1
        if args.json:
            print(json.dumps({"path": str(path), **report.to_dict()}, ensure_ascii=False, sort_keys=True))
        else:
            print(f"{path}: " + report.render().replace("\n", "\n  ") if not report.proven
                  else f"{path}: proven ({'; '.join(report.checked)})")  # fmt: skip
    failed = flawed + errors
    if not args.json:
        summary = f"{proved} proved, {flawed} with findings or uncovered constructs"
        if errors:
            summary += f", {errors} not loaded"
        print(summary, file=sys.stderr if failed else sys.stdout)
    return 1 if failed else 0
