"""lychee-garden against a second, independently hand-written function of its whole decision.

    python bench/bench_lychee.py [--records 20000]

``policies/property/lychee-garden.policy`` is a property manager's procedure (route ``all``, deadlines
from two anchors, escalations on the completion clock, 30% sampled follow-ups, fifteen obligations): a
different shape from svw-dealer, written by hand here from the policy text alone (not from bench_eval.py),
the way a developer would: plain tuples from the raw record, no validation, the library's calendar
shifters for working days and years, ``timedelta`` for hours and days. Every record's result is checked
against ``Policy.evaluate`` (level, label, routes, owner, deadlines, escalations with status at ``now``,
remedy, follow-up with its sample point, obligations, trace of rule ids) before the timing counts.

Rounds: each chunk of records is one round, the engines taking turns on it; ratio = engine time / hand
time in the same round, min / median / max; the target of issue 16 (``Policy.evaluate`` within 1.5x) is
judged on the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHANGHAI, ratio_lines, run_rounds  # noqa: E402
from _common import sample_point as _point  # noqa: E402

import complaint_rules  # noqa: E402
from complaint_rules import ir  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "property" / "lychee-garden.policy"
NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=SHANGHAI)
TARGET = 1.5

CATEGORIES = ("in_home_repair", "public_repair", "facility_damage", "in_home_cleaning", "in_home_greening",
              "public_cleaning", "public_greening", "renovation_nuisance", "intruding_salespeople", "mail",
              "security", "service", "routine_visit", "other")  # fmt: skip


def generate(n: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 5, tzinfo=SHANGHAI)
    out = []
    for i in range(n):
        received = start + dt.timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        r = {"id": f"L{i:06d}", "received_at": received, "category": rng.choice(CATEGORIES),
             "severity": rng.choice(("simple", "simple", "complex", "serious")), "paid": rng.random() < 0.3,
             "anonymous": rng.random() < 0.1, "key_customer": rng.random() < 0.1,
             "repeat_count": rng.choice((0, 0, 1, 2)), "owners_affected": rng.choice((1, 1, 2, 5)),
             "fix_check": rng.choice(("on_spot", "on_spot", "deferred", "recurring")),
             "work_order_rating": rng.choice(("satisfied", "satisfied", "dissatisfied", "unrated")),
             "work_order_signed": rng.random() < 0.7, "new_issue_raised": rng.random() < 0.1,
             "claimed_amount": rng.choice((0, 0, 0, 300))}  # fmt: skip
        if rng.random() < 0.05:
            r["hazards"] = [rng.choice(("fire", "injury"))]
        if rng.random() < 0.05:
            r["external"] = [rng.choice(("media", "court", "regulator", "consumer_association"))]
        if rng.random() < 0.4:
            r["promised_at"] = received + dt.timedelta(hours=rng.randrange(2, 72))
        if r["paid"] and rng.random() < 0.6:
            r["dispatched_at"] = received + dt.timedelta(hours=1)
            if rng.random() < 0.5:
                r["consent_at"] = received + dt.timedelta(minutes=30)
        if rng.random() < 0.6:
            r["resolved_at"] = received + dt.timedelta(hours=rng.randrange(1, 200))
        out.append(r)
    return out


# ---------------------------------------------------------------------------- by hand, from the policy text

CN = complaint_rules.calendar("CN", hours="09:00-18:00", timezone="Asia/Shanghai")
PLUS_WORKING_DAY = CN.shifter(ir.Duration(1, "working_days"))
PLUS_YEAR = CN.shifter(ir.Duration(1, "years"))
H24, H48, D1, D3, D5, D7 = (dt.timedelta(hours=24), dt.timedelta(hours=48), dt.timedelta(days=1),
                            dt.timedelta(days=3), dt.timedelta(days=5), dt.timedelta(days=7))  # fmt: skip
LABELS = {"general": "一般投诉", "intermediate": "复杂投诉", "major": "重大投诉"}
APPROVER = {"general": "customer_service_lead", "intermediate": "customer_service_lead", "major": "leadership"}
OPTIONS = ("redo", "replacement", "refund", "compensation")
REPAIRS = frozenset({"facility_damage", "in_home_repair", "public_repair"})
FORWARD = frozenset({"facility_damage", "intruding_salespeople", "public_cleaning", "public_greening",
                     "renovation_nuisance"})  # fmt: skip
ROUTES = (  # route all: (rule, categories or None for level == major, units)
    ("repairs", REPAIRS, ("engineering", "customer_service")),
    ("in_home_service", frozenset({"in_home_cleaning", "in_home_greening"}), ("customer_service",)),
    ("public_environment", frozenset({"public_cleaning", "public_greening"}), ("environment", "customer_service")),
    ("nuisance", frozenset({"intruding_salespeople", "renovation_nuisance", "security"}),
     ("security", "customer_service")),
    ("mail", frozenset({"mail"}), ("security",)),
)
ASSISTANT, LEAD_PM = ("customer_service_assistant",), ("customer_service_lead", "project_manager")


def sample_point(rule: str, record_id: str) -> float:
    return _point("lychee-garden", rule, record_id)


def decide_by_hand(r: dict, now: dt.datetime) -> tuple:
    trace = []
    received, category = r["received_at"], r.get("category", "other")
    resolved, promised = r.get("resolved_at"), r.get("promised_at")
    hazards, external = r.get("hazards") or (), r.get("external") or ()
    if hazards:
        level, rule = "major", "hazard"
    elif external:
        level, rule = "major", "went_public"
    elif r.get("severity") == "serious":
        level, rule = "major", "assessed_serious"
    elif r.get("severity") == "complex":
        level, rule = "intermediate", "assessed_complex"
    else:
        level, rule = "general", "classify.otherwise"
    trace.append(rule)

    routes: list[str] = []
    if level == "major":
        routes += ["leadership", "customer_service"]
        trace.append("serious")
    for rule, categories, units in ROUTES:
        if category in categories:
            routes += [u for u in units if u not in routes]
            trace.append(rule)
    if not routes:
        routes, _ = ["customer_service"], trace.append("route.otherwise")
    owner = routes[0]

    if level == "intermediate":
        deadlines = [("response", "complex_response", "received_at", received + H48)]
    else:
        deadlines = [("response", "response", "received_at", received + H24)]
    deadlines.append(("first_reply", "first_reply", "received_at", PLUS_WORKING_DAY(received)))
    completion = promised
    if promised is not None:
        deadlines.append(("completion", "promised_completion", "promised_at", promised))
    trace += [d[1] for d in deadlines]

    paid = r.get("paid") is True
    escalations = []
    for rule, action, targets, due, active in (
        ("serious_report", "notify", ("leadership", "unit_heads"), received, level == "major"),
        ("chase_unfinished", "remind", (owner,), completion, resolved is None),
        ("dispatched_without_consent", "escalate", ("customer_service_lead",), received,
         paid and r.get("dispatched_at") is not None and r.get("consent_at") is None),
        ("repeat_complaint", "escalate", ("person_in_charge",), received, (r.get("repeat_count") or 0) >= 1),
    ):
        status = "inactive" if not active else "due" if due is not None and now >= due else "pending"
        escalations.append((rule, action, targets, due, status))
        if active:
            trace.append(rule)

    amount = Decimal(r.get("claimed_amount") or 0)
    within = amount <= 0
    remedy = (level, Decimal(0), APPROVER[level], OPTIONS, amount, within, within, None, False)

    fix, key = r.get("fix_check", "on_spot"), r.get("key_customer") is True
    if r.get("anonymous") is True:
        follow = ("exempt", "anonymous", None, False, None, (), (), None)
    else:
        point = None
        if category == "in_home_repair" and (r.get("work_order_rating", "unrated") != "satisfied"
                                             or r.get("work_order_signed") is not True):
            rule, rate, by, via, due = "repair_mandatory", 100, ASSISTANT, ("phone", "visit"), D1
        elif category == "in_home_repair":
            rule, rate, by, via, due = "repair_sample", 30, ASSISTANT, ("phone", "visit"), D1
            point = sample_point(rule, r["id"])
        elif category == "routine_visit":
            rule, rate, by, via, due = "routine_visit", 100, ASSISTANT, ("phone", "visit"), None
        elif level == "major" and fix != "on_spot":
            rule, rate, by, via, due = "major_deferred", 100, LEAD_PM, ("visit",), D5
        elif level == "major":
            rule, rate, by, via, due = "major", 100, LEAD_PM, ("visit",), D3
        elif key and fix != "on_spot":
            rule, rate, by, via, due = "key_customer_deferred", 100, LEAD_PM, ("visit", "phone"), D5
        elif key:
            rule, rate, by, via, due = "key_customer", 100, LEAD_PM, ("visit", "phone"), D3
        elif fix == "recurring":
            rule, rate, by, via, due = "recurring", 100, ASSISTANT, ("phone", "visit"), D7
        elif fix == "deferred":
            rule, rate, by, via, due = "deferred", 100, ASSISTANT, ("phone", "visit"), D5
        else:
            rule, rate, by, via, due = "follow_up.otherwise", 100, ASSISTANT, ("phone", "visit"), D3
        if due is None:
            due_at = PLUS_YEAR(received)  # routine visits: 1 year after received_at
        else:
            due_at = resolved + due if resolved is not None else None
        status = "required" if point is None or point < rate else "not_sampled"
        follow = (status, rule, Decimal(rate), point is not None, point, by, via, due_at)
    trace.append(follow[1])

    anonymous, at_end = r.get("anonymous") is True, resolved
    obligations = []
    for rule, by, due, applies in (
        ("intake_four_clear", ("customer_service",), received, True),
        ("investigate", ("customer_service",), received, category != "routine_visit"),
        ("agree_remedy", ("customer_service",), received, level != "general"),
        ("quote_and_consent", ("customer_service",), received, paid and category == "in_home_repair"),
        ("bill_fee", ("customer_service",), at_end, paid and category == "in_home_repair"),
        ("customer_sign_off", ("engineering",), at_end, category in REPAIRS),
        ("arrange_paid_service", ("customer_service",), received, category in ("in_home_cleaning", "in_home_greening")),
        ("forward_to_unit", ("customer_service",), received, category in FORWARD),
        ("check_mail_records", ("security",), received, category == "mail"),
        ("record_anonymous", ("customer_service",), at_end, anonymous),
        ("open_letter", ("customer_service_lead",), received, (r.get("owners_affected") or 1) >= 2),
        ("promise_reply_time", ("customer_service_lead",), received, r.get("new_issue_raised") is True),
        ("follow_up_record", ASSISTANT, received, not anonymous),
        ("archive_form", ("customer_service_lead",), at_end, not anonymous),
        ("record_and_analyse", ("customer_service",), at_end, True),
    ):
        if applies:
            obligations.append((rule, by, due))
            trace.append(rule)
    return (level, LABELS[level], tuple(routes), owner, tuple(deadlines), tuple(escalations), remedy, follow,
            tuple(obligations), tuple(trace))


def summary(d) -> tuple:
    rm, f = d.remedy, d.follow_up
    return (d.level, d.level_label, d.routes, d.owner,
            tuple((x.clock, x.rule, x.anchor, x.due_at) for x in d.deadlines),
            tuple((e.rule, e.action, e.targets, e.due_at, e.status) for e in d.escalations),
            (rm.tier, rm.cap.amount, rm.approver, rm.options, rm.amount.amount, rm.within_cap,
             rm.within_authority, rm.required_approver, rm.beyond_authority),
            (f.status, f.rule, f.rate, f.sampled, f.sample_point, f.by, f.via, f.due_at),
            tuple((o.rule, o.by, o.due_at) for o in d.obligations), d.rule_ids)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args(argv)
    policy = complaint_rules.load(POLICY)
    records = generate(args.records)
    bad = 0
    for r in records:
        mine, theirs = decide_by_hand(r, NOW), summary(policy.evaluate(r, NOW))
        if mine != theirs:
            bad += 1
            if bad <= 3:
                parts = [i for i, (a, b) in enumerate(zip(mine, theirs)) if a != b]
                print(f"DISAGREE on {r['id']}: parts {parts}: " + "; ".join(
                    f"hand {mine[i]!r} library {theirs[i]!r}" for i in parts)[:900])  # fmt: skip
    program = policy.compiled
    coerced = [program.coerce(r) for r in records]
    engines = {
        "hand-written (second, independent)": lambda r: decide_by_hand(r, NOW),
        "compiled evaluator (Policy.evaluate)": lambda r: policy.evaluate(r, NOW),
        "  deciding (values pre-coerced)": lambda rv: program.decide(rv[1], rv[0], NOW),
        "  into plain dicts (.outcome)": lambda rv: program.outcome(rv[1], rv[0], NOW),
        "interpreter oracle (Policy.interpret)": lambda r: policy.interpret(r, NOW),
    }
    size = min(5000, max(500, len(records) // 5))

    def chunk_of(name: str, start: int, stop: int) -> list:
        return (coerced if "pre-coerced" in name or "plain" in name else records)[start:stop]

    per = run_rounds(engines, chunk_of, len(records), size)
    hand = per["hand-written (second, independent)"]
    print(f"{POLICY.relative_to(ROOT)}, {len(records):,} records; hand-written vs Policy.evaluate disagree on {bad}")
    print(f"{len(hand)} rounds of {size:,} records, engines taking turns, GC paused; ratio min / median / max")
    lines, missed = ratio_lines(per, "hand-written (second, independent)",
                                {"compiled evaluator (Policy.evaluate)": TARGET}, width=40)
    print("\n".join(lines))
    return 1 if bad or missed else 0


if __name__ == "__main__":
    sys.exit(main())
