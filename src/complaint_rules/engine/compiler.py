"""Compile a resolved policy into one generated Python function: the fast evaluator behind ``Policy.evaluate``.

The rules of each block are unrolled into straight-line code, each condition an inline expression
(:mod:`.codegen`), and the decision's pydantic parts are built in place without re-validation. Everything
that does not depend on the record (tiers, option orders, trace entries, clock order, shift functions) is
computed once and bound to a generated name: nothing written in the policy becomes source text. The
generated source and its line map (line -> rule and ``file:line:col``) are kept for audit and show in
tracebacks. Conditions have one compiler, :func:`.codegen.condition`, also behind :func:`compile_condition`.
The result must decide exactly as :mod:`.interpreter` does.

One module: the plan and the emitters of the generated function share the plan's bound constants
and names; :mod:`.codegen` holds what is independent of a policy (the source, its names, conditions).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from .. import ir
from ..calendars import Calendar
from ..errors import CalendarError, EvaluationError, PolicyError, PolicyStructureError
from ..language.printer import fingerprint as compute_fingerprint
from . import codegen, lifecycle
from .codegen import Source
from .decision import (
    SLOT_SETTERS,
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
    is_part,
    trusted,
    undecided_error,
)
from .interpreter import calendar_for, interpret, location, sample_point, severity_order
from .record import make_coercer, schema_for, timeline_for

__all__ = ["CompiledPolicy", "compile_condition", "compile_policy"]

Cond = Callable[[Mapping[str, Any]], bool]
LEVEL = "\x00level"  # where the decided level sits in the values while later blocks run
UNDECIDED = "\x00undecided"  # rule id -> the CalendarError of each time the calendar could not place
_DT = dt.datetime


# ---------------------------------------------------------------------------- conditions


def _key(ref: ir.Ref) -> str:
    """Where a reference's value sits in the values dict (the decided level under ``LEVEL``)."""
    return LEVEL if ref.name == "level" else ref.name


_CONDITIONS = itertools.count(1)  # numbers the generated conditions' file names
_CHUNK = 200  # rules per if/elif chain of a first-hit block; a longer block is several chains in a row


def compile_condition(expr: ir.Expr | None, schema: Mapping[str, ir.FieldDecl] | None = None,
                      levels: tuple[str, ...] = ir.LEVEL_NAMES) -> Cond:  # fmt: skip
    """A condition as a function of a values dict (the level, if any, under the key ``LEVEL``).

    Compiled by :func:`.codegen.condition`, as every condition of a compiled policy is.
    """
    schema = schema or {}

    def order(name: str) -> tuple[str, ...] | None:
        if name == "level":
            return levels
        decl = schema.get(name)
        return (
            decl.type.members if decl is not None and decl.type.kind == "enum" and decl.type.members else None
        )

    return codegen.condition_function(expr, _key, order, f"<complaint-rules condition #{next(_CONDITIONS)}>")


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


def _shift(fn: Callable[[dt.datetime], dt.datetime], start: dt.datetime, v: dict, rule_id: str):
    """``fn(start)``; None when the calendar cannot place it, the error kept in the values under ``UNDECIDED``
    for the decision's problems (see :meth:`_Plan.problems`)."""
    try:
        return fn(start)
    except CalendarError as exc:
        v.setdefault(UNDECIDED, {})[rule_id] = exc
        return None


def _lives(cal: Calendar) -> Callable:
    """The generated code's call into :func:`lifecycle.run` for a clock with a life: its due time and states."""

    def live(plan: lifecycle.ClockPlan, fn: Callable, anchor: Any, v: dict, now: Any, rule_id: str):
        def fail(exc: CalendarError) -> None:
            v.setdefault(UNDECIDED, {})[rule_id] = exc

        return lifecycle.run(plan, cal, lambda s: _shift(fn, s, v, rule_id), anchor, v, v[LEVEL], now, fail)

    return live


def _with_owner(names: tuple[str, ...], owner: str) -> tuple[str, ...]:
    """Targets with ``owner`` replaced by the decided owner, without repeats."""
    return tuple(dict.fromkeys(owner if t == "owner" else t for t in names))


def _check_now(now: Any, record_id: str | None) -> None:
    if not isinstance(now, _DT) or now.utcoffset() is None:
        raise EvaluationError(record_id, f"'now' must be a timezone-aware datetime, got {now!r}")


# The Decision's fields as the generated function fills them in.
_DECISION_PARTS = (
    "'policy_id': meta.id", "'policy_version': meta.version", "'fingerprint': meta.fingerprint",
    "'record_id': record_id", "'evaluated_at': now", "'level': level",
    "'level_label': _labels.get(level) if level is not None else None", "'routes': routes", "'owner': owner",
    "'deadlines': tuple(deadlines)", "'escalations': escalations", "'remedy': remedy",
    "'follow_up': follow_up", "'obligations': tuple(obligations)", "'trace': tuple(trace)", "'problems': ()",
    "'clocks': clocks",
)  # fmt: skip
_DECISION = trusted(Decision)
_PROGRAMS = itertools.count(1)  # numbers the generated sources' file names


class _Plan:
    """Everything about a policy that does not depend on the record, and its rules as one generated function."""

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

        self.order = order
        self.cal = cal
        self.schema_fields = frozenset(schema) - {LEVEL}
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

        comp = policy.compensate
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
            self.remedy_actions = tuple((x.action == "exclude", x.options) for x in comp.rules)
            self.option_orders: dict[int, tuple[str, ...]] = {0: self.options}  # matched rules (bits) -> options

        fu = policy.follow_up
        self.until = fu.until_satisfied if fu is not None else None
        self.policy = policy
        self.clock_order = _clock_order(policy)
        self.rules = {r.id: r for r in (*policy.deadlines, *policy.escalate, *policy.obligations,
                                        *(fu.rules if fu is not None else ()))}  # fmt: skip
        if fu is not None and fu.otherwise is not None:
            self.rules[fu.otherwise.id] = fu.otherwise
        self._sources = (policy, shifter)
        self._plain: Callable | None = None
        self._decide = self._generate(policy, shifter)

    def decide(self, v: dict, record_id: str | None, now: dt.datetime | None, meta: PolicyMeta) -> Decision:
        """The decision for coerced values ``v`` (which gains the level)."""
        return self._decide(v, record_id, now, meta)

    def outcome(self, v: dict, record_id: str | None, now: dt.datetime | None, meta: PolicyMeta) -> dict:
        """The same decision as plain dicts and tuples (its function is generated on first use)."""
        return self.plain()(v, record_id, now, meta)

    def plain(self) -> Callable:
        """The plain variant of the generated function, generated on first use."""
        plain = self._plain
        if plain is None:  # two threads racing here generate the same function; either may be kept
            plain = self._plain = self._generate(*self._sources, models=False)
        return plain

    def _generate(self, policy: ir.Policy, shifter: Callable, models: bool = True) -> Callable:
        """The policy's rules unrolled into one ``decide`` function (see :mod:`.codegen`).

        With ``models`` it builds the frozen pydantic parts of a :class:`Decision` directly (as
        :func:`~complaint_rules.engine.decision.trusted` does, without a call per model); without, plain dicts.
        """
        # Every record field may be read once into a local (the level changes while deciding: never).
        src = Source(f"<complaint-rules policy #{next(_PROGRAMS)}{'' if models else ' plain'}>",
                     preload=frozenset(self.schema_fields))
        codegen.helpers(src)
        for name, value in (
            ("_with_owner", _with_owner), ("_check_now", _check_now), ("_in_zone", self.cal.in_zone),
            ("_LEVEL", LEVEL), ("_labels", self.labels), ("_options", self._remedy_options), ("_Decimal", Decimal),
            ("_new", object.__new__), ("_set_dict", SLOT_SETTERS[0]), ("_sample_point", sample_point),
            ("_shift", _shift), ("_UNDECIDED", UNDECIDED), ("_incomplete", partial(self.incomplete, models=models)),
            ("_DT", _DT), ("_timezone", dt.timezone), ("_live", _lives(self.cal)), ("_done", lifecycle.done),
            ("_level_start", lifecycle.level_start),
            ("_met_before", lifecycle.met_before),
            ("_TZ_KINDS", (dt.timezone, ZoneInfo)), ("_tz", self.cal.tzinfo), ("_steady", self.cal.steady_years()),
        ):  # fmt: skip
            src.bind(name, value)
        emit, const = src.emit, src.const
        clock_names = tuple(dict.fromkeys(d.clock for d in policy.deadlines))
        clock_var = {name: f"d{k}" for k, name in enumerate(_clock_order(policy))}

        def cond(expr: ir.Expr | None) -> str:
            return "True" if expr is None else codegen.condition(src, expr, _key, self.order)

        def tag(rule: Any) -> str:
            return f"{rule.id} at {location(rule.span)}"

        def anchored(anchor: str | None) -> str:
            return clock_var.get(anchor) or src.fetch(anchor) if anchor is not None else "None"

        def shift(indent: int, target: str, duration: ir.Duration, anchor: str, rule_id: str, sign: int = 1) -> None:
            """``target = `` the anchor's time shifted by the duration, None while the anchor is missing.

            Elapsed time and calendar days are worked out inline in the common case (see
            :meth:`Calendar.inline`); the rest, and every unusual start, through the rule's shifter.
            """
            fn, rid = const(shifter(duration, sign)), const(rule_id)
            slow = f"_shift({fn}, _s, v, {rid})"
            how = self.cal.inline(duration, sign)
            emit(indent, f"_s = {anchor}")
            if how is None:
                emit(indent, f"{target} = {slow} if isinstance(_s, _DT) else None")
                return
            kind, delta = how
            if kind == "elapsed":
                emit(indent, "if type(_s) is _DT and type(_s.tzinfo) is _timezone:")
                emit(indent + 1, "try:")
                emit(indent + 2, f"{target} = (_s + {const(delta)}).astimezone(_tz)")
            else:
                emit(indent, "if type(_s) is _DT and type(_s.tzinfo) in _TZ_KINDS:")
                emit(indent + 1, "try:")
                emit(indent + 2, f"_w = _s.astimezone(_tz) + {const(delta)}")
                emit(indent + 2, f"{target} = _w if _steady.get(_w.year) else {slow}")
            emit(indent + 1, "except (OverflowError, ValueError):")
            emit(indent + 2, f"{target} = {slow}")
            emit(indent, "elif isinstance(_s, _DT):")
            emit(indent + 1, f"{target} = {slow}")
            emit(indent, "else:")
            emit(indent + 1, f"{target} = None")

        def timing(indent: int, t: ir.Timing, rule_id: str) -> None:
            if t.kind in ("before", "after") and t.duration is not None:
                if t.anchor is None:
                    emit(indent, "at = None")
                else:
                    shift(indent, "at", t.duration, anchored(t.anchor), rule_id, -1 if t.kind == "before" else 1)
            else:
                emit(indent, "at = None" if t.kind == "for" else "at = received")

        def targets(names: tuple[str, ...]) -> str:
            unique = const(tuple(dict.fromkeys(names)))
            return f"(_with_owner({unique}, owner) if owner is not None else {unique})" if "owner" in names else unique

        def model(indent: int, var: str, cls: type, parts: str) -> None:
            """``var = `` a ``cls`` model (or, without models, a dict) of ``parts``, a dict display."""
            if not models:
                emit(indent, f"{var} = {parts}")
                return
            assert is_part(cls)  # the class answers the other three slots (see decision.Part)
            emit(indent, f"{var} = _new({const(cls)})")
            emit(indent, f"_set_dict({var}, {parts})")

        def chain(indent: int, n: int, when: ir.Expr | None, rule: Any) -> None:
            emit(indent, f"{'if' if n == 0 else 'elif'} {cond(when)}:", tag(rule))

        def first_hit(rules: tuple, block: str | None, body: Callable, otherwise: Callable | None) -> None:
            """``if``/``elif`` over ``rules``: the first that holds appends its trace entry (for ``block``)
            and runs ``body(indent, rule)``; when none does, ``otherwise(indent)``. A block of more than
            ``_CHUNK`` rules is a flat sequence of chains of ``_CHUNK``, each run while no rule has held
            (one elif chain of thousands of rules is too deep for CPython's compiler)."""
            if len(rules) <= _CHUNK:
                for n, x in enumerate(rules):
                    chain(1, n, x.when, x)
                    if block is not None:
                        emit(2, f"append({const(_entry(x, block))})")
                    body(2, x)
                if otherwise is not None:
                    if rules:
                        emit(1, "else:")
                    otherwise(2 if rules else 1)
                return
            emit(1, "_hit = False")
            for start in range(0, len(rules), _CHUNK):
                emit(1, "if not _hit:")
                for n, x in enumerate(rules[start : start + _CHUNK]):
                    chain(2, n, x.when, x)
                    emit(3, "_hit = True")
                    if block is not None:
                        emit(3, f"append({const(_entry(x, block))})")
                    body(3, x)
            if otherwise is not None:
                emit(1, "if not _hit:")
                otherwise(2)

        def assign(entry: str, target: str, value: str, indent: int) -> None:
            """An ``otherwise``: its trace entry, then ``target = value``."""
            emit(indent, f"append({entry})")
            emit(indent, f"{target} = {value}")

        def remedy(indent: int) -> None:
            """The remedy part for ``bits`` (bit ``i``: compensate rule ``i`` holds): the level's tier, who may
            approve the amount (authority limits lowest first), and the options in order."""
            field = self.amount_field
            emit(indent, f"raw = {src.fetch(field)}" if field else "raw = None")
            emit(indent, f"tier = {const(self.tiers)}.get(level) if level is not None else None")
            emit(indent, f"currency = tier[2].currency if tier else {const(self.policy_currency)}")
            emit(indent, "if type(raw) is _MONEY:")
            emit(indent + 1, "amount = raw")
            emit(indent, "elif _is_number(raw) and currency:")
            emit(indent + 1, "amount = _MONEY(_Decimal(raw), currency)")
            emit(indent, "else:")
            emit(indent + 1, "amount = None")
            emit(indent, "within_cap = within_authority = required = None")
            emit(indent, "beyond = False")
            emit(indent, "if amount is None:")
            emit(indent + 1, "amount_part = None")
            emit(indent, "else:")
            emit(indent + 1, "cur, value = amount.currency, amount.amount")
            for n, (limit_currency, limit, role) in enumerate(self.authority):  # lowest limit first
                test = f"cur == {const(limit_currency)} and value <= {const(limit)}"
                emit(indent + 1, f"{'if' if n == 0 else 'elif'} {test}:")
                emit(indent + 2, f"required = {const(role)}")
            emit(indent + 1, f"beyond = required is None and cur in {const(self.authority_currencies)}")
            emit(indent + 1, "if tier is not None:")
            emit(indent + 2, "cap = tier[2]")
            emit(indent + 2, "if cap.currency == cur:")
            emit(indent + 3, "within_cap = value <= cap.amount")
            emit(indent + 2, "own = tier[4]")
            emit(indent + 2, "if own is None:")
            emit(indent + 3, "within_authority = within_cap")
            emit(indent + 2, "elif own.currency == cur:")
            emit(indent + 3, "within_authority = value <= own.amount")
            model(indent + 1, "amount_part", Amount, "{'amount': value, 'currency': cur}")
            emit(indent, f"options = {const(self.option_orders)}.get(bits)")
            emit(indent, "if options is None:")
            emit(indent + 1, "options = _options(bits)")
            model(indent, "remedy", Remedy, "{'tier': tier[0] if tier else None, 'cap': tier[1] if tier else None, "
                  "'currency': currency, 'approver': tier[3] if tier else None, 'options': options, "
                  "'amount': amount_part, 'within_cap': within_cap, 'within_authority': within_authority, "
                  "'required_approver': required, 'beyond_authority': beyond}")  # fmt: skip

        def follow(indent: int, x: ir.FollowUpRule | None) -> None:
            """The follow-up part's variables for rule ``x`` (None: no rule applies)."""
            if x is None:
                emit(indent, "status, rule, rate, point, by, via, at = 'none', None, None, None, (), (), None")
                return
            emit(indent, f"append({const(_entry(x, 'follow_up'))})")
            rate = x.rate.value if x.rate is not None else None
            emit(indent, f"rule, rate, via = {const(x.id)}, {const(rate)}, {const(x.via)}")
            emit(indent, f"by = {targets(x.by)}")
            if rate is not None and rate < 100:  # sampled: where the record falls, the same in every process
                emit(indent, "point = _sample_point(meta.id, rule, record_id)")
                emit(indent, "status = 'required' if point < rate else 'not_sampled'")
            else:
                emit(indent, "point = None")
                emit(indent, f"status = {'exempt' if rate is None else 'required'!r}")
            if rate is not None and x.window is not None:
                base = anchored(x.anchor) if x.anchor is not None else src.fetch("received_at")
                shift(indent, "at", x.window, base, x.id)
            else:
                emit(indent, "at = None")

        emit(0, "def decide(v, record_id, now, meta):")
        emit(1, "if now is not None:")
        emit(2, "_check_now(now, record_id)")
        emit(1, "get = v.get")
        preload_after = len(src.lines)
        emit(1, "trace = []")
        emit(1, "append = trace.append")
        emit(1, "level = None")

        # classify: the first rule that holds, or the most severe level of all that hold
        c = policy.classify
        if c is not None:
            otherwise = None
            if c.otherwise is not None:
                entry = TraceEntry(rule="classify.otherwise", block="classify", location=location(c.span))
                otherwise = partial(assign, const(entry), "level", const(c.otherwise))
            if c.hit == "highest":
                emit(1, "best = -2")
                for r in c.rules:
                    emit(1, f"if {cond(r.when)}:", tag(r))
                    emit(2, f"append({const(_entry(r, 'classify'))})")
                    emit(2, f"if best < {self.rank.get(r.level, -1)}:")
                    emit(3, f"best = {self.rank.get(r.level, -1)}")
                    emit(3, f"level = {const(r.level)}")
                if otherwise:
                    emit(1, "if not trace:")
                    otherwise(2)
            else:
                first_hit(c.rules, "classify", lambda i, r: emit(i, f"level = {const(r.level)}"), otherwise)
        emit(1, "v[_LEVEL] = level")

        # route: the first rule's targets, or every matching rule's (the first one's first target owns)
        emit(1, "first = None")
        emit(1, "routes = ()")
        r = policy.route
        if r is not None:
            otherwise = None
            if r.otherwise is not None:
                entry = TraceEntry(rule="route.otherwise", block="route", location=location(r.span))
                otherwise = partial(assign, const(entry), "first = routes", const(tuple(dict.fromkeys(r.otherwise))))
            if r.hit == "all":
                emit(1, "collected = []")
                for x in r.rules:
                    names = const(tuple(dict.fromkeys(x.targets)))
                    emit(1, f"if {cond(x.when)}:", tag(x))
                    emit(2, f"append({const(_entry(x, 'route'))})")
                    emit(2, "if first is None:")
                    emit(3, f"first = {names}")
                    emit(2, f"collected += {names}")
                emit(1, "routes = tuple(dict.fromkeys(collected))")
                if otherwise:
                    emit(1, "if first is None:")
                    otherwise(2)
            else:

                def route_to(indent: int, x: ir.RouteRule) -> None:
                    emit(indent, f"first = routes = {const(tuple(dict.fromkeys(x.targets)))}")

                first_hit(r.rules, "route", route_to, otherwise)
        emit(1, "owner = first[0] if first else None")

        # deadlines: clocks in dependency order, the first rule of each that holds; w<k> is the winner's
        # (index in source order, trace entry, rule id, anchor, the shared Deadline for a missing anchor)
        plans = {d.id: p for d in policy.deadlines if (p := lifecycle.plan_for(d, policy)) is not None}
        living = [name for name in clock_names if any(d.clock == name and d.id in plans for d in policy.deadlines)]
        if plans or policy.obligations or policy.escalate or any(ir.mentions_level(d.when) for d in policy.deadlines):
            emit(1, "hist = get('history')")
        for name, var in clock_var.items():
            emit(1, f"{var} = w{var[1:]} = None")
            if name in living:
                emit(1, f"s{var[1:]} = ()")
        for name, var in clock_var.items():
            rules = [(i, d) for i, d in enumerate(policy.deadlines) if d.clock == name]
            for n, (i, d) in enumerate(rules):
                chain(1, n, d.when, d)
                if d.id in plans:  # a clock with a life: its cycles from the history (engine.lifecycle)
                    start = "None" if plans[d.id].start_status else anchored(d.anchor)
                    emit(2, f"{var}, s{var[1:]} = _live({const(plans[d.id])}, {const(shifter(d.duration))}, "
                         f"{start}, v, now, {const(d.id)})")
                elif ir.mentions_level(d.when):  # timed from when the history says the level was reached
                    start = anchored(d.anchor)
                    shift(2, var, d.duration, f"(_level_start({start}, hist, level) if hist else {start})", d.id)
                else:
                    shift(2, var, d.duration, anchored(d.anchor), d.id)
                # The one Deadline the rule reports, shared by every decision, while its anchor is missing.
                unset = Deadline(clock=d.clock, due_at=None, rule=d.id, anchor=d.anchor)
                emit(2, f"w{var[1:]} = {const((i, _entry(d, 'deadlines'), d.id, d.anchor, unset))}")
        emit(1, "deadlines = []")
        for name in clock_names:
            var, won = clock_var[name], f"w{clock_var[name][1:]}"
            emit(1, f"if {won} is not None:")
            parts = f"{{'clock': {const(name)}, 'due_at': {var}, 'rule': {won}[2], 'anchor': {won}[3]}}"
            if models:  # a missing anchor: the rule's one shared Deadline
                emit(2, f"if {var} is None:")
                emit(3, f"deadlines.append({won}[4])")
                emit(2, "else:")
                model(3, "m", Deadline, parts)
                emit(3, "deadlines.append(m)")
            else:
                emit(2, f"deadlines.append({parts})")
        # The trace lists the winning rules in source order: when no clock's rules interleave with another's,
        # that is the clocks' order in the source; otherwise sort the winners by their index.
        spans = [(min(i for i, d in enumerate(policy.deadlines) if d.clock == name),
                  max(i for i, d in enumerate(policy.deadlines) if d.clock == name), name)
                 for name in clock_names]  # fmt: skip
        spans.sort()
        if all(a[1] < b[0] for a, b in itertools.pairwise(spans)):
            for _, _, name in spans:
                won = f"w{clock_var[name][1:]}"
                emit(1, f"if {won} is not None:")
                emit(2, f"append({won}[1])")
        else:
            winners = ", ".join(f"w{k}" for k in range(len(clock_names)))
            emit(1, f"trace.extend([w[1] for w in sorted([w for w in ({winners}) if w is not None])])")

        states = "".join(f"s{clock_var[name][1:]} + " for name in living)
        if not living:
            emit(1, "clocks = ()")
        elif models:
            emit(1, f"clocks = {states}()")
        else:
            emit(1, f"clocks = tuple([dict(c.__dict__) for c in {states}()])")
        emit(1, f"received = {src.fetch('received_at')}")
        emit(1, "if type(received) is not _DT or received.tzinfo is not _tz:")
        emit(2, "received = _in_zone(received) if isinstance(received, _DT) else None")

        # escalations: every rule, with its status at now
        for n, x in enumerate(policy.escalate):
            emit(1, f"# escalation {n}", tag(x))
            timing(1, x.timing, x.id)
            emit(1, f"if {cond(x.when)}:", tag(x))
            emit(2, f"append({const(_entry(x, 'escalate'))})")
            emit(2, f"if hist and _done(hist, {const(x.id)}, now):")
            emit(3, "status = 'done'")
            if x.timing.anchor in living:  # timed from a clock with a life: nothing to do once it is met
                emit(2, f"elif _met_before(s{clock_var[x.timing.anchor][1:]}, at):")
                emit(3, "status = 'inactive'")
            emit(2, "else:")
            emit(3, "status = 'due' if now is not None and at is not None and now >= at else 'pending'")
            emit(1, "else:")
            emit(2, "status = 'inactive'")
            model(1, f"e{n}", Escalation, f"{{'rule': {const(x.id)}, 'action': {const(x.action)}, "
                  f"'targets': {targets(x.targets)}, 'due_at': at, 'status': status}}")  # fmt: skip
        emit(1, "escalations = (" + "".join(f"e{n}, " for n in range(len(policy.escalate))) + ")")

        # remedy: which rules hold (bits); the rest is the same for every record of a level and amount
        comp = policy.compensate
        if comp is not None:
            emit(1, "bits = 0")
            for i, x in enumerate(comp.rules):
                emit(1, f"if {cond(x.when)}:", tag(x))
                emit(2, f"append({const(_entry(x, 'compensate'))})")
                emit(2, f"bits |= {1 << i}")
            remedy(1)
        else:
            emit(1, "remedy = None")

        # follow-up: the first rule that holds, or otherwise; ``base`` is its window's anchor time
        fu = policy.follow_up
        emit(1, f"attempts = {src.fetch('follow_up_count')} or 0")
        limit = self.until
        rules = fu.rules if fu is not None else ()
        first_hit(rules, None, follow, lambda i: follow(i, fu.otherwise if fu is not None else None))
        if limit is None:
            emit(1, "repeat = False")
        else:  # `until satisfied`: again while the last rating is a no (and, with a limit, attempts are left)
            more = "" if limit == 0 else f" and attempts < {const(limit)}"
            emit(1, f"repeat = status == 'required' and {src.fetch('satisfied')} is False{more}")
        parts = ("{'status': status, 'rule': rule, 'rate': rate, 'sampled': point is not None, "
                 "'sample_point': point, 'by': by, 'via': via, 'due_at': at, "
                 f"'until_satisfied': {const(limit)}, 'attempts': attempts, 'repeat_needed': repeat}}")  # fmt: skip
        model(1, "follow_up", FollowUpPlan, parts)

        # obligations: each that applies, who and by when (or until when the record is kept)
        emit(1, "obligations = []")
        for o in policy.obligations:
            emit(1, f"if {cond(o.when)}:", tag(o))
            emit(2, f"append({const(_entry(o, 'obligations'))})")
            if o.timing.kind == "for":
                shift(2, "until", o.timing.duration, src.fetch("resolved_at"), o.id)
            else:
                emit(2, "until = None")
            timing(2, o.timing, o.id)
            emit(2, f"if hist and _done(hist, {const(o.id)}, now):")
            emit(3, "status = 'done'")
            emit(2, "elif now is None:")
            emit(3, "status = 'pending'")
            emit(2, "else:")
            if o.timing.kind in ("before", "after"):
                emit(3, "status = 'overdue' if at is not None and now > at else 'pending'")
            else:
                emit(3, f"status = {'due' if o.timing.kind == 'immediately' else 'pending'!r}")
            model(2, "m", Obligation, f"{{'rule': {const(o.id)}, 'action': {const(o.action)}, "
                  f"'label': {const(o.label)}, 'by': {targets(o.by)}, 'due_at': at, 'retain_until': until, "
                  "'status': status}")  # fmt: skip
            emit(2, "obligations.append(m)")

        model(1, "decision", Decision, "{" + ", ".join(_DECISION_PARTS) + "}")
        emit(1, "if _UNDECIDED in v:")  # a time the calendar could not place: say which, and what hangs on it
        emit(2, "return _incomplete(decision, v[_UNDECIDED])")
        emit(1, "return decision")
        src.preload(preload_after, 1)
        if models:
            self.source, self.line_map = src.text(), dict(src.rules)
        return src.function("decide")

    def incomplete(self, decision: Any, failures: dict[str, Exception], models: bool = True) -> Any:
        """``decision`` (a model, or plain dicts) with the problems of the times the calendar failed to place
        (``failures``: rule id -> error) and of every time timed from such a clock."""
        if models:
            clocks = [(d.clock, d.rule) for d in decision.deadlines]
            follow = decision.follow_up.rule
            applied = [o.rule for o in decision.obligations]
        else:
            clocks = [(d["clock"], d["rule"]) for d in decision["deadlines"]]
            follow = decision["follow_up"]["rule"]
            applied = [o["rule"] for o in decision["obligations"]]
        problems = self.problems(failures, dict(clocks), follow, applied)
        if not models:
            return {**decision, "problems": tuple(dict(p.__dict__) for p in problems)}
        return _DECISION({**decision.__dict__, "problems": problems})

    def problems(self, failures: dict[str, Exception], winners: dict[str, str], follow: str | None,
                 applied: list[str]) -> tuple[Problem, ...]:  # fmt: skip
        """The problems in the decision's order: deadlines (by clock), escalations, follow-up, obligations.

        ``winners``: clock -> its winning rule id, ``follow``: the follow-up rule, ``applied``: the
        obligations that apply. A clock is undecidable when the calendar failed on it or on its anchor clock.
        """
        source = self.cal.data_source
        undecided: dict[str, Problem] = {}

        def problem(part: Any, name: str, rule: Any, anchor: str | None) -> Problem | None:
            if rule.id in failures:
                return calendar_problem(part, name, rule.id, location(rule.span), failures[rule.id], source)
            if anchor in undecided:
                return dependent_problem(part, name, rule.id, location(rule.span), undecided[anchor])
            return None

        for clock in self.clock_order:
            if clock in winners:
                rule = self.rules[winners[clock]]
                if (p := problem("deadline", clock, rule, rule.anchor)) is not None:
                    undecided[clock] = p
        out = [undecided[c] for c in winners if c in undecided]

        def timed(part: Any, rule: Any) -> None:
            t = rule.timing
            anchor = t.anchor if t.kind in ("before", "after") and t.duration is not None else None
            if (p := problem(part, rule.id, rule, anchor)) is not None:
                out.append(p)

        for x in self.policy.escalate:
            timed("escalation", x)
        if follow is not None:
            x = self.rules[follow]
            windowed = x.rate is not None and x.window is not None
            if (p := problem("follow_up", x.id, x, x.anchor if windowed else None)) is not None:
                out.append(p)
        for rule_id in applied:
            timed("obligation", self.rules[rule_id])
        return tuple(out)

    def _remedy_options(self, matched: int) -> tuple[str, ...]:
        """Options in cost order without those the matched compensate rules (bits) exclude; preferred ones
        first. Kept per combination of rules; a racing thread stores the same tuple."""
        excluded: set[str] = set()
        preferred: set[str] = set()
        for i, (is_exclude, names) in enumerate(self.remedy_actions):
            if matched >> i & 1:
                (excluded if is_exclude else preferred).update(names)
        kept = [o for o in self.options if o not in excluded]
        options = tuple([o for o in kept if o in preferred] + [o for o in kept if o not in preferred])
        self.option_orders[matched] = options
        return options


class CompiledPolicy:
    """A policy compiled once for fast evaluation; immutable, thread-safe and picklable (rebuilt from its IR)."""

    __slots__ = ("_p", "_zoned", "calendar", "coerce", "fingerprint", "ir", "meta", "schema")

    ir: ir.Policy
    fingerprint: str
    meta: PolicyMeta
    schema: dict[str, ir.FieldDecl]
    calendar: Calendar | None
    coerce: Callable[[Any], tuple[str | None, dict[str, Any]]]

    def __init__(self, policy: ir.Policy, fingerprint: str | None = None):
        put = object.__setattr__
        if fingerprint is None:
            fingerprint = compute_fingerprint(policy)
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
        put(self, "coerce", make_coercer(schema, timeline_for(policy)))
        put(self, "_zoned", {})  # assume_timezone -> its coercer, made on first use
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

    @property
    def source(self) -> str:
        """The generated Python source of the decide function (for audit; every policy value is a ``_c`` name)."""
        return self._p.source

    def function(self, variant: str = "decide") -> Callable:
        """The generated function itself, for audit and tests: ``"decide"`` builds a :class:`Decision`,
        ``"plain"`` the same decision as plain dicts (generated on first use). Its ``__code__.co_filename`` is
        the name under which :attr:`source` is registered in :mod:`linecache`, so tracebacks show the lines."""
        if variant == "decide":
            return self._p._decide
        if variant == "plain":
            return self._p.plain()
        raise ValueError(f"unknown variant {variant!r}: expected 'decide' or 'plain'")

    @property
    def line_map(self) -> dict[int, str]:
        """Line of :attr:`source` -> the rule it evaluates, as ``"rule_id at file:line:col"``."""
        return dict(self._p.line_map)

    def coercer(self, assume_timezone: str | dt.tzinfo | None = None) -> Callable[[Any], tuple[str | None, dict[str, Any]]]:
        """:attr:`coerce`, or with ``assume_timezone`` (an IANA name or a tzinfo) one that reads naive date-times
        as times in that zone. Raises ValueError for an unknown zone name."""
        if assume_timezone is None:
            return self.coerce
        zone = as_zone(assume_timezone)
        found = self._zoned.get(zone)
        if found is None:  # two threads racing here make equal coercers; either may be kept
            found = self._zoned[zone] = make_coercer(self.schema, timeline_for(self.ir), zone)
        return found

    def evaluate(
        self, record: Any, now: dt.datetime | None = None, *, strict: bool = False,
        assume_timezone: str | dt.tzinfo | None = None,
    ) -> Decision:  # fmt: skip
        """Coerce a raw record and decide it. Raises RecordError for a bad record, EvaluationError for a bad ``now``.

        A time the calendar cannot place leaves the decision incomplete (see ``Decision.problems``);
        with ``strict`` it raises EvaluationError instead. ``assume_timezone`` reads the record's naive
        date-times as times in that zone (see :meth:`coercer`).
        """
        record_id, values = (self.coerce if assume_timezone is None else self.coercer(assume_timezone))(record)
        decision = self._p._decide(values, record_id, now, self.meta)
        if strict and decision.problems:
            raise undecided_error(record_id, decision.problems)
        return decision

    def decide(
        self, values: Mapping[str, Any], record_id: str | None = None, now: dt.datetime | None = None,
        *, strict: bool = False,
    ) -> Decision:  # fmt: skip
        """Decide already-coerced values (as :func:`complaint_rules.engine.record.coerce` returns them)."""
        decision = self._p.decide(dict(values), record_id, now, self.meta)
        if strict and decision.problems:
            raise undecided_error(record_id, decision.problems)
        return decision

    def outcome(
        self, values: Mapping[str, Any], record_id: str | None = None, now: dt.datetime | None = None,
        *, strict: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """What :meth:`decide` decides, as plain dicts and tuples instead of pydantic models (for bulk use).

        The same compiled closures make both, so ``Decision.model_validate(outcome(...)) == decide(...)``.
        """
        outcome = self._p.outcome(dict(values), record_id, now, self.meta)
        if strict and outcome["problems"]:
            raise undecided_error(record_id, outcome["problems"])
        return outcome

    def interpret(
        self, record: Any, now: dt.datetime | None = None, *, strict: bool = False,
        assume_timezone: str | dt.tzinfo | None = None,
    ) -> Decision:  # fmt: skip
        """The same decision by the tree-walking interpreter (the oracle)."""
        record_id, values = self.coercer(assume_timezone)(record)
        return interpret(
            self.ir, values, record_id=record_id, now=now, calendar=self.calendar, meta=self.meta, strict=strict
        )


def as_zone(zone: str | dt.tzinfo) -> dt.tzinfo:
    """A tzinfo from an IANA name (``"Asia/Shanghai"``) or a tzinfo; ValueError naming an unknown zone."""
    if isinstance(zone, dt.tzinfo):
        return zone
    if not isinstance(zone, str):
        raise ValueError(f"assume_timezone takes an IANA time zone name or a tzinfo, not {type(zone).__name__}")
    try:
        return ZoneInfo(zone)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError; a bad path a ValueError
        raise ValueError(f"unknown time zone {zone!r} (expected an IANA name such as 'Asia/Shanghai')") from None


def compile_policy(policy: ir.Policy, fingerprint: str | None = None) -> CompiledPolicy:
    """Compile a resolved, checked policy; ``fingerprint`` defaults to :func:`complaint_rules.policy.fingerprint`."""
    return CompiledPolicy(policy, fingerprint)
