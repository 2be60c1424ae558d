"""``complaint-rules convert PATH --to dsl|yaml [-o OUT]``: write a policy in the other syntax."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..language.printer import print_policy
from ..policy import display_path, format_of, parse_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert a policy between the DSL and YAML", description=__doc__)
    p.add_argument(
        "path", metavar="PATH", help="a .policy, .yaml or .yml file (the syntax is read from the suffix)"
    )
    p.add_argument("--to", required=True, choices=("dsl", "yaml"), help="the syntax to write")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.path)
    fmt = format_of(path)  # ValueError (exit 2) for an unknown suffix
    text = path.read_text(encoding="utf-8-sig")
    # The file as written: an overlay stays an overlay, and no checks run (convert changes syntax only).
    policy = parse_text(text, display_path(path), fmt)
    if args.to == "dsl":
        out = print_policy(policy)
    else:
        from ..language.yaml_printer import to_yaml  # here: every command imports this module

        out = to_yaml(policy)
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return 0
