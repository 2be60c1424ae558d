"""Expanding the PATH arguments of sub-commands into policy files."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import limits
from ..policy import DSL_SUFFIXES, YAML_SUFFIXES

#: ``-`` among the PATH arguments: the policy is read from standard input.
STDIN = Path("-")
#: How a policy read from standard input is named in messages.
STDIN_NAME = "<stdin>"


def read_stdin() -> str:
    """Standard input's text (UTF-8, a byte-order mark dropped), at most one byte past the loader's limit."""
    data = sys.stdin.buffer.read(limits.MAX_POLICY_BYTES + 1) if hasattr(sys.stdin, "buffer") else (
        sys.stdin.read(limits.MAX_POLICY_BYTES + 1).encode("utf-8"))  # fmt: skip
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{STDIN_NAME}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def policy_files(paths: list[str], suffixes: tuple[str, ...] = DSL_SUFFIXES + YAML_SUFFIXES) -> list[Path]:
    """Files named, and policy files below directories named, in a stable order; ``-`` stays :data:`STDIN`."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if raw == "-":
            found.append(STDIN)
        elif path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{raw}: no such file or directory")
    return found
