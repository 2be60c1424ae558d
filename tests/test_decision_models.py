"""The decision's lean models (``decision.Part``) behave as ordinary frozen pydantic models.

Each part is held against a *twin*: an ordinary frozen pydantic model with the same fields and config, built
and validated the ordinary way. Whatever a host does with a part (validate, dump, compare, hash, copy,
pickle, assign) must come out as it does for the twin, whether the part was validated or built by
:func:`~complaint_rules.engine.decision.trusted` (as the evaluator builds them, from ``__dict__`` alone).
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal
from pathlib import Path

import pydantic
import pytest
from pydantic import BaseModel, ValidationError

import complaint_rules
from complaint_rules.engine.decision import (
    AgendaItem,
    Amount,
    ClockStatus,
    Deadline,
    Decision,
    Escalation,
    FollowUpPlan,
    Obligation,
    Part,
    Remedy,
    TraceEntry,
    is_part,
    trusted,
)

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI)
LATER = dt.datetime(2027, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc)
PARTS = (Amount, Deadline, Escalation, Remedy, FollowUpPlan, Obligation, ClockStatus, AgendaItem)
IN_EVERY_DECISION = (Amount, Deadline, Escalation, Remedy, FollowUpPlan, Obligation)  # clocks need a life

# Two different value sets per class, already of the field types (what the evaluator hands to trusted()).
VALUES = {
    Amount: [{"amount": Decimal(1000), "currency": "CNY"}, {"amount": Decimal("-0.50"), "currency": "USD"}],
    Deadline: [{"clock": "first_contact", "due_at": AT, "rule": "r1", "anchor": "received_at"},
               {"clock": "solve", "due_at": None, "rule": "r2", "anchor": "first_contact"}],
    Escalation: [{"rule": "e1", "action": "notify", "targets": ("gm", "cs"), "due_at": AT, "status": "due"},
                 {"rule": "e2", "action": "remind", "targets": (), "due_at": None, "status": "inactive"}],
    Remedy: [{"tier": "major", "cap": Amount(amount=Decimal(5000), currency="CNY"), "currency": "CNY",
              "approver": "gm", "options": ("repair", "cash"), "amount": Amount(amount=Decimal(800), currency="CNY"),
              "within_cap": True, "within_authority": False, "required_approver": "gm", "beyond_authority": False},
             {"tier": None, "cap": None, "currency": None, "approver": None, "options": (), "amount": None,
              "within_cap": None, "within_authority": None, "required_approver": None, "beyond_authority": True}],
    FollowUpPlan: [{"status": "required", "rule": "f1", "rate": Decimal(30), "sampled": True, "sample_point": 12.5,
                    "by": ("cd",), "via": ("phone", "visit"), "due_at": AT, "until_satisfied": 2, "attempts": 1,
                    "repeat_needed": True},
                   {"status": "none", "rule": None, "rate": None, "sampled": False, "sample_point": None, "by": (),
                    "via": (), "due_at": None, "until_satisfied": None, "attempts": 0, "repeat_needed": False}],
    Obligation: [{"rule": "o1", "action": "call", "label": "回访", "by": ("cd",), "due_at": None, "retain_until": LATER,
                  "status": "pending"},
                 {"rule": "o2", "action": "keep", "label": None, "by": ("a", "b"), "due_at": AT, "retain_until": None,
                  "status": "overdue"}],
    ClockStatus: [{"clock": "c", "rule": "r", "cycle": 0, "state": "paused", "started_at": AT, "due_at": LATER,
                   "met_at": None, "paused_since": AT, "warn_at": None, "elapsed": dt.timedelta(hours=1),
                   "paused": dt.timedelta(minutes=5), "remaining": dt.timedelta(hours=-2),
                   "remaining_wall": dt.timedelta(days=1), "location": "p.policy:3:4"},
                  {"clock": "d", "rule": "s", "cycle": 2, "state": "not_started", "started_at": None, "due_at": None,
                   "met_at": None, "paused_since": None, "warn_at": None, "elapsed": None, "paused": None,
                   "remaining": None, "remaining_wall": None, "location": None}],
    AgendaItem: [{"kind": "clock", "name": "c", "rule": "r", "state": "breached", "who": ("gm",), "location": "p:1:2",
                  "since": AT, "due_at": AT, "late_by": dt.timedelta(hours=3)},
                 {"kind": "follow_up", "name": "f", "rule": "f", "state": "due", "who": (), "location": None,
                  "since": None, "due_at": None, "late_by": None}],
}  # fmt: skip
# For each class a field to change and a new value of its type.
CHANGE = {
    Amount: ("currency", "EUR"), Deadline: ("due_at", LATER), Escalation: ("targets", ("x",)),
    Remedy: ("options", ("voucher",)), FollowUpPlan: ("attempts", 7), Obligation: ("label", "新"),
    ClockStatus: ("cycle", 1), AgendaItem: ("who", ("x",)),
    Decision: ("owner", "someone_else"),
}  # fmt: skip

_TWINS: dict[type, type[BaseModel]] = {}


def twin(cls: type[BaseModel]) -> type[BaseModel]:
    """An ordinary frozen model with ``cls``'s fields and config (nested parts stay parts)."""
    if cls not in _TWINS:
        fields = {name: (f.annotation, ...) for name, f in cls.model_fields.items()}
        _TWINS[cls] = pydantic.create_model(f"{cls.__name__}Twin", __config__=cls.model_config, **fields)
    return _TWINS[cls]


# ---------------------------------------------------------------------------- a decision of a bundled policy


@pytest.fixture(scope="module")
def policy():
    return complaint_rules.load(ROOT / "policies" / "automotive" / "svw-dealer.policy")


@pytest.fixture(scope="module")
def decision(policy) -> Decision:
    record = {"id": "M-1", "received_at": "2026-09-30T17:00+08:00", "category": "product_quality",
              "claimed_amount": "800 CNY", "cause": "product_defect", "resolved_at": "2026-10-09T12:00+08:00",
              "follow_ups": [{"at": "2026-10-10T09:00+08:00", "method": "phone", "satisfied": False}]}  # fmt: skip
    return policy.evaluate(record, now=dt.datetime(2026, 10, 9, tzinfo=SHANGHAI))


def test_the_bundled_decision_has_every_part(decision):
    assert (
        decision.remedy is not None and decision.remedy.amount is not None and decision.remedy.cap is not None
    )
    assert decision.deadlines and decision.escalations and decision.obligations and decision.trace
    assert {type(m) for m in _parts_of(decision)} == {Decision, *IN_EVERY_DECISION}
    assert all(is_part(type(m)) for m in _parts_of(decision))
    assert not is_part(TraceEntry) and not issubclass(TraceEntry, Part)


def _parts_of(decision: Decision) -> list[BaseModel]:
    found = [decision, decision.follow_up, decision.remedy, decision.remedy.amount, decision.remedy.cap,
             *decision.deadlines, *decision.escalations, *decision.obligations]  # fmt: skip
    return [m for m in found if m is not None]


def _cases(decision: Decision) -> list[tuple[type, dict]]:
    """(class, values) for every part of the decision and every hand-made value set."""
    cases = [(type(m), dict(m.__dict__)) for m in _parts_of(decision)]
    return cases + [(cls, dict(values)) for cls, sets in VALUES.items() for values in sets]


# ---------------------------------------------------------------------------- built = validated


@pytest.mark.parametrize("cls", PARTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("which", [0, 1])
def test_trusted_build_equals_validation_and_the_ordinary_model(cls, which):
    values = VALUES[cls][which]
    built, validated, ordinary = (
        trusted(cls)(dict(values)),
        cls.model_validate(values),
        twin(cls).model_validate(values),
    )
    assert type(built) is cls and type(validated) is cls
    assert built == validated and validated == built and (built != validated) is False
    assert hash(built) == hash(validated)
    assert built.__dict__ == validated.__dict__ == ordinary.__dict__ == values
    for model in (built, validated):
        assert model.model_dump() == ordinary.model_dump()
        assert model.model_dump(mode="json") == ordinary.model_dump(mode="json")
        assert model.model_dump_json() == ordinary.model_dump_json()
        assert model.model_dump(exclude_unset=True) == model.model_dump()
        assert model.model_dump(exclude_none=True) == ordinary.model_dump(exclude_none=True)
        assert repr(model) == repr(ordinary).replace(f"{cls.__name__}Twin(", f"{cls.__name__}(", 1)
        assert str(model) == str(ordinary) or cls is Amount  # Amount has its own __str__
        assert model.model_fields_set == ordinary.model_fields_set == set(cls.model_fields)
        assert model.__pydantic_extra__ is None and model.__pydantic_private__ is None
        assert model.model_extra is None
    other = VALUES[cls][1 - which]
    assert trusted(cls)(dict(other)) != built and cls.model_validate(other) != validated


def test_a_whole_decision_built_trusted_equals_the_validated_one(decision):
    for cls, values in _cases(decision):
        built, validated = trusted(cls)(dict(values)), cls.model_validate(values)
        assert built == validated and validated == built and hash(built) == hash(validated), cls
        assert (
            built.model_dump_json()
            == validated.model_dump_json()
            == twin(cls).model_validate(values).model_dump_json()
        )
    again = Decision.model_validate(decision.model_dump())
    assert again == decision and decision == again and hash(again) == hash(decision)
    assert trusted(Decision)(dict(decision.__dict__)) == decision


@pytest.mark.parametrize("cls", PARTS, ids=lambda c: c.__name__)
def test_a_changed_field_is_a_different_model(cls):
    name, new = CHANGE[cls]
    base = cls.model_validate(VALUES[cls][0])
    changed = {**VALUES[cls][0], name: new}
    assert trusted(cls)(changed) != base and cls.model_validate(changed) != base
    assert trusted(cls)(changed) == cls.model_validate(changed)
    assert base != twin(cls).model_validate(VALUES[cls][0])  # same fields, another class: not equal


# ---------------------------------------------------------------------------- JSON, hashing, copies, pickling


def test_json_round_trip(decision):
    for cls, values in _cases(decision):
        for model in (trusted(cls)(dict(values)), cls.model_validate(values)):
            text = model.model_dump_json()
            again = cls.model_validate_json(text)
            assert again == model and again.model_dump_json() == text, cls
            assert cls.model_validate(model.model_dump(mode="json")) == model
    assert Decision.from_json(decision.to_json()) == decision


def test_equal_models_hash_equal_and_work_as_keys(decision):
    for cls, values in _cases(decision):
        a, b = (
            trusted(cls)(dict(values)),
            cls.model_validate_json(cls.model_validate(values).model_dump_json()),
        )
        assert a == b and hash(a) == hash(b), cls
        assert {a: 1}[b] == 1 and len({a, b}) == 1


def test_copies_and_pickles_round_trip(decision):
    for cls, values in _cases(decision):
        model = trusted(cls)(dict(values))
        for again in (pickle.loads(pickle.dumps(model)), copy.copy(model), copy.deepcopy(model),
                      model.model_copy(), model.model_copy(deep=True)):  # fmt: skip
            assert type(again) is cls and again == model and hash(again) == hash(model), cls
            assert again.model_dump() == model.model_dump()
            assert again.model_fields_set == set(cls.model_fields)
            assert again.__pydantic_extra__ is None and again.__pydantic_private__ is None
        assert (
            pickle.loads(pickle.dumps(model)).__getstate__()
            == twin(cls).model_validate(values).__getstate__()
        )


@pytest.mark.parametrize("cls", [*PARTS, Decision], ids=lambda c: c.__name__)
def test_model_copy_with_update_changes_only_that_field(cls, decision):
    original = decision if cls is Decision else trusted(cls)(dict(VALUES[cls][0]))
    before = original.model_dump()
    name, new = CHANGE[cls]
    assert getattr(original, name) != new
    moved = original.model_copy(update={name: new})
    assert getattr(moved, name) == new and moved != original
    assert moved.model_dump(exclude={name}) == original.model_dump(exclude={name})
    assert original.model_dump() == before and getattr(original, name) != new  # the original is unchanged
    assert moved.model_fields_set == set(cls.model_fields)
    ordinary = twin(cls).model_validate(original.model_dump()).model_copy(update={name: new})
    assert moved.model_dump() == ordinary.model_dump()
    # Copying back gives a model equal to the original again.
    assert moved.model_copy(update={name: getattr(original, name)}) == original


def test_fields_set_is_a_new_set_each_time(decision):
    for model in _parts_of(decision):
        fields = model.model_fields_set
        assert fields == set(type(model).model_fields)
        fields.add("bogus")
        fields.discard(next(iter(type(model).model_fields)))
        assert model.model_fields_set == set(type(model).model_fields)
    assert decision.model_dump(exclude_unset=True).keys() == decision.model_dump().keys()
    for model in _parts_of(decision):
        if not isinstance(
            model, Decision
        ):  # a decision's trace entries are ordinary models (`note` may be unset)
            assert model.model_dump(exclude_unset=True) == model.model_dump()


# ---------------------------------------------------------------------------- frozen, no extra


@pytest.mark.parametrize("cls", PARTS, ids=lambda c: c.__name__)
def test_extra_keys_are_refused(cls):
    values = {**VALUES[cls][0], "bogus": 1}
    with pytest.raises(ValidationError) as part:
        cls.model_validate(values)
    with pytest.raises(ValidationError) as ordinary:
        twin(cls).model_validate(values)
    assert (
        [e["type"] for e in part.value.errors()]
        == [e["type"] for e in ordinary.value.errors()]
        == ["extra_forbidden"]
    )
    with pytest.raises(ValidationError):
        cls.model_validate_json(cls.model_validate(VALUES[cls][0]).model_dump_json()[:-1] + ', "bogus": 1}')
    with pytest.raises(ValidationError):  # a missing field as well: every field is required
        cls.model_validate({k: v for k, v in VALUES[cls][0].items() if k != next(iter(cls.model_fields))})


def test_a_decision_refuses_extra_keys(decision):
    with pytest.raises(ValidationError):
        Decision.model_validate({**decision.model_dump(), "bogus": 1})
    dumped = decision.model_dump()
    dumped["follow_up"] = {**dumped["follow_up"], "bogus": 1}
    with pytest.raises(ValidationError):
        Decision.model_validate(dumped)


def test_assigning_or_deleting_an_attribute_raises(decision):
    for model in _parts_of(decision) + [trusted(cls)(dict(VALUES[cls][1])) for cls in PARTS]:
        cls = type(model)
        name = next(iter(cls.model_fields))
        ordinary = twin(cls).model_validate(model.__dict__)
        for target in (model, ordinary):
            with pytest.raises(ValidationError):
                setattr(target, name, getattr(target, name))
            with pytest.raises(ValidationError):
                target.bogus = 1  # type: ignore[attr-defined]
            with pytest.raises(ValidationError):
                delattr(target, name)
        assert model.__dict__ == ordinary.__dict__ and not hasattr(model, "bogus")


def test_pydantic_writes_to_the_class_answered_slots_are_dropped():
    model = trusted(Amount)(dict(VALUES[Amount][0]))
    object.__setattr__(model, "__pydantic_extra__", {"sneaked": 1})
    object.__setattr__(model, "__pydantic_private__", {"_p": 1})
    object.__setattr__(model, "__pydantic_fields_set__", {"amount"})
    assert model.__pydantic_extra__ is None and model.__pydantic_private__ is None
    assert model.model_fields_set == {"amount", "currency"}
    assert model.model_dump() == VALUES[Amount][0] and model == Amount.model_validate(VALUES[Amount][0])


def test_repr_of_a_decision_names_its_parts(decision):
    text = repr(decision)
    assert (
        text.startswith("Decision(") and "FollowUpPlan(" in text and "Remedy(" in text and "Amount(" in text
    )
    assert repr(trusted(Decision)(dict(decision.__dict__))) == text


# ---------------------------------------------------------------------------- the Part contract


def test_a_part_with_a_defaulted_field_is_refused():
    with pytest.raises(TypeError, match="note"):

        class Loose(Part):
            name: str
            note: str | None = None


def test_a_part_with_a_default_factory_is_refused():
    with pytest.raises(TypeError, match="items"):

        class Listy(Part):
            items: tuple[str, ...] = pydantic.Field(default_factory=tuple)


def test_a_part_with_only_required_fields_is_a_lean_frozen_model():
    class Tight(Part):
        name: str
        size: int

    assert is_part(Tight)
    built = trusted(Tight)({"name": "a", "size": 1})
    assert built == Tight(name="a", size=1) and built.model_fields_set == {"name", "size"}
    with pytest.raises(ValidationError):
        Tight(name="a", size=1, other=2)
    with pytest.raises(ValidationError):
        built.size = 2
