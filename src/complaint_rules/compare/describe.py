"""Regions as readable conditions: ``claimed_amount in [1000 CNY, 5000 CNY) and category == product_quality``."""

from __future__ import annotations

import datetime as dt
import json

from .. import ir
from ..analysis.conditions import MISSING
from ..analysis.domain import OTHER, Dim, Space
from ..analysis.regions import Box, RegionTooLarge, find_point, subtract

# Beyond these sizes a region is summarised rather than spelt out box by box.
MAX_EXPLICIT = 2000
MAX_SHOWN = 8


def explicit(space: Space, pos: list[Box], neg: list[Box], possible=None) -> list[Box] | None:
    """``pos - neg`` as boxes that hold some possible record, merged; None when too large to spell out."""
    try:
        boxes = subtract(pos, neg) if neg else list(pos)
    except RegionTooLarge:
        return None
    if len(boxes) > MAX_EXPLICIT:
        return None
    if possible is None:
        boxes = [b for b in boxes if find_point([b], space.infeasible) is not None]
    else:
        boxes = [b for b in boxes if possible(b)]
    return merge(boxes)


def expand(space: Space, boxes: list[Box], limit: int = 200) -> list[Box]:
    """Grow each box by every atom whose records are already in the region (or impossible), then merge.

    This is the *expand* step of two-level logic minimisation: a box that grows until only the
    region's own records fit describes them with fewer conditions.
    """
    if len(boxes) > limit:
        return boxes
    region = list(boxes)
    out: list[Box] = []
    for box in boxes:
        grown = list(box)
        for d, full in enumerate(space.full):
            for atom in range(full.bit_length()):
                bit = 1 << atom
                if grown[d] & bit:
                    continue
                trial = grown[d] | bit
                candidate = tuple(grown[:d] + [trial] + grown[d + 1 :])
                if find_point([candidate], [*region, *space.infeasible]) is None:
                    grown[d] = trial
        out.append(tuple(grown))
    return merge(out)


def merge(boxes: list[Box]) -> list[Box]:
    """Join boxes that differ in one dimension only, and drop boxes inside others, until nothing changes."""
    boxes = list(dict.fromkeys(boxes))
    changed = True
    while changed and len(boxes) > 1:
        changed = False
        boxes = _absorb(boxes)
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                diff = [k for k, (x, y) in enumerate(zip(a, b)) if x != y]
                if len(diff) <= 1:
                    k = diff[0] if diff else 0
                    joined = a[:k] + (a[k] | b[k],) + a[k + 1 :]
                    boxes = [x for n, x in enumerate(boxes) if n not in (i, j)] + [joined]
                    changed = True
                    break
            if changed:
                break
    return boxes


def _absorb(boxes: list[Box]) -> list[Box]:
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: -sum((m).bit_count() for m in b)):
        if not any(all(not (y & ~x) for x, y in zip(k, box)) for k in kept):
            kept.append(box)
    return kept


def describe_boxes(space: Space, boxes: list[Box] | None, fallback: str = "some records") -> str:
    """A DNF as text: boxes joined by ``or``, at most :data:`MAX_SHOWN` of them."""
    if boxes is None:
        return fallback
    if not boxes:
        return "no record"
    # Constraints every box shares are said once, in front.
    common = [i for i, full in enumerate(space.full)
              if boxes[0][i] != full and all(b[i] == boxes[0][i] for b in boxes)]  # fmt: skip
    prefix = ""
    if common and len(boxes) > 1:
        head = tuple(boxes[0][i] if i in common else full for i, full in enumerate(space.full))
        prefix = describe_box(space, head)
        boxes = [
            tuple(full if i in common else m for i, (m, full) in enumerate(zip(b, space.full))) for b in boxes
        ]
    texts = sorted(describe_box(space, b) for b in boxes)
    if any(t == "every record" for t in texts):
        return prefix or "every record"
    shown = texts[:MAX_SHOWN]
    more = f" or ... ({len(texts) - MAX_SHOWN} more)" if len(texts) > MAX_SHOWN else ""
    if len(shown) == 1:
        body = shown[0] + more
    else:
        body = " or ".join(f"({t})" if " and " in t or " or " in t else t for t in shown) + more
    if prefix:
        return f"{prefix} and ({body})" if len(shown) > 1 or more else f"{prefix} and {body}"
    return body


def describe_box(space: Space, box: Box) -> str:
    """One box as a conjunction of conditions on the dimensions it constrains."""
    parts: list[str] = []
    members: dict[tuple[str, str], list[str]] = {}
    for dim, mask, full in zip(space.dims, box, space.full):
        if mask == full:
            continue
        if dim.role == "member":
            member = dim.name.split("#", 1)[1]
            members.setdefault((dim.field, "has" if mask == 0b10 else "lacks"), []).append(member)
        elif dim.role == "keyword":
            word = dim.name.split("~", 1)[1]
            members.setdefault((dim.field, "mentions" if mask == 0b10 else "lacks_kw"), []).append(word)
        elif dim.role == "set_missing":
            parts.append(f"{dim.field} is {'missing' if mask == 0b10 else 'present'}")
        elif dim.role == "opaque":
            parts.append(("" if mask == 0b10 else "not ") + dim.name[1:])
        else:
            parts.append(_value(space, dim, mask))
    for (name, how), items in members.items():
        items = sorted(items)
        if how == "has":
            parts.append(
                f"{name} has all {_set(items)}" if len(items) > 1 else f"{name} has any {_set(items)}"
            )
        elif how == "lacks":
            parts.append(f"not {name} has any {_set(items)}")
        elif how == "mentions":
            q = "all" if len(items) > 1 else "any"
            parts.append(f"{name} mentions {q} {_set(items, quote=True)}")
        else:
            parts.append(f"not {name} mentions any {_set(items, quote=True)}")
    return " and ".join(sorted(parts)) or "every record"


def _set(items: list[str], quote: bool = False) -> str:
    return "{" + ", ".join(json.dumps(i, ensure_ascii=False) if quote else i for i in items) + "}"


def _value(space: Space, dim: Dim, mask: int) -> str:
    name = dim.name
    chosen = [a for a in range(dim.size) if mask >> a & 1]
    missing = [a for a in chosen if dim.atoms[a] is MISSING]
    present = [a for a in chosen if dim.atoms[a] is not MISSING]
    all_present = [a for a in range(dim.size) if dim.atoms[a] is not MISSING]
    if not present:
        return f"{name} is missing"
    decl = space.schema.get(dim.field)
    kind = decl.type.kind if decl is not None else "enum"
    if present == all_present:
        text = f"{name} is present"
    elif kind == "bool":
        text = name if dim.atoms[present[0]] is True else f"not {name}"
    elif kind in ("enum", "text"):
        labels = [dim.labels[a] for a in present]
        others = [dim.labels[a] for a in all_present if a not in present]
        if len(labels) == 1 and dim.atoms[present[0]] is not OTHER:
            text = f"{name} == {labels[0]}"
        elif len(others) == 1 and dim.atoms[all_present[0]] is not OTHER and OTHER not in dim.atoms:
            text = f"{name} != {others[0]}"
        elif len(others) < len(labels):
            text = f"{name} not in {{{', '.join(others)}}}"
        else:
            text = f"{name} in {{{', '.join(labels)}}}"
    else:
        text = _ranges(dim, present, _unit(space, decl))
    if missing:
        return f"({text} or {name} is missing)"
    return text


def _unit(space: Space, decl) -> str:
    if decl is not None and decl.type.kind == "money":
        currency = decl.type.currency or space.policy.header.currency
        return f" {currency}" if currency else ""
    return ""


def _ranges(dim: Dim, present: list[int], unit: str) -> str:
    """Contiguous runs of interval atoms as ``x < 5``, ``x == 5``, ``x in [1, 5)``, joined by ``or``."""
    runs: list[list[int]] = []
    for a in present:
        if runs and runs[-1][-1] == a - 1:
            runs[-1].append(a)
        else:
            runs.append([a])
    texts = [_run(dim.name, dim.labels[r[0]], dim.labels[r[-1]], unit) for r in runs]
    return texts[0] if len(texts) == 1 else "(" + " or ".join(texts) + ")"


def _bounds(label: str) -> tuple[tuple[str, bool] | None, tuple[str, bool] | None]:
    """(lower, upper) of an atom label, each (value, inclusive) or None for unbounded."""
    if label.startswith("= "):
        v = label[2:]
        return (v, True), (v, True)
    if label.startswith("< "):
        return None, (label[2:], False)
    if label.startswith("> "):
        return (label[2:], False), None
    if label.startswith("between "):
        lo, hi = label[len("between ") :].split(" and ", 1)
        return (lo, False), (hi, False)
    return None, None


def _run(name: str, first: str, last: str, unit: str) -> str:
    lo = _bounds(first)[0]
    hi = _bounds(last)[1]
    if lo and hi and lo[0] == hi[0] and lo[1] and hi[1]:
        return f"{name} == {lo[0]}{unit}"
    if lo is None and hi is None:
        return f"{name} is present"
    if lo is None:
        return f"{name} {'<=' if hi[1] else '<'} {hi[0]}{unit}"
    if hi is None:
        return f"{name} {'>=' if lo[1] else '>'} {lo[0]}{unit}"
    return f"{name} in {'[' if lo[1] else '('}{lo[0]}{unit}, {hi[0]}{unit}{']' if hi[1] else ')'}"


# ---------------------------------------------------------------------------- regions as IR conditions


def boxes_expr(space: Space, boxes: list[Box]) -> ir.Expr | None:
    """The union of boxes as an IR condition (``level`` as the pseudo-field); None when a box is not expressible."""
    items = []
    for box in boxes:
        e = box_expr(space, box)
        if e is None:
            return None
        items.append(e)
    if not items:
        return ir.Const(False)
    return items[0] if len(items) == 1 else ir.Or(tuple(items))


def box_expr(space: Space, box: Box) -> ir.Expr | None:
    parts: list[ir.Expr] = []
    for dim, mask, full in zip(space.dims, box, space.full):
        if mask == full:
            continue
        ref = ir.Ref(dim.field if dim.role != "level" else "level")
        if dim.role == "opaque":
            return None
        if dim.role in ("member", "keyword", "set_missing"):
            name = dim.name.split("#" if dim.role != "keyword" else "~", 1)[1]
            if dim.role == "member":
                atom: ir.Expr = ir.Has(ref, "any", frozenset({name}))
            elif dim.role == "keyword":
                atom = ir.Mentions(ref, "any", frozenset({name}))
            else:
                atom = ir.Missing(ref)
            parts.append(atom if mask == 0b10 else ir.Not(atom))
            continue
        alts: list[ir.Expr] = []
        chosen = [a for a in range(dim.size) if mask >> a & 1]
        if any(dim.atoms[a] is MISSING for a in chosen):
            alts.append(ir.Missing(ref))
        present = [a for a in chosen if dim.atoms[a] is not MISSING]
        decl = space.schema.get(dim.field)
        kind = "enum" if dim.role == "level" or decl is None else decl.type.kind
        if present and kind == "bool":
            values = {dim.atoms[a] for a in present}
            alts.append(
                ir.Not(ir.Missing(ref)) if len(values) == 2 else ref if True in values else ir.Not(ref)
            )
        elif present and kind in ("enum", "text"):
            named = frozenset(dim.atoms[a] for a in present if dim.atoms[a] is not OTHER)
            if any(dim.atoms[a] is OTHER for a in present):
                others = frozenset(
                    x for x in dim.atoms if x is not OTHER and x is not MISSING and x not in named
                )
                alts.append(ir.And((ir.Not(ir.Missing(ref)), ir.InSet(ref, others, negated=True))))
            elif named:
                alts.append(ir.InSet(ref, named))
        elif present:
            alts.extend(_interval_exprs(dim, present, ref))
        parts.append(alts[0] if len(alts) == 1 else ir.Or(tuple(alts)))
    if not parts:
        return ir.Const(True)
    return parts[0] if len(parts) == 1 else ir.And(tuple(parts))


def _const(value) -> ir.Const:
    if isinstance(value, dt.timedelta):
        return ir.Const(ir.Duration(int(value.total_seconds() // 60), "minutes"))
    return ir.Const(value)


def _interval_exprs(dim: Dim, present: list[int], ref: ir.Ref) -> list[ir.Expr]:
    """Runs of interval atoms as comparisons; bounds are the point atoms (labels ``= p``) beside them."""
    runs: list[list[int]] = []
    for a in present:
        if runs and runs[-1][-1] == a - 1:
            runs[-1].append(a)
        else:
            runs.append([a])
    out: list[ir.Expr] = []
    for run in runs:
        lo, hi = run[0], run[-1]
        conds: list[ir.Expr] = []
        if dim.labels[lo].startswith("= "):
            conds.append(ir.Compare(">=", ref, _const(dim.atoms[lo])))
        elif dim.labels[lo].startswith(("between ", "> ")):
            conds.append(ir.Compare(">", ref, _const(dim.atoms[lo - 1])))
        if dim.labels[hi].startswith("= "):
            conds.append(ir.Compare("<=", ref, _const(dim.atoms[hi])))
        elif dim.labels[hi].startswith(("between ", "< ")):
            conds.append(ir.Compare("<", ref, _const(dim.atoms[hi + 1])))
        if not conds:
            conds.append(ir.Not(ir.Missing(ref)))
        out.append(conds[0] if len(conds) == 1 else ir.And(tuple(conds)))
    return out
