"""Source text and spans: the only place that renders ``file:line:col`` with a caret."""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """A named piece of policy text."""

    name: str
    text: str = field(repr=False)

    def line(self, lineno: int) -> str:
        # Lines end at "\n" only, as Lark counts them: str.splitlines() would also break at U+2028,
        # U+0085 and friends inside a string and show the wrong line.
        starts = self._starts()
        if 1 <= lineno <= len(starts):
            start = starts[lineno - 1]
            end = self.text.find("\n", start)
            return self.text[start : end if end >= 0 else len(self.text)].removesuffix("\r")
        return ""

    def _starts(self) -> list[int]:
        """Where each line starts (computed once: rendering many diagnostics stays linear)."""
        starts = self.__dict__.get("_line_starts")
        if starts is None:
            starts = [0, *(m.end() for m in re.finditer("\n", self.text))]
            object.__setattr__(self, "_line_starts", starts)
        return starts


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
        if len(text) > _SHOWN:  # a very long line is shown around the span only
            cut = max(0, start - _SHOWN // 2)
            text, start, end = text[cut : cut + _SHOWN], start - cut, min(end - cut, _SHOWN)
            end = max(start + 1, end)
        # Pad by display width so the caret stays under wide (CJK) characters in a terminal.
        width = max(1, _width(text[start:end]))
        caret = " " * _width(text[:start]) + "^" + "~" * (width - 1)
        return f"{head}\n    {text}\n    {caret}"


_SHOWN = 200  # characters of a source line shown under a message


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# ---------------------------------------------------------------------------- finding words inside spans


@functools.lru_cache(maxsize=64)
def _line_starts(text: str) -> tuple[int, ...]:
    return (0, *(m.end() for m in re.finditer("\n", text)))


def locate(span: Span | None, text: str, after: str | None = None) -> Span | None:
    """The span of ``text`` inside ``span`` (after the first match of regex ``after``), else ``span`` itself.

    A name matches as a whole word; anything else (an operator, a date, ``50000 USD``) as it is written.
    """
    if span is None or span.source is None or not text:
        return span
    source = span.source.text
    starts = _line_starts(source)
    if span.line > len(starts):
        return span
    start = starts[span.line - 1] + span.column - 1
    end = len(source)
    if span.end_line is not None and span.end_column is not None and span.end_line <= len(starts):
        end = starts[span.end_line - 1] + span.end_column - 1
    segment = source[start:end]
    pos = 0
    if after is not None:
        m = re.search(after, segment)
        if m is None:
            return span
        pos = m.end()
    pattern = rf"(?<![\w.]){re.escape(text)}(?!\w)" if re.fullmatch(r"\w+", text) else re.escape(text)
    m = re.compile(pattern).search(segment, pos)
    if m is None:
        return span
    absolute = start + m.start()
    line = bisect.bisect_right(starts, absolute)
    column = absolute - starts[line - 1] + 1
    return Span(span.source, line, column, line, column + len(text))


def head(span: Span | None) -> Span | None:
    """The first word of a span (a block keyword, ``rule``, ``test``): a short caret for a long node."""
    if span is None or span.source is None:
        return span
    line = span.source.line(span.line)
    m = re.match(r"[\w\"]+", line[span.column - 1:])
    return Span(span.source, span.line, span.column, span.line, span.column + len(m.group())) if m else span


def after(span: Span | None, mark: str) -> Span | None:
    """What follows ``mark`` on the first line of a span: the value of ``key: value`` or ``name: type = value``."""
    if span is None or span.source is None:
        return span
    line = span.source.line(span.line)
    i = line.find(mark, span.column - 1)
    if i < 0:
        return span
    j = i + 1
    while j < len(line) and line[j] == " ":
        j += 1
    end = span.end_column if span.end_line == span.line and span.end_column else len(line) + 1
    return Span(span.source, span.line, j + 1, span.line, max(end, j + 2))
