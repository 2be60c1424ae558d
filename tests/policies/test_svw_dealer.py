"""The Shanghai-VW dealer policy (seed 002 parts 1-5): each case cites the clause it comes from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import complaint_rules
from complaint_rules import ir
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy
from complaint_rules.language.printer import print_policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "automotive" / "svw-dealer.policy"
CST = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int = 10, minute: int = 0, month: int = 12) -> dt.datetime:
    """An instant in December 2026, Beijing time (inside the CN calendar's data)."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CST)


# Every scenario the cases below decide; the coverage test evaluates them all.
SCENARIOS: dict[str, tuple[dict[str, Any], dt.datetime | None]] = {
    "gearbox": ({"category": "product_quality", "demands": ["gearbox_replacement"]}, at(1, 11)),
    "engine": ({"category": "after_sales_service", "demands": ["engine_replacement"]}, None),
    "return_vehicle": ({"category": "sales_service", "demands": ["return_vehicle"]}, at(1, 10, 1)),
    "exchange_vehicle": ({"category": "sales_service", "demands": ["exchange_vehicle"]}, None),
    "money_demand": (
        {"category": "sales_service", "demands": ["compensation"], "claimed_amount": "800 CNY"},
        at(1, 10, 1),
    ),
    "fire_hazard": ({"category": "product_quality", "hazards": ["fire"]}, None),
    "fire_text": ({"category": "repair_quality", "description": "保养后第二天车辆自燃"}, None),
    "media": ({"category": "repair_quality", "external": ["media"]}, None),
    "consumer_association": ({"category": "parts_supply", "external": ["consumer_association"]}, None),
    "court": ({"category": "value_added", "external": ["court"]}, None),
    "policy_misunderstanding": (
        {
            "category": "after_sales_service",
            "cause": "policy_misunderstanding",
            "evidence": True,
            "due_at": at(3, 18),
        },
        None,
    ),
    "uncooperative": ({"category": "sales_service", "cause": "uncooperative"}, None),
    "excessive": (
        {"category": "after_sales_service", "cause": "excessive_expectation", "claimed_amount": "300 CNY"},
        None,
    ),
    "high_dissatisfaction": ({"category": "repair_quality", "dissatisfaction": "high"}, None),
    "large_loss": ({"category": "vehicle_supply", "loss": "large", "claimed_amount": "6000 CNY"}, None),
    "general_sales": ({"category": "sales_service", "due_at": at(3, 18)}, at(4, 19)),
    "general_before_reminder": ({"category": "sales_service", "due_at": at(3, 18)}, at(2, 17)),
    "general_resolved": (
        {"category": "sales_service", "due_at": at(3, 18), "resolved_at": at(3, 12)},
        at(4, 19),
    ),
    "repair_resolved": ({"category": "repair_quality", "resolved_at": at(3, 12)}, None),
    "sales_resolved_late": ({"category": "vehicle_supply", "resolved_at": at(4, 19)}, None),  # a Friday, after closing
    "several_departments": ({"category": "repair_quality", "dissatisfaction": "high", "departments": 2}, None),
    "value_added": ({"category": "value_added"}, None),
    "other": ({"category": "other"}, None),
    "no_category": ({}, None),
    "quality_contacted": ({"category": "product_quality", "first_contact_at": at(1, 11, 30)}, None),
    "misuse": (
        {
            "category": "product_quality",
            "cause": "customer_misuse",
            "evidence": True,
            "insurance_covered": True,
        },
        None,
    ),
    "misuse_no_evidence": ({"category": "product_quality", "cause": "customer_misuse"}, None),
    "defect": ({"category": "product_quality", "cause": "product_defect"}, at(1, 10, 5)),
    "serious_defect": (
        {"category": "product_quality", "cause": "product_defect", "serious_defect": True},
        at(1, 10, 5),
    ),
    "after_sales_cause": ({"category": "after_sales_service", "cause": "after_sales"}, None),
    "staff_attitude": ({"category": "sales_service", "cause": "staff_attitude"}, None),
    "internal_fault": ({"category": "sales_service", "cause": "internal_fault", "due_at": at(2, 18)}, None),
    "misunderstanding": (
        {"category": "sales_service", "cause": "misunderstanding", "evidence": True, "due_at": at(2, 18)},
        None,
    ),
    "missed_inspection": (
        {"category": "product_quality", "cause": "missed_at_delivery_inspection", "resolved_at": at(2, 15)},
        None,
    ),
    "cheap_fix": ({"category": "other", "cause": "other", "low_cost_fix": True}, None),
    "beyond_authority": ({"category": "repair_quality", "beyond_authority": True}, at(1, 10, 1)),
    "gm_unable": ({"category": "repair_quality", "gm_unable": True}, at(1, 10, 1)),
    "cross_team": ({"category": "repair_quality", "departments": 2}, at(1, 10, 1)),
    "delivered": ({"category": "sales_service", "delivered_at": at(20, 15, month=11)}, None),
    "workshop": ({"category": "repair_quality", "workshop_out_at": at(30, 16, month=11)}, None),
    "concealed": ({"category": "sales_service", "concealed": True}, None),
    "reached_hq": ({"category": "product_quality", "reached_manufacturer_hq": True}, None),
    "dissatisfied": (
        {
            "category": "repair_quality",
            "resolved_at": at(2, 12),
            "follow_ups": [{"at": at(2, 16), "method": "phone", "satisfied": False}],
        },
        at(2, 16, 5),
    ),
    "satisfied": (
        {
            "category": "repair_quality",
            "resolved_at": at(2, 12),
            "follow_ups": [{"at": at(2, 16), "method": "phone", "satisfied": True}],
        },
        at(2, 16, 5),
    ),
    "major_resolved": (
        {"category": "product_quality", "demands": ["return_vehicle"], "resolved_at": at(3, 12)},
        None,
    ),
}


@pytest.fixture(scope="module")
def policy() -> complaint_rules.Policy:
    return complaint_rules.load(POLICY)


def record(name: str) -> dict[str, Any]:
    fields, _ = SCENARIOS[name]
    return {"id": f"svw-{name}", "received_at": at(1), "channel": "phone", **fields}


def decide(policy: complaint_rules.Policy, name: str):
    return policy.evaluate(record(name), now=SCENARIOS[name][1])


def deadline(decision, clock: str) -> dt.datetime | None:
    return next((d.due_at for d in decision.deadlines if d.clock == clock), None)


def escalation(decision, rule: str):
    return next((e for e in decision.escalations if e.rule == rule), None)


def due(decision) -> set[str]:
    return {e.rule for e in decision.escalations if e.status == "due"}


def active(decision) -> set[str]:
    """Escalations whose condition holds, due now or pending."""
    return {e.rule for e in decision.escalations if e.status != "inactive"}


def obligation(decision, rule: str):
    return next((o for o in decision.obligations if o.rule == rule), None)


def fired(decision) -> set[str]:
    return {t.rule for t in decision.trace}


def as_set(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value or ())


def cap(decision) -> ir.Money:
    """The remedy cap as ``ir.Money``, whatever form the decision holds it in."""
    value = decision.remedy.cap
    if isinstance(value, str):
        amount, currency = value.split()
        return ir.Money(Decimal(amount), currency)
    if isinstance(value, dict):
        return ir.Money(Decimal(str(value["amount"])), value["currency"])
    return ir.Money(Decimal(str(value.amount)), value.currency)


# ---------------------------------------------------------------------------- levels (002 part 4, 2.2)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        # 002 part 4, 2.2 重大抱怨 ②: a demand to replace the gearbox is major
        ("gearbox", "engine_gearbox"),
        # 002 part 4, 2.2 重大抱怨 ②: a demand to replace the engine is major
        ("engine", "engine_gearbox"),
        # 002 part 4, 2.2 重大抱怨 ③: a demand to return the vehicle is major
        ("return_vehicle", "return_exchange"),
        # 002 part 4, 2.2 重大抱怨 ③: a demand to exchange the vehicle is major
        ("exchange_vehicle", "return_exchange"),
        # 002 part 4, 2.2 重大抱怨 ①: a fire is major
        ("fire_hazard", "fire_or_similar"),
        # 002 part 4, 2.2 重大抱怨 ①: "or similar": a self-ignition described in the text is major
        ("fire_text", "fire_or_similar"),
        # 002 part 4, 2.2 重大抱怨 ④: taken to the media
        ("media", "outside_parties"),
        # 002 part 4, 2.2 重大抱怨 ④: taken to the consumer council / association
        ("consumer_association", "outside_parties"),
        # 002 part 4, 2.2 重大抱怨 ④: taken to court
        ("court", "outside_parties"),
    ],
)
def test_major_criteria(policy, name, rule):
    decision = decide(policy, name)
    assert decision.level == "major"
    assert decision.level_label == "重大抱怨"
    assert rule in fired(decision)
    # 002 part 4, 2.5.2: the general manager leads the team on major complaints
    assert decision.owner == "general_manager"
    assert {"general_manager", "complaint_team", "customer_director"} <= set(decision.routes)
    # 002 part 4, 2.4.1: a special team visits the customer
    assert obligation(decision, "major_team_visit") is not None


@pytest.mark.parametrize("name", ["policy_misunderstanding", "uncooperative", "excessive"])
def test_irrational_causes(policy, name):
    # 002 part 4, 2.2 非理性抱怨: policy misunderstanding, deliberately uncooperative, expectations too high
    decision = decide(policy, name)
    assert decision.level == "irrational"
    assert decision.level_label == "非理性抱怨"
    assert "irrational_cause" in fired(decision)
    # words, not money: no cash, no extended warranty, a zero cap
    assert "cash" not in decision.remedy.options
    assert "extended_warranty" not in decision.remedy.options
    assert cap(decision).amount == 0


def test_irrational_claim_is_beyond_the_cap(policy):
    # 002 part 4, 2.2 非理性抱怨: a 300 CNY claim on an irrational complaint is beyond the zero cap
    decision = decide(policy, "excessive")
    assert decision.remedy.within_cap is False


@pytest.mark.parametrize("name", ["high_dissatisfaction", "large_loss"])
def test_intermediate(policy, name):
    # 002 part 4, 2.2 中级抱怨: high dissatisfaction or a large loss, resolvable by one department
    decision = decide(policy, name)
    assert decision.level == "intermediate"
    assert decision.level_label == "中级抱怨"
    assert decision.remedy.approver == "department_head"


def test_several_departments_needed_stays_intermediate_and_goes_to_the_head(policy):
    # 002 part 4, 2.2 (D4-3, issue 20): the seed gives no level to a high-dissatisfaction case that needs several
    # departments; it stays 中级 and part 5, 二.2 takes it to the head at once. It is no longer made 重大 (owned by the GM).
    decision = policy.evaluate(record("several_departments"), now=at(1, 10, 1))
    assert decision.level == "intermediate" and "intermediate_loss" in fired(decision)
    assert decision.owner != "general_manager" and "complaint_team" not in decision.routes
    assert "cross_team_to_head" in {e.rule for e in decision.escalations if e.status == "due"}
    assert decide(policy, "high_dissatisfaction").level == "intermediate"


def test_large_loss_claim_beyond_department_head(policy):
    # 002 part 4, 2.2 中级抱怨 with a 6000 CNY claim: above the department head's 5000 CNY, needs the GM
    decision = decide(policy, "large_loss")
    assert decision.remedy.within_authority is False
    assert decision.remedy.required_approver == "general_manager"


def test_general_is_the_otherwise(policy):
    # 002 part 4, 2.2 一般抱怨: nothing above applies
    decision = decide(policy, "general_sales")
    assert decision.level == "general"
    assert decision.level_label == "一般抱怨"
    assert "classify.otherwise" in fired(decision)
    assert decision.remedy.approver == "customer_director"
    assert cap(decision) == ir.Money(Decimal(500), "CNY")


def test_major_beats_irrational(policy):
    # 002 part 4, 2.2: the major criteria are objective and are checked first
    decision = policy.evaluate({**record("uncooperative"), "external": ["media"]})
    assert decision.level == "major"


# ---------------------------------------------------------------------------- routing (002 part 1, 3.0)


@pytest.mark.parametrize(
    ("name", "director"),
    [
        # 002 part 1, 3.0: the sales director handles sales-service quality ...
        ("general_sales", "sales_director"),
        # ... and new-vehicle supply complaints
        ("large_loss", "sales_director"),
        # 002 part 1, 3.0: the after-sales director handles product quality, repair quality and parts supply
        ("quality_contacted", "after_sales_director"),
        ("high_dissatisfaction", "after_sales_director"),
        ("workshop", "after_sales_director"),
        # 002 part 1, 3.0: the value-added manager handles value-added products
        ("value_added", "value_added_manager"),
    ],
)
def test_director_by_category(policy, name, director):
    decision = decide(policy, name)
    assert decision.owner == director
    # 002 part 1, 3.0: the customer director tracks the final result of every complaint
    assert "customer_director" in decision.routes


@pytest.mark.parametrize("name", ["other", "no_category"])
def test_unclassified_goes_to_customer_director(policy, name):
    # 002 part 1, 4.1.2: the customer director verifies the cause and dispatches it
    decision = decide(policy, name)
    assert decision.owner == "customer_director"
    assert list(decision.routes) == ["customer_director"]


# ---------------------------------------------------------------------------- deadlines and tracking (002 part 1, 4.2-4.3)


def test_product_quality_contact_within_two_hours(policy):
    # 002 part 1, 4.2.2.1: contact the customer within 2 hours of receipt
    decision = decide(policy, "gearbox")
    assert deadline(decision, "first_contact") == at(1, 12)
    # 002 part 1, 4.2.2.4: the remedy plan 24 hours after the contact (deadline, as none is recorded yet)
    assert deadline(decision, "remedy_plan") == at(2, 12)


def test_remedy_plan_runs_from_the_actual_contact(policy):
    # 002 part 1, 4.2.2.4: within 24 hours of the contact that took place
    decision = decide(policy, "quality_contacted")
    assert deadline(decision, "remedy_plan") == at(2, 11, 30)
    assert "remedy_plan_after_contact" in fired(decision)


def test_other_categories_have_no_remedy_plan_clock(policy):
    # 002 part 1, 4.2.1: the 24-hour plan is a product-quality rule only
    decision = decide(policy, "general_sales")
    assert deadline(decision, "remedy_plan") is None
    # chosen default (README): one working day, Tue 10:00 -> Wed 10:00
    assert deadline(decision, "first_contact") == at(2)


def test_reminder_the_day_before_and_report_the_day_after(policy):
    # 002 part 1, 4.3.2: remind the day before the deadline; 4.3.3: report on the first day past it
    decision = decide(policy, "general_sales")
    assert deadline(decision, "handling") == at(3, 18)
    remind = escalation(decision, "remind_before_deadline")
    overdue = escalation(decision, "overdue_report")
    assert remind.due_at == at(2, 18)
    assert overdue.due_at == at(4, 18)
    assert set(overdue.targets) == {"customer_care_director", "general_manager"}
    assert {"remind_before_deadline", "overdue_report"} <= due(decision)


def test_report_not_due_before_its_day(policy):
    # 002 part 1, 4.3.2-4.3.3: at 17:00 the day before, neither the reminder nor the report is due yet
    decision = decide(policy, "general_before_reminder")
    assert "remind_before_deadline" not in due(decision)
    assert "overdue_report" not in due(decision)


def test_resolved_complaints_are_not_chased(policy):
    # 002 part 1, 4.3.4: completed on time: no reminder, no overdue report
    decision = decide(policy, "general_resolved")
    assert "overdue_report" not in due(decision)
    assert "remind_before_deadline" not in due(decision)


def test_still_dissatisfied_goes_to_the_general_manager(policy):
    # 002 part 1, 4.3.4-4.3.5: still dissatisfied -> the GM at once, who takes emergency measures
    decision = decide(policy, "dissatisfied")
    assert "still_dissatisfied" in due(decision)
    assert obligation(decision, "gm_emergency_measures") is not None
    satisfied = decide(policy, "satisfied")
    assert "still_dissatisfied" not in due(satisfied)
    assert obligation(satisfied, "gm_emergency_measures") is None


def test_close_out_call_within_24_hours(policy):
    # 002 part 1, 4.3.4: the customer director calls within 24 hours of the closing form
    decision = decide(policy, "repair_resolved")
    assert decision.follow_up.status == "required" and decision.follow_up.rule == "follow_up.otherwise"
    assert as_set(decision.follow_up.by) == {"customer_director"}
    assert decision.follow_up.due_at == at(4, 12)


def test_sales_complaints_are_followed_up_the_same_day(policy):
    # 002 part 1, 4.2.1.5: the customer director follows up a sales-service complaint the same day it is closed
    decision = decide(policy, "general_resolved")  # closed Thursday 12:00
    assert decision.follow_up.rule == "sales_same_day"
    assert decision.follow_up.due_at == at(3, 18)  # the dealership closes at 18:00
    late = decide(policy, "sales_resolved_late")  # closed Friday 19:00, after closing: the next working day
    assert late.follow_up.due_at == at(7, 18)


def test_follow_up_again_until_satisfied_without_a_limit(policy):
    # 002 part 5, 二.4: report back to the customer "直到用户满意为止", until satisfied, however many rounds
    rec, now = SCENARIOS["dissatisfied"]
    unhappy = rec["follow_ups"][0]
    for rounds in (1, 3, 8):
        fields = dict(rec, follow_ups=[dict(unhappy, at=at(2 + k, 16)) for k in range(rounds)])
        plan = policy.evaluate({"id": f"rounds-{rounds}", "received_at": at(1), **fields}, now=now).follow_up
        assert plan.repeat_needed and plan.until_satisfied == 0 and plan.attempts == rounds
    assert not decide(policy, "satisfied").follow_up.repeat_needed


def test_major_close_out_is_a_visit(policy):
    # 002 part 4, 2.4.1: a special team visits on major complaints; a major sales or product-quality complaint the same
    # day it is closed (part 1, 4.2.1.5, 4.2.2.5: D1-21), any other within 24 hours (4.3.4)
    decision = decide(policy, "major_resolved")
    assert decision.follow_up.rule in ("major_visit", "major_same_day")
    assert "visit" in as_set(decision.follow_up.via)
    resolved = at(3, 11)
    for category, rule, due in (("repair_quality", "major_visit", at(4, 11)), ("product_quality", "major_same_day", at(3, 18))):
        d = policy.evaluate({"id": f"mv-{category}", "received_at": at(1), "category": category,
                             "demands": ["engine_replacement"], "resolved_at": resolved})
        assert (d.follow_up.rule, d.follow_up.due_at) == (rule, due)


def test_product_quality_complaints_are_followed_up_the_same_day(policy):
    # 002 part 1, 4.2.2.5 (D1-21, issue 20): "抱怨处理完成当天" for product quality too, not 24 hours
    d = policy.evaluate({"id": "pq", "received_at": at(1), "category": "product_quality", "resolved_at": at(1, 11)})
    assert (d.follow_up.rule, d.follow_up.due_at) == ("product_same_day", at(1, 18))


# ---------------------------------------------------------------------------- proactive calls (002 part 1, 4.1.1)


def test_calls_seven_and_twenty_five_days_after_delivery(policy):
    # 002 part 1, 4.1.1.1: the follow-up specialist calls 7 and 25 days after delivery
    decision = decide(policy, "delivered")
    assert obligation(decision, "delivery_call_7_days").due_at == at(27, 15, month=11)
    assert obligation(decision, "delivery_call_25_days").due_at == at(15, 15)
    assert as_set(obligation(decision, "delivery_call_7_days").by) == {"follow_up_specialist"}


def test_call_within_three_days_of_a_workshop_visit(policy):
    # 002 part 1, 4.1.1.2: within 3 days after the car leaves the workshop
    decision = decide(policy, "workshop")
    assert obligation(decision, "workshop_call_3_days").due_at == at(3, 16)
    assert obligation(decision, "delivery_call_7_days") is None


# ---------------------------------------------------------------------------- causes (002 part 1, 4.2; part 2, 五)


def test_defect_reported_to_gm_and_directors_convened(policy):
    # 002 part 1, 4.2.2.3: a product defect is reported to the GM at once, who convenes the directors
    decision = decide(policy, "defect")
    assert "defect_to_gm" in due(decision)
    assert "serious_defect_to_manufacturer" not in active(decision)
    assert obligation(decision, "defect_convene_directors") is not None
    # 002 part 2, 五.1: handled per Shanghai-VW's after-sales rules
    assert obligation(decision, "manufacturer_rules") is not None


def test_serious_defect_also_goes_to_manufacturer_regional_staff(policy):
    # 002 part 1, 4.2.2.3: a serious defect: also contact the manufacturer's regional staff
    decision = decide(policy, "serious_defect")
    assert {"defect_to_gm", "serious_defect_to_manufacturer"} <= due(decision)
    assert set(escalation(decision, "serious_defect_to_manufacturer").targets) == {"manufacturer_regional"}


def test_misuse_is_explained_with_insurance_guidance(policy):
    # 002 part 1, 4.2.2.2 and part 2, 五.3: misuse with evidence: explain and guide the insurance claim
    decision = decide(policy, "misuse")
    assert obligation(decision, "misuse_explain") is not None
    assert obligation(decision, "misuse_insurance") is not None
    assert list(decision.remedy.options) == []


def test_misuse_without_evidence_is_not_presumed(policy):
    # 002 part 2, 五.3: only "在初步判断并有确凿证据后" (with firm evidence)
    decision = decide(policy, "misuse_no_evidence")
    assert obligation(decision, "misuse_explain") is None
    assert "cash" in decision.remedy.options


def test_missed_inspection_compensate_first_then_pursue(policy):
    # 002 part 2, 五.4: compensate first, then pursue the staff member
    decision = decide(policy, "missed_inspection")
    first = obligation(decision, "missed_inspection_compensate")
    then = obligation(decision, "missed_inspection_pursue")
    assert first is not None and then is not None
    assert then.due_at == at(2, 15)
    assert first.due_at <= then.due_at
    # repair and parts come first among the remedies
    assert list(decision.remedy.options)[:2] == ["free_repair", "free_parts"]


def test_staff_attitude_apology(policy):
    # 002 part 2, 五.2: staff attitude: apologise
    decision = decide(policy, "staff_attitude")
    assert obligation(decision, "staff_attitude_apology") is not None


def test_internal_fault_apology_within_deadline(policy):
    # 002 part 1, 4.2.1.3: apologise and give the remedy within the customer director's deadline
    decision = decide(policy, "internal_fault")
    assert obligation(decision, "internal_fault_apology").due_at == at(2, 18)


def test_misunderstanding_explained_within_deadline(policy):
    # 002 part 1, 4.2.1.2: a misunderstanding with evidence is explained within the deadline
    decision = decide(policy, "misunderstanding")
    assert obligation(decision, "explain_misunderstanding").due_at == at(2, 18)
    assert decision.level == "general"


def test_cheap_fix_regardless_of_fault(policy):
    # 002 part 2, 五.5: other causes cheap to fix are fixed whatever the fault
    decision = decide(policy, "cheap_fix")
    assert obligation(decision, "cheap_fix") is not None
    assert list(decision.remedy.options)[:2] == ["free_labour", "free_repair"]


def test_remedy_options_in_cost_order(policy):
    # 002 part 4, 2.4.4: the remedy list, cheapest first
    decision = decide(policy, "general_sales")
    assert list(decision.remedy.options) == [
        "free_labour",
        "free_service_parts",
        "free_repair",
        "on_site_service",
        "free_parts",
        "extended_warranty",
        "cash",
    ]


# ---------------------------------------------------------------------------- demands, upward reporting, fines


def test_return_or_money_demand_to_sales_or_showroom_manager(policy):
    # 002 part 3, 三 销售顾问 2: return/exchange or money demands go at once to the sales or showroom manager
    for name in ("return_vehicle", "money_demand"):
        decision = decide(policy, name)
        assert "return_or_money_demand" in due(decision)
        assert set(escalation(decision, "return_or_money_demand").targets) == {
            "sales_manager",
            "showroom_manager",
        }
    assert "return_or_money_demand" not in active(decide(policy, "general_sales"))


@pytest.mark.parametrize(
    ("name", "rule", "target"),
    [
        # 002 part 2, 四: unsolvable or beyond authority -> report upwards
        ("beyond_authority", "unsolvable_upwards", "superior"),
        # 002 part 2, 四: what the GM cannot solve -> Shanghai-VW
        ("gm_unable", "gm_to_manufacturer", "manufacturer"),
        # 002 part 5, 二.2: issues needing coordination go straight to the head
        ("cross_team", "cross_team_to_head", "general_manager"),
    ],
)
def test_upward_reporting(policy, name, rule, target):
    decision = decide(policy, name)
    assert rule in due(decision)
    assert target in escalation(decision, rule).targets


def test_fines_for_hiding_and_for_reaching_headquarters(policy):
    # 002 part 3, 八.2: hiding a complaint is fined 20-50 CNY
    hidden = obligation(decide(policy, "concealed"), "fine_concealment")
    assert hidden is not None and "20" in (hidden.label or "") and "50" in (hidden.label or "")
    # 002 part 3, 八.2: a complaint reaching Shanghai-VW headquarters, 50-100 CNY
    hq = obligation(decide(policy, "reached_hq"), "fine_manufacturer_hq")
    assert hq is not None and "100" in (hq.label or "")
    assert obligation(decide(policy, "general_sales"), "fine_concealment") is None


def test_every_complaint_registered_with_a_number(policy):
    # 002 part 5, 一: every complaint is registered with a number; a numbered handling notice; first-contact duty
    decision = decide(policy, "general_sales")
    for rule in (
        "register_numbered",
        "handling_notice",
        "inform_customer_director",
        "first_contact_responsibility",
    ):
        assert obligation(decision, rule) is not None, rule
    assert obligation(decision, "register_numbered").due_at == at(1)


def test_photograph_product_defects(policy):
    # 002 part 3, 三 销售顾问 3: photograph a product defect first
    assert obligation(decide(policy, "gearbox"), "photograph_defect") is not None
    assert obligation(decide(policy, "general_sales"), "photograph_defect") is None


# ---------------------------------------------------------------------------- the policy as a whole


def test_every_rule_is_exercised(policy):
    from complaint_rules.testing.runner import rule_spans, run_tests

    exercised: set[str] = set()
    for result in run_tests(policy):
        assert result.passed, result.messages()
        exercised |= result.covered
    for name in SCENARIOS:
        exercised |= fired(decide(policy, name))
    missing = [rule for rule in rule_spans(policy.ir) if rule not in exercised]
    assert not missing, f"rules no test exercises: {missing}"


def test_file_is_canonical():
    text = POLICY.read_text(encoding="utf-8")
    assert print_policy(dsl.parse(text, str(POLICY))) == text


def test_same_meaning_in_yaml(policy):
    again = fy.parse(policy.to_yaml(), "svw-dealer.yaml")
    assert again == policy.source


def test_decision_laws_on_generated_records(policy):
    from complaint_rules.testing import check_policy_properties

    check_policy_properties(policy, max_examples=60)


def test_the_cheap_fix_is_for_other_causes_only(policy):
    # 002 part 2, 五.5 (D2-8, issue 20): "其它原因": misuse backed by evidence is explained, not fixed for free; before
    # issue 20 the policy both promised a fix and left no remedy option.
    misuse = policy.evaluate({"id": "cf-1", "received_at": at(1), "category": "product_quality",
                              "cause": "customer_misuse", "evidence": True, "low_cost_fix": True})
    assert obligation(misuse, "cheap_fix") is None and list(misuse.remedy.options) == []
    other = policy.evaluate({"id": "cf-2", "received_at": at(1), "category": "other", "cause": "other", "low_cost_fix": True})
    assert obligation(other, "cheap_fix") is not None and list(other.remedy.options)[:2] == ["free_labour", "free_repair"]


def test_the_general_manager_acts_on_an_overdue_case_too(policy):
    # 002 part 1, 4.3.5 (D1-26, issue 20): "超期未完成，或客户仍然抱怨": the GM's emergency measures fall due one day
    # after the handling deadline while the case is open, as the overdue report does.
    rec = {"id": "od-1", "received_at": at(1), "category": "repair_quality", "due_at": at(3, 18)}
    d = policy.evaluate(rec, now=at(4, 19))
    duty = obligation(d, "gm_emergency_overdue")
    assert duty is not None and duty.due_at == at(4, 18) and list(duty.by) == ["general_manager"]
    done = policy.evaluate({**rec, "resolved_at": at(3, 12)}, now=at(4, 19))
    assert obligation(done, "gm_emergency_overdue") is None
