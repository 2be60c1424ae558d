"""Evaluation speed: the compiled evaluator against the interpreter, hand-written Python and GoRules zen-engine.

Run from the repository root::

    /work/venv/bin/python bench/bench_eval.py            # 100,000 records
    /work/venv/bin/python bench/bench_eval.py --records 20000

Every engine decides the same generated records of ``policies/automotive/svw-dealer.policy``; the script checks
that they agree on every record (level, routes and the ``first_contact`` deadline) before it prints
speeds. It also times policy load (parse + check + compile) for every bundled policy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from complaint_rules import ir
from complaint_rules.calendar import calendar
from complaint_rules.policy import load
from complaint_rules.record import make_coercer, schema_for

POLICY = ROOT / "policies" / "automotive" / "svw-dealer.policy"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CATEGORIES = ("sales_service", "vehicle_supply", "product_quality", "after_sales_service", "repair_quality",
              "parts_supply", "value_added", "other")
DEMANDS = ("engine_replacement", "gearbox_replacement", "return_vehicle", "exchange_vehicle", "compensation",
           "free_repair")
CAUSES = ("product_defect", "after_sales", "staff_attitude", "internal_fault", "misunderstanding", "customer_misuse",
          "missed_at_delivery_inspection", "policy_misunderstanding", "uncooperative", "excessive_expectation", "other")
DESCRIPTIONS = ("", "the paint is scratched", "engine makes noise", "Smoke from the dashboard", "发动机冒烟",
                "车辆自燃了", "sales staff were rude", "FIRE in the boot")


# ---------------------------------------------------------------------------- records


def generate(n: int, seed: int = 20261201) -> list[dict]:
    """``n`` valid records spread over working days, nights, weekends and the holidays of 2026."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 5, tzinfo=SHANGHAI)
    records = []
    for i in range(n):
        received = start + dt.timedelta(minutes=rng.randrange(0, 355 * 24 * 60))
        record = {
            "id": f"c{i:06d}",
            "received_at": received,
            "category": rng.choice(CATEGORIES),
            "description": rng.choice(DESCRIPTIONS),
            "demands": [d for d in DEMANDS if rng.random() < 0.04],
            "external": [e for e in ("media", "consumer_association", "court", "regulator") if rng.random() < 0.03],
            "hazards": [h for h in ("fire", "injury") if rng.random() < 0.02],
            "dissatisfaction": rng.choice(("low", "low", "high")),
            "loss": rng.choice(("small", "small", "large")),
            "claimed_amount": rng.choice((0, 100, 999, 1000, 4999, 5000, 20000)),
            "repeat_count": rng.choice((0, 0, 0, 1, 2, 3)),
        }
        if rng.random() < 0.5:
            record["cause"] = rng.choice(CAUSES)
        if not record["description"]:
            del record["description"]
        records.append(record)
    return records


# ---------------------------------------------------------------------------- hand-written Python

# What a developer would write by hand for svw-dealer.policy (classify, route, first_contact), using the same
# calendar library for working days, as any hand-written deadline code would.
CN = calendar("CN", hours="08:30-18:00", timezone="Asia/Shanghai")
ONE_WORKING_DAY = ir.Duration(1, "working_days")
TWO_HOURS = dt.timedelta(hours=2)
FIRE_WORDS = ("fire", "smoke", "冒烟", "火灾", "着火", "自燃", "起火")
IRRATIONAL = frozenset({"excessive_expectation", "policy_misunderstanding", "uncooperative"})
SALES = frozenset({"sales_service", "vehicle_supply"})
AFTER_SALES = frozenset({"after_sales_service", "parts_supply", "product_quality", "repair_quality"})


def decide_by_hand(record: dict) -> tuple:
    """Level, routes and the first-contact deadline of svw-dealer.policy, written by hand."""
    hazards = record.get("hazards") or ()
    demands = record.get("demands") or ()
    external = record.get("external") or ()
    text = (record.get("description") or "").casefold()
    if (
        "fire" in hazards or "injury" in hazards or any(w in text for w in FIRE_WORDS)
        or "engine_replacement" in demands or "gearbox_replacement" in demands
        or "exchange_vehicle" in demands or "return_vehicle" in demands
        or "consumer_association" in external or "court" in external or "media" in external
    ):
        level = "major"
    elif record.get("cause") in IRRATIONAL:
        level = "irrational"
    elif record.get("dissatisfaction") == "high" or record.get("loss") == "large":
        level = "intermediate"
    else:
        level = "general"
    routes: list[str] = []
    category = record.get("category")
    if level == "major":
        routes += ["general_manager", "complaint_team", "customer_director"]
    if category in SALES:
        routes.append("sales_director")
    elif category in AFTER_SALES:
        routes.append("after_sales_director")
    elif category == "value_added":
        routes.append("value_added_manager")
    if routes and "customer_director" not in routes:
        routes.append("customer_director")
    if not routes:
        routes = ["customer_director"]
    received = record["received_at"]
    if category == "product_quality":
        due = received + TWO_HOURS  # elapsed hours: no calendar involved
    else:
        due = CN.add(received, ONE_WORKING_DAY)
    return level, tuple(routes), due


# ---------------------------------------------------------------------------- zen-engine (JDM)


def _table(node_id: str, hit: str, inputs: list[str], outputs: list[str], rules: list[tuple[list, list]],
           output_path: str | None = None) -> dict:
    return {
        "id": node_id, "type": "decisionTableNode", "name": node_id, "position": {"x": 0, "y": 0},
        "content": {
            "hitPolicy": hit, "passThrough": True, "inputField": None, "outputPath": output_path, "executionMode": "single",
            "inputs": [{"id": f"{node_id}_i{k}", "name": f, "field": f} for k, f in enumerate(inputs)],
            "outputs": [{"id": f"{node_id}_o{k}", "name": f, "field": f} for k, f in enumerate(outputs)],
            "rules": [
                {"_id": f"{node_id}_r{n}", **{f"{node_id}_i{k}": c for k, c in enumerate(when)},
                 **{f"{node_id}_o{k}": c for k, c in enumerate(then)}}
                for n, (when, then) in enumerate(rules)
            ],
        },
    }


def _any(*members: str) -> str:
    return "some($, # in [" + ", ".join(f'"{m}"' for m in members) + "])"


def jdm() -> dict:
    """svw-dealer's classify, route and first_contact rules as three chained JDM decision tables."""
    mentions = " or ".join(f'contains(lower($), "{w}")' for w in FIRE_WORDS)
    level_inputs = ["hazards", "description", "demands", "external", "cause", "dissatisfaction", "loss"]

    def row(column: str, cell: str, level: str) -> tuple[list, list]:
        return ([cell if c == column else "" for c in level_inputs], [f'"{level}"'])

    nodes = [
        {"id": "in", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
        _table("level", "first", level_inputs, ["level"], [
            row("hazards", _any("fire", "injury"), "major"),
            row("description", mentions, "major"),
            row("demands", _any("engine_replacement", "gearbox_replacement"), "major"),
            row("demands", _any("exchange_vehicle", "return_vehicle"), "major"),
            row("external", _any("consumer_association", "court", "media"), "major"),
            row("cause", '"excessive_expectation", "policy_misunderstanding", "uncooperative"', "irrational"),
            row("dissatisfaction", '"high"', "intermediate"),
            row("loss", '"large"', "intermediate"),
            row("", "", "general"),
        ]),
        # hit policy "collect": route `all` is the union of the targets of every matching rule.
        _table("route", "collect", ["level", "category"], ["targets"], [
            (['"major"', ""], ['["general_manager", "complaint_team", "customer_director"]']),
            (["", '"sales_service", "vehicle_supply"'], ['["sales_director", "customer_director"]']),
            (["", '"after_sales_service", "parts_supply", "product_quality", "repair_quality"'],
             ['["after_sales_director", "customer_director"]']),
            (["", '"value_added"'], ['["value_added_manager", "customer_director"]']),
        ], output_path="route"),
        _table("deadline", "first", ["category"], ["first_contact_unit", "first_contact_amount"], [
            (['"product_quality"'], ['"hours"', "2"]),
            ([""], ['"working_days"', "1"]),
        ]),
        {"id": "out", "type": "outputNode", "name": "response", "position": {"x": 0, "y": 0}},
    ]
    order = ["in", "level", "route", "deadline", "out"]
    edges = [{"id": f"e{i}", "sourceId": a, "targetId": b, "type": "edge"} for i, (a, b) in enumerate(zip(order, order[1:]))]
    return {"nodes": nodes, "edges": edges}


def zen_decider() -> Callable[[dict], tuple]:
    import zen

    decision = zen.ZenEngine().create_decision(json.dumps(jdm()))

    def decide(record: dict) -> tuple:
        result = decision.evaluate({
            "hazards": record.get("hazards") or [],
            "description": record.get("description") or "",
            "demands": record.get("demands") or [],
            "external": record.get("external") or [],
            "cause": record.get("cause"),
            "dissatisfaction": record.get("dissatisfaction", "low"),
            "loss": record.get("loss", "small"),
            "category": record.get("category"),
        })["result"]
        # Collected route rows become one list without repeats; no row is the route's `otherwise`.
        routes: list[str] = []
        for row in result.get("route") or ():
            routes.extend(t for t in row["targets"] if t not in routes)
        # JDM has no working-day calendar: the table picks the rule, the same calendar library places the date.
        received = record["received_at"]
        if result["first_contact_unit"] == "hours":
            due = received + dt.timedelta(hours=result["first_contact_amount"])
        else:
            due = CN.add(received, ir.Duration(result["first_contact_amount"], "working_days"))
        return result["level"], tuple(routes or ["customer_director"]), due

    return decide


# ---------------------------------------------------------------------------- measuring


def summary_of(decision) -> tuple:
    due = next((d.due_at for d in decision.deadlines if d.clock == "first_contact"), None)
    return decision.level, tuple(decision.routes), due


CHUNK = 10_000


def timed(decide: Callable[[dict], object], records: list) -> tuple[list, float]:
    """Results for every record, and seconds per record of the fastest chunk of ``CHUNK``.

    Other processes on a shared machine only ever slow a chunk down, so the fastest chunk (as with
    ``timeit``'s minimum) is the most faithful measure of the engine itself.
    """
    results: list = []
    best = float("inf")
    for start in range(0, len(records), CHUNK):
        chunk = records[start:start + CHUNK]
        started = time.perf_counter()
        results.extend([decide(r) for r in chunk])
        best = min(best, (time.perf_counter() - started) / len(chunk))
    return results, best


def time_loads(paths: list[Path], repeat: int = 5) -> list[tuple[str, float, float]]:
    """(policy, first load ms, median of later loads ms): parse + check + compile each time."""
    rows = []
    for path in paths:
        times = []
        try:
            for _ in range(repeat):
                started = time.perf_counter()
                policy = load(path)
                policy.compiled  # noqa: B018 - compiling is part of the load being measured
                times.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # noqa: BLE001 - one broken policy must not hide the others' timings
            print(f"{path.relative_to(ROOT)}: cannot load: {str(exc).splitlines()[0]}")
            continue
        rows.append((str(path.relative_to(ROOT)), times[0], statistics.median(times[1:])))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--no-zen", action="store_true", help="skip zen-engine (when it is not installed)")
    args = parser.parse_args(argv)

    print(f"python {platform.python_version()} on {platform.machine()} ({platform.system()})")
    started = time.perf_counter()
    policy = load(POLICY)
    records = generate(args.records)
    print(f"policy {POLICY.relative_to(ROOT)} ({policy.fingerprint[:19]}), {len(records):,} generated records")

    hand, t_hand = timed(decide_by_hand, records)
    compiled, t_compiled = timed(lambda r: policy.evaluate(r), records)
    interpreted, t_interp = timed(lambda r: policy.interpret(r), records)
    # Where the time goes: the same compiled decisions from records already coerced and validated.
    coerce = make_coercer(schema_for(policy.ir))
    coerced = [coerce(r) for r in records]
    program = policy.compiled
    decided, t_decide = timed(lambda rv: program.decide(rv[1], rv[0]), coerced)
    engines = [("compiled evaluator (Policy.evaluate)", compiled, t_compiled),
               ("  of which deciding (values pre-coerced)", decided, t_decide),
               ("interpreter oracle (Policy.interpret)", interpreted, t_interp)]
    if not args.no_zen:
        zen_results, t_zen = timed(zen_decider(), records)
        engines.append(("zen-engine JDM (per record)", zen_results, t_zen))

    disagreements = 0
    for i, expected in enumerate(hand):
        for name, results, _ in engines:
            got = results[i] if name.startswith("zen") else summary_of(results[i])
            if tuple(got) != expected:
                disagreements += 1
                if disagreements <= 5:
                    print(f"DISAGREE {name} on {records[i]['id']}: {got} != {expected}")
    full_mismatch = sum(1 for a, b, c in zip(compiled, interpreted, decided) if not a == b == c)

    print()
    print(f"records/s of the fastest chunk of {CHUNK:,} records, per engine")
    print(f"{'engine':42} {'records/s':>12} {'vs hand-written':>16}")
    rate_hand = 1 / t_hand
    print(f"{'hand-written Python function':42} {rate_hand:>12,.0f} {'1.00x':>16}")
    for name, _, seconds in engines:
        rate = 1 / seconds
        print(f"{name:42} {rate:>12,.0f} {f'{rate_hand / rate:.2f}x slower':>16}")
    print()
    print(f"agreement: {len(records):,} records x {len(engines) + 1} engines, {disagreements} disagreements "
          f"on (level, routes, first_contact); compiled vs interpreter full decisions differ on {full_mismatch}")

    print()
    paths = sorted((ROOT / "policies").rglob("*.policy")) + sorted((ROOT / "policies").rglob("*.y*ml"))
    print(f"{'policy load (parse + check + compile)':60} {'first ms':>9} {'median ms':>10}")
    slow = 0
    for name, first, median in time_loads(paths):
        slow += median >= 50
        print(f"{name:60} {first:>9.1f} {median:>10.1f}")
    print(f"load target < 50 ms: {'met' if not slow else f'missed by {slow} policies'}")
    print(f"total bench time {time.perf_counter() - started:.1f} s")
    return 1 if disagreements or full_mismatch else 0


if __name__ == "__main__":
    sys.exit(main())
