"""Built-in domain invariants that ``prove --invariants`` checks for any policy (declared ones: :mod:`.declared`).

* ``monotone caps``: a more severe level never has a smaller remedy cap than a less severe one;
* ``monotone deadlines``: for each clock, the deadline a level gets from the rules that depend on
  the level alone (or on nothing) is never later for a more severe level;
* ``an option is always left``: no record has every remedy option excluded.

Severity is the order of the ``levels`` block (ascending).
"""

from __future__ import annotations

from .. import ir
from .conditions import operand_name, walk_atoms
from .declared import later_deadline
from .prover import Prover
from .regions import and_regions
from .report import Finding, ProofReport
from .timing import ELAPSED, bounds, day_hours, spread_of


def check_caps(p: Prover, report: ProofReport) -> None:
    comp = p.policy.compensate
    if comp is None:
        return
    report.checked.append("invariant: monotone caps")
    tiers = {t.level: t for t in comp.tiers if t.level in p.levels}
    ordered = [tiers[lv] for lv in p.levels if lv in tiers]
    for i, lower in enumerate(ordered):
        for higher in ordered[i + 1 :]:
            if higher.cap.currency != lower.cap.currency:
                report.uncovered.append(f"caps of {lower.level!r} and {higher.level!r} are in different currencies")
                continue
            if higher.cap.amount >= lower.cap.amount:
                continue
            box = p.find(p.level_region([higher.level]))
            report.findings.append(
                Finding("invariant.cap", f"level {higher.level!r} is more severe than {lower.level!r} but its cap "
                        f"{higher.cap} is smaller than {lower.cap}", "compensate", None,
                        p.record(box) if box is not None else None, higher.span or comp.span,
                        {"levels": [lower.level, higher.level]})
            )


def _level_only(expr: ir.Expr | None) -> bool:
    return expr is None or all(operand_name(a) == "level" for a in walk_atoms(expr))


def check_deadlines(p: Prover, report: ProofReport) -> None:
    if "level" not in p.space.by_name or not p.policy.deadlines:
        return
    report.checked.append("invariant: monotone deadlines")
    clocks: dict[str, list[ir.DeadlineRule]] = {}
    for rule in p.policy.deadlines:
        clocks.setdefault(rule.clock, []).append(rule)
    li = p.space.by_name["level"]
    for clock, rules in clocks.items():
        per_level: dict[str, ir.DeadlineRule] = {}
        for level in p.levels:
            bit = 1 << p.levels.index(level)
            for rule in rules:
                if _level_only(rule.when) and any(b[li] & bit for b in p.region(rule.when)):
                    per_level[level] = rule
                    break
        decided = [lv for lv in p.levels if lv in per_level]
        for i, higher in enumerate(decided):
            for lower in decided[:i]:  # the least severe level it is later than, once per level
                lo_rule, hi_rule = per_level[lower], per_level[higher]
                if lo_rule.anchor != hi_rule.anchor:
                    continue
                spread = spread_of(p.policy) if {lo_rule.duration.unit, hi_rule.duration.unit} - set(ELAPSED) else 0
                hours = day_hours(p.policy)
                if bounds((1, hi_rule.duration), hours, spread)[0] > bounds((1, lo_rule.duration), hours, spread)[1]:
                    later: tuple[str, object] | None = ("always", None)  # for every start
                else:
                    later = later_deadline(p, lo_rule, hi_rule)
                if later is None:
                    continue
                how, start = later
                pair = f"clock {clock!r}: levels {lower!r} and {higher!r}"
                if how == "unknown":
                    report.uncovered.append(f"{pair}: {hi_rule.id!r} ({hi_rule.duration}) may fall after "
                                            f"{lo_rule.id!r} ({lo_rule.duration}) but no start tried (in 2026, and "
                                            "around the time zone's offset changes) shows it")  # fmt: skip
                    continue
                overrides, details = None, {"levels": [lower, higher]}
                if how == "at":  # the bounds allow either order: from this start it is later
                    dim = p.space.dims[p.space.by_name[hi_rule.anchor]] if hi_rule.anchor in p.space.by_name else None
                    if dim is not None and len(dim.atoms) > 2:
                        report.uncovered.append(f"{pair}: {hi_rule.id!r} may fall after {lo_rule.id!r}, but "
                                                f"{hi_rule.anchor!r} is compared with constants, so no start was "
                                                "chosen")  # fmt: skip
                        continue
                    overrides, details["start"] = {hi_rule.anchor: start}, start.isoformat()
                earlier = [b for r in rules[: rules.index(hi_rule)] for b in p.region(r.when)]
                box = p.find(and_regions(p.level_region([higher]), p.region(hi_rule.when)), earlier)
                report.findings.append(
                    Finding("invariant.deadline", f"clock {clock!r}: level {higher!r} is more severe than {lower!r} "
                            f"but gets a later deadline ({hi_rule.duration} by {hi_rule.id!r} vs {lo_rule.duration} "
                            f"by {lo_rule.id!r}{' from ' + details['start'] if 'start' in details else ''})",
                            "deadlines", hi_rule.id, p.record(box, overrides) if box else None, hi_rule.span, details)
                )
                break


def check_options(p: Prover, report: ProofReport) -> None:
    """Some remedy option is always left: no record has every option excluded."""
    comp = p.policy.compensate
    options = [o.id for o in comp.options] if comp is not None else []
    if not options:
        return
    report.checked.append("invariant: an option is always left")
    excluding = {o: [r for r in comp.rules if r.action == "exclude" and o in r.options] for o in options}
    if any(not rules for rules in excluding.values()):
        return
    region = [p.space.full]
    for o in options:
        region = and_regions(region, [b for r in excluding[o] for b in p.region(r.when)])
        if not region:
            return
    box = p.find(region)
    if box is not None:
        report.findings.append(
            Finding("invariant.options", "every remedy option is excluded for this record", "compensate", None,
                    p.record(box), comp.span, {"where": p.where(box)})
        )


INVARIANTS = (check_caps, check_deadlines, check_options)
