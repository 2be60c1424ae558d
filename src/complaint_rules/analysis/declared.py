"""The invariants a policy declares in its ``invariants`` block, checked by ``prove`` with counterexamples.

Every question is a region search of :class:`~.prove.Prover` (so the classify level of a counterexample
is the one the evaluator gives it), except ``monotone deadline``, which needs *two* records:

* ``monotone cap``: for levels ``lo`` before ``hi`` in ``levels``, a record of ``hi`` never gets a smaller cap
  than a record of ``lo`` (both levels must be reachable);
* ``monotone deadline CLOCK``: two records that agree on every field the clock's rules read (their conditions
  and anchors), one of level ``lo`` and one of the more severe ``hi``: ``hi`` never gets a later due time, nor
  none when ``lo`` has one. The finding's record is the ``hi`` one; ``details.lower_record`` is the other;
* ``always options``: some remedy option is left after ``exclude`` rules;
* ``always follow_up``: the deciding follow-up rule is exempt (``none``) or follows up 100%;
* ``always|never route UNIT``: the unit is (is not) among the decision's routes;
* ``always|never option OPTION``: the option is (is not) among the remedy options offered.

``always``/``never`` hold for the records matching the invariant's ``when`` (every record without one).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

from .. import ir
from ..errors import CalendarError
from ..language.printer import invariant_body
from .conditions import operand_name, walk_atoms
from .prover import Prover
from .regions import Box, Region, RegionTooLarge, and_regions, meet, subtract
from .report import Finding, ProofReport
from .timing import ELAPSED, FIXED, apply_terms, bounds, day_hours, policy_calendar, spread_of, starts
from .witness import DEFAULT_RECEIVED

# Beyond this many points of the fields a clock reads, `monotone deadline` says "not covered".
MAX_POINTS = 4096
_SEARCH_TIMES = (dt.time(0, 30), dt.time(9, 0), dt.time(12, 0), dt.time(17, 59), dt.time(18, 0), dt.time(23, 30))


def check_declared(p: Prover, report: ProofReport) -> None:
    """Check every invariant the policy declares."""
    invariants = p.policy.invariants
    if not invariants:
        return
    for inv in invariants:
        check = _CHECKS.get((inv.kind, inv.subject))
        if check is None or ir.INVARIANT_FORMS[(inv.kind, inv.subject)] != (inv.arg is not None):
            report.uncovered.append(f"invariant {inv.id!r}: '{invariant_body(inv)}' is not an invariant prove knows")
            continue
        try:
            check(p, report, inv)
        except RegionTooLarge as exc:
            report.uncovered.append(f"invariant {inv.id!r}: {exc}")
    report.checked.append(f"invariants: {len(invariants)} declared")


def _finding(p: Prover, inv: ir.InvariantRule, message: str, box: Box | None, **details) -> Finding:
    return Finding(f"invariant.{inv.subject}", f"invariant {inv.id!r} ({invariant_body(inv)}) is violated: {message}",
                   "invariants", inv.id, p.record(box) if box is not None else None, inv.span,
                   {"invariant": invariant_body(inv), **({"where": p.where(box)} if box is not None else {}),
                    **details})  # fmt: skip


def _union(p: Prover, rules: Sequence) -> list[Box]:
    return [b for r in rules for b in p.region(r.when)]


def _report_first(p: Prover, report: ProofReport, inv, message: Callable[[Box], str],
                  searches: Iterator[tuple[Region, list[Box]]]) -> None:  # fmt: skip
    """The first search that finds a record is the counterexample."""
    for positive, negatives in searches:
        box = p.find(positive, negatives)
        if box is not None:
            report.findings.append(_finding(p, inv, message(box), box))
            return


# ---------------------------------------------------------------------------- always / never


def _route(p: Prover, report: ProofReport, inv: ir.InvariantRule) -> None:
    unit, route, cond = inv.arg, p.policy.route, p.region(inv.when)
    always = inv.kind == "always"

    def searches() -> Iterator[tuple[Region, list[Box]]]:
        if route is None:
            if always:
                yield cond, []
            return
        rules, otherwise = route.rules, route.otherwise or ()
        if route.hit == "first":
            for i, rule in enumerate(rules):
                if (unit in rule.targets) != always:
                    yield and_regions(cond, p.region(rule.when)), _union(p, rules[:i])
            if (unit in otherwise) != always:
                yield cond, _union(p, rules)
            return
        with_unit = [r for r in rules if unit in r.targets]
        if always:
            if unit in otherwise:  # routed there unless another rule matches and no unit rule does
                for rule in rules:
                    if unit not in rule.targets:
                        yield and_regions(cond, p.region(rule.when)), _union(p, with_unit)
            else:
                yield cond, _union(p, with_unit)
        else:
            for rule in with_unit:
                yield and_regions(cond, p.region(rule.when)), []
            if unit in otherwise:
                yield cond, _union(p, rules)

    if route is not None and route.hit not in ("first", "all"):
        report.uncovered.append(f"invariant {inv.id!r}: route hit policy {route.hit!r} is not analysed")
        return
    word = "not routed to" if always else "routed to"
    _report_first(p, report, inv, lambda box: f"a record is {word} {unit!r}", searches())


def _option(p: Prover, report: ProofReport, inv: ir.InvariantRule) -> None:
    option, comp, cond = inv.arg, p.policy.compensate, p.region(inv.when)
    declared = comp is not None and any(o.id == option for o in comp.options)
    excluding = [r for r in comp.rules if r.action == "exclude" and option in r.options] if comp else []

    def searches() -> Iterator[tuple[Region, list[Box]]]:
        if inv.kind == "never":
            if declared:
                yield cond, _union(p, excluding)
        elif not declared:
            yield cond, []
        else:
            for rule in excluding:
                yield and_regions(cond, p.region(rule.when)), []

    word = "not offered" if inv.kind == "always" else "offered"
    _report_first(p, report, inv, lambda box: f"option {option!r} is {word} to a record", searches())


def _options(p: Prover, report: ProofReport, inv: ir.InvariantRule) -> None:
    comp, region = p.policy.compensate, p.region(inv.when)
    options = [o.id for o in comp.options] if comp is not None else []
    for o in options:
        region = and_regions(region, [b for r in comp.rules if r.action == "exclude" and o in r.options
                                      for b in p.region(r.when)])  # fmt: skip
        if not region:
            return
    message = "every remedy option is excluded for a record" if options else "the policy declares no remedy options"
    _report_first(p, report, inv, lambda box: message, iter([(region, [])]))


def _follow_up(p: Prover, report: ProofReport, inv: ir.InvariantRule) -> None:
    block, cond = p.policy.follow_up, p.region(inv.when)

    def partial(rule: ir.FollowUpRule | None) -> bool:
        return rule is None or (rule.rate is not None and rule.rate.value < 100)

    def searches() -> Iterator[tuple[Region, list[Box]]]:
        if block is None:
            yield cond, []
            return
        for i, rule in enumerate(block.rules):
            if partial(rule):
                yield and_regions(cond, p.region(rule.when)), _union(p, block.rules[:i])
        if partial(block.otherwise):
            yield cond, _union(p, block.rules)

    _report_first(p, report, inv, lambda box: "a record is not always followed up (sampled below 100% or no "
                  "follow-up decision)", searches())  # fmt: skip


# ---------------------------------------------------------------------------- monotone


def _reachable(p: Prover, level: str) -> Box | None:
    return p.find(p.level_region([level]))


def _cap(p: Prover, report: ProofReport, inv: ir.InvariantRule) -> None:
    comp = p.policy.compensate
    tiers = {t.level: t for t in comp.tiers} if comp is not None else {}
    ordered = [tiers[lv] for lv in p.levels if lv in tiers]
    for i, higher in enumerate(ordered):
        for lower in ordered[:i]:
            if higher.cap.currency != lower.cap.currency:
                report.uncovered.append(f"invariant {inv.id!r}: caps of {lower.level!r} and {higher.level!r} are in "
                                        "different currencies")  # fmt: skip
                continue
            if higher.cap.amount >= lower.cap.amount:
                continue
            box, low = _reachable(p, higher.level), _reachable(p, lower.level)
            if box is None or low is None:
                continue
            report.findings.append(_finding(
                p, inv, f"level {higher.level!r} is more severe than {lower.level!r} but its cap {higher.cap} is "
                f"smaller than {lower.cap}", box, levels=[lower.level, higher.level], lower_record=p.record(low)))
            return


def _deadline(p: Prover, report: ProofReport, inv: ir.InvariantRule) -> None:
    clock = inv.arg
    rules = [r for r in p.policy.deadlines if r.clock == clock]
    li = p.space.by_name.get("level")
    if not rules or li is None or len(p.levels) < 2:
        return
    fields = {r.anchor for r in rules}
    for r in rules:
        if r.when is not None:
            fields |= {operand_name(a) for a in walk_atoms(r.when)}
    clocks = sorted(a for a in fields if a not in p.schema and a != "level" and a is not None)
    if clocks:
        report.uncovered.append(f"invariant {inv.id!r}: clock {clock!r} is measured from clock {clocks[0]!r}; "
                                "monotone deadline compares clocks measured from record fields")  # fmt: skip
        return
    pinned = [i for i, d in enumerate(p.space.dims) if d.role != "level" and (d.field in fields or d.role == "opaque")]
    present = [p.space.full]
    for name in sorted({r.anchor for r in rules}):
        present = and_regions(present, p.space.compile(ir.Missing(ir.Ref(name), negated=True)))
    choices: list[ir.DeadlineRule | None] = [*rules, None]
    for hi_i, hi in enumerate(p.levels):
        for lo in p.levels[:hi_i]:
            for a, b in itertools.product(choices, choices):
                if a is None or a is b:
                    continue
                found = _deadline_pair(p, inv, rules, a, b, lo, hi, li, pinned, present, report)
                if found is not None:
                    report.findings.append(found)
                    return


def _selected(p: Prover, rules: list, rule, level: str, present: Region) -> Region:
    """Disjoint boxes where ``rule`` (None: no rule) decides the clock for records of ``level``."""
    mine = p.region(rule.when) if rule is not None else [p.space.full]
    earlier = rules[: rules.index(rule)] if rule is not None else rules
    return subtract(and_regions(and_regions(mine, p.level_region([level])), present), _union(p, earlier))


def later_deadline(p: Prover, a: ir.DeadlineRule, b: ir.DeadlineRule | None) -> tuple[str, dt.datetime | None] | None:
    """Whether ``b`` can fall due after ``a`` from the same start: ("always", None), ("at", start) or None.

    ("anchors", None): measured from different fields; ("unknown", None): the bounds allow it but no start
    tried shows it. Days and longer units are wall-clock time, so they are compared with the zone's spread.
    """
    if b is None:
        return "always", None
    if a.anchor != b.anchor:
        return "anchors", None
    policy = p.policy
    wall = {a.duration.unit, b.duration.unit} - set(ELAPSED)
    spread = spread_of(policy) if wall else 0.0
    lo_a, hi_a = bounds((1, a.duration), day_hours(policy), spread)
    lo_b, hi_b = bounds((1, b.duration), day_hours(policy), spread)
    if hi_b <= lo_a or _never_later(a.duration, b.duration, spread):
        return None
    if lo_b > hi_a and a.duration.unit in FIXED and b.duration.unit in FIXED:
        return "always", None
    try:
        cal = policy_calendar(policy)
    except CalendarError:
        return "unknown", None
    for start in starts(cal, _SEARCH_TIMES, DEFAULT_RECEIVED):
        try:
            if apply_terms(cal, start, [(1, b.duration)]) > apply_terms(cal, start, [(1, a.duration)]):
                return "at", start
        except (CalendarError, ValueError):  # no holiday data that year, out of range: another start may do
            continue
    return "unknown", None


def _never_later(a: ir.Duration, b: ir.Duration, spread: float) -> bool:
    """``b`` in the same unit as ``a`` and no more of it: never later from the same start.

    Both end at wall-clock times at least the shortest wall-clock length of the difference apart, and a
    time in an offset gap (DST) moves on by the gap, at most ``spread``: so ``b`` is no later when the
    amounts are equal or the difference is at least ``spread`` long (always, but for business hours).
    """
    if a.unit != b.unit or b.amount > a.amount:
        return False
    if b.amount == a.amount or a.unit in ELAPSED:
        return True
    return bounds((1, ir.Duration(a.amount - b.amount, a.unit)), 24.0)[0] >= spread


def _deadline_pair(p, inv, rules, a, b, lo, hi, li, pinned, present, report) -> Finding | None:
    later = later_deadline(p, a, b)
    if later is None:
        return None
    sel_lo, sel_hi = _selected(p, rules, a, lo, present), _selected(p, rules, b, hi, present)
    for x in sel_lo:
        for y in sel_hi:
            both = meet(x[:li] + (p.space.full[li],) + x[li + 1:], y[:li] + (p.space.full[li],) + y[li + 1:])
            if both is None:
                continue
            masks = [[1 << k for k in range(both[i].bit_length()) if both[i] >> k & 1] for i in pinned]
            if _count(masks) > MAX_POINTS:
                report.uncovered.append(f"invariant {inv.id!r}: more than {MAX_POINTS} combinations of the fields "
                                        f"clock {inv.arg!r} reads")  # fmt: skip
                return None
            for point in itertools.product(*masks):
                box = list(both)
                for i, m in zip(pinned, point):
                    box[i] = m
                box_lo = p.find(and_regions([tuple(box)], p.level_region([lo])))
                box_hi = p.find(and_regions([tuple(box)], p.level_region([hi])))
                if box_lo is None or box_hi is None:
                    continue
                return _deadline_finding(p, inv, a, b, lo, hi, box_lo, box_hi, later, report)
    return None


def _count(masks: list[list[int]]) -> int:
    n = 1
    for m in masks:
        n *= len(m)
    return n


def _deadline_finding(p, inv, a, b, lo, hi, box_lo, box_hi, later, report) -> Finding | None:
    how, start = later
    if how in ("anchors", "unknown"):
        why = (f"rules {a.id!r} and {b.id!r} are measured from different fields" if how == "anchors" else
               f"{b.id!r} ({b.duration}) may fall after {a.id!r} ({a.duration}) but no start tried (in 2026, and "
               "around the time zone's offset changes) shows it")
        report.uncovered.append(f"invariant {inv.id!r}: levels {lo!r} and {hi!r}: {why}")
        return None
    overrides = None
    if start is not None:
        dim = p.space.dims[p.space.by_name[a.anchor]] if a.anchor in p.space.by_name else None
        if dim is not None and len(dim.atoms) > 2:
            report.uncovered.append(f"invariant {inv.id!r}: {b.id!r} may fall after {a.id!r}, but {a.anchor!r} is "
                                    "compared with constants, so no start was chosen")  # fmt: skip
            return None
        overrides = {a.anchor: start}
    got = f"gets it {b.duration} after {b.anchor} by {b.id!r}" if b is not None else "gets none"
    message = (f"a record of level {hi!r} {got}, while a record of the less severe {lo!r} that agrees on every "
               f"field the clock reads gets it {a.duration} after {a.anchor} by {a.id!r}")
    finding = _finding(p, inv, message, box_hi, levels=[lo, hi], rules=[a.id, b.id if b else None],
                       lower_record=p.record(box_lo, overrides))
    if overrides:
        finding.record.update(overrides)
        finding.details["start"] = start.isoformat()
    return finding


_CHECKS: dict[tuple[str, str], Callable[[Prover, ProofReport, ir.InvariantRule], None]] = {
    ("monotone", "cap"): _cap,
    ("monotone", "deadline"): _deadline,
    ("always", "options"): _options,
    ("always", "follow_up"): _follow_up,
    ("always", "route"): _route,
    ("never", "route"): _route,
    ("always", "option"): _option,
    ("never", "option"): _option,
}


# ---------------------------------------------------------------------------- replay


def reproduces(policy, finding: Finding, decision) -> bool:
    """Whether ``decision`` (of ``finding.record``) shows the declared invariant ``finding.rule`` broken."""
    inv = next((i for i in policy.ir.invariants if i.id == finding.rule), None)
    if inv is None:
        return False
    remedy, fu = decision.remedy, decision.follow_up
    offered = tuple(remedy.options) if remedy is not None else ()
    if inv.subject == "route":
        return (inv.arg in decision.routes) != (inv.kind == "always")
    if inv.subject == "option":
        return (inv.arg in offered) != (inv.kind == "always")
    if inv.subject == "options":
        return not offered
    if inv.subject == "follow_up":
        return fu.status == "none" or (fu.status != "exempt" and fu.rate is not None and Decimal(fu.rate) < 100)
    lower = policy.evaluate(finding.details["lower_record"])
    lo, hi = finding.details["levels"]
    if (lower.level, decision.level) != (lo, hi):
        return False
    if inv.subject == "cap":
        return remedy is not None and lower.remedy is not None and remedy.cap is not None and \
            lower.remedy.cap is not None and remedy.cap.amount < lower.remedy.cap.amount  # fmt: skip
    due_lo, due_hi = lower.deadline(inv.arg), decision.deadline(inv.arg)
    return due_lo is not None and (due_hi is None or due_hi > due_lo)
