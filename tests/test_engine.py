"""Every part of a decision, on a policy written for the purpose (a leisure club, seed 004)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal

import pytest

import complaint_rules as cr
from complaint_rules import ir
from complaint_rules.engine.compiler import LEVEL, compile_condition
from complaint_rules.engine.decision import Decision
from complaint_rules.engine.interpreter import sample_point
from complaint_rules.errors import EvaluationError
from complaint_rules.language.frontend import dsl

CLUB = """\
policy "club" {
  title "Leisure club"
  version "1"
  currency CNY
  calendar "CN"
  timezone "Asia/Shanghai"
}

record {
  category: enum {minor_repair, billing, injury_case, service}
  paid_repair: bool = false
}

units {
  supervisor "主管"
  department_manager "部门经理"
  general_manager "总经理"
  customer_service "客服部"
  engineering "工程部"
}

levels { general "★"  intermediate "★★"  major "★★★" }

classify highest {
  rule injury: hazards has any {injury} -> major
  rule media: external has any {media, court} -> major
  rule big: claimed_amount >= 1000 CNY -> intermediate
  rule repeat: repeat_count >= 2 -> intermediate note "repeat"
  otherwise -> general
}

route all {
  rule gm: level == major -> general_manager
  rule repair: category == minor_repair -> engineering, customer_service
  rule fire_words: description mentions any {"火", "FIRE"} -> general_manager
  otherwise -> customer_service
}

deadlines {
  rule first_reply: first_reply = 1 working day after received_at
  rule fast_major: resolution = 24 hours after first_reply when level == major
  rule resolution: resolution = 3 days after first_reply
  rule final: final_follow_up = 3 days after resolved_at
}

escalate {
  rule remind: remind owner 2 hours before first_reply when first_contact_at is missing
  rule overdue: notify general_manager 1 day after first_reply when first_contact_at is missing
  rule repeat_gm: escalate general_manager immediately when repeat_count >= 2
}

compensate {
  amount claimed_amount
  options { discount_item "单项折扣"  free_service "免费一次"  vip_card "贵宾卡"  cash "现金" }
  authority { supervisor up to 200 CNY  department_manager up to 1000 CNY  general_manager up to 5000 CNY }
  tier general up to 200 CNY by supervisor
  tier intermediate up to 1000 CNY by department_manager
  tier major up to 5000 CNY by general_manager
  rule cards_not_cash: exclude {cash} when claimed_amount >= 1000 CNY
  rule prefer_cards: prefer {vip_card} when claimed_amount >= 1000 CNY
  rule words_first: prefer {discount_item} when level == general
}

follow_up {
  rule anonymous: none when anonymous
  rule major: 100% within 3 days after resolved_at by supervisor via visit when level == major
  rule repairs: 30% within 1 day after resolved_at by customer_service via phone when category == minor_repair
  otherwise: 100% within 3 days after resolved_at by customer_service via phone
  until satisfied at most 2 times
}

obligations {
  rule quote: quote_and_consent "报价并征得同意" by customer_service immediately when paid_repair
  rule report: report_leadership by customer_service immediately when level == major
  rule retain: keep_record by customer_service for 2 years
  rule plan: remedy_plan by department_manager 24 hours after first_contact_at
}
"""

CST = dt.timezone(dt.timedelta(hours=8))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def club() -> cr.Policy:
    return cr.loads(CLUB, name="club.policy")


def decide(policy: cr.Policy, now: dt.datetime | None = None, **fields) -> Decision:
    record = {"id": "R1", "received_at": "2026-11-02T10:00+08:00", **fields}
    decision = policy.evaluate(record, now=now)
    # Every decision in this file is also checked against the oracle.
    assert decision == policy.interpret(record, now=now)
    return decision


# ---------------------------------------------------------------------------- level and routes


def test_highest_takes_the_most_severe_level_and_traces_every_match(club):
    d = decide(club, hazards=["injury"], claimed_amount="1500 CNY", repeat_count=3)
    assert (d.level, d.level_label) == ("major", "★★★")
    assert [t.rule for t in d.trace if t.block == "classify"] == ["injury", "big", "repeat"]
    assert next(t for t in d.trace if t.rule == "repeat").note == "repeat"


def test_otherwise_level_and_route(club):
    d = decide(club)
    assert (d.level, d.level_label) == ("general", "★")
    assert d.routes == ("customer_service",) and d.owner == "customer_service"
    assert {"classify.otherwise", "route.otherwise"} <= set(d.rule_ids)


def test_route_all_unions_targets_in_rule_order_without_repeats(club):
    d = decide(club, hazards="injury", category="minor_repair", description="Smoke, then a small fire")
    assert d.routes == ("general_manager", "engineering", "customer_service")
    assert d.owner == "general_manager"
    assert [t.rule for t in d.trace if t.block == "route"] == ["gm", "repair", "fire_words"]


def test_mentions_ignores_case_and_matches_chinese(club):
    assert "fire_words" in decide(club, description="厨房起火了").rule_ids
    assert "fire_words" in decide(club, description="FiRe alarm").rule_ids
    assert "fire_words" not in decide(club, description="firm answer").rule_ids


def test_trace_locations_point_into_the_policy(club):
    d = decide(club, hazards="injury")
    injury = next(t for t in d.trace if t.rule == "injury")
    assert injury.location == "club.policy:25:3"
    assert all(re.fullmatch(r"club\.policy:\d+:\d+", t.location) for t in d.trace)
    assert CLUB.splitlines()[24].strip().startswith("rule injury:")


# ---------------------------------------------------------------------------- conditions


SCHEMA = {
    "category": ir.FieldDecl("category", ir.FieldType("enum", ("a", "b", "c"))),
    "amount": ir.FieldDecl("amount", ir.FieldType("money", currency="CNY")),
}


def cond(text: str):
    return compile_condition(dsl.parse_fragment(text, "cond"), SCHEMA)


@pytest.mark.parametrize(
    "text",
    ["category == a", "category != a", "category not in {a}", "category < c", "amount < 5 CNY", "not flag"],
)
def test_a_missing_field_makes_every_comparison_false(text):
    expected = text.startswith("not ")  # `not` of a false test is true
    assert cond(text)({}) is expected


def test_is_missing_and_is_present():
    assert cond("category is missing")({}) and not cond("category is present")({})
    assert cond("category is present")({"category": "a"})


def test_enum_and_level_order_by_declaration():
    assert cond("category > a")({"category": "c"}) and not cond("category > b")({"category": "a"})
    assert cond("level >= intermediate")({LEVEL: "major"}) and not cond("level > major")({LEVEL: "major"})


def test_money_compares_only_in_its_currency():
    assert cond("amount >= 1000 CNY")({"amount": ir.Money(Decimal(1000), "CNY")})
    assert not cond("amount >= 1000 CNY")({"amount": ir.Money(Decimal(5000), "USD")})


# ---------------------------------------------------------------------------- deadlines and escalations


def test_deadlines_chain_through_clocks_and_use_working_days(club):
    d = decide(club, received_at="2026-09-30T17:00+08:00", hazards="injury")
    assert d.deadline("first_reply") == at("2026-10-08T17:00+08:00")  # National Day week is not working
    resolution = next(x for x in d.deadlines if x.clock == "resolution")
    assert (resolution.rule, resolution.anchor) == ("fast_major", "first_reply")
    assert resolution.due_at == at("2026-10-09T17:00+08:00")
    assert decide(club, received_at="2026-10-09T10:00+08:00").deadline("first_reply") == at(
        "2026-10-10T10:00+08:00"
    )


def test_a_deadline_whose_anchor_is_missing_has_no_due_time(club):
    d = decide(club)
    final = next(x for x in d.deadlines if x.clock == "final_follow_up")
    assert final.due_at is None and final.rule == "final"
    resolved = decide(club, resolved_at="2026-11-05T09:30+08:00")
    assert resolved.deadline("final_follow_up") == at("2026-11-08T09:30+08:00")


def test_overdue_escalation_is_due_at_now_and_a_later_one_is_not(club):
    # Received Monday 10:00; first reply due Tuesday 10:00; overdue notice Wednesday 10:00.
    now = at("2026-11-03T09:00+08:00")
    d = decide(club, now=now, repeat_count=2)
    remind, overdue, repeat = d.escalations
    assert remind.due_at == at("2026-11-03T08:00+08:00") and remind.status == "due"
    assert remind.targets == (d.owner,) == ("customer_service",)  # `owner` becomes the routed owner
    assert overdue.due_at == at("2026-11-04T10:00+08:00") and overdue.status == "pending"
    assert repeat.due_at == at("2026-11-02T10:00+08:00") and repeat.status == "due"
    later = decide(club, now=at("2026-11-04T10:00+08:00"))
    assert later.escalation("overdue").status == "due"
    assert [e.rule for e in later.due_escalations()] == ["remind", "overdue"]


def test_escalations_without_now_are_pending_and_lifecycle_makes_them_inactive(club):
    d = decide(club)
    assert {e.status for e in d.escalations if e.rule != "repeat_gm"} == {"pending"}
    assert d.escalation("repeat_gm").status == "inactive"
    contacted = decide(club, now=at("2026-12-01T00:00+08:00"), first_contact_at="2026-11-02T11:00+08:00")
    assert contacted.escalation("overdue").status == "inactive"
    assert "overdue" not in contacted.rule_ids


def test_a_year_without_calendar_data_is_an_incomplete_decision_or_with_strict_an_evaluation_error(club):
    record = {"id": "R1", "received_at": "2099-06-01T10:00+08:00"}
    decision = club.evaluate(record)
    assert decision.incomplete and decision.level is not None and decision.routes
    assert {p.year for p in decision.problems} == {2099}
    assert all(decision.deadline(p.name) is None for p in decision.problems if p.part == "deadline")
    with pytest.raises(EvaluationError, match="record R1: .*no holiday data for 2099"):
        club.evaluate(record, strict=True)


def test_naive_now_is_rejected(club):
    with pytest.raises(EvaluationError, match="timezone-aware"):
        club.evaluate({"id": "R1", "received_at": "2026-11-02T10:00+08:00"}, now=dt.datetime(2026, 11, 3))


# ---------------------------------------------------------------------------- remedy


def test_remedy_above_the_approvers_cap_needs_a_higher_approver(club):
    remedy = decide(club, claimed_amount="500 CNY").remedy
    assert (remedy.tier, str(remedy.cap), remedy.approver) == ("general", "200 CNY", "supervisor")
    assert remedy.within_cap is False and remedy.within_authority is False
    assert remedy.required_approver == "department_manager" and not remedy.beyond_authority


def test_remedy_beyond_every_authority(club):
    remedy = decide(club, claimed_amount=8000).remedy
    assert remedy.tier == "intermediate" and str(remedy.amount) == "8000 CNY"
    assert remedy.required_approver is None and remedy.beyond_authority is True


def test_remedy_within_cap(club):
    remedy = decide(club, claimed_amount="150 CNY").remedy
    assert remedy.within_cap and remedy.within_authority and remedy.required_approver == "supervisor"


def test_cards_not_cash_from_1000_cny(club):
    big = decide(club, claimed_amount="1500 CNY")
    assert big.remedy.options == ("vip_card", "discount_item", "free_service")
    assert {"cards_not_cash", "prefer_cards"} <= set(big.rule_ids)
    small = decide(club, claimed_amount="300 CNY")
    assert small.remedy.options == ("discount_item", "free_service", "vip_card", "cash")


def test_no_amount_no_authority_answer(club):
    remedy = decide(club).remedy
    assert remedy.amount is None and remedy.within_cap is None and remedy.required_approver is None
    assert remedy.beyond_authority is False


# ---------------------------------------------------------------------------- follow-up


def test_anonymous_complaint_is_exempt(club):
    plan = decide(club, anonymous="yes", resolved_at="2026-11-03T10:00+08:00").follow_up
    assert (plan.status, plan.rule, plan.due_at, plan.rate) == ("exempt", "anonymous", None, None)


def test_required_follow_up_is_due_after_resolution(club):
    plan = decide(club, hazards="injury", resolved_at="2026-11-03T10:00+08:00").follow_up
    assert (plan.status, plan.rule, plan.by, plan.via) == ("required", "major", ("supervisor",), ("visit",))
    assert plan.due_at == at("2026-11-06T10:00+08:00") and plan.rate == Decimal(100)


def test_sampling_is_by_the_stable_hash(club):
    statuses = []
    for i in range(300):
        plan = decide(club, id=f"M{i}", category="minor_repair").follow_up
        assert plan.sampled and plan.rule == "repairs"
        assert plan.sample_point == sample_point("club", "repairs", f"M{i}")
        assert (plan.status == "required") == (plan.sample_point < 30)
        statuses.append(plan.status)
    share = statuses.count("required") / len(statuses)
    assert 0.2 < share < 0.4


def test_repeat_until_satisfied_at_most_n_times(club):
    unhappy = [{"at": "2026-11-05T10:00+08:00", "method": "phone", "satisfied": False}]
    plan = decide(club, follow_ups=unhappy).follow_up
    assert plan.repeat_needed and plan.attempts == 1
    twice = unhappy + [{"at": "2026-11-07T10:00+08:00", "method": "visit", "satisfied": "no"}]
    assert not decide(club, follow_ups=twice).follow_up.repeat_needed
    happy = [{"at": "2026-11-05T10:00+08:00", "satisfied": True}]
    assert not decide(club, follow_ups=happy).follow_up.repeat_needed


# ---------------------------------------------------------------------------- obligations


def test_obligations_with_who_and_when(club):
    d = decide(club, paid_repair=True, hazards="injury", resolved_at="2026-11-04T10:00+08:00")
    quote = d.obligation("quote")
    assert (quote.label, quote.by, quote.due_at) == (
        "报价并征得同意",
        ("customer_service",),
        at("2026-11-02T10:00+08:00"),
    )
    assert d.obligation("report").due_at == at("2026-11-02T10:00+08:00")
    assert d.obligation("retain").retain_until == at("2028-11-04T10:00+08:00")
    assert d.obligation("plan").due_at is None  # first contact not made yet
    contacted = decide(club, first_contact_at="2026-11-02T12:00+08:00")
    assert contacted.obligation("plan").due_at == at("2026-11-03T12:00+08:00")
    assert contacted.obligation("quote") is None and contacted.obligation("retain").retain_until is None


# ---------------------------------------------------------------------------- the decision as data


def test_decision_json_round_trip_and_identity(club):
    d = decide(club, now=at("2026-11-04T12:00+08:00"), hazards="injury", claimed_amount="1500 CNY",
               category="minor_repair", resolved_at="2026-11-03T10:00+08:00")  # fmt: skip
    assert Decision.model_validate_json(d.model_dump_json()) == d
    assert Decision.from_json(d.to_json()).to_json() == d.to_json()
    assert (d.policy_id, d.policy_version, d.fingerprint) == ("club", "1", club.fingerprint)
    assert d.record_id == "R1" and d.evaluated_at == at("2026-11-04T12:00+08:00")
    assert json.loads(d.to_json())["remedy"]["cap"] == {"amount": "5000", "currency": "CNY"}


def test_expected_values_for_embedded_tests(club):
    d = decide(club, now=at("2026-11-04T12:00+08:00"), claimed_amount="1500 CNY")
    assert d.expected("level") == "intermediate"
    assert d.expected("routes") == frozenset({"customer_service"})
    assert d.expected("deadline", "first_reply") == at("2026-11-03T10:00+08:00")
    assert d.expected("cap") == ir.Money(Decimal(1000), "CNY")
    assert d.expected("options") == ("vip_card", "discount_item", "free_service")
    assert d.expected("escalations") == frozenset({"remind", "overdue"})
    assert d.expected("obligations") == frozenset({"retain", "plan"})
    with pytest.raises(KeyError):
        d.expected("nonsense")


SCRIPT = """
import sys, json, complaint_rules as cr
policy = cr.loads(sys.stdin.read(), name="club.policy")
out = [policy.evaluate({"id": f"D{i}", "received_at": "2026-11-02T10:00+08:00", "category": "minor_repair"}).to_json()
       for i in range(40)]
print(json.dumps(out))
"""


def test_decisions_are_the_same_in_every_process(club):
    runs = []
    for seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", SCRIPT], input=CLUB, capture_output=True, text=True,
                              env={"PYTHONHASHSEED": seed, "PATH": ""}, check=True)  # fmt: skip
        runs.append(json.loads(proc.stdout))
    assert runs[0] == runs[1]
    here = [decide(club, id=f"D{i}", category="minor_repair").to_json() for i in range(40)]
    assert runs[0] == here
    assert {json.loads(r)["follow_up"]["status"] for r in here} == {"required", "not_sampled"}
