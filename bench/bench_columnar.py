"""The columnar engine end to end, Parquet -> Parquet, against hand-written polars and the row-by-row path.

Run from the repository root (needs the ``bench`` extra: polars, pyarrow, numpy)::

    .venv/bin/python bench/bench_columnar.py                   # 1,000,000 records, 3 rounds
    .venv/bin/python bench/bench_columnar.py --records 200000 --rounds 3

One run, taking turns each round: (1) ``eval`` through the columnar engine (``arrow_io.run_arrow``:
read Parquet in record batches, decide, write the decisions in the published Arrow schema); (2) a
hand-written polars computation of the heavy part of the same decision (level, label, routes, owner,
the three deadlines with working days through a date table, remedy tier, cap, approver, within cap and
authority), Parquet in and out; (3) the row-by-row path (read, ``Policy.evaluate``, the decision as an
Arrow row, write) on the first 20,000 records. It checks that the columnar decisions equal the row
path's on those records, and prints records/s as min / median / max over the rounds with the issue's
targets beside them and ``MISSED`` where a figure misses. Timings on a shared machine are noisy: the
engines take turns in the same run, so their ratios are fair; their absolute figures are not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from dealer_data import dealer_table

from complaint_rules import calendar, load
from complaint_rules.arrow_io import DecisionWriter, run_arrow
from complaint_rules.engine.arrow_decision import DECISION_SCHEMA, decision_record

POLICY = ROOT / "policies" / "automotive" / "svw-dealer.policy"
ROW_SAMPLE = 20_000
TARGET_RATE = 1_000_000  # records/s, end to end
TARGET_RATIO = 1.5  # ours / hand-written polars, time


def ours(src: str, out: str) -> int:
    policy = load(POLICY)
    errors = io.StringIO()
    with DecisionWriter(out) as writer:
        summary = run_arrow(policy, src, writer, errors)
    assert summary.errors == 0, errors.getvalue()[:500]
    return summary.records


def _working_table() -> pl.DataFrame:
    """CN working days 2024-2027 as epoch days: each day's flag and the next working day after it."""
    cal = calendar("CN")
    days, flags = [], []
    day = dt.date(2024, 1, 1)
    while day.year < 2027:
        days.append((day - dt.date(1970, 1, 1)).days)
        flags.append(cal.is_working_day(day))
        day += dt.timedelta(days=1)
    days_a, flags_a = np.array(days), np.array(flags)
    nxt = np.empty(len(days_a), dtype=np.int64)
    following = days_a[-1] + 1
    for i in range(len(days_a) - 1, -1, -1):
        nxt[i] = following
        if flags_a[i]:
            following = days_a[i]
    return pl.DataFrame({"day": days_a, "works": flags_a, "next": nxt})


def hand_polars(src: str, out: str, table: pl.DataFrame) -> int:
    """The level, routes, owner, three deadlines and remedy checks of svw-dealer, written by hand in polars."""
    hour, day_us, off = 3_600_000_000, 86_400_000_000, 8 * 3_600_000_000
    open_, close = int(8.5 * hour), 18 * hour
    df = pl.read_parquet(src)
    demands = pl.col("demands")
    has = lambda *names: demands.list.eval(pl.element().is_in(list(names))).list.any()
    major = (has("engine_replacement", "gearbox_replacement") | has("exchange_vehicle", "return_vehicle"))
    high = (pl.col("dissatisfaction") == "high") | (pl.col("loss") == "large")
    level = (pl.when(major).then(pl.lit("major"))
             .when(pl.col("cause").is_in(["excessive_expectation", "policy_misunderstanding", "uncooperative"]))
             .then(pl.lit("irrational"))
             .when(high & (pl.col("departments") <= 1)).then(pl.lit("intermediate"))
             .when(high).then(pl.lit("major")).otherwise(pl.lit("general")))  # fmt: skip
    df = df.with_columns(level=level)
    labels = {"general": "一般抱怨", "intermediate": "中级抱怨", "major": "重大抱怨", "irrational": "非理性抱怨"}
    cat = pl.col("category")
    sales = cat.is_in(["sales_service", "vehicle_supply"])
    after = cat.is_in(["after_sales_service", "parts_supply", "product_quality", "repair_quality"])
    is_major = pl.col("level") == "major"
    routes = pl.concat_list([
        pl.when(is_major).then(pl.lit(["general_manager", "complaint_team", "customer_director"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(sales).then(pl.lit(["sales_director", "customer_director"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(after).then(pl.lit(["after_sales_director", "customer_director"])).otherwise(pl.lit([], pl.List(pl.String))),
        pl.when(cat == "value_added").then(pl.lit(["value_added_manager", "customer_director"])).otherwise(pl.lit([], pl.List(pl.String))),
    ]).list.unique(maintain_order=True)  # fmt: skip
    owner = (pl.when(is_major).then(pl.lit("general_manager")).when(sales).then(pl.lit("sales_director"))
             .when(after).then(pl.lit("after_sales_director")).when(cat == "value_added")
             .then(pl.lit("value_added_manager")).otherwise(pl.lit("customer_director")))  # fmt: skip
    received = pl.col("received_at").dt.epoch("us")
    local = received + off
    df = df.with_columns(routes=pl.when(routes.list.len() > 0).then(routes).otherwise(pl.lit(["customer_director"])),
                         owner=owner, level_label=pl.col("level").replace_strict(labels),
                         _day=local // day_us, _clock=local % day_us)  # fmt: skip
    # 1 working day after received_at: the first business moment at or after it, then the next working day
    df = df.join(table, left_on="_day", right_on="day", how="left")
    stays = pl.col("works") & (pl.col("_clock") <= close)
    df = df.with_columns(_fday=pl.when(stays).then(pl.col("_day")).otherwise(pl.col("next")),
                         _fclock=pl.when(stays).then(pl.max_horizontal(pl.col("_clock"), pl.lit(open_)))
                         .otherwise(pl.lit(open_))).drop("works", "next")  # fmt: skip
    df = df.join(table.select("day", pl.col("next").alias("_due_day")), left_on="_fday", right_on="day", how="left")
    wd = pl.col("_due_day") * day_us + pl.col("_fclock") - off
    first_contact = pl.when(cat == "product_quality").then(received + 2 * hour).otherwise(wd)
    df = df.with_columns(first_contact=first_contact)
    contact = pl.col("first_contact_at").dt.epoch("us")
    remedy_plan = (pl.when((cat == "product_quality") & contact.is_not_null()).then(contact + 24 * hour)
                   .when(cat == "product_quality").then(pl.col("first_contact") + 24 * hour))  # fmt: skip
    caps = {"general": 500, "intermediate": 5000, "major": 50000, "irrational": 0}
    approvers = {"general": "customer_director", "intermediate": "department_head", "major": "general_manager",
                 "irrational": "customer_director"}  # fmt: skip
    limits = {"customer_director": 500, "department_head": 5000, "general_manager": 50000}
    amount = pl.col("claimed_amount")
    cap = pl.col("level").replace_strict(caps, return_dtype=pl.Int64)
    approver = pl.col("level").replace_strict(approvers)
    required = (pl.when(amount <= 500).then(pl.lit("customer_director")).when(amount <= 5000)
                .then(pl.lit("department_head")).when(amount <= 50000).then(pl.lit("general_manager")))  # fmt: skip
    df = df.with_columns(
        remedy_plan=remedy_plan, handling=pl.col("due_at"),
        tier=pl.col("level"), cap=cap, approver=approver, within_cap=amount <= cap,
        within_authority=amount <= approver.replace_strict(limits, return_dtype=pl.Int64),
        required_approver=required, beyond_authority=required.is_null(),
    )
    df.select("id", "level", "level_label", "routes", "owner",
              pl.col("first_contact").cast(pl.Datetime("us", "UTC")), pl.col("remedy_plan").cast(pl.Datetime("us", "UTC")),
              "handling", "tier", "cap", "approver", "within_cap", "within_authority", "required_approver",
              "beyond_authority").write_parquet(out)  # fmt: skip
    return df.height


def rows(src: str, out: str) -> int:
    policy = load(POLICY)
    with pq.ParquetFile(src) as f:  # only the records it decides
        records = next(f.iter_batches(batch_size=ROW_SAMPLE)).to_pylist()
    decided = [decision_record(policy.evaluate({k: v for k, v in r.items() if v is not None})) for r in records]
    pq.write_table(pa.Table.from_pylist(decided, schema=DECISION_SCHEMA), out)
    return len(records)


def spread(values: list[float]) -> str:
    return f"{min(values):,.0f} / {statistics.median(values):,.0f} / {max(values):,.0f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-columnar-"))
    src = str(tmp / "complaints.parquet")
    pq.write_table(dealer_table(args.records), src, compression="zstd")
    table = _working_table()
    rates: dict[str, list[float]] = {"columnar": [], "polars": [], "rows": []}
    for _ in range(args.rounds):
        for name, run in (("columnar", ours), ("polars", lambda s, o: hand_polars(s, o, table)), ("rows", rows)):
            start = time.perf_counter()
            n = run(src, str(tmp / f"{name}.parquet"))
            rates[name].append(n / (time.perf_counter() - start))
    # The columnar decisions are the row path's, on the records both decided.
    got = pq.read_table(tmp / "columnar.parquet").slice(0, ROW_SAMPLE).to_pylist()
    want = pq.read_table(tmp / "rows.parquet").to_pylist()
    agree = got == want
    load_avg = os.getloadavg()[0]
    print(f"svw-dealer, {args.records:,} records, Parquet -> Parquet, {args.rounds} rounds, load average {load_avg:.2f}")
    print("records/s (min / median / max):")
    ok = statistics.median(rates["columnar"]) >= TARGET_RATE
    print(f"  columnar engine, whole decision   {spread(rates['columnar']):>32}   target >= {TARGET_RATE:,}"
          f"{'' if ok else '  MISSED'}")
    print(f"  hand-written polars, part of it   {spread(rates['polars']):>32}")
    print(f"  row by row (first {ROW_SAMPLE:,})         {spread(rates['rows']):>32}")
    ratios = [p / c for c, p in zip(rates["columnar"], rates["polars"])]
    ok = statistics.median(ratios) <= TARGET_RATIO
    print(f"time columnar / polars (per round): {' / '.join(f'{r:.2f}x' for r in sorted(ratios))}   "
          f"target <= {TARGET_RATIO}x{'' if ok else '  MISSED'}")
    speedup = [c / r for c, r in zip(rates["columnar"], rates["rows"])]
    print(f"columnar / row by row: {' / '.join(f'{r:.1f}x' for r in sorted(speedup))}")
    print(f"columnar decisions equal the row path's on the first {ROW_SAMPLE:,}: {agree}")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
