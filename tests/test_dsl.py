"""The DSL front end and the canonical printer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from complaint_rules import ir
from complaint_rules.errors import PolicyError, PolicySyntaxError
from complaint_rules.language.frontend import dsl
from complaint_rules.language.printer import print_policy

FULL = Path(__file__).parent / "fixtures" / "full.policy"


def minimal(body: str = "") -> str:
    return 'policy "p" {\n  version "1"\n}\n' + body


def test_full_policy_parses_every_block():
    p = dsl.parse(FULL.read_text(encoding="utf-8"), "full.policy")
    assert p.header.id == "svw-dealer"
    assert p.header.hours == (dt.time(9, 0), dt.time(18, 30))
    assert p.header.holidays == (dt.date(2026, 12, 24),)
    assert [f.name for f in p.record][:3] == ["category", "demands", "claimed_amount"]
    assert p.field("claimed_amount").default == ir.Money(Decimal(0), "CNY")
    assert p.field("received_at").required
    assert [lv.id for lv in p.levels] == ["general", "intermediate", "major", "irrational"]
    assert p.classify.hit == "first" and p.classify.otherwise == "general"
    assert p.route.rules[1].targets == ("engineering", "customer_service")
    assert p.deadlines[0] == ir.DeadlineRule(
        "defect_contact", "first_contact", ir.Duration(2, "hours"), "received_at",
        ir.Compare("==", ir.Ref("category"), ir.Const("product_quality")),
    )
    assert p.deadlines[1].duration == ir.Duration(1, "working_days")
    assert p.escalate[0].timing == ir.Timing("before", ir.Duration(1, "days"), "first_contact")
    assert p.escalate[2].timing == ir.IMMEDIATELY
    assert p.compensate.tiers[1] == ir.Tier("major", ir.Money(Decimal(50000), "CNY"), "general_manager")
    assert p.compensate.rules[0].action == "exclude" and p.compensate.rules[0].options == ("cash",)
    assert p.follow_up.rules[0].rate is None
    assert p.follow_up.rules[2].rate == ir.Percent(Decimal(30))
    assert p.follow_up.otherwise.id == "follow_up.otherwise"
    assert p.follow_up.until_satisfied == 3
    assert p.obligations[1].timing == ir.Timing("for", ir.Duration(2, "years"))
    test = p.tests[0]
    assert test.now == dt.datetime(2026, 12, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert ir.Expectation("options", ("free_labour", "free_parts")) in test.expect
    assert ir.Expectation("deadline", None, "follow_up") in test.expect


def test_spans_point_at_the_source():
    p = dsl.parse(FULL.read_text(encoding="utf-8"), "full.policy")
    rule = p.classify.rules[0]
    assert rule.span.location() == "full.policy:30:3"
    assert rule.when.operand.span.column == 14


def test_print_is_canonical_and_round_trips():
    p = dsl.parse(FULL.read_text(encoding="utf-8"), "full.policy")
    text = print_policy(p)
    again = dsl.parse(text, "printed.policy")
    assert again == p
    assert print_policy(again) == text


def test_comments_survive_formatting():
    src = minimal("# routing rules\nroute first {\n  rule a: x -> u  # why a\n  otherwise -> u\n}\n# the end\n")
    text = print_policy(dsl.parse(src))
    assert "# routing rules\nroute first {" in text
    assert "  # why a\n  rule a: x -> u" in text
    assert text.rstrip().endswith("# the end")
    assert print_policy(dsl.parse(text)) == text


def test_equality_ignores_layout_and_comments():
    a = dsl.parse(minimal("classify first {\n rule r: a == b -> major\n otherwise -> general }"))
    b = dsl.parse(minimal("# c\nclassify   first{rule r:a==b->major otherwise->general}"))
    assert a == b
    c = dsl.parse(minimal("classify first {\n rule r: a == c -> major\n otherwise -> general }"))
    assert a != c


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2h", ir.Duration(2, "hours")),
        ("30min", ir.Duration(30, "minutes")),
        ("1 working day", ir.Duration(1, "working_days")),
        ("3 working days", ir.Duration(3, "working_days")),
        ("8bh", ir.Duration(8, "business_hours")),
        ("4 business hours", ir.Duration(4, "business_hours")),
        ("1mo", ir.Duration(1, "months")),
        ("2 years", ir.Duration(2, "years")),
    ],
)
def test_durations(text, value):
    assert dsl.parse_fragment(text, "duration") == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1000 CNY", ir.Money(Decimal(1000), "CNY")),
        ("12.50 USD", ir.Money(Decimal("12.50"), "USD")),
        ("30%", ir.Percent(Decimal(30))),
        ("2026-10-01", dt.date(2026, 10, 1)),
        ('"火灾"', "火灾"),
        ("{b, a}", frozenset({"a", "b"})),
        ("-3", -3),
        ("true", True),
    ],
)
def test_values(text, value):
    assert dsl.parse_fragment(text, "value").value == value


def test_condition_precedence_and_printing():
    from complaint_rules.language.printer import expr

    e = dsl.parse_fragment("not a or b and (c or d)", "cond")
    assert isinstance(e, ir.Or)
    assert isinstance(e.items[0], ir.Not)
    assert expr(e) == "not a or b and (c or d)"
    nested = dsl.parse_fragment("(a or b) or c", "cond")
    assert dsl.parse_fragment(expr(nested), "cond") == nested


def test_fragment_errors_point_into_the_enclosing_file():
    from complaint_rules.span import Source

    src = Source("p.yaml", "rules:\n  - when: amount >> 3\n")
    with pytest.raises(PolicySyntaxError) as info:
        dsl.parse_fragment("amount >> 3", "cond", src, line=2, column=11)
    assert info.value.span.location() == "p.yaml:2:19"
    assert "^" in info.value.render()


def test_syntax_error_says_what_was_expected():
    with pytest.raises(PolicySyntaxError) as info:
        dsl.parse(minimal("classify first {\n  rule r: x -> \n}\n"), "bad.policy")
    msg = info.value.render()
    assert msg.startswith("bad.policy:6:1: unexpected '}'; expected a name")
    assert "\n    }\n    ^" in msg


def test_unexpected_end_of_file():
    with pytest.raises(PolicySyntaxError) as info:
        dsl.parse('policy "p" {', "eof.policy")
    assert "unexpected end of file" in str(info.value)


def test_several_value_errors_are_collected():
    src = minimal("record {\n  a: intt\n  b: datetime = 2026-13-01\n}\n")
    with pytest.raises(PolicyError) as info:
        dsl.parse(src, "two.policy")
    assert len(info.value.diagnostics) == 2
    assert "unknown type 'intt' (did you mean 'int'?)" in str(info.value)
    assert "two.policy:6:17: '2026-13-01' is not a valid date" in str(info.value)


def test_naive_datetime_is_rejected():
    src = minimal('test "t" {\n  given {}\n  now 2026-01-01T10:00\n  expect { level: general }\n}\n')
    with pytest.raises(PolicyError, match="needs a UTC offset"):
        dsl.parse(src)


def test_keywords_are_usable_as_names_where_unambiguous():
    src = minimal("record {\n  amount: money\n  days: int\n  options: text\n}\n"
                  "classify first {\n  rule r: days > 3 -> major\n  otherwise -> general\n}\n")
    p = dsl.parse(src)
    assert [f.name for f in p.record] == ["amount", "days", "options"]


def test_string_escapes_round_trip():
    p = dsl.parse(minimal('units {\n  a "say \\"hi\\"\\n"\n}\n'))
    assert p.units[0].label == 'say "hi"\n'
    assert dsl.parse(print_policy(p)) == p


FOLLOW_UP_TEST = '''policy "t" {
}

levels {
  general "g"
}

classify first {
  otherwise -> general
}

route first {
  otherwise -> cs
}

follow_up {
  rule again: 100% within 1 day after resolved_at by cs when satisfied == false
  otherwise: 100% within 3 days after resolved_at by cs
}

test "unsatisfied is followed up again" {
  given { received_at: 2026-01-05T10:00:00+08:00, resolved_at: 2026-01-06T10:00:00+08:00, follow_ups: [{at: 2026-01-07T10:00:00+08:00, method: phone, satisfied: false}] }
  expect {
    follow_up: required
    rules: {again}
  }
}
'''


def test_given_follow_ups_round_trip_in_dsl_and_yaml_and_drive_the_decision():
    from complaint_rules import loads
    from complaint_rules.language.frontend import yaml as fy
    from complaint_rules.language.yaml_printer import to_yaml
    from complaint_rules.testing.runner import run_tests

    p = dsl.parse(FOLLOW_UP_TEST)
    (entry,) = p.tests[0].given[2].value
    assert entry.as_dict()["satisfied"] is False and entry.as_dict()["method"] == "phone"
    assert print_policy(p) == FOLLOW_UP_TEST
    assert fy.parse(to_yaml(p)) == p
    results = run_tests(loads(FOLLOW_UP_TEST))
    assert [r.passed for r in results] == [True]
    # Without the unsatisfied follow-up the `again` rule does not fire, so the same test fails.
    unsatisfied = FOLLOW_UP_TEST.replace("satisfied: false", "satisfied: true")
    assert [r.passed for r in run_tests(loads(unsatisfied))] == [False]


def test_given_follow_ups_are_checked():
    from complaint_rules import loads

    bad = FOLLOW_UP_TEST.replace("{at: 2026-01-07T10:00:00+08:00, method: phone, satisfied: false}",
                                 "{method: 3, satisfy: true}")
    with pytest.raises(PolicyError) as info:
        loads(bad, name="f.policy")
    text = str(info.value)
    assert "needs 'at'" in text and "(did you mean 'satisfied'?)" in text and "must be a str" in text
