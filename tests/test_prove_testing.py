"""``complaint_rules.testing``: strategies for any policy's records, the decision laws, the pytest plugin."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules import load
from complaint_rules.engine.record import coerce, schema_for
from complaint_rules.testing import assert_decision_properties, check_policy_properties, records

ROOT = Path(__file__).parent.parent
BUNDLED = sorted((ROOT / "policies").rglob("*.policy"))
DEALER = ROOT / "policies" / "automotive" / "svw-dealer.policy"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_policies_obey_the_decision_laws(path: Path) -> None:
    check_policy_properties(path, max_examples=40, now=dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_generated_records_are_valid_for_the_schema(data) -> None:
    policy = load(DEALER)
    record = data.draw(records(policy))
    rid, values = coerce(schema_for(policy.ir), record)  # raises RecordError on a bad field
    assert rid == record["id"]
    received = values["received_at"]
    assert received.utcoffset() is not None
    for name in ("first_contact_at", "resolved_at"):
        if values.get(name) is not None:
            assert values[name] >= received


def test_boundaries_reach_the_policys_own_constants() -> None:
    policy = load(DEALER)
    seen: set = set()

    # Derandomized: which values 500 examples reach is a property of the strategy, not of luck.
    @settings(max_examples=500, deadline=None, database=None, derandomize=True)
    @given(records(policy))
    def collect(record):
        seen.add(("departments", record.get("departments")))
        seen.add(("missing resolved_at", "resolved_at" not in record))

    collect()
    # `departments >= 2` is in the policy: 1, 2 and 3 are all drawn; an optional field is sometimes left out.
    assert {("departments", 1), ("departments", 2), ("departments", 3)} <= seen
    assert ("missing resolved_at", True) in seen and ("missing resolved_at", False) in seen


def test_a_broken_law_is_reported_with_its_record() -> None:
    policy = load(DEALER)
    record = {"id": "x1", "received_at": "2026-12-01T10:00+08:00", "category": "sales_service"}
    decision = policy.evaluate(record)
    assert_decision_properties(policy, record, decision, policy.evaluate(record))
    no_route = decision.model_copy(update={"routes": ()})
    with pytest.raises(AssertionError, match="no route"):
        assert_decision_properties(policy, record, no_route)
    other = decision.model_copy(update={"level": "nonsense"})
    with pytest.raises(AssertionError, match="level 'nonsense'"):
        assert_decision_properties(policy, record, other)
    with pytest.raises(AssertionError, match="differ"):
        assert_decision_properties(policy, record, decision, no_route)


def test_the_plugin_fixture_runs_the_laws(policy_properties) -> None:
    policy_properties(ROOT / "policies" / "retail" / "mall.policy", max_examples=10)


def test_remedy_laws_catch_a_wrong_tier_a_false_within_cap_and_an_approver_above_their_limit() -> None:
    policy = load(DEALER)
    record = {"id": "x2", "received_at": "2026-12-01T10:00+08:00", "category": "sales_service",
              "claimed_amount": 6000}  # general: the 500 CNY tier of the customer director
    decision = policy.evaluate(record)
    assert_decision_properties(policy, record, decision)
    remedy = decision.remedy
    assert remedy.within_cap is False and remedy.required_approver == "general_manager"

    def broken(**change):
        return decision.model_copy(update={"remedy": remedy.model_copy(update=change)})

    with pytest.raises(AssertionError, match="not level general's"):
        assert_decision_properties(policy, record, broken(tier="major", approver="general_manager"))
    with pytest.raises(AssertionError, match="not the tier cap"):
        assert_decision_properties(policy, record, broken(cap=remedy.cap.model_copy(update={"amount": 50000})))
    with pytest.raises(AssertionError, match="within_cap is True"):
        assert_decision_properties(policy, record, broken(within_cap=True))
    with pytest.raises(AssertionError, match="above department_head's limit"):
        assert_decision_properties(policy, record, broken(required_approver="department_head"))
    with pytest.raises(AssertionError, match="beyond authority"):
        assert_decision_properties(policy, record, broken(beyond_authority=True))
    with pytest.raises(AssertionError, match="not among"):
        assert_decision_properties(policy, record, broken(options=("cash", "gold_bars")))


def test_an_obligation_due_before_its_start_breaks_the_timing_law() -> None:
    policy = load(DEALER)
    delivered = dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    record = {"id": "x3", "received_at": "2026-12-05T10:00+08:00", "delivered_at": delivered.isoformat()}
    decision = policy.evaluate(record)
    assert_decision_properties(policy, record, decision)
    call = next(o for o in decision.obligations if o.rule == "delivery_call_7_days")
    early = call.model_copy(update={"due_at": delivered - dt.timedelta(hours=1)})
    obligations = tuple(early if o is call else o for o in decision.obligations)
    with pytest.raises(AssertionError, match="obligation delivery_call_7_days due .* before its start delivered_at"):
        assert_decision_properties(policy, record, decision.model_copy(update={"obligations": obligations}))


def test_field_values_reach_the_edges() -> None:
    """Huge numbers, Chinese and astral text, and an enormous description are all drawn."""
    from complaint_rules import ir
    from complaint_rules.testing import field_values

    ints: set = set()
    texts: list[str] = []

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(field_values(ir.FieldDecl("n", ir.FieldType("int")), []), field_values(ir.FieldDecl("t", ir.FieldType("text")), []))
    def collect(n, t):
        ints.add(n)
        texts.append(t)

    collect()
    assert 10**18 in ints and -(10**18) in ints
    assert any(any("\u4e00" <= c <= "\u9fff" for c in t) for t in texts)
    assert any(any(ord(c) > 0xFFFF for c in t) for t in texts)
    assert max(map(len, texts)) >= 10_000
