"""``complaint-rules lsp``: run the language server on standard input and output (for editors).

Needs pygls (``pip install "complaint-rules[lsp]"``); docs/editors.md shows the editor set-up.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lsp", help="run the language server (stdio)", description=__doc__)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..editor.server import main
    except ModuleNotFoundError as exc:
        if exc.name not in ("pygls", "lsprotocol"):
            raise
        raise ValueError("the language server needs pygls: pip install 'complaint-rules[lsp]'") from None
    main()
    return 0
