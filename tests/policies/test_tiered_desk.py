"""The tiered call-centre policy (seed 003): each case cites the clause it comes from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import complaint_rules
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy
from complaint_rules.language.printer import print_policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "callcenter" / "tiered-desk.policy"
CST = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An instant in December 2026, Beijing time (Tue 1 Dec is a working day)."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CST)


SCENARIOS: dict[str, tuple[dict[str, Any], dt.datetime | None]] = {
    "enquiry": ({"category": "enquiry"}, None),
    "safety": ({"category": "safety"}, at(1, 10, 1)),
    "injury": ({"category": "product", "hazards": ["injury"]}, at(1, 10, 1)),
    "media": ({"category": "service", "external": ["media"]}, at(1, 10, 1)),
    "government": ({"category": "service", "channel": "government"}, at(1, 10, 1)),
    "viral": ({"category": "service", "viral": True}, at(1, 10, 1)),
    "skipped": ({"category": "service", "skipped_levels": True}, at(1, 10, 1)),
    "major_matter": ({"category": "other", "major_matter": True}, at(1, 10, 1)),
    "repeat": ({"category": "service", "repeat_count": 1}, at(1, 10, 1)),
    "outside_remit": ({"category": "product", "within_remit": False}, None),
    "not_at_once": ({"category": "service", "doable_at_once": False}, None),
    "late_step1": ({"category": "late_delivery", "promised_at": at(1, 17)}, at(1, 10, 30)),
    "late_step2": ({"category": "late_delivery", "promised_at": at(1, 17)}, at(1, 12, 30)),
    "late_step3": ({"category": "late_delivery", "promised_at": at(1, 17)}, at(1, 17, 30)),
    "late_accepted": (
        {"category": "late_delivery", "delay_acceptable": True, "promised_at": at(1, 17)},
        at(1, 17, 30),
    ),
    "late_delivered": (
        {"category": "late_delivery", "promised_at": at(1, 17), "delivered_at": at(1, 16)},
        at(1, 17, 30),
    ),
    "mis_customer": ({"category": "mis_shipment", "fault": "customer"}, None),
    "mis_company": ({"category": "mis_shipment", "fault": "company"}, None),
    "mis_unknown": ({"category": "mis_shipment"}, None),
    "delayed": ({"category": "delayed_shipment", "delay_reason": "stock", "promised_at": at(3, 18)}, None),
    "buck_passing": ({"category": "service", "buck_passing": True}, None),
    "resolved_general": ({"category": "service", "resolved_at": at(1, 15)}, None),
    "resolved_major": ({"category": "service", "viral": True, "resolved_at": at(1, 15)}, None),
    "resolved_hard": ({"category": "service", "repeat_count": 2, "resolved_at": at(1, 15)}, None),
}


@pytest.fixture(scope="module")
def policy() -> complaint_rules.Policy:
    return complaint_rules.load(POLICY)


def record(name: str) -> dict[str, Any]:
    return {"id": f"desk-{name}", "received_at": at(1), "channel": "phone", **SCENARIOS[name][0]}


def decide(policy: complaint_rules.Policy, name: str):
    return policy.evaluate(record(name), now=SCENARIOS[name][1])


def due(decision) -> set[str]:
    return {e.rule for e in decision.escalations if e.status == "due"}


def active(decision) -> set[str]:
    """Escalations whose condition holds, due now or pending."""
    return {e.rule for e in decision.escalations if e.status != "inactive"}


def escalation(decision, rule: str):
    return next((e for e in decision.escalations if e.rule == rule), None)


def obligations(decision) -> dict[str, Any]:
    return {o.rule: o for o in decision.obligations}


def deadline(decision, clock: str) -> dt.datetime | None:
    return next((d.due_at for d in decision.deadlines if d.clock == clock), None)


def fired(decision) -> set[str]:
    return {t.rule for t in decision.trace}


def as_set(value) -> set[str]:
    return {value} if isinstance(value, str) else set(value or ())


# ---------------------------------------------------------------------------- tiers (003 一) 1-4)


def test_first_line_handles_by_sop(policy):
    # 003 一) 1: the first line takes inbound enquiries and complaints and handles them by SOP
    decision = decide(policy, "enquiry")
    assert decision.level == "general"
    assert decision.owner == "first_line"
    assert list(decision.routes) == ["first_line"]
    # 003 篇1 二.3: within remit and doable at once: finish it in one go
    assert "finish_in_one_go" in obligations(decision)
    assert "register_and_hand_over" not in obligations(decision)


@pytest.mark.parametrize("name", ["safety", "injury"])
def test_major_safety_desk(policy, name):
    # 003 一) 4: major-safety scenes go to the major-safety desk, which does the initial risk handling and reports
    decision = decide(policy, name)
    assert decision.level == "major"
    assert decision.owner == "major_safety_desk"
    assert "safety_initial_handling" in obligations(decision)
    # 003 篇1 二.5: major matters -> the general manager at once
    assert "major_to_gm" in due(decision)


@pytest.mark.parametrize("name", ["media", "government", "viral"])
def test_public_opinion_desk(policy, name):
    # 003 一) 3: government, media and viral cases
    decision = decide(policy, name)
    assert decision.level == "major"
    assert decision.level_label == "高危客诉"
    assert decision.owner == "public_opinion_desk"
    assert "major_to_gm" in due(decision)
    assert set(escalation(decision, "major_to_gm").targets) == {"general_manager"}


def test_skip_level_complaints_are_monitored_not_made_high_risk(policy):
    # 003 一) 3 (C-4, issue 20): the public-opinion desk monitors skip-level complaints (监察越级投诉) and coaches the
    # second line; before issue 20 every one was made 高危, owned by the desk and escalated to the GM.
    decision = decide(policy, "skipped")
    assert decision.level == "intermediate" and decision.owner == "second_line"
    assert "public_opinion_desk" in decision.routes
    assert "major_to_gm" not in due(decision)
    assert as_set(obligations(decision)["monitor_and_coach"].by) == {"public_opinion_desk"}


def test_major_matter_to_general_manager(policy):
    # 003 篇1 二.5: the first receiver reports major matters to the general manager at once
    decision = decide(policy, "major_matter")
    assert decision.level == "major"
    assert "major_to_gm" in due(decision)
    assert as_set(obligations(decision)["report_major_matter"].by) == {"first_line"}


def test_safety_and_media_reach_both_desks(policy):
    # 003 一) 3-4: a safety incident in the media needs both desks; the safety desk owns it
    decision = policy.evaluate({**record("safety"), "external": ["media"]})
    assert set(decision.routes) >= {"major_safety_desk", "public_opinion_desk"}
    assert decision.owner == "major_safety_desk"


# ---------------------------------------------------------------------------- first contact, never call twice (003 篇1 二)


def test_customer_never_calls_twice(policy):
    # 003 篇1 二: a repeat call is escalated to the second line at once
    decision = decide(policy, "repeat")
    assert decision.level == "intermediate"
    assert decision.owner == "second_line"
    assert "never_call_twice" in due(decision)
    first_call = decide(policy, "enquiry")
    assert "never_call_twice" not in active(first_call)


def test_outside_remit_is_registered_and_handed_over(policy):
    # 003 篇1 二.4: not within remit: register and hand over to the manager in charge
    decision = decide(policy, "outside_remit")
    assert decision.level == "intermediate"
    assert {"second_line", "responsible_manager"} <= set(decision.routes)
    assert "register_and_hand_over" in obligations(decision)
    assert "finish_in_one_go" not in obligations(decision)


def test_not_doable_at_once_gets_a_call_back(policy):
    # 003 篇1 二: the first receiver calls back so the customer need not call again (1 working day, chosen)
    decision = decide(policy, "not_at_once")
    call_back = obligations(decision)["proactive_call_back"]
    assert call_back.due_at == at(2)
    assert deadline(decision, "call_back") == at(2)
    # 003 投诉处理 2: the second line investigates with the departments
    assert "investigate" in obligations(decision)


def test_registration_is_immediate(policy):
    # 003 投诉处理 1: record the customer, content and time at once
    decision = decide(policy, "enquiry")
    assert deadline(decision, "registration") == at(1)
    assert obligations(decision)["record_complaint"].due_at == at(1)


def test_buck_passing_is_disciplined(policy):
    # 003 篇1 二.7: buck-passing is criticised or disciplined
    assert "buck_passing_discipline" in obligations(decide(policy, "buck_passing"))
    assert "buck_passing_discipline" not in obligations(decide(policy, "enquiry"))


# ---------------------------------------------------------------------------- logistics (003 盛丰物流 3-4)


def test_late_delivery_escalates_in_steps(policy):
    # 003 盛丰物流 3④ a-c: branch manager, then department head, then management
    step1 = decide(policy, "late_step1")
    assert "late_delivery_branch_manager" in due(step1)
    assert "late_delivery_department_head" not in due(step1)
    step2 = decide(policy, "late_step2")
    assert {"late_delivery_branch_manager", "late_delivery_department_head"} <= due(step2)
    assert "late_delivery_management" not in due(step2)
    step3 = decide(policy, "late_step3")
    assert {"late_delivery_department_head", "late_delivery_management", "delivery_overdue"} <= due(step3)
    d = escalation(step3, "late_delivery_department_head").due_at
    m = escalation(step3, "late_delivery_management").due_at
    assert at(1) < d < m
    assert "late_delivery_branch" in fired(step1)
    assert "branch_manager" in step1.routes


def test_acceptable_delay_is_not_escalated(policy):
    # 003 盛丰物流 3② a: a delay the customer can accept is agreed, not escalated
    decision = decide(policy, "late_accepted")
    assert not {
        "late_delivery_branch_manager",
        "late_delivery_department_head",
        "late_delivery_management",
    } & due(decision)
    assert "late_delivery_agree" in obligations(decision)


def test_delivered_is_not_chased(policy):
    # 003 盛丰物流 3: delivered within the promised time: nothing to chase
    decision = decide(policy, "late_delivered")
    assert not {r for r in due(decision) if r.startswith(("late_delivery", "delivery_overdue"))}


def test_mis_shipment_customer_fault_customer_pays(policy):
    # 003 盛丰物流 4①: the customer's fault: the customer pays the re-shipping; no remedy
    decision = decide(policy, "mis_customer")
    assert as_set(obligations(decision)["reship_customer_pays"].by) == {"customer"}
    assert "reship_company_fault" not in obligations(decision)
    assert list(decision.remedy.options) == ["process_improvement"]


def test_mis_shipment_company_fault_is_traced_and_swapped(policy):
    # 003 盛丰物流 4②: our fault: find where and which goods, swap them. Who pays is not in the seed (DM-9): the label
    # no longer says the company pays.
    decision = decide(policy, "mis_company")
    duty = obligations(decision)["reship_company_fault"]
    assert as_set(duty.by) == {"company"} and "运费" not in duty.label
    assert "reship_customer_pays" not in obligations(decision)
    assert decision.remedy.options[0] == "replacement"


def test_mis_shipment_fault_unknown_is_investigated(policy):
    # 003 盛丰物流 4: until the fault is known, nobody is charged
    decision = decide(policy, "mis_unknown")
    assert "mis_shipment_fault_unknown" in obligations(decision)
    assert not {"reship_customer_pays", "reship_company_pays"} & set(obligations(decision))


def test_delayed_shipment_review_approval_and_notice(policy):
    # 003 延期发货报备制度: reason recorded, manager reviews, leadership approves, customer told; coupons, discounts
    decision = decide(policy, "delayed")
    obs = obligations(decision)
    assert as_set(obs["delay_record_reason"].by) == {"sales_clerk"}
    assert as_set(obs["delay_manager_review"].by) == {"department_manager"}
    assert as_set(obs["delay_leadership_approval"].by) == {"leadership"}
    assert "delay_inform_customer" in obs
    assert list(decision.remedy.options)[:2] == ["coupon", "discount"]
    assert deadline(decision, "delivery") == at(3, 18)
    assert decision.owner == "sales_clerk"


# ---------------------------------------------------------------------------- remedies and follow-up


def test_remedy_tiers(policy):
    assert decide(policy, "enquiry").remedy.approver == "first_line"
    assert decide(policy, "repeat").remedy.approver == "second_line"
    assert decide(policy, "viral").remedy.approver == "general_manager"


@pytest.mark.parametrize(
    ("name", "rule", "by"),
    [
        # 003 投诉处理 4: report the result back
        ("resolved_general", "follow_up.otherwise", "first_line"),
        # 003 一) 3: the public-opinion desk closes high-risk cases
        ("resolved_major", "high_risk_closure", "public_opinion_desk"),
        # 003 一) 2: the second line follows hard cases to closure
        ("resolved_hard", "hard_case_closure", "second_line"),
    ],
)
def test_follow_up_by_tier(policy, name, rule, by):
    decision = decide(policy, name)
    assert decision.follow_up.status == "required"
    assert decision.follow_up.rule == rule
    assert as_set(decision.follow_up.by) == {by}
    assert decision.follow_up.due_at == at(2, 15)


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
    assert fy.parse(policy.to_yaml(), "tiered-desk.yaml") == policy.source


def test_decision_laws_on_generated_records(policy):
    from complaint_rules.testing import check_policy_properties

    check_policy_properties(policy, max_examples=60)
