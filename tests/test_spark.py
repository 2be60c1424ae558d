"""complaint_rules.spark on a local Spark session: the same decisions as the single-process path."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

from complaint_rules import load
from complaint_rules.batch import ColumnMap, read_csv
from complaint_rules.engine.arrow_decision import PLAIN_SCHEMA, decision_record
from complaint_rules.spark import ARROW_SCHEMA, decide, spark_schema, split

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # a local session: loopback only
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers import complaint_rules from this environment
    session = (SparkSession.builder.master("local[2]").appName("complaint-rules-test")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())  # fmt: skip
    yield session
    session.stop()


def _cfpb() -> pa.Table:
    mapping = ColumnMap.load(ROOT / "policies" / "finance" / "cfpb-columns.json")
    with open(ROOT / "examples" / "cfpb_complaints_sample.csv", "rb") as f:
        records = [r.record for r in read_csv(f, mapping)]
    keys = list(dict.fromkeys(k for r in records for k in r))
    return pa.table({k: [r.get(k) for r in records] for k in keys})


def _plain(row: dict) -> dict:
    """A decision row as Spark gives it back: times as naive UTC... made comparable (aware UTC)."""
    def fix(v):
        if isinstance(v, dt.datetime):
            return v.replace(tzinfo=dt.timezone.utc) if v.tzinfo is None else v.astimezone(dt.timezone.utc)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return {k: fix(v) for k, v in row.items()}


def test_spark_decides_the_cfpb_sample_as_evaluate(spark):
    table = _cfpb()
    policy = load(ROOT / "policies" / "finance" / "cfpb-bank.policy")
    now = dt.datetime(2016, 10, 1, 9, tzinfo=dt.timezone.utc)
    df = spark.createDataFrame(table).repartition(3)
    result = decide(df, policy, now)
    assert result.schema == spark_schema()
    got = {r["record_id"]: _plain(r.asDict(recursive=True)) for r in result.collect()}
    want = {}
    for raw in table.to_pylist():
        d = decision_record(policy.evaluate({k: v for k, v in raw.items() if v is not None}, now=now))
        want[d["record_id"]] = _plain(pa.Table.from_pylist([d], schema=PLAIN_SCHEMA).to_pylist()[0])
    assert len(got) == table.num_rows
    for rid, row in want.items():
        assert {k: v for k, v in got[rid].items() if k != "error"} == row, rid
        assert got[rid]["error"] is None


def test_error_rows_come_back_in_a_second_dataframe(spark):
    policy = load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    rows = [("A", "2026-03-02T10:00+08:00", "other"), ("B", "yesterday", "other"), ("C", "2026-03-02T10:00+08:00", "nonsense")]
    df = spark.createDataFrame(rows, ["id", "received_at", "category"])
    decisions, errors = split(decide(df, policy))
    assert [r["record_id"] for r in decisions.collect()] == ["A"]
    found = {r["record_id"]: json.loads(r["error"]) for r in errors.collect()}
    assert set(found) == {"B", "C"}
    assert found["B"][0]["field"] == "received_at" and found["C"][0]["field"] == "category"
    assert "error" in ARROW_SCHEMA.names
