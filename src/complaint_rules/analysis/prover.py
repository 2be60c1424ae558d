"""The prover: the region of every rule and the level branches, over which each check asks its questions."""

from __future__ import annotations

from .. import ir
from .domain import Space
from .regions import Box, Region, and_regions, find_point, packing
from .witness import to_record


def schema_of(policy: ir.Policy) -> dict[str, ir.FieldDecl]:
    """The record schema the evaluator validates against: standard fields plus the policy's record block."""
    try:
        from ..engine.record import schema_for
    except ImportError:  # the evaluator is not installed in this tree yet: the record block alone
        return {f.name: f for f in policy.record}
    return dict(schema_for(policy))


class Prover:
    """The region of every rule, the level branches, and the questions the checks ask."""

    def __init__(self, policy: ir.Policy, schema: dict[str, ir.FieldDecl] | None = None):
        self.policy = policy
        self.schema = schema if schema is not None else schema_of(policy)
        self.levels = tuple(level.id for level in policy.levels)
        extra: list[ir.Expr] = []
        if self.levels and "level" not in self.schema:
            extra.append(ir.InSet(ir.Ref("level"), frozenset(self.levels)))
        for name in anchor_fields(policy, self.schema):
            extra.append(ir.Missing(ir.Ref(name), negated=True))
        self.space = Space(policy, self.schema, extra)
        self.uncovered = list(self.space.uncovered)
        self._regions: dict[int, tuple[object, Region]] = {}
        self.branches = self._level_branches()
        self._infeasible: list[int] | None = None
        self._branches: list[list[int]] | None = None

    # -- regions
    def region(self, expr: ir.Expr | None) -> Region:
        # Keyed by identity: equal conditions of different rules compile alike, and the IR outlives us.
        key = id(expr)
        if key not in self._regions:
            self._regions[key] = (expr, self.space.compile(expr))
        return self._regions[key][1]

    def level_region(self, levels) -> Region:
        i = self.space.by_name.get("level")
        if i is None:
            return []
        mask = sum(1 << self.levels.index(lv) for lv in levels if lv in self.levels)
        return [self.space.box({i: mask})] if mask else []

    def _level_branches(self) -> list[tuple[Region, list[Box]]]:
        """The record space split by the level classify gives: (where, minus these boxes) per deciding rule."""
        c = self.policy.classify
        li = self.space.by_name.get("level")
        if c is None and li is not None:  # without classify no record has a level
            return [([self.space.box({li: 1 << len(self.levels)})], [])]
        if li is None or c.hit not in ("first", "highest"):  # reported as not covered by the checks
            return [([self.space.full], [])]
        branches = []
        rules = c.rules
        for i, rule in enumerate(rules):
            if rule.level not in self.levels:
                continue
            pos = and_regions(self.region(rule.when), self.level_region([rule.level]))
            if c.hit == "first":
                neg = [b for r in rules[:i] for b in self.region(r.when)]
            else:
                sev = self.levels.index(rule.level)
                neg = [b for r in rules if self._severity(r.level) > sev for b in self.region(r.when)]
            branches.append((pos, neg))
        unmatched = [b for r in rules for b in self.region(r.when)]
        if c.otherwise in self.levels:
            branches.append((self.level_region([c.otherwise]), unmatched))
        elif c.otherwise is None:  # no level: conditions on `level` are false
            li = self.space.by_name["level"]
            branches.append(([self.space.box({li: 1 << len(self.levels)})], unmatched))
        return branches

    def _severity(self, level: str) -> int:
        return self.levels.index(level) if level in self.levels else -1

    def find(self, positive: Region, negatives: list[Box] = ()) -> Box | None:
        """A box of records in ``positive`` and in no negative box, consistent with classify."""
        li = self.space.by_name.get("level")
        full = self.space.full
        infeasible = self._packed_infeasible()
        if li is None or all(b[li] == full[li] for b in (*positive, *negatives, *self.space.infeasible)):
            return find_point(positive, negatives, full, before=infeasible)
        for (pos, _), neg in zip(self.branches, self._packed_branches()):
            found = find_point(and_regions(positive, pos), negatives, full, before=infeasible, after=neg)
            if found is not None:
                return found
        return None

    # The boxes every question is asked against, packed once (regions.packing).
    def _packed_infeasible(self) -> list[int]:
        if self._infeasible is None:
            self._infeasible = packing(self.space.full).pack_all(self.space.infeasible)
        return self._infeasible

    def _packed_branches(self) -> list[list[int]]:
        if self._branches is None:
            pack = packing(self.space.full).pack_all
            self._branches = [pack(neg) for _, neg in self.branches]
        return self._branches

    def record(self, box: Box, overrides: dict[str, object] | None = None) -> dict[str, object]:
        return to_record(self.space, box, overrides)

    def where(self, box: Box) -> dict[str, str]:
        return self.space.describe(box)


def anchor_fields(policy: ir.Policy, schema: dict[str, ir.FieldDecl]) -> list[str]:
    """Record fields that deadlines and timings are measured from."""
    names: list[str] = []
    anchors = [r.anchor for r in policy.deadlines]
    anchors += [r.timing.anchor for r in (*policy.escalate, *policy.obligations) if r.timing.anchor]
    if policy.follow_up is not None:
        anchors += [r.anchor for r in (*policy.follow_up.rules, policy.follow_up.otherwise) if r and r.anchor]
    for name in anchors:
        if name in schema and name not in names:
            names.append(name)
    return names
