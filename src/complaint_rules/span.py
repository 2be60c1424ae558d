"""Source text and spans: the only place that renders ``file:line:col`` with a caret."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """A named piece of policy text."""

    name: str
    text: str = field(repr=False)

    def line(self, lineno: int) -> str:
        lines = self.text.splitlines()
        if 1 <= lineno <= len(lines):
            return lines[lineno - 1]
        return ""


@dataclass(frozen=True)
class Span:
    """A region of a source: 1-based line and column, end exclusive."""

    source: Source | None
    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    @property
    def filename(self) -> str:
        return self.source.name if self.source is not None else "<policy>"

    def location(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}"

    def render(self, message: str) -> str:
        """``file:line:col: message``, then the source line and a caret under the span."""
        head = f"{self.location()}: {message}"
        if self.source is None:
            return head
        text = self.source.line(self.line)
        if not text:
            return head
        start = min(self.column - 1, len(text))
        end = start + 1
        if self.end_line == self.line and self.end_column and self.end_column > self.column:
            end = self.end_column - 1
        end = max(start + 1, min(end, len(text)))
        # Pad by display width so the caret stays under wide (CJK) characters in a terminal.
        width = max(1, _width(text[start:end]))
        caret = " " * _width(text[:start]) + "^" + "~" * (width - 1)
        return f"{head}\n    {text}\n    {caret}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
