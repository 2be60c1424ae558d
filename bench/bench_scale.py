"""Cost against rule count: 10 / 100 / 1,000 / 10,000 rules keyed on an enum (``==``, ``in``) or a set (``has``).

    python bench/bench_scale.py [--sizes 10,100,1000,10000] [--rounds 3] [--records 2000] [--prove-limit 120]

For each size a generated policy routes on ``code`` (an enum of as many members as rules) and ``tags``
(a set of the same members): a third of the rules ``code == cI``, a third ``code in {cI, cJ}``, a third
``tags has any {cI}``, then ``otherwise``. Timed per size:

* **load**: ``loads`` of the text (parse + check) and compiling it, min / median / max over the rounds;
* **per record**: ``Policy.evaluate`` on records whose ``code`` and ``tags`` are drawn from all members
  (so a matching rule is anywhere in the block), the sizes taking turns in every round;
* **prove**: once per size in a fresh process, stopped at ``--prove-limit`` seconds.

Target of issue 16: at 10,000 rules the per-record cost is at most 2x the 10-rule cost (``MISSED``
otherwise). A size that fails to load or to decide is reported with its error, and counts as missed.

The loader's limits (``limits.MAX_POLICY_BYTES``, 256 KiB of text; ``limits.MAX_ENTRIES``, 1,000 members
or rules in one list) refuse the largest sizes. Each size is first loaded with the shipped limits and the
answer printed; the timings are then taken with both limits raised in this process (and in the prove
process), so that what is measured is the engine, not the limit. ``--shipped-limits`` keeps them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import subprocess
import sys
import time

from complaint_rules import limits, loads

TARGET = 2.0
NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def generate(n: int) -> str:
    members = ", ".join(f"c{i}" for i in range(n))
    units = ("desk", "north", "south", "west")
    lines = ['policy "scale" {\n  currency CNY\n  calendar "CN"\n  timezone "Asia/Shanghai"\n}',
             "record {", f"  code: enum {{{members}}} = c0", f"  tags: set of enum {{{members}}}", "}",
             "units { " + "  ".join(units) + " }", "route first {"]  # fmt: skip
    for i in range(n):
        unit = units[i % 4]
        if i % 3 == 0:
            lines.append(f"  rule r{i}: code == c{i} -> {unit}")
        elif i % 3 == 1:
            lines.append(f"  rule r{i}: code in {{c{i}, c{(i * 7 + 1) % n}}} -> {unit}")
        else:
            lines.append(f"  rule r{i}: tags has any {{c{i}}} -> {unit}")
    lines += ["  otherwise -> desk", "}"]
    return "\n".join(lines) + "\n"


def records(n: int, count: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    return [{"id": f"r{k}", "received_at": "2026-03-02T10:00:00+08:00", "code": f"c{rng.randrange(n)}",
             "tags": [f"c{rng.randrange(n)}"]} for k in range(count)]  # fmt: skip


RAISED = {"MAX_POLICY_BYTES": 64 * 1024 * 1024, "MAX_ENTRIES": 1_000_000}

PROVE = """
import sys, time
sys.path.insert(0, {bench!r})
from complaint_rules import limits
for name, value in {raised!r}.items():
    setattr(limits, name, value)
from bench_scale import generate
from complaint_rules.analysis import prove
from complaint_rules.language.frontend.dsl import parse
policy = parse(generate({n}), "scale.policy")
t = time.perf_counter(); prove(policy); print(time.perf_counter() - t)
"""


def time_prove(n: int, limit: float, raised: dict) -> str:
    from pathlib import Path

    code = PROVE.format(bench=str(Path(__file__).resolve().parent), n=n, raised=raised)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return f"> {limit:.0f} s (stopped)"
    if done.returncode:
        return "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:100]
    return f"{float(done.stdout.split()[-1]):.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--prove-limit", type=float, default=120.0)
    parser.add_argument("--shipped-limits", action="store_true", help="do not raise the loader's limits")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    texts = {n: generate(n) for n in sizes}
    for n in sizes:  # with the limits as shipped
        try:
            loads(texts[n], name=f"scale-{n}.policy")
            print(f"{n:>6} rules, shipped limits: loads ({len(texts[n]):,} bytes)")
        except Exception as exc:  # noqa: BLE001 - the answer is the result
            print(f"{n:>6} rules, shipped limits: does not load ({len(texts[n]):,} bytes): "
                  f"{str(exc).splitlines()[0][:150]}")
    raised = {} if args.shipped_limits else RAISED
    for name, value in raised.items():
        setattr(limits, name, value)
    if raised:
        print("timings below with the limits raised: " + ", ".join(f"limits.{k} = {v:,}" for k, v in raised.items()))
    inputs = {n: records(n, args.records) for n in sizes}
    load_ms: dict[int, list[float]] = {n: [] for n in sizes}
    per_record: dict[int, list[float]] = {n: [] for n in sizes}
    failed: dict[int, str] = {}
    warm = loads(generate(3), name="warm-up.policy")  # one-time set-up (calendar tables, imports) is not a size's
    warm.evaluate(records(3, 1)[0], NOW)
    for _ in range(args.rounds):
        for n in sizes:
            if n in failed:
                continue
            try:
                started = time.perf_counter()
                policy = loads(texts[n], name=f"scale-{n}.policy")
                policy.compiled  # noqa: B018 - compiling is part of loading
                load_ms[n].append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                for record in inputs[n]:
                    policy.evaluate(record, NOW)
                per_record[n].append((time.perf_counter() - started) / len(inputs[n]))
            except Exception as exc:  # noqa: BLE001 - a size that cannot load is a result, not a crash
                failed[n] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else ''}"
    print(f"enum-keyed route rules; {args.rounds} rounds, sizes taking turns; {args.records:,} records per size "
          f"and round; min / median / max")  # fmt: skip
    print(f"{'rules':>6} {'load ms':>26} {'per record us':>26} {'vs 10 rules':>12}  prove (once, fresh process)")
    base = statistics.median(per_record[sizes[0]]) if per_record[sizes[0]] else None
    missed = False
    for n in sizes:
        proof = time_prove(n, args.prove_limit, raised)
        if n in failed:
            print(f"{n:>6} FAILED: {failed[n]}  prove: {proof}")
            missed = True
            continue
        lm, pr = load_ms[n], [t * 1e6 for t in per_record[n]]
        ratio = statistics.median(per_record[n]) / base
        print(f"{n:>6} {min(lm):7.1f} / {statistics.median(lm):7.1f} / {max(lm):7.1f}"
              f" {min(pr):7.1f} / {statistics.median(pr):7.1f} / {max(pr):7.1f} {ratio:11.2f}x  {proof}")
    largest = sizes[-1]
    if largest not in failed and base:
        ratio = statistics.median(per_record[largest]) / base
        missed |= ratio > TARGET
        print(f"per record at {largest:,} rules / at {sizes[0]}: {ratio:.2f}x, target <= {TARGET}x"
              f"{'  MISSED' if ratio > TARGET else '  met'}")
    else:
        print(f"per record at {largest:,} rules: not measured (it did not load), target <= {TARGET}x  MISSED")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
