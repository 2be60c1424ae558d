"""``complaint-rules test PATH...``: run the policies' embedded ``test`` blocks, with rule coverage."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..errors import PolicyError
from ..policy import load
from ._paths import policy_files

if TYPE_CHECKING:
    from ..testing.runner import Coverage


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test", help="run the embedded tests of policies", description=__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories (searched recursively)")
    p.add_argument("--coverage", action="store_true", help="report the rules that no test exercises")
    p.add_argument("--fail-under", type=float, metavar="PERCENT",
                   help="fail when the share of rules exercised (all policies together) is below PERCENT")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the testing package brings in pytest and hypothesis, which no other command needs.
    from ..testing.runner import coverage, run_tests

    files = policy_files(args.paths)
    if not files:
        print("no policy files found", file=sys.stderr)
        return 1
    passed = failed = broken = 0
    reports: list[Coverage] = []
    for path in files:
        try:
            policy = load(path, comments=False)  # comments are only for formatting
        except PolicyError as exc:
            broken += 1
            print(exc.render(), file=sys.stderr)
            continue
        results = run_tests(policy)
        for result in results:
            if result.passed:
                passed += 1
            else:
                failed += 1
                for message in result.messages():
                    print(message)
        if args.coverage or args.fail_under is not None:
            reports.append(coverage(policy, results))
    summary = f"{passed} passed, {failed} failed"
    if broken:
        summary += f", {broken} {'policy' if broken == 1 else 'policies'} with errors"
    status = 1 if failed or broken else 0
    below = _report(reports, args.coverage, args.fail_under) if reports else None
    print(summary)
    if below is not None:
        print(below, file=sys.stderr)
        status = 1
    return status


def _report(reports: list[Coverage], show: bool, fail_under: float | None) -> str | None:
    """Print coverage per policy (uncovered rules at their location); the ``--fail-under`` failure, if any."""
    rules = sum(len(r.rules) for r in reports)
    exercised = sum(r.exercised for r in reports)
    total = 100.0 * exercised / rules if rules else 100.0
    if show:
        for report in reports:
            print(f"{report.policy}: {report.exercised}/{len(report.rules)} rules exercised ({report.percent:.1f}%)")
            for rule in report.uncovered:
                span = report.spans.get(rule)
                where = span.location() if span is not None else report.policy
                print(f"  {where}: rule {rule} is not exercised by any test")
        print(f"coverage: {exercised}/{rules} rules ({total:.1f}%)")
    if fail_under is not None and total < fail_under:
        return f"coverage {total:.1f}% is below --fail-under {fail_under:g}%"
    return None
