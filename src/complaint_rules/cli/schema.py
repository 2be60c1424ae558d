"""``complaint-rules schema [-o OUT]``: print the JSON Schema of the YAML form (for editors)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path



def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of YAML policies", description=__doc__)
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..language.schema import json_schema  # here: every command imports this module, schema brings YAML

    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
