"""``complaint-rules convert PATH --to dsl|yaml [-o OUT]``: write a policy in the other syntax.

The input syntax comes from the file's suffix; ``-`` reads standard input, in the syntax ``--from`` names.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..language.printer import print_policy
from ..policy import display_path, format_of, parse_text
from ._paths import STDIN_NAME, read_stdin


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert a policy between the DSL and YAML", description=__doc__)
    p.add_argument(
        "path", metavar="PATH",
        help="a .policy, .yaml or .yml file (the syntax is read from the suffix); '-' reads standard input",
    )
    p.add_argument("--from", dest="source", choices=("dsl", "yaml"), default="dsl",
                   help="the syntax of standard input (default dsl)")
    p.add_argument("--to", required=True, choices=("dsl", "yaml"), help="the syntax to write")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.add_argument("--schema", metavar="URL",
                   help="with --to yaml: start with a '# yaml-language-server: $schema=URL' line, so editors "
                   "validate the file (a path relative to the YAML file, or a URL)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.path == "-":
        fmt, text, name = args.source, read_stdin(), STDIN_NAME
    else:
        path = Path(args.path)
        fmt = format_of(path)  # ValueError (exit 2) for an unknown suffix
        text, name = path.read_text(encoding="utf-8-sig"), display_path(path)
    # The file as written: an overlay stays an overlay, and no checks run (convert changes syntax only).
    policy = parse_text(text, name, fmt)
    if args.to == "dsl":
        out = print_policy(policy)
    else:
        from ..language.yaml_printer import to_yaml  # here: every command imports this module

        out = to_yaml(policy)
    if args.schema:
        if args.to != "yaml":
            raise ValueError("--schema names the JSON Schema of YAML policies: use it with --to yaml")
        from ..language.schema import modeline

        out = modeline(args.schema) + out
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
    return 0
