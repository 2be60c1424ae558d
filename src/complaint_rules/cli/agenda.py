"""``complaint-rules agenda POLICY QUEUE.jsonl --now ISO``: what must happen now or soon, over a queue of complaints.

Every record is decided at ``--now``; the agenda items of all of them (clocks breached or at risk, escalations
due, obligations due or overdue, follow-ups due) are printed most urgent first, as a table or as JSON lines.
A bad record goes to stderr as ``QUEUE:LINE: record ID: field: message`` and the command exits 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from ..batch import input_kind, read_rows
from ..errors import ComplaintRulesError, RecordError
from ..policy import load
from .eval import parse_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agenda", help="list what must happen now or soon over a queue of complaints",
                       description=__doc__)  # fmt: skip
    p.add_argument("policy", metavar="POLICY", help="policy file (.policy, .yaml, .yml)")
    p.add_argument("queue", metavar="QUEUE", help="open complaints as JSON lines or CSV ('-' for stdin)")
    p.add_argument("--now", metavar="ISO", required=True, help="the time to decide at, e.g. 2026-12-02T10:00+08:00")
    p.add_argument("--format", choices=("table", "jsonl"), default="table", help="output form (default: table)")
    p.set_defaults(func=run)


def _late(delta: dt.timedelta | None) -> str:
    """``3d 4h 05m`` (how late), or an empty cell."""
    if delta is None or delta <= dt.timedelta(0):
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours}h {minutes:02d}m"


def _urgency(entry: tuple[str | None, Any]):
    item = entry[1]
    late = item.late_by if item.late_by is not None and item.late_by > dt.timedelta(0) else None
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return (0 if late else 1 if item.state != "at_risk" else 2, -(late or dt.timedelta(0)), item.due_at or far,
            entry[0] or "", item.kind, item.name)  # fmt: skip


def run(args: argparse.Namespace) -> int:
    policy = load(args.policy)
    now = parse_now(args.now)
    kind = input_kind(args.queue)
    items: list[tuple[str | None, Any]] = []
    bad = 0
    stream = sys.stdin.buffer if args.queue == "-" else open(args.queue, "rb")  # noqa: SIM115 - closed below
    try:
        for row in read_rows(stream, kind):
            where = f"{args.queue}:{row.line}"
            if row.record is None:
                bad += 1
                for field, message in row.problems:
                    sys.stderr.write(f"{where}: {field + ': ' if field else ''}{message}\n")
                continue
            try:
                decision = policy.evaluate(row.record, now=now)
            except RecordError as exc:
                bad += 1
                sys.stderr.write(f"{where}: {exc}\n")
                continue
            except ComplaintRulesError as exc:
                bad += 1
                sys.stderr.write(f"{where}: {exc}\n")
                continue
            items.extend((decision.record_id, item) for item in decision.agenda)
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    items.sort(key=_urgency)
    out = sys.stdout
    if args.format == "jsonl":
        for record_id, item in items:
            out.write(json.dumps({"record_id": record_id, **item.model_dump(mode="json")}, ensure_ascii=False) + "\n")
    else:
        rows = [("RECORD", "KIND", "NAME", "STATE", "WHO", "DUE", "LATE", "WHERE")]
        for record_id, item in items:
            rows.append((record_id or "", item.kind, item.name, item.state, ", ".join(item.who),
                         item.due_at.isoformat(timespec="minutes") if item.due_at else "", _late(item.late_by),
                         item.location or ""))  # fmt: skip
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            out.write("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() + "\n")
        out.write(f"{len(items)} item(s) at {now.isoformat()}\n")
    return 1 if bad else 0
