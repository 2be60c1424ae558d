"""Names and types of a resolved policy against its record schema; every problem of a file, with did-you-mean.

Kinds: ``name`` (unknown field, level, unit, member, option, clock, rule id), ``type`` (an operator or value
that does not fit the field), ``structure`` (duplicates, missing ``otherwise``, deadline cycles, misplaced
``position``). Names without a node of their own (targets, anchors, members of a set) are located by
searching the enclosing node's text, so the caret still lands on the word.

One module: one pass over the resolved IR that collects every diagnostic; each part reads the symbol
tables (fields, units, levels, clocks, options) built at its start.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal

from .. import currencies, ir, limits
from ..errors import CalendarError, Diagnostic
from ..fields import DERIVED_FIELDS, FOLLOW_UPS, HISTORY
from ..span import Span, locate
from ..span import after as _after
from ..span import head as _head

LEVEL = "level"
OWNER = "owner"
# Fields the evaluator computes from `follow_ups`.
DERIVED = tuple(f.name for f in DERIVED_FIELDS)
ORDERED_KINDS = ("int", "decimal", "money", "date", "datetime", "duration")
FOLLOW_UP_STATES = ("required", "exempt", "not_sampled")
_SCALAR_EXPECTS = {"label": (str, "text or none"), "within_authority": (bool, "true or false"),
                   "cap": (ir.Money, "money or none")}


def _number(v: object) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


_FITS = {
    "bool": lambda v: isinstance(v, bool),
    "int": _number,
    "decimal": _number,
    "money": lambda v: isinstance(v, ir.Money),
    "text": lambda v: isinstance(v, str),
    "datetime": lambda v: isinstance(v, dt.datetime),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "duration": lambda v: isinstance(v, ir.Duration),
    "enum": lambda v: isinstance(v, str),
    "set": lambda v: isinstance(v, frozenset),
}
_A = {"int": "an int", "decimal": "a decimal", "enum": "an enum", "set": "a set of enum", "date": "a date",
      "datetime": "a datetime", "duration": "a duration", "bool": "a bool", "text": "text", "money": "money"}


def check(policy: ir.Policy, schema: Mapping[str, ir.FieldDecl] | None = None) -> list[Diagnostic]:
    """Every name, type and structure problem of a resolved policy, sorted by position.

    ``schema`` is the record schema (``record.schema_for(policy)``); without it the policy's own ``record``
    block is the schema. ``level`` is always the pseudo-field of the declared levels.
    """
    return _Checker(policy, schema).run()


# ---------------------------------------------------------------------------- spans and words


def suggest(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or a short list of the choices, or nothing."""
    choices = sorted(set(candidates))
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    if 0 < len(choices) <= 8:
        return "; expected one of " + ", ".join(choices)
    return ""


# Words that mean "no value" in other languages; compared with '==', they are a mistake for 'is missing'.
_NO_VALUE_WORDS = frozenset({"missing", "null", "none", "None", "nil", "empty", "absent"})


def _quoted(span: Span | None) -> bool:
    """Whether the value at ``span`` is written as a quoted string (then it means the text itself)."""
    if span is None or span.source is None:
        return False
    line = span.source.line(span.line)
    return line[span.column - 1 : span.column] in ("'", '"')


def _kind(t: ir.FieldType) -> str:
    return _A.get(t.kind, t.kind)


_WHAT = ((bool, "a bool"), ((int, Decimal), "a number"), (ir.Money, "money"), (ir.Duration, "a duration"),
         (ir.Percent, "a percentage"), (dt.datetime, "a datetime"), (dt.date, "a date"))


def _show(value: object) -> str:
    """A value as the policy writes it, with what it is."""
    if value is None:
        return "none"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(map(str, value))) + "} (a set)"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = value.isoformat() if isinstance(value, dt.date) else text
    return next((f"{text} ({what})" for typ, what in _WHAT if isinstance(value, typ)), f"'{value}' (a name or text)")


# ---------------------------------------------------------------------------- the checker


class _Checker:
    """One pass over a policy; ``run`` returns every diagnostic."""

    def __init__(self, policy: ir.Policy, schema: Mapping[str, ir.FieldDecl] | None):
        self.policy = policy
        self.diagnostics: list[Diagnostic] = []
        self.currency = policy.header.currency
        self.level_ids = [lv.id for lv in policy.levels] if policy.levels else list(ir.LEVEL_NAMES)
        fields = dict(schema) if schema is not None else {f.name: f for f in policy.record}
        # ``level`` is the classify outcome, not a record field, whatever the schema says.
        fields[LEVEL] = ir.FieldDecl(LEVEL, ir.FieldType("enum", tuple(self.level_ids)))
        self.fields = fields
        self.units = [u.id for u in policy.units] if policy.units else None
        self.clocks = list(dict.fromkeys(r.clock for r in policy.deadlines))
        self.options = [o.id for o in policy.compensate.options] if policy.compensate else []
        self.rule_ids = [r.id for r in ir.all_rules(policy)]
        self.statuses = [st.id for st in policy.statuses]

    def add(self, kind: str, message: str, span: Span | None) -> None:
        self.diagnostics.append(Diagnostic(kind, message, span or self.policy.span))

    def run(self) -> list[Diagnostic]:
        for step in (self.header, self.record, self.declarations, self.rules, self.classify, self.route,
                     self.deadlines, self.escalate, self.compensate, self.follow_up, self.obligations, self.invariants, self.tests):
            step()

        def key(d: Diagnostic):
            s = d.span
            return (s.filename, s.line, s.column) if s is not None else ("", 0, 0)

        return sorted(self.diagnostics, key=key)

    # -- names
    def unit(self, name: str, span: Span | None, what: str, after: str | None = None, owner: bool = False) -> None:
        if self.units is None or name in self.units or (owner and name == OWNER):
            return
        choices = [*self.units, OWNER] if owner else self.units
        self.add("name", f"unknown unit '{name}' in {what}{suggest(name, choices)}", locate(span, name, after))

    def level(self, name: str, span: Span | None, after: str | None = None) -> None:
        if name in self.level_ids:
            return
        where = locate(span, name, after)
        if name in ir.LEVEL_NAMES:
            self.add("name", f"level '{name}' is not declared in 'levels'{suggest(name, self.level_ids)}", where)
        else:
            self.add("name", f"unknown level '{name}'{suggest(name, self.level_ids)}", where)

    def field(self, ref: ir.Ref, fallback: Span | None) -> ir.FieldDecl | None:
        decl = self.fields.get(ref.name)
        if decl is None:
            self.add("name", f"unknown field '{ref.name}'{suggest(ref.name, self.fields)}", ref.span or fallback)
        return decl

    def anchor(self, name: str, span: Span | None, what: str, after: str, statuses: bool = False) -> None:
        """A clock or a datetime field: what deadlines, timings and follow-ups are measured from.

        ``statuses``: a declared status may start it too (a deadline's clock), so the message offers them.
        """
        if name in self.clocks:
            return
        decl = self.fields.get(name)
        where = locate(span, name, after)
        if decl is not None and decl.personal:
            self.add("type", f"{what} is measured from '{name}', which is personal: a decision log keeps it masked, "
                     "so nothing may be timed from it", where)
        if decl is None or name == LEVEL:
            times = [f for f, d in self.fields.items() if d.type.kind == "datetime"]
            choices = self.statuses if statuses else []
            hint = suggest(name, [*self.clocks, *times, *choices])
            expected = "a clock, a datetime field or a declared status" if choices else "a clock or a datetime field"
            self.add("name", f"unknown anchor '{name}' in {what}: expected {expected}{hint}", where)
        elif decl.type.kind != "datetime":
            self.add("type", f"{what} is measured from '{name}', which is {_kind(decl.type)}; "
                     "an anchor must be a datetime field or a clock", where)

    # -- values against types
    def misfit(self, value: object, ftype: ir.FieldType) -> str | None:
        """Why ``value`` cannot be a value of ``ftype``, or None when it can."""
        kind, members = ftype.kind, ftype.members
        if not _FITS.get(kind, lambda v: True)(value):
            return f"{_show(value)} is not {_kind(ftype)}"
        if kind == "int" and isinstance(value, Decimal) and value != value.to_integral_value():
            return f"{value} is not a whole number"
        currency = ftype.currency or self.currency
        if kind == "money" and currency and value.currency != currency:
            return f"{value} is in {value.currency}, but the amount is in {currency}"
        given = {value} if kind == "enum" else value if kind == "set" else set()
        bad = sorted(m for m in given if m not in members)
        return f"'{bad[0]}' is not a member{suggest(bad[0], members)}" if bad else None

    def money(self, value: ir.Money, span: Span | None, what: str) -> None:
        if self.currency and value.currency != self.currency:
            where = locate(span, str(value))
            self.add("type", f"{what} is {value}, but the policy's currency is {self.currency}", where)

    # -- header and declarations
    def header(self) -> None:
        h = self.policy.header
        if h.currency is not None and not currencies.known(h.currency):
            meant = currencies.suggestion(h.currency)
            hint = f" (did you mean {meant}?)" if meant else ""
            self.add("name", f"{h.currency} is not an ISO 4217 currency code{hint}",
                     locate(h.span, h.currency, after=r"\bcurrency\b"))  # fmt: skip
        if h.hours is not None and h.hours[0] >= h.hours[1]:
            self.add("structure", f"business hours {h.hours[0]:%H:%M}-{h.hours[1]:%H:%M} end before they start",
                     locate(h.span, "hours"))
        if h.timezone:
            zones = _zones()
            if zones and h.timezone not in zones:
                self.add("name", f"unknown time zone '{h.timezone}'{suggest(h.timezone, zones)}",
                         locate(h.span, h.timezone))
        if h.calendar is not None:
            self.calendar_settings(h)
        for day in set(h.holidays) & set(h.workdays):
            self.add("structure", f"{day.isoformat()} is both a holiday and a workday", locate(
                h.span, day.isoformat()))

    def calendar_settings(self, h: ir.Header) -> None:
        """The calendar must mean what it says: a known country, the subdivision whose holidays apply,
        the zone its working days are counted in, and calendar data that fits it (docs/calendar.md)."""
        from ..calendars import CalendarDataError, calendar, regional_subdivisions, usual_zone

        where = locate(h.span, f'"{h.calendar}"', after=r"\bcalendar\b")
        try:
            code = calendar(h.calendar).country
        except CalendarError as exc:
            self.add("name", str(exc), where)
            return
        regions = regional_subdivisions(code)
        if regions and not h.nationwide:
            self.add("name", f"the holidays of {code} differ by subdivision: name one ({', '.join(regions)}), "
                     f"or write 'calendar \"{h.calendar}\" nationwide' for the days common to all of them", where)
        elif h.nationwide and not regions:
            self.add("structure", f"'nationwide' says nothing for {code}: its holidays do not differ by "
                     "subdivision", locate(h.span, "nationwide"))
        if h.timezone is None and _counts_working_time(self.policy):
            zone = usual_zone(code)
            hint = f"; {code}'s usual zone is {zone}: timezone \"{zone}\"" if zone else ""
            self.add("structure", f"the policy counts working days or business hours on the {code} calendar but "
                     f"sets no 'timezone', so they would be counted in UTC{hint}", where)
        data_where = locate(h.span, f'"{h.calendar_data}"', after=r"\bdata\b") if h.calendar_data else where
        for data in h.calendar_sources:
            if data.country != code:
                self.add("name", f"calendar data {data.path} is for {data.country}, not the policy's calendar "
                         f"{code}", data_where)
        try:
            calendar(h.calendar, data=h.calendar_sources)
        except CalendarDataError as exc:
            self.diagnostics.extend(exc.diagnostics)
        except CalendarError as exc:
            self.add("name", str(exc), data_where)

    def record(self) -> None:
        seen: dict[str, ir.FieldDecl] = {}
        for f in self.policy.record:
            where = locate(f.span, f.name)
            if f.name in seen:
                self.add("structure", f"duplicate field '{f.name}' (first declared at {_at(seen[f.name].span)})", where)
                continue
            seen[f.name] = f
            if f.name == LEVEL:
                self.add("name", "'level' is reserved for the level that classify decides; rename the field", where)
            elif f.name in DERIVED:
                self.add("name", f"'{f.name}' is derived from the record's follow-ups and cannot be declared; "
                         "rename the field", where)
            if f.personal and f.name in ("id", "received_at"):
                why = "the key of a decision log" if f.name == "id" else "what picks the policy version in force"
                self.add("type", f"'{f.name}' cannot be personal: it is {why}", locate(f.span, "personal"))
            if f.type.kind in ("enum", "set") and not f.type.members:
                self.add("structure", f"{f.type.kind} field '{f.name}' has no members", where)
            if f.type.kind == "money" and f.type.currency and self.currency and f.type.currency != self.currency:
                self.add("type", f"field '{f.name}' is in {f.type.currency}, but the policy's currency is "
                         f"{self.currency}", locate(f.span, f.type.currency))
            if f.default is not None:
                problem = self.misfit(f.default, f.type)
                if problem:
                    self.add("type", f"bad default for '{f.name}': {problem}", _after(f.span, "="))

    def declarations(self) -> None:
        p = self.policy
        _dupes(self, p.units, lambda u: u.id, "unit")
        _dupes(self, p.levels, lambda lv: lv.id, "level")
        _dupes(self, p.statuses, lambda st: st.id, "status")
        for st in p.statuses:
            taken = "a record field" if st.id in self.fields else "a clock" if st.id in self.clocks else None
            if taken is not None:
                self.add("name", f"status '{st.id}' is also {taken}; a clock's anchor or stop would be ambiguous",
                         locate(st.span, st.id))
        for lv in p.levels:
            if lv.id not in ir.LEVEL_NAMES:
                close = difflib.get_close_matches(lv.id, ir.LEVEL_NAMES, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.add("name", f"unknown level '{lv.id}' ({hint}levels are {', '.join(ir.LEVEL_NAMES)}; "
                         "the organisation's own name goes in the label)", locate(lv.span, lv.id))

    def rules(self) -> None:
        seen: dict[str, ir.Rule | ir.InvariantRule] = {}
        for rule in (*ir.all_rules(self.policy), *self.policy.invariants):
            if rule.id.startswith("follow_up."):
                continue
            if rule.id in seen:
                self.add("structure", f"duplicate rule id '{rule.id}' (first used at {_at(_rule_span(seen[rule.id]))});"
                         " rule ids are unique in a policy", _rule_span(rule))
            else:
                seen[rule.id] = rule
            position = getattr(rule, "position", None)
            if position is not None and self.policy.extends is None:
                self.add("structure", f"'{position.relation} {position.anchor}' places a rule of an overlay, but this "
                         "policy extends nothing", position.span or rule.span)

    # -- blocks
    def classify(self) -> None:
        c = self.policy.classify
        if c is None:
            return
        for rule in c.rules:
            self.cond(rule.when, rule.span, in_classify=True)
            self.level(rule.level, rule.span, after="->")
        if c.otherwise is None:
            self.add("structure", "classify has no 'otherwise': a record that matches no rule gets no level",
                     _head(c.span))
        else:
            self.level(c.otherwise, c.span, after=r"otherwise\s*->")

    def route(self) -> None:
        r = self.policy.route
        if r is None:
            return
        for rule in r.rules:
            self.cond(rule.when, rule.span)
            for target in rule.targets:
                self.unit(target, rule.span, f"route rule '{rule.id}'", after="->")
        if r.otherwise is None:
            self.add("structure", "route has no 'otherwise': a record that matches no rule goes to no unit",
                     _head(r.span))
        else:
            for target in r.otherwise:
                self.unit(target, r.span, "route 'otherwise'", after=r"otherwise\s*->")

    def deadlines(self) -> None:
        if len(self.policy.deadlines) > limits.MAX_DEADLINES:  # chained clocks compile in superlinear time
            extra = self.policy.deadlines[limits.MAX_DEADLINES]
            self.add("structure", f"too many deadline rules ({len(self.policy.deadlines)}; at most "
                     f"{limits.MAX_DEADLINES})", extra.span)
            return
        edges: dict[str, list[tuple[str, ir.DeadlineRule]]] = {}
        for rule in self.policy.deadlines:
            if rule.when is not None:
                self.cond(rule.when, rule.span)
            if rule.anchor not in self.statuses:  # a clock may start when the history first shows a status
                self.anchor(rule.anchor, rule.span, f"deadline '{rule.clock}'", after=r"\bafter\b", statuses=True)
            self.life(rule)
            if rule.anchor in self.clocks:
                edges.setdefault(rule.clock, []).append((rule.anchor, rule))
        self.cycles(edges)

    def status(self, name: str, span: Span | None, what: str, after: str | None = None) -> None:
        if name not in self.statuses:
            declared = f"{suggest(name, self.statuses)}" if self.statuses else "; the policy declares no 'statuses'"
            self.add("name", f"unknown status '{name}' in {what}{declared}", locate(span, name, after))

    def life(self, rule: ir.DeadlineRule) -> None:
        """A clock's pause statuses, what stops it, what restarts it: each declared, and a way to stop."""
        life, what = rule.life, f"deadline '{rule.clock}'"
        for name in life.pause:
            self.status(name, rule.span, f"{what} (pause while)", after=r"\bwhile\b")
        for name in life.stop:
            decl = self.fields.get(name)
            if name in self.statuses or name in self.rule_ids or (decl is not None and decl.type.kind == "datetime"):
                continue
            choices = [*self.statuses, *self.rule_ids, *(f for f, d in self.fields.items() if d.type.kind == "datetime")]
            self.add("name", f"unknown '{name}' in {what} (stop at): expected a datetime field, a status or a rule "
                     f"id{suggest(name, choices)}", locate(rule.span, name, r"\bstop at\b"))
        if life.restart is not None:
            self.status(life.restart, rule.span, f"{what} (restart on)", after=r"\brestart on\b")
            if not life.stop:
                self.add("structure", f"{what} restarts on '{life.restart}' but can never stop: add 'stop at' a "
                         "field, status or action", locate(rule.span, "restart"))
        if life.pause and not life.stop and rule.anchor in self.statuses:
            self.add("structure", f"{what} starts at status '{rule.anchor}' and pauses, but can never stop: add "
                     "'stop at' a field, status or action", locate(rule.span, "pause"))
        both = set(life.pause) & set(life.stop)
        if both:
            name = sorted(both)[0]
            self.add("structure", f"{what} both pauses and stops at status '{name}'", locate(rule.span, name))

    def cycles(self, edges: dict[str, list[tuple[str, ir.DeadlineRule]]]) -> None:
        """Report each cycle of clocks once, at the rule that closes it."""
        state: dict[str, int] = {}  # 1 on the stack, 2 done
        stack: list[str] = []
        reported: set[frozenset] = set()

        def visit(clock: str) -> None:
            state[clock] = 1
            stack.append(clock)
            for anchor, rule in edges.get(clock, ()):
                if state.get(anchor) == 1:
                    loop = stack[stack.index(anchor):]
                    if frozenset(loop) not in reported:
                        reported.add(frozenset(loop))
                        chain = " -> ".join([*loop, anchor])
                        self.add("structure", f"deadline clocks form a cycle: {chain}; a clock cannot be measured "
                                 "from itself", locate(rule.span, anchor, after=r"\bafter\b"))
                elif anchor not in state:
                    visit(anchor)
            stack.pop()
            state[clock] = 2

        for clock in self.clocks:
            if clock not in state:
                visit(clock)

    def timing(self, timing: ir.Timing, rule: ir.Rule, what: str) -> None:
        span = timing.span or rule.span
        if timing.kind in ("before", "after") and timing.anchor:
            self.anchor(timing.anchor, span, what, after=rf"\b{timing.kind}\b")

    def escalate(self) -> None:
        for rule in self.policy.escalate:
            for target in rule.targets:
                self.unit(target, rule.span, f"escalation '{rule.id}'", after=rf"\b{rule.action}\b", owner=True)
            if rule.timing.kind == "for":
                self.add("structure", f"escalation '{rule.id}' uses 'for', a retention period; use 'immediately', "
                         "'D before CLOCK' or 'D after CLOCK'", rule.timing.span or rule.span)
            self.timing(rule.timing, rule, f"escalation '{rule.id}'")
            if rule.when is not None:
                self.cond(rule.when, rule.span)

    def compensate(self) -> None:
        c = self.policy.compensate
        if c is None:
            return
        if c.amount is not None:
            decl = self.fields.get(c.amount)
            where = locate(c.span, c.amount, after=r"\bamount\b")
            if decl is None or c.amount == LEVEL:
                self.add("name", f"unknown field '{c.amount}' in compensate 'amount'{suggest(c.amount, self.fields)}",
                         where)
            elif decl.type.kind != "money":
                self.add("type", f"compensate 'amount' must be a money field; '{c.amount}' is {_kind(decl.type)}",
                         where)
            elif decl.personal:
                self.add("type", f"compensate 'amount' reads '{c.amount}', which is personal: a decision log keeps "
                         "it masked, so no remedy may be sized by it", where)
        _dupes(self, c.options, lambda o: o.id, "remedy option")
        _dupes(self, c.authority, lambda a: a.role, "authority for role", word=lambda a: a.role)
        _dupes(self, c.tiers, lambda t: t.level, "tier for level", word=lambda t: t.level, after=r"\btier\b")
        for a in c.authority:
            self.unit(a.role, a.span, "compensate 'authority'")
            self.money(a.limit, a.span, f"the limit of '{a.role}'")
        for t in c.tiers:
            self.level(t.level, t.span, after=r"\btier\b")
            self.unit(t.approver, t.span, f"the tier for '{t.level}'", after=r"\bby\b")
            self.money(t.cap, t.span, f"the cap of tier '{t.level}'")
        for rule in c.rules:
            for option in rule.options:
                if option not in self.options:
                    self.add("name", f"unknown remedy option '{option}' in rule '{rule.id}'"
                             f"{suggest(option, self.options)}", locate(rule.span, option, after=r"\{"))
            self.cond(rule.when, rule.span)

    def follow_up(self) -> None:
        f = self.policy.follow_up
        if f is None:
            return
        rules = [*f.rules, *([f.otherwise] if f.otherwise else [])]
        for rule in rules:
            what = "follow_up 'otherwise'" if rule is f.otherwise else f"follow-up '{rule.id}'"
            if rule.rate is not None and not Decimal(0) <= rule.rate.value <= Decimal(100):
                self.add("structure", f"{what} has rate {rule.rate}; a rate is between 0% and 100%",
                         locate(rule.span, str(rule.rate)) or rule.span)
            if rule.anchor is not None:
                self.anchor(rule.anchor, rule.span, what, after=r"\bafter\b")
            for unit in rule.by:
                self.unit(unit, rule.span, what, after=r"\bby\b", owner=True)
            if rule.when is not None:
                self.cond(rule.when, rule.span)
        if f.until_satisfied is not None and f.until_satisfied < 0:  # 0 means no cap
            self.add("structure", f"'until satisfied at most {f.until_satisfied} times' cannot be negative",
                     locate(f.span, "until"))
        unconditional = any(r.when is None or r.when == ir.TRUE for r in f.rules)
        if f.otherwise is None and not unconditional:
            self.add("structure", "follow_up has no 'otherwise' and no rule without a condition: a record that "
                     "matches no rule gets no follow-up plan", _head(f.span))

    def obligations(self) -> None:
        for rule in self.policy.obligations:
            for unit in rule.by:
                self.unit(unit, rule.span, f"obligation '{rule.id}'", after=r"\bby\b", owner=True)
            self.timing(rule.timing, rule, f"obligation '{rule.id}'")
            if rule.when is not None:
                self.cond(rule.when, rule.span)

    def invariants(self) -> None:
        for rule in self.policy.invariants:
            what = f"invariant '{rule.id}'"
            form = (rule.kind, rule.subject)
            if form not in ir.INVARIANT_FORMS:
                forms = ", ".join(f"{k} {s}" for k, s in ir.INVARIANT_FORMS)
                self.add("structure", f"{what}: '{rule.kind} {rule.subject}' is not an invariant; expected one of "
                         f"{forms}", _rule_span(rule))
                continue
            if ir.INVARIANT_FORMS[form] != (rule.arg is not None):
                need = "needs a name after" if ir.INVARIANT_FORMS[form] else "takes no name after"
                self.add("structure", f"{what}: '{rule.kind} {rule.subject}' {need} '{rule.subject}'", _rule_span(rule))
                continue
            if rule.kind == "monotone" and rule.when is not None:
                self.add("structure", f"{what}: a monotone invariant compares levels over every record; it takes no "
                         "condition", rule.when.span or rule.span)
            after = rf"\b{rule.subject}\b"
            comp = self.policy.compensate
            if rule.subject == "cap" and (comp is None or not comp.tiers):
                self.add("structure", f"{what}: 'monotone cap' needs remedy tiers in a compensate block",
                         _rule_span(rule))
            elif rule.subject == "deadline" and rule.arg not in self.clocks:
                self.add("name", f"unknown clock '{rule.arg}' in {what}{suggest(rule.arg, self.clocks)}",
                         locate(rule.span, rule.arg, after=after))
            elif rule.subject == "route":
                self.unit(rule.arg, rule.span, what, after=after)
            elif rule.subject == "option" and rule.arg not in self.options:
                self.add("name", f"unknown remedy option '{rule.arg}' in {what}{suggest(rule.arg, self.options)}",
                         locate(rule.span, rule.arg, after=after))
            elif rule.subject == "options" and not self.options:
                self.add("structure", f"{what}: 'always options' needs remedy options in a compensate block",
                         _rule_span(rule))
            if rule.when is not None:
                self.cond(rule.when, rule.span)

    # -- conditions
    def cond(self, expr: ir.Expr, fallback: Span | None, in_classify: bool = False) -> None:
        """Check a condition; ``fallback`` (the rule's span) places nodes without a span of their own."""
        getattr(self, "c_" + type(expr).__name__.lower())(expr, expr_span(expr, fallback), in_classify)

    def operand(self, ref: ir.Ref, span: Span | None, in_classify: bool, value: bool = True) -> ir.FieldDecl | None:
        """The field a condition reads; ``value`` False for tests that a decision log can replay from a masked
        personal field (``mentions``, ``is missing``)."""
        if ref.name == LEVEL and in_classify:
            self.add("type", "'level' is what classify decides; it cannot be used in a classify rule",
                     ref.span or span)
            return None
        decl = self.field(ref, span)
        if decl is not None and decl.personal and value:
            self.add("type", f"'{decl.name}' is personal: a condition may only test it with 'mentions' or "
                     "'is missing' (a decision log keeps it masked, and replays only those)", ref.span or span)
        return decl

    def c_and(self, e: ir.And, span, in_classify) -> None:
        for item in e.items:
            self.cond(item, span, in_classify)

    c_or = c_and

    def c_not(self, e: ir.Not, span, in_classify) -> None:
        self.cond(e.item, span, in_classify)

    def c_const(self, e: ir.Const, span, in_classify) -> None:
        if not isinstance(e.value, bool):
            self.add("type", f"{_show(e.value)} is not a condition", span)

    def c_ref(self, e: ir.Ref, span, in_classify) -> None:
        decl = self.operand(e, span, in_classify)
        if decl is not None and decl.type.kind != "bool":
            self.add("type", f"'{e.name}' is {_kind(decl.type)}, not a bool, so it cannot stand alone as a condition; "
                     "compare it or test 'is present'", span)

    def c_missing(self, e: ir.Missing, span, in_classify) -> None:
        self.operand(e.operand, span, in_classify, value=False)

    def c_compare(self, e: ir.Compare, span, in_classify) -> None:
        if not isinstance(e.left, ir.Ref) or not isinstance(e.right, ir.Const):
            self.add("type", "a comparison needs a field on the left and a value on the right", span)
            return
        decl = self.operand(e.left, span, in_classify)
        if decl is None:
            return
        name, kind, value = e.left.name, decl.type.kind, e.right.value
        right = e.right.span or span
        if (isinstance(value, str) and value in _NO_VALUE_WORDS and e.op in ("==", "!=")
                and value not in decl.type.members and not _quoted(right)):  # fmt: skip
            test = "is missing" if e.op == "==" else "is present"
            self.add("type", f"'{name} {e.op} {value}' compares '{name}' with the word '{value}'; to test whether "
                     f"it has a value, write '{name} {test}'", right)
            return
        if e.op not in ("==", "!=") and kind not in ORDERED_KINDS:
            use = {"enum": "'in {...}'", "set": "'has any {...}'", "text": "'mentions any {...}'"}.get(kind, "'=='")
            self.add("type", f"'{e.op}' needs an ordered value, but '{name}' is {_kind(decl.type)}; use {use}",
                     locate(span, e.op))
            return
        if kind == "enum" and isinstance(value, str):
            if name == LEVEL:
                self.level(value, right)
            elif value not in decl.type.members:
                self.add("name", f"unknown member '{value}' of '{name}'{suggest(value, decl.type.members)}", right)
            return
        problem = self.misfit(value, decl.type)
        if problem is None:
            return
        if isinstance(value, ir.Money) and kind == "money":
            currency = decl.type.currency or self.currency
            self.add("type", f"'{name}' is in {currency}, but is compared with {value}", right)
        elif kind == "set" and isinstance(value, frozenset):
            self.add("name", f"in '{name}': {problem}", right)
        else:
            self.add("type", f"cannot compare '{name}' ({_kind(decl.type)}) with {_show(value)}", right)

    def members(self, e, members: frozenset, decl: ir.FieldDecl, span: Span | None) -> None:
        for m in sorted(members):
            if decl.name == LEVEL:
                self.level(m, span, after=r"\{")
            elif m not in decl.type.members:
                self.add("name", f"unknown member '{m}' of '{decl.name}'{suggest(m, decl.type.members)}",
                         locate(span, m, after=r"\{"))

    def c_inset(self, e: ir.InSet, span, in_classify) -> None:
        decl = self.operand(e.operand, span, in_classify)
        self.empty(e.members, span)
        if decl is None:
            return
        word = "not in" if e.negated else "in"
        if decl.type.kind == "enum":
            self.members(e, e.members, decl, span)
        elif decl.type.kind != "text":
            use = " (use 'has any {...}')" if decl.type.kind == "set" else ""
            self.add("type", f"'{word}' needs an enum or text field, but '{decl.name}' is {_kind(decl.type)}{use}",
                     locate(span, word))

    def c_has(self, e: ir.Has, span, in_classify) -> None:
        decl = self.operand(e.operand, span, in_classify)
        self.empty(e.members, span)
        if decl is None:
            return
        if decl.type.kind == "set":
            self.members(e, e.members, decl, span)
        else:
            use = " (use 'in {...}')" if decl.type.kind == "enum" else ""
            self.add("type", f"'has {e.quantifier}' needs a set field, but '{decl.name}' is {_kind(decl.type)}{use}",
                     locate(span, "has"))

    def c_mentions(self, e: ir.Mentions, span, in_classify) -> None:
        decl = self.operand(e.operand, span, in_classify, value=False)
        self.empty(e.keywords, span)
        if decl is not None and decl.type.kind != "text":
            self.add("type", f"'mentions {e.quantifier}' needs a text field, but '{decl.name}' is {_kind(decl.type)}",
                     locate(span, "mentions"))

    def empty(self, members: frozenset, span: Span | None) -> None:
        if not members:
            self.add("structure", "an empty set: this test never matches anything", locate(span, "{"))

    # -- embedded tests
    def tests(self) -> None:
        _dupes(self, self.policy.tests, lambda t: t.name, "test name", word=lambda t: f'"{t.name}"')
        for test in self.policy.tests:
            _dupes(self, test.given, lambda a: a.name, "value in 'given' for")
            _dupes(self, test.expect, lambda x: (x.key, x.arg), "expectation", word=lambda x: x.key,
                   show=lambda k: k[0] if k[1] is None else f"{k[0]} {k[1]}")
            for a in test.given:
                if a.name == FOLLOW_UPS:
                    self.follow_ups_given(a)
                    continue
                if a.name == HISTORY:
                    self.history_given(a)
                    continue
                decl = self.fields.get(a.name)
                where = locate(a.span, a.name)
                if decl is None or a.name == LEVEL:
                    fields = [f for f in self.fields if f != LEVEL]
                    self.add("name", f"unknown field '{a.name}' in 'given'{suggest(a.name, fields)}", where)
                    continue
                problem = self.misfit(a.value, decl.type)
                if problem:
                    kind = "name" if decl.type.kind in ("enum", "set") and "not a member" in problem else "type"
                    self.add(kind, f"bad value for '{a.name}': {problem}", _after(a.span, ":"))
            for x in test.expect:
                self.expectation(x)

    def follow_ups_given(self, a: ir.Assignment) -> None:
        """``follow_ups: [{at: ..., method: ..., satisfied: ...}]`` in a test's ``given``."""
        where = _after(a.span, ":")
        if not isinstance(a.value, tuple):
            self.add("type", f"bad value for '{FOLLOW_UPS}': expected a list of {{at, method, satisfied}}", where)
            return
        kinds = {"at": dt.datetime, "method": str, "satisfied": bool}
        for i, entry in enumerate(a.value):
            keys = dict(entry.fields)
            if "at" not in keys:
                self.add("type", f"follow-up {i + 1} in 'given' needs 'at' (when it took place)", where)
            for key, value in entry.fields:
                if key not in kinds:
                    self.add("name", f"unknown key '{key}' in follow-up {i + 1}{suggest(key, kinds)}", where)
                elif not isinstance(value, kinds[key]) or (kinds[key] is str and isinstance(value, bool)):
                    self.add("type", f"'{key}' of follow-up {i + 1} must be a {kinds[key].__name__}, "
                             f"not {_show(value)}", where)

    def history_given(self, a: ir.Assignment) -> None:
        """``history: [{at: ..., status: waiting_customer}, {at: ..., rule: tell_gm}]`` in a test's ``given``."""
        where = _after(a.span, ":")
        if not isinstance(a.value, tuple):
            self.add("type", f"bad value for '{HISTORY}': expected a list of {{at, status | level | rule}}", where)
            return
        known = {"status": self.statuses, "level": self.level_ids, "rule": self.rule_ids}
        for i, entry in enumerate(a.value):
            keys = dict(entry.fields)
            if not isinstance(keys.get("at"), dt.datetime):
                self.add("type", f"history entry {i + 1} in 'given' needs 'at' (a datetime)", where)
            for key, value in entry.fields:
                if key in ("at", "action"):
                    continue
                if key not in known:
                    self.add("name", f"unknown key '{key}' in history entry {i + 1}"
                             f"{suggest(key, ['at', *known, 'action'])}", where)
                elif value not in known[key]:
                    self.add("name", f"unknown {key} '{value}' in history entry {i + 1}{suggest(str(value), known[key])}",
                             locate(a.span, str(value)))

    def expectation(self, x: ir.Expectation) -> None:
        value, key, at_value = x.value, x.key, _after(x.span, ":")
        if key == "deadline":
            if x.arg not in self.clocks:
                self.add("name", f"unknown clock '{x.arg}' in expect{suggest(x.arg or '', self.clocks)}",
                         locate(x.span, x.arg or "", after=r"\bdeadline\b"))
            if value is not None and not isinstance(value, dt.datetime):
                self.add("type", f"expect 'deadline' takes a datetime or none, not {_show(value)}", at_value)
            return
        if key in _SCALAR_EXPECTS:
            typ, what = _SCALAR_EXPECTS[key]
            if not isinstance(value, typ) and not (value is None and key != "within_authority"):
                self.add("type", f"expect '{key}' takes {what}, not {_show(value)}", at_value)
            elif isinstance(value, ir.Money):
                self.money(value, at_value, "the expected cap")
            return
        known = {
            "level": ("level", self.level_ids), "tier": ("level", self.level_ids),
            "routes": ("unit", self.units), "owner": ("unit", self.units),
            "approver": ("unit", self.units), "follow_up_by": ("unit", self.units),
            "options": ("remedy option", self.options), "rules": ("rule", self.rule_ids),
            "obligations": ("obligation rule", [r.id for r in self.policy.obligations]),
            "escalations": ("escalation rule", [r.id for r in self.policy.escalate]),
            "follow_up": ("follow-up status", FOLLOW_UP_STATES),
        }
        if key not in known:
            self.add("name", f"unknown expectation '{key}'{suggest(key, (*ir.EXPECT_KEYS, 'deadline'))}",
                     locate(x.span, key))
            return
        what, names = known[key]
        given = sorted(value) if isinstance(value, (frozenset, tuple)) else [value] if isinstance(value, str) else []
        if value is not None and not given:
            self.add("type", f"expect '{key}' takes {what} names, not {_show(value)}", at_value)
        for name in given if names is not None else ():
            if what == "level":
                self.level(name, x.span, after=":")
            elif name not in names:
                self.add("name", f"unknown {what} '{name}' in expect '{key}'{suggest(name, names)}",
                         locate(x.span, name, after=":"))


# ---------------------------------------------------------------------------- helpers


def expr_span(expr: ir.Expr, fallback: Span | None) -> Span | None:
    return getattr(expr, "span", None) or fallback


def _rule_span(rule: ir.Rule) -> Span | None:
    return locate(rule.span, rule.id, after=r"\brule\b")


def _at(span: Span | None) -> str:
    return span.location() if span is not None else "<policy>"


def _dupes(checker: _Checker, items, key, what: str, word=None, after: str | None = None, show=None) -> None:
    """Report every item whose key was already used, pointing back at the first."""
    seen: dict = {}
    for item in items:
        k = key(item)
        if k in seen:
            text = word(item) if word else k
            label = show(k) if show else k
            where = locate(item.span, text, after)
            checker.add("structure", f"duplicate {what} '{label}' (first at {_at(seen[k].span)})", where)
        else:
            seen[k] = item


_WORKING_UNITS = frozenset({"working_days", "business_hours", "end_of_day"})


def _counts_working_time(node) -> bool:
    """Whether any duration in the policy is in working days, business hours or ``end of day``."""
    if isinstance(node, ir.Duration):
        return node.unit in _WORKING_UNITS
    if isinstance(node, (tuple, frozenset)):
        return any(_counts_working_time(n) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type) and not isinstance(node, ir.Header):
        return any(_counts_working_time(getattr(node, f.name)) for f in dataclasses.fields(node)
                   if f.name not in ("span", "comments", "trailing", "comment_slots"))  # fmt: skip
    return False


@functools.lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    # Empty without a tz database: the check is then skipped rather than rejecting every zone.
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())
