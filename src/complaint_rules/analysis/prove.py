"""``prove``: gaps, unreachable rules and impossible conditions, each with a concrete counterexample."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .. import ir
from ..span import Span
from .domain import Space
from .regions import Box, Region, and_regions, find_point
from .witness import NoWitness, jsonable, to_record

FINDING_KINDS = (
    "gap.level",  # a record that classify gives no level (no otherwise)
    "gap.route",  # a record that route sends nowhere
    "gap.tier",  # a reachable level without a remedy tier (when a compensate block exists)
    "gap.follow_up",  # a record without a follow-up decision
    "unreachable",  # a rule that never decides: shadowed (first) or always overridden (highest)
    "never",  # a rule whose condition no record satisfies
    "timing.before_start",  # a due time that can fall before the time it is measured from
    "invariant.cap",  # a more severe level with a smaller remedy cap
    "invariant.deadline",  # a more severe level with a later deadline
    "invariant.options",  # a record for which every remedy option is excluded
    "invariant.route",  # a declared `always|never route UNIT` broken by a record
    "invariant.option",  # a declared `always|never option OPTION` broken by a record
    "invariant.follow_up",  # a declared `always follow_up` broken by a record
)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem, with the rule it is about and a record that shows it (None when no record can)."""

    kind: str
    message: str
    block: str
    rule: str | None = None
    record: dict[str, Any] | None = None
    span: Span | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def render(self) -> str:
        head = f"{self.kind}: {self.message}"
        text = self.span.render(head) if self.span is not None else f"<policy>: {head}"
        if self.record is not None:
            text += "\n    counterexample: " + json.dumps(jsonable(self.record), ensure_ascii=False, sort_keys=True)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "block": self.block,
            "rule": self.rule,
            "location": self.span.location() if self.span is not None else None,
            "counterexample": jsonable(self.record) if self.record is not None else None,
            "details": {k: jsonable(v) if isinstance(v, dict) else v for k, v in self.details.items()},
        }


@dataclasses.dataclass
class ProofReport:
    """What ``prove`` found: ``proven`` only when there are no findings and nothing was left uncovered."""

    policy: str
    findings: list[Finding] = dataclasses.field(default_factory=list)
    uncovered: list[str] = dataclasses.field(default_factory=list)
    checked: list[str] = dataclasses.field(default_factory=list)

    @property
    def proven(self) -> bool:
        return not self.findings and not self.uncovered

    def kinds(self) -> list[str]:
        return [f.kind for f in self.findings]

    def render(self) -> str:
        lines = [f.render() for f in self.findings]
        for note in self.uncovered:
            lines.append(f"{self.policy}: not covered: {note}")
        if self.proven:
            lines.append(f"{self.policy}: proven ({'; '.join(self.checked)})")
        else:
            lines.append(f"{self.policy}: {len(self.findings)} finding(s), {len(self.uncovered)} construct(s) not covered")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "proven": self.proven,
            "findings": [f.to_dict() for f in self.findings],
            "uncovered": list(self.uncovered),
            "checked": list(self.checked),
        }


def schema_of(policy: ir.Policy) -> dict[str, ir.FieldDecl]:
    """The record schema the evaluator validates against: standard fields plus the policy's record block."""
    try:
        from ..record import schema_for
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
        negatives = [*self.space.infeasible, *negatives]
        li = self.space.by_name.get("level")
        full = self.space.full
        if li is None or all(b[li] == full[li] for b in [*positive, *negatives]):
            return find_point(positive, negatives)
        for pos, neg in self.branches:
            found = find_point(and_regions(positive, pos), [*negatives, *neg])
            if found is not None:
                return found
        return None

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


def prove(policy: Any, *, invariants: bool = False, schema: dict[str, ir.FieldDecl] | None = None) -> ProofReport:
    """Check a policy (an ``ir.Policy`` or a loaded ``Policy``): every finding comes with a counterexample.

    The invariants the policy declares are always checked; ``invariants=True`` adds the built-in ones.
    """
    from . import checks, declared, timing
    from . import invariants as inv

    policy = getattr(policy, "ir", policy)
    report = ProofReport(policy.header.id)
    prover = Prover(policy, schema)
    for check in (*checks.CHECKS, timing.check_timings, declared.check_declared, *(inv.INVARIANTS if invariants else ())):
        try:
            check(prover, report)
        except NoWitness as exc:  # a point the abstraction thought feasible has no record: say so, do not crash
            report.uncovered.append(f"{check.__name__.lstrip('_').replace('_', ' ')}: no counterexample record: {exc}")
    report.uncovered[:0] = prover.uncovered
    report.uncovered = list(dict.fromkeys(report.uncovered))
    return report
