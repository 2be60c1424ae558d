"""Parquet and Arrow IPC batches: records in as Arrow record batches, decisions out in the published schema.

Beside :mod:`.batch` (JSONL and CSV). Records are read batch by batch (``batch_size`` rows at a time),
decided by the columnar engine (:mod:`.engine.columnar`) and written batch by batch, so memory stays
bounded whatever the size of the file. Every input row comes out as a decision (in the decisions file,
:data:`~.engine.arrow_decision.DECISION_SCHEMA`) or as an error row (JSON lines, as :mod:`.batch` writes
them, with ``line`` the row's number); an incomplete decision is also listed there as a warning row.
Needs ``pyarrow`` (the ``columnar`` extra).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import ipc

from .batch import BatchSummary, ColumnMap, Row, error_line, error_row, input_kind, read_rows
from .engine.arrow_decision import DECISION_SCHEMA, PLAIN_SCHEMA, decision_record
from .engine.columnar import ColumnarPolicy
from .errors import ComplaintRulesError, RecordError

__all__ = [
    "ARROW_SUFFIXES",
    "BATCH_SIZE",
    "DecisionWriter",
    "arrow_kind",
    "arrow_rows",
    "read_batches",
    "run_arrow",
]

ARROW_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow", ".ipc": "arrow", ".feather": "arrow"}
BATCH_SIZE = 65_536  # rows per record batch read, decided and written at once


def arrow_kind(path: str | None) -> str | None:
    """``parquet`` or ``arrow`` (IPC file or stream) from a file name; None for other files and ``-``."""
    if path is None or path == "-":
        return None
    return ARROW_SUFFIXES.get(Path(path).suffix.lower())


def read_batches(path: str | Path, batch_size: int = BATCH_SIZE) -> Iterator[pa.RecordBatch]:
    """The record batches of a Parquet file or an Arrow IPC file (or stream), at most ``batch_size`` rows each."""
    kind = arrow_kind(str(path))
    if kind == "parquet":
        with pq.ParquetFile(path) as f:
            yield from f.iter_batches(batch_size=batch_size)
        return
    if kind != "arrow":
        raise ValueError(f"{path}: not a Parquet or Arrow IPC file (expected {', '.join(ARROW_SUFFIXES)})")
    with pa.memory_map(str(path)) as source:
        try:
            reader: Any = ipc.open_file(source)
            batches: Iterable[pa.RecordBatch] = (reader.get_batch(i) for i in range(reader.num_record_batches))
        except pa.ArrowInvalid:
            source.seek(0)
            batches = ipc.open_stream(source)
        for batch in batches:
            for start in range(0, batch.num_rows, batch_size):
                yield batch.slice(start, batch_size)


def _renamed(batch: pa.RecordBatch, mapping: ColumnMap | None) -> pa.RecordBatch:
    """``batch`` with its columns named by record fields (a mapping that only renames columns)."""
    if mapping is None:
        return batch
    names, arrays = [], []
    for name, array in zip(batch.schema.names, batch.columns):
        field = mapping.field_of(name)
        if field is not None:
            names.append(field)
            arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _renames_only(mapping: ColumnMap | None) -> bool:
    return mapping is None or not (mapping.formats or mapping.values or mapping.timezone)


def arrow_rows(path: str | Path, mapping: ColumnMap | None = None, batch_size: int = BATCH_SIZE) -> Iterator[Row]:
    """The records of a Parquet or Arrow file as :class:`~.batch.Row` s (``line`` is the row's number),
    for the row-by-row path (decisions as JSON lines)."""
    number = 0
    for batch in read_batches(path, batch_size):
        for data in batch.to_pylist():
            number += 1
            record = {k: v for k, v in data.items() if v is not None}
            if mapping is not None:
                record, problems = mapping.apply(record)
                if problems:
                    yield Row(number, number, None, list(problems), _rid(record))
                    continue
            yield Row(number, number, record, record_id=_rid(record))


def _rid(record: dict[str, Any] | None) -> str | None:
    return None if not record or record.get("id") is None else str(record["id"])


class DecisionWriter:
    """Decisions to a Parquet or Arrow IPC file, batch by batch; the file appears whole, when closed.

    Written to a temporary file beside ``path`` and renamed onto it by :meth:`close`; :meth:`abort`
    (or leaving the ``with`` block by an exception) removes it and leaves no ``path``.
    """

    def __init__(self, path: str | Path, kind: str | None = None):
        self.path = Path(path)
        self.kind = kind or arrow_kind(str(path))
        if self.kind not in ("parquet", "arrow"):
            raise ValueError(f"{path}: decisions are written as .parquet or .arrow")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.temp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent)
        os.close(fd)
        if self.kind == "parquet":
            self._writer: Any = pq.ParquetWriter(self.temp, DECISION_SCHEMA, compression="zstd")
        else:  # an IPC file allows one dictionary per column: plain strings
            self._writer = ipc.new_file(self.temp, PLAIN_SCHEMA)

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table if self.kind == "parquet" else table.cast(PLAIN_SCHEMA))

    def close(self) -> None:
        self._writer.close()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp)

    def __enter__(self) -> DecisionWriter:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None or issubclass(kind, KeyboardInterrupt):
            self.close()  # an interrupt keeps the whole batches written so far
        else:
            self.abort()


def _error(row: Row, exc: BaseException) -> dict[str, Any]:
    """The error row of a record the engine refused (as :func:`.batch.decide` words it)."""
    if isinstance(exc, RecordError):
        return error_row(row, exc.problems, exc.record_id)
    if isinstance(exc, ComplaintRulesError):
        return error_row(row, [(None, str(exc))], getattr(exc, "record_id", None))
    return error_row(row, [(None, f"internal error: {type(exc).__name__}: {str(exc)[:500]}")])


def run_arrow(
    policy: Any,
    source: str,
    out: DecisionWriter,
    errors: IO[str],
    now: dt.datetime | None = None,
    *,
    mapping: ColumnMap | None = None,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    summary: BatchSummary | None = None,
) -> BatchSummary:
    """Decide every record of ``source`` (Parquet, Arrow, JSONL or CSV) into ``out``; error and warning rows
    go to ``errors`` as JSON lines. Arrow input is decided in columns, other input row by row."""
    summary = summary if summary is not None else BatchSummary()
    if arrow_kind(source) is not None and _renames_only(mapping):
        engine = ColumnarPolicy(policy.compiled)
        start = 1
        for batch in read_batches(source, batch_size):
            batch = _renamed(batch, mapping)
            result = engine.decide(batch, now, strict=strict)
            decided = result.decisions  # with ``strict`` an incomplete decision is among the errors already
            out.write(decided)
            lines = [(start + i, error_line(_error(Row(start + i, start + i, None), exc))) for i, exc in result.errors]
            warned = [(row["row"], error_line(row)) for row in _incomplete(decided, result.rows, start)]
            for _, line in sorted(lines + warned):
                errors.write(line + "\n")
            summary.records += batch.num_rows
            summary.decisions += decided.num_rows
            summary.errors += len(result.errors)
            summary.incomplete += len(warned)
            start += batch.num_rows
        return summary
    if arrow_kind(source) is not None:
        rows: Iterable[Row] = arrow_rows(source, mapping, batch_size)
    else:
        kind = input_kind(source)
        with open(source, "rb") as stream:
            return _decide_all(policy, read_rows(stream, kind, mapping), out, errors, now, strict, batch_size, summary)
    return _decide_all(policy, rows, out, errors, now, strict, batch_size, summary)


def _decide_all(policy: Any, rows: Iterable[Row], out: DecisionWriter, errors: IO[str], now: dt.datetime | None,
                strict: bool, batch_size: int, summary: BatchSummary) -> BatchSummary:  # fmt: skip
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch_size:
            _decide_rows(policy, chunk, out, errors, now, strict, summary)
            chunk = []
    _decide_rows(policy, chunk, out, errors, now, strict, summary)
    return summary


def _incomplete(decided: pa.Table, rows: Any, start: int) -> Iterator[dict[str, Any]]:
    """The warning rows of the incomplete decisions among ``decided`` (the rows the row engine decided)."""
    lengths = pc.list_value_length(decided.column("problems")).to_numpy(zero_copy_only=False)
    for k in np.flatnonzero(lengths > 0).tolist():
        number = start + int(rows[k])
        found = decided.column("problems")[k].as_py()
        yield {"row": number, "line": number, "record_id": decided.column("record_id")[k].as_py(), "warnings": found}


def _decide_rows(policy: Any, rows: list[Row], out: DecisionWriter, errors: IO[str], now: dt.datetime | None,
                 strict: bool, summary: BatchSummary) -> None:  # fmt: skip
    """Rows of JSONL or CSV (or Arrow through a transforming mapping), decided one by one, written as a batch."""
    records = []
    for row in rows:
        summary.records += 1
        if row.record is None:
            errors.write(error_line(error_row(row, row.problems)) + "\n")
            summary.errors += 1
            continue
        try:
            decision = policy.evaluate(row.record, now=now, strict=strict)
        except Exception as exc:  # noqa: BLE001 - a bug on one record must not lose the rest of the batch
            errors.write(error_line(_error(row, exc)) + "\n")
            summary.errors += 1
            continue
        records.append(decision_record(decision))
        summary.decisions += 1
        if decision.problems:
            errors.write(error_line({"row": row.number, "line": row.line, "record_id": decision.record_id,
                                     "warnings": [p.model_dump(mode="json") for p in decision.problems]}) + "\n")
            summary.incomplete += 1
    if records:
        out.write(pa.Table.from_pylist(records, schema=DECISION_SCHEMA))
