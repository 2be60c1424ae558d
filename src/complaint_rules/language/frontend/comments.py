"""Attach source comments to the constructs they annotate, so the formatter can keep them in place.

The canonical form puts every comment on a line of its own, above what it annotates or at the end of
the block it sits in. Where a comment goes:

* a comment inside a construct (a rule or field written over several lines, a one-line ``given``)
  goes above that construct;
* a comment at the end of a line goes with the construct that ends just before it on that line: above
  it, or, after a closing brace, at the end of the block that brace closes (before the brace); with
  nothing ending before it on its line, it goes above the block that starts on that line;
* any other comment goes above the next construct of its block, or, with none after it, to the end of
  its block (before the closing brace), or at top level to the end of the file.

Constructs with a node of their own (rules, fields, names, tiers, the header and the classify, route,
compensate, follow_up and test blocks) keep their comments in the node's ``comments`` (above) and
``trailing`` (before the closing brace). The others (``record { }`` and the other blocks held as tuples,
header settings, ``otherwise`` of classify and route, ``until satisfied``, ``amount``, ``options``,
``authority``, a test's ``given``/``now``/``expect``) keep them in :attr:`ir.Policy.comment_slots`,
under the name the printer looks up (``NAME}`` is the end of that block, before its ``}``; i and j count
from 0):

    extends; record, record}, units, units}, levels, levels}, statuses, statuses}, deadlines, deadlines}, escalate, escalate},
    obligations, obligations}, invariants, invariants}; header.SETTING; classify.otherwise, route.otherwise;
    follow_up.until; compensate.amount, compensate.options, compensate.options}, compensate.authority,
    compensate.authority}, compensate.authority.i; test.i.given, test.i.now, test.i.expect, test.i.expect},
    test.i.expect.j
"""

from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from ... import ir

# Node types that carry leading comments.
_CARRIERS = (
    ir.Header,
    ir.FieldDecl,
    ir.Named,
    ir.ClassifyRule,
    ir.RouteRule,
    ir.DeadlineRule,
    ir.EscalationRule,
    ir.RemedyRule,
    ir.FollowUpRule,
    ir.ObligationRule,
    ir.InvariantRule,
    ir.Tier,
    ir.Classify,
    ir.Route,
    ir.Compensate,
    ir.FollowUp,
    ir.TestCase,
)
# Blocks with a node of their own: comments above them go to ``comments``, at their end to ``trailing``.
_BLOCKS = (ir.Header, ir.Classify, ir.Route, ir.Compensate, ir.FollowUp, ir.TestCase)
# Top-level blocks held as tuples of the policy: their comments go to comment slots named after them.
TUPLE_BLOCKS = ("record", "units", "levels", "statuses", "deadlines", "escalate", "obligations", "invariants")
HEADER_SETTINGS = ("title", "version", "effective", "currency", "calendar", "hours", "timezone", "holidays",
                   "workdays")
_SKIP_FIELDS = ("span", "comments", "trailing", "comment_slots", "when")


def _carriers(node, out: list) -> None:
    if isinstance(node, tuple):
        for item in node:
            _carriers(item, out)
        return
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return
    if isinstance(node, _CARRIERS) and node.span is not None:
        out.append(node)
    for f in dataclasses.fields(node):
        if f.name in _SKIP_FIELDS:
            continue
        _carriers(getattr(node, f.name), out)


# ---------------------------------------------------------------------------- the layout of the source

Pos = tuple[int, int]  # (line, column), 1-based like Lark's


class _Token(NamedTuple):
    start: Pos
    end: Pos  # exclusive
    text: str


# Strings first, so that a `#` or a brace inside one is not taken for a comment or a block.
_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*|[A-Za-z0-9_]+|\S')


def _tokens(text: str, skip: list[tuple[Pos, Pos]]) -> list[_Token]:
    """The tokens of ``text`` outside the regions ``skip`` (sorted, not overlapping): rules, fields and names,
    whose extent their spans give (tokenizing only the rest keeps this cheap)."""
    line_starts = [0]
    line_starts.extend(m.end() for m in re.finditer("\n", text))

    def offset(p: Pos) -> int:
        return line_starts[p[0] - 1] + p[1] - 1

    gaps, at = [], 0
    for start, end in skip:
        gaps.append((at, offset(start)))
        at = max(at, offset(end))
    gaps.append((at, len(text)))
    out = []
    line = 0
    for lo, hi in gaps:
        for m in _TOKEN.finditer(text, lo, hi):
            word = m.group()
            if word[0] == "#":
                continue
            a, b = m.span()
            while line + 1 < len(line_starts) and line_starts[line + 1] <= a:
                line += 1
            base = line_starts[line] - 1
            out.append(_Token((line + 1, a - base), (line + 1, b - base), word))
    return out


@dataclasses.dataclass
class _Anchor:
    """A construct that comments can be placed at: above it, and for a block at its end."""

    start: Pos
    end: Pos  # exclusive: for a block, the end of its closing brace
    above: tuple  # where comments above it go
    open: Pos | None = None  # a block's opening brace
    inside: tuple | None = None  # where comments at a block's end go


def _pos(span) -> tuple[Pos, Pos]:
    return (span.line, span.column), (span.end_line, span.end_column)


class _Layout:
    """The constructs of a parsed policy and where each stands in its source."""

    def __init__(self, policy: ir.Policy, text: str):
        nodes: list = []
        _carriers(policy, nodes)
        self.blocks = {(n.span.line, n.span.column): n for n in nodes if isinstance(n, _BLOCKS)}
        # Rules, fields, names and tiers: their spans give their extent.
        leaves = {_pos(n.span): n for n in nodes
                  if not isinstance(n, _BLOCKS) and n.span.end_line is not None}
        self.anchors = [_Anchor(start, end, ("above", id(n))) for (start, end), n in leaves.items()]
        self.toks = _tokens(text, sorted(leaves))
        self.match: dict[int, int] = {}
        stack = []
        for i, t in enumerate(self.toks):
            if t.text == "{":
                stack.append(i)
            elif t.text == "}" and stack:
                self.match[stack.pop()] = i
        self.tests = {id(t): i for i, t in enumerate(policy.tests)}
        self._top()
        if policy.compensate is not None:
            self._items(policy.compensate.authority, "compensate.authority")
        for i, t in enumerate(policy.tests):
            self._items(t.expect, f"test.{i}.expect")
        self.index()

    def _items(self, items, slot: str) -> None:
        for j, item in enumerate(items):
            if item.span is not None and item.span.end_line is not None:
                self.anchors.append(_Anchor(*_pos(item.span), ("slot", f"{slot}.{j}")))

    def _block(self, at: int, open_i: int, above: tuple, inside: tuple) -> int:
        """Record the block whose first token is ``at`` and whose ``{`` is ``open_i``; the index of its ``}``."""
        close = self.match.get(open_i, len(self.toks) - 1)
        self.anchors.append(_Anchor(self.toks[at].start, self.toks[close].end, above, self.toks[open_i].start, inside))
        return close

    def _span(self, first: int, last: int, above: tuple) -> None:
        self.anchors.append(_Anchor(self.toks[first].start, self.toks[last].end, above))

    def _next_brace(self, i: int) -> int | None:
        while i < len(self.toks) and self.toks[i].text != "{":
            i += 1
        return i if i < len(self.toks) else None

    def _top(self) -> None:
        toks, i = self.toks, 0
        while i < len(toks):
            t = toks[i]
            node = self.blocks.get(t.start)
            if node is not None:
                open_i = self._next_brace(i)
                if open_i is None:
                    return
                close = self._block(i, open_i, ("above", id(node)), ("trailing", id(node)))
                self._body(node, open_i, close)
                i = close + 1
            elif t.text in TUPLE_BLOCKS and i + 1 < len(toks) and toks[i + 1].text == "{":
                i = self._block(i, i + 1, ("slot", t.text), ("slot", t.text + "}")) + 1
            elif t.text == "extends" and i + 1 < len(toks):
                self._span(i, i + 1, ("slot", "extends"))
                i += 2
            elif t.text == "{":
                i = self.match.get(i, len(toks)) + 1
            else:
                i += 1

    def _direct(self, open_i: int, close: int) -> list[int]:
        """The tokens directly inside a block (those of rules, fields and names are not read): an inner ``{``
        stands for its whole group (up to its ``}``)."""
        out, i = [], open_i + 1
        while i < close:
            out.append(i)
            i = self.match.get(i, i) + 1 if self.toks[i].text == "{" else i + 1
        return out

    def _body(self, node, open_i: int, close: int) -> None:
        toks, direct = self.toks, self._direct(open_i, close)
        if isinstance(node, ir.Header):
            starts = [k for k, i in enumerate(direct) if toks[i].text in HEADER_SETTINGS]
            for n, k in enumerate(starts):
                last = direct[starts[n + 1] - 1] if n + 1 < len(starts) else direct[-1]
                self._span(direct[k], self.match.get(last, last), ("slot", "header." + toks[direct[k]].text))
        elif isinstance(node, (ir.Classify, ir.Route)):
            if direct and toks[direct[0]].text == "otherwise":
                block = "classify" if isinstance(node, ir.Classify) else "route"
                self._span(direct[0], direct[-1], ("slot", block + ".otherwise"))
        elif isinstance(node, ir.FollowUp):
            runs = _runs(direct)
            for run in runs:
                if toks[run[0]].text == "until":
                    self._span(run[0], run[-1], ("slot", "follow_up.until"))
        elif isinstance(node, ir.Compensate):
            k = 0
            while k < len(direct):
                word = toks[direct[k]].text
                if word == "amount" and k + 1 < len(direct):
                    self._span(direct[k], direct[k + 1], ("slot", "compensate.amount"))
                    k += 2
                elif word in ("options", "authority") and k + 1 < len(direct) and toks[direct[k + 1]].text == "{":
                    slot = "compensate." + word
                    self._block(direct[k], direct[k + 1], ("slot", slot), ("slot", slot + "}"))
                    k += 2
                else:
                    k += 1
        elif isinstance(node, ir.TestCase):
            prefix = f"test.{self.tests.get(id(node), 0)}."
            k = 0
            while k < len(direct):
                word = toks[direct[k]].text
                brace = k + 1 < len(direct) and toks[direct[k + 1]].text == "{"
                if word == "given" and brace:
                    self._span(direct[k], self.match.get(direct[k + 1], direct[k + 1]), ("slot", prefix + "given"))
                    k += 2
                elif word == "expect" and brace:
                    self._block(direct[k], direct[k + 1], ("slot", prefix + "expect"), ("slot", prefix + "expect}"))
                    k += 2
                elif word == "now":
                    end = k + 1
                    while end < len(direct) and toks[direct[end]].text not in ("given", "expect"):
                        end += 1
                    self._span(direct[k], direct[end - 1], ("slot", prefix + "now"))
                    k = end
                else:
                    k += 1

    def index(self) -> None:
        """Sort the anchors and link each to the one around it, for :meth:`place`."""
        self.anchors.sort(key=lambda a: (a.start, (-a.end[0], -a.end[1])))  # outer first at equal starts
        self.starts = [a.start for a in self.anchors]
        self.parent: list[int | None] = []
        stack: list[int] = []
        for k, a in enumerate(self.anchors):
            while stack and self.anchors[stack[-1]].end <= a.start:
                stack.pop()
            self.parent.append(stack[-1] if stack else None)
            stack.append(k)
        self.by_end = sorted(range(len(self.anchors)), key=lambda k: (self.anchors[k].end, self.anchors[k].start))
        self.ends = [self.anchors[k].end for k in self.by_end]

    def place(self, at: Pos) -> tuple:
        """Where the comment starting at ``at`` goes."""
        anchors = self.anchors
        # The innermost construct around the comment: the last one starting before it, or one around that.
        k: int | None = bisect_left(self.starts, at) - 1
        while k is not None and k >= 0 and not anchors[k].end > at:
            k = self.parent[k]
        inner = anchors[k] if k is not None and k >= 0 else None
        if inner is not None and (inner.open is None or at < inner.open):
            return inner.above  # inside a rule, field, setting...; or between a block's keyword and its `{`
        # The construct that ends last before the comment on its line (the outer one of two ending together).
        e = bisect_right(self.ends, at) - 1
        while e > 0 and self.ends[e - 1] == self.ends[e]:
            e -= 1
        before = anchors[self.by_end[e]] if e >= 0 else None
        if before is not None and before.end[0] == at[0] and (inner is None or before.start > inner.start):
            return before.inside if before.open is not None else before.above
        if inner is not None and inner.start[0] == at[0]:
            return inner.above
        # The next construct of the same block.
        n = bisect_right(self.starts, at)
        if n < len(anchors) and (inner is None or anchors[n].start < inner.end):
            return anchors[n].above
        return inner.inside if inner is not None else ("file",)


def _runs(indices: list[int]) -> list[list[int]]:
    """Consecutive token indices grouped: the pieces between rules."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


# ---------------------------------------------------------------------------- attaching


def attach(policy: ir.Policy, comments: list[tuple[int, int, str]]) -> ir.Policy:
    """Place each comment (line, column, text) at the construct it annotates (see the module's doc)."""
    source = policy.span.source if policy.span is not None else None
    if source is None:  # no text to place them in: keep them at the end
        return dataclasses.replace(policy, comments=policy.comments + tuple(c[2].rstrip() for c in comments))
    layout = _Layout(policy, source.text)
    above: dict[int, list[str]] = {}
    trailing: dict[int, list[str]] = {}
    slots: dict[str, list[str]] = {}
    end: list[str] = []
    for line, column, text in comments:
        text = text.rstrip()
        target = layout.place((line, column))
        if target[0] == "above":
            above.setdefault(target[1], []).append(text)
        elif target[0] == "trailing":
            trailing.setdefault(target[1], []).append(text)
        elif target[0] == "slot":
            slots.setdefault(target[1], []).append(text)
        else:
            end.append(text)
    policy = _rebuild(policy, above, trailing)
    changes: dict = {}
    if slots:
        changes["comment_slots"] = policy.comment_slots + tuple(
            ir.CommentSlot(where, tuple(texts)) for where, texts in slots.items()
        )
    if end:
        changes["comments"] = policy.comments + tuple(end)
    return dataclasses.replace(policy, **changes) if changes else policy


def _rebuild(node, above: dict[int, list[str]], trailing: dict[int, list[str]]):
    if isinstance(node, tuple):
        return tuple(_rebuild(item, above, trailing) for item in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        if f.name in _SKIP_FIELDS:
            continue
        old = getattr(node, f.name)
        new = _rebuild(old, above, trailing)
        if new is not old:
            changes[f.name] = new
    texts = above.get(id(node))
    if texts:
        changes["comments"] = node.comments + tuple(texts)
    texts = trailing.get(id(node))
    if texts:
        changes["trailing"] = node.trailing + tuple(texts)
    return dataclasses.replace(node, **changes) if changes else node
