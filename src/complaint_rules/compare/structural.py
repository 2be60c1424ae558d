"""Structural diff: rules added, removed, changed and moved (keyed by id), and values changed.

Spans and comments are not part of the IR's equality, so formatting-only changes and DSL-vs-YAML
syntax give an empty diff.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from .. import ir
from ..language.printer import duration, expr, life, timing, value
from .durations import same_meaning, zone_note

KINDS = ("added", "removed", "changed", "moved")


class Change(BaseModel):
    """One structural edit. ``key`` is a rule id, or the key of a value (``header.version``, ``tier.major``)."""

    kind: str
    block: str
    key: str
    field: str | None = None
    old: str | None = None
    new: str | None = None
    old_location: str | None = None
    new_location: str | None = None
    # Set when the old and new values are written differently but mean the same (``24 hours`` ->
    # ``1440 minutes``): why, e.g. "same length". Such a change decides no record differently.
    same: str | None = None

    def describe(self) -> str:
        what = f"{self.block} {self.key}" + (f" {self.field}" if self.field else "")
        if self.kind == "added":
            return f"+ {what}: {self.new}"
        if self.kind == "removed":
            return f"- {what}: {self.old}"
        if self.kind == "moved":
            return f"~ {what} moved: position {self.old} -> {self.new}"
        return f"~ {what}: {self.old} -> {self.new}" + (f" ({self.same})" if self.same else "")


def _loc(node) -> str | None:
    span = getattr(node, "span", None)
    return span.location() if span is not None else None


def _show(v: Any) -> str | None:
    """A value as policy text."""
    if v is None:
        return None
    if isinstance(v, tuple):
        return ", ".join(_show(x) or "" for x in v)
    if isinstance(v, ir.Duration):
        return duration(v)
    if isinstance(v, ir.Timing):
        return timing(v)
    if isinstance(v, (ir.Ref, ir.Const, ir.Compare, ir.InSet, ir.Has, ir.Mentions, ir.Missing, ir.And, ir.Or, ir.Not)):
        return expr(v)
    if isinstance(v, ir.FieldType):
        return str(v)
    if isinstance(v, ir.Named):
        return v.id + (f' "{v.label}"' if v.label is not None else "")
    if isinstance(v, ir.ClockLife):
        return life(v).strip() or "runs only (no pause, stop, restart or warning)"
    if dataclasses.is_dataclass(v):
        return str(v)
    try:
        return value(v)
    except TypeError:
        return str(v)


# Fields of a rule that describe it; ``position`` is only meaningful in overlays, ``id`` is the key.
_SKIP = {"id", "span", "comments", "trailing", "position"}


def _rule_fields(rule) -> list[str]:
    return [f.name for f in dataclasses.fields(rule) if f.name not in _SKIP]


def _summary(rule) -> str:
    parts = []
    for name in _rule_fields(rule):
        v = getattr(rule, name)
        if v is None or v == ():
            continue
        parts.append(f"{name}={_show(v)}")
    return "; ".join(parts)


def diff_rules(block: str, old: Sequence, new: Sequence, same: Callable[[Any, Any], str | None] | None = None
               ) -> list[Change]:
    """Added, removed and changed rules by id; ``moved`` when the relative order of kept rules changed.

    ``same(old_value, new_value)`` says why two different field values mean the same (or None).
    """
    changes: list[Change] = []
    old_by = {r.id: r for r in old}
    new_by = {r.id: r for r in new}
    for r in old:
        if r.id not in new_by:
            changes.append(Change(kind="removed", block=block, key=r.id, old=_summary(r), old_location=_loc(r)))
    for r in new:
        before = old_by.get(r.id)
        if before is None:
            changes.append(Change(kind="added", block=block, key=r.id, new=_summary(r), new_location=_loc(r)))
            continue
        if type(before) is not type(r):
            changes.append(Change(kind="changed", block=block, key=r.id, field="kind",
                                  old=type(before).__name__, new=type(r).__name__))
            continue
        for name in _rule_fields(r):
            a, b = getattr(before, name), getattr(r, name)
            if a != b:
                changes.append(Change(kind="changed", block=block, key=r.id, field=name, old=_show(a), new=_show(b),
                                      old_location=_loc(before), new_location=_loc(r),
                                      same=same(a, b) if same else None))
    kept_old = [r.id for r in old if r.id in new_by]
    kept_new = [r.id for r in new if r.id in old_by]
    if kept_old != kept_new:
        moved = _moved(kept_old, kept_new)
        for rid in moved:
            changes.append(Change(kind="moved", block=block, key=rid, old=str(kept_old.index(rid) + 1),
                                  new=str(kept_new.index(rid) + 1), old_location=_loc(old_by[rid]),
                                  new_location=_loc(new_by[rid])))
    return changes


def _moved(old: list[str], new: list[str]) -> list[str]:
    """The fewest ids whose move explains the new order: those outside a longest common subsequence."""
    n, m = len(old), len(new)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            table[i][j] = table[i + 1][j + 1] + 1 if old[i] == new[j] else max(table[i + 1][j], table[i][j + 1])
    stay, i, j = set(), 0, 0
    while i < n and j < m:
        if old[i] == new[j]:
            stay.add(old[i])
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return [rid for rid in new if rid not in stay]


def diff_keyed(block: str, old: Sequence, new: Sequence, key: Callable[[Any], str], show: Callable = _show,
               ordered: bool = False) -> list[Change]:
    """Added, removed and changed values keyed by ``key`` (units, levels, fields, tiers...)."""
    changes: list[Change] = []
    old_by = {key(x): x for x in old}
    new_by = {key(x): x for x in new}
    for k, x in old_by.items():
        if k not in new_by:
            changes.append(Change(kind="removed", block=block, key=k, old=show(x), old_location=_loc(x)))
    for k, x in new_by.items():
        if k not in old_by:
            changes.append(Change(kind="added", block=block, key=k, new=show(x), new_location=_loc(x)))
        elif old_by[k] != x:
            changes.append(Change(kind="changed", block=block, key=k, old=show(old_by[k]), new=show(x),
                                  old_location=_loc(old_by[k]), new_location=_loc(x)))
    if ordered:
        kept_old = [k for k in old_by if k in new_by]
        kept_new = [k for k in new_by if k in old_by]
        if kept_old != kept_new:
            for k in _moved(kept_old, kept_new):
                changes.append(Change(kind="moved", block=block, key=k, old=str(kept_old.index(k) + 1),
                                      new=str(kept_new.index(k) + 1)))
    return changes


def _value_change(block: str, key: str, old: Any, new: Any) -> list[Change]:
    if old == new:
        return []
    kind = "added" if old is None else "removed" if new is None else "changed"
    return [Change(kind=kind, block=block, key=key, old=_show(old), new=_show(new))]


def _tier(t: ir.Tier) -> str:
    return f"up to {t.cap} by {t.approver}"


def _authority(a: ir.Authority) -> str:
    return f"up to {a.limit}"


def _field(f: ir.FieldDecl) -> str:
    text = str(f.type)
    if f.default is not None:
        text += f" = {value(f.default)}"
    if f.required:
        text += " required"
    return text


def structural_diff(old: ir.Policy, new: ir.Policy) -> list[Change]:
    """Every structural change from ``old`` to ``new`` (both resolved), in block order."""
    changes: list[Change] = []

    def same(a: Any, b: Any) -> str | None:
        return same_meaning(a, b, old.header, new.header)

    for f in dataclasses.fields(ir.Header):
        if f.name in ("span", "comments", "trailing", "calendar_sources"):
            continue
        changes += _value_change("header", f.name, getattr(old.header, f.name) or None,
                                 getattr(new.header, f.name) or None)
    changes += diff_keyed("record", old.record, new.record, lambda f: f.name, _field)
    changes += diff_keyed("units", old.units, new.units, lambda n: n.id)
    changes += diff_keyed("levels", old.levels, new.levels, lambda n: n.id, ordered=True)
    changes += diff_keyed("statuses", old.statuses, new.statuses, lambda n: n.id)
    for block in ("classify", "route"):
        a, b = getattr(old, block), getattr(new, block)
        changes += _value_change(block, "hit", a and a.hit, b and b.hit)
        changes += _value_change(block, "otherwise", a and a.otherwise, b and b.otherwise)
        changes += diff_rules(block, a.rules if a else (), b.rules if b else ())
    changes += diff_rules("deadlines", old.deadlines, new.deadlines, same)
    changes += diff_rules("escalate", old.escalate, new.escalate, same)
    ca, cb = old.compensate or ir.Compensate(), new.compensate or ir.Compensate()
    changes += _value_change("compensate", "amount", ca.amount, cb.amount)
    changes += diff_keyed("compensate.options", ca.options, cb.options, lambda n: n.id, ordered=True)
    changes += diff_keyed("compensate.authority", ca.authority, cb.authority, lambda a: a.role, _authority)
    changes += diff_keyed("compensate.tiers", ca.tiers, cb.tiers, lambda t: t.level, _tier)
    changes += diff_rules("compensate", ca.rules, cb.rules)
    fa, fb = old.follow_up or ir.FollowUp(), new.follow_up or ir.FollowUp()
    changes += diff_rules("follow_up", fa.rules + ((fa.otherwise,) if fa.otherwise else ()),
                          fb.rules + ((fb.otherwise,) if fb.otherwise else ()), same)
    changes += _value_change("follow_up", "until_satisfied", fa.until_satisfied, fb.until_satisfied)
    changes += diff_rules("obligations", old.obligations, new.obligations, same)
    changes += diff_rules("invariants", old.invariants, new.invariants)
    return changes


def length_notes(old: ir.Policy, new: ir.Policy) -> list[str]:
    """Notes on durations written alike in length but compared as different (``1 day`` against ``24 hours``
    in a zone with daylight saving): the diff reports them, and the reader should know why."""
    notes: list[str] = []
    fa, fb = old.follow_up or ir.FollowUp(), new.follow_up or ir.FollowUp()
    blocks = [
        ("deadlines", old.deadlines, new.deadlines),
        ("escalate", old.escalate, new.escalate),
        ("follow_up", (*fa.rules, *((fa.otherwise,) if fa.otherwise else ())),
         (*fb.rules, *((fb.otherwise,) if fb.otherwise else ()))),
        ("obligations", old.obligations, new.obligations),
    ]  # fmt: skip
    for block, a, b in blocks:
        before = {r.id: r for r in a}
        for r in b:
            o = before.get(r.id)
            if o is None or type(o) is not type(r):
                continue
            for name in ("duration", "timing", "window"):
                x, y = getattr(o, name, None), getattr(r, name, None)
                if x != y and (note := zone_note(x, y, old.header, new.header)):
                    notes.append(f"{block} {r.id} {name}: {note}")
    return notes
