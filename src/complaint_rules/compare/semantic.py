"""Semantic diff: the regions of the record space whose decision changes, per output, with a witness each.

Both policies are analysed over one :class:`~complaint_rules.analysis.domain.Space` built from the
conditions of both, so a box means the same records on either side. Each output of each policy is cut
into pieces (:mod:`.outcomes`); a region of change is a pair of pieces, one per side, that overlap and
disagree. Pairs with the same old and new outcome are grouped into one :class:`SemanticChange`; an
outcome's dependencies (an anchor clock's deadline, the owner) count only where the two sides differ on
them (:func:`shown`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from .. import ir
from ..analysis.conditions import policy_conditions
from ..analysis.domain import Space
from ..analysis.prover import anchor_fields, schema_of
from ..analysis.regions import Box, RegionTooLarge, and_regions, find_point
from ..analysis.witness import jsonable, to_record
from .describe import boxes_expr, describe_boxes, expand, explicit, merge
from .durations import calendar_key, zone
from .outcomes import Outcome, Pieces
from .present import SUMMARISED

MAX_PARTS = 400  # region parts described per change; the count is exact beyond it, the text is not


class SemanticChange(BaseModel):
    """Records whose ``output`` goes from ``old`` to ``new``: where they are, and one of them."""

    output: str
    old: str
    new: str
    condition: str
    witness: dict[str, Any] | None = None
    old_rules: list[str] = Field(default_factory=list)
    new_rules: list[str] = Field(default_factory=list)
    observed_old: str | None = None
    observed_new: str | None = None
    verified: bool | None = None  # the witness was evaluated under both policies and showed the change

    # The region as an IR condition (``level`` meaning the level both sides give), when it could be built.
    _region: Any = PrivateAttr(default=None)

    def describe(self) -> str:
        return f"{self.output}: {self.condition}: {self.old} -> {self.new}"

    @property
    def region(self) -> ir.Expr | None:
        """The records of this change as a condition; None when the region was only summarised."""
        return self._region


@dataclasses.dataclass
class Analysis:
    """The shared space and both policies' pieces: what semantic diffs and the coverage law need."""

    space: Space
    old: Pieces
    new: Pieces
    notes: list[str]

    def outputs(self) -> list[tuple[str, Callable[[Pieces], list]]]:
        """Every output compared, with the function that cuts a policy into its pieces."""
        o, n = self.old.policy, self.new.policy
        out: list[tuple[str, Callable[[Pieces], list]]] = [("level", Pieces.level)]
        hits = {getattr(p.route, "hit", "first") for p in (o, n)}
        if hits <= {"first"}:
            out.append(("routes", Pieces.routes))
        else:
            for unit in _route_units(o, n):
                out.append((f"routes[{unit}]", lambda p, u=unit: p.routed_to(u)))
        out.append(("owner", Pieces.owner))
        for clock in dict.fromkeys([*self.old.clocks(), *self.new.clocks()]):
            out.append((f"deadline {clock}", lambda p, c=clock: p.deadline(c)))
        for rid in dict.fromkeys(r.id for r in (*o.escalate, *n.escalate)):
            out.append((f"escalation {rid}", lambda p, r=rid: p.escalation(r)))
        out.append(("remedy tier", Pieces.tier))
        out.append(("remedy authority", Pieces.authority))
        out.append(("remedy options", Pieces.options))
        out.append(("follow_up", Pieces.follow_up))
        for rid in dict.fromkeys(r.id for r in (*o.obligations, *n.obligations)):
            out.append((f"obligation {rid}", lambda p, r=rid: p.obligation(r)))
        return out


def _route_units(o: ir.Policy, n: ir.Policy) -> list[str]:
    units: list[str] = []
    for p in (o, n):
        if p.route is None:
            continue
        for rule in p.route.rules:
            units.extend(rule.targets)
        units.extend(p.route.otherwise or ())
    return list(dict.fromkeys(units))


def merged_schema(old: ir.Policy, new: ir.Policy) -> tuple[dict[str, ir.FieldDecl], list[str]]:
    """One record schema for both sides: enum and set members valid under both; notes on what differs."""
    a, b = schema_of(old), schema_of(new)
    notes: list[str] = []
    schema = dict(a)
    for name, decl in b.items():
        before = a.get(name)
        if before is None or before == decl:
            schema[name] = decl
            continue
        if before.type.kind == decl.type.kind and decl.type.kind in ("enum", "set"):
            common = tuple(m for m in decl.type.members if m in before.type.members)
            only = sorted(set(before.type.members) ^ set(decl.type.members))
            if only:
                notes.append(
                    f"field {name!r}: members {', '.join(only)} are valid under one policy only; "
                    "records using them are not compared"
                )
            schema[name] = dataclasses.replace(
                decl, type=dataclasses.replace(decl.type, members=common or decl.type.members)
            )
        else:
            if before.type != decl.type:
                notes.append(
                    f"field {name!r} changed type ({before.type} -> {decl.type}); analysed as the new type"
                )
            schema[name] = decl
    return schema, notes


def analyse(old: ir.Policy, new: ir.Policy) -> Analysis:
    """Build the shared space and both sides' pieces."""
    schema, notes = merged_schema(old, new)
    levels = tuple(dict.fromkeys([*(lv.id for lv in new.levels), *(lv.id for lv in old.levels)]))
    extra: list[ir.Expr] = list(policy_conditions(old))
    if levels and "level" not in schema:
        extra.append(ir.InSet(ir.Ref("level"), frozenset(levels)))
    for name in dict.fromkeys([*anchor_fields(old, schema), *anchor_fields(new, schema)]):
        extra.append(ir.Missing(ir.Ref(name), negated=True))
    for p in (old, new):  # the amount claimed is compared with every cap and authority limit
        comp = p.compensate
        if comp is not None and comp.amount and comp.amount in schema:
            for limit in [*(t.cap for t in comp.tiers), *(a.limit for a in comp.authority)]:
                extra.append(ir.Compare("<=", ir.Ref(comp.amount), ir.Const(limit)))
    base = dataclasses.replace(new, levels=tuple(ir.Named(lv) for lv in levels))
    space = Space(base, schema, extra)
    notes += [f"not analysed exactly: {u}" for u in space.uncovered]
    old_labels = {lv.id: lv.label for lv in old.levels}
    relabelled = frozenset(
        lv.id for lv in new.levels if lv.id in old_labels and old_labels[lv.id] != lv.label
    )
    cal_differ = calendar_key(old.header) != calendar_key(new.header)
    zone_differ = zone(old.header) != zone(new.header)
    return Analysis(
        space,
        Pieces(
            old,
            space,
            calendar_note=_calendar_note(old.header) if cal_differ else None,
            relabelled=relabelled,
            zone_note=zone(old.header) if zone_differ else None,
        ),
        Pieces(
            new,
            space,
            calendar_note=_calendar_note(new.header) if cal_differ else None,
            relabelled=relabelled,
            zone_note=zone(new.header) if zone_differ else None,
        ),
        notes,
    )


def _calendar_note(h: ir.Header) -> str:
    parts = [f"calendar {h.calendar or 'none'}", h.timezone or "UTC"]
    if h.hours:
        parts.append(f"{h.hours[0]:%H:%M}-{h.hours[1]:%H:%M}")
    if h.holidays:
        parts.append("holidays " + ", ".join(d.isoformat() for d in h.holidays))
    if h.workdays:
        parts.append("workdays " + ", ".join(d.isoformat() for d in h.workdays))
    return " ".join(parts)


def semantic_diff(
    old: ir.Policy, new: ir.Policy, analysis: Analysis | None = None
) -> tuple[list[SemanticChange], list[str]]:
    """Every region whose decision changes, per output; and notes on what the analysis could not cover."""
    analysis = analysis or analyse(old, new)
    space = analysis.space
    changes: list[SemanticChange] = []
    notes = list(analysis.notes)
    # With the same classify on both sides, `level` means the same on both: describe regions with it.
    by_level = old.classify == new.classify and old.levels == new.levels
    for output, cut in analysis.outputs():
        try:
            a, b = cut(analysis.old), cut(analysis.new)
            groups = _pairs(space, a, b)
        except RegionTooLarge as exc:
            notes.append(f"{output}: not compared ({exc})")
            continue
        for (_, old_text, new_text), parts in groups.items():
            box = parts[0][2]
            boxes: list[Box] | None = []
            for p, q, _ in parts[:MAX_PARTS]:
                if by_level:
                    p, q = p.untied, q.untied
                pos = and_regions(p.pos, q.pos)
                more = explicit(space, pos, [*p.neg, *q.neg], analysis.old.possible if by_level else None)
                if more is None or boxes is None:
                    boxes = None
                else:
                    boxes.extend(more)
            if boxes is not None and len(parts) <= MAX_PARTS:
                boxes = expand(space, merge(boxes))
            else:
                boxes = None
            record = to_record(
                space, box, {"id": f"witness-{len(changes) + 1}"} if "id" in space.schema else None
            )
            change = SemanticChange(
                output=output,
                old=old_text,
                new=new_text,
                condition=describe_boxes(space, boxes, fallback=f"{len(parts)} {SUMMARISED}"),
                witness=jsonable({k: str(v) if isinstance(v, ir.Money) else v for k, v in record.items()}),
                old_rules=list(dict.fromkeys(r for p, _, _ in parts for r in p.outcome.rules)),
                new_rules=list(dict.fromkeys(r for _, q, _ in parts for r in q.outcome.rules)),
            )
            if boxes is not None:
                change._region = boxes_expr(space, boxes)
            changes.append(change)
    return changes, notes


def _pairs(space: Space, a: list, b: list) -> dict[tuple, list]:
    """Overlapping pieces with different outcomes, grouped by what changes, with a witness box.

    The group key is (what is compared, old text, new text) of :func:`shown`: pieces that differ only
    in a dependency both sides agree on (the same owner) fall into one group.
    """
    groups: dict[tuple, list] = {}
    for p in a:
        for q in b:
            if p.outcome.key == q.outcome.key:
                continue
            pos = and_regions(p.pos, q.pos)
            if not pos:
                continue
            box = find_point(pos, [*space.infeasible, *p.neg, *q.neg])
            if box is None:
                continue
            groups.setdefault(shown(p.outcome, q.outcome), []).append((p, q, box))
    return groups


def shown(old: Outcome, new: Outcome) -> tuple[tuple, str, str]:
    """(key, old text, new text) of a change, with only the dependencies that differ between the sides.

    An escalation due relative to a clock, or sent to the owner, is refined by that clock's deadline and
    by the owner. Where both sides have the same owner (or anchor deadline), the change does not involve
    it: it is left out of the texts and does not split the region. Where one side has no such outcome
    (the escalation is added or removed), its dependencies are left out too: the rule's own text says
    ``owner`` or the clock, and the owner's and deadlines' own changes are reported as outputs of their own.
    """
    if not old.deps and not new.deps:
        return (old.key, new.key), old.text, new.text
    a = {name: (key, text) for name, key, text in old.deps}
    b = {name: (key, text) for name, key, text in new.deps}
    # Kept: dependencies of a side whose other side is in force and differs on them (or lacks them).
    keep_a = [n for n in a if new.key is not None and b.get(n, (object(),))[0] != a[n][0]]
    keep_b = [n for n in b if old.key is not None and a.get(n, (object(),))[0] != b[n][0]]
    (ka, ta), (kb, tb) = old.head or (old.key, old.text), new.head or (new.key, new.text)
    ta += "".join(f" [{n}: {a[n][1]}]" for n in keep_a)
    tb += "".join(f" [{n}: {b[n][1]}]" for n in keep_b)
    key = (ka, kb, tuple((n, a[n][0]) for n in keep_a), tuple((n, b[n][0]) for n in keep_b))
    return key, ta, tb


def witness_record(space: Space, box: Box) -> dict[str, object]:
    return to_record(space, box)
