"""The standard record, the policy schema, and coercion of raw records (dict, JSON, pydantic, dataclass)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules import ir
from complaint_rules.engine.record import (
    DERIVED_FIELDS,
    FOLLOW_UPS,
    HISTORY,
    STANDARD_FIELDS,
    ComplaintRecord,
    coerce,
    schema_for,
)
from complaint_rules.errors import RecordError
from complaint_rules.language.frontend import dsl

POLICY = dsl.parse(
    """
policy "p" {
  currency CNY
}
record {
  category: enum {sales_service, product_quality, after_sales}
  demands: set of enum {return_vehicle, engine_replacement, gearbox_replacement}
  score: decimal
  visit_on: date
  allowance: duration
  priority: int = 3
  refund: money USD
}
""",
    "p.policy",
)
SCHEMA = schema_for(POLICY)
CST = dt.timezone(dt.timedelta(hours=8))
BASE = {"id": "C-1", "received_at": "2026-12-01T10:00+08:00"}


def values(**fields):
    return coerce(SCHEMA, {**BASE, **fields})[1]


def problems(raw) -> dict[str, str]:
    with pytest.raises(RecordError) as info:
        coerce(SCHEMA, raw)
    return dict(info.value.problems)


# ---------------------------------------------------------------------------- the schema


def test_standard_fields_mirror_the_pydantic_record():
    names = {f.name for f in STANDARD_FIELDS}
    assert names | {FOLLOW_UPS, HISTORY} == set(ComplaintRecord.model_fields)
    external = next(f for f in STANDARD_FIELDS if f.name == "external")
    assert external.type.members == ("media", "consumer_association", "court", "regulator")


def test_policy_record_block_narrows_standard_fields_and_adds_its_own():
    assert SCHEMA["category"].type.kind == "enum"  # text in the standard record
    assert SCHEMA["priority"].default == 3
    assert SCHEMA["claimed_amount"].type.currency == "CNY"  # the policy currency fills in
    assert SCHEMA["refund"].type.currency == "USD"
    assert {f.name for f in DERIVED_FIELDS} <= set(SCHEMA)


# ---------------------------------------------------------------------------- conversions


def test_strings_become_declared_types():
    v = values(
        category=" product_quality ",
        demands="return_vehicle, engine_replacement",
        score="4.5",
        visit_on="2026-12-03",
        allowance="2 working days",
        priority="7",
        claimed_amount="1,200.50 CNY",
        anonymous="yes",
        key_customer="0",
        hazards=["fire"],
        resolved_at="2026-12-02T02:00:00Z",
    )
    assert v["category"] == "product_quality"
    assert v["demands"] == frozenset({"return_vehicle", "engine_replacement"})
    assert v["score"] == Decimal("4.5") and v["priority"] == 7
    assert v["visit_on"] == dt.date(2026, 12, 3)
    assert v["allowance"] == ir.Duration(2, "working_days")
    assert v["claimed_amount"] == ir.Money(Decimal("1200.50"), "CNY")
    assert v["anonymous"] is True and v["key_customer"] is False
    assert v["resolved_at"] == dt.datetime(2026, 12, 2, 10, tzinfo=CST)
    assert v["received_at"].utcoffset() == dt.timedelta(hours=8)


def test_defaults_and_missing_fields():
    v = values(description="")
    assert v["priority"] == 3 and v["anonymous"] is False and v["repeat_count"] == 0
    assert v["hazards"] == frozenset() and v["description"] is None and v["score"] is None


def test_money_number_takes_the_policy_currency_and_other_currencies_are_refused():
    assert values(claimed_amount=800)["claimed_amount"] == ir.Money(Decimal(800), "CNY")
    assert values(claimed_amount={"amount": "5", "currency": "cny"})["claimed_amount"] == ir.Money(
        Decimal(5), "CNY"
    )
    assert "USD" in problems({**BASE, "claimed_amount": "10 USD"})["claimed_amount"]


def test_unknown_keys_are_ignored_and_derived_fields_cannot_be_forged():
    v = values(colour="red", satisfied=True, follow_up_count=9)
    assert "colour" not in v and v["satisfied"] is None and v["follow_up_count"] == 0


def test_follow_ups_give_the_derived_fields_from_the_latest():
    v = values(follow_ups=[
        {"at": "2026-12-05T10:00+08:00", "method": "visit", "satisfied": "true"},
        {"at": "2026-12-04T10:00+08:00", "method": "phone", "satisfied": False},
    ])  # fmt: skip
    assert v["follow_up_count"] == 2 and v["satisfied"] is True
    assert v["last_follow_up_at"] == dt.datetime(2026, 12, 5, 10, tzinfo=CST)
    assert [e.method for e in v[FOLLOW_UPS]] == ["phone", "visit"]
    assert values(follow_ups=[{"at": "2026-12-05T10:00+08:00"}])["satisfied"] is None


@dataclasses.dataclass
class DataRecord:
    id: str
    received_at: dt.datetime
    category: str


def test_every_input_form_gives_the_same_values():
    received = dt.datetime(2026, 12, 1, 10, tzinfo=CST)
    as_dict = {"id": "C-1", "received_at": received, "category": "after_sales"}
    expected = coerce(SCHEMA, as_dict)
    assert coerce(SCHEMA, json.dumps({**as_dict, "received_at": received.isoformat()})) == expected
    assert coerce(SCHEMA, json.dumps({**as_dict, "received_at": received.isoformat()}).encode()) == expected
    assert coerce(SCHEMA, DataRecord("C-1", received, "after_sales")) == expected
    model = ComplaintRecord(id="C-1", received_at=received, category="after_sales", claimed_amount="30 CNY")
    rid, v = coerce(SCHEMA, model)
    assert (
        rid == "C-1"
        and v["claimed_amount"] == ir.Money(Decimal(30), "CNY")
        and v["category"] == "after_sales"
    )


def test_integer_ids_are_text():
    assert coerce(SCHEMA, {**BASE, "id": 42})[0] == "42"


# ---------------------------------------------------------------------------- errors


def test_three_bad_fields_are_reported_together():
    with pytest.raises(RecordError) as info:
        coerce(
            SCHEMA,
            {
                "id": "C-9",
                "received_at": "2026-12-01T10:00",
                "category": "product_qualty",
                "priority": "many",
            },
        )
    error = info.value
    assert error.record_id == "C-9"
    assert set(error.fields) == {"received_at", "category", "priority"}
    text = str(error)
    assert text.startswith("record C-9: ")
    assert "did you mean 'product_quality'?" in text and "naive" in text and "whole number" in text
    assert error.to_dict()["errors"][0]["field"] in error.fields


def test_missing_required_fields_and_bad_members():
    found = problems(
        {"category": "x", "demands": ["engine_replacemnt", 3], "follow_ups": [{"satisfied": "maybe"}]}
    )
    assert found["id"] == "required" and found["received_at"] == "required"
    assert "did you mean 'engine_replacement'?" in found["demands"]
    assert "expected one of sales_service" in found["category"]
    assert found["follow_ups[0].at"] == "required" and "true or false" in found["follow_ups[0].satisfied"]


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", b"\xff", 42, None, ["id"]])
def test_records_that_are_not_objects(raw):
    with pytest.raises(RecordError) as info:
        coerce(SCHEMA, raw)
    assert info.value.record_id is None and info.value.fields == ("<record>",)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    | st.sampled_from(["2026-12-01T10:00+08:00", "yes", "1000 CNY", "fire, injury", "1 day", "2026-12-01", "NaN"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
FIELD_NAMES = st.sampled_from([*SCHEMA, FOLLOW_UPS, "id", "received_at", "other"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(FIELD_NAMES, JSON, max_size=12) | JSON)
def test_any_json_like_input_gives_values_or_a_record_error(raw):
    for form in (raw, json.dumps(raw, allow_nan=True)):
        try:
            _rid, v = coerce(SCHEMA, form)
        except RecordError as exc:
            assert exc.problems and str(exc)
        else:
            assert isinstance(v["received_at"], dt.datetime) and v["received_at"].utcoffset() is not None
