"""Due times that can fall before the time they are measured from.

A timed rule (a deadline clock, an escalation or obligation with ``before``/``after``, a follow-up
window) is measured along a chain of anchors (clocks) down to a record timestamp, its *root*:
``remind 1 day before first_contact`` with ``first_contact = 2 hours after received_at`` has root
``received_at`` and falls 22 hours before it. A finding is a due time that can fall before its root
when the root is an *event* timestamp, something that has happened when the clock starts:
``received_at``, ``first_contact_at``, ``resolved_at``, ``last_follow_up_at``. A root the policy
declares itself (``due_at``, ``appointment_at``) may be a scheduled time in the future, and a
reminder before it is the point ("remind the day before the deadline"), so it is not a finding.

The signed offsets along the chain are added up. Minutes and hours are elapsed time, exact. Every other
unit is counted on the wall clock of the policy's zone, so its elapsed length is its wall-clock length give
or take the zone's *spread* (highest minus lowest UTC offset, :mod:`.zones`): a day is 1440 minutes only in
a zone that never changed its offset, 23-25 hours in New York. The wall-clock lengths are bounded: a day
exactly, a month 28-31 days, a year 365-366, ``n`` working days ``n..(n+12)`` days (the calendar keeps the
time of day), ``n`` business hours ``n`` hours..``ceil(n/h)+13`` days (``h`` business hours a day), ``end of n
working days`` ``n..(n+14)`` days and never before its start. When the
bounds cannot decide, starts are tried on the policy's own calendar (the evaluator's): for a chain of
minutes to weeks the usual counterexample start first, then every day of 2026 at several times of day, then
every quarter hour from two days before to a day after each offset change of the zone nearest 2026. A hit is
a finding with that start, no hit is reported as not covered.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

from .. import ir
from .prover import Prover
from .regions import and_regions
from .report import Finding, ProofReport
from .zones import changes_near, offset_spread

# Units of one wall-clock length, in minutes (days and weeks are wall-clock days: see bounds).
FIXED = ir.FIXED_MINUTES  # units of a fixed length, in minutes
ELAPSED = ("minutes", "hours")  # elapsed time on the UTC time line: exact in every zone
_LENGTHS = (*FIXED, "months", "years", "working_days", "business_hours")  # the units bounds knows
_DAY = 1440
_SEARCH_YEAR = 2026
_SEARCH_TIMES = (dt.time(0, 30), dt.time(9, 0), dt.time(12, 0), dt.time(17, 59), dt.time(18, 0), dt.time(20, 0),
                 dt.time(23, 30))  # fmt: skip
_NEAR_CHANGE = range(-192, 97)  # quarter hours around an offset change: two days before to a day after
_QUARTER = dt.timedelta(minutes=15)

EVENT_FIELDS = ("received_at", "first_contact_at", "resolved_at", "last_follow_up_at")

Term = tuple[int, ir.Duration]  # (+1 after / -1 before, duration)


def bounds(term: Term, day_hours: float, spread: float = 0.0) -> tuple[float, float]:
    """Lowest and highest elapsed length in minutes of a signed duration.

    ``spread`` is the zone's highest minus lowest UTC offset in minutes (:func:`spread_of`): every unit
    but minutes and hours is counted on the wall clock, and its elapsed length differs from its
    wall-clock length by the change of offset between its start and its end, at most ``spread``.
    """
    sign, d = term
    n = d.amount * sign
    unit = d.unit
    if unit == "end_of_day" and n >= 0:
        # The close of the first working day at or after the start (never before it), then n working days
        # on: at least n whole days later, at most the longest run of days off plus a day per working day.
        return max(0.0, n * _DAY - spread), (n + 14) * _DAY + spread
    if unit not in _LENGTHS:
        return -math.inf, math.inf  # a unit this analysis does not know: nothing is decided by bounds
    if n == 0:
        return 0.0, 0.0  # the calendar returns the start itself
    if unit in FIXED:
        lo = hi = abs(n) * FIXED[unit]
    elif unit == "months":
        lo, hi = abs(n) * 28 * _DAY, abs(n) * 31 * _DAY
    elif unit == "years":
        lo, hi = abs(n) * 365 * _DAY, abs(n) * 366 * _DAY
    elif unit == "working_days":
        lo, hi = abs(n) * _DAY, (abs(n) + 12) * _DAY  # the same clock time n working days on, at least
    else:  # business hours
        lo, hi = abs(n) * 60, (math.ceil(abs(n) / day_hours) + 13) * _DAY
    if unit not in ELAPSED:
        lo, hi = lo - spread, hi + spread
    return (lo, hi) if n >= 0 else (-hi, -lo)


def spread_of(policy: ir.Policy) -> float:
    """The policy zone's highest minus lowest UTC offset, in minutes (0 for UTC and fixed-offset zones)."""
    return offset_spread(policy.header.timezone)


def day_hours(policy: ir.Policy) -> float:
    """Business hours in a working day (24 without ``hours``), for the bounds of business-hour durations."""
    hours = policy.header.hours
    if not hours:
        return 24.0
    start, end = (dt.datetime.combine(dt.date.min, t) for t in hours)
    return max(1.0, (end - start).total_seconds() / 3600)


def policy_calendar(policy: ir.Policy):
    """The calendar ``Policy.evaluate`` uses for the policy."""
    from ..engine.interpreter import calendar_for

    return calendar_for(policy)


def apply_terms(cal, start: dt.datetime, terms: list[Term]) -> dt.datetime:
    t = start
    for sign, d in terms:
        sign = sign if d.amount >= 0 else -sign
        d = ir.Duration(abs(d.amount), d.unit)
        t = cal.add(t, d) if sign > 0 else cal.subtract(t, d)
    return t


def starts(cal, times: tuple[dt.time, ...] = _SEARCH_TIMES, first: dt.datetime | None = None
           ) -> Iterator[dt.datetime]:  # fmt: skip
    """Candidate starts: ``first``, every day of 2026 at ``times``, then every quarter hour from two days
    before to a day after each offset change of the calendar's zone (nearest 2026 first)."""
    if first is not None:
        yield first
    day = dt.date(_SEARCH_YEAR, 1, 1)
    while day.year == _SEARCH_YEAR:
        for clock in times:
            yield dt.datetime.combine(day, clock, tzinfo=cal.tzinfo)
        day += dt.timedelta(days=1)
    for change in changes_near(cal.timezone, _SEARCH_YEAR):
        for k in _NEAR_CHANGE:
            yield (change + k * _QUARTER).astimezone(cal.tzinfo)


def _search(policy: ir.Policy, terms: list[Term], first: dt.datetime | None = None
            ) -> tuple[dt.datetime, dt.datetime] | None:  # fmt: skip
    """A start on the policy's calendar for which the chain ends before it."""
    from ..errors import CalendarError

    try:
        cal = policy_calendar(policy)
    except CalendarError:
        return None
    for start in starts(cal, first=first):
        try:
            due = apply_terms(cal, start, terms)
        except (CalendarError, ValueError):  # no holiday data that year, out of range: another start may do
            continue
        if due < start:
            return start, due
    return None


def _items(policy: ir.Policy):
    """(block, rule, own signed term, anchor, condition, same-clock earlier rules) of every timed rule."""
    earlier: dict[str, list[ir.DeadlineRule]] = {}
    for rule in policy.deadlines:
        yield "deadlines", rule, (1, rule.duration), rule.anchor, rule.when, list(earlier.get(rule.clock, []))
        earlier.setdefault(rule.clock, []).append(rule)
    for block, rules in (("escalate", policy.escalate), ("obligations", policy.obligations)):
        for rule in rules:
            t = rule.timing
            if t.kind in ("before", "after") and t.duration is not None and t.anchor:
                yield block, rule, (1 if t.kind == "after" else -1, t.duration), t.anchor, rule.when, []
    if policy.follow_up is not None:
        for rule in (*policy.follow_up.rules, policy.follow_up.otherwise):
            if rule is not None and rule.window is not None and rule.anchor:
                yield "follow_up", rule, (1, rule.window), rule.anchor, rule.when, []


def _paths(policy: ir.Policy, schema, anchor: str, seen: tuple[str, ...] = ()):
    """Chains from an anchor down to a record field or a status: (deadline rules outermost first, root)."""
    if anchor in schema or any(st.id == anchor for st in policy.statuses):
        yield [], anchor
        return
    rules = [r for r in policy.deadlines if r.clock == anchor]
    if not rules or anchor in seen:
        return
    for rule in rules:
        for rest, root in _paths(policy, schema, rule.anchor, (*seen, anchor)):
            yield [rule, *rest], root


def check_timings(p: Prover, report: ProofReport) -> None:
    policy = p.policy
    hours_a_day = day_hours(policy)
    spread: float | None = None  # computed when a wall-clock unit needs it
    count = 0
    statuses = {n.id for n in policy.statuses}
    for block, rule, own, anchor, when, before_me in _items(policy):
        if anchor in statuses:  # a clock that starts at a status: the history's times are not in the record space
            report.uncovered.append(f"{block} rule {rule.id!r}: starts at status {anchor!r} of the history, "
                                    "whose times prove does not model")  # fmt: skip
            continue
        if anchor in p.schema and (anchor not in EVENT_FIELDS or own[0] * own[1].amount >= 0):
            continue  # forwards from an event, or a reminder ahead of a scheduled time
        found_paths = False
        for chain, root in _paths(policy, p.schema, anchor):
            found_paths = True
            if root in statuses:  # timed, through clocks, from a status: the history's times again
                via = " -> ".join(repr(r.clock) for r in chain)
                report.uncovered.append(f"{block} rule {rule.id!r}: timed from clock {via}, which starts at status "
                                        f"{root!r} of the history, whose times prove does not model")  # fmt: skip
                continue
            count += 1
            if root not in EVENT_FIELDS:
                continue
            terms = [(1, r.duration) for r in reversed(chain)] + [own]
            if all(sign * d.amount >= 0 for sign, d in terms):
                continue
            if spread is None and any(d.unit not in ELAPSED and d.amount for _, d in terms):
                spread = spread_of(policy)
            lo = sum(bounds(t, hours_a_day, spread or 0.0)[0] for t in terms)
            if lo >= 0:
                continue
            _check_chain(p, report, block, rule, terms, chain, root, when, before_me, spread or 0.0)
        if not found_paths and anchor not in p.schema:
            report.uncovered.append(f"{block} rule {rule.id!r}: anchor {anchor!r} is neither a clock nor a field")
    report.checked.append(f"timings: {count} anchor chains")
    if any(r.life != ir.NO_LIFE or ir.mentions_level(r.when) for r in policy.deadlines):
        # Sound as it is: a pause, a level reached later than the anchor, or a restart only ever delays a due
        # time, so the lower bounds above hold and a counterexample without history is still one.
        report.checked.append("timings: clocks that pause, restart or wait for their level only fall due later")


def _check_chain(p: Prover, report, block, rule, terms, chain, root, when, before_me, spread: float) -> None:
    region = and_regions(p.region(when), p.space.compile(ir.Missing(ir.Ref(root), negated=True)))
    negatives = [b for r in before_me for b in p.region(r.when)]
    for step in chain:  # each clock on the chain must be set by this very rule
        region = and_regions(region, p.region(step.when))
        negatives += [b for r in p.policy.deadlines if r.clock == step.clock for b in p.region(r.when)
                      if _before(p.policy, r, step)]  # fmt: skip
    box = p.find(region, negatives)
    if box is None:
        return
    fixed = all(d.unit in FIXED for _, d in terms)
    if fixed and (not spread or all(d.unit in ELAPSED or not d.amount for _, d in terms)):
        start = _default_start(p)  # every day lasts 1440 minutes: the sum is exact from any start
        total = sum(sign * d.amount * FIXED[d.unit] for sign, d in terms)
        due = start + dt.timedelta(minutes=total)
        hit = (start, due)
    else:
        hit = _search(p.policy, terms, _default_start(p) if fixed else None)
    via = " -> ".join(f"{s.clock} ({s.id})" for s in chain) or root
    if hit is None:
        where = " or around the time zone's offset changes" if spread else ""
        report.uncovered.append(f"{block} rule {rule.id!r} via {via}: may fall before {root!r} on some calendar "
                                f"dates; none found in {_SEARCH_YEAR}{where}")  # fmt: skip
        return
    start, due = hit
    overrides = {root: start}
    if root != "received_at" and "received_at" in p.schema:
        overrides["received_at"] = start
    report.findings.append(
        Finding("timing.before_start", f"{block} rule {rule.id!r} falls due before {root!r}, the time it is "
                f"measured from (via {via}): {root} = {start.isoformat()} gives {due.isoformat()}", block, rule.id,
                p.record(box, overrides), rule.span, {"root": root, "start": start.isoformat(),
                "due": due.isoformat(), "chain": [s.id for s in chain]})
    )


def _before(policy: ir.Policy, a: ir.DeadlineRule, b: ir.DeadlineRule) -> bool:
    order = {id(r): i for i, r in enumerate(policy.deadlines)}
    return order[id(a)] < order[id(b)]


def _default_start(p: Prover) -> dt.datetime:
    from .witness import DEFAULT_RECEIVED

    return DEFAULT_RECEIVED
