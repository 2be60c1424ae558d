"""``complaint-rules explain POLICY RECORD.json``: decide one record and say why."""

from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal

from ..policy import load
from ..versions import load_set
from .eval import parse_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="decide one record and explain the decision", description=__doc__)
    p.add_argument("policy", metavar="POLICY",
                   help="policy file (.policy, .yaml, .yml), or a folder of its versions (a policy set)")
    p.add_argument("record", metavar="RECORD.json", help="one record as a JSON object ('-' for stdin)")
    p.add_argument("--now", metavar="ISO", help="evaluation time for escalation status, e.g. 2026-12-02T10:00+08:00")
    p.set_defaults(func=run)


def read_record(path: str) -> dict:
    """One JSON object from a file or stdin; a bad file is a ValueError that names it."""
    if path == "-":
        text = sys.stdin.read()
    else:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a record is a JSON object, not {type(data).__name__}")  # noqa: TRY004 - exit 2
    return data


def run(args: argparse.Namespace) -> int:
    from ..analysis.explain import explain  # here, not at the top: every command imports this module

    now = parse_now(args.now)
    record = read_record(args.record)
    if os.path.isdir(args.policy):  # a policy set: the version in force at the record's received_at
        policy = load_set(args.policy).version_for(record)
        print(f"version in force at received_at: {policy.path} (version {policy.version or '-'}, "
              f"effective {policy.effective.isoformat()})")
    else:
        policy = load(args.policy, comments=False)  # comments are only for formatting
    decision = policy.evaluate(record, now=now)
    sys.stdout.write(explain(policy, decision))
    return 0
