"""The compiler and the code it generates: behaviour no other test pinned down (each test here failed on a
mutant that survived an audit): clocks computed in the order their anchors need, an empty ``and``/``or``,
and one fresh name per temporary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from complaint_rules import ir, load
from complaint_rules.engine.compiler import compile_policy
from complaint_rules.language.frontend import dsl

ROOT = Path(__file__).resolve().parent.parent
CST = dt.timezone(dt.timedelta(hours=8))

# Each clock is declared before the clock it is anchored on: the generated code must compute them in the
# other order (contact, then plan, then check, then review), as the interpreter does.
CHAINED = '''policy "chained" {
  timezone "Asia/Shanghai"
}
record {
  urgent: bool = false
}
units { cs "客服" }
levels { general "一般" }
classify first {
  otherwise -> general
}
route first {
  otherwise -> cs
}
deadlines {
  rule review: review = 3 days after check
  rule check: check = 1 day after plan
  rule plan_fast: plan = 30 minutes after contact when urgent
  rule plan: plan = 2 hours after contact
  rule contact: contact = 1 hour after received_at
}
'''


@pytest.mark.parametrize("urgent", [False, True])
def test_chained_clocks_are_computed_after_their_anchors(urgent):
    compiled = compile_policy(dsl.parse(CHAINED, "chained.policy"), fingerprint="sha256:chained")
    record = {"id": "c1", "received_at": "2026-03-02T09:00+08:00", "urgent": urgent}
    received = dt.datetime(2026, 3, 2, 9, tzinfo=CST)
    plan = received + dt.timedelta(hours=1, minutes=30 if urgent else 120)
    expected = {
        "contact": received + dt.timedelta(hours=1),
        "plan": plan,
        "check": plan + dt.timedelta(days=1),
        "review": plan + dt.timedelta(days=4),
    }
    for run in (compiled.evaluate, compiled.interpret):
        decision = run(record)
        got = {d.clock: d.due_at for d in decision.deadlines}
        assert got == expected, run
    assert compiled.evaluate(record) == compiled.interpret(record)


def test_a_clock_anchored_on_a_missing_clock_is_not_due():
    text = CHAINED.replace("contact = 1 hour after received_at", "contact = 1 hour after resolved_at")
    compiled = compile_policy(dsl.parse(text, "chained.policy"), fingerprint="sha256:chained")
    record = {"id": "c2", "received_at": "2026-03-02T09:00+08:00"}
    for run in (compiled.evaluate, compiled.interpret):
        decision = run(record)
        assert {d.clock: d.due_at for d in decision.deadlines} == dict.fromkeys(("review", "check", "plan", "contact"))


EMPTY = '''policy "empty" {
}
units { cs "客服"  gm "总经理" }
levels { general "一般"  major "重大" }
classify first {
  rule all_of: true -> major
  otherwise -> general
}
route first {
  rule any_of: true -> gm
  otherwise -> cs
}
'''


def _with_conditions(classify_when: ir.Expr, route_when: ir.Expr) -> ir.Policy:
    policy = dsl.parse(EMPTY, "empty.policy")
    classify = dataclasses.replace(
        policy.classify, rules=(dataclasses.replace(policy.classify.rules[0], when=classify_when),)
    )
    route = dataclasses.replace(policy.route, rules=(dataclasses.replace(policy.route.rules[0], when=route_when),))
    return dataclasses.replace(policy, classify=classify, route=route)


def test_an_empty_and_holds_and_an_empty_or_does_not():
    # `and` of nothing is true, `or` of nothing is false (as all() and any()), in both evaluators.
    compiled = compile_policy(_with_conditions(ir.And(()), ir.Or(())), fingerprint="sha256:empty")
    for run in (compiled.evaluate, compiled.interpret):
        decision = run({"id": "e1", "received_at": "2026-03-02T09:00+08:00"})
        assert decision.level == "major" and decision.routes == ("cs",), run
    compiled = compile_policy(_with_conditions(ir.Not(ir.And(())), ir.Not(ir.Or(()))), fingerprint="sha256:empty2")
    for run in (compiled.evaluate, compiled.interpret):
        decision = run({"id": "e2", "received_at": "2026-03-02T09:00+08:00"})
        assert decision.level == "general" and decision.routes == ("gm",), run


_WALRUS = re.compile(r"\((_t\d+) :=")


@pytest.mark.parametrize("path", sorted((ROOT / "policies").rglob("*.policy")), ids=lambda p: p.name)
def test_every_temporary_in_the_generated_code_is_fresh(path):
    # Temporaries are assigned once each: two parts of one condition never share a name, so reordering or
    # nesting parts cannot make one read the other's value.
    source = load(path).compiled.source
    assigned = _WALRUS.findall(source)
    assert len(assigned) == len(set(assigned))
    if path.name == "svw-dealer.policy":  # many conditions with sets, enums and money: many temporaries
        assert len(assigned) >= 10
