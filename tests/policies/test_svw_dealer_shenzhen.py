"""The Shenzhen branch overlay of the dealer policy: what it changes, and that the rest of seed 002 still holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import complaint_rules
from complaint_rules import ir
from complaint_rules.language.frontend import dsl
from complaint_rules.language.printer import print_policy

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "policies" / "automotive" / "svw-dealer.policy"
BRANCH = ROOT / "policies" / "automotive" / "svw-dealer-shenzhen.policy"
CST = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CST)


@pytest.fixture(scope="module")
def base() -> complaint_rules.Policy:
    return complaint_rules.load(BASE)


@pytest.fixture(scope="module")
def branch() -> complaint_rules.Policy:
    return complaint_rules.load(BRANCH)


def record(**fields: Any) -> dict[str, Any]:
    return {"id": "sz-1", "received_at": at(1), "category": "product_quality", **fields}


def deadline(decision, clock: str) -> dt.datetime | None:
    return next((d.due_at for d in decision.deadlines if d.clock == clock), None)


def money(value) -> ir.Money:
    if isinstance(value, str):
        amount, currency = value.split()
        return ir.Money(Decimal(amount), currency)
    if isinstance(value, dict):
        return ir.Money(Decimal(str(value["amount"])), value["currency"])
    return ir.Money(Decimal(str(value.amount)), value.currency)


def test_overlay_identity(branch, base):
    assert branch.id == "svw-dealer-shenzhen"
    assert branch.ir.header.currency == "CNY"  # inherited from the base header
    assert branch.ir.header.calendar == "CN"
    assert branch.fingerprint != base.fingerprint


def test_first_contact_window_is_shorter(branch, base):
    # 002 part 1, 4.2.2.1 (base: 2 hours); the branch contacts within 1 hour
    assert deadline(base.evaluate(record()), "first_contact") == at(1, 12)
    decision = branch.evaluate(record())
    assert deadline(decision, "first_contact") == at(1, 11)
    # 002 part 1, 4.2.2.4: the remedy plan still runs 24 hours from the (earlier) contact deadline
    assert deadline(decision, "remedy_plan") == at(2, 11)


def test_replaced_rule_keeps_its_place(branch, base):
    # a named override replaces the base rule in place: same ids, same order
    assert [r.id for r in branch.ir.deadlines] == [r.id for r in base.ir.deadlines]


def test_general_cap_is_higher(branch, base):
    # 002 part 4, 2.4.4: the branch customer director settles general complaints up to 1000 CNY
    claim = record(category="sales_service", claimed_amount="800 CNY")
    assert base.evaluate(claim).remedy.within_authority is False
    decision = branch.evaluate(claim)
    assert money(decision.remedy.cap) == ir.Money(Decimal(1000), "CNY")
    assert decision.remedy.within_authority is True
    assert decision.remedy.approver == "customer_director"


def test_major_cap_is_higher(branch):
    # 002 part 4, 2.2 ②: a major complaint; the branch GM's cap is 80000 CNY
    decision = branch.evaluate(record(demands=["engine_replacement"], claimed_amount="90000 CNY"))
    assert decision.level == "major"
    assert money(decision.remedy.cap) == ir.Money(Decimal(80000), "CNY")
    assert decision.remedy.within_authority is False


def test_missed_first_contact_is_reported(branch, base):
    # the branch's own rule: a missed first contact is reported at once to the two directors
    late = branch.evaluate(record(), now=at(1, 11, 1))
    rules = {e.rule: e for e in late.escalations}
    assert rules["first_contact_missed"].status == "due"
    assert set(rules["first_contact_missed"].targets) == {"customer_director", "after_sales_director"}
    on_time = branch.evaluate(record(first_contact_at=at(1, 10, 30)), now=at(1, 11, 1))
    assert "first_contact_missed" not in {e.rule for e in on_time.escalations if e.status == "due"}
    # the new rule sits right after the base rule it names
    ids = [r.id for r in branch.ir.escalate]
    assert ids[ids.index("remind_before_deadline") + 1] == "first_contact_missed"
    assert "first_contact_missed" not in {r.id for r in base.ir.escalate}


def test_the_rest_of_seed_002_is_inherited(branch):
    # 002 part 4, 2.2 ③ and part 3, 三: return demands are major and go to the sales/showroom manager
    decision = branch.evaluate(record(category="sales_service", demands=["return_vehicle"]), now=at(1, 10, 1))
    assert decision.level == "major"
    assert decision.owner == "general_manager"
    assert "return_or_money_demand" in {e.rule for e in decision.escalations if e.status == "due"}
    # 002 part 3, 八.2: fines are inherited
    hidden = branch.evaluate(record(concealed=True))
    assert "fine_concealment" in {o.rule for o in hidden.obligations}


def test_embedded_tests_pass(branch):
    from complaint_rules.testing.runner import run_tests

    results = run_tests(branch)
    assert results, "the overlay carries its own tests"
    for result in results:
        assert result.passed, result.messages()


def test_file_is_canonical():
    text = BRANCH.read_text(encoding="utf-8")
    assert print_policy(dsl.parse(text, str(BRANCH))) == text
