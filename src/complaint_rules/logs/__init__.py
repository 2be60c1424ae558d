"""Decision logs: every decision with its id, the digest of its input and the input, personal data masked.

:func:`logged` decides a record and makes its :class:`LogEntry`; a :class:`Sink` keeps entries (JSON
lines, SQLite, PostgreSQL; :func:`open_log` picks one from a target); :func:`log_records` does both for
many records. ``complaint_rules.compare.replay`` decides logged inputs again. See docs/logs.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from ..errors import ComplaintRulesError
from ..versions import PolicySet
from .entry import LogEntry, decision_id, input_digest, is_masked, logged, masked_input, replayable
from .sinks import JsonlSink, LogError, PostgresSink, Sink, SqliteSink, open_log

__all__ = [
    "JsonlSink",
    "LogEntry",
    "LogError",
    "PostgresSink",
    "Sink",
    "SqliteSink",
    "decision_id",
    "input_digest",
    "is_masked",
    "log_records",
    "logged",
    "masked_input",
    "open_log",
    "replayable",
]

BATCH = 500  # entries written per transaction


def log_records(
    policy: Any,
    records: Iterable[Any],
    sink: Sink,
    now: dt.datetime | None = None,
    *,
    key: bytes | None = None,
) -> tuple[int, list[tuple[str | None, str]]]:
    """Decide and log every record; (entries written, [(record id, why) for records that could not be
    decided]). ``records`` yields dicts or :class:`~complaint_rules.batch.Row` objects. ``policy`` is a
    Policy, or a :class:`~complaint_rules.versions.PolicySet`: each record is then decided and logged under
    the version in force at its ``received_at``."""
    written = 0
    failed: list[tuple[str | None, str]] = []
    batch: list[LogEntry] = []
    for item in records:
        record = item if isinstance(item, dict) else getattr(item, "record", item)
        rid = getattr(item, "record_id", None) or (record.get("id") if isinstance(record, dict) else None)
        if record is None:
            problems = "; ".join(str(m) for _, m in getattr(item, "problems", ()) or ())
            failed.append((rid, "unreadable row" + (f": {problems}" if problems else "")))
            continue
        try:
            version = policy.version_for(record) if isinstance(policy, PolicySet) else policy
            batch.append(logged(version, record, now, key=key))
        except ComplaintRulesError as exc:
            failed.append((rid, str(exc).splitlines()[0]))
            continue
        if len(batch) >= BATCH:
            written += sink.write_many(batch)
            batch = []
    if batch:
        written += sink.write_many(batch)
    return written, failed
