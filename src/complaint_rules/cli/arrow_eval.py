"""``complaint-rules eval`` with Parquet or Arrow IPC files: decided in columns, written batch by batch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..batch import BatchSummary, ColumnMap, run_batch
from ._paths import open_out

__all__ = ["ARROW_SUFFIXES", "is_arrow", "run"]

ARROW_SUFFIXES = (".parquet", ".pq", ".arrow", ".ipc", ".feather")


def is_arrow(path: str | None) -> bool:
    """Whether ``path`` names a Parquet or Arrow IPC file (by its suffix)."""
    return path not in (None, "-") and Path(path).suffix.lower() in ARROW_SUFFIXES


def run(args: argparse.Namespace, policy: Any, now: Any, mapping: ColumnMap | None, err_path: str | None) -> BatchSummary:
    """Decide ``args.input`` into ``args.output``, one of them a Parquet or Arrow file."""
    try:
        from .. import arrow_io
    except ImportError:  # pragma: no cover - the columnar extra is missing
        raise ValueError("Parquet and Arrow files need pyarrow: pip install 'complaint-rules[columnar]'") from None
    summary = BatchSummary()
    batch_size = getattr(args, "batch_size", None) or arrow_io.BATCH_SIZE
    with open_out(err_path, sys.stderr) as errors:
        if is_arrow(args.output):
            with arrow_io.DecisionWriter(args.output) as out:
                arrow_io.run_arrow(policy, args.input, out, errors, now, mapping=mapping, strict=args.strict,
                                   batch_size=batch_size, summary=summary)  # fmt: skip
        else:  # Arrow records, decisions as JSON lines: the row-by-row path
            with open_out(args.output, sys.stdout) as out:
                rows = arrow_io.arrow_rows(args.input, mapping, batch_size)
                run_batch(policy, rows, out, errors, now, summary=summary, strict=args.strict)
    return summary
