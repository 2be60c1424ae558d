"""Paths of sub-commands: PATH arguments expanded into policy files, output files written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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

#: The write buffer of output files (decisions and error rows): 1 MiB.
OUT_BUFFER = 1 << 20


@contextlib.contextmanager
def open_out(path: str | None, fallback: IO[str], fsync: bool = False) -> Iterator[IO[str]]:
    """Write to a temporary file beside ``path``, renamed onto it when the block ends without an error.

    A run that fails (a full disk, a crash) removes the temporary file: no output that looks complete
    is left behind. An interrupt (KeyboardInterrupt) still renames: every line written is whole.
    """
    if path is None or path == "-":
        yield fallback
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with open(fd, "w", encoding="utf-8", newline="\n", buffering=OUT_BUFFER) as handle:
            try:
                yield handle
            except KeyboardInterrupt:
                _finish(handle, fsync)
                os.replace(temp, target)
                raise
            _finish(handle, fsync)
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _finish(handle: IO[str], fsync: bool) -> None:
    handle.flush()
    if fsync:
        os.fsync(handle.fileno())
