"""The leisure club (seed 004 篇3) and its branch overlay: stars, remedies in the seed's order, authority, police, staff liability."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaint_rules
from complaint_rules import ir
from complaint_rules.errors import RecordError
from complaint_rules.policy import parse_file

ROOT = Path(__file__).resolve().parents[2] / "policies" / "hospitality"
POLICY = ROOT / "leisure-club.policy"
BRANCH = ROOT / "leisure-club-branch.policy"
CST = dt.timezone(dt.timedelta(hours=8))
ELEVEN = ("service_language", "billing", "work_error", "unreasonable_demand", "massage_bathing", "use_of_belongings",
          "laundry", "deception", "vehicle_damage", "belongings_damage_loss", "injury")  # fmt: skip
ALL_BUT_CASH = ["words", "item_discount", "free_service", "bill_discount", "free_admission", "gift_tickets",
                "discount_card", "vouchers"]  # fmt: skip


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture(scope="module")
def policy():
    return complaint_rules.load(POLICY)


@pytest.fixture(scope="module")
def branch():
    return complaint_rules.load(BRANCH)


def decide(policy, now: str | None = None, **fields):
    record = {"id": fields.pop("id", "club-1"), "received_at": at("2026-12-01T20:00")} | fields
    return policy.evaluate(record, now=at(now) if now else None)


def obligations(decision) -> dict:
    return {o.rule: o for o in decision.obligations}


def active(decision) -> dict:
    return {e.rule: e for e in decision.escalations if e.status != "inactive"}


def cny(amount: int) -> str:
    return f"{amount} CNY"


# ---------------------------------------------------------------------------- levels and handling


def test_the_eleven_categories_are_exactly_the_seed_s(policy):
    # 004 club 八: the eleven categories.
    assert policy.ir.field("category").type.members == ELEVEN


@pytest.mark.parametrize(
    "fields, level, label, owner",
    [
        # 004 club 七(一), 七(二)3: ★ general, handled by the supervisors.
        ({"category": "billing"}, "general", "★ 一般性投訴", "supervisor"),
        ({"category": "laundry", "grade": "one_star"}, "general", "★ 一般性投訴", "supervisor"),
        # 004 club 七(一), 七(二)4: ★★ fairly serious, handled by the operations (department) manager.
        ({"category": "work_error", "grade": "two_star"}, "intermediate", "★★ 比較嚴重性投訴", "department_manager"),
        # 004 club 五.2(3): a claim from 1000 CNY is a serious complaint: at least ★★.
        ({"category": "laundry", "claimed_amount": cny(1000)}, "intermediate", "★★ 比較嚴重性投訴", "department_manager"),
        # 004 club 七(一): ★★★ serious.
        ({"category": "deception", "grade": "three_star"}, "major", "★★★ 嚴重性投訴", "department_manager"),
        # 004 club 八.11: injury to a customer is serious (chosen: the seed gives no criteria).
        ({"category": "injury"}, "major", "★★★ 嚴重性投訴", "department_manager"),
        ({"category": "massage_bathing", "hazards": ["injury"]}, "major", "★★★ 嚴重性投訴", "department_manager"),
    ],
)
def test_stars_and_who_handles_them(policy, fields, level, label, owner):
    d = decide(policy, **fields)
    assert (d.level, d.level_label, d.owner) == (level, label, owner)
    assert ("handle_in_person" in obligations(d)) == (level != "general")  # 004 club 四.3.3


def test_the_most_severe_matching_grade_wins(policy):
    # classify highest: a ★-graded injury with a large claim is still ★★★.
    d = decide(policy, category="injury", grade="one_star", claimed_amount=cny(1500))
    assert d.level == "major"
    assert {"injury", "high_claim"} <= set(d.rule_ids)


def test_technician_complaints_bring_in_technician_management(policy):
    # 004 club 七(二)2: handled by operations management, technician management helping.
    d = decide(policy, category="massage_bathing", received_by="technician")
    assert set(d.routes) == {"supervisor", "technician_management"} and d.owner == "supervisor"


def test_reporting_upwards(policy):
    # 004 club 七(二): every complaint goes to the direct superior at once.
    d = decide(policy, now="2026-12-01T20:01", category="billing")
    assert active(d)["report_superior"].status == "due" and set(active(d)) == {"report_superior"}
    # 七(二): a special emergency goes straight to a higher level.
    assert set(active(decide(policy, category="billing", urgent=True))["urgent_skip_level"].targets) == {
        "department_manager", "executive"}
    # 七(二)3: ★ the supervisors cannot solve: the operations manager helps.
    assert list(active(decide(policy, category="billing", beyond_handler=True))["general_help"].targets) == [
        "department_manager"]
    # 七(二)4: ★★/★★★ the manager cannot solve: the executive level.
    serious = active(decide(policy, category="billing", grade="two_star", beyond_handler=True))
    assert list(serious["serious_help"].targets) == ["executive"] and "general_help" not in serious


def test_investigation_starts_at_once_and_the_result_is_reported(policy):
    # 004 club 四.2.9: investigate at once; 四.3.4: record the outcome and report upwards; 四.2.7, 四.3.1: record and apologise.
    resolved = at("2026-12-01T22:00")
    d = decide(policy, category="billing", resolved_at=resolved)
    assert d.deadline("investigation") == at("2026-12-01T20:00")
    duties = obligations(d)
    assert duties["report_outcome"].due_at == resolved
    assert {"record_complaint", "courtesy_apology"} <= set(duties)
    # 四.4.1-2: the customer is told the result promptly.
    assert d.follow_up.rule == "follow_up.otherwise" and d.follow_up.due_at == at("2026-12-02T22:00")
    serious = decide(policy, category="billing", grade="three_star", resolved_at=resolved)
    assert serious.follow_up.rule == "serious_result" and list(serious.follow_up.by) == ["department_manager"]


# ---------------------------------------------------------------------------- remedies


def test_general_complaint_gets_words_before_money(policy):
    # 004 club 五.2(1): words first; failing that tickets, an item discount or a free item; the rest in cost order.
    d = decide(policy, category="service_language")
    assert list(d.remedy.options) == ["words", "item_discount", "free_service", "gift_tickets", "bill_discount",
                                      "free_admission", "discount_card", "vouchers"]


def test_cash_only_pays_for_lost_or_damaged_property(policy):
    # 004 club 五.1(8): cash is for lost or damaged belongings; it is the most expensive remedy.
    property_case = decide(policy, category="belongings_damage_loss", grade="two_star", claimed_amount=cny(600))
    assert list(property_case.remedy.options) == [*ALL_BUT_CASH, "cash"]
    assert "cash" not in decide(policy, category="billing", grade="two_star").remedy.options


@pytest.mark.parametrize("amount", [1000, 1001, 4000])
def test_from_1000_cny_cards_first_cash_in_principle_not_used(policy, amount):
    # 004 club 五.2(3) (K-17, issue 20): "盡可能…優惠卡和貴賓卡…原則上不使用現金": cards first, cash last and only
    # with a recorded reason; before issue 20 cash was excluded outright, so a 1500 CNY lost wallet could never be paid.
    d = decide(policy, category="vehicle_damage", claimed_amount=cny(amount))
    assert d.remedy.options[0] == "discount_card" and d.remedy.options[-1] == "cash"
    assert "cards_from_1000" in set(d.rule_ids) and "cash_needs_reason" in obligations(d)
    assert "cash_needs_reason" not in obligations(decide(policy, category="billing", claimed_amount=cny(amount)))


def test_just_under_1000_cny_cash_is_still_possible_for_property(policy):
    d = decide(policy, category="vehicle_damage", grade="two_star", claimed_amount=cny(999))
    assert d.remedy.options[-1] == "cash" and d.remedy.options[0] == "words"


@pytest.mark.parametrize("amount", [1, 150, 800, 3000])
def test_approval_limits_are_placeholders_until_the_club_sets_them(policy, amount):
    # 004 club 六 (K-18, issue 20): the heading names supervisor, department manager and general manager, the body no
    # amounts. The 0 CNY placeholders put every payment beyond the roles' own authority: it needs an explicit decision.
    d = decide(policy, category="belongings_damage_loss", claimed_amount=cny(amount))
    assert d.remedy.required_approver is None and d.remedy.beyond_authority is True
    assert decide(policy, category="belongings_damage_loss").remedy.beyond_authority is False  # nothing to pay


@pytest.mark.parametrize(
    "amount, required",
    [(150, "supervisor"), (300, "supervisor"), (800, "department_manager"), (3000, "general_manager")],
)
def test_the_branch_sets_real_approval_limits_by_role(branch, amount, required):
    # The (fictional) branch overlay sets the amounts the club's policy leaves open, role by role.
    d = decide(branch, category="belongings_damage_loss", claimed_amount=cny(amount))
    assert d.remedy.required_approver == required
    assert d.remedy.beyond_authority is False


def test_a_claim_beyond_every_authority_is_flagged(policy):
    d = decide(policy, category="vehicle_damage", grade="three_star", claimed_amount=cny(8000))
    assert d.remedy.approver == "general_manager" and d.remedy.within_authority is False
    assert d.remedy.beyond_authority is True


def test_tiers_per_star(policy):
    # 004 club 六, 七: ★ supervisor, ★★ department manager, ★★★ general manager.
    caps = {}
    for grade in ("one_star", "two_star", "three_star"):
        r = decide(policy, category="billing", grade=grade).remedy
        caps[grade] = (r.approver, r.cap.amount, r.cap.currency)
    assert caps == {  # the approvers follow 七(二); the caps are placeholders (六 gives no amounts)
        "one_star": ("supervisor", Decimal(0), "CNY"),
        "two_star": ("department_manager", Decimal(0), "CNY"),
        "three_star": ("general_manager", Decimal(0), "CNY"),
    }


# ---------------------------------------------------------------------------- police and liability


def test_lost_property_with_unclear_responsibility_calls_the_police(policy):
    # 004 club 四.2.10: report to the police, who handle it.
    d = decide(policy, category="belongings_damage_loss", property_lost=True)
    assert obligations(d)["call_police"].due_at == at("2026-12-01T20:00")
    clear = decide(policy, category="belongings_damage_loss", property_lost=True, responsibility="club")
    assert "call_police" not in obligations(clear)
    damaged = decide(policy, category="belongings_damage_loss")
    assert "call_police" not in obligations(damaged)


@pytest.mark.parametrize(
    "fault, duties",
    [
        (["direct"], {"staff_direct_liability"}),  # 004 club 六: direct: the whole payment and medical costs
        (["indirect"], {"staff_indirect_liability"}),  # 六: indirect: part of it
        (["direct", "indirect"], {"staff_direct_liability", "staff_indirect_liability"}),
        ([], set()),
    ],
)
def test_staff_at_fault_bear_the_cost(policy, fault, duties):
    d = decide(policy, category="use_of_belongings", staff_fault=fault)
    found = {k for k in obligations(d) if k.startswith("staff_")}
    assert found == duties
    for rule in found:
        assert list(obligations(d)[rule].by) == ["responsible_staff"]


@settings(max_examples=150, deadline=None)
@given(
    category=st.sampled_from(ELEVEN),
    grade=st.sampled_from(["unrated", "one_star", "two_star", "three_star"]),
    amount=st.integers(0, 20000),
)
def test_remedy_laws(policy, category, grade, amount):
    # 004 club 五: options stay a subset in the seed's order; cash only for property, and always last.
    d = decide(policy, category=category, grade=grade, claimed_amount=cny(amount))
    order = [*ALL_BUT_CASH, "cash"]
    options = list(d.remedy.options)
    assert set(options) <= set(order) and options
    if category not in ("belongings_damage_loss", "vehicle_damage"):
        assert "cash" not in options
    elif "cash" in options:
        assert options[-1] == "cash"
    if amount >= 1000:
        assert d.level in ("intermediate", "major") and options[0] == "discount_card"
        assert ("cash_needs_reason" in obligations(d)) == ("cash" in options)
    if d.level == "general":
        assert options[0] == "words"


# ---------------------------------------------------------------------------- the branch overlay


def test_branch_adds_a_twelfth_category(policy, branch):
    # Branch: food and beverage complaints reach the catering manager; the club itself does not know the category.
    d = decide(branch, category="food_beverage")
    assert set(d.routes) == {"supervisor", "catering_manager"} and d.owner == "supervisor"
    assert branch.ir.field("category").type.members == (*ELEVEN, "food_beverage")
    with pytest.raises(RecordError):
        decide(policy, category="food_beverage")


def test_branch_sets_the_limits(policy, branch):
    # Branch: supervisors approve up to 300 CNY; at the club every payment is beyond the placeholder limits.
    assert decide(branch, category="laundry", claimed_amount=cny(250)).remedy.required_approver == "supervisor"
    assert decide(policy, category="laundry", claimed_amount=cny(250)).remedy.required_approver is None
    assert decide(branch, category="laundry").remedy.cap.amount == 300
    assert "非種子" in branch.ir.header.title  # labelled as not seed-based in its own title


def test_branch_keeps_everything_else(policy, branch):
    source, _ = parse_file(BRANCH)
    assert source.extends == "leisure-club.policy"
    assert [r.id for r in source.route.rules] == ["food_beverage"] and source.classify is None
    a, b = branch.ir, policy.ir
    assert a.classify == b.classify and a.deadlines == b.deadlines and a.escalate == b.escalate
    assert a.follow_up == b.follow_up and a.obligations == b.obligations
    assert [r.id for r in a.route.rules] == ["serious", "technician_intake", "food_beverage"]
    assert a.compensate.rules == b.compensate.rules and a.compensate.options == b.compensate.options
    # The branch decides like the club on any of the eleven categories except for the limits.
    for category in ELEVEN:
        x, y = decide(branch, category=category, grade="two_star"), decide(policy, category=category, grade="two_star")
        assert (x.level, x.routes, x.remedy.options, x.obligations) == (y.level, y.routes, y.remedy.options, y.obligations)


# ---------------------------------------------------------------------------- embedded tests and coverage


@pytest.mark.parametrize("which", ["policy", "branch"])
def test_embedded_tests_pass(which, request):
    from complaint_rules.testing.runner import run_tests

    loaded = request.getfixturevalue(which)
    assert [m for r in run_tests(loaded) for m in r.messages()] == []


COVERAGE_RECORDS = [
    {"category": "injury", "received_by": "technician", "staff_fault": ["direct", "indirect"]},
    {"category": "deception", "grade": "three_star", "urgent": True, "beyond_handler": True},
    {"category": "work_error", "grade": "two_star", "resolved_at": at("2026-12-02T10:00")},
    {"category": "belongings_damage_loss", "property_lost": True, "claimed_amount": cny(1200)},
    {"category": "billing", "beyond_handler": True, "resolved_at": at("2026-12-02T10:00")},
    # 004 club 四.2.4, 四.3.2, 五.2(3) (K-3, K-8, K-16): a loud guest, other departments, a high payment on a ★★★ case.
    {"category": "vehicle_damage", "grade": "three_star", "loud": True, "needs_department": True, "high_amount": True},
]


@pytest.mark.parametrize("which", ["policy", "branch"])
def test_every_rule_is_exercised(which, request):
    # Issue 4: every rule of the club and of the branch is exercised.
    loaded = request.getfixturevalue(which)
    records = COVERAGE_RECORDS + ([{"category": "food_beverage"}] if which == "branch" else [])
    seen: set[str] = set()
    for n, fields in enumerate(records):
        d = decide(loaded, now="2026-12-05T10:00", id=f"cov-{n}", **fields)
        seen |= set(d.rule_ids) | set(obligations(d)) | set(active(d)) | {x.rule for x in d.deadlines}
        seen.add(d.follow_up.rule)
    wanted = {r.id for r in ir.all_rules(loaded.ir)} | {"classify.otherwise", "route.otherwise"}
    assert wanted - seen == set()


def test_yaml_form_means_the_same(policy):
    # Issue 4: the .policy is the source; its YAML conversion means the same, with the same fingerprint.
    again = complaint_rules.loads(policy.to_yaml(), format="yaml", name="leisure-club.yaml")
    assert again == policy and again.fingerprint == policy.fingerprint


def test_branch_yaml_form_means_the_same(branch, tmp_path):
    # Issue 4: the .policy is the source; its YAML conversion (still an overlay) resolves to the same policy.
    shutil.copy(POLICY, tmp_path / POLICY.name)
    converted = tmp_path / "leisure-club-branch.yaml"
    converted.write_text(branch.to_yaml(), encoding="utf-8")
    again = complaint_rules.load(converted)
    assert again.source.extends == POLICY.name
    assert again == branch and again.fingerprint == branch.fingerprint


def test_the_steps_the_review_found_missing(policy):
    # 004 club 四.1.2 (K-2): the attitude is judged on every complaint; 四.2.4 (K-3): a loud guest is taken aside;
    # 四.3.2 (K-8): other departments and a clear answer; 五.2(3) (K-16): a ★★★ case with a high payment is negotiated down.
    plain = obligations(decide(policy, category="billing"))
    assert "judge_attitude" in plain
    assert not {"separate_from_guests", "pass_to_departments", "negotiate_down"} & set(plain)
    d = obligations(decide(policy, category="billing", loud=True, needs_department=True, high_amount=True))
    assert {"separate_from_guests", "pass_to_departments"} <= set(d) and "negotiate_down" not in d  # ★ only
    serious = obligations(decide(policy, category="billing", grade="three_star", high_amount=True))
    assert list(serious["negotiate_down"].by) == ["department_manager"]
