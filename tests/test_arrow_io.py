"""``eval`` with Parquet and Arrow IPC files: the columnar path writes what the row path writes, loses no row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
ipc = pytest.importorskip("pyarrow.ipc")

from complaint_rules import load
from complaint_rules.arrow_io import DecisionWriter, read_batches, run_arrow
from complaint_rules.batch import BatchSummary, ColumnMap, read_csv
from complaint_rules.cli import main
from complaint_rules.engine.arrow_decision import DECISION_SCHEMA, decision_record

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEALER = str(EXAMPLES / "dealer.policy")
SVW = str(ROOT / "policies" / "automotive" / "svw-dealer.policy")


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _table(records: list[dict]) -> pa.Table:
    keys = list(dict.fromkeys(k for r in records for k in r))
    return pa.table({k: [r.get(k) for r in records] for k in keys})


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _svw_rows(n: int) -> list[dict]:
    base = dt.datetime(2026, 9, 28, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return [{"id": f"S-{i}", "received_at": base + dt.timedelta(minutes=53 * i),
             "category": ["product_quality", "sales_service", "other"][i % 3],
             "claimed_amount": (i * 113) % 9000, "demands": [[], ["exchange_vehicle"]][i % 2],
             "resolved_at": base + dt.timedelta(days=2) if i % 4 == 0 else None} for i in range(n)]  # fmt: skip


def test_parquet_in_and_out_equals_the_row_path(tmp_path, capsys):
    pq.write_table(_table(_records(EXAMPLES / "complaints.jsonl")), tmp_path / "in.parquet")
    now = ["--now", "2026-12-02T13:00+08:00"]
    assert main(["eval", DEALER, str(tmp_path / "in.parquet"), "-o", str(tmp_path / "cols.parquet"), *now]) == 1
    assert capsys.readouterr().err.strip().endswith("5 records in, 4 decisions, 1 error (see "
                                                     f"{tmp_path / 'cols.errors.jsonl'})")
    assert main(["eval", DEALER, str(EXAMPLES / "complaints.jsonl"), "-o", str(tmp_path / "rows.parquet"), *now]) == 1
    columns, rows = pq.read_table(tmp_path / "cols.parquet"), pq.read_table(tmp_path / "rows.parquet")
    assert columns.schema == DECISION_SCHEMA and columns.num_rows == 4
    assert columns.to_pylist() == rows.to_pylist()
    errors = _lines(tmp_path / "cols.errors.jsonl")
    assert errors == _lines(tmp_path / "rows.errors.jsonl")
    assert [e["row"] for e in errors] == [5] and errors[0]["record_id"] == "C-1005"


def test_parquet_decisions_are_the_json_decisions(tmp_path):
    """Each Parquet decision row is the JSON decision of the same record, in the published schema."""
    pq.write_table(_table(_records(EXAMPLES / "complaints.jsonl")), tmp_path / "in.parquet")
    assert main(["eval", DEALER, str(tmp_path / "in.parquet"), "-o", str(tmp_path / "d.parquet")]) == 1
    assert main(["eval", DEALER, str(tmp_path / "in.parquet"), "-o", str(tmp_path / "d.jsonl")]) == 1
    policy = load(DEALER)
    from complaint_rules.engine.decision import Decision

    json_rows = [decision_record(Decision.model_validate(d)) for d in _lines(tmp_path / "d.jsonl")]
    assert pq.read_table(tmp_path / "d.parquet").to_pylist() == json_rows
    assert all(r["policy_id"] == policy.ir.header.id for r in json_rows)


def test_arrow_ipc_streams_in_small_batches_and_loses_no_row(tmp_path, capsys):
    rows = _svw_rows(50)
    rows[7]["category"] = "nonsense"
    rows[31]["received_at"] = None
    with ipc.new_file(tmp_path / "in.arrow", pa.Table.from_pylist(rows).schema) as w:
        w.write_table(pa.Table.from_pylist(rows))
    assert [b.num_rows for b in read_batches(tmp_path / "in.arrow", 16)] == [16, 16, 16, 2]
    code = main(["eval", SVW, str(tmp_path / "in.arrow"), "-o", str(tmp_path / "out.arrow"), "--batch-size", "16"])
    assert code == 1
    assert "50 records in, 48 decisions, 2 errors" in capsys.readouterr().err
    out = ipc.open_file(tmp_path / "out.arrow").read_all()
    errors = _lines(tmp_path / "out.errors.jsonl")
    assert [e["row"] for e in errors] == [8, 32]
    assert errors[0]["record_id"] == "S-7" and errors[0]["errors"][0]["field"] == "category"
    assert errors[1]["errors"] == [{"field": "received_at", "message": "required"}]
    ids = out.column("record_id").to_pylist()
    assert len(ids) + len(errors) == 50 and ids == [r["id"] for k, r in enumerate(rows) if k not in (7, 31)]
    policy = load(SVW)
    assert out.to_pylist() == [decision_record(policy.evaluate(r)) for k, r in enumerate(rows) if k not in (7, 31)]


def test_incomplete_decisions_are_warning_rows_and_strict_makes_them_errors(tmp_path, capsys):
    pq.write_table(_table(_records(EXAMPLES / "late-complaints.jsonl")), tmp_path / "late.parquet")
    assert main(["eval", DEALER, str(tmp_path / "late.parquet"), "-o", str(tmp_path / "late.parquet.out.parquet")]) == 3
    warnings = _lines(tmp_path / "late.parquet.out.errors.jsonl")
    assert [w["row"] for w in warnings] == [2] and warnings[0]["warnings"][0]["year"] == 2027
    assert main(["eval", DEALER, str(EXAMPLES / "late-complaints.jsonl"), "-o", str(tmp_path / "rows.jsonl")]) == 3
    assert warnings == _lines(tmp_path / "rows.errors.jsonl")
    assert main(["eval", DEALER, str(tmp_path / "late.parquet"), "-o", str(tmp_path / "s.parquet"), "--strict"]) == 1
    assert "3 records in, 2 decisions, 1 error" in capsys.readouterr().err
    assert pq.read_table(tmp_path / "s.parquet").num_rows == 2


def test_cfpb_parquet_with_the_column_mapping(tmp_path, capsys):
    """A mapping that renames only is applied to the columns; one with formats goes row by row: the same."""
    mapping = ColumnMap.load(ROOT / "policies" / "finance" / "cfpb-columns.json")
    import csv

    with open(EXAMPLES / "cfpb_complaints_sample.csv", encoding="utf-8") as f:
        raw = [{k: v or None for k, v in r.items()} for r in csv.DictReader(f)]  # an empty cell: missing
    pq.write_table(pa.Table.from_pylist(raw), tmp_path / "cfpb.parquet")
    columns = str(ROOT / "policies" / "finance" / "cfpb-columns.json")
    policy = str(ROOT / "policies" / "finance" / "cfpb-bank.policy")
    assert main(["eval", policy, str(tmp_path / "cfpb.parquet"), "--columns", columns, "-o", str(tmp_path / "a.parquet")]) == 0
    assert main(["eval", policy, str(EXAMPLES / "cfpb_complaints_sample.csv"), "--columns", columns,
                 "-o", str(tmp_path / "b.parquet")]) == 0  # fmt: skip
    assert pq.read_table(tmp_path / "a.parquet").to_pylist() == pq.read_table(tmp_path / "b.parquet").to_pylist()
    # The mapped records as typed columns, named by fields: decided in columns.
    with open(EXAMPLES / "cfpb_complaints_sample.csv", "rb") as f:
        records = [r.record for r in read_csv(f, mapping)]
    keys = list(dict.fromkeys(k for r in records for k in r))
    pq.write_table(pa.table({k: [r.get(k) for r in records] for k in keys}), tmp_path / "typed.parquet")
    assert main(["eval", policy, str(tmp_path / "typed.parquet"), "-o", str(tmp_path / "c.parquet")]) == 0
    assert pq.read_table(tmp_path / "c.parquet").to_pylist() == pq.read_table(tmp_path / "b.parquet").to_pylist()
    assert "349 records in, 349 decisions, 0 errors" in capsys.readouterr().err


def test_a_failed_run_leaves_no_output(tmp_path):
    out = DecisionWriter(tmp_path / "x.parquet")
    with pytest.raises(RuntimeError), out:
        out.write(pa.Table.from_pylist([], schema=DECISION_SCHEMA))
        raise RuntimeError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_run_arrow_counts_every_row(tmp_path):
    rows = _svw_rows(30)
    for k, r in enumerate(rows):
        r["departments"] = "many" if k == 3 else str(k % 3)
    pq.write_table(_table(rows), tmp_path / "in.parquet")
    import io

    errors = io.StringIO()
    with DecisionWriter(tmp_path / "o.parquet") as out:
        summary = run_arrow(load(SVW), str(tmp_path / "in.parquet"), out, errors, batch_size=7)
    assert (summary.records, summary.decisions, summary.errors) == (30, 29, 1)
    assert isinstance(summary, BatchSummary)
    assert json.loads(errors.getvalue())["errors"][0]["field"] == "departments"
