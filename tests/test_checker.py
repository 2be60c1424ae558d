"""The checker: names, types and structure of a resolved policy, every problem at once, with did-you-mean."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules import ir
from complaint_rules.engine.record import schema_for
from complaint_rules.errors import Diagnostics, PolicyError, PolicyNameError, PolicyStructureError
from complaint_rules.language import checker
from complaint_rules.language.frontend import dsl
from complaint_rules.policy import parse_file

# The language sketch without `extends`/`drop`, with the fields and roles it uses declared.
CLEAN = '''policy "svw-dealer" {
  title "SVW dealer complaint handling"
  version "2026.11"
  effective 2026-12-01
  currency CNY
  calendar "CN"
  hours 09:00-18:30
  timezone "Asia/Shanghai"
  holidays {2026-12-24}
  workdays {2026-12-27}
}
record {
  category: enum {sales_service, product_quality, after_sales}
  demands: set of enum {return_vehicle, engine_replacement}
  hazards: set of enum {fire, injury}
  claimed_amount: money = 0 CNY
  repeat_count: int = 0
  anonymous: bool = false
  description: text
  received_at: datetime required
  first_contact_at: datetime
  resolved_at: datetime
  score: decimal
  visit_on: date
  allowance: duration
}
units { customer_service "客服部"  engineering "工程部"  general_manager "总经理"  supervisor "主管"  customer_director "客户总监" }
levels { general "一般抱怨"  intermediate "中级抱怨"  major "重大抱怨"  irrational "非理性抱怨" }
classify first {
  rule fire: hazards has any {fire} -> major
  rule large_loss: claimed_amount >= 5000 CNY or repeat_count >= 2 -> intermediate
  rule words: description mentions any {"火", "fire"} and not anonymous -> intermediate
  otherwise -> general
}
route first {
  rule to_gm: level == major -> general_manager
  rule eng: category in {product_quality, after_sales} -> engineering, customer_service
  otherwise -> customer_service
}
deadlines {
  rule defect_contact: first_contact = 2 hours after received_at when category == product_quality
  rule first_contact: first_contact = 1 working day after received_at
  rule remedy_plan: remedy_plan = 24 hours after first_contact_at
  rule chained: remedy_check = 1 day after remedy_plan
  rule follow_up_due: follow_up = 3 days after resolved_at
}
escalate {
  rule remind: remind owner 1 day before first_contact when first_contact_at is missing
  rule overdue: notify general_manager, customer_service 1 day after first_contact when first_contact_at is missing
  rule repeat: escalate general_manager immediately when repeat_count >= 2 and level in {major, intermediate}
}
compensate {
  amount claimed_amount
  options { free_labour "免费工时"  free_parts  cash "现金补偿" }
  authority { supervisor up to 200 CNY  general_manager up to 5000 CNY }
  tier general up to 500 CNY by supervisor
  tier major up to 50000 CNY by general_manager
  rule no_cash: exclude {cash} when claimed_amount >= 1000 CNY
  rule words_first: prefer {free_labour} when level == general
}
follow_up {
  rule anonymous: none when anonymous
  rule major: 100% within 3 days after resolved_at by customer_service via visit when level == major
  rule repairs: 30% within 1 day after resolved_at by customer_service via phone, visit when category == after_sales
  otherwise: 100% within 3 days after resolved_at by customer_service via phone
  until satisfied at most 3 times
}
obligations {
  rule report_serious: report_leadership "报告公司领导" by customer_service immediately when level == major
  rule retain: keep_record by customer_service for 2 years
  rule plan: remedy_plan by customer_director 24 hours after first_contact_at when category == product_quality
}
test "engine replacement is major" {
  given { category: product_quality, demands: {engine_replacement}, received_at: 2026-12-01T10:00+08:00,
          claimed_amount: 100 CNY, score: 2.5, visit_on: 2026-12-03, allowance: 2 days, description: "engine" }
  now 2026-12-02T10:00+08:00
  expect {
    level: major
    routes: {general_manager}
    owner: general_manager
    deadline first_contact: 2026-12-01T12:00+08:00
    deadline follow_up: none
    tier: major
    cap: 50000 CNY
    approver: general_manager
    within_authority: true
    options: [free_labour, free_parts]
    follow_up: required
    follow_up_by: {customer_service}
    obligations: {report_serious, retain}
    escalations: {overdue}
    rules: {fire, to_gm}
  }
}
'''

HEAD = '''policy "p" { currency CNY }
record {
  category: enum {sales, repair}
  claimed_amount: money = 0 CNY
  repeat_count: int = 0
  anonymous: bool = false
  received_at: datetime required
}
units { cs "客服部"  gm "总经理" }
'''


def diagnose(text: str, schema=None) -> list:
    return checker.check(dsl.parse(text, "t.policy"), schema)


def messages(text: str, schema=None) -> list[str]:
    return [d.message for d in diagnose(text, schema)]


def pointed(d) -> str:
    """The source text under a diagnostic's caret."""
    s = d.span
    return s.source.line(s.line)[s.column - 1:s.end_column - 1]


# ---------------------------------------------------------------------------- clean policies


def test_clean_policy_has_no_diagnostics():
    assert diagnose(CLEAN) == []


def test_clean_policy_with_the_standard_record_schema():
    policy = dsl.parse(CLEAN, "t.policy")
    assert checker.check(policy, schema_for(policy)) == []


def test_schema_argument_is_the_record_schema():
    # Without its record block, the sketch's fields come from the schema the caller passes.
    policy = dsl.parse(CLEAN, "t.policy")
    bare = dataclasses.replace(policy, record=())
    assert any("unknown field 'hazards'" in d.message for d in checker.check(bare))
    assert checker.check(bare, {f.name: f for f in policy.record}) == []


def test_bundled_fixture_is_clean_with_the_standard_record():
    # tests/fixtures/full.policy uses standard-record fields (hazards, first_contact_at) it does not declare.
    from pathlib import Path

    from complaint_rules.engine.record import schema_for

    path = Path(__file__).parent / "fixtures" / "full.policy"
    policy = dsl.parse(path.read_text("utf-8"), "full.policy")
    assert {pointed(d) for d in checker.check(policy)} == {"hazards", "first_contact_at"}
    assert checker.check(policy, schema_for(policy)) == []


# ---------------------------------------------------------------------------- names


def test_unknown_names_of_every_kind_are_all_reported_with_suggestions():
    text = HEAD + '''classify first {
  rule a: claimed_amout >= 5 CNY -> majr
  rule b: category == repiar -> general
  otherwise -> general
}
route all {
  rule c: level == major -> gm, c_s
  otherwise -> cs
}
escalate {
  rule e: escalate ownr immediately
}
compensate {
  options { cash  voucher }
  tier major up to 500 CNY by gmm
  rule f: exclude {cahs} when claimed_amount > 5 CNY
}
'''
    found = messages(text)
    assert found == [
        "unknown field 'claimed_amout' (did you mean 'claimed_amount'?)",
        "unknown level 'majr' (did you mean 'major'?)",
        "unknown member 'repiar' of 'category' (did you mean 'repair'?)",
        "unknown unit 'c_s' in route rule 'c' (did you mean 'cs'?)",
        "unknown unit 'ownr' in escalation 'e' (did you mean 'owner'?)",
        "unknown unit 'gmm' in the tier for 'major' (did you mean 'gm'?)",
        "unknown remedy option 'cahs' in rule 'f' (did you mean 'cash'?)",
    ]
    assert [pointed(d) for d in diagnose(text)] == ["claimed_amout", "majr", "repiar", "c_s", "ownr", "gmm", "cahs"]


def test_owner_is_a_target_for_escalations_only():
    text = HEAD + '''route first {
  otherwise -> owner
}
escalate {
  rule r: remind owner immediately
}
'''
    assert messages(text) == ["unknown unit 'owner' in route 'otherwise'; expected one of cs, gm"]


def test_without_units_block_any_unit_is_accepted():
    text = HEAD.replace('units { cs "客服部"  gm "总经理" }\n', "") + '''route first {
  otherwise -> anyone
}
'''
    assert messages(text) == []


def test_levels_are_the_four_names_and_the_declared_ones():
    text = HEAD + '''classify first {
  rule a: repeat_count > 1 -> irrational
  otherwise -> critical
}
'''
    assert messages(text) == ["unknown level 'critical'; expected one of general, intermediate, irrational, major"]
    declared = text.replace("classify", 'levels { general "初級"  major "二級" }\nclassify')
    assert messages(declared) == [
        "level 'irrational' is not declared in 'levels'; expected one of general, major",
        "unknown level 'critical'; expected one of general, major",
    ]


def test_test_blocks_given_and_expect():
    text = HEAD + '''deadlines {
  rule contact: first_contact = 1 day after received_at
}
test "t" {
  given { category: sales, repeat_cnt: 2 }
  expect { level: general  deadline answer: none  routes: {cs, gm} }
}
'''
    assert messages(text) == [
        "unknown field 'repeat_cnt' in 'given' (did you mean 'repeat_count'?)",
        "unknown clock 'answer' in expect; expected one of first_contact",
    ]


def test_level_cannot_be_given():
    text = HEAD + 'test "t" {\n  given { level: major }\n  expect { level: major }\n}\n'
    assert [d.kind for d in diagnose(text)] == ["name"]


# ---------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("cond", "message"),
    [
        ("claimed_amount == true", "cannot compare 'claimed_amount' (money) with true (a bool)"),
        ("claimed_amount > 5", "cannot compare 'claimed_amount' (money) with 5 (a number)"),
        ("claimed_amount > 5 USD", "'claimed_amount' is in CNY, but is compared with 5 USD"),
        ("category < sales", "'<' needs an ordered value, but 'category' is an enum; use 'in {...}'"),
        ("anonymous >= false", "'>=' needs an ordered value, but 'anonymous' is a bool; use '=='"),
        ("category has any {sales}", "'has any' needs a set field, but 'category' is an enum (use 'in {...}')"),
        ("repeat_count mentions all {\"x\"}", "'mentions all' needs a text field, but 'repeat_count' is an int"),
        ("repeat_count in {a}", "'in' needs an enum or text field, but 'repeat_count' is an int"),
        ("repeat_count", ("'repeat_count' is an int, not a bool, so it cannot stand alone as a condition; "
                          "compare it or test 'is present'")),
        ("received_at > 2026-01-01", "cannot compare 'received_at' (a datetime) with 2026-01-01 (a date)"),
        ("repeat_count == \"two\"", "cannot compare 'repeat_count' (an int) with 'two' (a name or text)"),
    ],
)
def test_type_errors_in_conditions(cond, message):
    text = HEAD + f"route first {{\n  rule r: {cond} -> cs\n  otherwise -> cs\n}}\n"
    found = diagnose(text)
    assert [(d.kind, d.message) for d in found] == [("type", message)]


def test_well_typed_conditions_pass():
    conds = [
        "claimed_amount >= 5 CNY", "repeat_count > 2.0", "anonymous == false", "anonymous", "not anonymous",
        "category in {sales}", "category != repair", "received_at is missing", "received_at > 2026-01-01T00:00Z",
        "level in {major, general}", "(anonymous or repeat_count < 3) and true",
    ]
    body = "\n".join(f"  rule r{i}: {c} -> cs" for i, c in enumerate(conds))
    assert messages(HEAD + f"route first {{\n{body}\n  otherwise -> cs\n}}\n") == []


def test_level_inside_classify_is_an_error_but_not_elsewhere():
    text = HEAD + '''classify first {
  rule a: level == major -> major
  otherwise -> general
}
route first {
  rule b: level == major -> gm
  otherwise -> cs
}
'''
    found = diagnose(text)
    assert [(d.kind, d.span.line) for d in found] == [("type", 11)]


def test_anchors_must_be_datetime_fields_or_clocks():
    text = HEAD + '''deadlines {
  rule a: first = 1 day after repeat_count
  rule b: second = 1 day after first
}
obligations {
  rule c: call by cs 2 hours after second
}
'''
    found = diagnose(text)
    assert [(d.kind, pointed(d)) for d in found] == [("type", "repeat_count")]


def test_given_values_and_defaults_are_typed():
    text = '''policy "p" { currency CNY }
record {
  amount: money = 5
  n: int = 1.5
  when_: datetime
}
test "t" {
  given { amount: 5 USD, n: 2, when_: 2026-01-01 }
  expect { level: general }
}
'''
    assert [d.kind for d in diagnose(text)] == ["type", "type", "type", "type"]


# ---------------------------------------------------------------------------- structure


def test_duplicates_point_back_at_the_first():
    text = HEAD + '''route first {
  rule x: anonymous -> cs
  otherwise -> cs
}
obligations {
  rule x: call by cs immediately
}
'''
    (d,) = diagnose(text)
    assert d.kind == "structure"
    assert d.message == "duplicate rule id 'x' (first used at t.policy:11:8); rule ids are unique in a policy"
    assert (d.span.line, pointed(d)) == (15, "x")


def test_missing_otherwise():
    text = HEAD + '''classify first {
  rule a: anonymous -> general
}
route all {
  rule b: anonymous -> cs
}
follow_up {
  rule c: none when anonymous
}
'''
    assert messages(text) == [
        "classify has no 'otherwise': a record that matches no rule gets no level",
        "route has no 'otherwise': a record that matches no rule goes to no unit",
        ("follow_up has no 'otherwise' and no rule without a condition: a record that matches no rule gets no "
         "follow-up plan"),
    ]


def test_follow_up_with_an_unconditional_rule_needs_no_otherwise():
    text = HEAD + "follow_up {\n  rule all_cases: 100% within 3 days after received_at by cs\n}\n"
    assert messages(text) == []


def test_deadline_cycle_is_reported_once():
    text = HEAD + '''deadlines {
  rule a: one = 1 day after three
  rule b: two = 1 day after one
  rule c: three = 1 day after two
  rule d: four = 1 day after one
}
'''
    cycle = "deadline clocks form a cycle: one -> three -> two -> one; a clock cannot be measured from itself"
    assert messages(text) == [cycle]


def test_position_is_only_for_overlays(tmp_path):
    base = HEAD + "classify first {\n  rule a: anonymous -> general\n  otherwise -> general\n}\n"
    overlay = '''policy "branch" { version "2" }
extends "base.policy"
classify first {
  rule b before a: repeat_count > 3 -> major
}
'''
    (tmp_path / "base.policy").write_text(base, encoding="utf-8")
    (tmp_path / "branch.policy").write_text(overlay, encoding="utf-8")
    _, resolved = parse_file(tmp_path / "branch.policy")
    assert checker.check(resolved) == []
    # The same rule in a file that extends nothing is an error.
    standalone = base.replace("  otherwise", "  rule b before a: repeat_count > 3 -> major\n  otherwise")
    (d,) = diagnose(standalone)
    assert (d.kind, pointed(d)) == ("structure", "before a")


# ---------------------------------------------------------------------------- IR the DSL cannot write


def _policy(**changes) -> ir.Policy:
    return dataclasses.replace(dsl.parse(HEAD, "t.policy"), **changes)


def test_rate_above_100_and_negative_repeats_from_other_front_ends():
    rule = ir.FollowUpRule("f", ir.Percent(Decimal(130)), ir.Duration(3, "days"), "received_at", ("cs",))
    found = checker.check(_policy(follow_up=ir.FollowUp((rule,), until_satisfied=-1)))
    assert [d.message for d in found] == [
        "follow-up 'f' has rate 130%; a rate is between 0% and 100%",
        "'until satisfied at most -1 times' cannot be negative",
    ]
    # ``until satisfied`` without a cap is 0 in the IR.
    capless = ir.FollowUp((dataclasses.replace(rule, rate=ir.Percent(Decimal(30))),), until_satisfied=0)
    assert checker.check(_policy(follow_up=capless)) == []


def test_spanless_nodes_fall_back_to_the_rule_then_the_policy():
    policy = dsl.parse(HEAD + "route first {\n  rule r: anonymous -> cs\n  otherwise -> cs\n}\n", "t.policy")
    rule = dataclasses.replace(policy.route.rules[0], when=ir.Ref("nope"))
    policy = dataclasses.replace(policy, route=dataclasses.replace(policy.route, rules=(rule,)))
    (d,) = checker.check(policy)
    assert d.span.line == rule.span.line
    bare = ir.Policy(ir.Header("p"), classify=ir.Classify("first", (ir.ClassifyRule("a", ir.Ref("x"), "major"),)))
    assert all(d.span is None for d in checker.check(bare))
    assert len(checker.check(bare)) == 2  # unknown field, no otherwise


def test_unknown_expectation_key_and_empty_enum():
    test = ir.TestCase("t", (), (ir.Expectation("levl", "major"),))
    record = (ir.FieldDecl("kind", ir.FieldType("enum", ())),)
    assert [d.message for d in checker.check(_policy(tests=(test,), record=record))] == [
        "enum field 'kind' has no members",
        "unknown expectation 'levl' (did you mean 'level'?)",
    ]


def test_unknown_time_zone():
    import zoneinfo

    if not zoneinfo.available_timezones():
        # Justified: without a tz database (no system zoneinfo and no tzdata package) the checker accepts
        # every zone by design, so there is no suggestion to test. CI images have one, and there it runs.
        pytest.skip("no time zone database")
    found = messages(HEAD.replace("currency CNY", 'currency CNY timezone "Asia/Shangai"'))
    assert found == ["unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)"]


# ---------------------------------------------------------------------------- raising


def test_diagnostics_raise_one_error_of_the_right_kind():
    collected = Diagnostics()
    collected.extend(diagnose(HEAD + "route first {\n  rule r: anonymous -> xx\n}\n"))
    with pytest.raises(PolicyError) as info:
        collected.raise_if_any()
    assert type(info.value) is PolicyError  # a name error and a structure error together
    assert len(info.value.diagnostics) == 2
    only_names = Diagnostics()
    only_names.extend(diagnose(HEAD + "route first {\n  rule r: anonymous -> xx\n  otherwise -> cs\n}\n"))
    with pytest.raises(PolicyNameError):
        only_names.raise_if_any()
    only_structure = Diagnostics()
    only_structure.extend(diagnose(HEAD + "route first {\n  rule r: anonymous -> cs\n}\n"))
    with pytest.raises(PolicyStructureError):
        only_structure.raise_if_any()


def test_helpers():
    assert checker.suggest("amout", ["amount", "count"]) == " (did you mean 'amount'?)"
    assert checker.suggest("zzz", ["a", "b"]) == "; expected one of a, b"
    assert checker.suggest("zzz", [f"f{i}" for i in range(20)]) == ""
    policy = dsl.parse(HEAD + "route first {\n  rule cs: anonymous -> cs\n  otherwise -> cs\n}\n", "t.policy")
    rule = policy.route.rules[0]
    target = checker.locate(rule.span, "cs", after="->")
    assert target.column == rule.span.source.line(rule.span.line).index("-> cs") + 4
    assert checker.locate(rule.span, "missing") is rule.span


# ---------------------------------------------------------------------------- properties

NAMES = sorted(set(re.findall(r"\b[a-z_][a-z0-9_]*\b", CLEAN)))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(NAMES + ["zz_unknown", "x"]), st.randoms(use_true_random=False))
def test_renaming_any_word_never_crashes_and_every_diagnostic_is_located(old, new, rnd):
    occurrences = [m.start() for m in re.finditer(rf"\b{re.escape(old)}\b", CLEAN)]
    at = rnd.choice(occurrences)
    text = CLEAN[:at] + new + CLEAN[at + len(old):]
    try:
        policy = dsl.parse(text, "m.policy")
    except PolicyError:
        return  # the word was a keyword: a syntax error is the right outcome
    found = checker.check(policy)
    lines = text.splitlines()
    for d in found:
        assert d.kind in ("name", "type", "structure")
        assert d.span is not None and 1 <= d.span.line <= len(lines)
        assert d.render().startswith(f"m.policy:{d.span.line}:{d.span.column}: ")
    keys = [(d.span.line, d.span.column) for d in found]
    assert keys == sorted(keys)
    assert [d.render() for d in checker.check(policy)] == [d.render() for d in found]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["claimed_amount", "repeat_count", "category", "received_at", "anonymous"]),
       st.text(alphabet="qxz", min_size=1, max_size=3))
def test_a_misspelt_field_is_reported_where_it_stands(field, junk):
    conds = {
        "claimed_amount": "{} > 5 CNY", "repeat_count": "{} > 1", "category": "{} in {{sales}}",
        "received_at": "{} is missing", "anonymous": "{}",
    }
    typo = field + junk
    text = HEAD + f"route first {{\n  rule r: {conds[field].format(typo)} -> cs\n  otherwise -> cs\n}}\n"
    (d,) = diagnose(text)
    assert d.kind == "name"
    assert pointed(d) == typo
    assert d.message.startswith(f"unknown field '{typo}' (did you mean '{field}'?)")
