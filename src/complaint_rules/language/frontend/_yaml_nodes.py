"""Typed, located access to pyyaml nodes for the YAML front end."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from decimal import Decimal

import yaml as pyyaml

from ... import ir
from ...errors import Diagnostic, Diagnostics, PolicyError
from ...span import Source, Span
from . import dsl

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")

_NULL = "tag:yaml.org,2002:null"
_NATIVE = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
_KIND = {pyyaml.ScalarNode: "a scalar", pyyaml.SequenceNode: "a list", pyyaml.MappingNode: "a mapping"}


def end_clamped(source: Source, line: int, column: int) -> Span:
    """A position, moved from past the last line (pyyaml's end of stream) to the end of the last line."""
    lines = source.text.splitlines()
    if lines and line > len(lines):
        line, column = len(lines), len(lines[-1]) + 1
    return Span(source, line, column)


class Nodes:
    """Typed access to YAML nodes: every wrong shape becomes a located diagnostic, never an exception."""

    def __init__(self, source: Source):
        self.source = source
        self.diagnostics = Diagnostics()
        self._walked: set[int] = set()

    # -- positions and errors
    def span(self, node) -> Span:
        start, end = node.start_mark, node.end_mark
        return Span(self.source, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def error(self, message: str, node, kind: str = "syntax") -> None:
        self.diagnostics.add(kind, message, self.span(node))

    @staticmethod
    def suggest(word: str, choices) -> str:
        close = difflib.get_close_matches(word, list(choices), n=1)
        return f" (did you mean '{close[0]}'?)" if close else ""

    def wrong(self, node, what: str) -> None:
        self.error(f"expected {what}, got {_KIND.get(type(node), 'something else')}", node)

    # -- node kinds
    @staticmethod
    def is_scalar(node) -> bool:
        return isinstance(node, pyyaml.ScalarNode)

    @staticmethod
    def is_mapping(node) -> bool:
        return isinstance(node, pyyaml.MappingNode)

    @staticmethod
    def is_sequence(node) -> bool:
        return isinstance(node, pyyaml.SequenceNode)

    @staticmethod
    def is_null(node) -> bool:
        return isinstance(node, pyyaml.ScalarNode) and node.style is None and node.tag == _NULL

    def _once(self, node) -> bool:
        # Aliases share node objects; walking one twice could loop forever or blow up exponentially.
        if id(node) in self._walked:
            self.error(
                "YAML aliases (*name) of lists and mappings are not supported; write the value out", node
            )
            return False
        self._walked.add(id(node))
        return True

    def mapping(self, node, what: str) -> list[tuple]:
        """The (key, value) pairs of a mapping, keys unique and scalar; [] after reporting anything else."""
        if not self.is_mapping(node):
            if not self.is_null(node):
                self.wrong(node, what)
            return []
        if not self._once(node):
            return []
        pairs, seen = [], set()
        for key, value in node.value:
            if not self.is_scalar(key):
                self.error(f"a key in {what} must be a plain name, not {_KIND[type(key)]}", key)
                continue
            if key.value in seen:
                self.error(f"'{key.value}' is given twice in {what}", key, "structure")
                continue
            seen.add(key.value)
            pairs.append((key, value))
        return pairs

    def keys(self, node, what: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict | None:
        """A mapping with known keys: unknown ones get "did you mean", missing required ones are named."""
        if not self.is_mapping(node):
            self.wrong(node, f"a mapping for {what} (keys: {', '.join(allowed)})")
            return None
        out: dict = {}
        for key, value in self.mapping(node, what):
            if key.value not in allowed:
                self.error(
                    f"unknown key '{key.value}' in {what}{self.suggest(key.value, allowed)}; "
                    f"expected one of {', '.join(allowed)}",
                    key,
                )
                continue
            out[key.value] = value
        for key in required:
            if key not in out:
                self.error(f"{what} is missing '{key}'", node)
        return out

    def sequence(self, node, what: str) -> list:
        if self.is_null(node):
            return []
        if not self.is_sequence(node):
            self.wrong(node, what)
            return []
        return list(node.value) if self._once(node) else []

    # -- scalars
    def text(self, node, what: str) -> str | None:
        """The text of a scalar as written (so `1.10` stays `1.10` and `no` stays `no`)."""
        if not self.is_scalar(node):
            self.wrong(node, f"text for {what}")
            return None
        return node.value

    def name(self, node, what: str) -> str | None:
        text = self.text(node, what)
        if text is None:
            return None
        if not _NAME.match(text):
            self.error(
                f"{what}: {text!r} is not a name (a-z, 0-9 and _, not starting with a digit)",
                node,
            )
            return None
        return text

    def names(self, node, what: str, at_least_one: bool = False, spans: bool = False) -> tuple:
        """A list of names; a single name stands for a list of one."""
        before = len(self.diagnostics)
        items = (
            [node]
            if self.is_scalar(node) and not self.is_null(node)
            else self.sequence(node, f"a list of names for {what}")
        )
        out = []
        for item in items:
            name = self.name(item, f"a name in {what}")
            if name is not None:
                out.append((name, self.span(item)) if spans else name)
        if at_least_one and not items and len(self.diagnostics) == before:
            self.error(f"{what} needs at least one name", node)
        return tuple(out)

    def boolean(self, node, what: str) -> bool | None:
        if self.is_scalar(node) and node.tag == "tag:yaml.org,2002:bool":
            return node.value.lower() in ("true", "yes", "on")
        self.error(f"{what} is true or false", node)
        return None

    def fragment(self, node, kind: str, what: str):
        """A DSL condition, duration or timing written in a scalar, parsed at the scalar's position."""
        if not self.is_scalar(node):
            self.wrong(node, f"{what} as text")
            return None
        if not node.value.strip():
            self.error(f"{what} is empty", node)
            return None
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if node.style in ("'", '"'):
            column += 1
        elif node.style in ("|", ">"):
            line += 1
            following = self.source.line(line)
            column = len(following) - len(following.lstrip(" ")) + 1
        try:
            return dsl.parse_fragment(node.value, kind, self.source, line, column)
        except PolicyError as exc:
            self.diagnostics.extend(exc.diagnostics)
        except RecursionError:
            self.error(f"{what} is nested too deeply", node)
        return None

    def entries(self, node, what: str) -> tuple[ir.Entry, ...]:
        """A list of mappings, e.g. ``follow_ups: [{at: ..., method: phone, satisfied: false}]``."""
        entries = []
        for item in self.sequence(node, what):
            pairs = []
            for key, value in self.mapping(item, f"an entry of {what}"):
                name = self.name(key, f"a key in an entry of {what}")
                val = self.value(value, f"'{name}' in {what}")
                if name is not None and val is not None:
                    pairs.append((name, val))
            entries.append(ir.Entry(tuple(pairs)))
        return tuple(entries)

    def value(self, node, what: str):
        """A literal: plain scalars are DSL values, quoted scalars are text, lists are sets."""
        if self.is_sequence(node) and any(self.is_mapping(item) for item in node.value):
            return self.entries(node, what)
        if self.is_sequence(node):
            members = []
            for item in self.sequence(node, what):
                if self.is_scalar(item) and item.style is not None:
                    members.append(item.value)
                else:
                    name = self.name(item, f"a member of {what} (quote it to write text)")
                    if name is not None:
                        members.append(name)
            if len(set(members)) != len(members):
                self.error(f"{what} lists the same member twice", node)
            return frozenset(members)
        if not self.is_scalar(node):
            self.wrong(node, f"a value for {what}")
            return None
        if node.style is not None:
            return node.value
        if self.is_null(node):
            self.error(f"{what} is empty; expected a value", node)
            return None
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        try:
            result = dsl.parse_fragment(node.value, "value", self.source, line, column)
        except PolicyError as exc:
            if node.tag in _NATIVE:
                return self.native(node, what, exc)
            # Plain text that is not a DSL value is most likely meant as text.
            first, *rest = exc.diagnostics
            hint = Diagnostic(first.kind, f"{first.message} (quote the value to write text)", first.span)
            self.diagnostics.extend([hint, *rest])
            return None
        except RecursionError:
            self.error(f"{what} is nested too deeply", node)
            return None
        return result.value if isinstance(result, ir.Const) else result

    def native(self, node, what: str, dsl_error: PolicyError):
        """Native YAML scalars the DSL does not read (True, 1_000, 1.5e+3, timestamps with a space)."""
        try:
            value = pyyaml.constructor.SafeConstructor().construct_object(node, deep=True)
        except (pyyaml.YAMLError, ValueError, TypeError, OverflowError):
            self.diagnostics.extend(dsl_error.diagnostics)  # e.g. 2026-02-30: the DSL says why
            return None
        if isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                self.error(f"{what}: {node.value!r} is not a finite number", node)
                return None
            return Decimal(repr(value))
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            self.error(f"{what}: date-time {node.value!r} needs a UTC offset, e.g. +08:00", node)
            return None
        return value
