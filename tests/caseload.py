"""A deterministic caseload for a policy: records drawn from its record schema with a fixed seed.

Used by the diff report and what-if tests. Lifecycle timestamps (``first_contact_at``, ``resolved_at``)
come after ``received_at`` by a spread of delays, some missing, so that some deadlines are met and some
breached; every date lies in December 2026, inside the bundled policies' ``effective`` date and calendar data.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from complaint_rules import ir

START = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LIFECYCLE = ("first_contact_at", "resolved_at")


def _value(rng: random.Random, decl: ir.FieldDecl, received: dt.datetime):
    kind = decl.type.kind
    if kind == "bool":
        return rng.random() < 0.2
    if kind == "int":
        return rng.choice([0, 0, 1, 1, 2, 3])
    if kind == "decimal":
        return rng.choice([0, 1.5, 10])
    if kind == "money":
        return f"{rng.choice([0, 200, 800, 3000, 20000, 60000])} {decl.type.currency or 'CNY'}"
    if kind == "enum":
        return rng.choice(decl.type.members)
    if kind == "set":
        return sorted(rng.sample(decl.type.members, k=rng.choice([0, 0, 0, 1])))
    if kind == "datetime":
        return (received + dt.timedelta(hours=rng.choice([1, 3, 20, 50, 100]))).isoformat()
    if kind == "date":
        return (received + dt.timedelta(days=rng.choice([1, 5]))).date().isoformat()
    if kind == "text":
        return rng.choice(["noise at night", "the engine smokes", "repair was late", "rude staff"])
    return None


def records(policy: ir.Policy, n: int = 60, seed: int = 19) -> list[dict]:
    """``n`` records for ``policy`` (its resolved IR), the same for the same arguments."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        received = START + dt.timedelta(hours=rng.randrange(0, 24 * 18), minutes=rng.choice([0, 15, 30]))
        rec: dict = {"id": f"R-{i + 1:03d}", "received_at": received.isoformat()}
        for decl in policy.record:
            if decl.name in rec or rng.random() < 0.3 and not decl.required:
                continue
            value = _value(rng, decl, received)
            if value is not None:
                rec[decl.name] = value
        for name, hours in (("first_contact_at", [0.5, 1.5, 3, 30]), ("resolved_at", [5, 30, 80, 200])):
            if rng.random() < 0.8:
                rec[name] = (received + dt.timedelta(hours=rng.choice(hours))).isoformat()
            else:
                rec.pop(name, None)
        out.append(rec)
    return out


def write(policy: ir.Policy, path: Path, n: int = 60, seed: int = 19) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records(policy, n, seed)), "utf-8")
    return path
