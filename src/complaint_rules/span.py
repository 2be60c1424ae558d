"""Source text and spans: the only place that renders ``file:line:col`` with a caret."""

from __future__ import annotations

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
        width = 1
        if self.end_line == self.line and self.end_column and self.end_column > self.column:
            width = self.end_column - self.column
        width = max(1, min(width, len(text) - self.column + 1))
        caret = " " * (self.column - 1) + "^" + "~" * (width - 1)
        return f"{head}\n    {text}\n    {caret}"
