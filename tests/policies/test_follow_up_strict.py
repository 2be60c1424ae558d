"""The strict follow-up regime (seed 001 part 3), its own organisation: until issue 20 it was an overlay of the
merged Lychee Garden policy and inherited rules its organisation never had."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules import ir
from complaint_rules.policy import parse_file

ROOT = Path(__file__).resolve().parents[2] / "policies" / "property"
POLICY = ROOT / "follow-up-strict.policy"
BASE = ROOT / "follow-up-guide.policy"  # seed 001 part 1, another organisation's follow-up regime
CST = dt.timezone(dt.timedelta(hours=8))
RESOLVED = dt.datetime(2026, 12, 2, 10, 0, tzinfo=CST)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.fixture(scope="module")
def policy():
    return complaint_rules.load(POLICY)


@pytest.fixture(scope="module")
def base():
    return complaint_rules.load(BASE)


def decide(policy, now: str | None = None, **fields):
    record = {"id": fields.pop("id", "fs-1"), "received_at": at("2026-12-01T10:00"), "resolved_at": RESOLVED} | fields
    return policy.evaluate(record, now=at(now) if now else None)


def obligations(decision) -> dict:
    return {o.rule: o for o in decision.obligations}


def percent(rate) -> Decimal:
    return Decimal(str(getattr(rate, "value", rate)).rstrip("%"))


@pytest.mark.parametrize(
    "category, rule, due",
    [
        # 001 part 3, 一.1, 二.1, 三.1: complaints within 3 days after handling, 100%, administrators together.
        ("complaint", "follow_up.otherwise", RESOLVED + dt.timedelta(days=3)),
        # 001 part 3, 一.2, 二.2: minor repairs within 3 days of completion, 100%.
        ("minor_repair", "minor_repair", RESOLVED + dt.timedelta(days=3)),
        # 001 part 3, 一.2, 二.2: repair projects within one month.
        ("repair_project", "repair_project", at("2027-01-02T10:00")),
        # 001 part 3, 一.3, 二.3: special services after the end (1 week: a placeholder).
        ("special_service", "special_service", RESOLVED + dt.timedelta(weeks=1)),
        # 001 part 3, 一.5, 二.5: other services within one week.
        ("other_service", "other_service", RESOLVED + dt.timedelta(weeks=1)),
    ],
)
def test_windows_and_full_rates(policy, category, rule, due):
    d = decide(policy, category=category)
    assert d.follow_up.rule == rule
    assert d.follow_up.status == "required" and percent(d.follow_up.rate) == 100
    assert d.follow_up.due_at == due
    assert list(d.follow_up.by) == ["administrator"]  # 001 part 3, 三
    assert list(d.follow_up.via) == ["visit"]  # 001 part 3, 五.1: face-to-face, on site


def test_every_minor_repair_is_followed_up_where_part_1_samples_30_percent(policy, base):
    # 001 part 3, 二.2 (100% of repairs) against part 1, 4.1(5) (at least 30%): two organisations' regimes.
    strict, sampled = [], []
    for n in range(100):
        strict.append(decide(policy, id=f"repair-{n}", category="minor_repair").follow_up.status)
        sampled.append(decide(base, id=f"repair-{n}", category="in_home_repair", work_order_rating="satisfied",
                              work_order_signed=True).follow_up.status)
    assert set(strict) == {"required"}
    assert "not_sampled" in sampled


def test_community_events_are_followed_up_at_70_percent(policy):
    # 001 part 3, 一.4, 二.4: events within one month, 70%.
    statuses = []
    for n in range(200):
        d = decide(policy, id=f"event-{n}", category="community_event")
        assert d.follow_up.rule == "community_event" and percent(d.follow_up.rate) == 70
        assert d.follow_up.due_at == at("2027-01-02T10:00")
        statuses.append(d.follow_up.status)
    assert 0.6 <= statuses.count("required") / len(statuses) <= 0.8


def test_special_service_is_also_followed_up_at_mid_term(policy):
    # 001 part 3, 一.3: at the mid-term of the contract and after its end.
    midpoint = at("2027-03-01T09:00")
    d = decide(policy, category="special_service", service_midpoint_at=midpoint)
    duty = obligations(d)["special_service_midterm"]
    assert duty.due_at == midpoint and "administrator" in duty.by
    assert "special_service_midterm" not in obligations(decide(policy, category="complaint"))


def test_still_dissatisfied_means_fix_again_and_follow_up_again(policy):
    # 001 part 3, 五.2: after a follow-up that left the owner dissatisfied: fix again, follow up again until satisfied.
    unhappy = [{"at": at("2026-12-03T10:00"), "method": "visit", "satisfied": False}]
    d = decide(policy, category="complaint", follow_ups=unhappy)
    assert "fix_again" in obligations(d)
    assert d.follow_up.status == "required"
    assert d.follow_up.repeat_needed and d.follow_up.until_satisfied == 0  # 0: no limit on the rounds
    many = unhappy * 12  # "until satisfied", however many rounds it takes
    assert decide(policy, category="complaint", follow_ups=many).follow_up.repeat_needed
    happy = [{"at": at("2026-12-03T10:00"), "method": "visit", "satisfied": True}]
    satisfied = decide(policy, category="complaint", follow_ups=happy)
    assert "fix_again" not in obligations(satisfied) and not satisfied.follow_up.repeat_needed


def test_the_policy_stands_alone(policy):
    # Issue 20: part 3's organisation has only part 3's rules: no intake, routing, reply clock or anonymous exemption
    # borrowed from seed 000 or from 001 parts 1-2.
    source, _ = parse_file(POLICY)
    assert source.extends is None
    ids = {r.id for r in ir.all_rules(policy.ir)}
    assert not ids & {"intake_four_clear", "first_reply", "response", "anonymous", "repeat_complaint", "open_letter"}
    assert {o.id for o in policy.ir.obligations} == {"special_service_midterm", "fix_again", "follow_up_record"}
    assert policy.ir.follow_up.until_satisfied is not None


def test_embedded_tests_pass(policy):
    from complaint_rules.testing.runner import run_tests

    assert [m for r in run_tests(policy) for m in r.messages()] == []


def test_every_rule_is_exercised(policy):
    # Issue 4: every rule of the policy is exercised by a test.
    records = [
        {"category": "complaint"},
        {"category": "minor_repair"},
        {"category": "repair_project"},
        {"category": "special_service", "service_midpoint_at": at("2027-03-01T09:00")},
        {"category": "community_event"},
        {"category": "other_service"},
        {"category": "complaint", "follow_ups": [{"at": at("2026-12-03T10:00"), "method": "visit", "satisfied": False}]},
    ]
    seen: set[str] = set()
    for n, fields in enumerate(records):
        d = decide(policy, now="2026-12-05T10:00", id=f"cov-{n}", **fields)
        seen |= {t.rule for t in d.trace} | set(obligations(d)) | {e.rule for e in d.escalations if e.status != "inactive"}
        seen |= {x.rule for x in d.deadlines} | {d.follow_up.rule}
    wanted = {r.id for r in ir.all_rules(policy.ir)} | {"classify.otherwise", "route.otherwise"}
    assert wanted - seen == set()


def test_yaml_form_means_the_same(policy, tmp_path):
    # Issue 4: the .policy is the source; its YAML conversion means the same, with the same fingerprint.
    converted = tmp_path / "follow-up-strict.yaml"
    converted.write_text(policy.to_yaml(), encoding="utf-8")
    again = complaint_rules.load(converted)
    assert again == policy and again.fingerprint == policy.fingerprint
