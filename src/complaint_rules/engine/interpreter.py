"""A plain tree-walking interpreter over the IR: slow, obvious, and the oracle the compiler is tested against.

The semantics it implements are written down in ``docs/decisions.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .. import ir
from ..calendars import Calendar
from ..calendars import calendar as make_calendar
from ..errors import CalendarError, EvaluationError
from . import lifecycle
from .decision import (
    Amount,
    Deadline,
    Decision,
    Escalation,
    FollowUpPlan,
    Obligation,
    PolicyMeta,
    Problem,
    Remedy,
    TraceEntry,
    calendar_problem,
    dependent_problem,
    undecided_error,
)
from .record import schema_for

__all__ = ["OPS", "calendar_for", "holds", "interpret", "location", "sample_point", "severity_order"]

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
ORDERING = frozenset({"<", "<=", ">", ">="})


def calendar_for(policy: ir.Policy) -> Calendar:
    """The calendar a policy's header describes; no ``calendar`` means plain Monday-Friday weekdays."""
    h = policy.header
    return make_calendar(
        h.calendar or "NONE",
        hours=h.hours,
        timezone=h.timezone or "UTC",
        holidays=h.holidays,
        workdays=h.workdays,
        data=h.calendar_sources,
    )


def sample_point(policy_id: str, rule_id: str, record_id: str | None) -> float:
    """Where a record falls in [0, 100) for a sampled rule: sha256, the same in every process."""
    key = "\x1f".join((policy_id, rule_id, record_id or "")).encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") * 100 / 2**64


def severity_order(policy: ir.Policy) -> tuple[str, ...]:
    """Levels in ascending severity: the policy's ``levels`` block, else the four standard names."""
    return tuple(n.id for n in policy.levels) or ir.LEVEL_NAMES


def location(span: Any) -> str | None:
    return span.location() if span is not None else None


def _number(x: Any) -> bool:
    return isinstance(x, (int, Decimal)) and not isinstance(x, bool)


class _Env:
    """One evaluation: the record's values, the level once classified, and the schema for enum order."""

    def __init__(self, policy: ir.Policy, values: Mapping[str, Any], schema: Mapping[str, ir.FieldDecl]):
        self.policy = policy
        self.values = values
        self.schema = schema
        self.level: str | None = None

    def get(self, name: str) -> Any:
        if name == "level":
            return self.level
        return self.values.get(name)

    def order(self, name: str) -> tuple[str, ...] | None:
        if name == "level":
            return severity_order(self.policy)
        decl = self.schema.get(name)
        if decl is not None and decl.type.kind == "enum" and decl.type.members:
            return decl.type.members
        return None

    # -- conditions: one method per node kind
    def test(self, expr: ir.Expr | None) -> bool:
        if expr is None:
            return True
        return getattr(self, "_" + type(expr).__name__)(expr)

    def _Ref(self, e: ir.Ref) -> bool:
        return self.get(e.name) is True

    def _Const(self, e: ir.Const) -> bool:
        return e.value is True

    def _Compare(self, e: ir.Compare) -> bool:
        x = self.get(e.left.name) if isinstance(e.left, ir.Ref) else e.left.value
        c = self.get(e.right.name) if isinstance(e.right, ir.Ref) else e.right.value
        if x is None or c is None:
            return False
        op = OPS[e.op]
        order = self.order(e.left.name) if isinstance(e.left, ir.Ref) and e.op in ORDERING else None
        if order is not None:
            if x not in order or c not in order:
                return False
            return op(order.index(x), order.index(c))
        if isinstance(c, ir.Money) and isinstance(x, ir.Money):
            return x.currency == c.currency and op(x.amount, c.amount)
        if isinstance(c, ir.Money) and _number(x):
            return op(x, c.amount)
        if isinstance(x, ir.Money) and _number(c):
            return op(x.amount, c)
        if (lx := ir.fixed_length(x)) is not None and (lc := ir.fixed_length(c)) is not None:
            return op(lx, lc)  # 1 day == 24 hours: durations of fixed length compare by length
        try:
            return bool(op(x, c))
        except TypeError:
            return False

    def _InSet(self, e: ir.InSet) -> bool:
        x = self.get(e.operand.name)
        if x is None:
            return False
        return (x in e.members) != e.negated

    def _Has(self, e: ir.Has) -> bool:
        x = self.get(e.operand.name)
        if not isinstance(x, frozenset):
            return False
        if e.quantifier == "all":
            return all(m in x for m in e.members)
        return any(m in x for m in e.members)

    def _Mentions(self, e: ir.Mentions) -> bool:
        x = self.get(e.operand.name)
        if not isinstance(x, str):
            return False
        text = x.casefold()
        hits = [k.casefold() in text for k in e.keywords]
        return all(hits) if e.quantifier == "all" else any(hits)

    def _Missing(self, e: ir.Missing) -> bool:
        return (self.get(e.operand.name) is None) != e.negated

    def _And(self, e: ir.And) -> bool:
        return all(self.test(i) for i in e.items)

    def _Or(self, e: ir.Or) -> bool:
        return any(self.test(i) for i in e.items)

    def _Not(self, e: ir.Not) -> bool:
        return not self.test(e.item)


def holds(
    policy: ir.Policy,
    condition: ir.Expr,
    values: Mapping[str, Any],
    *,
    schema: Mapping[str, ir.FieldDecl] | None = None,
    level: str | None = None,
) -> bool:
    """The oracle's reading of one condition over coerced ``values`` (``level`` for ``level ...`` tests).

    A testing hook: the property tests hold the generated code, ``prove``'s regions and ``diff``'s regions
    to this answer, condition by condition.
    """
    env = _Env(policy, values, schema if schema is not None else schema_for(policy))
    env.level = level
    return env.test(condition)


def interpret(
    policy: ir.Policy,
    values: Mapping[str, Any],
    *,
    record_id: str | None,
    now: dt.datetime | None = None,
    calendar: Calendar | None = None,
    meta: PolicyMeta | None = None,
    strict: bool = False,
) -> Decision:
    """Decide one record whose ``values`` were coerced by :func:`complaint_rules.engine.record.coerce`.

    A time the calendar cannot place is None and named in the decision's ``problems``, with every time
    timed from it; with ``strict`` that raises :class:`EvaluationError` instead.
    """
    if now is not None and (not isinstance(now, dt.datetime) or now.utcoffset() is None):
        raise EvaluationError(record_id, f"'now' must be a timezone-aware datetime, got {now!r}")
    calendar = calendar or calendar_for(policy)
    meta = meta or PolicyMeta(policy.header.id, policy.header.version, None)
    env = _Env(policy, values, schema_for(policy))
    trace: list[TraceEntry] = []

    def hit(rule: Any, block: str) -> None:
        trace.append(TraceEntry(rule=rule.id, block=block, location=location(rule.span), note=rule.note))

    failed: dict[str, CalendarError] = {}  # rule id -> why the calendar could not place its time
    undecided: dict[str, Problem] = {}  # clock -> its problem
    problems: list[Problem] = []  # of escalations, follow-up and obligations, in the decision's order

    def shift(
        start: dt.datetime | None, duration: ir.Duration, sign: int, rule_id: str
    ) -> dt.datetime | None:
        if not isinstance(start, dt.datetime):
            return None
        try:
            return calendar.add(start, duration) if sign > 0 else calendar.subtract(start, duration)
        except CalendarError as exc:
            failed[rule_id] = exc
            return None

    def problem(part: Any, name: str, rule: Any, anchor_name: str | None) -> Problem | None:
        """The problem of ``rule``'s time: the calendar failed on it, or it is timed from an undecidable clock."""
        if rule.id in failed:
            return calendar_problem(part, name, rule.id, location(rule.span), failed[rule.id], calendar.data_source)
        if anchor_name is not None and anchor_name in undecided:
            return dependent_problem(part, name, rule.id, location(rule.span), undecided[anchor_name])
        return None

    def flag(part: Any, rule: Any, anchor_name: str | None) -> None:
        if (p := problem(part, rule.id, rule, anchor_name)) is not None:
            problems.append(p)

    # classify
    level = None
    if policy.classify is not None:
        block = policy.classify
        matching = [r for r in block.rules if env.test(r.when)] if block.hit == "highest" else []
        if block.hit != "highest":
            matching = next(([r] for r in block.rules if env.test(r.when)), [])
        if matching:
            order = severity_order(policy)
            rank = {name: i for i, name in enumerate(order)}
            best = matching[0]
            for r in matching[1:]:
                if rank.get(r.level, -1) > rank.get(best.level, -1):
                    best = r
            level = best.level
            for r in matching:
                hit(r, "classify")
        elif block.otherwise is not None:
            level = block.otherwise
            trace.append(
                TraceEntry(rule="classify.otherwise", block="classify", location=location(block.span))
            )
    env.level = level
    level_label = next((n.label for n in policy.levels if n.id == level), None)

    # route
    routes: list[str] = []
    owner = None
    if policy.route is not None:
        block = policy.route
        matched = []
        for r in block.rules:
            if env.test(r.when):
                matched.append(r)
                if block.hit != "all":
                    break
        for r in matched:
            hit(r, "route")
            for t in r.targets:
                if t not in routes:
                    routes.append(t)
        if not matched and block.otherwise is not None:
            routes = list(dict.fromkeys(block.otherwise))
            trace.append(TraceEntry(rule="route.otherwise", block="route", location=location(block.span)))
        first_targets = matched[0].targets if matched else tuple(routes)
        owner = first_targets[0] if first_targets else None

    # deadlines: the first matching rule per clock; anchors resolved on demand, in dependency order
    clocks: dict[str, list[ir.DeadlineRule]] = {}
    for r in policy.deadlines:
        clocks.setdefault(r.clock, []).append(r)
    resolved: dict[str, tuple[ir.DeadlineRule, dt.datetime | None] | None] = {}
    visiting: set[str] = set()
    history = values.get("history") or ()
    states: dict[str, tuple] = {}  # clock -> the states of its cycles at now (clocks with a life only)

    def clock(name: str) -> tuple[ir.DeadlineRule, dt.datetime | None] | None:
        if name in resolved:
            return resolved[name]
        if name in visiting:
            raise EvaluationError(record_id, f"deadline clock {name!r} depends on itself")
        visiting.add(name)
        winner = next((r for r in clocks[name] if env.test(r.when)), None)
        result = None
        if winner is not None:
            plan = lifecycle.plan_for(winner, policy)
            if plan is None:
                start = anchor(winner.anchor)
                if history and ir.mentions_level(winner.when):
                    start = lifecycle.level_start(start, history, env.level)
                result = (winner, shift(start, winner.duration, 1, winner.id))
            else:
                due, states[name] = lifecycle.run(
                    plan, calendar, lambda s, w=winner: shift(s, w.duration, 1, w.id),
                    None if plan.start_status else anchor(winner.anchor), values, env.level, now,
                    lambda exc, w=winner: failed.__setitem__(w.id, exc))  # fmt: skip
                result = (winner, due)
            if (p := problem("deadline", name, winner, winner.anchor)) is not None:
                undecided[name] = p
        visiting.discard(name)
        resolved[name] = result
        return result

    def anchor(name: str | None) -> dt.datetime | None:
        if name is None:
            return None
        if name in clocks:
            got = clock(name)
            return got[1] if got else None
        value = values.get(name)
        return value if isinstance(value, dt.datetime) else None

    deadlines = []
    for name in clocks:
        got = clock(name)
        if got is not None:
            rule, due = got
            deadlines.append(Deadline(clock=name, due_at=due, rule=rule.id, anchor=rule.anchor))
    winners = {got[0].id for got in resolved.values() if got}
    for r in policy.deadlines:
        if r.id in winners:
            hit(r, "deadlines")

    received = values.get("received_at")
    if isinstance(received, dt.datetime):
        received = calendar.in_zone(received)  # every time of a decision in the policy's zone

    def timing_due(t: ir.Timing, rule: Any, part: Any) -> dt.datetime | None:
        if t.kind in ("before", "after") and t.duration is not None:
            due = shift(anchor(t.anchor), t.duration, -1 if t.kind == "before" else 1, rule.id)
            flag(part, rule, t.anchor)
            return due
        flag(part, rule, None)  # a retention time (`for`) the calendar could not place
        if t.kind == "for":
            return None
        return received if isinstance(received, dt.datetime) else None

    def resolve(targets: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for t in targets:
            t = owner if t == "owner" and owner is not None else t
            if t not in out:
                out.append(t)
        return tuple(out)

    # escalations
    escalations = []
    for r in policy.escalate:
        active = env.test(r.when)
        due = timing_due(r.timing, r, "escalation")
        if not active:
            status = "inactive"
        elif history and lifecycle.done(history, r.id, now):
            status = "done"
        elif r.timing.anchor in states and lifecycle.met_before(states[r.timing.anchor], due):
            status = "inactive"
        elif now is not None and due is not None and now >= due:
            status = "due"
        else:
            status = "pending"
        if active:
            hit(r, "escalate")
        escalations.append(
            Escalation(rule=r.id, action=r.action, targets=resolve(r.targets), due_at=due, status=status)
        )

    # remedy
    remedy = None
    if policy.compensate is not None:
        remedy = _remedy(policy, policy.compensate, env, level, hit)

    # follow-up
    follow_up = _follow_up(policy, env, meta, record_id, anchor, shift, resolve, hit)
    if follow_up.rule is not None:
        rule = next(r for r in (*policy.follow_up.rules, policy.follow_up.otherwise) if r and r.id == follow_up.rule)
        flag("follow_up", rule, rule.anchor if rule.rate is not None and rule.window is not None else None)

    # obligations
    obligations = []
    for r in policy.obligations:
        if not env.test(r.when):
            continue
        hit(r, "obligations")
        retain = None
        if r.timing.kind == "for" and r.timing.duration is not None:
            resolved_at = values.get("resolved_at")
            retain = shift(
                resolved_at if isinstance(resolved_at, dt.datetime) else None, r.timing.duration, 1, r.id
            )
        due = timing_due(r.timing, r, "obligation")
        status = lifecycle.obligation_status(r.timing.kind, due, now, bool(history) and lifecycle.done(history, r.id, now))
        obligations.append(Obligation(rule=r.id, action=r.action, label=r.label, by=resolve(r.by),
                                      due_at=due, retain_until=retain, status=status))  # fmt: skip

    found = tuple(undecided[name] for name in clocks if name in undecided) + tuple(problems)
    if strict and found:
        raise undecided_error(record_id, found)
    return Decision(
        policy_id=meta.id,
        policy_version=meta.version,
        fingerprint=meta.fingerprint,
        record_id=record_id,
        evaluated_at=now,
        level=level,
        level_label=level_label,
        routes=tuple(routes),
        owner=owner,
        deadlines=tuple(deadlines),
        escalations=tuple(escalations),
        remedy=remedy,
        follow_up=follow_up,
        obligations=tuple(obligations),
        trace=tuple(sorted(trace, key=lambda t: _BLOCKS.index(t.block))),
        problems=found,
        clocks=tuple(c for name in clocks for c in states.get(name, ())),
    )


_BLOCKS = ("classify", "route", "deadlines", "escalate", "compensate", "follow_up", "obligations")


def _remedy(policy: ir.Policy, comp: ir.Compensate, env: _Env, level: str | None, hit) -> Remedy:
    tier = next((t for t in comp.tiers if t.level == level), None)
    currency = tier.cap.currency if tier else policy.header.currency
    raw = env.values.get(comp.amount) if comp.amount else None
    amount = None
    if isinstance(raw, ir.Money):
        amount = raw
    elif _number(raw) and currency:
        amount = ir.Money(Decimal(raw), currency)
    within_cap = None
    if amount is not None and tier is not None and amount.currency == tier.cap.currency:
        within_cap = amount.amount <= tier.cap.amount
    required = None
    comparable = []
    if amount is not None:
        comparable = [a for a in comp.authority if a.limit.currency == amount.currency]
        for a in sorted(comparable, key=lambda a: a.limit.amount):
            if amount.amount <= a.limit.amount:
                required = a.role
                break
    within_authority = None
    if amount is not None and tier is not None:
        own = next((a for a in comp.authority if a.role == tier.approver), None)
        if own is None:
            within_authority = within_cap
        elif own.limit.currency == amount.currency:
            within_authority = amount.amount <= own.limit.amount
    excluded: set[str] = set()
    preferred: set[str] = set()
    for r in comp.rules:
        if env.test(r.when):
            hit(r, "compensate")
            (excluded if r.action == "exclude" else preferred).update(r.options)
    kept = [o.id for o in comp.options if o.id not in excluded]
    options = tuple([o for o in kept if o in preferred] + [o for o in kept if o not in preferred])
    return Remedy(
        tier=tier.level if tier else None,
        cap=Amount(amount=tier.cap.amount, currency=tier.cap.currency) if tier else None,
        currency=currency,
        approver=tier.approver if tier else None,
        options=options,
        amount=Amount(amount=amount.amount, currency=amount.currency) if amount is not None else None,
        within_cap=within_cap,
        within_authority=within_authority,
        required_approver=required,
        beyond_authority=amount is not None and bool(comparable) and required is None,
    )


def _follow_up(policy, env: _Env, meta: PolicyMeta, record_id, anchor, shift, resolve, hit) -> FollowUpPlan:
    block = policy.follow_up
    rule = None
    if block is not None:
        rule = next((r for r in block.rules if env.test(r.when)), None) or block.otherwise
    attempts = env.values.get("follow_up_count") or 0
    if rule is None:
        return FollowUpPlan(status="none", rule=None, rate=None, sampled=False, sample_point=None, by=(), via=(),
                            due_at=None, until_satisfied=None, attempts=attempts, repeat_needed=False)  # fmt: skip
    hit(rule, "follow_up")
    point = None
    if rule.rate is None:
        status = "exempt"
    elif rule.rate.value >= 100:
        status = "required"
    else:
        point = sample_point(meta.id, rule.id, record_id)
        status = "required" if point < rule.rate.value else "not_sampled"
    due = None
    if status != "exempt" and rule.window is not None:
        base = anchor(rule.anchor) if rule.anchor else env.values.get("received_at")
        due = shift(base, rule.window, 1, rule.id)
    limit = block.until_satisfied
    return FollowUpPlan(
        status=status,
        rule=rule.id,
        rate=rule.rate.value if rule.rate is not None else None,
        sampled=point is not None,
        sample_point=point,
        by=resolve(rule.by),
        via=rule.via,
        due_at=due,
        until_satisfied=limit,
        attempts=attempts,
        repeat_needed=status == "required"
        and limit is not None
        and env.values.get("satisfied") is False
        and (limit == 0 or attempts < limit),
    )
