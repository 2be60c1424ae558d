"""Compile a resolved policy into closures: the fast evaluator behind ``Policy.evaluate``.

Conditions become nested Python closures chosen by node type; everything that does not depend on the
record (tiers, option orders, trace entries, clock order) is computed once. Nothing from the policy is
ever turned into source text and run. The result must decide exactly as :mod:`.interpreter` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from . import ir
from .calendar import Calendar
from .decision import (
    Amount,
    Deadline,
    Decision,
    Escalation,
    FollowUpPlan,
    Obligation,
    PolicyMeta,
    Remedy,
    TraceEntry,
    trusted,
)
from .errors import CalendarError, EvaluationError, PolicyError, PolicyStructureError
from .interpreter import OPS, calendar_for, interpret, location, sample_point, severity_order
from .record import make_coercer, schema_for

__all__ = ["CompiledPolicy", "compile_condition", "compile_policy"]

Cond = Callable[[Mapping[str, Any]], bool]
LEVEL = "\x00level"  # where the decided level sits in the values while later blocks run
_ORDERING = frozenset({"<", "<=", ">", ">="})
_DT = dt.datetime
_MONEY = ir.Money


_decision, _deadline, _escalation = trusted(Decision), trusted(Deadline), trusted(Escalation)
_remedy, _plan, _obligation, _amount = (
    trusted(Remedy),
    trusted(FollowUpPlan),
    trusted(Obligation),
    trusted(Amount),
)


# ---------------------------------------------------------------------------- conditions


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, Decimal)) and not isinstance(x, bool)


class _CondCompiler:
    """One method per expression kind, each returning a closure over the record's values."""

    def __init__(self, order: Callable[[str], tuple[str, ...] | None]):
        self.order = order

    def __call__(self, expr: ir.Expr | None) -> Cond | None:
        if expr is None:
            return None
        return getattr(self, "_" + type(expr).__name__)(expr)

    @staticmethod
    def _key(ref: ir.Ref) -> str:
        return LEVEL if ref.name == "level" else ref.name

    def _Ref(self, e: ir.Ref) -> Cond:
        key = self._key(e)
        return lambda v: v.get(key) is True

    def _Const(self, e: ir.Const) -> Cond:
        result = e.value is True
        return lambda v: result

    def _Compare(self, e: ir.Compare) -> Cond:
        if not isinstance(e.left, ir.Ref) or not isinstance(e.right, ir.Const):
            return self._compare_any(e)
        key, c, op = self._key(e.left), e.right.value, OPS[e.op]
        if c is None:
            return lambda v: False
        order = self.order(e.left.name) if e.op in _ORDERING else None
        if order is not None:
            rank = {name: i for i, name in enumerate(order)}
            if c not in rank:
                return lambda v: False
            target = rank[c]

            def ranked(v):
                r = rank.get(v.get(key))
                return r is not None and op(r, target)

            return ranked
        if isinstance(c, ir.Money):
            amount, currency = c.amount, c.currency

            def money(v):
                x = v.get(key)
                if type(x) is _MONEY:
                    return x.currency == currency and op(x.amount, amount)
                return _is_number(x) and op(x, amount)

            return money
        if e.op == "==" and not _is_number(c):
            return lambda v: v.get(key) == c

        def compare(v):
            x = v.get(key)
            if x is None:
                return False
            if type(x) is _MONEY:
                return _is_number(c) and op(x.amount, c)
            try:
                return bool(op(x, c))
            except TypeError:
                return False

        return compare

    def _compare_any(self, e: ir.Compare) -> Cond:
        # Outside the grammar (a literal on the left, a field on the right): let the interpreter decide it.
        from .interpreter import _Env

        def fallback(v):
            env = _Env(_NO_POLICY, v, {})
            env.level, env.order = v.get(LEVEL), self.order  # type: ignore[method-assign]
            return env.test(e)

        return fallback

    def _InSet(self, e: ir.InSet) -> Cond:
        key, members, negated = self._key(e.operand), e.members, e.negated

        def in_set(v):
            x = v.get(key)
            return x is not None and (x in members) != negated

        return in_set

    def _Has(self, e: ir.Has) -> Cond:
        key, members = self._key(e.operand), frozenset(e.members)
        if e.quantifier == "all":
            return lambda v: type(x := v.get(key)) is frozenset and members <= x
        return lambda v: type(x := v.get(key)) is frozenset and not members.isdisjoint(x)

    def _Mentions(self, e: ir.Mentions) -> Cond:
        key, words = self._key(e.operand), tuple(k.casefold() for k in e.keywords)
        if e.quantifier == "all":
            return lambda v: type(x := v.get(key)) is str and all(w in x.casefold() for w in words)
        return lambda v: type(x := v.get(key)) is str and any(w in x.casefold() for w in words)

    def _Missing(self, e: ir.Missing) -> Cond:
        key = self._key(e.operand)
        if e.negated:
            return lambda v: v.get(key) is not None
        return lambda v: v.get(key) is None

    def _And(self, e: ir.And) -> Cond:
        items = tuple(self(i) for i in e.items)
        if len(items) == 2:
            a, b = items
            return lambda v: a(v) and b(v)
        return lambda v: all(f(v) for f in items)

    def _Or(self, e: ir.Or) -> Cond:
        items = tuple(self(i) for i in e.items)
        if len(items) == 2:
            a, b = items
            return lambda v: a(v) or b(v)
        return lambda v: any(f(v) for f in items)

    def _Not(self, e: ir.Not) -> Cond:
        inner = self(e.item)
        return lambda v: not inner(v)


_NO_POLICY = ir.Policy(ir.Header("<condition>"))


def compile_condition(expr: ir.Expr | None, schema: Mapping[str, ir.FieldDecl] | None = None,
                      levels: tuple[str, ...] = ir.LEVEL_NAMES) -> Cond:  # fmt: skip
    """A condition as a function of a values dict (the level, if any, under the key ``LEVEL``)."""
    schema = schema or {}

    def order(name: str) -> tuple[str, ...] | None:
        if name == "level":
            return levels
        decl = schema.get(name)
        return (
            decl.type.members if decl is not None and decl.type.kind == "enum" and decl.type.members else None
        )

    return _CondCompiler(order)(expr) or (lambda v: True)


# ---------------------------------------------------------------------------- the compiled policy


def _entry(rule: Any, block: str) -> TraceEntry:
    return TraceEntry(rule=rule.id, block=block, location=location(rule.span), note=rule.note)


def _clock_order(policy: ir.Policy) -> tuple[str, ...]:
    """Clocks so that every clock comes after the clocks its anchors name."""
    deps: dict[str, set[str]] = {}
    for r in policy.deadlines:
        deps.setdefault(r.clock, set())
    for r in policy.deadlines:
        if r.anchor in deps:
            deps[r.clock].add(r.anchor)
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, rule_span) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise PolicyStructureError(f"deadline clock {name!r} depends on itself", rule_span)
        state[name] = 1
        for dep in sorted(deps[name]):
            visit(dep, next((r.span for r in policy.deadlines if r.clock == name), None))
        state[name] = 2
        done.append(name)

    for name in deps:
        visit(name, None)
    return tuple(done)


def _shifter(cal: Calendar, duration: ir.Duration, sign: int = 1) -> Callable[[dt.datetime], dt.datetime]:
    """The calendar's fast shift for one rule's duration; a bad duration fails when used, as ``cal.add`` would."""
    try:
        return cal.shifter(duration, sign)
    except ValueError as exc:
        error = exc

        def fail(start: dt.datetime) -> dt.datetime:
            raise error

        return fail


def _shift(fn: Callable[[dt.datetime], dt.datetime], start: Any, record_id: str | None, rule_id: str):
    """``start`` shifted by a rule's duration; None while the anchor is missing."""
    if not isinstance(start, _DT):
        return None
    try:
        return fn(start)
    except CalendarError as exc:
        raise EvaluationError(record_id, f"rule {rule_id}: {exc}") from None


def _with_owner(names: tuple[str, ...], owner: str) -> tuple[str, ...]:
    """Targets with ``owner`` replaced by the decided owner, without repeats."""
    return tuple(dict.fromkeys(owner if t == "owner" else t for t in names))


_SHIFTED, _NO_TIME, _RECEIVED = "shifted", "no time", "received"  # kinds of timing (compared by identity)


def _same(values: dict) -> dict:
    return values


# The constructors the decide loop builds its results with: (decision, deadline, escalation, remedy,
# follow-up plan, obligation, amount). Pydantic models for decide, the plain dicts themselves for outcome.
_MODELS = (_decision, _deadline, _escalation, _remedy, _plan, _obligation, _amount)
_PLAIN = (_same,) * len(_MODELS)


class _Plan:
    """Everything about a policy that does not depend on the record, laid out for one tight decide loop."""

    def __init__(self, policy: ir.Policy, schema: Mapping[str, ir.FieldDecl], cal: Calendar):
        levels = severity_order(policy)

        def order(name: str) -> tuple[str, ...] | None:
            if name == "level":
                return levels
            decl = schema.get(name)
            return (
                decl.type.members
                if decl is not None and decl.type.kind == "enum" and decl.type.members
                else None
            )

        cc = _CondCompiler(order)
        self.cal = cal
        shifters: dict[tuple[ir.Duration, int], Callable] = {}

        def shifter(duration: ir.Duration, sign: int = 1) -> Callable[[dt.datetime], dt.datetime]:
            key = (duration, sign)
            if key not in shifters:
                shifters[key] = _shifter(cal, duration, sign)
            return shifters[key]

        self.rank = {name: i for i, name in enumerate(levels)}
        self.labels: dict[str, str | None] = {}
        for n in policy.levels:
            self.labels.setdefault(n.id, n.label)

        c = policy.classify
        self.classify = tuple((cc(r.when), r.level, _entry(r, "classify")) for r in c.rules) if c else ()
        self.highest = c is not None and c.hit == "highest"
        self.classify_otherwise = None
        if c is not None and c.otherwise is not None:
            entry = TraceEntry(rule="classify.otherwise", block="classify", location=location(c.span))
            self.classify_otherwise = (c.otherwise, entry)

        r = policy.route
        self.routes = (
            tuple((cc(x.when), tuple(dict.fromkeys(x.targets)), _entry(x, "route")) for x in r.rules) if r else ()
        )
        self.route_all = r is not None and r.hit == "all"
        self.route_otherwise = None
        if r is not None and r.otherwise is not None:
            entry = TraceEntry(rule="route.otherwise", block="route", location=location(r.span))
            self.route_otherwise = (tuple(dict.fromkeys(r.otherwise)), entry)

        clock_names = tuple(dict.fromkeys(d.clock for d in policy.deadlines))
        self.clock_names = clock_names
        self.deadline_count = len(policy.deadlines)
        self.clocks = tuple(
            (
                name,
                tuple(
                    (
                        cc(d.when),
                        shifter(d.duration),
                        d.anchor,
                        d.anchor in clock_names,
                        d.id,
                        i,
                        _entry(d, "deadlines"),
                        # Frozen models may be shared: one Deadline for every decision where the anchor is missing.
                        _deadline({"clock": d.clock, "due_at": None, "rule": d.id, "anchor": d.anchor}),
                    )
                    for i, d in enumerate(policy.deadlines)
                    if d.clock == name
                ),
            )
            for name in _clock_order(policy)
        )

        def timing(t: ir.Timing) -> tuple:
            """(kind, shift, anchor, anchor is a clock): kind _SHIFTED, _NO_TIME or _RECEIVED."""
            if t.kind in ("before", "after") and t.duration is not None:
                if t.anchor is None:
                    return (_NO_TIME, None, None, False)
                sign = -1 if t.kind == "before" else 1
                return (_SHIFTED, shifter(t.duration, sign), t.anchor, t.anchor in clock_names)
            return (_NO_TIME, None, None, False) if t.kind == "for" else (_RECEIVED, None, None, False)

        def targets(names: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]:
            return "owner" in names, tuple(dict.fromkeys(names))

        self.escalations = tuple(
            (cc(e.when), e.id, e.action, targets(e.targets), timing(e.timing), _entry(e, "escalate"))
            for e in policy.escalate
        )

        comp = policy.compensate
        self.compensate = comp is not None
        self.policy_currency = policy.header.currency
        if comp is not None:
            self.amount_field = comp.amount
            self.tiers: dict[str, tuple] = {}
            for t in comp.tiers:
                own = next((a.limit for a in comp.authority if a.role == t.approver), None)
                cap = Amount(amount=t.cap.amount, currency=t.cap.currency)
                self.tiers.setdefault(t.level, (t.level, cap, t.cap, t.approver, own))
            self.authority = tuple((a.limit.currency, a.limit.amount, a.role)
                                   for a in sorted(comp.authority, key=lambda a: a.limit.amount))  # fmt: skip
            self.authority_currencies = frozenset(a.limit.currency for a in comp.authority)
            self.options = tuple(o.id for o in comp.options)
            self.remedy_rules = tuple(
                (cc(x.when), 1 << i, _entry(x, "compensate")) for i, x in enumerate(comp.rules)
            )
            self.remedy_actions = tuple((x.action == "exclude", x.options) for x in comp.rules)
            self.option_orders: dict[int, tuple[str, ...]] = {0: self.options}  # matched rules (bits) -> options

        fu = policy.follow_up
        self.has_follow_up = fu is not None
        self.until = fu.until_satisfied if fu is not None else None

        def follow_plan(x: ir.FollowUpRule) -> tuple:
            rate = x.rate.value if x.rate is not None else None
            mode = "exempt" if rate is None else "required" if rate >= 100 else "sampled"
            window = shifter(x.window) if x.window is not None else None
            return (x.id, rate, mode, targets(x.by), x.via, window, x.anchor, x.anchor in clock_names,
                    _entry(x, "follow_up"))  # fmt: skip

        self.follow_rules = tuple((cc(x.when), follow_plan(x)) for x in fu.rules) if fu else ()
        self.follow_otherwise = (
            follow_plan(fu.otherwise) if fu is not None and fu.otherwise is not None else None
        )

        # (condition, the rest): most rules do not apply to a record, so the rest is unpacked only when one does.
        self.obligations = tuple(
            (
                cc(o.when),
                (
                    o.id,
                    o.action,
                    o.label,
                    targets(o.by),
                    timing(o.timing),
                    shifter(o.timing.duration) if o.timing.kind == "for" else None,
                    _entry(o, "obligations"),
                ),
            )
            for o in policy.obligations
        )

    def decide(
        self, v: dict, record_id: str | None, now: dt.datetime | None, meta: PolicyMeta, make: tuple = _MODELS
    ) -> Any:
        """The decision for coerced values ``v`` (which gains the level); ``make`` builds its parts."""
        if now is not None and (not isinstance(now, _DT) or now.utcoffset() is None):
            raise EvaluationError(record_id, f"'now' must be a timezone-aware datetime, got {now!r}")
        decision_, deadline_, escalation_, remedy_, plan_, obligation_, amount_ = make
        trace: list[TraceEntry] = []
        append = trace.append

        # classify
        level = None
        if self.highest:
            best = -2
            for cond, lvl, entry in self.classify:
                if cond is None or cond(v):
                    append(entry)
                    r = self.rank.get(lvl, -1)
                    if r > best:
                        best, level = r, lvl
        else:
            for cond, lvl, entry in self.classify:
                if cond is None or cond(v):
                    append(entry)
                    level = lvl
                    break
        if not trace and self.classify_otherwise is not None:
            level, entry = self.classify_otherwise
            append(entry)
        v[LEVEL] = level

        # route (targets are without repeats already)
        routes: tuple[str, ...] | list[str] = ()
        first = None
        if self.route_all:
            collected: list[str] = []
            for cond, targets, entry in self.routes:
                if cond is None or cond(v):
                    append(entry)
                    if first is None:
                        first = targets
                    collected.extend([t for t in targets if t not in collected])
            routes = tuple(collected)
        else:
            for cond, targets, entry in self.routes:
                if cond is None or cond(v):
                    append(entry)
                    first = routes = targets
                    break
        if first is None and self.route_otherwise is not None:
            first, entry = self.route_otherwise
            routes = first
            append(entry)
        owner = first[0] if first else None

        # deadlines: clocks in dependency order; the trace lists the winning rules in source order
        due: dict[str, dt.datetime | None] = {}
        won: dict[str, tuple] = {}
        matched = [None] * self.deadline_count
        for name, rules in self.clocks:
            for cond, fn, anchor, is_clock, rule_id, index, entry, unset in rules:
                if cond is None or cond(v):
                    due[name] = _shift(fn, due.get(anchor) if is_clock else v.get(anchor), record_id, rule_id)
                    won[name] = (rule_id, anchor, unset)
                    matched[index] = entry
                    break
        if deadline_ is _deadline:  # models: the rule's shared Deadline when its anchor is missing
            deadlines = tuple(
                [
                    deadline_({"clock": name, "due_at": due[name], "rule": won[name][0], "anchor": won[name][1]})
                    if due[name] is not None
                    else won[name][2]
                    for name in self.clock_names
                    if name in won
                ]
            )
        else:
            deadlines = tuple(
                [
                    deadline_({"clock": name, "due_at": due[name], "rule": won[name][0], "anchor": won[name][1]})
                    for name in self.clock_names
                    if name in won
                ]
            )
        if won:
            trace.extend([e for e in matched if e is not None])

        received = v.get("received_at")
        received = self.cal.in_zone(received) if isinstance(received, _DT) else None  # times in the policy's zone

        # escalations
        escalations = []
        for cond, rule_id, action, (with_owner, targets), (kind, fn, anchor, is_clock), entry in self.escalations:
            active = cond is None or cond(v)
            if kind is _SHIFTED:
                at = _shift(fn, due.get(anchor) if is_clock else v.get(anchor), record_id, rule_id)
            else:
                at = received if kind is _RECEIVED else None
            if not active:
                status = "inactive"
            else:
                append(entry)
                status = "due" if now is not None and at is not None and now >= at else "pending"
            if with_owner and owner is not None:
                targets = _with_owner(targets, owner)
            escalations.append(escalation_({"rule": rule_id, "action": action, "targets": targets,
                                            "due_at": at, "status": status}))  # fmt: skip

        remedy = self._remedy(v, level, trace, remedy_, amount_) if self.compensate else None
        follow_up = self._follow_up(v, record_id, meta, due, owner, trace, plan_)

        # obligations
        obligations = []
        for cond, rest in self.obligations:
            if cond is None or cond(v):
                rule_id, action, label, (with_owner, by), timing, retain, entry = rest
                append(entry)
                until = _shift(retain, v.get("resolved_at"), record_id, rule_id) if retain is not None else None
                kind, fn, anchor, is_clock = timing
                if kind is _SHIFTED:
                    at = _shift(fn, due.get(anchor) if is_clock else v.get(anchor), record_id, rule_id)
                else:
                    at = received if kind is _RECEIVED else None
                if with_owner and owner is not None:
                    by = _with_owner(by, owner)
                obligations.append(obligation_({"rule": rule_id, "action": action, "label": label, "by": by,
                                                "due_at": at, "retain_until": until}))  # fmt: skip

        return decision_(
            {
                "policy_id": meta.id,
                "policy_version": meta.version,
                "fingerprint": meta.fingerprint,
                "record_id": record_id,
                "evaluated_at": now,
                "level": level,
                "level_label": self.labels.get(level) if level is not None else None,
                "routes": tuple(routes),
                "owner": owner,
                "deadlines": deadlines,
                "escalations": tuple(escalations),
                "remedy": remedy,
                "follow_up": follow_up,
                "obligations": tuple(obligations),
                "trace": tuple(trace),
            }
        )

    def _remedy(self, v: dict, level: str | None, trace: list, remedy_, amount_) -> Any:
        tier = self.tiers.get(level) if level is not None else None
        currency = tier[2].currency if tier else self.policy_currency
        raw = v.get(self.amount_field) if self.amount_field else None
        amount = None
        if type(raw) is _MONEY:
            amount = raw
        elif _is_number(raw) and currency:
            amount = _MONEY(Decimal(raw), currency)
        within_cap = within_authority = required = None
        beyond = False
        if amount is not None:
            cur, value = amount.currency, amount.amount
            for limit_currency, limit, role in self.authority:
                if limit_currency == cur and value <= limit:
                    required = role
                    break
            beyond = required is None and cur in self.authority_currencies
            if tier is not None:
                cap = tier[2]
                if cap.currency == cur:
                    within_cap = value <= cap.amount
                own = tier[4]
                if own is None:
                    within_authority = within_cap
                elif own.currency == cur:
                    within_authority = value <= own.amount
        matched = 0
        for cond, bit, entry in self.remedy_rules:
            if cond is None or cond(v):
                trace.append(entry)
                matched |= bit
        options = self.option_orders.get(matched)
        if options is None:
            options = self.option_orders[matched] = self._options(matched)  # a racing thread writes the same
        return remedy_(
            {
                "tier": tier[0] if tier else None,
                "cap": tier[1] if tier else None,
                "currency": currency,
                "approver": tier[3] if tier else None,
                "options": options,
                "amount": amount_({"amount": amount.amount, "currency": amount.currency})
                if amount is not None
                else None,
                "within_cap": within_cap,
                "within_authority": within_authority,
                "required_approver": required,
                "beyond_authority": beyond,
            }
        )

    def _options(self, matched: int) -> tuple[str, ...]:
        """Options in cost order without those the matched rules exclude; preferred ones first."""
        excluded: set[str] = set()
        preferred: set[str] = set()
        for i, (is_exclude, names) in enumerate(self.remedy_actions):
            if matched >> i & 1:
                (excluded if is_exclude else preferred).update(names)
        kept = [o for o in self.options if o not in excluded]
        return tuple([o for o in kept if o in preferred] + [o for o in kept if o not in preferred])

    def _follow_up(self, v: dict, record_id, meta: PolicyMeta, due: dict, owner, trace: list, plan_) -> Any:
        attempts = v.get("follow_up_count") or 0
        plan = None
        for cond, candidate in self.follow_rules:
            if cond is None or cond(v):
                plan = candidate
                break
        else:
            plan = self.follow_otherwise
        if plan is None:
            return plan_({"status": "none", "rule": None, "rate": None, "sampled": False, "sample_point": None,
                          "by": (), "via": (), "due_at": None, "until_satisfied": None, "attempts": attempts,
                          "repeat_needed": False})  # fmt: skip
        rule_id, rate, mode, by, via, window, anchor, is_clock, entry = plan
        trace.append(entry)
        point = None
        if mode == "sampled":
            point = sample_point(meta.id, rule_id, record_id)
            status = "required" if point < rate else "not_sampled"
        else:
            status = mode
        at = None
        if status != "exempt" and window is not None:
            if anchor is None:
                base = v.get("received_at")
            else:
                base = due.get(anchor) if is_clock else v.get(anchor)
            at = _shift(window, base, record_id, rule_id)
        limit = self.until
        return plan_(
            {
                "status": status,
                "rule": rule_id,
                "rate": rate,
                "sampled": point is not None,
                "sample_point": point,
                "by": _with_owner(by[1], owner) if by[0] and owner is not None else by[1],
                "via": via,
                "due_at": at,
                "until_satisfied": limit,
                "attempts": attempts,
                "repeat_needed": status == "required"
                and limit is not None
                and v.get("satisfied") is False
                and (limit == 0 or attempts < limit),
            }
        )


class CompiledPolicy:
    """A policy compiled once for fast evaluation; immutable, thread-safe and picklable (rebuilt from its IR)."""

    __slots__ = ("_p", "calendar", "coerce", "fingerprint", "ir", "meta", "schema")

    def __init__(self, policy: ir.Policy, fingerprint: str | None = None):
        put = object.__setattr__
        if fingerprint is None:
            from .policy import fingerprint as compute

            fingerprint = compute(policy)
        put(self, "ir", policy)
        put(self, "fingerprint", fingerprint)
        put(self, "meta", PolicyMeta(policy.header.id, policy.header.version, fingerprint))
        schema = schema_for(policy)
        put(self, "schema", schema)
        try:
            cal = calendar_for(policy)
        except CalendarError as exc:
            raise PolicyError(str(exc), policy.header.span) from None
        put(self, "calendar", cal)
        put(self, "coerce", make_coercer(schema))
        put(self, "_p", _Plan(policy, schema, cal))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"CompiledPolicy is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"CompiledPolicy is immutable; cannot delete {name!r}")

    def __reduce__(self):
        # Closures do not pickle: ship the IR and compile again on the other side.
        return (compile_policy, (self.ir, self.fingerprint))

    def __repr__(self) -> str:
        return f"<CompiledPolicy {self.meta.id!r} version={self.meta.version!r}>"

    def evaluate(self, record: Any, now: dt.datetime | None = None) -> Decision:
        """Coerce a raw record and decide it. Raises RecordError for a bad record, EvaluationError for a bad ``now``."""
        record_id, values = self.coerce(record)
        return self._p.decide(values, record_id, now, self.meta)

    def decide(
        self, values: Mapping[str, Any], record_id: str | None = None, now: dt.datetime | None = None
    ) -> Decision:
        """Decide already-coerced values (as :func:`complaint_rules.record.coerce` returns them)."""
        return self._p.decide(dict(values), record_id, now, self.meta)

    def outcome(
        self, values: Mapping[str, Any], record_id: str | None = None, now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """What :meth:`decide` decides, as plain dicts and tuples instead of pydantic models (for bulk use).

        The same compiled closures make both, so ``Decision.model_validate(outcome(...)) == decide(...)``.
        """
        return self._p.decide(dict(values), record_id, now, self.meta, _PLAIN)

    def interpret(self, record: Any, now: dt.datetime | None = None) -> Decision:
        """The same decision by the tree-walking interpreter (the oracle)."""
        record_id, values = self.coerce(record)
        return interpret(
            self.ir, values, record_id=record_id, now=now, calendar=self.calendar, meta=self.meta
        )


def compile_policy(policy: ir.Policy, fingerprint: str | None = None) -> CompiledPolicy:
    """Compile a resolved, checked policy; ``fingerprint`` defaults to :func:`complaint_rules.policy.fingerprint`."""
    return CompiledPolicy(policy, fingerprint)
