"""Synthetic svw-dealer complaints as typed Arrow columns (for bench_columnar and the Spark bench)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

CATEGORIES = ["sales_service", "vehicle_supply", "product_quality", "after_sales_service", "repair_quality",
              "parts_supply", "value_added", "other"]  # fmt: skip
CAUSES = [None, "product_defect", "after_sales", "staff_attitude", "customer_misuse", "misunderstanding",
          "uncooperative", "missed_at_delivery_inspection"]  # fmt: skip
DEMANDS = [[], [], [], ["compensation"], ["free_repair"], ["engine_replacement"], ["exchange_vehicle"]]


def dealer_table(n: int, seed: int = 7) -> pa.Table:
    """``n`` complaints received across 2025-2026 (the CN calendar has data), a mix of every rule."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00", "us").astype(np.int64)
    span = 700 * 86_400_000_000
    received = start + rng.integers(0, span, n)
    tz = pa.timestamp("us", tz="Asia/Shanghai")

    def maybe(base, p, lo, hi):
        us = base + rng.integers(lo, hi, n)
        return pa.array(us, pa.int64(), mask=rng.random(n) >= p).cast(tz)

    return pa.table({
        "id": pa.array([f"C-{i:08d}" for i in range(n)]),
        "received_at": pa.array(received, pa.int64()).cast(tz),
        "channel": pa.array(rng.choice(["phone", "letter", "visit", "hotline", "crm"], n)),
        "category": pa.array(rng.choice(CATEGORIES, n)),
        "claimed_amount": pa.array(rng.integers(0, 60, n) * 250, pa.int64()),
        "demands": pa.array([DEMANDS[k] for k in rng.integers(0, len(DEMANDS), n)], pa.list_(pa.string())),
        "dissatisfaction": pa.array(rng.choice(["low", "low", "high"], n)),
        "loss": pa.array(rng.choice(["small", "small", "small", "large"], n)),
        "departments": pa.array(rng.integers(1, 4, n), pa.int64()),
        "cause": pa.array([CAUSES[k] for k in rng.integers(0, len(CAUSES), n)], pa.string()),
        "evidence": pa.array(rng.random(n) < 0.3),
        "low_cost_fix": pa.array(rng.random(n) < 0.2),
        "first_contact_at": maybe(received, 0.5, 3_600_000_000, 30 * 3_600_000_000),
        "due_at": maybe(received, 0.8, 86_400_000_000, 10 * 86_400_000_000),
        "resolved_at": maybe(received, 0.6, 86_400_000_000, 20 * 86_400_000_000),
    })  # fmt: skip
