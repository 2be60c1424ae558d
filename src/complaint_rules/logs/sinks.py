"""Where decision logs go: JSON lines, SQLite (the embedded default) or PostgreSQL, behind one interface.

A sink writes :class:`~.entry.LogEntry` objects and reads them back in the order written. Writing an
entry whose ``decision_id`` is already in the log does nothing: the same policy version, input and time
make the same decision, so logging it twice is logging it once. (JSONL is an append-only file and keeps
what it is given; reading it skips repeated ids.)
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ComplaintRulesError
from .entry import LogEntry, entries_of

COLUMNS = (
    "decision_id", "policy_id", "policy_version", "fingerprint", "policy_path", "record_id", "received_at",
    "evaluated_at", "input_digest", "input", "decision",
)  # fmt: skip


class LogError(ComplaintRulesError):
    """A decision log that cannot be opened, written or read: names the log and why."""


def _row(e: LogEntry) -> tuple:
    return (e.decision_id, e.policy_id, e.policy_version, e.fingerprint, e.policy_path, e.record_id, e.received_at,
            e.evaluated_at, e.input_digest, _json(e.input), e.decision.model_dump_json())  # fmt: skip


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _entry(row: tuple) -> LogEntry:
    import json

    values = dict(zip(COLUMNS, row))
    values["input"] = json.loads(values["input"]) if isinstance(values["input"], str) else values["input"]
    values["decision"] = (
        values["decision"] if isinstance(values["decision"], dict) else json.loads(values["decision"])
    )
    return LogEntry.model_validate(values)


class Sink:
    """A decision log: ``write`` entries, iterate them back; a context manager that closes it."""

    name: str = "<log>"

    def write(self, entry: LogEntry) -> None:
        self.write_many([entry])

    def write_many(self, entries: Iterable[LogEntry]) -> int:
        """Write entries (in one transaction where the store has them); how many were given."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[LogEntry]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsonlSink(Sink):
    """One JSON object per line, appended to a file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.name = os.fspath(path)

    def write_many(self, entries: Iterable[LogEntry]) -> int:
        n = 0
        try:
            with self.path.open("a", encoding="utf-8") as out:
                for e in entries:
                    out.write(e.model_dump_json() + "\n")
                    n += 1
        except OSError as exc:
            raise LogError(f"{self.name}: cannot write the log: {exc.strerror or exc}") from None
        return n

    def __iter__(self) -> Iterator[LogEntry]:
        seen: set[str] = set()
        try:
            with self.path.open(encoding="utf-8") as stream:
                for entry in _checked(entries_of(stream), self.name):
                    if entry.decision_id not in seen:  # logged twice is logged once, as in the databases
                        seen.add(entry.decision_id)
                        yield entry
        except OSError as exc:
            raise LogError(f"{self.name}: cannot read the log: {exc.strerror or exc}") from None


def _checked(entries: Iterable[LogEntry], name: str) -> Iterator[LogEntry]:
    from pydantic import ValidationError

    it = iter(entries)
    n = 0
    while True:
        n += 1
        try:
            entry = next(it)
        except StopIteration:
            return
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "the entry"
            raise LogError(f"{name}: entry {n} is not a decision log entry: {where}: {first.get('msg')}") from None
        except ValueError as exc:
            raise LogError(f"{name}: entry {n} is not a decision log entry: {str(exc).splitlines()[0]}") from None
        yield entry


_CREATE = (
    "CREATE TABLE IF NOT EXISTS decisions (seq {serial}, decision_id TEXT NOT NULL UNIQUE, policy_id TEXT NOT NULL, "
    "policy_version TEXT, fingerprint TEXT, policy_path TEXT, record_id TEXT, received_at TEXT, evaluated_at TEXT, "
    "input_digest TEXT NOT NULL, input {json} NOT NULL, decision {json} NOT NULL)"
)
_INDEX = "CREATE INDEX IF NOT EXISTS decisions_record ON decisions (record_id)"


class SqliteSink(Sink):
    """A table ``decisions`` in an SQLite file (stdlib ``sqlite3``), one row per decision, indexed by
    decision id and record id."""

    def __init__(self, path: str | os.PathLike):
        self.name = os.fspath(path)
        try:
            self.db = sqlite3.connect(self.name)
            self.db.execute(_CREATE.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", json="TEXT"))
            self.db.execute(_INDEX)
            self.db.commit()
        except sqlite3.Error as exc:
            raise LogError(f"{self.name}: cannot open the SQLite log: {exc}") from None

    def write_many(self, entries: Iterable[LogEntry]) -> int:
        rows = [_row(e) for e in entries]
        marks = ", ".join("?" * len(COLUMNS))
        try:
            with self.db:
                self.db.executemany(
                    f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({marks}) ON CONFLICT (decision_id) DO NOTHING",
                    rows,
                )
        except sqlite3.Error as exc:
            raise LogError(f"{self.name}: cannot write the log: {exc}") from None
        return len(rows)

    def __iter__(self) -> Iterator[LogEntry]:
        try:
            cursor = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM decisions ORDER BY seq")
            rows = iter(cursor)
        except sqlite3.Error as exc:
            raise LogError(f"{self.name}: cannot read the log: {exc}") from None
        yield from _checked(map(_entry, rows), self.name)

    def close(self) -> None:
        self.db.close()


class PostgresSink(Sink):
    """The same table in PostgreSQL (``psycopg`` 3, ``pip install complaint-rules[postgres]``); input and
    decision as ``jsonb``, so a database can query them."""

    def __init__(self, dsn: str):
        self.name = _hide_password(dsn)
        try:
            import psycopg
        except ImportError:
            raise LogError(f"{self.name}: a PostgreSQL log needs psycopg: pip install 'psycopg[binary]'") from None
        self._errors = psycopg.Error
        try:
            self.db = psycopg.connect(dsn, autocommit=True)  # writes take explicit transactions
            with self.db.transaction():
                self.db.execute(_CREATE.format(serial="BIGSERIAL PRIMARY KEY", json="JSONB"))
                self.db.execute(_INDEX)
        except psycopg.Error as exc:
            raise LogError(f"{self.name}: cannot open the PostgreSQL log: {_one_line(exc)}") from None

    def write_many(self, entries: Iterable[LogEntry]) -> int:
        rows = [_row(e) for e in entries]
        marks = ", ".join(["%s"] * len(COLUMNS))
        try:
            with self.db.transaction(), self.db.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO decisions ({', '.join(COLUMNS)}) VALUES ({marks}) ON CONFLICT (decision_id) DO NOTHING",
                    rows,
                )
        except self._errors as exc:
            raise LogError(f"{self.name}: cannot write the log: {_one_line(exc)}") from None
        return len(rows)

    def __iter__(self) -> Iterator[LogEntry]:
        try:
            with self.db.cursor() as cur:
                cur.execute(f"SELECT {', '.join(COLUMNS)} FROM decisions ORDER BY seq")
                rows = cur.fetchall()
        except self._errors as exc:
            raise LogError(f"{self.name}: cannot read the log: {_one_line(exc)}") from None
        yield from _checked(map(_entry, rows), self.name)

    def close(self) -> None:
        self.db.close()


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def _hide_password(dsn: str) -> str:
    import re

    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", dsn)


def open_log(target: str | os.PathLike) -> Sink:
    """The sink for a target: ``postgresql://...`` (or ``postgres://``), a ``.jsonl`` file, or else an
    SQLite file (the default)."""
    text = os.fspath(target)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresSink(text)
    if text.endswith((".jsonl", ".ndjson")):
        return JsonlSink(text)
    return SqliteSink(text)
