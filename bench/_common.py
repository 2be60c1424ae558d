"""Helpers shared by bench_lychee.py and profile_eval.py: the record time zone, the sample point of a
sampled rule (as the library computes it), and the rounds of engines taking turns on the same chunk with
the per-round ratio to a baseline, the issue's target and ``MISSED`` printed beside the median."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import statistics
import time
from collections.abc import Callable, Sequence

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def sample_point(policy_id: str, rule: str, record_id: str) -> float:
    """The point in [0, 100) a sampled rule compares with its rate (sha256 of policy, rule and record id)."""
    key = "\x1f".join((policy_id, rule, record_id)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") * 100 / 2**64


def run_rounds(engines: dict[str, Callable], chunk_of: Callable[[str, int, int], Sequence], n: int,
               size: int) -> dict[str, list[float]]:
    """Seconds per item of each engine in each round: ``chunk_of(name, start, stop)`` gives the items the
    engine decides in the round over records ``start:stop``; engines take turns on a chunk, GC paused."""
    per: dict[str, list[float]] = {name: [] for name in engines}
    for start in range(0, n, size):
        for name, fn in engines.items():
            items = chunk_of(name, start, start + size)
            gc.disable()
            try:
                t0 = time.perf_counter()
                for x in items:
                    fn(x)
                per[name].append((time.perf_counter() - t0) / len(items))
            finally:
                gc.enable()
    return per


def ratio_lines(per: dict[str, list[float]], baseline: str, targets: dict[str, float],
                width: int = 44) -> tuple[list[str], bool]:
    """One line per engine: median us per item, ratio to ``baseline`` min / median / max, and for the engines
    in ``targets`` the target with ``met`` or ``MISSED`` (judged on the median); and whether any missed."""
    base = per[baseline]
    lines, missed = [], False
    for name, times in per.items():
        ratios = [e / b for e, b in zip(times, base)]
        med = statistics.median(ratios)
        flag = ""
        if name in targets:
            miss = med > targets[name]
            missed |= miss
            flag = f"  target <= {targets[name]}x" + ("  MISSED" if miss else "  met")
        lines.append(f"{name:{width}} {statistics.median(times) * 1e6:8.1f} us  "
                     f"{min(ratios):5.2f} / {med:5.2f} / {max(ratios):5.2f}x{flag}")
    return lines, missed
