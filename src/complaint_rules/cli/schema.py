"""``complaint-rules schema [-o OUT]``: print the JSON Schema of the YAML form (for editors).

The same schema ships inside the package (``--path`` prints where), so an editor can point at it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of YAML policies", description=__doc__)
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of standard output")
    p.add_argument("--path", action="store_true", help="print the path of the schema file shipped in the package")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..language.schema import (  # here: every command imports this module, schema brings YAML
        schema_file,
        schema_text,
    )

    if args.path:
        print(schema_file())
        return 0
    text = schema_text()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
