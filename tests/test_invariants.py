"""Declared invariants: syntax, printing, YAML, checking, overlays, diffs, and `prove` with reproducing counterexamples."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies_ir import Ids, invariant_rules

from complaint_rules import ir, loads
from complaint_rules.analysis import prove
from complaint_rules.analysis.replay import replay, reproduces
from complaint_rules.analysis.witness import jsonable
from complaint_rules.compare.structural import structural_diff
from complaint_rules.errors import PolicyError
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy
from complaint_rules.language.printer import print_policy
from complaint_rules.language.yaml_printer import to_yaml
from complaint_rules.policy import Policy, parse_file

BASE = '''policy "inv" {
  currency CNY
  calendar "CN"
  hours 09:00-18:00
  timezone "Asia/Shanghai"
}
record {
  category: enum {sales_service, product_quality, after_sales}
  claimed_amount: money = 0 CNY
  repeat_count: int = 0
  anonymous: bool = false
  received_at: datetime required
  resolved_at: datetime
}
units { customer_service  engineering  general_manager }
levels { general  intermediate  major }
classify first {
  rule large: claimed_amount >= 5000 CNY -> major
  rule repeat: repeat_count >= 2 -> intermediate
  otherwise -> general
}
route all {
  rule to_gm: level == major -> general_manager
  rule eng: category == product_quality -> engineering
  otherwise -> customer_service
}
deadlines {
  rule major_contact: first_contact = 2 hours after received_at when level == major
  rule contact: first_contact = 4 hours after received_at
}
compensate {
  amount claimed_amount
  options { words  voucher  cash }
  tier general up to 500 CNY by customer_service
  tier intermediate up to 2000 CNY by customer_service
  tier major up to 5000 CNY by general_manager
  rule no_cash: exclude {cash} when claimed_amount >= 1000 CNY
  rule no_money: exclude {voucher, cash} when repeat_count >= 5
}
follow_up {
  rule anonymous: none when anonymous
  rule sample: 30% within 1 day after resolved_at by customer_service via phone when category == after_sales and level == general
  otherwise: 100% within 3 days after resolved_at by customer_service via phone
}
invariants {
  # tier caps never shrink as severity rises
  rule caps: monotone cap
  rule contact_not_later: monotone deadline first_contact
  rule some_option: always options
  rule followed: always follow_up when category != after_sales or level != general
  rule gm_on_major: always route general_manager when level == major note "4.3"
  rule no_eng_for_sales: never route engineering when category == sales_service
  rule no_cash_large: never option cash when claimed_amount >= 1000 CNY
  rule words_always: always option words
}
'''


def _policy(text: str = BASE) -> Policy:
    return loads(text, name="inv.policy")


def _variant(old: str, new: str) -> Policy:
    assert old in BASE
    return _policy(BASE.replace(old, new))


# ---------------------------------------------------------------------------- syntax and printing


def test_every_form_parses_into_the_ir() -> None:
    p = dsl.parse(BASE)
    forms = [(r.id, r.kind, r.subject, r.arg) for r in p.invariants]
    assert forms == [
        ("caps", "monotone", "cap", None),
        ("contact_not_later", "monotone", "deadline", "first_contact"),
        ("some_option", "always", "options", None),
        ("followed", "always", "follow_up", None),
        ("gm_on_major", "always", "route", "general_manager"),
        ("no_eng_for_sales", "never", "route", "engineering"),
        ("no_cash_large", "never", "option", "cash"),
        ("words_always", "always", "option", "words"),
    ]
    by_id = {r.id: r for r in p.invariants}
    assert by_id["caps"].comments == ("# tier caps never shrink as severity rises",)
    assert by_id["gm_on_major"].note == "4.3"
    assert by_id["no_cash_large"].when == ir.Compare(">=", ir.Ref("claimed_amount"),
                                                     ir.Const(ir.Money(Decimal(1000), "CNY")))
    assert by_id["caps"].span.line == BASE.splitlines().index("  rule caps: monotone cap") + 1
    # invariants decide nothing: traces and coverage do not count them
    assert "caps" not in {r.id for r in ir.all_rules(p)}


def test_dsl_round_trip_keeps_invariants_and_comments() -> None:
    p = dsl.parse(BASE)
    text = print_policy(p)
    assert "  rule no_cash_large: never option cash when claimed_amount >= 1000 CNY\n" in text
    assert "  # tier caps never shrink as severity rises\n  rule caps: monotone cap\n" in text
    again = dsl.parse(text)
    assert again == p
    assert [r.comments for r in again.invariants] == [r.comments for r in p.invariants]
    assert print_policy(again) == text


def test_yaml_round_trip_and_hand_written_yaml() -> None:
    p = dsl.parse(BASE)
    text = to_yaml(p)
    assert "invariants:\n  - id: caps\n    monotone: cap\n" in text
    assert fy.parse(text) == p
    hand = fy.parse("policy: {id: x}\ninvariants:\n  - {id: a, monotone: deadline first_contact}\n"
                    "  - id: b\n    never: route engineering\n    when: category == sales_service\n")
    assert hand.invariants == dsl.parse('policy "x" {}\ninvariants {\n  rule a: monotone deadline first_contact\n'
                                        '  rule b: never route engineering when category == sales_service\n}\n'
                                        ).invariants


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_invariants_round_trip_through_dsl_and_yaml(data) -> None:
    ids = Ids(data.draw)
    rules = tuple(data.draw(invariant_rules(ids)) for _ in range(data.draw(st.integers(1, 4))))
    p = ir.Policy(header=ir.Header("p"), invariants=rules)
    assert dsl.parse(print_policy(p)) == p
    assert fy.parse(to_yaml(p)) == p


@pytest.mark.parametrize("body, expected", [
    ("never options", "'never options' is not an invariant; expected monotone cap, monotone deadline CLOCK"),
    ("monotone cap when anonymous", "a monotone invariant compares levels over every record; it takes no 'when'"),
    ("always route", "'always route' is not an invariant"),
    ("always route a b", "unexpected 'b'"),
    ("sometimes route x", "unexpected 'sometimes'"),
])  # fmt: skip
def test_syntax_errors_are_located(body: str, expected: str) -> None:
    with pytest.raises(PolicyError) as info:
        dsl.parse(f'policy "x" {{}}\ninvariants {{\n  rule r: {body}\n}}\n', "x.policy")
    text = info.value.render()
    assert expected in text and "x.policy:" in text


@pytest.mark.parametrize("item, expected", [
    ("{id: a, always: options, never: route x}", "exactly one of 'monotone', 'always' or 'never'"),
    ("{id: a, never: options}", "'never' takes 'route NAME', 'option NAME', not 'options'"),
    ("{id: a, monotone: deadline}", "'monotone' takes 'cap', 'deadline NAME', not 'deadline'"),
    ("{id: a, monotone: cap, when: anonymous}", "takes no 'when'"),
    ("{id: a, always: route x, whn: anonymous}", "unknown key 'whn'"),
])  # fmt: skip
def test_yaml_errors(item: str, expected: str) -> None:
    with pytest.raises(PolicyError) as info:
        fy.parse(f"policy: {{id: x}}\ninvariants:\n  - {item}\n", "x.yaml")
    assert expected in info.value.render()


# ---------------------------------------------------------------------------- checker


@pytest.mark.parametrize("old, new, expected", [
    ("monotone deadline first_contact", "monotone deadline first_contct",
     "unknown clock 'first_contct' in invariant 'contact_not_later' (did you mean 'first_contact'?)"),
    ("always route general_manager", "always route general_manger",
     "unknown unit 'general_manger' in invariant 'gm_on_major' (did you mean 'general_manager'?)"),
    ("never option cash", "never option csh", "unknown remedy option 'csh' in invariant 'no_cash_large'"),
    ("when level == major note", "when level == majr note", "unknown level 'majr'"),
    ("never route engineering when category == sales_service", "never route engineering when categry == sales_service",
     "unknown field 'categry'"),
    ("rule words_always:", "rule no_cash:", "duplicate rule id 'no_cash'"),
    ("rule words_always:", "rule caps:", "duplicate rule id 'caps'"),
])  # fmt: skip
def test_checker_names_and_duplicates(old: str, new: str, expected: str) -> None:
    with pytest.raises(PolicyError) as info:
        _variant(old, new)
    text = info.value.render()
    assert expected in text, text
    assert "inv.policy:" in text


def test_checker_wants_what_the_invariant_is_about() -> None:
    text = 'policy "x" {}\nroute first { otherwise -> a }\nunits { a }\nlevels { general }\n' \
           'classify first { otherwise -> general }\nfollow_up { otherwise: none }\n' \
           'invariants {\n  rule c: monotone cap\n  rule o: always options\n}\n'
    with pytest.raises(PolicyError) as info:
        loads(text, name="x.policy")
    rendered = info.value.render()
    assert "'monotone cap' needs remedy tiers" in rendered
    assert "'always options' needs remedy options" in rendered


def test_python_built_invariants_are_checked_for_form() -> None:
    from complaint_rules.language import checker

    p = dsl.parse(BASE)
    bad = ir.InvariantRule("bad", "never", "options")
    no_arg = ir.InvariantRule("no_arg", "always", "route")
    diags = checker.check(ir.Policy(**{**_fields(p), "invariants": (bad, no_arg)}))
    messages = [d.message for d in diags]
    assert any("'never options' is not an invariant" in m for m in messages)
    assert any("'always route' needs a name after 'route'" in m for m in messages)


def _fields(p: ir.Policy) -> dict:
    import dataclasses

    return {f.name: getattr(p, f.name) for f in dataclasses.fields(p)}


# ---------------------------------------------------------------------------- prove


def test_the_base_policy_proves_every_invariant() -> None:
    report = prove(_policy())
    assert report.proven, report.render()
    assert "invariants: 8 declared" in report.checked


def _findings(policy: Policy, kind: str, rule: str):
    report = replay(policy, prove(policy))
    found = [f for f in report.findings if f.kind == kind and f.rule == rule]
    assert found, report.render()
    for f in report.findings:
        assert reproduces(policy, f) == (True, ""), f.render()
        assert f.details["reproduced"] is True
        assert f.span is not None and f.block == "invariants"
    assert not report.uncovered, report.uncovered
    json.dumps(report.to_dict())  # the second record of monotone findings is JSON too
    return found[0], jsonable(found[0].record)


def test_monotone_cap_violated() -> None:
    f, record = _findings(_variant("intermediate up to 2000 CNY", "intermediate up to 400 CNY"), "invariant.cap",
                          "caps")
    assert f.details["levels"] == ["general", "intermediate"]
    assert record["repeat_count"] == 2


def test_monotone_deadline_violated_by_fixed_durations() -> None:
    f, record = _findings(_variant("first_contact = 2 hours", "first_contact = 6 hours"), "invariant.deadline",
                          "contact_not_later")
    assert f.details["levels"][1] == "major" and record["claimed_amount"] == "5000 CNY"
    assert f.details["rules"] == ["contact", "major_contact"]
    lower = jsonable(f.details["lower_record"])
    assert lower["received_at"] == record["received_at"]  # the two records agree on the clock's fields


def test_monotone_deadline_violated_on_the_calendar() -> None:
    # 1 working day is later than 4 hours from most starts, not all: the calendar decides, and shows one.
    policy = _variant("first_contact = 2 hours", "first_contact = 1 working day")
    f, _ = _findings(policy, "invariant.deadline", "contact_not_later")
    hi = policy.evaluate(f.record).deadline("first_contact")
    lo = policy.evaluate(f.details["lower_record"]).deadline("first_contact")
    assert hi > lo


def test_monotone_deadline_violated_when_the_severe_level_gets_none() -> None:
    policy = _variant("  rule contact: first_contact = 4 hours after received_at\n",
                      "  rule contact: first_contact = 4 hours after received_at when level == general\n")
    f, _ = _findings(policy, "invariant.deadline", "contact_not_later")
    assert f.details["rules"] == ["contact", None]
    assert policy.evaluate(f.record).deadline("first_contact") is None


def test_monotone_deadline_holds_when_it_depends_on_other_fields_only() -> None:
    # Product-quality complaints are contacted sooner whatever their level: no pair of records
    # agreeing on the category shows a more severe level waiting longer.
    policy = _variant("first_contact = 2 hours after received_at when level == major",
                      "first_contact = 1 hours after received_at when category == product_quality")
    assert prove(policy).proven


def test_always_options_violated() -> None:
    policy = _variant("exclude {voucher, cash} when", "exclude {cash, voucher, words} when")
    _, record = _findings(policy, "invariant.options", "some_option")
    assert record["repeat_count"] == 5
    assert _findings(policy, "invariant.option", "words_always")[1]["repeat_count"] == 5


def test_always_follow_up_violated() -> None:
    _, record = _findings(_variant("always follow_up when category != after_sales or level != general",
                                   "always follow_up"), "invariant.follow_up", "followed")
    assert record["category"] == "after_sales"


def test_always_route_violated_under_all() -> None:
    _, record = _findings(_variant("rule to_gm: level == major", "rule to_gm: level == major and claimed_amount < 9000 CNY"),
                          "invariant.route", "gm_on_major")
    assert record["claimed_amount"] == "9000 CNY"


def test_always_route_violated_under_first() -> None:
    policy = _variant("route all {\n  rule to_gm: level == major -> general_manager\n"
                      "  rule eng: category == product_quality -> engineering\n",
                      "route first {\n  rule eng: category == product_quality -> engineering\n"
                      "  rule to_gm: level == major -> general_manager\n")
    _, record = _findings(policy, "invariant.route", "gm_on_major")
    assert record["category"] == "product_quality" and record["claimed_amount"] == "5000 CNY"


def test_never_route_violated() -> None:
    _, record = _findings(_variant("rule eng: category == product_quality", "rule eng: category != after_sales"),
                          "invariant.route", "no_eng_for_sales")
    assert record["category"] == "sales_service"


def test_never_option_violated() -> None:
    _, record = _findings(_variant("exclude {cash} when claimed_amount >= 1000 CNY",
                                   "exclude {cash} when claimed_amount >= 2000 CNY"), "invariant.option", "no_cash_large")
    assert record["claimed_amount"] == "1000 CNY"


def test_builtin_invariants_still_run_only_when_asked() -> None:
    policy = _variant("intermediate up to 2000 CNY", "intermediate up to 400 CNY")
    assert [f.kind for f in prove(policy).findings] == ["invariant.cap"]  # the declared one
    kinds = [(f.kind, f.rule) for f in prove(policy, invariants=True).findings]
    assert ("invariant.cap", None) in kinds and ("invariant.cap", "caps") in kinds


# ---------------------------------------------------------------------------- overlays and diffs


OVERLAY = '''policy "branch" { version "2" }
extends "base.policy"
drop words_always
compensate {
  tier intermediate up to 400 CNY by customer_service
}
invariants {
  rule caps: monotone cap note "replaced in place"
  rule sales_never_gm: never route general_manager when category == sales_service and claimed_amount < 5000 CNY
}
'''


def test_overlay_merges_invariants_by_id(tmp_path: Path) -> None:
    (tmp_path / "base.policy").write_text(BASE, encoding="utf-8")
    (tmp_path / "branch.policy").write_text(OVERLAY, encoding="utf-8")
    _, resolved = parse_file(tmp_path / "branch.policy")
    ids = [r.id for r in resolved.invariants]
    assert ids == ["caps", "contact_not_later", "some_option", "followed", "gm_on_major", "no_eng_for_sales",
                   "no_cash_large", "sales_never_gm"]
    assert resolved.invariants[0].note == "replaced in place"
    report = prove(resolved)
    assert {(f.kind, f.rule) for f in report.findings} == {("invariant.cap", "caps")}


def test_overlay_cannot_drop_an_unknown_invariant(tmp_path: Path) -> None:
    (tmp_path / "base.policy").write_text(BASE, encoding="utf-8")
    (tmp_path / "branch.policy").write_text(OVERLAY.replace("drop words_always", "drop words_alway"),
                                            encoding="utf-8")
    with pytest.raises(PolicyError, match="cannot drop 'words_alway'"):
        parse_file(tmp_path / "branch.policy")


def test_structural_diff_of_the_invariants_block() -> None:
    old = dsl.parse(BASE)
    new = dsl.parse(BASE.replace("never option cash when claimed_amount >= 1000 CNY",
                                 "never option cash when claimed_amount >= 2000 CNY")
                    .replace("  rule words_always: always option words\n", "")
                    .replace("invariants {\n", "invariants {\n  rule eng_sometimes: always route engineering "
                             "when category == product_quality\n"))
    changes = {(c.kind, c.key, c.field) for c in structural_diff(old, new) if c.block == "invariants"}
    assert changes == {("changed", "no_cash_large", "when"), ("removed", "words_always", None),
                       ("added", "eng_sometimes", None)}
    assert not structural_diff(old, dsl.parse(print_policy(old)))


# ---------------------------------------------------------------------------- prove agrees with enumeration

SMALL = '''policy "small" { currency CNY }
record {
  category: enum {a, b, c}
  vip: bool = false
  claim: money = 0 CNY
  received_at: datetime required
}
units { desk  manager  legal }
levels { general  major }
classify first {
  rule big: claim >= 5000 CNY or vip -> major
  otherwise -> general
}
route HIT {
  rule m: level == major -> manager
  rule l: category == c and claim >= 1000 CNY -> legal, desk
  otherwise -> desk
}
compensate {
  amount claim
  options { words  voucher  cash }
  tier general up to 100 CNY by desk
  tier major up to 9000 CNY by manager
  rule no_cash: exclude {cash} when claim >= 1000 CNY or category == a
  rule no_voucher: exclude {voucher} when vip and category != b
}
follow_up { otherwise: none }
'''
_WHENS = [None, "level == major", "category == c", "claim >= 1000 CNY", "not vip and category in {a, b}",
          "claim < 5000 CNY and level == general"]
_AMOUNTS = [Decimal(v) for v in (0, 999, 1000, 1001, 4999, 5000, 5001)]


def _holds(policy: Policy, inv: ir.InvariantRule, record: dict) -> bool:
    decision = policy.evaluate(record)
    if inv.when is not None and not _matches(policy, inv.when, record, decision.level):
        return True
    if inv.subject == "route":
        return (inv.arg in decision.routes) == (inv.kind == "always")
    return (inv.arg in decision.remedy.options) == (inv.kind == "always")


def _matches(policy: Policy, when: ir.Expr, record: dict, level: str | None) -> bool:
    from complaint_rules.engine.interpreter import holds

    return holds(policy.ir, when, {**record, "claim": ir.Money(record["claim"], "CNY")}, level=level)


@settings(max_examples=60, deadline=None)
@given(hit=st.sampled_from(("first", "all")), kind=st.sampled_from(("always", "never")),
       subject=st.sampled_from(("route", "option")), index=st.integers(0, 2), when=st.sampled_from(_WHENS))
def test_prove_agrees_with_enumeration(hit: str, kind: str, subject: str, index: int, when: str | None) -> None:
    arg = (("desk", "manager", "legal") if subject == "route" else ("words", "voucher", "cash"))[index]
    clause = f" when {when}" if when else ""
    text = SMALL.replace("HIT", hit) + f"invariants {{\n  rule i: {kind} {subject} {arg}{clause}\n}}\n"
    policy = _policy(text)
    inv = policy.ir.invariants[0]
    received = dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc)
    broken = [r for c, v, a in itertools.product("abc", (False, True), _AMOUNTS)
              if not _holds(policy, inv, r := {"id": "r", "category": c, "vip": v, "claim": a,
                                                   "received_at": received})]
    report = prove(policy)
    assert bool(report.findings) == bool(broken), (text, broken[:1], report.render())
    for f in report.findings:
        assert reproduces(policy, f) == (True, "")
