"""The shopping mall (seed 004 篇1): 初級/一級/二級, one-day resolution, finance and audit of cost claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaint_rules
from complaint_rules import ir

POLICY = Path(__file__).resolve().parents[2] / "policies" / "retail" / "mall.policy"
TST = dt.timezone(dt.timedelta(hours=8))  # Asia/Taipei


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TST)


@pytest.fixture(scope="module")
def policy():
    return complaint_rules.load(POLICY)


def decide(policy, now: str | None = None, **fields):
    record = {"id": fields.pop("id", "mall-1"), "received_at": at("2026-12-01T14:00")} | fields
    return policy.evaluate(record, now=at(now) if now else None)


def deadline(decision, clock: str):
    return next((d.due_at for d in decision.deadlines if d.clock == clock), None)


def obligations(decision) -> dict:
    return {o.rule: o for o in decision.obligations}


def due_escalations(decision) -> set[str]:
    return {e.rule for e in decision.escalations if e.status == "due"}


def money(value) -> tuple[Decimal, str]:
    """A cap as (amount, currency) whatever form the decision holds it in."""
    if isinstance(value, str):
        amount, _, currency = value.partition(" ")
        return Decimal(amount), currency
    if isinstance(value, dict):
        return Decimal(str(value["amount"])), value["currency"]
    return Decimal(str(value.amount)), value.currency


@pytest.mark.parametrize("category", ["return_exchange", "service", "equipment", "promotion", "other"])
def test_primary_cases_are_handled_by_the_store(policy, category):
    # 004 mall 二.5(1)A-E, 二.6: returns, exchanges, service, equipment, promotions, anything solvable on the spot.
    d = decide(policy, category=category)
    assert (d.level, d.level_label) == ("general", "初級客訴案")
    assert d.owner == "store" and list(d.routes) == ["store"]
    assert not due_escalations(d)


@pytest.mark.parametrize(
    "fields, rule",
    [
        # 004 mall 二.5(2)B: a vendor complaint the store manager may settle.
        ({"category": "vendor"}, "vendor"),
        # 004 mall 二.5(2)A/C: beyond the service desk's authority.
        ({"category": "return_exchange", "within_desk_authority": False}, "beyond_desk"),
    ],
)
def test_level_1_goes_to_the_store_manager_at_once(policy, fields, rule):
    d = decide(policy, now="2026-12-01T14:01", **fields)
    assert (d.level, d.level_label) == ("intermediate", "一級客訴案")
    assert rule in {t.rule for t in d.trace}
    assert d.owner == "store_manager" and "store" in d.routes  # 二.6: the store (一級處理單位) under its head
    # 004 mall 五.2: what one cannot settle goes up at once.
    up = next(e for e in d.escalations if e.rule == "report_up_store_manager")
    assert list(up.targets) == ["store_manager"] and up.status == "due"
    assert "hand_over_details" in obligations(d)  # 五.4


@pytest.mark.parametrize(
    "fields, rule",
    [
        ({"category": "legal"}, "legal"),  # 004 mall 二.5(3)E: legal liability
        ({"category": "service", "external": ["court"]}, "legal"),  # a court case is legal liability
        ({"category": "service", "needs_other_units": True}, "needs_other_units"),  # 二.5(3)A
        ({"category": "vendor", "within_store_authority": False}, "vendor_beyond_store"),  # 二.5(3)B
        ({"category": "service", "within_store_authority": False}, "beyond_front_line"),  # 二.5(3)C
        ({"category": "policy_explanation"}, "policy_explanation"),  # 二.5(3)D
    ],
)
def test_level_2_goes_to_the_back_office_departments_tracked_by_the_section(policy, fields, rule):
    # 004 mall 二.4, 二.6 (M-3, issue 20): the 二級處理單位 is the back-office departments (後勤各部) under their 部主管;
    # the 客服課 is the 客訴總單位 that tracks their reports (二.2F). Before issue 20 the section owned level 2.
    d = decide(policy, now="2026-12-01T14:01", **fields)
    assert (d.level, d.level_label) == ("major", "二級客訴案")
    assert rule in {t.rule for t in d.trace}
    assert d.owner == "back_office"
    assert set(d.routes) == {"back_office", "department_head", "customer_service_section"}
    assert {"report_up_second_level", "section_tracks"} <= due_escalations(d)
    up = next(e for e in d.escalations if e.rule == "report_up_second_level")
    assert list(up.targets) == ["department_head"]


def test_respond_at_once_and_resolve_within_one_calendar_day(policy):
    # 004 mall 三.5: "立即反映一天內解決"; the mall trades every day, so Saturday counts.
    d = decide(policy, category="return_exchange", received_at=at("2026-12-04T19:00"))  # a Friday
    assert deadline(d, "response") == at("2026-12-04T19:00")
    assert deadline(d, "resolution") == at("2026-12-05T19:00")


def test_unresolved_after_a_day_is_tracked_by_the_customer_service_section(policy):
    # 004 mall 二.2F, 三.5: the section tracks cases not resolved within the day.
    assert "unresolved" not in due_escalations(decide(policy, now="2026-12-02T13:00", category="service"))
    late = decide(policy, now="2026-12-02T15:00", category="service")
    esc = next(e for e in late.escalations if e.rule == "unresolved")
    assert esc.status == "due" and list(esc.targets) == ["customer_service_section"]
    assert esc.due_at == at("2026-12-02T14:00")
    done = decide(policy, now="2026-12-02T15:00", category="service", resolved_at=at("2026-12-01T18:00"))
    assert "unresolved" not in due_escalations(done)


def test_cost_claim_goes_to_finance_before_payment_then_to_audit(policy):
    # 004 mall 四 第二聯A, 四.10: finance reviews a cost claim before payment; the payee signs; then audit files it.
    paid = at("2026-12-03T11:00")
    d = decide(policy, category="return_exchange", claimed_amount="800 TWD", paid_at=paid,
               resolved_at=at("2026-12-03T12:00"))
    duties = obligations(d)
    assert duties["finance_review"].due_at == at("2026-12-01T14:00") and "finance" in duties["finance_review"].by
    assert duties["payee_receipt"].due_at == paid
    assert duties["audit_after_payment"].due_at == paid and "audit" in duties["audit_after_payment"].by
    assert "audit_no_cost" not in duties
    # No amount is within a handling unit's own authority: every claim passes finance.
    assert d.remedy.within_authority is False
    assert money(d.remedy.cap) == (Decimal(0), "TWD")


def test_without_a_cost_claim_the_audit_copy_goes_straight_to_audit(policy):
    # 004 mall 四 第二聯B, 第三聯: straight to audit; the third copy stays with planning.
    resolved = at("2026-12-01T16:00")
    duties = obligations(decide(policy, category="service", resolved_at=resolved))
    assert duties["audit_no_cost"].due_at == resolved
    assert duties["planning_copy"].due_at == resolved
    assert "finance_review" not in duties and "payee_receipt" not in duties


def test_every_case_is_recorded_and_kept_two_years(policy):
    # 004 mall 三.6, 四.9: the three-part form at intake; 四.4: kept at least two years.
    d = decide(policy, category="promotion")
    duties = obligations(d)
    assert duties["complaint_form"].due_at == at("2026-12-01T14:00")
    assert {"store", "audit", "planning"} <= set(duties["retain_records"].by)
    assert d.follow_up.status == "exempt"  # the seed has no customer follow-up; the result is recorded


def test_remedies_in_order_and_approvers_by_level(policy):
    # 004 mall 一 (包退包換) and 四.9-10: the head of the handling unit confirms.
    general = decide(policy, category="return_exchange")
    assert list(general.remedy.options) == ["exchange", "refund", "cost_claim"]
    assert general.remedy.approver == "store_manager"
    assert decide(policy, category="legal").remedy.approver == "department_head"  # 二.4: the 部主管


FLAGS = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["return_exchange", "service", "equipment", "promotion", "vendor",
                                     "policy_explanation", "legal", "other"]),
        "within_desk_authority": st.booleans(),
        "within_store_authority": st.booleans(),
        "needs_other_units": st.booleans(),
        "external": st.lists(st.sampled_from(["media", "consumer_association", "court", "regulator"]), unique=True),
    }
)


@settings(max_examples=150, deadline=None)
@given(FLAGS)
def test_levels_follow_the_seed_table(policy, fields):
    # 004 mall 二.5: the level is the lowest one whose handling unit can settle the case.
    d = decide(policy, **fields)
    level_2 = (
        fields["category"] in ("legal", "policy_explanation")
        or bool({"court", "regulator"} & set(fields["external"]))
        or fields["needs_other_units"]
        or not fields["within_store_authority"]
    )
    level_1 = fields["category"] == "vendor" or not fields["within_desk_authority"]
    expected = "major" if level_2 else "intermediate" if level_1 else "general"
    assert d.level == expected
    assert d.owner == {"major": "back_office", "intermediate": "store_manager", "general": "store"}[expected]
    assert deadline(d, "resolution") == at("2026-12-02T14:00")


def test_embedded_tests_pass(policy):
    from complaint_rules.testing.runner import run_tests

    assert [m for r in run_tests(policy) for m in r.messages()] == []


def test_every_rule_is_exercised(policy):
    # Issue 4: every rule of the policy is exercised.
    records = [
        {"category": "legal"},
        {"category": "service", "needs_other_units": True, "claimed_amount": "100 TWD", "paid_at": at("2026-12-02T10:00")},
        {"category": "vendor", "within_store_authority": False},
        {"category": "service", "within_store_authority": False},
        {"category": "policy_explanation"},
        {"category": "vendor"},
        {"category": "service", "within_desk_authority": False, "resolved_at": at("2026-12-01T16:00")},
        {"category": "return_exchange"},
    ]
    seen: set[str] = set()
    for n, fields in enumerate(records):
        d = decide(policy, now="2026-12-05T10:00", id=f"cov-{n}", **fields)
        seen |= {t.rule for t in d.trace} | set(obligations(d)) | {e.rule for e in d.escalations if e.status != "inactive"}
        seen |= {x.rule for x in d.deadlines} | {d.follow_up.rule}
    wanted = {r.id for r in ir.all_rules(policy.ir)} | {"classify.otherwise", "route.otherwise"}
    assert wanted - seen == set()


def test_yaml_form_means_the_same(policy):
    # Issue 4: the .policy is the source; its YAML conversion means the same, with the same fingerprint.
    again = complaint_rules.loads(policy.to_yaml(), format="yaml", name="mall.yaml")
    assert again == policy and again.fingerprint == policy.fingerprint


def test_not_a_complaint_case_is_judged_but_gets_no_complaint_form(policy):
    # 004 mall 五.1 (M-17): first judge whether it is a complaint case; 二.7 (M-7): a unit with the authority may answer.
    d = decide(policy, category="service", complaint_case=False)
    assert "judge_complaint_case" in obligations(d)
    assert "complaint_form" not in obligations(d) and "answer_within_authority" not in obligations(d)
    case = obligations(decide(policy, category="service"))
    assert {"complaint_form", "answer_within_authority", "judge_complaint_case"} <= set(case)
    assert "answer_within_authority" not in obligations(decide(policy, category="legal"))  # level 2: not a free-for-all
