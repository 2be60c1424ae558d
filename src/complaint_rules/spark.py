"""Deciding a Spark DataFrame where it lives: the columnar engine in every executor, through ``mapInArrow``.

The policy is broadcast once (the :class:`~complaint_rules.policy.Policy` pickles as its checked IR, calendar
data included, and is compiled again in each executor process, once); each partition's Arrow record
batches are decided by :class:`~complaint_rules.engine.columnar.ColumnarPolicy` and come back as Arrow
batches: never a Python function per row. The result has the decision's columns (:data:`SCHEMA`, the
Arrow schema of ``docs/columnar.md`` with plain strings) and an ``error`` column: null for a decision, the
JSON list of ``{"field", "message"}`` for a row that could not be decided, with the record id in
``record_id``; :func:`split` makes two DataFrames of them. Needs ``pyspark`` (the ``spark`` extra).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pyarrow as pa

from .engine.arrow_decision import PLAIN_SCHEMA
from .engine.columnar import ColumnarPolicy
from .errors import ComplaintRulesError, RecordError

__all__ = ["ARROW_SCHEMA", "decide", "decide_batches", "spark_schema", "split"]

# The decision's columns and the error column, as Arrow batches leave the executors.
ARROW_SCHEMA = pa.schema([*PLAIN_SCHEMA, pa.field("error", pa.string())])
_ENGINES: dict[str, ColumnarPolicy] = {}  # fingerprint -> the engine, compiled once per executor process


def spark_schema():
    """The result's Spark ``StructType``: the decision's columns and ``error``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(ARROW_SCHEMA)


def _problems(exc: BaseException) -> tuple[str | None, list[dict[str, Any]]]:
    if isinstance(exc, RecordError):
        return exc.record_id, [{"field": name, "message": text} for name, text in exc.problems]
    if isinstance(exc, ComplaintRulesError):
        return getattr(exc, "record_id", None), [{"field": None, "message": str(exc)}]
    return None, [{"field": None, "message": f"internal error: {type(exc).__name__}: {str(exc)[:500]}"}]


def decide_batches(engine: ColumnarPolicy, batches: Any, now: dt.datetime | None = None,
                   strict: bool = False) -> Any:  # fmt: skip
    """Each record batch decided, as one batch of :data:`ARROW_SCHEMA` with a row per input row, in order."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        result = engine.decide(batch, now, strict=strict)
        decided = result.decisions.cast(PLAIN_SCHEMA)
        decided = decided.append_column("error", pa.nulls(decided.num_rows, pa.string()))
        parts, order = [decided], [result.rows]
        if result.errors:
            rows = []
            for _, exc in result.errors:
                record_id, problems = _problems(exc)
                rows.append({"record_id": record_id, "error": json.dumps(problems, ensure_ascii=False)})
            parts.append(pa.Table.from_pylist(rows, schema=ARROW_SCHEMA))
            order.append(np.array([i for i, _ in result.errors], dtype=np.int64))
        table = pa.concat_tables(parts)
        sort = np.argsort(np.concatenate(order), kind="stable")
        yield from table.take(pa.array(sort)).combine_chunks().to_batches()


def decide(df: Any, policy: Any, now: dt.datetime | None = None, *, strict: bool = False) -> Any:
    """``df`` (columns named by record fields) decided: a DataFrame of :func:`spark_schema`, one row per row."""
    spark = df.sparkSession
    shared = spark.sparkContext.broadcast(policy)
    fingerprint = policy.compiled.fingerprint

    def run(batches):
        engine = _ENGINES.get(fingerprint)
        if engine is None:
            loaded = shared.value
            if loaded.compiled.fingerprint != fingerprint:  # pragma: no cover - a different library version
                raise RuntimeError("the executor compiled a different policy than the driver")
            engine = _ENGINES[fingerprint] = ColumnarPolicy(loaded.compiled)
        yield from decide_batches(engine, batches, now, strict)

    return df.mapInArrow(run, spark_schema())


def split(result: Any) -> tuple[Any, Any]:
    """``(decisions, errors)`` of a :func:`decide` result: the decisions' columns, and ``record_id`` with ``error``."""
    from pyspark.sql import functions as F

    decisions = result.where(F.col("error").isNull()).drop("error")
    errors = result.where(F.col("error").isNotNull()).select("record_id", "error")
    return decisions, errors
