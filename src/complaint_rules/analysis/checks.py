"""The structural checks of ``prove``: gaps per decision part, unreachable rules, impossible conditions."""

from __future__ import annotations

from collections.abc import Sequence

from .. import ir
from .prover import Prover
from .regions import Region, and_regions
from .report import Finding, ProofReport


def _span(*nodes) -> object:
    return next((n.span for n in nodes if n is not None and getattr(n, "span", None) is not None), None)


def _never(p: Prover, report: ProofReport, block: str, rule) -> bool:
    """Report a rule whose condition no record satisfies; True when it was reported."""
    when = getattr(rule, "when", None)
    if when is None or p.find(p.region(when)) is not None:
        return False
    report.findings.append(
        Finding("never", f"rule {rule.id!r} can never match: no record satisfies its condition", block, rule.id,
                None, _span(rule))
    )
    return True


def _first_hit(p: Prover, report: ProofReport, block: str, rules: Sequence, what: str) -> None:
    """Under `first`: rules that never match, and rules every match of which an earlier rule takes."""
    for i, rule in enumerate(rules):
        if _never(p, report, block, rule):
            continue
        mine = p.region(rule.when)
        earlier = [b for r in rules[:i] for b in p.region(r.when)]
        if p.find(mine, earlier) is not None:
            continue
        by = [r.id for r in rules[:i] if p.find(and_regions(mine, p.region(r.when))) is not None]
        box = p.find(mine)
        report.findings.append(
            Finding("unreachable", f"rule {rule.id!r} never decides the {what}: every record it matches is "
                    f"matched first by {_names(by)}", block, rule.id, p.record(box), _span(rule),
                    {"by": by, "where": p.where(box)})
        )


def _gap(p: Prover, report: ProofReport, kind: str, block: str, message: str, region: Region,
         negatives: list, node=None, details: dict | None = None) -> None:  # fmt: skip
    box = p.find(region, negatives)
    if box is None:
        return
    report.findings.append(
        Finding(kind, message, block, None, p.record(box), _span(node, p.policy),
                {"where": p.where(box), **(details or {})})
    )


def _names(ids: Sequence[str]) -> str:
    return ", ".join(repr(i) for i in ids) or "nothing"


def _union(p: Prover, rules: Sequence) -> list:
    return [b for r in rules for b in p.region(r.when)]


def check_classify(p: Prover, report: ProofReport) -> None:
    c = p.policy.classify
    full = [p.space.full]
    if c is None:
        _gap(p, report, "gap.level", "classify", "the policy has no classify block: no record gets a level", full, [])
        return
    if c.hit not in ("first", "highest"):
        report.uncovered.append(f"classify hit policy {c.hit!r} is not analysed")
        return
    report.checked.append(f"classify {c.hit}: {len(c.rules)} rules")
    if c.hit == "first":
        _first_hit(p, report, "classify", c.rules, "level")
    else:
        for rule in c.rules:
            if _never(p, report, "classify", rule):
                continue
            sev = p._severity(rule.level)
            stronger = [r for r in c.rules if p._severity(r.level) > sev]
            mine = p.region(rule.when)
            if p.find(mine, _union(p, stronger)) is not None:
                continue
            by = [r.id for r in stronger if p.find(and_regions(mine, p.region(r.when))) is not None]
            box = p.find(mine)
            report.findings.append(
                Finding("unreachable", f"rule {rule.id!r} never decides the level: every record it matches also "
                        f"matches a more severe rule ({_names(by)})", "classify", rule.id, p.record(box),
                        _span(rule), {"by": by, "where": p.where(box)})
            )
    if c.otherwise is None:
        _gap(p, report, "gap.level", "classify", "no classify rule matches this record and there is no otherwise",
             full, _union(p, c.rules), c)  # fmt: skip


def check_route(p: Prover, report: ProofReport) -> None:
    r = p.policy.route
    full = [p.space.full]
    if r is None:
        _gap(p, report, "gap.route", "route", "the policy has no route block: no record is routed", full, [])
        return
    if r.hit not in ("first", "all"):
        report.uncovered.append(f"route hit policy {r.hit!r} is not analysed")
        return
    report.checked.append(f"route {r.hit}: {len(r.rules)} rules")
    if r.hit == "first":
        _first_hit(p, report, "route", r.rules, "route")
    else:
        for rule in r.rules:
            _never(p, report, "route", rule)
    if r.otherwise is None:
        _gap(p, report, "gap.route", "route", "no route rule matches this record and there is no otherwise",
             full, _union(p, r.rules), r)  # fmt: skip


def check_compensate(p: Prover, report: ProofReport) -> None:
    comp = p.policy.compensate
    if comp is None:
        return
    report.checked.append(f"compensate: {len(comp.tiers)} tiers, {len(comp.rules)} rules")
    tiers = {t.level for t in comp.tiers}
    for level in p.levels:
        if level in tiers:
            continue
        _gap(p, report, "gap.tier", "compensate", f"level {level!r} is reachable but has no remedy tier",
             p.level_region([level]), [], comp, {"level": level})  # fmt: skip
    for rule in comp.rules:
        _never(p, report, "compensate", rule)


def check_follow_up(p: Prover, report: ProofReport) -> None:
    f = p.policy.follow_up
    full = [p.space.full]
    if f is None:
        _gap(p, report, "gap.follow_up", "follow_up", "the policy has no follow_up block: no record gets a "
             "follow-up decision", full, [])  # fmt: skip
        return
    report.checked.append(f"follow_up: {len(f.rules)} rules")
    _first_hit(p, report, "follow_up", f.rules, "follow-up")
    if f.otherwise is None:
        _gap(p, report, "gap.follow_up", "follow_up", "no follow-up rule matches this record and there is no "
             "otherwise", full, _union(p, f.rules), f)  # fmt: skip


def check_deadlines(p: Prover, report: ProofReport) -> None:
    clocks: dict[str, list[ir.DeadlineRule]] = {}
    for rule in p.policy.deadlines:
        clocks.setdefault(rule.clock, []).append(rule)
    if clocks:
        report.checked.append(f"deadlines: {len(clocks)} clocks")
    for clock, rules in clocks.items():
        _first_hit(p, report, "deadlines", rules, f"clock {clock!r}")


def check_conditions(p: Prover, report: ProofReport) -> None:
    """Escalations and obligations all apply when they hold: only impossible conditions matter."""
    for block, rules in (("escalate", p.policy.escalate), ("obligations", p.policy.obligations)):
        for rule in rules:
            _never(p, report, block, rule)


CHECKS = (check_classify, check_route, check_compensate, check_follow_up, check_deadlines, check_conditions)
