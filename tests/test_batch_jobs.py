"""``run_batch(jobs=N)`` and ``eval --jobs N``: worker processes, the same output in the same order, no row lost."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules import batch, workers
from complaint_rules.batch import ColumnMap, jsonl_lines, run_batch
from complaint_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEALER = ROOT / "examples" / "dealer.policy"
NOW = dt.datetime.fromisoformat("2026-12-02T13:00+08:00")
CATEGORIES = ("product_quality", "sales_service", "after_sales", "warranty")


def mixed_input(n: int) -> bytes:
    """Good records, bad records, lines that are not JSON or not objects, blank lines, bad bytes, a BOM."""
    lines = []
    for i in range(n):
        kind = i % 11
        if kind == 3:
            lines.append(b'{"id": "m%d", "category": ' % i)
        elif kind == 5:
            lines.append(b'["not", "an", "object"]')
        elif kind == 7:
            lines.append(b"")
        elif kind == 9:
            lines.append(b'{"id": "x%d", "description": "\xff\xfe"}' % i)
        else:
            record = {"id": f"r{i}", "category": CATEGORIES[i % 4], "claimed_amount": (i * 37) % 9000,
                      "received_at": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:15:00+08:00"}
            if i % 13 == 0:
                record["received_at"] = "2026-11-07"  # naive: a bad record
            lines.append(json.dumps(record).encode())
    return b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"


def run(policy, data: bytes, jobs: int, mapping=None):
    out, errors = io.StringIO(), io.StringIO()
    summary = run_batch(policy, jsonl_lines(io.BytesIO(data)), out, errors, jobs=jobs, mapping=mapping,
                        now=NOW)
    return out.getvalue(), errors.getvalue(), summary


@pytest.fixture(scope="module")
def dealer():
    return complaint_rules.load(DEALER)


@pytest.mark.parametrize("chunk", [1, 7, 256])
def test_workers_write_what_one_process_writes(dealer, monkeypatch, chunk):
    monkeypatch.setattr(workers, "CHUNK", chunk)
    data = mixed_input(300)
    serial = run(dealer, data, 1)
    parallel = run(dealer, data, 2)
    assert parallel[0] == serial[0] and parallel[1] == serial[1]
    s = parallel[2]
    assert (s.records, s.decisions, s.errors) == (serial[2].records, serial[2].decisions, serial[2].errors)
    assert s.records == s.decisions + s.errors == 300 - len(range(7, 300, 11))  # blank lines are no records
    assert s.errors > 50 and s.decisions > 100
    ids = [json.loads(line)["record_id"] for line in parallel[0].splitlines()]
    assert ids == sorted(ids, key=lambda r: int(r[1:]))  # input order


def test_rows_read_elsewhere_and_a_mapping_go_to_the_workers(dealer):
    mapping = ColumnMap(columns={"kind": "category"}, keep_unmapped=True)
    data = b"\n".join(json.dumps({"id": f"k{i}", "kind": CATEGORIES[i % 3],
                                  "received_at": "2026-09-30T17:00:00+08:00"}).encode() for i in range(40))
    serial, parallel = run(dealer, data, 1, mapping), run(dealer, data, 3, mapping)
    assert serial[:2] == parallel[:2] and parallel[2].decisions == 40
    rows = list(batch.read_jsonl(io.BytesIO(data), mapping))  # Rows parsed beforehand work too
    out = io.StringIO()
    run_batch(dealer, rows, out, io.StringIO(), jobs=2,
              now=NOW)
    assert out.getvalue() == serial[0]


class DiesOn:
    """A policy whose evaluation kills the process on one record id (a segfault, the OOM killer)."""

    def __init__(self, policy, fatal: str):
        self.policy, self.fatal, self.parent = policy, fatal, os.getpid()

    @property
    def compiled(self):
        return self.policy.compiled

    def evaluate(self, record, now=None, strict=False):
        if record.get("id") == self.fatal and os.getpid() != self.parent:
            os._exit(9)
        return self.policy.evaluate(record, now=now, strict=strict)


def test_a_worker_that_dies_loses_no_row(dealer, monkeypatch):
    monkeypatch.setattr(workers, "CHUNK", 10)
    data = mixed_input(400)
    out, errors, summary = run(DiesOn(dealer, "r24"), data, 2)
    good_out, good_errors, good = run(dealer, data, 1)
    assert summary.records == good.records == summary.decisions + summary.errors
    lost = [json.loads(line) for line in errors.splitlines() if "worker process" in line]
    assert any(row["record_id"] == "r24" for row in lost)
    # The chunk holding r24 (rows 21-30: records numbered without the blank lines) is all error rows.
    assert {row["row"] for row in lost} >= set(range(21, 31))
    assert all(row["errors"][0]["message"].startswith("internal error: the worker process") for row in lost)
    # Every other row is what one process writes, in the same order.
    lost_rows = {row["row"] for row in lost}
    decided = [line for line in out.splitlines()]
    expected = [line for line in good_out.splitlines()]
    assert set(decided) <= set(expected) and len(expected) - len(decided) == len(
        [r for r in lost_rows if r not in {json.loads(e)["row"] for e in good_errors.splitlines()}])
    assert decided == [line for line in expected if line in set(decided)]
    assert expected[-1] == decided[-1]  # the rows after the dead worker's were decided


def test_eval_jobs_on_the_command_line(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_bytes(mixed_input(120))
    outs = []
    for jobs in ("1", "2", "0"):
        out = tmp_path / f"d{jobs}.jsonl"
        assert main(["eval", str(DEALER), str(source), "-o", str(out), "--jobs", jobs,
                     "--now", "2026-12-02T13:00+08:00"]) == 1
        assert capsys.readouterr().err.startswith("109 records in, ")
        outs.append((out.read_bytes(), out.with_name(f"d{jobs}.errors.jsonl").read_bytes()))
    assert outs[0] == outs[1] == outs[2] and outs[0][0].count(b"\n") > 50


@pytest.mark.parametrize("value, message", [("-1", "cannot be negative"), ("two", "not a number")])
def test_eval_jobs_must_be_a_count(tmp_path, capsys, value, message):
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    assert main(["eval", str(DEALER), str(source), "--jobs", value]) == 2
    assert message in capsys.readouterr().err


def test_eval_jobs_with_csv(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,category,received_at\n" + "".join(
        f"c{i},{CATEGORIES[i % 4]},2026-09-{1 + i % 28:02d}T10:00:00+08:00\n" for i in range(60)) + "c60,oops\n",
        encoding="utf-8")
    results = []
    for jobs in ("1", "2"):
        out = tmp_path / f"c{jobs}.jsonl"
        assert main(["eval", str(DEALER), str(source), "-o", str(out), "--jobs", jobs]) == 1
        results.append((out.read_bytes(), out.with_name(f"c{jobs}.errors.jsonl").read_bytes()))
    capsys.readouterr()
    assert results[0] == results[1] and results[0][1].count(b"\n") == 16  # 15 warranty rows and c60
