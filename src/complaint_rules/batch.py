"""Batch evaluation: read JSONL or CSV records, decide each, write decisions and error rows.

Every input row comes out either as one decision or as one error row: malformed JSON lines, CSV rows
with the wrong number of cells, undecodable bytes and bad records are reported, never dropped. Input is
streamed, so memory stays bounded whatever the size of the file.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import difflib
import io
import json
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ComplaintRulesError, RecordError

# ---------------------------------------------------------------------------- column mappings

_TRUE = {"yes", "y", "true", "t", "1"}
_FALSE = {"no", "n", "false", "f", "0"}
_SLUG = re.compile(r"[^0-9a-z]+")


def slug(text: str) -> str:
    """``"Credit reporting"`` -> ``credit_reporting``: an input label as an enum member name."""
    return _SLUG.sub("_", text.strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnMap:
    """How input columns become record fields, and how their text becomes values.

    ``columns`` maps input column names to record fields; ``formats`` gives per field a list of
    transforms applied in order (a ``strptime`` pattern, ``date:PATTERN``, ``slug``, ``lower``,
    ``split`` / ``split:SEP``, ``yesno``); ``values`` maps raw cell text to a value per field, before
    any format; ``timezone`` makes zone-less date-times aware; ``keep_unmapped`` passes other columns
    through under their own names.
    """

    columns: dict[str, str] = field(default_factory=dict)
    formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    timezone: str | None = None
    keep_unmapped: bool = False

    @classmethod
    def load(cls, path: str | Path) -> ColumnMap:
        """Read a mapping from a JSON file; a bad file raises ValueError naming it."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON in column mapping: {exc.msg}") from None
        return cls.from_dict(data, str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "column mapping") -> ColumnMap:
        """Build from JSON data: the full form, or a bare ``{"column": "field"}`` object."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: a column mapping is a JSON object")  # noqa: TRY004 - bad input, exit 2
        known = {"columns", "formats", "values", "timezone", "keep_unmapped"}
        if "columns" not in data and all(isinstance(v, str) for v in data.values()) and not set(data) & known:
            data = {"columns": data}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{where}: unknown key {unknown[0]!r} (expected one of {', '.join(sorted(known))})")
        columns = data.get("columns", {})
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise ValueError(f"{where}: 'columns' maps column names to field names (strings)")
        formats: dict[str, tuple[str, ...]] = {}
        for name, spec in (data.get("formats") or {}).items():
            ops = (spec,) if isinstance(spec, str) else tuple(spec) if isinstance(spec, list) else None
            if ops is None or not all(isinstance(op, str) for op in ops):
                raise ValueError(f"{where}: format of {name!r} is a string or a list of strings")
            for op in ops:
                if not _is_op(op):
                    raise ValueError(
                        f"{where}: unknown format {op!r} for {name!r} (expected a strptime pattern with '%', "
                        "'date:PATTERN', 'slug', 'lower', 'split', 'split:SEP' or 'yesno')"
                    )
            formats[name] = ops
        values = data.get("values") or {}
        if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
            raise ValueError(f"{where}: 'values' maps each field to an object of raw text -> value")
        tz = data.get("timezone")
        if tz is not None:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError, TypeError):
                raise ValueError(f"{where}: unknown timezone {tz!r}") from None
        return cls(dict(columns), formats, {k: dict(v) for k, v in values.items()}, tz, bool(data.get("keep_unmapped")))

    def field_of(self, column: str) -> str | None:
        if not self.columns:
            return column
        if column in self.columns:
            return self.columns[column]
        return column if self.keep_unmapped else None

    def apply(self, row: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Map one input row to record data; returns the data and every problem found."""
        record: dict[str, Any] = {}
        problems: list[tuple[str, str]] = []
        for column, raw in row.items():
            name = self.field_of(column)
            if name is None:
                continue
            try:
                record[name] = self.convert(name, raw)
            except ValueError as exc:
                where = f" (column {column!r})" if column != name else ""
                problems.append((name, f"{exc}{where}"))
        return record, problems

    def convert(self, name: str, raw: Any) -> Any:
        """Apply the value map and formats of one field to a raw value."""
        table = self.values.get(name)
        if table is not None and isinstance(raw, str) and raw in table:
            return table[raw]
        value = raw
        for op in self.formats.get(name, ()):
            value = _apply(op, value, self.timezone)
        return value


def _is_op(op: str) -> bool:
    return "%" in op or op in ("slug", "lower", "split", "yesno") or op.startswith(("split:", "date:"))


def _apply(op: str, value: Any, tz: str | None) -> Any:
    if isinstance(value, list):
        return [_apply(op, v, tz) for v in value]
    if not isinstance(value, str):
        return value  # JSON already typed it; formats are for text
    if op == "slug":
        return slug(value)
    if op == "lower":
        return value.lower()
    if op == "split" or op.startswith("split:"):
        sep = op[6:] or ","
        return [item.strip() for item in value.split(sep) if item.strip()]
    if op == "yesno":
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"{value!r} is not yes or no")
    pattern = op.removeprefix("date:")
    try:
        parsed = dt.datetime.strptime(value.strip(), pattern)
    except ValueError:
        raise ValueError(f"{value!r} does not match the format {pattern!r}") from None
    if op.startswith("date:"):
        return parsed.date()
    if parsed.tzinfo is None and tz is not None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed


# ---------------------------------------------------------------------------- reading


@dataclass(slots=True)
class Row:
    """One input record: its 1-based number among the records, the line it starts on, and its data or problems."""

    number: int
    line: int
    record: dict[str, Any] | None
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    record_id: str | None = None


_ID_IN_TEXT = re.compile(r'"id"\s*:\s*"?([^",}\s]+)')


def _id_in(text: str) -> str | None:
    found = _ID_IN_TEXT.search(text)
    return found.group(1) if found else None


def _rid(record: dict[str, Any] | None) -> str | None:
    if not record or record.get("id") is None:
        return None
    return str(record["id"])


def read_jsonl(stream: BinaryIO, mapping: ColumnMap | None = None) -> Iterator[Row]:
    """Records from JSON lines; blank lines are skipped, every other line yields a Row."""
    for number, lineno, raw in jsonl_lines(stream):
        yield jsonl_row(number, lineno, raw, mapping)


def jsonl_lines(stream: BinaryIO) -> Iterator[tuple[int, int, bytes]]:
    """The non-blank lines of a JSON lines stream, each with its record number and line number, not parsed.

    ``jsonl_row`` parses one; a worker process of ``run_batch(jobs=N)`` does, so the reading process only
    splits lines.
    """
    number = 0
    for lineno, raw in enumerate(stream, 1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        number += 1
        yield number, lineno, raw


def jsonl_row(number: int, lineno: int, raw: bytes, mapping: ColumnMap | None = None) -> Row:
    """One line of JSON as a Row: its record, or the problem that keeps it from being one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Row(number, lineno, None, [(None, f"not UTF-8 text (byte {exc.start + 1})")])
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return Row(number, lineno, None, [(None, f"invalid JSON: {exc.msg} at column {exc.colno}")], _id_in(text))
    except ValueError as exc:  # e.g. an integer of more digits than int() converts
        return Row(number, lineno, None, [(None, f"invalid JSON: {exc}")], _id_in(text))
    except RecursionError:
        return Row(number, lineno, None, [(None, "invalid JSON: nested too deeply")], _id_in(text))
    if not isinstance(data, dict):
        return Row(number, lineno, None, [(None, f"a record is a JSON object, not {type(data).__name__}")])
    if mapping is not None:
        data, problems = mapping.apply(data)
        if problems:
            return Row(number, lineno, None, list(problems), _rid(data))
    return Row(number, lineno, data, record_id=_rid(data))


class ColumnMappingWarning(UserWarning):
    """A column mapping names columns that the input does not have."""


def _warn(message: str) -> None:
    warnings.warn(message, ColumnMappingWarning, stacklevel=3)


def _check_mapping(header: list[str], mapping: ColumnMap, warn: Callable[[str], None]) -> None:
    missing = [c for c in mapping.columns if c not in header]
    if not missing:
        return
    hints = []
    for column in missing[:5]:
        close = difflib.get_close_matches(column, header, n=1, cutoff=0.6)
        hints.append(f"{column!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    warn(f"the column mapping names {len(missing)} of its {len(mapping.columns)} columns that the CSV header "
         f"does not have: {', '.join(hints)}{more}; their fields will be missing from every record")


def read_csv(stream: BinaryIO, mapping: ColumnMap | None = None,
             warn: Callable[[str], None] = _warn) -> Iterator[Row]:  # fmt: skip
    """Records from CSV with a header row; empty cells are missing fields; blank lines are skipped.

    ``warn`` is told when the mapping names columns that the header lacks (a wrong mapping or file).
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ValueError(f"CSV header: {exc}") from None
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ValueError(f"CSV header: column {duplicates[0]!r} appears more than once")
    if mapping is not None:
        _check_mapping(header, mapping, warn)
    id_column = next((i for i, c in enumerate(header) if (mapping.field_of(c) if mapping else c) == "id"), None)
    number = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield Row(number, start, None, [(None, f"malformed CSV: {exc}")])
            if reader.line_num < start:
                return  # the reader cannot move on: nothing more can be read
            continue
        if not cells:
            continue
        number += 1
        rid = cells[id_column] if id_column is not None and id_column < len(cells) and cells[id_column] else None
        if len(cells) != len(header):
            yield Row(number, start, None, [(None, f"expected {len(header)} cells, got {len(cells)}")], rid)
            continue
        if any(_undecodable(c) for c in cells):
            yield Row(number, start, None, [(None, "not UTF-8 text")], None)
            continue
        data = {c: v for c, v in zip(header, cells) if v != ""}
        if mapping is not None:
            data, problems = mapping.apply(data)
            if problems:
                yield Row(number, start, None, list(problems), _rid(data) or rid)
                continue
        yield Row(number, start, data, record_id=_rid(data))


def _undecodable(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def read_rows(stream: BinaryIO, kind: str, mapping: ColumnMap | None = None,
              warn: Callable[[str], None] = _warn) -> Iterator[Row]:  # fmt: skip
    """Rows of a ``jsonl`` or ``csv`` input stream."""
    if kind == "csv":
        return read_csv(stream, mapping, warn)
    if kind == "jsonl":
        return read_jsonl(stream, mapping)
    raise ValueError(f"unknown input kind {kind!r}; expected 'jsonl' or 'csv'")


def input_kind(path: str) -> str:
    """``csv`` or ``jsonl`` from a file name; ``-`` (stdin) is JSON lines."""
    if path == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(f"{path}: unknown input format (expected .jsonl, .ndjson or .csv)")


class CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for a progress bar)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        read = getattr(self.raw, "read1", self.raw.read)  # what is there: a pipe is read as it arrives
        data = read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


# ---------------------------------------------------------------------------- evaluating and writing


@dataclass
class BatchSummary:
    records: int = 0
    decisions: int = 0
    errors: int = 0
    incomplete: int = 0  # decisions with a time the calendar could not place (each also a warning row)

    def render(self) -> str:
        incomplete = f", {self.incomplete} incomplete" if self.incomplete else ""
        return (f"{_n(self.records, 'record')} in, {_n(self.decisions, 'decision')}{incomplete}, "
                f"{_n(self.errors, 'error')}")  # fmt: skip


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def error_row(row: Row, problems: Iterable[tuple[str | None, str]], record_id: str | None = None) -> dict[str, Any]:
    """The JSON error row of a record: where it is, its id and every bad field with its message."""
    return {
        "row": row.number,
        "line": row.line,
        "record_id": record_id if record_id is not None else row.record_id,
        "errors": [{"field": name, "message": message} for name, message in problems],
    }


def warning_row(row: Row, decision: Any) -> dict[str, Any]:
    """The JSON warning row of an incomplete decision: where the record is, its id and every problem."""
    return {
        "row": row.number,
        "line": row.line,
        "record_id": decision.record_id,
        "warnings": [p.model_dump(mode="json") for p in decision.problems],
    }


def decide(
    policy: Any, row: Row, now: dt.datetime | None, strict: bool = False, assume_timezone: str | None = None
) -> tuple[str | None, dict[str, Any] | None]:
    """One row -> (decision JSON, None), (decision JSON, warning row) for an incomplete decision, or
    (None, error row); with ``strict`` an incomplete decision is an error row. ``assume_timezone`` (an IANA
    name) reads the row's naive date-times in that zone (``Policy.evaluate``'s keyword)."""
    if row.record is None:
        return None, error_row(row, row.problems)
    try:
        zone = {} if assume_timezone is None else {"assume_timezone": assume_timezone}
        decision = policy.evaluate(row.record, now=now, strict=strict, **zone)
        text = decision.model_dump_json()
        text.encode("utf-8")  # a lone surrogate that reached the decision cannot be written: an error row
    except RecordError as exc:
        return None, error_row(row, exc.problems, exc.record_id)
    except ComplaintRulesError as exc:
        return None, error_row(row, [(None, str(exc))], getattr(exc, "record_id", None))
    except Exception as exc:  # noqa: BLE001 - a bug on one record must not lose the rest of the batch
        return None, error_row(row, [(None, f"internal error: {type(exc).__name__}: {_text_of(exc)}")])
    return text, warning_row(row, decision) if decision.problems else None


def _text_of(exc: BaseException) -> str:
    try:
        return str(exc)[:500]
    except Exception:  # noqa: BLE001 - an exception whose message cannot be shown still makes an error row
        return "(no message)"


def error_line(problem: dict[str, Any]) -> str:
    """An error row as one line of JSON; text that is not Unicode (a lone surrogate) is escaped."""
    text = json.dumps(problem, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(problem, ensure_ascii=True, default=str)
    return text


class Interrupts:
    """A signal handler for SIGINT and SIGTERM that stops a batch between rows, never inside a line.

    Outside a write the handler raises KeyboardInterrupt at once (a read blocked on a pipe stops too);
    inside one it is held until the line is whole.
    """

    def __init__(self) -> None:
        self.writing = False
        self.pending: int | None = None

    def __call__(self, signum: int, frame: Any) -> None:
        if self.writing:
            self.pending = signum
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        if self.pending is not None:
            self.pending = None
            raise KeyboardInterrupt


def run_batch(
    policy: Any,
    rows: Iterable[Row | tuple[int, int, bytes]],
    out: IO[str],
    errors: IO[str],
    now: dt.datetime | None = None,
    tick: Callable[[], None] | None = None,
    summary: BatchSummary | None = None,
    interrupts: Interrupts | None = None,
    strict: bool = False,
    jobs: int = 1,
    mapping: ColumnMap | None = None,
    assume_timezone: str | None = None,
) -> BatchSummary:
    """Decide every row, writing one line per row to ``out`` (decision) or ``errors`` (error row); an
    incomplete decision is written to ``out`` and also listed in ``errors`` as a warning row (with
    ``strict``, it is an error row instead).

    ``summary`` is filled as rows are written, so a caller that catches an interrupt still has the
    counts; with ``interrupts`` (installed as the signal handler) a signal never cuts a line in half.

    ``rows`` are Rows, or the unparsed lines of :func:`jsonl_lines` (parsed with ``mapping``). With
    ``jobs`` above 1, that many worker processes decide chunks of rows while this one writes them, in
    input order; a worker that dies turns each row of its chunk into an error row, and the rows after it
    are decided here. ``assume_timezone`` (an IANA name) reads naive date-times in that zone.
    """
    summary = summary if summary is not None else BatchSummary()
    guard = interrupts.write if interrupts is not None else contextlib.nullcontext
    if jobs > 1:
        _run_parallel(policy, rows, out, errors, now, tick, summary, guard, strict, jobs, mapping, assume_timezone)
        return summary
    for item in rows:
        decision, problem = _decide_one(policy, item, now, strict, mapping, assume_timezone)
        with guard():
            _write(out, errors, summary, decision, problem)
        if tick is not None:
            tick()
    return summary


def _write(out: IO[str], errors: IO[str], summary: BatchSummary, decision: str | None, problem: str | None) -> None:
    if decision is not None:
        out.write(decision + "\n")
        summary.decisions += 1
        if problem is not None:
            errors.write(problem + "\n")
            summary.incomplete += 1
    else:
        errors.write(problem + "\n")  # type: ignore[operator]
        summary.errors += 1
    summary.records += 1


# ---------------------------------------------------------------------------- worker processes

_WORKER: dict[str, Any] = {}


def _start_worker(
    policy: Any, now: dt.datetime | None, strict: bool, mapping: ColumnMap | None, zone: str | None = None
) -> None:
    policy.compiled  # noqa: B018 - compile once per worker, before the first chunk
    _WORKER.update(policy=policy, now=now, strict=strict, mapping=mapping, zone=zone)


def _decide_chunk(chunk: list[Row | tuple[int, int, bytes]]) -> list[tuple[str | None, str | None]]:
    policy, now, strict, mapping = _WORKER["policy"], _WORKER["now"], _WORKER["strict"], _WORKER["mapping"]
    return [_decide_one(policy, item, now, strict, mapping, _WORKER["zone"]) for item in chunk]


def _decide_one(policy, item, now, strict, mapping, zone=None) -> tuple[str | None, str | None]:
    row = item if isinstance(item, Row) else jsonl_row(*item, mapping)
    decision, problem = decide(policy, row, now, strict, zone)
    return decision, None if problem is None else error_line(problem)


def _lost(chunk: list[Row | tuple[int, int, bytes]], exc: BaseException) -> list[tuple[None, str]]:
    """The error rows of a chunk whose worker stopped before answering."""
    message = f"internal error: the worker process deciding this record stopped ({type(exc).__name__})"
    rows = [item if isinstance(item, Row) else Row(item[0], item[1], None, record_id=_id_in(
        item[2].decode("utf-8", "replace"))) for item in chunk]  # fmt: skip
    return [(None, error_line(error_row(row, [(None, message)]))) for row in rows]


def _run_parallel(policy, rows, out, errors, now, tick, summary, guard, strict, jobs, mapping, zone) -> None:
    from .workers import ordered_map

    chunks = ordered_map(_decide_chunk, rows, jobs, _start_worker, (policy, now, strict, mapping, zone))
    for chunk, done in chunks:
        if done is None:  # the pool broke before this chunk was sent: decided here
            done = [_decide_one(policy, item, now, strict, mapping, zone) for item in chunk]
        elif isinstance(done, BaseException):
            done = _lost(chunk, done)
        with guard():
            for decision, problem in done:
                _write(out, errors, summary, decision, problem)
        if tick is not None:
            for _ in done:
                tick()
