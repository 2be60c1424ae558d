"""``complaint-rules eval`` with Parquet or Arrow IPC files: decided in columns, written batch by batch."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..batch import BatchSummary, ColumnMap, run_batch

__all__ = ["ARROW_SUFFIXES", "is_arrow", "run"]

ARROW_SUFFIXES = (".parquet", ".pq", ".arrow", ".ipc", ".feather")


def is_arrow(path: str | None) -> bool:
    """Whether ``path`` names a Parquet or Arrow IPC file (by its suffix)."""
    return path not in (None, "-") and Path(path).suffix.lower() in ARROW_SUFFIXES


@contextlib.contextmanager
def _text_out(path: str | None, fallback: IO[str]) -> Iterator[IO[str]]:
    """Text to a temporary file renamed onto ``path`` when the block ends (an error removes it)."""
    if path is None or path == "-":
        yield fallback
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as handle:
            try:
                yield handle
            except KeyboardInterrupt:
                handle.flush()
                os.replace(temp, target)
                raise
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def run(args: argparse.Namespace, policy: Any, now: Any, mapping: ColumnMap | None, err_path: str | None) -> BatchSummary:
    """Decide ``args.input`` into ``args.output``, one of them a Parquet or Arrow file."""
    try:
        from .. import arrow_io
    except ImportError:  # pragma: no cover - the columnar extra is missing
        raise ValueError("Parquet and Arrow files need pyarrow: pip install 'complaint-rules[columnar]'") from None
    summary = BatchSummary()
    batch_size = getattr(args, "batch_size", None) or arrow_io.BATCH_SIZE
    with _text_out(err_path, sys.stderr) as errors:
        if is_arrow(args.output):
            with arrow_io.DecisionWriter(args.output) as out:
                arrow_io.run_arrow(policy, args.input, out, errors, now, mapping=mapping, strict=args.strict,
                                   batch_size=batch_size, summary=summary)  # fmt: skip
        else:  # Arrow records, decisions as JSON lines: the row-by-row path
            with _text_out(args.output, sys.stdout) as out:
                rows = arrow_io.arrow_rows(args.input, mapping, batch_size)
                run_batch(policy, rows, out, errors, now, summary=summary, strict=args.strict)
    return summary
