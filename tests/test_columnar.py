"""The columnar engine decides exactly as the compiled row engine: field by field, error for error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
np = pytest.importorskip("numpy")

from test_compiler_oracle import COMPILED, LATE_MOMENTS, MOMENTS, records

from complaint_rules import load
from complaint_rules.batch import ColumnMap, read_csv
from complaint_rules.calendars import calendar
from complaint_rules.engine.arrow_decision import DECISION_SCHEMA, decision_record
from complaint_rules.engine.columnar import ColumnarPolicy, coverage
from complaint_rules.engine.columnar_times import ColumnShifter, from_micros, to_micros

ROOT = Path(__file__).parent.parent
BUNDLED = sorted(p for p in (ROOT / "policies").rglob("*.policy"))


def arrow_table(rows: list[dict]) -> pa.Table:
    """Records as an Arrow table: one column per key; a column of mixed Python types becomes text."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    columns = {}
    for k in keys:
        values = [r.get(k) for r in rows]
        values = [sorted(v) if isinstance(v, frozenset) else v for v in values]
        try:
            columns[k] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            columns[k] = pa.array([None if v is None else v if isinstance(v, str) else
                                   json.dumps(v, default=str) if isinstance(v, (list, dict)) else
                                   v.isoformat() if isinstance(v, dt.datetime) else str(v) for v in values])
    return pa.table(columns) if columns else pa.table({"id": pa.array([None] * len(rows), pa.string())})


def expected(compiled, table: pa.Table, now, strict=False):
    out = []
    for raw in table.to_pylist():
        try:
            out.append(("decision", decision_record(compiled.evaluate(raw, now=now, strict=strict))))
        except Exception as exc:  # noqa: BLE001
            out.append(("error", f"{type(exc).__name__}: {exc}"))
    return out


def columnar(compiled, table: pa.Table, now, strict=False):
    result = ColumnarPolicy(compiled).decide(table, now, strict=strict)
    got: dict[int, tuple] = {}
    for i, row in zip(result.rows.tolist(), result.decisions.to_pylist()):
        assert i not in got
        got[i] = ("decision", row)
    for i, exc in result.errors:
        assert i not in got
        got[i] = ("error", f"{type(exc).__name__}: {exc}")
    assert sorted(got) == list(range(table.num_rows)), "every row comes out once: a decision or an error"
    return [got[i] for i in range(table.num_rows)], result


def assert_same(compiled, table, now, strict=False):
    want = expected(compiled, table, now, strict)
    got, result = columnar(compiled, table, now, strict)
    for i, (w, g) in enumerate(zip(want, got)):
        assert w[0] == g[0], (i, w, g)
        if w[0] == "error":
            assert w[1] == g[1]
            continue
        for name in DECISION_SCHEMA.names:
            assert g[1][name] == w[1][name], (i, name, w[1][name], g[1][name])
    return result


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_columnar_decides_as_compiled(name, data):
    compiled = COMPILED[name]
    rows = data.draw(st.lists(records(compiled), min_size=1, max_size=12), label="records")
    # Some batches repeat records (classes of many rows); some give follow-ups (decided row by row).
    if data.draw(st.booleans(), label="drop follow-ups"):
        rows = [{k: v for k, v in r.items() if k != "follow_ups"} for r in rows]
    rows = rows + rows[: data.draw(st.integers(0, len(rows)), label="repeats")]
    now = data.draw(st.none() | MOMENTS, label="now")
    assert_same(compiled, arrow_table(rows), now)


@pytest.mark.parametrize("name", sorted(COMPILED))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_incomplete_rows_fall_back_to_the_row_engine(name, data):
    """Around the end of the CN data: rows with a time the calendar cannot place are the row engine's."""
    compiled = COMPILED[name]
    rows = data.draw(st.lists(records(compiled, LATE_MOMENTS), min_size=1, max_size=10), label="records")
    now = data.draw(st.none() | LATE_MOMENTS, label="now")
    strict = data.draw(st.booleans(), label="strict")
    assert_same(compiled, arrow_table(rows), now, strict)


def _cfpb_records() -> list[dict]:
    mapping = ColumnMap.load(ROOT / "policies" / "finance" / "cfpb-columns.json")
    with open(ROOT / "examples" / "cfpb_complaints_sample.csv", "rb") as f:
        return [r.record for r in read_csv(f, mapping) if r.record is not None]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_policies_over_the_cfpb_sample(path):
    """Every bundled policy over the 349 real CFPB complaints (mapped as for cfpb-bank): the same decisions
    and error rows; cfpb-bank itself decides them all in columns."""
    policy = load(path)
    table = arrow_table(_cfpb_records())
    now = dt.datetime(2016, 10, 1, 9, tzinfo=dt.timezone.utc)
    result = assert_same(policy.compiled, table, now)
    if path.name == "cfpb-bank.policy":
        assert len(result.rows) == table.num_rows and result.fallback == 0


def test_svw_dealer_batch_with_repeats_decides_in_columns():
    policy = load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    base = dt.datetime(2026, 3, 2, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = [{"id": f"C-{i}", "received_at": base + dt.timedelta(minutes=97 * i),
             "category": ["product_quality", "sales_service", "value_added", "other"][i % 4],
             "claimed_amount": (i * 37) % 7000, "demands": [["engine_replacement"], [], ["compensation"]][i % 3],
             "cause": [None, "product_defect", "customer_misuse", "uncooperative"][i % 4],
             "evidence": i % 5 == 0, "departments": i % 3,
             "first_contact_at": base + dt.timedelta(hours=i % 30) if i % 2 else None,
             "resolved_at": base + dt.timedelta(days=3) if i % 3 == 0 else None} for i in range(600)]
    result = assert_same(policy.compiled, pa.Table.from_pylist(rows), base + dt.timedelta(days=2))
    assert result.fallback == 0 and len(result.rows) == 600


def test_bad_values_are_error_rows_naming_record_and_field():
    policy = load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    table = pa.table({"id": ["A", "B", None], "received_at": ["2026-03-02T10:00+08:00", "yesterday", "2026-03-02T10:00+08:00"],
                      "category": ["other", "other", "nonsense"]})
    result = assert_same(policy.compiled, table, None)
    messages = {i: str(e) for i, e in result.errors}
    assert "record B" in messages[1] and "received_at" in messages[1]
    assert "id" in messages[2] and 0 in result.rows.tolist()


def test_a_policy_with_an_uncovered_part_is_decided_row_by_row(monkeypatch):
    """A block outside COVERED (as a later construct would be) sends every row to the row engine, decided alike."""
    from complaint_rules.engine import columnar as engine

    compiled = COMPILED["full"]
    assert coverage(compiled.ir) == ()
    monkeypatch.setattr(engine, "COVERED", engine.COVERED - {"follow_up"})
    assert coverage(compiled.ir) == ("the policy's 'follow_up' block",)
    rows = [{"id": f"R{i}", "received_at": dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc) + dt.timedelta(hours=i)}
            for i in range(5)]
    result = assert_same(compiled, pa.Table.from_pylist(rows), None)
    assert result.fallback == 5 and len(result.rows) == 5


def test_column_shifts_equal_the_calendars_shifter():
    cal = calendar("CN", hours="08:30-18:00", timezone="Asia/Shanghai")
    shifter = ColumnShifter(cal)
    start = dt.datetime(2025, 9, 25, tzinfo=dt.timezone.utc)
    moments = [start + dt.timedelta(minutes=37 * k) for k in range(2000)]  # across the 2025 National Day make-up days
    leap = dt.datetime(2024, 1, 28, 20, tzinfo=dt.timezone.utc)
    moments += [leap + dt.timedelta(hours=7 * k) for k in range(40)]  # month ends, 29 February
    us = np.array([to_micros(m) for m in moments], dtype=np.int64)
    valid = np.ones(len(us), dtype=bool)
    for text, sign in [("1 working day", 1), ("3 working days", 1), ("5 business hours", 1), ("end of day", 1),
                       ("end of 2 working days", 1), ("2 days", 1), ("1 week", -1), ("1 month", 1),
                       ("2 working days", -1), ("30 minutes", -1), ("0 minutes", 1), ("0 working days", 1),
                       ("1 month", -1), ("13 months", 1), ("2 years", 1), ("end of 0 working days", 1)]:
        from complaint_rules.calendars import parse_duration

        d = parse_duration(text)
        got, placed, failed = shifter.shift(us, valid, d, sign)
        fn = cal.shifter(d, sign)
        assert placed.all() and not failed.any(), text
        for m, g in zip(moments, got.tolist()):
            assert from_micros(g) == fn(m), (text, m)


def test_column_shifts_past_the_calendar_data_are_refused():
    cal = calendar("CN", hours="09:00-18:00", timezone="Asia/Shanghai")
    shifter = ColumnShifter(cal)
    from complaint_rules.calendars import parse_duration

    moments = [dt.datetime(2026, 12, 31, 10, tzinfo=dt.timezone.utc), dt.datetime(2026, 6, 1, 10, tzinfo=dt.timezone.utc)]
    us = np.array([to_micros(m) for m in moments], dtype=np.int64)
    got, placed, failed = shifter.shift(us, np.ones(2, dtype=bool), parse_duration("3 working days"))
    assert failed.tolist() == [True, False] and placed.tolist() == [False, True]
    assert from_micros(got[1]) == cal.add(moments[1], "3 working days")


def test_whole_number_ids_and_native_types():
    """Ids as int64, amounts as int64, times as aware timestamps, sets as lists: taken as the coercer takes them."""
    policy = load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    start = dt.datetime(2026, 9, 29, 16, tzinfo=dt.timezone.utc)
    table = pa.table({
        "id": pa.array([7, 8, 9, 10], pa.int64()),
        "received_at": pa.array([start + dt.timedelta(hours=9 * k) for k in range(4)], pa.timestamp("us", tz="UTC")),
        "claimed_amount": pa.array([100, 6000, None, 60000], pa.int64()),
        "demands": pa.array([["compensation"], None, [], ["return_vehicle", "compensation"]]),
        "low_cost_fix": pa.array([True, None, False, True]),
    })  # fmt: skip
    result = assert_same(policy.compiled, table, start + dt.timedelta(days=3))
    assert result.fallback == 0 and result.decisions.column("record_id").to_pylist() == ["7", "8", "9", "10"]


def test_clock_lives_and_histories_go_to_the_row_engine():
    """A policy whose clocks pause or stop is decided row by row; a record with a history is, alone."""
    life = load(Path(__file__).parent.parent / "examples" / "lifecycle.policy").compiled
    assert any("life" in reason for reason in coverage(life.ir))
    compiled = COMPILED["full"]
    assert coverage(compiled.ir) == ()
    received = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
    rows = [{"id": f"R{i}", "received_at": received + dt.timedelta(hours=i), "history": None} for i in range(4)]
    rule = compiled.ir.escalate[0].id
    rows[2]["history"] = json.dumps([{"at": (received + dt.timedelta(hours=5)).isoformat(), "rule": rule}])
    now = received + dt.timedelta(days=30)
    result = assert_same(compiled, pa.Table.from_pylist(rows), now)
    assert result.fallback == 1 and len(result.rows) == 4
