"""``complaint-rules eval POLICY INPUT``: decide every record of a JSONL or CSV file."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from ..batch import (
    BatchSummary,
    ColumnMap,
    CountingReader,
    Interrupts,
    input_kind,
    jsonl_lines,
    read_rows,
    run_batch,
)
from ..policy import load
from . import arrow_eval
from ._paths import open_out

# Below this many input bytes a batch finishes before a progress bar would help.
PROGRESS_MIN_BYTES = 512 * 1024
# Output files are written through a buffer this large: one system call per some hundred decisions.


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="decide a batch of complaint records", description=__doc__)
    p.add_argument("policy", metavar="POLICY", help="policy file (.policy, .yaml, .yml)")
    p.add_argument("input", metavar="INPUT",
                   help="records: .jsonl, .csv, .parquet or .arrow; '-' reads JSON lines from stdin")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="decisions as JSON lines (default: stdout), or .parquet / .arrow (the Arrow schema of docs/decisions.md)")
    p.add_argument("--errors", metavar="ERRFILE",
                   help="error rows as JSON lines (default: OUT with .errors.jsonl; stderr when OUT is stdout)")
    p.add_argument("--columns", metavar="MAP.json", help="mapping of input columns to record fields (see docs/cli.md)")
    p.add_argument("--now", metavar="ISO", help="evaluation time for escalation status, e.g. 2026-12-02T10:00+08:00")
    p.add_argument("--strict", action="store_true",
                   help="a decision with a time the calendar cannot place is an error row, not an incomplete decision")
    p.add_argument("--fsync", action="store_true", help="flush OUT and ERRFILE to disk before they are renamed into place")
    p.add_argument("--jobs", "-j", type=_jobs, default=1, metavar="N",
                   help="decide in N worker processes (0: one per CPU); output keeps the input order (default 1)")
    p.add_argument("--assume-timezone", metavar="ZONE", type=_zone, default=None,
                   help="read naive date-times in the records as times in ZONE, an IANA name such as Asia/Shanghai "
                        "(default: a naive date-time is an error row); JSON lines and CSV only")
    p.add_argument("--batch-size", metavar="N", type=int, default=None,
                   help="rows per Arrow record batch for Parquet and Arrow files (default 65536)")
    p.set_defaults(func=run)


# Exit codes: 0 every record decided completely; 1 some error row; 3 no error row, but some decisions are
# incomplete (a time the calendar could not place; each is listed in the errors file as a warning row).
EXIT_INCOMPLETE = 3


def _zone(text: str) -> str:
    """An IANA time zone name, checked when the command line is read."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not an IANA time zone name") from None
    return text


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes") from None
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the number of processes cannot be negative")
    return jobs or os.cpu_count() or 1


def parse_now(text: str | None) -> dt.datetime | None:
    """``--now``: an ISO date-time with a UTC offset."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--now: {text!r} is not an ISO date-time") from None
    if value.tzinfo is None:
        raise ValueError(f"--now: {text!r} needs a UTC offset, e.g. {text}+08:00")
    return value


def errors_path(output: str | None, errors: str | None) -> str | None:
    """Where error rows go: given, next to OUT, or None for stderr."""
    if errors is not None:
        return errors
    if output is None or output == "-":
        return None
    path = Path(output)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return str(path.with_name(stem + ".errors.jsonl"))


@contextlib.contextmanager
def _signals(interrupts: Interrupts) -> Iterator[None]:
    """SIGINT and SIGTERM stop the batch between rows (only the main thread can take signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, interrupts) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def _progress(total: int | None, counter: CountingReader) -> Iterator:
    """A rich progress bar on stderr for long inputs on a terminal; otherwise no ticks at all."""
    if total is None or total < PROGRESS_MIN_BYTES or not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("deciding"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=Console(file=sys.stderr), transient=True,
    )
    task = progress.add_task("eval", total=total)
    calls = 0

    def tick() -> None:
        nonlocal calls
        calls += 1
        if calls % 256 == 0:  # refreshing per record would cost more than deciding it
            progress.update(task, completed=counter.count)

    with progress:
        yield tick


def run(args: argparse.Namespace) -> int:
    policy = load(args.policy, comments=False)  # comments are only for formatting
    policy.compiled  # noqa: B018 - compile once up front: a policy that cannot compile is one error, not one per row
    now = parse_now(args.now)
    mapping = ColumnMap.load(args.columns) if args.columns else None
    if arrow_eval.is_arrow(args.input) or arrow_eval.is_arrow(args.output):  # decided in columns
        if args.assume_timezone:  # not offered for columns (yet): an Arrow timestamp column carries its own zone
            print("complaint-rules eval: error: --assume-timezone applies to JSON lines and CSV input, not to "
                  "Parquet or Arrow files", file=sys.stderr)
            return 2
        err_path = errors_path(args.output, args.errors)
        try:
            summary = arrow_eval.run(args, policy, now, mapping, err_path)
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        return _report(summary, err_path, False)
    kind = input_kind(args.input)
    if args.input == "-":
        raw, size = sys.stdin.buffer, None
    else:
        raw, size = open(args.input, "rb"), os.path.getsize(args.input)  # noqa: SIM115 - closed below
    err_path = errors_path(args.output, args.errors)
    counter = CountingReader(raw)
    summary = BatchSummary()
    interrupts = Interrupts()
    interrupted = False
    try:
        buffered = io.BufferedReader(counter, 1 << 16)
        with _signals(interrupts), open_out(args.output, sys.stdout, args.fsync) as out, \
                open_out(err_path, sys.stderr, args.fsync) as errors, _progress(size, counter) as tick:
            # JSON lines are parsed where they are decided: in the workers when there are any.
            rows = jsonl_lines(buffered) if kind == "jsonl" else read_rows(buffered, kind, mapping, warn=_warn)
            run_batch(policy, rows, out, errors, now, tick, summary=summary, interrupts=interrupts,
                      strict=args.strict, jobs=args.jobs, mapping=mapping, assume_timezone=args.assume_timezone)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()
    return _report(summary, err_path, interrupted)


def _report(summary: BatchSummary, err_path: str | None, interrupted: bool) -> int:
    """The summary line on stderr, and the exit code."""
    where = f" (see {err_path})" if (summary.errors or summary.incomplete) and err_path else ""
    if interrupted:
        print(f"interrupted: {summary.render()}{where}", file=sys.stderr)
        return 130
    print(summary.render() + where, file=sys.stderr)
    if summary.errors:
        return 1
    return EXIT_INCOMPLETE if summary.incomplete else 0
