"""Start-up: a fresh process before and after its first policy, and ``complaint-rules check FILE`` wall time.

    python bench/bench_start.py [--rounds 5] [--policy policies/automotive/svw-dealer.policy]

Each round runs every case once as a new process, the cases taking turns, and times the whole process
(wall clock, from spawn to exit). Printed: min / median / max over the rounds, and the target of issue 16
(``check`` of one file within 0.3 s) with ``MISSED`` when the median misses it. The package's modules are
byte-compiled first (``compileall``), as an installed wheel's are: this container sets
PYTHONDONTWRITEBYTECODE, so without that every process would compile the sources again.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_CHECK_S = 0.3


def cases(policy: str, cold_cache: str) -> list[tuple[str, list[str], dict[str, str]]]:
    py = sys.executable
    cli = str(Path(py).with_name("complaint-rules"))
    return [
        ("python -c pass (the interpreter alone)", [py, "-c", "pass"], {}),
        ("import complaint_rules", [py, "-c", "import complaint_rules"], {}),
        ("import + load(policy) (parse, check, compile)",
         [py, "-c", f"import complaint_rules; complaint_rules.load({policy!r}).compiled"], {}),
        ("complaint-rules check FILE", [cli, "check", policy], {}),
        ("complaint-rules check FILE, empty parser cache", [cli, "check", policy],
         {"COMPLAINT_RULES_CACHE_DIR": cold_cache}),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--policy", default=str(ROOT / "policies" / "automotive" / "svw-dealer.policy"))
    args = parser.parse_args(argv)
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    with tempfile.TemporaryDirectory() as scratch:
        runs = cases(args.policy, scratch)
        times: dict[str, list[float]] = {name: [] for name, *_ in runs}
        cpu: dict[str, list[float]] = {name: [] for name, *_ in runs}
        # One warm-up run of check fills the user's parser cache, as any first run after installing does.
        subprocess.run(runs[3][1], capture_output=True, check=False)
        for _ in range(args.rounds):
            for name, command, extra in runs:
                if extra.get("COMPLAINT_RULES_CACHE_DIR"):
                    for f in Path(scratch).iterdir():
                        f.unlink()
                env = {**os.environ, **extra}
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(command, capture_output=True, env=env, check=False)
                times[name].append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                if done.returncode not in (0, 1):
                    print(f"{name}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
                    return 1
    print(f"fresh processes, {args.rounds} rounds, cases taking turns; wall seconds min / median / max, and the "
          "CPU seconds (user + system) of the process at the median")
    print(f"policy {os.path.relpath(args.policy, ROOT)}")
    missed = False
    for name, *_ in runs:
        t = times[name]
        line = (f"{name:50} {min(t):6.3f} / {statistics.median(t):6.3f} / {max(t):6.3f} s"
                f"  cpu {statistics.median(cpu[name]):6.3f} s")
        if name == "complaint-rules check FILE":
            miss = statistics.median(t) > TARGET_CHECK_S
            missed |= miss
            line += f"   target <= {TARGET_CHECK_S} s" + ("  MISSED" if miss else "  met")
        print(line)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
