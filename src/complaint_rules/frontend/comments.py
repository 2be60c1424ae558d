"""Attach source comments to the IR nodes they annotate, so the formatter can keep them."""

from __future__ import annotations

import dataclasses
from bisect import bisect_left

from .. import ir

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
        if f.name in ("span", "comments", "trailing", "when"):
            continue
        _carriers(getattr(node, f.name), out)


# Blocks that keep comments standing before their closing brace (after `otherwise`, `until`, `expect`).
_CONTAINERS = (ir.Header, ir.Classify, ir.Route, ir.Compensate, ir.FollowUp, ir.TestCase)


def attach(policy: ir.Policy, comments: list[tuple[int, int, str]]) -> ir.Policy:
    """A comment goes to the outermost node starting on its line before it, else the next one after it.

    A comment with no node after it inside its block stays in that block, before the closing brace;
    one at the end of the file stays at the end.
    """
    nodes: list = []
    _carriers(policy, nodes)
    nodes.sort(key=lambda n: (n.span.line, n.span.column))
    keys = [(n.span.line, n.span.column) for n in nodes]
    containers = [n for n in nodes if isinstance(n, _CONTAINERS) and n.span.end_line is not None]
    assigned: dict[int, list[str]] = {}
    trailing_of: dict[int, list[str]] = {}
    trailing: list[str] = []
    for line, column, text in comments:
        text = text.rstrip()
        i = bisect_left(keys, (line, 0))
        if i < len(nodes) and nodes[i].span.line == line and nodes[i].span.column < column:
            assigned.setdefault(id(nodes[i]), []).append(text)
            continue
        target = bisect_left(keys, (line, column))
        block = _innermost(containers, line, column)
        if block is not None and (target >= len(nodes) or _after_end(nodes[target], block)):
            trailing_of.setdefault(id(block), []).append(text)
        elif target < len(nodes):
            assigned.setdefault(id(nodes[target]), []).append(text)
        else:
            trailing.append(text)
    policy = _rebuild(policy, assigned, trailing_of)
    if trailing:
        policy = dataclasses.replace(policy, comments=policy.comments + tuple(trailing))
    return policy


def _innermost(containers: list, line: int, column: int):
    inside = [
        c for c in containers
        if (c.span.line, c.span.column) < (line, column) <= (c.span.end_line, c.span.end_column or 0)
    ]
    return max(inside, key=lambda c: (c.span.line, c.span.column), default=None)


def _after_end(node, block) -> bool:
    return (node.span.line, node.span.column) >= (block.span.end_line, block.span.end_column or 0)


def _rebuild(node, assigned: dict[int, list[str]], trailing_of: dict[int, list[str]]):
    if isinstance(node, tuple):
        return tuple(_rebuild(item, assigned, trailing_of) for item in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        if f.name in ("span", "comments", "trailing", "when"):
            continue
        old = getattr(node, f.name)
        new = _rebuild(old, assigned, trailing_of)
        if new is not old:
            changes[f.name] = new
    texts = assigned.get(id(node))
    if texts:
        changes["comments"] = node.comments + tuple(texts)
    texts = trailing_of.get(id(node))
    if texts:
        changes["trailing"] = node.trailing + tuple(texts)
    return dataclasses.replace(node, **changes) if changes else node
