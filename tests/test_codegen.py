"""The generated decide function (compiler + codegen) decides as the interpreter, on random checked policies.

``strategies_ir.policies()`` draws policies for the printers: most name fields, units and clocks that do not
exist, so few pass the checker. :func:`checked_policies` keeps the drawn structure (blocks, hit policies,
rule kinds, timings, condition shapes, labels, keywords) and redraws the names and constants so that they
resolve: every reference to an existing field of a fitting type, every target to a declared unit, every
anchor to a datetime field or an earlier clock (no cycles), every constant of the field's type.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import io
import keyword
import linecache
import re
import tokenize
import traceback
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from strategies_ir import conditions, currencies, durations, names, policies, texts

import complaint_rules
from complaint_rules import ir, testing
from complaint_rules.analysis.witness import NoWitness
from complaint_rules.calendars import load_calendar_data
from complaint_rules.engine.compiler import LEVEL, CompiledPolicy, compile_condition, compile_policy
from complaint_rules.engine.decision import (
    Amount,
    Deadline,
    Decision,
    Escalation,
    FollowUpPlan,
    Obligation,
    Remedy,
)
from complaint_rules.engine.interpreter import holds, severity_order
from complaint_rules.engine.record import schema_for
from complaint_rules.errors import ComplaintRulesError, EvaluationError, RecordError
from complaint_rules.fields import DERIVED_FIELDS
from complaint_rules.language.checker import ORDERED_KINDS
from complaint_rules.language.frontend import dsl
from complaint_rules.language.printer import print_policy
from complaint_rules.policy import check_resolved

CN_2027 = load_calendar_data(Path(__file__).parent / "fixtures" / "calendars" / "cn-2027.yaml")

# ---------------------------------------------------------------------------- random checked policies

_RESERVED_FIELDS = {"id", "received_at", "level", "follow_ups", *(d.name for d in DERIVED_FIELDS)}
_ZONES = st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=8)),
                          dt.timezone(dt.timedelta(hours=-5, minutes=-30))])  # fmt: skip
_NEAR_DATES = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
_NEAR_DATETIMES = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 12, 31), timezones=_ZONES)
_SMALL_DECIMALS = st.decimals(-1000, 100_000, places=2, allow_nan=False, allow_infinity=False)


class _Repair:
    """Redraws the names and constants of one drawn policy so that the checker accepts it."""

    def __init__(self, draw, policy: ir.Policy, hits: tuple[str, str] | None = None):
        self.draw = draw
        self.p = policy
        self.hits = hits  # (classify, route): both blocks with at least one rule and these hit policies

    # -- helpers
    def pick(self, options):
        return self.draw(st.sampled_from(list(options)))

    def maybe(self, p_true: float = 0.5) -> bool:
        return self.draw(st.integers(0, 99)) < p_true * 100

    def duration(self, d: ir.Duration) -> ir.Duration:
        # Mostly short lengths, so that deadlines stay inside the calendar's data; sometimes the drawn one.
        amount = self.pick([d.amount % 5, d.amount % 48, d.amount]) if self.maybe(0.9) else d.amount
        return dataclasses.replace(d, amount=amount if d.unit != "end_of_day" else min(amount, 30))

    def money(self, m: ir.Money | None = None, currency: str | None = None) -> ir.Money:
        amount = m.amount if m is not None and self.maybe(0.3) else self.draw(_SMALL_DECIMALS)
        cur = currency or self.currency or (m.currency if m is not None else self.draw(currencies))
        return ir.Money(amount, cur)

    # -- the whole policy
    def __call__(self) -> ir.Policy:
        p, draw = self.p, self.draw
        h = p.header
        hours = h.hours
        if hours is not None and hours[0] >= hours[1]:
            hours = (hours[1], hours[0]) if hours[1] < hours[0] else None
        holidays = tuple(d for d in h.holidays if d not in h.workdays)
        calendar = draw(st.sampled_from([None, "NONE", "CN", "HK"]))
        # A calendar counting working time must say in which zone (the checker refuses it otherwise).
        timezone = h.timezone if calendar is None or h.timezone else draw(st.sampled_from(["Asia/Shanghai", "UTC"]))
        # Now and then the 2027 test fixture, so both evaluators decide working days in a supplied year too.
        sources = CN_2027 if calendar == "CN" and draw(st.booleans()) else ()
        header = dataclasses.replace(h, calendar=calendar, hours=hours, holidays=holidays, timezone=timezone,
                                     calendar_sources=sources)
        self.currency = header.currency
        self.record = self.fix_record(p.record)
        probe = ir.Policy(header, record=self.record)
        self.schema = dict(schema_for(probe))
        self.units = tuple(u.id for u in p.units)
        self.levels = tuple(lv.id for lv in p.levels) or ir.LEVEL_NAMES
        self.clocks: list[str] = []
        kw: dict = {"header": header, "record": self.record, "units": p.units, "levels": p.levels}
        c, r = p.classify, p.route
        if self.hits is not None:
            c = c or ir.Classify(self.hits[0])
            if not c.rules:
                c = dataclasses.replace(
                    c, rules=(ir.ClassifyRule("forced_classify", draw(conditions), "major"),)
                )
            r = r or ir.Route(self.hits[1])
            if not r.rules:
                r = dataclasses.replace(r, rules=(ir.RouteRule("forced_route", draw(conditions), ("x",)),))
            c, r = dataclasses.replace(c, hit=self.hits[0]), dataclasses.replace(r, hit=self.hits[1])
        if c is not None:
            rules = tuple(dataclasses.replace(x, when=self.cond(x.when, True), level=self.level(x.level),
                                              position=None) for x in c.rules)  # fmt: skip
            kw["classify"] = ir.Classify(c.hit, rules, self.level(c.otherwise or draw(names)))
        if r is not None:
            rules = tuple(dataclasses.replace(x, when=self.cond(x.when), targets=self.targets(x.targets),
                                              position=None) for x in r.rules)  # fmt: skip
            kw["route"] = ir.Route(r.hit, rules, self.targets(r.otherwise or (draw(names),)))
        kw["deadlines"] = self.deadlines(p.deadlines)
        kw["escalate"] = tuple(
            dataclasses.replace(x, targets=self.targets(x.targets, owner=True), position=None,
                                timing=self.timing(x.timing, allow_for=False), when=self.opt_cond(x.when))
            for x in p.escalate
        )  # fmt: skip
        if p.compensate is not None:
            kw["compensate"] = self.compensate(p.compensate)
        if p.follow_up is not None:
            kw["follow_up"] = self.follow_up(p.follow_up)
        kw["obligations"] = tuple(
            dataclasses.replace(o, by=self.targets(o.by, owner=True), timing=self.timing(o.timing),
                                when=self.opt_cond(o.when), position=None)
            for o in p.obligations
        )  # fmt: skip
        return ir.Policy(**kw)

    def fix_record(self, fields: tuple[ir.FieldDecl, ...]) -> tuple[ir.FieldDecl, ...]:
        out = []
        for f in fields:
            if f.name in _RESERVED_FIELDS:
                continue
            t, default = f.type, f.default
            if t.kind == "money":
                cur = self.currency or t.currency
                t = dataclasses.replace(t, currency=cur if t.currency else None)
                if isinstance(default, ir.Money) and (cur or self.currency):
                    default = ir.Money(default.amount, cur or self.currency)
            out.append(dataclasses.replace(f, type=t, default=default))
        return tuple(out)

    # -- names
    def level(self, name: str) -> str:
        return name if name in self.levels and self.maybe(0.7) else self.pick(self.levels)

    def unit(self, name: str, owner: bool = False) -> str:
        if not self.units:
            return name  # no units block: any name is a unit
        if owner and (name == "owner" or self.maybe(0.2)):
            return "owner"
        return name if name in self.units else self.pick(self.units)

    def targets(self, names_: tuple[str, ...], owner: bool = False) -> tuple[str, ...]:
        return tuple(self.unit(n, owner) for n in names_)

    def fields_of(self, kinds, classify: bool = False, members: bool = False) -> list[str]:
        found = [n for n, d in self.schema.items()
                 if d.type.kind in kinds and (not members or d.type.members)]  # fmt: skip
        if not classify and "enum" in kinds:
            found.append("level")
        return found

    def decl(self, name: str) -> ir.FieldDecl:
        if name == "level":
            return ir.FieldDecl("level", ir.FieldType("enum", self.levels))
        return self.schema[name]

    def anchor(self, name: str | None, clocks: list[str] | None = None) -> str:
        clocks = self.clocks if clocks is None else clocks
        datetimes = self.fields_of(("datetime",))
        if (name in clocks or name in datetimes) and self.maybe(0.5):
            return name
        if clocks and self.maybe(0.6):
            return self.pick(clocks)
        return self.pick(datetimes)

    # -- blocks
    def deadlines(self, rules: tuple[ir.DeadlineRule, ...]) -> tuple[ir.DeadlineRule, ...]:
        order = list(dict.fromkeys(r.clock for r in rules))
        fixed = []
        for r in rules:
            # A clock is measured from a datetime field or a clock declared before it: never a cycle.
            earlier = order[: order.index(r.clock)]
            # Clocks in time (their statuses undeclared here) are the life policy's of test_compiler_oracle.
            fixed.append(dataclasses.replace(r, duration=self.duration(r.duration), position=None, life=ir.NO_LIFE,
                                             anchor=self.anchor(r.anchor, earlier), when=self.opt_cond(r.when)))  # fmt: skip
        self.clocks = order
        return tuple(fixed)

    def timing(self, t: ir.Timing, allow_for: bool = True) -> ir.Timing:
        if t.kind == "for" and not allow_for:
            kind = self.pick(["immediately", "before", "after"])
            t = ir.IMMEDIATELY if kind == "immediately" else ir.Timing(kind, t.duration, t.anchor)
        if t.kind in ("before", "after"):
            d = self.duration(t.duration)
            if t.kind == "before" and d.unit == "end_of_day":
                d = ir.Duration(d.amount, "hours")
            return ir.Timing(t.kind, d, self.anchor(t.anchor))
        if t.kind == "for":
            return ir.Timing("for", self.duration(t.duration))
        return t

    def compensate(self, c: ir.Compensate) -> ir.Compensate:
        money_fields = self.fields_of(("money",))
        amount = None
        if money_fields and (c.amount is not None or self.maybe(0.5)):
            amount = self.pick(money_fields)
        roles = list(dict.fromkeys(self.unit(a.role) for a in c.authority))
        authority = tuple(ir.Authority(role, self.money(a.limit)) for role, a in zip(roles, c.authority))
        tiers, seen = [], set()
        for t in c.tiers:
            level = self.level(t.level)
            if level in seen:
                continue
            seen.add(level)
            tiers.append(ir.Tier(level, self.money(t.cap), self.unit(t.approver)))
        if c.rules and not c.options:
            c = dataclasses.replace(c, options=(ir.Named("cash"), ir.Named("voucher")))
        options = [o.id for o in c.options]
        rules = ()
        if options:
            rules = tuple(
                dataclasses.replace(x, options=tuple(sorted({o if o in options else self.pick(options)
                                                              for o in x.options})),
                                    when=self.cond(x.when), position=None)
                for x in c.rules
            )  # fmt: skip
        return ir.Compensate(amount, c.options, authority, tuple(tiers), rules)

    def fu_rule(self, x: ir.FollowUpRule) -> ir.FollowUpRule:
        changes: dict = {"when": self.opt_cond(x.when), "position": None}
        if x.rate is not None:
            # Sampled rates (strictly between 0 and 100) often: they take the sample-point path.
            rate = (
                x.rate
                if self.maybe(0.5)
                else ir.Percent(self.pick([Decimal(50), Decimal("12.5"), Decimal(100)]))
            )
            changes.update(rate=rate, window=self.duration(x.window), anchor=self.anchor(x.anchor),
                           by=tuple(dict.fromkeys(self.targets(x.by, owner=True))))  # fmt: skip
        return dataclasses.replace(x, **changes)

    def follow_up(self, f: ir.FollowUp) -> ir.FollowUp:
        rules = tuple(self.fu_rule(x) for x in f.rules)
        otherwise = self.fu_rule(f.otherwise) if f.otherwise is not None else None
        if otherwise is None and not any(x.when is None or x.when == ir.TRUE for x in rules):
            if rules and self.maybe(0.7):
                rules = (*rules[:-1], dataclasses.replace(rules[-1], when=None))
            else:
                otherwise = ir.FollowUpRule(id="follow_up.otherwise", rate=None)
        return ir.FollowUp(rules, otherwise, f.until_satisfied)

    # -- conditions
    def opt_cond(self, e: ir.Expr | None) -> ir.Expr | None:
        return None if e is None else self.cond(e)

    def cond(self, e: ir.Expr, classify: bool = False) -> ir.Expr:
        if isinstance(e, (ir.And, ir.Or)):
            return type(e)(tuple(self.cond(i, classify) for i in e.items))
        if isinstance(e, ir.Not):
            return ir.Not(self.cond(e.item, classify))
        if isinstance(e, ir.Const) and isinstance(e.value, bool):
            return e
        if isinstance(e, ir.Ref):
            return ir.Ref(self.pick(self.fields_of(("bool",))))
        if isinstance(e, ir.Compare):
            return self.compare(e, classify)
        if isinstance(e, ir.InSet):
            name = self.pick(self.fields_of(("enum", "text"), classify))
            d = self.decl(name)
            if d.type.kind == "enum":
                members = self.draw(st.frozensets(st.sampled_from(d.type.members), min_size=1))
            else:
                members = e.members or frozenset({self.draw(texts)})
            return ir.InSet(ir.Ref(name), members, e.negated)
        if isinstance(e, ir.Has):
            sets = self.fields_of(("set",), members=True)
            if not sets:
                return ir.Missing(ir.Ref(self.pick(self.schema)), True)
            name = self.pick(sets)
            members = self.draw(st.frozensets(st.sampled_from(self.schema[name].type.members), min_size=1))
            return ir.Has(ir.Ref(name), e.quantifier, members)
        if isinstance(e, ir.Mentions):
            text_fields = self.fields_of(("text",))
            if not text_fields:
                return ir.Missing(ir.Ref(self.pick(self.schema)))
            keywords = e.keywords or frozenset({self.draw(texts)})
            return ir.Mentions(ir.Ref(self.pick(text_fields)), e.quantifier, keywords)
        if isinstance(e, ir.Missing):
            pool = [*self.schema, *([] if classify else ["level"])]
            return ir.Missing(ir.Ref(self.pick(pool)), e.negated)
        raise AssertionError(e)

    def value(self, decl: ir.FieldDecl):
        t = decl.type
        if t.kind == "money":
            return self.money(None, t.currency)
        return self.draw({
            "bool": st.booleans(),
            "int": st.integers(-5, 5000),
            "decimal": _SMALL_DECIMALS,
            "text": texts | st.sampled_from(["ok", "refund"]),
            "date": _NEAR_DATES,
            "datetime": _NEAR_DATETIMES,
            "duration": durations,
            "enum": st.sampled_from(t.members) if t.members else st.nothing(),
            "set": st.frozensets(st.sampled_from(t.members)) if t.members else st.just(frozenset()),
        }[t.kind])  # fmt: skip

    def compare(self, e: ir.Compare, classify: bool) -> ir.Expr:
        ordering = e.op not in ("==", "!=")
        pool = self.fields_of(ORDERED_KINDS if ordering else ir.FIELD_KINDS, classify)
        name = self.pick(pool)
        decl = self.decl(name)
        if decl.type.kind == "money" and decl.type.currency is None and not self.currency:
            value = self.money()  # any currency: the field has none
        else:
            value = self.value(decl)
        return ir.Compare(e.op, ir.Ref(name), ir.Const(value))


@st.composite
def repaired(draw, drawn: ir.Policy, hits: tuple[str, str] | None = None) -> ir.Policy:
    return _Repair(draw, drawn, hits)()


STATS: Counter = Counter()


def _features(p: ir.Policy) -> set[str]:
    """The constructs a policy uses that the generated code treats each in its own way."""
    out = set()
    if p.classify is not None:
        out.add(f"classify {p.classify.hit}" + (" with rules" if p.classify.rules else ""))
    if p.route is not None:
        out.add(f"route {p.route.hit}" + (" with rules" if p.route.rules else ""))
    clocks = {d.clock for d in p.deadlines}
    if any(d.anchor in clocks for d in p.deadlines):
        out.add("clock on clock")
    for x in p.escalate:
        out.add(f"escalation {x.timing.kind}")
        if x.timing.anchor in clocks:
            out.add("escalation on clock")
    if p.follow_up is not None:
        for x in (*p.follow_up.rules, *filter(None, [p.follow_up.otherwise])):
            if x.rate is not None and x.rate.value < 100:
                out.add("sampled follow-up")
        out.add("follow-up otherwise" if p.follow_up.otherwise else "follow-up without otherwise")
    for o in p.obligations:
        out.add(f"obligation {o.timing.kind}")
    if p.compensate is not None and p.compensate.rules:
        out.add("remedy rules")
    for x in ir.all_rules(p):
        if getattr(x, "when", None) is not None:
            for atom in _atoms(x.when):
                out.add(f"cond {type(atom).__name__}")
    return out


def _atoms(e):
    if isinstance(e, (ir.And, ir.Or)):
        for i in e.items:
            yield from _atoms(i)
    elif isinstance(e, ir.Not):
        yield from _atoms(e.item)
    else:
        yield e


@st.composite
def checked_policies(draw, hits: tuple[str, str] | None = None) -> tuple[ir.Policy, CompiledPolicy]:
    """A drawn policy, repaired, checked and compiled (a policy the checker still refuses is rejected)."""
    p = draw(repaired(draw(policies()), hits))
    STATS["drawn"] += 1
    try:
        check_resolved(p)
    except ComplaintRulesError:
        STATS["refused"] += 1
        assume(False)
    if draw(st.booleans()):
        # Through the DSL: the rules get spans, so trace entries and the line map have locations.
        # The loaded calendar data is no part of the text (policy.load attaches it): carry it over.
        parsed = dsl.parse(print_policy(p), "random.policy")
        assert parsed == dataclasses.replace(p, header=dataclasses.replace(p.header, calendar_sources=()))
        p = dataclasses.replace(parsed, header=dataclasses.replace(parsed.header, calendar_sources=p.header.calendar_sources))
    STATS["accepted"] += 1
    STATS.update(_features(p))
    return p, compile_policy(p)


# Records: those of complaint_rules.testing (the policy's own constants and the values beside them) and
# hand-made ones with raw strings and numbers that the coercer converts.
def _raw_value(decl: ir.FieldDecl, currency: str | None):
    kind, members = decl.type.kind, decl.type.members
    if kind == "bool":
        return st.sampled_from([True, False, "yes", "no", 1, 0])
    if kind == "int":
        return st.integers(-2, 5) | st.sampled_from(["0", "3"])
    if kind == "decimal":
        return st.sampled_from([0, 1, "2.5", Decimal("-3.25")])
    if kind == "money":
        cur = decl.type.currency or currency
        amounts = st.sampled_from([0, 1, 99, 100, 500, 1000, 5000])
        if cur:
            return amounts.map(lambda a: f"{a} {cur}") | amounts
        # No currency anywhere: an amount needs its own (a bare number is a record error, now and then).
        return st.one_of(
            amounts.map(lambda a: f"{a} EUR"), amounts.map(lambda a: f"{a} CNY"), amounts.filter(bool)
        )
    if kind == "text":
        return st.sampled_from(["", "refund", "OK", "客服部", 'a"b'])
    if kind == "date":
        return _NEAR_DATES.map(dt.date.isoformat)
    if kind == "datetime":
        return _NEAR_DATETIMES | _NEAR_DATETIMES.map(lambda m: m.isoformat())
    if kind == "duration":
        return st.sampled_from(["1 day", "2h", "3 working days"])
    if kind == "enum":
        return st.sampled_from(members)
    if kind == "set":
        return st.frozensets(st.sampled_from(members)) if members else st.just(frozenset())
    raise AssertionError(kind)


def _valid(compiled: CompiledPolicy, record: dict) -> dict:
    """A record of ``testing.records`` as the coercer takes it: a duration as text (not a timedelta, see
    test_testing_records_are_valid_for_duration_fields) and an amount with a currency where neither the
    field nor the policy has one."""
    out = dict(record)
    for name, value in record.items():
        decl = compiled.schema.get(name)
        if isinstance(value, dt.timedelta):
            out[name] = f"{int(value.total_seconds() // 60)} minutes"
        elif decl is not None and decl.type.kind == "money" and decl.type.currency is None:
            out[name] = f"{value} {'CNY' if len(out) % 2 else 'USD'}"
    return out


def _edges(compiled: CompiledPolicy) -> dict[str, list]:
    """Per compared field, the raw values equal to the constants it is compared with."""
    out: dict[str, list] = {}
    derived = {d.name for d in DERIVED_FIELDS}
    for rule in ir.all_rules(compiled.ir):
        for atom in _atoms(getattr(rule, "when", None) or ir.TRUE):
            if (
                not isinstance(atom, ir.Compare)
                or atom.left.name in derived
                or atom.left.name not in compiled.schema
            ):
                continue
            decl, c = compiled.schema[atom.left.name], atom.right.value
            if isinstance(c, ir.Money):
                raw = f"{c.amount} {decl.type.currency or c.currency}"
            elif isinstance(c, (dt.date, dt.datetime)):
                raw = c.isoformat()
            elif isinstance(c, ir.Duration):
                raw = f"{c.amount} {c.unit.replace('_', ' ')}"
            elif isinstance(c, frozenset):
                raw = sorted(c)
            else:
                raw = c
            out.setdefault(atom.left.name, []).append(raw)
    return out


def raw_records(compiled: CompiledPolicy):
    derived = {d.name for d in DERIVED_FIELDS}
    required = {"id": st.text("AB12", min_size=1, max_size=4)}
    optional = {}
    for name, decl in compiled.schema.items():
        if name in derived or name == "id":
            continue
        (required if decl.required else optional)[name] = _raw_value(decl, compiled.ir.header.currency)
    entry = st.fixed_dictionaries({"at": _NEAR_DATETIMES}, optional={"satisfied": st.booleans()})
    optional["follow_ups"] = st.lists(entry, max_size=2)
    return st.fixed_dictionaries(required, optional=optional)


def both(compiled: CompiledPolicy, record, now):
    out = []
    for run in (compiled.evaluate, compiled.interpret):
        try:
            out.append(run(record, now=now))
        except ComplaintRulesError as exc:
            out.append(type(exc))
    return out


NOWS = st.none() | _NEAR_DATETIMES


def _nodes(e: ir.Expr):
    yield e
    if isinstance(e, (ir.And, ir.Or)):
        for i in e.items:
            yield from _nodes(i)
    elif isinstance(e, ir.Not):
        yield from _nodes(e.item)


def _generated_conditions(compiled: CompiledPolicy) -> list[tuple[ir.Expr, object]]:
    """Every condition of the policy and each of its parts as a function that codegen writes alone.

    Inside the decide function a condition often does not decide the outcome (``and`` stops early, another
    rule wins): here every part is tested on every record, against the interpreter's reading of it.
    """
    found = _CONDITIONS.get(id(compiled))
    if found is not None and found[0] is compiled:
        return found[1]
    levels = severity_order(compiled.ir)

    out = []
    for rule in ir.all_rules(compiled.ir):
        for node in _nodes(getattr(rule, "when", None) or ir.TRUE):
            out.append((node, compile_condition(node, compiled.schema, levels)))  # the one condition compiler
    _CONDITIONS[id(compiled)] = (compiled, out)
    return out


_CONDITIONS: dict = {}  # id -> (compiled policy, its conditions); emptied by each run of the property


def _check_conditions(compiled: CompiledPolicy, values: dict, level: str | None) -> None:
    v = {**values, LEVEL: level}
    for node, generated in _generated_conditions(compiled):
        expected = holds(compiled.ir, node, values, schema=compiled.schema, level=level)
        assert bool(generated(v)) == expected, (node, values, level)


def _check_one(compiled: CompiledPolicy, record, now) -> Decision | None:
    """Compiled == interpreted (and the plain outcome == the decision); the decision, None for an error."""
    fast, slow = both(compiled, record, now)
    assert fast == slow
    if isinstance(fast, type):
        try:
            record_id, values = compiled.coerce(record)
        except RecordError:
            return None
        # A bad `now` or a deadline beyond the calendar's data: decide() and outcome() fail alike, and the
        # conditions still decide as the interpreter's.
        for run in (compiled.decide, compiled.outcome):
            with pytest.raises(fast):
                run(values, record_id, now)
        _check_conditions(compiled, values, None)
        return None
    assert fast.model_dump_json() == slow.model_dump_json()
    if fast.problems:  # a time the calendar could not place (a CN year without data): both flag the same
        STATS["incomplete decision"] += 1
        for strict in (compiled.evaluate, compiled.interpret):
            with pytest.raises(EvaluationError, match="cannot be placed"):
                strict(record, now=now, strict=True)
    record_id, values = compiled.coerce(record)
    decided = compiled.decide(values, record_id, now)
    plain = compiled.outcome(values, record_id, now)
    assert isinstance(plain, dict) and not isinstance(plain["follow_up"], Decision)
    assert Decision.model_validate(plain) == decided == fast
    assert values == compiled.coerce(record)[1]  # decide/outcome work on a copy
    _check_conditions(compiled, values, fast.level)
    return fast


HITS = [(c, r) for c in ("first", "highest") for r in ("first", "all")]
RUNS: set = set()


@pytest.mark.parametrize("hits", HITS, ids="-".join)
def test_compiled_decides_as_interpreter_on_random_policies(hits):
    # Hypothesis mutates earlier examples, so a choice such as a hit policy can stay the same for a whole run:
    # each run has its own classify and route hit policies, and the last test below checks what all covered.
    before = Counter(STATS)
    decided = Counter()
    _CONDITIONS.clear()

    @settings(max_examples=35, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])  # fmt: skip
    @given(data=st.data())
    def run(data):
        policy, compiled = data.draw(checked_policies(hits), label="policy")
        assert (policy.classify.hit, policy.route.hit) == hits
        try:
            recs = testing.records(policy).map(lambda r: _valid(compiled, r)) | raw_records(compiled)
        except NoWitness:  # see test_testing_records_with_overlapping_keywords below
            recs = raw_records(compiled)
        edges = _edges(compiled)
        for record in data.draw(st.lists(recs, min_size=1, max_size=4), label="records"):
            if edges and data.draw(st.booleans(), label="on the edges"):
                # Compared fields exactly at the constants they are compared with (`<` and `<=` differ there).
                for name, values in edges.items():
                    value = data.draw(st.sampled_from([None, *values]), label=name)
                    if value is not None:
                        record[name] = value
            now = data.draw(NOWS, label="now")
            # Now and then a naive `now`, which both refuse (7: hypothesis favours the ends of a range).
            if data.draw(st.integers(0, 19), label="naive now") == 7:
                now = (now or dt.datetime(2026, 1, 1)).replace(tzinfo=None)
            decision = _check_one(compiled, record, now)
            decided[decision is not None] += 1
            if decision is not None and any(not r.endswith(".otherwise") for r in decision.rule_ids):
                decided["rules"] += 1

    run()
    mine = Counter(STATS)
    mine.subtract(before)
    # Only worth something if the repaired policies pass the checker, and the records mostly make decisions
    # (not record or calendar errors) that match rules of the policy (not only the `otherwise` entries).
    assert mine["accepted"] >= 0.8 * mine["drawn"], mine
    assert decided[True] >= 1.5 * decided[False], decided
    assert decided["rules"] >= decided[True] // 2, decided
    RUNS.add(hits)


WANTED = {
    "follow-up otherwise", "follow-up without otherwise", "clock on clock", "escalation before",
    "escalation after", "escalation immediately", "escalation on clock", "sampled follow-up", "obligation for",
    "obligation after", "remedy rules", *(f"cond {k}" for k in ("Ref", "Compare", "InSet", "Has", "Mentions", "Missing")),
}  # fmt: skip


def test_random_policies_cover_every_construct():
    if RUNS != set(HITS):
        # Justified: the statistics come from the random-policy test's runs in this session; a selection with
        # -k or a single node id does not run them all, and checking partial statistics would fail falsely.
        # In a full run (CI) every run has happened and this check asserts.
        pytest.skip("needs every run of test_compiled_decides_as_interpreter_on_random_policies")
    assert WANTED <= set(STATS), WANTED - set(STATS)
    # Incomplete decisions (a drawn CN policy without 2027 data and a late record) are too rare to ask of these
    # runs: tests/test_compiler_oracle.py draws them on purpose and requires that it reached them.
    short = {w: STATS[w] for w in WANTED if STATS[w] < 3}
    assert not short, short


def test_raw_strategy_is_mostly_refused_and_repair_fixes_it():
    # Why the repair exists: drawn as they are, few policies pass the checker (and those are the empty ones).
    counts = Counter()

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        drawn = data.draw(policies())
        fixed = data.draw(repaired(drawn))
        for name, p in (("raw", drawn), ("repaired", fixed)):
            try:
                check_resolved(p)
                counts[name] += 1
            except ComplaintRulesError:
                pass
        counts["all"] += 1

    run()
    assert counts["raw"] <= 0.5 * counts["all"], counts
    assert counts["repaired"] >= 0.9 * counts["all"], counts


# ---------------------------------------------------------------------------- source hygiene

HYGIENE = r"""policy "zq_marker_policy" {
  version "zq_marker_version"
  currency EUR
  hours 09:00-17:00
  timezone "UTC"
}
record {
  zq_marker_kind: enum {zq_marker_alpha, zq_marker_beta} "zq_marker_field_label"
  zq_marker_tags: set of enum {zq_marker_red, zq_marker_blue}
  zq_marker_text: text
  zq_marker_note: text
  zq_marker_amount: money
  zq_marker_count: int = 0
  zq_marker_flag: bool = false
  zq_marker_on: date
  zq_marker_at: datetime
}
units { zq_marker_desk "zq_marker_unit_label"  zq_marker_boss "\"); import os; (\"" }
levels { general "zq_marker_general_label"  major "\")\n__import__('os')#" }
statuses { zq_marker_wait "zq_marker_status_label"  zq_marker_done  zq_marker_again }
classify highest {
  rule zq_marker_c1: zq_marker_kind == zq_marker_beta or zq_marker_text mentions any {"zq_marker_kw", "\"); import os; (\"", "\\x'''"} -> major note "zq_marker_note"
  rule zq_marker_c2: zq_marker_tags has all {zq_marker_red} and zq_marker_count >= 31337 -> general
  rule zq_marker_c4: zq_marker_tags has any {zq_marker_blue} and not zq_marker_flag -> major
  rule zq_marker_c3: zq_marker_note == "zq_marker_const\" + __import__('os').name + \"" -> major
  otherwise -> general
}
route all {
  rule zq_marker_r1: level == major and zq_marker_flag -> zq_marker_boss
  rule zq_marker_r2: zq_marker_amount >= 424242.5 EUR or zq_marker_on < 2026-07-15 -> zq_marker_desk, zq_marker_boss
  rule zq_marker_r3: zq_marker_kind not in {zq_marker_alpha} and zq_marker_note in {"zq_marker_in", "'''"} -> zq_marker_desk
  otherwise -> zq_marker_desk
}
deadlines {
  rule zq_marker_d1: zq_marker_clock = 3 hours after received_at when zq_marker_at is missing
  rule zq_marker_d2: zq_marker_clock = 2 days after zq_marker_at
  rule zq_marker_d3: zq_marker_later = 1 working day after zq_marker_clock
  rule zq_marker_d4: zq_marker_life = 2 working days after received_at pause while {zq_marker_wait} stop at zq_marker_at, zq_marker_done restart on zq_marker_again warn at 75%
  rule zq_marker_d5: zq_marker_lvl = 1 hours after received_at when level == major
}
escalate {
  rule zq_marker_e1: remind owner 1 hours before zq_marker_later when resolved_at is missing
  rule zq_marker_e2: escalate zq_marker_boss 4 hours after zq_marker_clock when zq_marker_at < 2026-07-15T12:00+00:00
  rule zq_marker_e3: notify zq_marker_desk 1 hours after zq_marker_life
}
compensate {
  amount zq_marker_amount
  options { zq_marker_cheap "zq_marker_option_label"  zq_marker_dear }
  authority { zq_marker_desk up to 777 EUR  zq_marker_boss up to 99999 EUR }
  tier general up to 555 EUR by zq_marker_desk
  tier major up to 88888 EUR by zq_marker_boss
  rule zq_marker_x1: exclude {zq_marker_dear} when zq_marker_amount >= 1000 EUR
  rule zq_marker_x2: prefer {zq_marker_cheap} when zq_marker_flag
}
follow_up {
  rule zq_marker_f1: 37.5% within 2 days after zq_marker_later by zq_marker_desk via zq_marker_via when zq_marker_kind == zq_marker_beta
  otherwise: 100% within 1 day after received_at by owner via zq_marker_phone
  until satisfied at most 7 times
}
obligations {
  rule zq_marker_o1: zq_marker_act "zq_marker_obligation_label" by zq_marker_boss 6 hours after zq_marker_clock
  rule zq_marker_o2: zq_marker_keep by zq_marker_desk for 3 years when zq_marker_count != 12345
}
"""


# What the policy writes that must never become code (the distinctive numbers too).
FORBIDDEN = ("zq_marker", "import os", "__import__", "31337", "424242", "12345", "2026", "37.5", "88888",
             "99999", "777", "555", "EUR", "\\x", "'''")  # fmt: skip
# The decision's own field names and statuses: the only string literals the generated code may hold.
_KEYS = {name for cls in (Amount, Deadline, Escalation, Remedy, FollowUpPlan, Obligation, Decision)
         for name in cls.model_fields}  # fmt: skip
_LITERALS = {
    repr(k) for k in (*_KEYS, "due", "pending", "inactive", "done", "overdue", "history", "required", "not_sampled", "exempt", "none")
}
_GENERATED = re.compile(r"_?[a-z]\d+")  # _c12, _t3, d0, w1, e2: names the compiler numbers


def _tokens(source: str) -> tuple[set[str], set[str]]:
    """The names (not numbered ones) and the string literals of a Python source."""
    found_names, strings = set(), set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and not _GENERATED.fullmatch(tok.string):
            found_names.add(tok.string)
        elif tok.type == tokenize.STRING:
            strings.add(tok.string)
    return found_names, strings


@pytest.fixture(scope="module")
def hygienic():
    return complaint_rules.loads(HYGIENE, name="hygiene.policy")


def test_source_contains_nothing_the_policy_wrote(hygienic):
    compiled = hygienic.compiled
    source = compiled.source
    assert "def decide(" in source
    for text in FORBIDDEN:
        assert text not in source, text
    _, strings = _tokens(source)
    assert strings <= _LITERALS, strings - _LITERALS
    compile(source, "x", "exec")
    # Every policy value is a generated name bound in the function's namespace, among them the markers.
    namespace = compiled.function().__globals__
    bound = [v for k, v in namespace.items() if re.fullmatch(r"_c\d+", k)]
    assert "zq_marker_kind" in bound and any(isinstance(v, frozenset) and "zq_marker_red" in v for v in bound)
    assert any(isinstance(v, frozenset) and '"); import os; ("' in v for v in bound) or \
        '"); import os; ("' in bound  # the keyword, kept as data  # fmt: skip


def _renamed(text: str) -> str:
    """The hygiene policy with every name and distinctive constant written differently."""
    for old, new in (("zq_marker", "other"), ("31337", "2"), ("424242.5", "7.25"), ("12345", "0"),
                     ("2026-07-15", "2031-01-02"), ("37.5%", "3%"), ("import os", "pass"), ("EUR", "JPY"),
                     ("88888", "1"), ("99999", "3"), ("777", "2"), ("555", "9")):  # fmt: skip
        text = text.replace(old, new)
    return text


def test_source_does_not_depend_on_what_the_policy_wrote(hygienic):
    # The same structure with other names, labels, keywords and amounts compiles to the very same text.
    other = complaint_rules.loads(_renamed(HYGIENE), name="renamed.policy")
    assert other.fingerprint != hygienic.fingerprint
    assert other.compiled.source == hygienic.compiled.source
    assert list(other.compiled.line_map) == list(hygienic.compiled.line_map)


def test_source_of_bundled_policies_uses_only_the_compilers_words(hygienic):
    # The hygiene policy's source (no policy word in it) gives the compiler's vocabulary; a bundled policy's
    # source uses no other word, so none of its field, unit, member or rule names got into the code.
    vocabulary, _ = _tokens(hygienic.compiled.source)
    vocabulary |= set(keyword.kwlist) | set(dir(builtins))
    root = Path(__file__).resolve().parent.parent / "policies"
    paths = sorted(root.glob("*/*.policy"))
    assert len(paths) >= 5
    for path in paths:
        policy = complaint_rules.load(path)
        words, strings = _tokens(policy.compiled.source)
        assert words <= vocabulary, (path.name, words - vocabulary)
        assert strings <= _LITERALS, (path.name, strings - _LITERALS)
        ids = {r.id for r in ir.all_rules(policy.ir)} | {u.id for u in policy.ir.units}
        assert len(ids - vocabulary) >= len(ids) // 2  # the check above is about names it could have caught


def test_follow_up_limit_is_bound_not_written():
    # The `until satisfied at most N times` count as well: a bound name, not a literal.
    text = HYGIENE.replace("at most 7 times", "at most 4321 times")
    assert "4321" not in complaint_rules.loads(text, name="limit.policy").compiled.source


def test_line_map_names_rules_and_linecache_has_the_source(hygienic):
    compiled = hygienic.compiled
    ids = {r.id for r in ir.all_rules(hygienic.ir)}
    lines = compiled.source.splitlines()
    policy_lines = HYGIENE.splitlines()
    line_map = compiled.line_map
    tagged = set()
    for n, where in line_map.items():
        assert 1 <= n <= len(lines) and lines[n - 1].strip()
        match = re.fullmatch(r"(\S+) at hygiene\.policy:(\d+):(\d+)", where)
        assert match, where
        rule, line, column = match[1], int(match[2]), int(match[3])
        assert rule in ids
        tagged.add(rule)
        # The location is the rule's in the policy text (follow_up.otherwise is at its `otherwise:`).
        written = f"rule {rule}:" if rule != "follow_up.otherwise" else "otherwise:"
        assert policy_lines[line - 1][column - 1 :].startswith(written), (where, policy_lines[line - 1])
    # Every rule with a condition of its own tags the line that tests it.
    assert tagged >= ids - {"follow_up.otherwise"}, ids - tagged
    line_map[1] = "changed"
    assert compiled.line_map.get(1) != "changed"  # a copy
    filename = compiled.function().__code__.co_filename
    assert filename.startswith("<complaint-rules policy #")
    for n, text in enumerate(lines, 1):
        assert linecache.getline(filename, n) == text + "\n"
    # The plain variant has a source of its own, registered too.
    plain = compiled.function("plain").__code__.co_filename
    assert plain != filename and linecache.getline(plain, 1).startswith("def decide(")


def test_a_dropped_program_takes_its_source_out_of_linecache():
    import gc

    policy = complaint_rules.loads(HYGIENE, name="dropped.policy")
    filename = policy.compiled.function().__code__.co_filename
    assert filename in linecache.cache
    del policy
    gc.collect()  # the function's namespace refers back to its program: a cycle
    assert filename not in linecache.cache


def test_traceback_through_generated_code_shows_the_line(hygienic, monkeypatch):
    compiled = hygienic.compiled
    filename = compiled.function().__code__.co_filename

    def boom(*args):
        raise RuntimeError("boom")

    # A helper the generated code calls fails: the traceback shows the generated frame and its line.
    monkeypatch.setitem(compiled.function().__globals__, "_sample_point", boom)
    with pytest.raises(RuntimeError) as info:
        compiled.evaluate(HYGIENE_RECORDS[0])
    frames = [f for f in traceback.extract_tb(info.value.__traceback__) if f.filename == filename]
    assert frames and "_sample_point(" in frames[-1].line


HYGIENE_RECORDS = [
    {  # matches a rule in every block
        "id": "H1", "received_at": "2026-07-01T10:00+00:00", "zq_marker_kind": "zq_marker_beta",
        "zq_marker_tags": ["zq_marker_red"], "zq_marker_text": 'say "); import os; ("', "zq_marker_count": 31337,
        "zq_marker_note": "zq_marker_in", "zq_marker_amount": "424242.5 EUR", "zq_marker_flag": True,
        "zq_marker_on": "2026-07-14", "zq_marker_at": "2026-07-15T11:59+00:00",
    },
    {
        "id": "H2", "received_at": "2026-07-03T16:30+00:00", "zq_marker_kind": "zq_marker_alpha",
        "zq_marker_text": "ZQ_MARKER_KW", "zq_marker_note": "zq_marker_const\" + __import__('os').name + \"",
        "zq_marker_amount": "999 EUR", "zq_marker_on": "2026-07-15", "resolved_at": "2026-07-04T09:00+00:00",
        "zq_marker_count": 12345, "zq_marker_tags": ["zq_marker_blue"],
    },
    {"id": "H3", "received_at": "2026-07-04T08:00+00:00", "zq_marker_text": "\\x'''", "zq_marker_amount": 5,
     "zq_marker_at": "2026-07-15T12:00+00:00", "zq_marker_note": "'''", "zq_marker_kind": "zq_marker_beta",
     "follow_ups": [{"at": "2026-07-05T10:00+00:00", "satisfied": False}]},
]  # fmt: skip


@pytest.mark.parametrize("record", HYGIENE_RECORDS, ids=lambda r: r["id"])
@pytest.mark.parametrize("now", [None, dt.datetime(2026, 7, 20, tzinfo=dt.timezone.utc)])
def test_hygiene_policy_decides_as_interpreter(hygienic, record, now):
    assert _check_one(hygienic.compiled, record, now) is not None


def test_hygiene_records_match_a_rule_in_every_block(hygienic):
    decision = hygienic.evaluate(HYGIENE_RECORDS[0], now=dt.datetime(2026, 7, 20, tzinfo=dt.timezone.utc))
    blocks = {t.block for t in decision.trace if not t.rule.endswith(".otherwise")}
    assert blocks == {"classify", "route", "deadlines", "escalate", "compensate", "follow_up", "obligations"}
    assert decision.level == "major" and decision.owner == "zq_marker_boss"
    assert decision.remedy.options == ("zq_marker_cheap",) and decision.follow_up.sampled
    second = hygienic.evaluate(HYGIENE_RECORDS[1])
    third = hygienic.evaluate(HYGIENE_RECORDS[2])
    seen = (set(decision.rule_ids) | set(second.rule_ids) | set(third.rule_ids)) - {
        "route.otherwise",
        "classify.otherwise",
    }
    assert seen == {r.id for r in ir.all_rules(hygienic.ir)}, {r.id for r in ir.all_rules(hygienic.ir)} - seen
    assert second.matched("zq_marker_c1") and second.matched("zq_marker_c3")  # the keyword, case-folded
    assert third.matched("zq_marker_c1") and third.matched("zq_marker_r3")  # backslash and quotes as data


# ---------------------------------------------------------------------------- comparisons that are not numbers

# No policy currency: a money field without one holds amounts in any currency.
COMPARISONS = """policy "cmp" {
}
record {
  on: date
  at: datetime
  price: money USD
  other: money
  wait: duration
  score: decimal
}
units { a  b  c  d  e  f  g  h  i  j }
route all {
  rule before_day: on < 2026-03-01 -> a
  rule from_day: on >= 2026-03-01 and on != 2026-03-05 -> b
  rule before_moment: at <= 2026-03-01T12:00+08:00 -> c
  rule after_moment: at > 2026-03-01T04:00:00Z -> d
  rule cheap: price < 100.50 USD -> e
  rule exact: price == 100.50 USD or other == 200 CNY -> f
  rule dear: other >= 200 CNY -> g
  rule ranked: score > 2.5 and score <= 3 -> h
  rule day: wait == 1 day or wait != 2 hours and on == 2026-03-05 -> i
  rule long: wait >= 2 days -> j
  otherwise -> a
}
"""
_POOLS = {
    "on": ["2026-02-28", "2026-03-01", "2026-03-05", "2026-03-06", None],
    "at": ["2026-03-01T11:59:59+08:00", "2026-03-01T12:00+08:00", "2026-03-01T04:00:00Z", "2026-03-01T04:00:01Z",
           "2026-03-01T12:00:01+08:00", "2026-03-01T12:00:00.000001+08:00", None],
    "price": ["100.49 USD", "100.50 USD", "100.5", "100.51 USD", 100, "100.5 CNY", None],
    "other": ["199.99 CNY", "200 CNY", "200.00 CNY", "200 USD", "201 EUR", "1e3 CNY", None],
    "score": ["2.5", "2.51", "3", "3.00", 3, "3.01", None],
    "wait": ["1 day", "24 hours", "2h", "3 days", None],
}  # fmt: skip


def _comparison_records():
    out = []
    for i in range(35):
        record = {"id": f"C{i}", "received_at": "2026-03-01T09:00+08:00"}
        for k, (name, pool) in enumerate(_POOLS.items()):
            value = pool[(i * (k + 1) + i // len(pool)) % len(pool)]
            if value is not None:
                record[name] = value
        out.append(record)
    return out


@pytest.fixture(scope="module")
def comparisons():
    return complaint_rules.loads(COMPARISONS, name="cmp.policy").compiled


@pytest.mark.parametrize("record", _comparison_records(), ids=lambda r: r["id"])
def test_non_numeric_and_foreign_money_comparisons(comparisons, record):
    _check_one(comparisons, record, None)  # the same decision, or the same error (a CNY price)


def test_comparison_records_mostly_decide_and_cover_every_rule(comparisons):
    seen, decided = set(), 0
    for record in _comparison_records():
        try:
            seen.update(comparisons.evaluate(record).rule_ids)
            decided += 1
        except ComplaintRulesError:
            pass
    assert decided >= 25
    assert seen >= {r.id for r in comparisons.ir.route.rules} - {"long"}


# Values as the coercer never makes them (numbers for money, a datetime for a date, naive times, strings),
# given to decide() directly: both evaluators still agree.
_ODD = {
    "on": [dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc), "2026-03-01", 20260301],
    "at": [dt.datetime(2026, 3, 1, 4, tzinfo=dt.timezone.utc), dt.datetime(2026, 3, 1, 4), dt.date(2026, 3, 1)],
    "price": [ir.Money(Decimal("100.5"), "USD"), ir.Money(Decimal("100.5"), "CNY"), Decimal("100.5"), 100, 100.5,
              True, "100.5 USD"],
    "other": [ir.Money(Decimal(200), "CNY"), ir.Money(Decimal(200), "JPY"), 200, Decimal("199.99"), False],
    "score": [Decimal("2.5"), 3, Decimal("3.000"), 2.75, "3", True, ir.Money(Decimal(3), "CNY")],
    "wait": [ir.Duration(1, "days"), ir.Duration(24, "hours"), dt.timedelta(days=1), 1],
}  # fmt: skip


@settings(max_examples=150, deadline=None, database=None)
@given(st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in _ODD.items()}))
def test_comparisons_on_values_the_coercer_never_makes(comparisons, values):
    from complaint_rules.engine.interpreter import interpret

    values = {"received_at": dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc), **values}
    fast = comparisons.decide(values, "V")
    slow = interpret(
        comparisons.ir, values, record_id="V", calendar=comparisons.calendar, meta=comparisons.meta
    )
    assert fast == slow and fast.model_dump_json() == slow.model_dump_json()
    assert Decision.model_validate(comparisons.outcome(values, "V")) == fast


def test_comparison_boundaries_are_exact(comparisons):
    def routes(**fields):
        return set(
            comparisons.evaluate({"id": "B", "received_at": "2026-03-01T09:00+08:00", **fields}).routes
        )

    assert "a" in routes(on="2026-02-28") and "a" not in routes(on="2026-03-01", price="1 USD")
    assert "b" in routes(on="2026-03-01") and "b" not in routes(on="2026-03-05")
    assert "c" in routes(at="2026-03-01T04:00:00Z") and "c" not in routes(at="2026-03-01T04:00:00.000001Z")
    assert "d" in routes(at="2026-03-01T04:00:01Z") and "d" not in routes(at="2026-03-01T12:00+08:00")
    assert "e" in routes(price="100.49 USD") and "e" not in routes(price="100.50 USD")
    assert (
        "f" in routes(price="100.5 USD")
        and "f" in routes(other="200.00 CNY")
        and "f" not in routes(other="200 USD")
    )
    assert "g" in routes(other="200 CNY") and "g" not in routes(other="199.99 CNY")
    assert "g" not in routes(other="5000 USD")  # another currency never compares
    assert "h" in routes(score="3") and "h" not in routes(score="2.5") and "h" not in routes(score="3.01")
    assert "i" in routes(wait="1 day") and "i" in routes(wait="24 hours")  # fixed lengths compare by length
    assert "i" not in routes(wait="1 working day") and "i" not in routes(wait="25 hours")
    # The dates and amounts were bound, not written: the source has none of them.
    for text in ("2026", "100.5", "USD", "CNY", "200", "2.5"):
        assert text not in comparisons.source


def test_duration_ordering_holds(comparisons):
    # Durations of fixed length compare by length, as prove reasons about them (both evaluators once
    # treated every ordering of durations as false).
    for wait, long in (("3 days", True), ("48 hours", True), ("2880 minutes", True), ("47 hours", False),
                       ("2 working days", False), ("1 month", False)):  # fmt: skip
        record = {"id": "L", "received_at": "2026-03-01T09:00+08:00", "wait": wait}
        assert comparisons.interpret(record).matched("long") is long, wait
        assert comparisons.evaluate(record).matched("long") is long, wait


# ---------------------------------------------------------------------------- complaint_rules.testing

KEYWORDS = """policy "kw" {
}
record {
  wait: duration
}
classify first {
  rule money: description mentions any {"fund", "refund", "x"} -> major
  otherwise -> general
}
"""


def test_testing_records_with_overlapping_keywords():
    # No text has 'refund' without 'fund': records() leaves that pair out of the boundaries, not raise NoWitness.
    policy = complaint_rules.loads(KEYWORDS)
    strategy = testing.records(policy)
    few = settings(database=None, max_examples=500)
    refund = find(strategy, lambda r: "refund" in str(r.get("description", "")).casefold(), settings=few)
    assert policy.evaluate(refund).level == "major"
    plain = find(strategy, lambda r: not any(k in str(r.get("description", "")).casefold() for k in ("fund", "x")),
                 settings=few)  # fmt: skip
    assert policy.evaluate(plain).level == "general"


def test_testing_records_are_valid_for_duration_fields():
    # testing.field_values() draws durations the record coercer takes (it once drew datetime.timedelta).
    policy = complaint_rules.loads(KEYWORDS.replace('"fund", ', ""))
    record = find(
        testing.records(policy), lambda r: "wait" in r, settings=settings(database=None, max_examples=500)
    )
    _, values = policy.compiled.coerce(record)
    assert isinstance(values["wait"], ir.Duration) and values["wait"].amount >= 0
    assert policy.evaluate(record).level in ("major", "general")
