"""Checker behaviour no other test pinned down (each test here failed on a mutant that survived an audit):
the types of a test's ``follow_ups`` entries, an invariant's ``when``, and ``monotone cap`` without tiers."""

from __future__ import annotations

from test_checker import CLEAN, diagnose, messages, pointed

FOLLOW_UPS_TEST = '''test "follow-ups in given" {
  given { category: after_sales, received_at: 2026-12-01T10:00+08:00, resolved_at: 2026-12-02T10:00+08:00,
          follow_ups: [{at: 2026-12-03T10:00+08:00, method: phone, satisfied: false}] }
  expect { level: general }
}
'''


def test_well_typed_follow_ups_in_given_are_accepted():
    assert diagnose(CLEAN + FOLLOW_UPS_TEST) == []


def test_each_badly_typed_follow_up_key_is_named():
    bad = FOLLOW_UPS_TEST.replace("method: phone", "method: 3").replace("satisfied: false", "satisfied: phone")
    got = [m for m in messages(CLEAN + bad) if "follow-up 1" in m]
    assert got == [
        "'method' of follow-up 1 must be a str, not 3 (a number)",
        "'satisfied' of follow-up 1 must be a bool, not 'phone' (a name or text)",
    ]
    bad = FOLLOW_UPS_TEST.replace("at: 2026-12-03T10:00+08:00", "at: 2026-12-03")
    assert [m for m in messages(CLEAN + bad) if "follow-up 1" in m] == [
        "'at' of follow-up 1 must be a datetime, not 2026-12-03 (a date)"
    ]


def test_a_follow_up_method_may_not_be_a_boolean():
    bad = FOLLOW_UPS_TEST.replace("method: phone", "method: true")
    assert "'method' of follow-up 1 must be a str, not true (a bool)" in messages(CLEAN + bad)


INVARIANTS = '''invariants {
  rule gm_on_major: always route general_manager when levle == major
  rule no_cash_large: never option cash when claimed_amount >= 1000 CNY and nosuch
}
'''


def test_an_invariants_condition_is_checked():
    found = diagnose(CLEAN + INVARIANTS)
    assert [d.message for d in found] == [
        "unknown field 'levle' (did you mean 'level'?)",
        "unknown field 'nosuch'",
    ]
    assert [pointed(d) for d in found] == ["levle", "nosuch"]
    assert [d.span.line for d in found] == [CLEAN.count("\n") + 2, CLEAN.count("\n") + 3]


def test_a_valid_invariant_condition_passes():
    ok = INVARIANTS.replace("levle", "level").replace(" and nosuch", "")
    assert diagnose(CLEAN + ok) == []


def test_monotone_cap_needs_tiers():
    text = CLEAN + "invariants {\n  rule caps: monotone cap\n}\n"
    assert diagnose(text) == []  # CLEAN has tiers
    no_tiers = text.replace("  tier general up to 500 CNY by supervisor\n", "").replace(
        "  tier major up to 50000 CNY by general_manager\n", ""
    )
    no_tiers = no_tiers.replace("    tier: major\n    cap: 50000 CNY\n    approver: general_manager\n    within_authority: true\n", "")
    found = [d for d in diagnose(no_tiers) if "monotone cap" in d.message]
    assert [d.message for d in found] == ["invariant 'caps': 'monotone cap' needs remedy tiers in a compensate block"]
    assert found[0].span.line == no_tiers.count("\n") - 1
