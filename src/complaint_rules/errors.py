"""Errors raised by complaint-rules: every one names where it is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .limits import MAX_DIAGNOSTICS
from .span import Span


class ComplaintRulesError(Exception):
    """Base of every error this library raises on purpose."""


class PolicyError(ComplaintRulesError):
    """A problem in a policy, located by a span; may carry several diagnostics."""

    kind = "policy"

    def __init__(self, message: str, span: Span | None = None, *, diagnostics: Sequence[Diagnostic] = ()):
        self.message = message
        self.span = span
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics) or (Diagnostic(self.kind, message, span),)
        super().__init__(self.render())

    def render(self) -> str:
        """Every diagnostic as ``file:line:col: message``, the source line and a caret."""
        return "\n".join(d.render() for d in self.diagnostics)

    @property
    def file(self) -> str | None:
        """The file of the (first) problem, as shown in the message."""
        return self.span.filename if self.span is not None else None

    @property
    def line(self) -> int | None:
        """The line of the (first) problem, from 1."""
        return self.span.line if self.span is not None else None

    @property
    def column(self) -> int | None:
        """The column of the (first) problem, from 1, in characters."""
        return self.span.column if self.span is not None else None


class PolicySyntaxError(PolicyError):
    kind = "syntax"


class PolicyNameError(PolicyError):
    kind = "name"


class PolicyTypeError(PolicyError):
    kind = "type"


class PolicyStructureError(PolicyError):
    """Duplicates, missing ``otherwise``, cycles in ``extends`` or between deadlines."""

    kind = "structure"


class Diagnostic:
    """One located message; a file collects all of them before failing."""

    __slots__ = ("kind", "message", "span")

    def __init__(self, kind: str, message: str, span: Span | None):
        self.kind = kind
        self.message = message
        self.span = span

    def render(self) -> str:
        if self.span is None:
            return f"<policy>: {self.message}"
        return self.span.render(self.message)

    def __repr__(self) -> str:
        return f"Diagnostic({self.kind!r}, {self.message!r}, {self.span.location() if self.span else None})"


_KINDS: dict[str, type[PolicyError]] = {
    "syntax": PolicySyntaxError,
    "name": PolicyNameError,
    "type": PolicyTypeError,
    "structure": PolicyStructureError,
}


class Diagnostics:
    """Collects diagnostics; ``raise_if_any`` raises one PolicyError holding them all.

    At most :data:`limits.MAX_DIAGNOSTICS` are kept (a file with thousands of problems is rejected in
    time linear in its size); the rest are counted and reported as one line.
    """

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self.dropped = 0

    def add(self, kind: str, message: str, span: Span | None) -> None:
        if len(self.items) >= MAX_DIAGNOSTICS:
            self.dropped += 1
            return
        self.items.append(Diagnostic(kind, message, span))

    def extend(self, items: Iterable[Diagnostic]) -> None:
        for item in items:
            if len(self.items) >= MAX_DIAGNOSTICS:
                self.dropped += 1
            else:
                self.items.append(item)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first = self.items[0]
        cls = _KINDS.get(first.kind, PolicyError)
        if len({d.kind for d in self.items}) > 1:
            cls = PolicyError
        items = list(self.items)
        if self.dropped:
            items.append(Diagnostic(first.kind, f"... and {self.dropped} more problems not shown", None))
        raise cls(first.message, first.span, diagnostics=items)


class RecordError(ComplaintRulesError):
    """A complaint record that does not fit the policy's schema; names the record and every bad field."""

    def __init__(self, record_id: str | None, problems: Sequence[tuple[str, str]]):
        self.record_id = record_id
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)
        super().__init__(self.render())

    @property
    def fields(self) -> tuple[str, ...]:
        """The names of the bad fields, in the schema's order."""
        return tuple(name for name, _ in self.problems)

    def render(self) -> str:
        """``record ID: field: problem; field: problem``."""
        rid = self.record_id if self.record_id is not None else "<no id>"
        parts = "; ".join(f"{name}: {msg}" for name, msg in self.problems)
        return f"record {rid}: {parts}"

    def to_dict(self) -> dict[str, Any]:
        """``{"record_id", "errors": [{"field", "message"}]}``, as ``eval`` writes error rows."""
        return {
            "record_id": self.record_id,
            "errors": [{"field": name, "message": msg} for name, msg in self.problems],
        }


class CalendarError(ComplaintRulesError, ValueError):
    """Calendar arithmetic that cannot be done truthfully (e.g. a year without holiday data), or a bad
    duration or argument given to the calendar API (also a ValueError, as such arguments always were)."""


class EvaluationError(ComplaintRulesError):
    """A decision that cannot be made for a valid record: a bad ``now``, or with ``strict=True`` a deadline
    the calendar cannot place (without ``strict`` that makes an incomplete decision instead)."""

    def __init__(self, record_id: str | None, message: str):
        self.record_id = record_id
        self.message = message
        rid = record_id if record_id is not None else "<no id>"
        super().__init__(f"record {rid}: {message}")
