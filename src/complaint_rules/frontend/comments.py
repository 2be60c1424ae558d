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
        if f.name in ("span", "comments", "when"):
            continue
        _carriers(getattr(node, f.name), out)


def attach(policy: ir.Policy, comments: list[tuple[int, int, str]]) -> ir.Policy:
    """A comment goes to the outermost node starting on its line before it, else the next node after it."""
    nodes: list = []
    _carriers(policy, nodes)
    nodes.sort(key=lambda n: (n.span.line, n.span.column))
    keys = [(n.span.line, n.span.column) for n in nodes]
    assigned: dict[int, list[str]] = {}
    trailing: list[str] = []
    for line, column, text in comments:
        i = bisect_left(keys, (line, 0))
        if i < len(nodes) and nodes[i].span.line == line and nodes[i].span.column < column:
            target = i
        else:
            target = bisect_left(keys, (line, column))
        if target < len(nodes):
            assigned.setdefault(id(nodes[target]), []).append(text.rstrip())
        else:
            trailing.append(text.rstrip())
    policy = _rebuild(policy, assigned)
    if trailing:
        policy = dataclasses.replace(policy, comments=policy.comments + tuple(trailing))
    return policy


def _rebuild(node, assigned: dict[int, list[str]]):
    if isinstance(node, tuple):
        return tuple(_rebuild(item, assigned) for item in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        if f.name in ("span", "comments", "when"):
            continue
        old = getattr(node, f.name)
        new = _rebuild(old, assigned)
        if new is not old:
            changes[f.name] = new
    texts = assigned.get(id(node))
    if texts:
        changes["comments"] = node.comments + tuple(texts)
    return dataclasses.replace(node, **changes) if changes else node
