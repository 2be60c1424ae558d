"""``complaint-rules dump ir|dsl|resolved PATH``: show one stage of the pipeline."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
from decimal import Decimal

from .. import ir
from ..language.printer import print_policy
from ..policy import load, parse_file


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dump", help="show the IR or canonical text of a policy", description=__doc__)
    p.add_argument("stage", choices=("ir", "dsl", "resolved"), help="ir: the resolved IR as JSON; "
                   "dsl: the file as canonical DSL; resolved: the policy with its overlays applied")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=run)


def to_jsonable(node):
    """IR as plain JSON data: each node is an object with its type under ``"node"``; spans become locations."""
    if isinstance(node, tuple):
        return [to_jsonable(n) for n in node]
    if isinstance(node, frozenset):
        return sorted(to_jsonable(n) for n in node)
    if isinstance(node, (ir.Money, ir.Duration, ir.Percent)):
        return str(node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        out = {"node": type(node).__name__}
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if f.name == "span":
                if value is not None:
                    out["at"] = value.location()
                continue
            if value in (None, ()) or (f.name == "comments" and not value):
                continue
            out[f.name] = to_jsonable(value)
        return out
    if isinstance(node, (dt.date, dt.datetime, dt.time)):
        return node.isoformat()
    if isinstance(node, Decimal):
        return str(node)
    return node


def run(args: argparse.Namespace) -> int:
    if args.stage == "ir":
        print(json.dumps(to_jsonable(load(args.path).ir), ensure_ascii=False, indent=2))
    elif args.stage == "dsl":
        source, _ = parse_file(args.path)
        print(print_policy(source), end="")
    else:
        print(load(args.path).resolved_dsl(), end="")
    return 0
