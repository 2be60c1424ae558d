"""The batch path, JSON lines in and out: the library against a plain Python loop, and ``--jobs 2`` vs ``--jobs 1``.

    python bench/bench_batch.py [--records 20000] [--rounds 3]

The records are bench_eval.py's generated svw-dealer records, written once to a JSON lines file (dates
as ISO text, as a CRM exports them), outside the timed part. Each round times, taking turns:

* **plain loop**: what a developer writes without the library: ``json.loads`` each line, turn its
  date-time fields into ``datetime`` (``fromisoformat``), bench_eval's hand-written decision function
  (the whole decision, with the library's calendar shifters), ``orjson.dumps`` (``default=str`` for
  Decimal) and a buffered write;
* **run_batch, in-process**: ``complaint_rules.batch.run_batch`` over ``jsonl_lines`` of the same file,
  writing decisions and error rows to files (what ``complaint-rules eval`` does after start-up);
* **complaint-rules eval --jobs 1** and **--jobs 2**: the command in a fresh process, start-up included.

Targets of issue 16: ``run_batch`` within 1.5x the plain loop's time; ``--jobs 2`` at least 1.8x the
records/s of ``--jobs 1``. min / median / max over the rounds; a target is judged on the median ratio
of the same round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_eval  # noqa: E402  (the generator and the hand-written function)

from complaint_rules import load  # noqa: E402
from complaint_rules.batch import jsonl_lines, run_batch  # noqa: E402

TARGET_LOOP = 1.5
TARGET_JOBS = 1.8
DATETIMES = ("received_at", "due_at", "delivered_at", "workshop_out_at", "first_contact_at", "resolved_at")


def plain_loop(src: str, dst: str, now: dt.datetime) -> int:
    n = 0
    with open(src, "rb") as f, open(dst, "wb", buffering=1 << 20) as out:
        for line in f:
            r = json.loads(line)
            for name in DATETIMES:
                if name in r:
                    r[name] = dt.datetime.fromisoformat(r[name])
            for follow_up in r.get("follow_ups") or ():
                follow_up["at"] = dt.datetime.fromisoformat(follow_up["at"])
            out.write(orjson.dumps(bench_eval.decide_by_hand(r, now), default=str) + b"\n")
            n += 1
    return n


def library(policy, src: str, dst: str, now: dt.datetime) -> int:
    with open(src, "rb") as f, open(dst, "w", encoding="utf-8", buffering=1 << 20) as out, \
            open(dst + ".errors", "w", encoding="utf-8") as errors:  # fmt: skip
        summary = run_batch(policy, jsonl_lines(io.BufferedReader(f)), out, errors, now)
    return summary.decisions


def cli(src: str, dst: str, jobs: int) -> int:
    command = [str(Path(sys.executable).with_name("complaint-rules")), "eval", str(bench_eval.POLICY), src,
               "-o", dst, "--now", bench_eval.NOW.isoformat(), "--jobs", str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"eval --jobs {jobs} failed: {done.stderr[-500:]}")
    return int(done.stderr.split()[3])  # "N records in, N decisions, ..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    policy = load(bench_eval.POLICY)
    policy.compiled  # noqa: B018
    now = bench_eval.NOW
    with tempfile.TemporaryDirectory() as scratch:
        src = os.path.join(scratch, "records.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for record in bench_eval.generate(args.records):
                f.write(json.dumps(record, default=lambda v: v.isoformat(), ensure_ascii=False) + "\n")
        cases = {
            "plain loop (json + hand-written + orjson)": lambda: plain_loop(src, os.path.join(scratch, "p"), now),
            "run_batch, in-process": lambda: library(policy, src, os.path.join(scratch, "l"), now),
            "complaint-rules eval --jobs 1 (fresh process)": lambda: cli(src, os.path.join(scratch, "j1.jsonl"), 1),
            "complaint-rules eval --jobs 2 (fresh process)": lambda: cli(src, os.path.join(scratch, "j2.jsonl"), 2),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, run in cases.items():
                started = time.perf_counter()
                count = run()
                times[name].append(time.perf_counter() - started)
                assert count == args.records, (name, count)
        same = Path(scratch, "j1.jsonl").read_bytes() == Path(scratch, "j2.jsonl").read_bytes()
    names = list(cases)
    print(f"{args.records:,} records of svw-dealer, JSON lines in and out; {args.rounds} rounds, cases taking turns; "
          f"cpus: {os.cpu_count()}")  # fmt: skip
    for name in names:
        t = times[name]
        print(f"{name:48} {min(t):7.2f} / {statistics.median(t):7.2f} / {max(t):7.2f} s  "
              f"({args.records / statistics.median(t):,.0f} records/s at the median)")
    loop = [lib / plain for lib, plain in zip(times[names[1]], times[names[0]])]
    jobs = [one / two for one, two in zip(times[names[2]], times[names[3]])]
    missed = statistics.median(loop) > TARGET_LOOP or statistics.median(jobs) < TARGET_JOBS
    print(f"run_batch / plain loop: {min(loop):.2f} / {statistics.median(loop):.2f} / {max(loop):.2f}x, "
          f"target <= {TARGET_LOOP}x{'  MISSED' if statistics.median(loop) > TARGET_LOOP else '  met'}")
    print(f"--jobs 2 records/s / --jobs 1: {min(jobs):.2f} / {statistics.median(jobs):.2f} / {max(jobs):.2f}x, "
          f"target >= {TARGET_JOBS}x{'  MISSED' if statistics.median(jobs) < TARGET_JOBS else '  met'}")
    print(f"--jobs 2 output identical to --jobs 1: {same}")
    return 1 if missed or not same else 0


if __name__ == "__main__":
    sys.exit(main())
