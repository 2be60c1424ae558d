"""The fast paths decide exactly as the plain ones: calendar shifters, outcome dicts, dict coercion, parallel impact."""

from __future__ import annotations

import datetime as dt
import importlib
import pickle
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compiler_oracle import COMPILED, MOMENTS, records

from complaint_rules import ir, load
from complaint_rules.calendars import Calendar
from complaint_rules.compare.impact import (
    MAX_EXAMPLES,
    Impact,
    OutputImpact,
    Transition,
    compare,
    impact,
    keys,
    label,
    plain_keys,
)
from complaint_rules.engine.decision import Decision
from complaint_rules.errors import CalendarError, ComplaintRulesError, RecordError

FIX = Path(__file__).parent / "diff_fixtures"
# The module, not the function of the same name that complaint_rules.compare exports.
impact_module = importlib.import_module("complaint_rules.compare.impact")

# ---------------------------------------------------------------------------- calendar shifters

CALENDARS = [
    Calendar("CN", "09:00-18:30", "Asia/Shanghai", holidays=["2026-12-24"], workdays=["2026-12-27"]),
    Calendar("CN", None, "Asia/Shanghai"),
    Calendar("US", "09:00-17:00", "America/New_York"),  # DST: the shortcuts must step aside
    Calendar("DE", "08:00-16:30", "Europe/Berlin"),
    Calendar("NONE", None, "UTC"),
]
ZONES = [dt.timezone(dt.timedelta(hours=8)), dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5)),
         ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")]  # fmt: skip


@st.composite
def starts(draw):
    zone = draw(st.sampled_from(ZONES))
    day = dt.date(2025, 12, 20) + dt.timedelta(days=draw(st.integers(0, 400)))
    # Hours around opening, closing and the DST changes (01:00-03:00) are where shortcuts could go wrong.
    hour = draw(st.sampled_from([0, 1, 2, 3, 8, 9, 12, 16, 17, 18, 19, 23]))
    minute, micro = draw(st.sampled_from([0, 29, 30, 59])), draw(st.sampled_from([0, 0, 1]))
    return dt.datetime(day.year, day.month, day.day, hour, minute, 0, micro, tzinfo=zone,
                       fold=draw(st.integers(0, 1)))  # fmt: skip


# A calendar, a duration (unit, amount, sign) and a start: what the shifter and its inlined form are tried on.
SHIFTS = {
    "cal": st.sampled_from(CALENDARS),
    "unit": st.sampled_from(ir.DURATION_UNITS),
    "amount": st.sampled_from([0, 1, 2, 3, 7, 24, 40, 400]),
    "sign": st.sampled_from([1, -1]),
    "start": starts(),
}


def _result(fn, *args):
    try:
        out = fn(*args)
    except (CalendarError, ValueError) as exc:
        return type(exc), str(exc)
    return out, out.isoformat(), out.tzinfo, out.fold


@settings(max_examples=200, deadline=None)
@given(**SHIFTS)
def test_shifter_gives_what_add_and_subtract_give(cal, unit, amount, sign, start):
    duration = ir.Duration(amount, unit)
    plain = cal.add if sign > 0 else cal.subtract
    shift = cal.shifter(duration, sign)
    expected = _result(plain, start, duration)
    assert _result(shift, start) == expected
    assert _result(shift, start) == expected  # again: the remembered result for the same object


def _inlined(cal: Calendar, duration: ir.Duration, sign: int, start: dt.datetime):
    """What the compiler's generated code computes in place for ``cal.inline(duration, sign)``, or None where
    it would hand the start to the shifter."""
    kind, delta = cal.inline(duration, sign)
    if type(start) is not dt.datetime:
        return None
    try:
        if kind == "elapsed":
            return (start + delta).astimezone(cal.tzinfo) if type(start.tzinfo) is dt.timezone else None
        wall = start.astimezone(cal.tzinfo) + delta
    except (OverflowError, ValueError):
        return None
    return wall if cal.steady_years().get(wall.year) else None


@settings(max_examples=300, deadline=None)
@given(**SHIFTS)
def test_inlined_shifts_give_what_the_shifter_gives(cal, unit, amount, sign, start):
    duration = ir.Duration(amount, unit)
    if cal.inline(duration, sign) is None:  # the generated code calls the shifter itself
        assert unit == "end_of_day" or (amount != 0 and unit not in ("minutes", "hours", "days", "weeks"))
        return
    cal.shifter(duration, sign)(start)  # the shifter fills the steady-years cache, as in a real decide loop
    got = _inlined(cal, duration, sign, start)
    if got is not None:
        assert _result(lambda: got) == _result(cal.shifter(duration, sign), start)


def test_inline_covers_elapsed_time_and_calendar_days():
    cal = CALENDARS[0]
    assert cal.inline(ir.Duration(2, "hours")) == ("elapsed", dt.timedelta(hours=2))
    assert cal.inline(ir.Duration(1, "days"), -1) == ("wall", dt.timedelta(days=-1))
    assert cal.inline(ir.Duration(2, "weeks")) == ("wall", dt.timedelta(days=14))
    assert cal.inline(ir.Duration(0, "working_days")) == ("elapsed", dt.timedelta(0))
    assert cal.inline(ir.Duration(1, "working_days")) is None
    assert cal.inline(ir.Duration(1, "months")) is None
    assert cal.inline(ir.Duration(0, "end_of_day")) is None
    # A day in Shanghai's steady 2026 is inlined; the generated code's result is the shifter's.
    start = dt.datetime(2026, 3, 1, 10, tzinfo=dt.timezone.utc)
    cal.shifter(ir.Duration(1, "days"))(start)
    assert _inlined(cal, ir.Duration(1, "days"), 1, start) == cal.add(start, "1 day")


def test_shifter_reports_bad_starts_and_missing_years_like_add():
    cal = CALENDARS[0]
    shift = cal.shifter(ir.Duration(1, "working_days"))
    with pytest.raises(CalendarError, match="no holiday data for 2099"):
        shift(dt.datetime(2099, 3, 3, 10, tzinfo=dt.timezone.utc))
    for bad in (None, dt.datetime(2026, 3, 3, 10), "2026-03-03"):
        with pytest.raises(CalendarError) as got:
            shift(bad)
        with pytest.raises(CalendarError) as want:
            cal.add(bad, ir.Duration(1, "working_days"))
        assert str(got.value) == str(want.value)


def test_shifter_remembers_by_identity_not_equality():
    # Equal instants in different zones are equal datetimes; the shifter must still answer each in full.
    cal = CALENDARS[0]
    shift = cal.shifter(ir.Duration(1, "days"))
    a = dt.datetime(2026, 3, 3, 10, tzinfo=dt.timezone.utc)
    b = a.astimezone(ZoneInfo("America/New_York"))
    assert a == b and shift(a) == shift(b) == cal.add(a, "1 day")
    assert shift(a) is shift(a)


# ---------------------------------------------------------------------------- outcome dicts


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_outcome_is_the_decision_as_plain_dicts(name, data):
    compiled = COMPILED[name]
    record = data.draw(records(compiled), label="record")
    now = data.draw(st.none() | MOMENTS, label="now")
    try:
        record_id, values = compiled.coerce(record)
        decision = compiled.decide(values, record_id, now)
    except ComplaintRulesError as exc:
        with pytest.raises(type(exc)):
            compiled.outcome(compiled.coerce(record)[1], record_id, now)
        return
    plain = compiled.outcome(values, record_id, now)
    assert Decision.model_validate(plain) == decision
    assert Decision.model_validate(plain).model_dump_json() == decision.model_dump_json()
    assert decision == compiled.evaluate(record, now)
    assert Decision.model_validate_json(decision.model_dump_json()) == decision
    found = plain_keys(plain)
    assert found == keys(decision)
    for output in found:
        assert label(plain, output) == label(decision, output)


def test_compiled_policy_still_pickles_and_decides_the_same():
    compiled = COMPILED["full"]
    record = {"id": "p1", "received_at": "2026-09-30T17:00+08:00", "category": "after_sales",
              "first_contact_at": "2026-10-09T10:00+08:00", "resolved_at": "2026-10-10T10:00+08:00"}  # fmt: skip
    copy = pickle.loads(pickle.dumps(compiled))
    assert copy.evaluate(record).to_json() == compiled.evaluate(record).to_json()
    assert copy.outcome(*reversed(copy.coerce(record))) == compiled.outcome(*reversed(compiled.coerce(record)))


# ---------------------------------------------------------------------------- dict coercion


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_dicts_coerce_as_other_mappings_do(name, data):
    # Dicts take a shortcut (only their own keys are converted); any other mapping takes the schema walk.
    compiled = COMPILED[name]
    record = dict(data.draw(records(compiled), label="record"))
    for field in data.draw(st.lists(st.sampled_from(sorted(compiled.schema)), max_size=3), label="spoilt"):
        record[field] = data.draw(st.sampled_from([" ", "", None, "not a value", [1], {"x": 1}, -3]))
    if data.draw(st.booleans(), label="unknown key"):
        record["no_such_field"] = "kept out"

    def run(raw):
        try:
            return compiled.coerce(raw)
        except RecordError as exc:
            return str(exc), exc.record_id

    assert run(record) == run(MappingProxyType(record))


def _as_text(value):
    """A typed value as a host might send it as text instead, which takes none of the typed shortcuts."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return value


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_typed_values_coerce_as_their_text_does(name, data):
    # Values already of the field's type (aware datetimes, ints, bools, exact members, lists of members,
    # typed follow-ups) skip their converters; written as text they take the full way, to the same values.
    compiled = COMPILED[name]
    record = dict(data.draw(records(compiled), label="record"))
    typed, text = dict(record), dict(record)
    for field, value in record.items():
        decl = compiled.schema.get(field)
        if decl is not None and decl.type.kind == "set" and isinstance(value, frozenset):
            typed[field] = data.draw(st.sampled_from([list, tuple]))(sorted(value))
            text[field] = ", ".join(sorted(value)) or set()  # "" would be blank: the default
        elif decl is not None and decl.type.kind == "enum":
            text[field] = f" {value} "
        elif field == "follow_ups":
            text[field] = [{k: _as_text(v) for k, v in entry.items()} for entry in value]
        else:
            text[field] = _as_text(value)
    assert compiled.coerce(typed) == compiled.coerce(text) == compiled.coerce(record)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"received_at": dt.datetime(2026, 3, 2, 10)},
         "received_at: naive date-time 2026-03-02T10:00:00: give a UTC offset, e.g. 2026-03-02T10:00:00+08:00"),
        ({"hazards": ["fire", ["x"]], "external": ("media", " court "), "demands": [" a ", "b"]},
         ("demands: unknown member 'a'; expected one of return_vehicle, engine_replacement; unknown member 'b'; "
          "expected one of return_vehicle, engine_replacement; hazards: expected member names, got ['x']")),
        ({"hazards": ["fire", "smoke"], "external": ["media", 3]},
         "external: expected member names, got 3; hazards: unknown member 'smoke'; expected one of fire, injury"),
        ({"follow_ups": [{"at": dt.datetime(2026, 3, 3)}, {"method": "x"},
                         {"at": dt.datetime(2026, 3, 3, tzinfo=dt.timezone.utc), "method": " ", "satisfied": 1}]},
         ("follow_ups[0].at: naive date-time 2026-03-03T00:00:00: give a UTC offset, e.g. 2026-03-03T00:00:00+08:00; "
          "follow_ups[1].at: required")),
        ({"repeat_count": True}, "repeat_count: expected a whole number, got True"),
    ],
)  # fmt: skip
def test_typed_values_that_do_not_fit_are_reported_as_before(change, message):
    compiled = load(Path(__file__).parent / "fixtures" / "full.policy").compiled
    record = {"id": " e1 ", "received_at": dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone.utc), **change}
    with pytest.raises(RecordError) as caught:
        compiled.coerce(record)
    assert caught.value.record_id == "e1" and str(caught.value) == f"record e1: {message}"


def test_typed_follow_ups_and_member_lists_are_taken_as_they_are():
    compiled = load(Path(__file__).parent / "fixtures" / "full.policy").compiled
    at = dt.datetime(2026, 3, 4, tzinfo=dt.timezone.utc)
    _, values = compiled.coerce({"id": 7, "received_at": at, "hazards": ["fire", "fire"], "external": (),
                                 "follow_ups": [{"at": at, "method": "phone", "satisfied": False},
                                                {"at": at - dt.timedelta(days=1), "method": " ", "satisfied": 1}]})  # fmt: skip
    assert values["hazards"] == frozenset({"fire"}) and values["external"] == frozenset()
    earlier = at - dt.timedelta(days=1)
    assert [tuple(e) for e in values["follow_ups"]] == [(earlier, None, True), (at, "phone", False)]
    assert (values["follow_up_count"], values["last_follow_up_at"], values["satisfied"]) == (2, at, False)
    _, none_yet = compiled.coerce({"id": 7, "received_at": at, "follow_ups": []})
    assert list(none_yet)[-4:] == ["follow_ups", "follow_up_count", "last_follow_up_at", "satisfied"]
    assert (none_yet["follow_ups"], none_yet["follow_up_count"], none_yet["satisfied"]) == ((), 0, None)


# ---------------------------------------------------------------------------- impact


def _reference(old, new, rows, now=None) -> Impact:
    """The impact counted the plain way: full decisions, one record at a time."""
    result = Impact(corpus="<records>")
    outputs: dict[str, OutputImpact] = {}
    a, b = old.compiled, new.compiled
    for n, record in enumerate(rows, 1):
        rid = str(record["id"]) if isinstance(record, dict) and record.get("id") is not None else f"#{n}"
        reason = None
        try:
            da, db = a.evaluate(record, now), b.evaluate(record, now)
        except ComplaintRulesError as exc:
            reason = impact_module.error_reason(exc)
        else:
            if da.problems or db.problems:  # not compared; never the case in this corpus's months
                reason = "incomplete"
        if reason is not None:
            result.errors += 1
            result.reasons[reason] = result.reasons.get(reason, 0) + 1
            if len(result.error_examples) < MAX_EXAMPLES:
                result.error_examples.append(rid)
            continue
        found = list(compare(da, db))
        result.changed += bool(found)
        for output, la, lb in found:
            o = outputs.setdefault(output, OutputImpact(output=output))
            o.changed += 1
            t = next((t for t in o.transitions if (t.old, t.new) == (la, lb)), None)
            if t is None:
                if len(o.transitions) >= impact_module.MAX_TRANSITIONS:
                    o.other += 1
                    continue
                t = Transition(old=la, new=lb)
                o.transitions.append(t)
            t.count += 1
            if len(t.examples) < MAX_EXAMPLES:
                t.examples.append(rid)
    result.records = len(rows)
    result.outputs = list(outputs.values())
    return result


def _corpus(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        rows.append({
            "id": f"r{i}",
            "received_at": f"2026-11-{1 + i % 28:02d}T{8 + i % 11:02d}:{(7 * i) % 60:02d}:00+08:00",
            "category": ("sales_service", "product_quality", "after_sales")[i % 3],
            "claimed_amount": f"{(0, 200, 800, 1500, 6000)[i % 5]} CNY",
            "repeat_count": i % 4,
            "external": ["media"] if i % 7 == 0 else [],
            "demands": ["return_vehicle"] if i % 11 == 0 else [],
        })  # fmt: skip
        if i % 2:
            rows[-1]["resolved_at"] = f"2026-11-{1 + i % 28:02d}T20:00:00+08:00"
        if i % 13 == 5:
            rows[-1]["claimed_amount"] = "lots"  # a bad record: counted as an error
    return rows


@pytest.mark.parametrize("max_transitions", [2, 1])  # small enough that some output overflows to "other"
def test_impact_in_chunks_counts_as_one_record_at_a_time(monkeypatch, max_transitions):
    monkeypatch.setattr(impact_module, "MAX_TRANSITIONS", max_transitions)
    old, new = load(FIX / "base.policy"), load(FIX / "branch.policy")
    rows = _corpus(120)
    now = dt.datetime(2026, 11, 3, 12, tzinfo=dt.timezone.utc)
    expected = _reference(old, new, rows, now).model_dump()
    assert expected["errors"] and expected["changed"] and any(o["other"] for o in expected["outputs"])
    for chunk in (1, 7, 500):
        assert impact(old, new, rows, now=now, workers=1, chunk=chunk).model_dump() == expected


def test_impact_with_worker_processes_counts_the_same(monkeypatch):
    monkeypatch.setattr(impact_module, "WORKERS_FROM", 20)  # workers=None: 20 records here, the rest in a pool
    monkeypatch.setattr(impact_module.os, "cpu_count", lambda: 2)
    old, new = load(FIX / "base.policy"), load(FIX / "branch.policy")
    rows = _corpus(90)
    expected = _reference(old, new, rows).model_dump()
    assert impact(old, new, rows, chunk=10).model_dump() == expected
    assert impact(old, new, rows, chunk=10, workers=2).model_dump() == expected
