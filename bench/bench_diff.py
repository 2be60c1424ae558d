"""Impact of a policy change on a 1,000,000-record generated corpus: streamed JSONL, bounded memory.

    python bench/bench_diff.py [--records N] [--workers W] [--sample S] [OLD NEW]

Records are generated as JSON lines into a temporary file first, outside the timed part, and read
back through ``complaint_rules.batch`` (as ``diff --corpus`` reads a file), so nothing is held in memory
but a few chunks in flight. Prints records/s, the wall time against the target of issue 16 (1,000,000
records in under 10 s, ``MISSED`` otherwise) and the peak resident memory of this process and its
workers *summed* (sampled from /proc every 50 ms while the run lasts; Linux only).

First, on a sample of ``S`` records in this one process, it times per record what impact does
(``CompiledPolicy.outcome`` under both policies, comparison keys, labels of what changed) against
the plain way (``Policy.evaluate`` under both, then ``compare``), checks that both count the same,
and prints the ratio. ``--workers 0`` lets ``impact`` choose (as ``diff --corpus`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from complaint_rules import load
from complaint_rules.batch import read_jsonl
from complaint_rules.compare import impact
from complaint_rules.compare.impact import compare

HERE = Path(__file__).resolve().parent
FIX = HERE.parent / "tests" / "diff_fixtures"
CATEGORIES = ("sales_service", "product_quality", "after_sales")


def generate(n: int, seed: int = 7) -> Iterator[bytes]:
    """``n`` JSON lines of plausible complaints (deterministic for a seed)."""
    rng = random.Random(seed)
    for i in range(n):
        day = 1 + rng.randrange(28)
        record = {
            "id": f"c{i:07d}",
            "received_at": f"2026-11-{day:02d}T{rng.randrange(8, 20):02d}:{rng.randrange(60):02d}:00+08:00",
            "category": rng.choice(CATEGORIES),
            "claimed_amount": f"{rng.choice((0, 200, 800, 1500, 4000, 6000, 60000))} CNY",
            "repeat_count": rng.choice((0, 0, 0, 1, 2, 3)),
            "anonymous": rng.random() < 0.05,
        }
        if rng.random() < 0.1:
            record["demands"] = [rng.choice(("return_vehicle", "engine_replacement"))]
        if rng.random() < 0.05:
            record["external"] = [rng.choice(("media", "court"))]
        if rng.random() < 0.5:
            record["resolved_at"] = f"2026-11-{min(day + 2, 30):02d}T10:00:00+08:00"
        yield (json.dumps(record) + "\n").encode()


TARGET_S = 10.0


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


class MemorySampler(threading.Thread):
    """The peak of (this process + all its child processes) resident memory, sampled while running."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(0.05):
            total = _rss_kib(me) + sum(_rss_kib(c) for c in _children(me))
            self.peak_kib = max(self.peak_kib, total)


def per_record(old, new, sample: int) -> tuple[float, float, bool]:
    """Seconds per record in this process: impact's way and the plain way, and whether they agree."""
    rows = list(read_jsonl(generate(sample, seed=11)))
    started = time.perf_counter()
    fast = impact(old, new, rows, workers=1)
    t_fast = (time.perf_counter() - started) / sample
    started = time.perf_counter()
    changed = 0
    counts: dict[str, int] = {}
    for row in rows:
        found = list(compare(old.evaluate(row.record), new.evaluate(row.record)))
        changed += bool(found)
        for output, _, _ in found:
            counts[output] = counts.get(output, 0) + 1
    t_plain = (time.perf_counter() - started) / sample
    same = changed == fast.changed and counts == {o.output: o.changed for o in fast.outputs}
    return t_fast, t_plain, same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", nargs="?", default=str(FIX / "base.policy"))
    parser.add_argument("new", nargs="?", default=str(FIX / "branch.policy"))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="0: impact chooses")
    parser.add_argument("--sample", type=int, default=20_000, help="records timed both ways in-process")
    args = parser.parse_args(argv)
    old, new = load(args.old), load(args.new)
    agree = True
    if args.sample:
        t_fast, t_plain, agree = per_record(old, new, args.sample)
        print(f"per record, one process, {args.sample:,} records: impact {t_fast * 1e6:.1f} us, "
              f"evaluate both + compare {t_plain * 1e6:.1f} us ({t_plain / t_fast:.2f}x); "
              f"counts {'agree' if agree else 'DISAGREE'}")
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as corpus:
        corpus.writelines(generate(args.records))  # outside the timed part
    sampler = MemorySampler()
    try:
        with open(corpus.name, "rb") as stream:
            sampler.start()
            start = time.perf_counter()
            result = impact(
                old,
                new,
                read_jsonl(stream),
                corpus=f"<{args.records} generated>",
                workers=args.workers or None,
            )
            elapsed = time.perf_counter() - start
            sampler.stop.set()
            sampler.join()
    finally:
        os.unlink(corpus.name)
    print(f"{args.old} -> {args.new}")
    print(f"records: {result.records}  changed: {result.changed}  errors: {result.errors}")
    for o in sorted(result.outputs, key=lambda o: -o.changed):
        print(f"  {o.output}: {o.changed}")
    workers = args.workers or "auto"
    flag = "met" if elapsed < TARGET_S or args.records != 1_000_000 else "MISSED"
    print(f"time: {elapsed:.1f} s  ({result.records / elapsed:,.0f} records/s, {workers} worker(s)); "
          f"target 1,000,000 records < {TARGET_S:.0f} s: {flag if args.records == 1_000_000 else 'n/a (other size)'}")
    print(f"peak memory, this process and its workers summed: {sampler.peak_kib / 1024:.0f} MiB")
    if result.records != args.records:
        print("error: records were lost", file=sys.stderr)
        return 1
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
