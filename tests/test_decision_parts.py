"""The decision's lean models (``decision._Part``) behave as ordinary frozen pydantic models.

The class answers pydantic's extra/private/fields-set slots so that the evaluator builds a model from its
``__dict__`` alone; nothing a host does with a model may notice the difference.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import complaint_rules
from complaint_rules.decision import (
    Amount,
    Deadline,
    Decision,
    Escalation,
    FollowUpPlan,
    Obligation,
    Remedy,
    TraceEntry,
    _Part,
    is_part,
    trusted,
)

ROOT = Path(__file__).parent.parent
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI)

VALUES = {
    Amount: {"amount": Decimal("1000"), "currency": "CNY"},
    Deadline: {"clock": "first_contact", "due_at": AT, "rule": "r1", "anchor": "received_at"},
    Escalation: {"rule": "e1", "action": "notify", "targets": ("gm",), "due_at": AT, "status": "due"},
    Remedy: {"tier": "major", "cap": Amount(amount=Decimal(5000), currency="CNY"), "currency": "CNY",
             "approver": "gm", "options": ("repair", "cash"), "amount": None, "within_cap": None,
             "within_authority": None, "required_approver": None, "beyond_authority": False},
    FollowUpPlan: {"status": "required", "rule": "f1", "rate": Decimal(30), "sampled": True,
                   "sample_point": 12.5, "by": ("cd",), "via": ("phone",), "due_at": AT,
                   "until_satisfied": 2, "attempts": 1, "repeat_needed": True},
    Obligation: {"rule": "o1", "action": "call", "label": "回访", "by": ("cd",), "due_at": None,
                 "retain_until": AT},
}  # fmt: skip


@pytest.fixture(scope="module")
def decision() -> Decision:
    policy = complaint_rules.load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    record = {"id": "C-9", "received_at": "2026-09-30T17:00+08:00", "category": "product_quality",
              "claimed_amount": 800, "cause": "product_defect", "resolved_at": "2026-10-09T12:00+08:00",
              "follow_ups": [{"at": "2026-10-10T09:00+08:00", "method": "phone", "satisfied": False}]}  # fmt: skip
    return policy.evaluate(record, now=dt.datetime(2026, 10, 9, tzinfo=SHANGHAI))


def _models(decision: Decision) -> list[BaseModel]:
    """Every lean model in a decision, and one built by hand of each class."""
    found: list[BaseModel] = [decision, decision.follow_up, *decision.deadlines, *decision.escalations,
                              *decision.obligations]  # fmt: skip
    assert decision.remedy is not None and decision.remedy.amount is not None
    found += [decision.remedy, decision.remedy.amount]
    return found + [cls.model_validate(values) for cls, values in VALUES.items()]


def test_every_per_record_model_of_a_decision_is_lean(decision):
    assert {type(m) for m in _models(decision)} == {Decision, FollowUpPlan, Deadline, Escalation, Obligation,
                                                    Remedy, Amount}  # fmt: skip
    assert all(is_part(type(m)) for m in _models(decision))
    assert not is_part(TraceEntry)  # its `note` has a default: built and validated the ordinary way
    assert not is_part(decision)  # an instance is not a class


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda c: c.__name__)
def test_trusted_build_equals_validation(cls):
    built, validated = trusted(cls)(dict(VALUES[cls])), cls.model_validate(VALUES[cls])
    assert built == validated and validated == built
    assert hash(built) == hash(validated)
    assert built.model_dump() == validated.model_dump()
    assert built.__dict__ == VALUES[cls]
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)
    assert cls.model_validate_json(built.model_dump_json()) == built


@pytest.mark.parametrize("cls", list(VALUES), ids=lambda c: c.__name__)
def test_a_changed_field_makes_a_different_model(cls):
    name = {Amount: "currency", Deadline: "clock", Escalation: "rule", Remedy: "tier", FollowUpPlan: "rule",
            Obligation: "action"}[cls]  # fmt: skip
    other = cls.model_validate({**VALUES[cls], name: VALUES[cls][name] + "x"})
    assert other != cls.model_validate(VALUES[cls])
    assert trusted(cls)({**VALUES[cls], name: VALUES[cls][name] + "x"}) == other


def test_models_copy_pickle_and_compare_like_frozen_models(decision):
    for model in _models(decision):
        for again in (pickle.loads(pickle.dumps(model)), copy.copy(model), copy.deepcopy(model),
                      model.model_copy(), type(model).model_validate_json(model.model_dump_json())):  # fmt: skip
            assert again == model and hash(again) == hash(model)
            assert again.model_dump() == model.model_dump()
        assert model.model_fields_set == set(type(model).model_fields)
        if not isinstance(model, Decision):  # a decision's trace entries are ordinary models (`note` unset)
            assert model.model_dump(exclude_unset=True) == model.model_dump()
        assert model.__pydantic_extra__ is None and model.__pydantic_private__ is None
        assert model.model_extra is None


def test_model_copy_with_update_changes_only_that_field(decision):
    moved = decision.model_copy(update={"owner": "someone_else"})
    assert moved.owner == "someone_else" and decision.owner != "someone_else"
    assert moved.model_dump(exclude={"owner"}) == decision.model_dump(exclude={"owner"})
    assert moved != decision
    # The fields-set of one copy is its own: adding to it leaves every other model's alone.
    moved.model_fields_set.add("bogus")
    assert "bogus" not in decision.model_fields_set and "bogus" not in moved.model_fields_set


def test_models_stay_frozen_and_refuse_extra_fields(decision):
    with pytest.raises(ValidationError):
        decision.owner = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        decision.escalations[0].status = "due"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Escalation.model_validate({**VALUES[Escalation], "bogus": 1})
    with pytest.raises(ValidationError):
        Amount.model_validate({"amount": "x", "currency": "CNY"})
    # What pydantic writes to the class-answered slots is dropped; the answers stay the same.
    model = Amount.model_validate(VALUES[Amount])
    object.__setattr__(model, "__pydantic_extra__", {"sneaked": 1})
    assert model.__pydantic_extra__ is None and model.model_dump() == VALUES[Amount]


def test_a_decision_round_trips_through_json_and_pickle(decision):
    again = Decision.from_json(decision.to_json())
    assert again == decision and again.to_json() == decision.to_json()
    assert pickle.loads(pickle.dumps(decision)) == decision


def test_a_part_with_a_defaulted_field_is_refused():
    with pytest.raises(TypeError, match="only required fields"):

        class Loose(_Part):
            name: str
            note: str | None = None


def test_a_trusted_ordinary_model_sets_all_four_slots():
    entry = trusted(TraceEntry)({"rule": "r", "block": "route", "location": None, "note": None})
    assert entry == TraceEntry(rule="r", block="route", location=None, note=None)
    assert entry.model_fields_set == {"rule", "block", "location", "note"}
    assert entry.__pydantic_extra__ is None
