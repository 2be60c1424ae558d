"""Time ``prove`` on a generated policy of 300 rules over 15 fields (target of issue 16: under 5 s).

    python bench/bench_prove.py [--rules 300] [--seed 1] [--rounds 3]

min / median / max over the rounds; the target is met when the median is under it.

The policy is written as DSL text and parsed, so the bench also shows it is a real policy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from complaint_rules.analysis import prove
from complaint_rules.language.frontend.dsl import parse

ENUMS = {f"e{i}": [f"m{i}_{j}" for j in range(5)] for i in range(5)}
BOOLS = ["b0", "b1", "b2"]
INTS = ["n0", "n1", "n2"]
MONEY = ["claimed", "paid"]
SET = ("tags", [f"t{j}" for j in range(6)])
TEXT = ("description", ["fire", "smoke", "leak", "noise", "fireman"])
LEVELS = ["general", "intermediate", "major", "irrational"]


def atom(rng: random.Random, with_level: bool) -> str:
    kind = rng.choice(["enum", "enum", "bool", "int", "money", "set", "text", *(["level"] if with_level else [])])
    if kind == "enum":
        name = rng.choice(list(ENUMS))
        members = rng.sample(ENUMS[name], rng.randint(1, 3))
        return f"{name} in {{{', '.join(members)}}}" if len(members) > 1 else f"{name} == {members[0]}"
    if kind == "bool":
        return rng.choice(BOOLS) if rng.random() < 0.5 else f"not {rng.choice(BOOLS)}"
    if kind == "int":
        return f"{rng.choice(INTS)} {rng.choice(['<', '>=', '==', '>'])} {rng.randint(0, 10)}"
    if kind == "money":
        return f"{rng.choice(MONEY)} {rng.choice(['<', '>='])} {rng.choice([100, 500, 1000, 5000, 20000])} CNY"
    if kind == "set":
        members = rng.sample(SET[1], rng.randint(1, 2))
        return f"{SET[0]} has {rng.choice(['any', 'all'])} {{{', '.join(members)}}}"
    if kind == "text":
        words = rng.sample(TEXT[1], rng.randint(1, 2))
        return f"{TEXT[0]} mentions any {{{', '.join(f'{w!r}'.replace(chr(39), chr(34)) for w in words)}}}"
    return f"level {rng.choice(['==', '!=', '>='])} {rng.choice(LEVELS)}"


def cond(rng: random.Random, with_level: bool = False) -> str:
    parts = [atom(rng, with_level) for _ in range(rng.randint(1, 3))]
    if len(parts) == 3 and rng.random() < 0.3:
        return f"{parts[0]} and ({parts[1]} or {parts[2]})"
    return " and ".join(parts)


def generate(rules: int = 300, seed: int = 1) -> str:
    """A policy of ``rules`` rules: 40% classify, 30% route, 15% deadlines, 15% follow-up."""
    rng = random.Random(seed)
    n_classify, n_route, n_deadline = int(rules * 0.4), int(rules * 0.3), int(rules * 0.15)
    n_follow = rules - n_classify - n_route - n_deadline
    out = ['policy "bench" {\n  currency CNY\n  calendar "CN"\n  timezone "Asia/Shanghai"\n}', "record {"]
    out += [f"  {name}: enum {{{', '.join(members)}}} = {members[0]}" for name, members in ENUMS.items()]
    out += [f"  {name}: bool = false" for name in BOOLS]
    out += [f"  {name}: int = 0" for name in INTS]
    out += [f"  {name}: money = 0 CNY" for name in MONEY]
    out += [f"  {SET[0]}: set of enum {{{', '.join(SET[1])}}}", f"  {TEXT[0]}: text", "}"]
    out.append("units { desk  engineering  boss }")
    out.append("levels { " + "  ".join(LEVELS) + " }")
    out.append("classify first {")
    out += [f"  rule c{i}: {cond(rng)} -> {rng.choice(LEVELS)}" for i in range(n_classify)]
    out += ["  otherwise -> general", "}", "route first {"]
    out += [f"  rule r{i}: {cond(rng, True)} -> {rng.choice(['desk', 'engineering', 'boss'])}" for i in range(n_route)]
    out += ["  otherwise -> desk", "}", "deadlines {"]
    out += [f"  rule d{i}: clock{i % 5} = {rng.randint(1, 48)} hours after received_at when {cond(rng, True)}"
            for i in range(n_deadline)]  # fmt: skip
    out += ["}", "follow_up {"]
    out += [f"  rule f{i}: {rng.choice([30, 100])}% within 3 days after resolved_at by desk via phone when "
            f"{cond(rng, True)}" for i in range(n_follow)]  # fmt: skip
    out += ["  otherwise: 100% within 3 days after resolved_at by desk via phone", "}"]
    return "\n".join(out) + "\n"


TARGET_S = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=float, default=TARGET_S, help="seconds (median); exit 1 when slower")
    args = parser.parse_args(argv)
    policy = parse(generate(args.rules, args.seed), "bench.policy")
    fields = len(policy.record)
    times, cpu, reports = [], [], []
    for _ in range(args.rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        reports.append(prove(policy, invariants=True))
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    report = reports[0]
    kinds: dict[str, int] = {}
    for finding in report.findings:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    same = all([str(f) for f in r.findings] == [str(f) for f in report.findings] for r in reports)
    median = statistics.median(times)
    print(f"prove: {args.rules} rules over {fields} fields, {args.rounds} rounds: {min(times):.2f} / {median:.2f} / "
          f"{max(times):.2f} s (min / median / max), target < {args.limit:.0f} s"
          f"{'  MISSED' if median >= args.limit else '  met'}; CPU time of this process "
          f"{min(cpu):.2f} / {statistics.median(cpu):.2f} / {max(cpu):.2f} s (what a machine to itself would wait)")
    print(f"findings: {dict(sorted(kinds.items()))}; not covered: {len(report.uncovered)}; "
          f"every round the same findings: {same}")
    return 0 if median < args.limit and same else 1


if __name__ == "__main__":
    sys.exit(main())
