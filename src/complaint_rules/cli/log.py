"""``complaint-rules log POLICY INPUT --to LOG``: decide every record and keep each decision in a decision log.

LOG is a ``.jsonl`` file, a ``postgresql://`` URL, or else an SQLite file (the default). Each entry
holds the decision id, the digest of the coerced input, the policy id, version, fingerprint and path,
and the input with the fields the policy marks ``personal`` masked. Exit 0 when every record was
logged, 1 when some could not be decided (each is listed on standard error), 2 when the log cannot be
opened or written.
"""

from __future__ import annotations

import argparse
import os
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("log", help="decide records and keep the decisions in a decision log",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("policy", metavar="POLICY",
                   help="policy file, or a folder of its versions (each record under the version in force)")
    p.add_argument("input", metavar="INPUT", help="records: .jsonl or .csv")
    p.add_argument("--to", required=True, metavar="LOG", help="the log: FILE.jsonl, postgresql://..., or an SQLite file")
    p.add_argument("--columns", metavar="MAP.json", help="mapping of input columns to record fields (as for eval)")
    p.add_argument("--now", metavar="ISO", help="evaluation time, e.g. 2026-12-02T10:00+08:00 (part of the decision id)")
    p.add_argument("--key-file", metavar="FILE",
                   help="a secret: personal fields are hashed with HMAC-SHA256 under it instead of plain SHA-256")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..batch import ColumnMap, input_kind, read_rows
    from ..logs import LogError, log_records, open_log
    from ..policy import load
    from ..versions import load_set
    from .eval import parse_now

    now = parse_now(args.now)
    if not os.path.exists(args.input):
        raise FileNotFoundError(f"{args.input}: no such file")
    key = None
    if args.key_file:
        with open(args.key_file, "rb") as f:
            key = f.read().strip()
    policy = load_set(args.policy) if os.path.isdir(args.policy) else load(args.policy)
    mapping = ColumnMap.load(args.columns) if args.columns else None
    try:
        with open(args.input, "rb") as stream, open_log(args.to) as sink:
            rows = read_rows(stream, input_kind(args.input), mapping)
            written, failed = log_records(policy, rows, sink, now, key=key)
    except LogError as exc:
        print(f"complaint-rules log: {exc}", file=sys.stderr)
        return 2
    for rid, why in failed:
        print(f"{args.input}: {why if why.startswith('record ') else f'record {rid}: {why}'}", file=sys.stderr)
    print(f"logged {written} decision(s) to {sink.name}" + (f"; {len(failed)} record(s) not decided" if failed else ""))
    return 1 if failed else 0
