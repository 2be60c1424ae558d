"""Colour for diagnostics: ``--color auto|always|never``, ``NO_COLOR`` and ``FORCE_COLOR`` (no-color.org)."""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from typing import IO, Literal

ColorMode = Literal["auto", "always", "never"]
MODES: tuple[ColorMode, ...] = ("auto", "always", "never")

_MODE: contextvars.ContextVar[ColorMode] = contextvars.ContextVar("color", default="auto")

BOLD, RED, YELLOW, GREEN, CYAN, RESET = "\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[36m", "\x1b[0m"

# ``file:line:col: message``; the message may start with ``warning:``
_HEAD = re.compile(r"^(?P<where>[^\s:][^\n]*?:\d+:\d+:) (?P<message>.*)$")
_CARET = re.compile(r"^(?P<pad>\s+)(?P<caret>\^~*)$")
_WARNING = re.compile(r"^(?P<where>[^\s][^\n]*?: )(?P<warning>warning:)(?P<rest>.*)$")


@contextlib.contextmanager
def color_mode(mode: ColorMode) -> Iterator[None]:
    """Within the block, :func:`paint` follows ``mode``."""
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def enabled(stream: IO[str]) -> bool:
    """Whether text written to ``stream`` is coloured: ``--color``, then ``NO_COLOR``, then ``FORCE_COLOR``,
    then whether the stream is a terminal (not a ``dumb`` one)."""
    mode = _MODE.get()
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
    except ValueError:  # a closed stream
        return False


def paint(text: str, stream: IO[str]) -> str:
    """Diagnostics (``file:line:col: message``, the line, the caret) coloured for ``stream``, if it is."""
    if not enabled(stream):
        return text
    out = []
    for line in text.split("\n"):
        head = _HEAD.match(line)
        caret = _CARET.match(line)
        warning = _WARNING.match(line)
        if head:
            message = head["message"]
            colour = YELLOW if message.startswith("warning:") else RED
            out.append(f"{BOLD}{head['where']}{RESET} {colour}{message}{RESET}")
        elif caret:
            out.append(f"{caret['pad']}{GREEN}{BOLD}{caret['caret']}{RESET}")
        elif warning:
            out.append(f"{BOLD}{warning['where']}{RESET}{YELLOW}{warning['warning']}{RESET}{warning['rest']}")
        else:
            out.append(line)
    return "\n".join(out)


def report(text: str, stream: IO[str]) -> None:
    """Print diagnostics to ``stream``, coloured when :func:`enabled`."""
    print(paint(text, stream), file=stream)
