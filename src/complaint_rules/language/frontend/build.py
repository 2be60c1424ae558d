"""Lark tree -> IR: one method per grammar rule, spans from Lark's positions, errors collected.

One module: one Transformer method per grammar rule, so its size follows the grammar's.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from lark import Token, Transformer, v_args

from ... import ir, limits
from ...errors import Diagnostics
from ...span import Source, Span

_SHORT_UNITS = {
    "min": "minutes",
    "h": "hours",
    "bh": "business_hours",
    "d": "days",
    "wd": "working_days",
    "w": "weeks",
    "mo": "months",
    "y": "years",
}


def invariant_forms() -> str:
    """The invariant forms in words, for messages: ``monotone cap, monotone deadline CLOCK, ...``."""
    words = {"deadline": "CLOCK", "route": "UNIT", "option": "OPTION"}
    return ", ".join(f"{k} {s}" + (f" {words[s]}" if named else "") for (k, s), named in ir.INVARIANT_FORMS.items())




def unquote(token: str) -> str:
    body = token[1:-1]
    if "\\" not in body:
        return body
    try:
        return json.loads(token)
    except ValueError:
        pass
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class _Tagged:
    """An intermediate value with a tag (e.g. a rule head, a `when`, a `note`)."""

    __slots__ = ("span", "tag", "value")

    def __init__(self, tag: str, value, span: Span | None = None):
        self.tag, self.value, self.span = tag, value, span

    def __repr__(self) -> str:
        return f"_Tagged({self.tag!r}, {self.value!r})"


def _const(value) -> ir.Const:
    """Durations come back bare from the grammar; in value positions they are constants like the rest."""
    return value if isinstance(value, ir.Const) else ir.Const(value)


def _tag(children, tag, default=None):
    for c in children:
        if isinstance(c, _Tagged) and c.tag == tag:
            return c
    return default


def _tagval(children, tag, default=None):
    t = _tag(children, tag)
    return default if t is None else t.value


class Shift:
    """Maps positions inside a fragment to positions in the file that holds it."""

    def __init__(self, source: Source, line: int, column: int):
        self.source, self.line, self.column = source, line, column

    def fragment_source(self, text: str) -> Source:
        return self.source

    def span(self, line: int, column: int, end_line: int | None, end_column: int | None) -> Span:
        def col(ln: int, c: int) -> int:
            return c + self.column - 1 if ln == 1 else c

        return Span(
            self.source,
            line + self.line - 1,
            col(line, column),
            None if end_line is None else end_line + self.line - 1,
            None if end_line is None or end_column is None else col(end_line, end_column),
        )


@v_args(meta=True)
class Builder(Transformer):
    """Builds IR nodes with spans from a Lark tree; collects non-syntax errors."""

    def __init__(self, source: Source, shift: Shift | None):
        super().__init__()
        self.source = source
        self.shift = shift
        self.diagnostics = Diagnostics()

    # -- helpers
    def span(self, meta) -> Span | None:
        if getattr(meta, "empty", True) and not hasattr(meta, "line"):
            return None
        line = getattr(meta, "line", None)
        if line is None:
            return None
        if self.shift:
            return self.shift.span(meta.line, meta.column, meta.end_line, meta.end_column)
        return Span(self.source, meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, token: Token) -> Span | None:
        if self.shift:
            return self.shift.span(token.line, token.column, token.end_line, token.end_column)
        return Span(self.source, token.line, token.column, token.end_line, token.end_column)

    def error(self, message: str, where) -> None:
        span = self.tspan(where) if isinstance(where, Token) else where
        self.diagnostics.add("syntax", message, span)

    def ints(self, token: Token) -> int:
        text = str(token)
        if not text.isdigit():
            self.error(f"expected a whole number, got {text}", token)
            return 0
        if not self.small(token):
            return 0
        return int(text)

    def small(self, token: Token) -> bool:
        """Whether a number literal is within :data:`limits.MAX_NUMBER` characters (else an error)."""
        if len(token) <= limits.MAX_NUMBER:
            return True
        self.error(f"a number of {len(token)} characters is too long (at most {limits.MAX_NUMBER})", token)
        return False

    def length(self, duration: ir.Duration, meta) -> ir.Duration:
        problem = limits.duration_problem(duration.amount, duration.unit)
        if problem is not None:
            self.error(problem, self.span(meta))
            return ir.Duration(0, duration.unit)
        return duration

    # -- top level
    def start(self, meta, children):
        header = children[0]
        extends = _tagval(children, "extends")
        drops = _tagval(children, "drop", ())
        kw: dict = {}
        seen: dict[str, Span | None] = {}
        for c in children[1:]:
            if not isinstance(c, _Tagged) or c.tag in ("extends", "drop"):
                continue
            if c.tag == "test":
                kw.setdefault("tests", []).append(c.value)
                continue
            if c.tag in seen:
                self.diagnostics.add("structure", f"block '{c.tag}' appears twice; merge them into one", c.span)
                continue
            seen[c.tag] = c.span
            kw[c.tag] = c.value
        if "tests" in kw:
            kw["tests"] = tuple(kw["tests"])
        return ir.Policy(header=header, extends=extends, drops=drops, span=self.span(meta), **kw)

    def header(self, meta, children):
        ident = unquote(children[0])
        kw: dict = {}
        for c in children[1:]:
            key, value = c.tag, c.value
            if key in kw and key not in ("holidays", "workdays"):
                self.error(f"'{key}' is set twice in the header", c.span)
            if key in ("holidays", "workdays"):
                value = kw.get(key, ()) + value
            if key == "calendar":
                value, kw["nationwide"], kw["calendar_data"] = value
            kw[key] = value
        return ir.Header(id=ident, span=self.span(meta), **kw)

    def _h(name, conv):
        def method(self, meta, children):
            return _Tagged(name, conv(self, children), self.span(meta))

        return method

    h_title = _h("title", lambda self, c: unquote(c[0]))
    h_version = _h("version", lambda self, c: unquote(c[0]))
    h_effective = _h("effective", lambda self, c: self._date(c[0]))
    h_currency = _h("currency", lambda self, c: str(c[0]))
    h_calendar = _h("calendar", lambda self, c: (
        unquote(c[0]),
        True if any(isinstance(t, Token) and t.type == "NATIONWIDE" for t in c) else None,
        next((unquote(t) for t in c[1:] if isinstance(t, Token) and t.type == "STRING"), None),
    ))
    h_hours = _h("hours", lambda self, c: (self._time(c[0]), self._time(c[1])))
    h_timezone = _h("timezone", lambda self, c: unquote(c[0]))
    h_holidays = _h("holidays", lambda self, c: tuple(self._date(t) for t in c))
    h_workdays = _h("workdays", lambda self, c: tuple(self._date(t) for t in c))
    del _h

    def extends(self, meta, children):
        return _Tagged("extends", unquote(children[0]), self.span(meta))

    def drop(self, meta, children):
        return _Tagged("drop", tuple(ir.Named(str(t), span=self.tspan(t)) for t in children), self.span(meta))

    # -- record
    def record(self, meta, children):
        return _Tagged("record", tuple(children), self.span(meta))

    def field(self, meta, children):
        name = children[0]
        ftype = children[1]
        default = _tagval(children, "default")
        required = any(isinstance(c, Token) and c.type == "REQUIRED" for c in children)
        personal = any(isinstance(c, Token) and c.type == "PERSONAL" for c in children)
        label = next((unquote(c) for c in children[2:] if isinstance(c, Token) and c.type == "STRING"), None)
        return ir.FieldDecl(str(name), ftype, default, required, label, span=self.span(meta), personal=personal)

    def simple_type(self, meta, children):
        kind = str(children[0])
        currency = str(children[1]) if len(children) > 1 else None
        simple = [k for k in ir.FIELD_KINDS if k not in ("enum", "set")]
        if kind not in simple:
            from difflib import get_close_matches

            hint = get_close_matches(kind, simple, n=1)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else f"; expected one of {', '.join(simple)}, enum, set of enum"
            self.error(f"unknown type '{kind}'{suffix}", children[0])
        if currency is not None and kind != "money":
            self.error(f"only money takes a currency, not {kind}", children[1])
            currency = None
        return ir.FieldType(kind, (), currency)

    def enum_type(self, meta, children):
        return ir.FieldType("enum", self._unique_names(children))

    def set_type(self, meta, children):
        return ir.FieldType("set", self._unique_names(children))

    def _unique_names(self, tokens) -> tuple[str, ...]:
        seen: list[str] = []
        for t in tokens:
            if str(t) in seen:
                self.error(f"'{t}' is listed twice", t)
            else:
                seen.append(str(t))
        return tuple(seen)

    def default(self, meta, children):
        return _Tagged("default", _const(children[0]).value, self.span(meta))

    # -- declarations
    def named(self, meta, children):
        label = unquote(children[1]) if len(children) > 1 else None
        return ir.Named(str(children[0]), label, span=self.span(meta))

    def units(self, meta, children):
        return _Tagged("units", tuple(children), self.span(meta))

    def levels(self, meta, children):
        return _Tagged("levels", tuple(children), self.span(meta))

    def statuses(self, meta, children):
        return _Tagged("statuses", tuple(children), self.span(meta))

    # -- rule pieces
    def rule_head(self, meta, children):
        position = children[1] if len(children) > 1 else None
        return _Tagged("head", (str(children[0]), position), self.span(meta))

    def position(self, meta, children):
        return ir.Position(str(children[0]), str(children[1]), span=self.span(meta))

    def note(self, meta, children):
        return _Tagged("note", unquote(children[0]), self.span(meta))

    def when(self, meta, children):
        return _Tagged("when", children[0], self.span(meta))

    def hit(self, meta, children):
        return str(children[0])

    def action(self, meta, children):
        return str(children[0])

    remedy_action = action
    quant = action

    def _rule_common(self, meta, children) -> dict:
        rid, position = _tagval(children, "head")
        return {
            "id": rid,
            "note": _tagval(children, "note"),
            "position": position,
            "span": self.span(meta),
        }

    # -- classify / route
    def classify(self, meta, children):
        hit = children[0]
        rules = tuple(c for c in children if isinstance(c, ir.ClassifyRule))
        otherwise = _tagval(children, "otherwise")
        if hit not in ("first", "highest"):
            self.error(f"classify takes hit policy 'first' or 'highest', not '{hit}'", self.span(meta))
        return _Tagged("classify", ir.Classify(hit, rules, otherwise, span=self.span(meta)), self.span(meta))

    def classify_rule(self, meta, children):
        exprs = [c for c in children if not isinstance(c, (_Tagged, Token))]
        level = next(c for c in children if isinstance(c, Token) and c.type == "NAME")
        return ir.ClassifyRule(when=exprs[0], level=str(level), **self._rule_common(meta, children))

    def otherwise_level(self, meta, children):
        return _Tagged("otherwise", str(children[0]), self.span(meta))

    def route(self, meta, children):
        hit = children[0]
        rules = tuple(c for c in children if isinstance(c, ir.RouteRule))
        otherwise = _tagval(children, "otherwise")
        if hit not in ("first", "all"):
            self.error(f"route takes hit policy 'first' or 'all', not '{hit}'", self.span(meta))
        return _Tagged("route", ir.Route(hit, rules, otherwise, span=self.span(meta)), self.span(meta))

    def route_rule(self, meta, children):
        exprs = [c for c in children if not isinstance(c, (_Tagged, Token))]
        targets = tuple(str(c) for c in children if isinstance(c, Token) and c.type == "NAME")
        return ir.RouteRule(when=exprs[0], targets=targets, **self._rule_common(meta, children))

    def otherwise_units(self, meta, children):
        return _Tagged("otherwise", tuple(str(c) for c in children), self.span(meta))

    # -- deadlines / escalations / obligations
    def deadlines(self, meta, children):
        return _Tagged("deadlines", tuple(children), self.span(meta))

    def deadline_rule(self, meta, children):
        names = [c for c in children if isinstance(c, Token) and c.type == "NAME"]
        duration = next(c for c in children if isinstance(c, ir.Duration))
        parts: dict = {}
        spans = [c.span for c in children if isinstance(c, _Tagged) and c.tag.startswith("life.")]
        for c in children:
            if isinstance(c, _Tagged) and c.tag.startswith("life."):
                key = c.tag[5:]
                if key in parts:
                    self.error(f"'{key}' is given twice for this clock", c.span)
                parts[key] = c.value
        life = ir.ClockLife(**parts, span=spans[0] if spans else None) if parts else ir.NO_LIFE
        return ir.DeadlineRule(
            clock=str(names[0]),
            duration=duration,
            anchor=str(names[1]),
            when=_tagval(children, "when"),
            life=life,
            **self._rule_common(meta, children),
        )

    def life_pause(self, meta, children):
        return _Tagged("life.pause", tuple(sorted(children[0].value)), self.span(meta))

    def life_stop(self, meta, children):
        return _Tagged("life.stop", tuple(dict.fromkeys(str(c) for c in children)), self.span(meta))

    def life_restart(self, meta, children):
        return _Tagged("life.restart", str(children[0]), self.span(meta))

    def life_warn(self, meta, children):
        return _Tagged("life.warn", children[0], self.span(meta))

    def warn_at(self, meta, children):
        pct = self._percent(children[0])
        if not 0 < pct.value < 100:
            self.error(f"'warn at' takes a share of the clock's length between 0% and 100%, not {pct}", self.span(meta))
        return pct

    def warn_before(self, meta, children):
        duration = children[0]
        if duration.amount <= 0:
            self.error(f"'warn ... before' takes a length of time greater than zero, not {duration}", self.span(meta))
        return duration

    def escalate(self, meta, children):
        return _Tagged("escalate", tuple(children), self.span(meta))

    def escalation_rule(self, meta, children):
        action = children[1]
        targets = tuple(str(c) for c in children if isinstance(c, Token) and c.type == "NAME")
        timing = next(c for c in children if isinstance(c, ir.Timing))
        return ir.EscalationRule(
            action=action,
            targets=targets,
            timing=timing,
            when=_tagval(children, "when"),
            **self._rule_common(meta, children),
        )

    def t_immediately(self, meta, children):
        return ir.Timing("immediately", span=self.span(meta))

    def t_before(self, meta, children):
        return ir.Timing("before", children[0], str(children[1]), span=self.span(meta))

    def t_after(self, meta, children):
        return ir.Timing("after", children[0], str(children[1]), span=self.span(meta))

    def t_for(self, meta, children):
        return ir.Timing("for", children[0], None, span=self.span(meta))

    def obligations(self, meta, children):
        return _Tagged("obligations", tuple(children), self.span(meta))

    def obligation_rule(self, meta, children):
        names = [c for c in children if isinstance(c, Token) and c.type == "NAME"]
        label = next((unquote(c) for c in children if isinstance(c, Token) and c.type == "STRING"), None)
        timing = next((c for c in children if isinstance(c, ir.Timing)), ir.IMMEDIATELY)
        return ir.ObligationRule(
            action=str(names[0]),
            label=label,
            by=tuple(str(n) for n in names[1:]),
            timing=timing,
            when=_tagval(children, "when"),
            **self._rule_common(meta, children),
        )

    # -- invariants
    def invariants(self, meta, children):
        return _Tagged("invariants", tuple(children), self.span(meta))

    def invariant_rule(self, meta, children):
        kind = next(c for c in children if isinstance(c, str) and not isinstance(c, Token))
        names = [c for c in children if isinstance(c, Token) and c.type == "NAME"]
        subject, arg = str(names[0]), (str(names[1]) if len(names) > 1 else None)
        when = _tagval(children, "when")
        named = ir.INVARIANT_FORMS.get((kind, subject))
        if named is None or named != (arg is not None):
            self.error(f"'{kind} {subject}{'' if arg is None else ' ' + arg}' is not an invariant; expected "
                       f"{invariant_forms()}", self.span(meta))
        elif kind == "monotone" and when is not None:
            self.error("a monotone invariant compares levels over every record; it takes no 'when'",
                       _tag(children, "when").span)
        return ir.InvariantRule(kind=kind, subject=subject, arg=arg, when=when, **self._rule_common(meta, children))

    inv_kind = action

    # -- compensate
    def compensate(self, meta, children):
        kw: dict = {}
        tiers, rules, authority = [], [], []
        for c in children:
            if isinstance(c, ir.Tier):
                tiers.append(c)
            elif isinstance(c, ir.RemedyRule):
                rules.append(c)
            elif isinstance(c, _Tagged) and c.tag == "authority":
                authority.extend(c.value)
            elif isinstance(c, _Tagged):
                if c.tag in kw:
                    self.error(f"'{c.tag}' is given twice in compensate", c.span)
                kw[c.tag] = c.value
        value = ir.Compensate(
            amount=kw.get("amount"),
            options=kw.get("options", ()),
            authority=tuple(authority),
            tiers=tuple(tiers),
            rules=tuple(rules),
            span=self.span(meta),
        )
        return _Tagged("compensate", value, self.span(meta))

    def comp_amount(self, meta, children):
        return _Tagged("amount", str(children[0]), self.span(meta))

    def comp_options(self, meta, children):
        return _Tagged("options", tuple(children), self.span(meta))

    def comp_authority(self, meta, children):
        return _Tagged("authority", tuple(children), self.span(meta))

    def authority(self, meta, children):
        return ir.Authority(str(children[0]), children[1].value, span=self.span(meta))

    def tier(self, meta, children):
        return ir.Tier(str(children[0]), children[1].value, str(children[2]), span=self.span(meta))

    def remedy_rule(self, meta, children):
        action = children[1]
        members = next(c for c in children if isinstance(c, ir.Const)).value
        when = _tagval(children, "when") or ir.Const(True)
        return ir.RemedyRule(action=action, options=tuple(sorted(members)), when=when, **self._rule_common(meta, children))

    # -- follow-up
    def follow_up(self, meta, children):
        rules = tuple(c for c in children if isinstance(c, ir.FollowUpRule) and c.id != "follow_up.otherwise")
        otherwise = [c for c in children if isinstance(c, ir.FollowUpRule) and c.id == "follow_up.otherwise"]
        until = [c for c in children if isinstance(c, _Tagged) and c.tag == "until"]
        if len(otherwise) > 1:
            self.error("follow_up has more than one 'otherwise'", otherwise[1].span)
        if len(until) > 1:
            self.error("follow_up has more than one 'until satisfied'", until[1].span)
        value = ir.FollowUp(
            rules=rules,
            otherwise=otherwise[0] if otherwise else None,
            until_satisfied=until[0].value if until else None,
            span=self.span(meta),
        )
        return _Tagged("follow_up", value, self.span(meta))

    def fu_rule(self, meta, children):
        body = _tagval(children, "fu")
        return ir.FollowUpRule(when=_tagval(children, "when"), **body, **self._rule_common(meta, children))

    def fu_otherwise(self, meta, children):
        body = _tagval(children, "fu")
        return ir.FollowUpRule(
            id="follow_up.otherwise", note=_tagval(children, "note"), span=self.span(meta), **body
        )

    def fu_none(self, meta, children):
        return _Tagged("fu", {"rate": None}, self.span(meta))

    def fu_rate(self, meta, children):
        rate = self._percent(children[0])
        return _Tagged(
            "fu",
            {
                "rate": rate,
                "window": children[1],
                "anchor": str(children[2]),
                "by": _tagval(children, "by", ()),
                "via": _tagval(children, "via", ()),
            },
            self.span(meta),
        )

    def fu_by(self, meta, children):
        return _Tagged("by", tuple(str(c) for c in children), self.span(meta))

    def fu_via(self, meta, children):
        return _Tagged("via", tuple(str(c) for c in children), self.span(meta))

    def fu_until(self, meta, children):
        times = self.ints(children[0]) if children else 0
        return _Tagged("until", times, self.span(meta))

    # -- tests
    def test(self, meta, children):
        name = unquote(children[0])
        given = _tagval(children, "given", ())
        now = _tagval(children, "now")
        expect = _tagval(children, "expect", ())
        return _Tagged("test", ir.TestCase(name, given, expect, now, span=self.span(meta)), self.span(meta))

    def given(self, meta, children):
        return _Tagged("given", tuple(children), self.span(meta))

    def assignment(self, meta, children):
        value = _const(children[1]).value
        return ir.Assignment(str(children[0]), value, span=self.span(meta))

    def assignment_list(self, meta, children):
        return ir.Assignment(str(children[0]), tuple(children[1:]), span=self.span(meta))

    def entry(self, meta, children):
        pairs = [(str(children[i]), _const(children[i + 1]).value) for i in range(0, len(children), 2)]
        if len({k for k, _ in pairs}) != len(pairs):
            self.error("an entry gives the same key twice", self.span(meta))
        return ir.Entry(tuple(pairs))

    def now(self, meta, children):
        return _Tagged("now", self._datetime(children[0]), self.span(meta))

    def expect(self, meta, children):
        return _Tagged("expect", tuple(children), self.span(meta))

    def expect_key(self, meta, children):
        return str(children[0])

    def expect_item(self, meta, children):
        key = children[0]
        return ir.Expectation(key, self._expected(children[1]), span=self.span(meta))

    def expect_deadline(self, meta, children):
        return ir.Expectation("deadline", self._expected(children[1]), arg=str(children[0]), span=self.span(meta))

    def _expected(self, value):
        if isinstance(value, ir.Const):
            return value.value
        return value

    def none(self, meta, children):
        return None

    def ordered(self, meta, children):
        return tuple(str(c) for c in children)

    # -- conditions
    def or_cond(self, meta, children):
        return ir.Or(tuple(children), span=self.span(meta))

    def and_cond(self, meta, children):
        return ir.And(tuple(children), span=self.span(meta))

    def not_(self, meta, children):
        return ir.Not(children[0], span=self.span(meta))

    def _ref(self, token: Token) -> ir.Ref:
        return ir.Ref(str(token), span=self.tspan(token))

    def compare(self, meta, children):
        return ir.Compare(str(children[1]), self._ref(children[0]), _const(children[2]), span=self.span(meta))

    def in_(self, meta, children):
        return ir.InSet(self._ref(children[0]), children[1].value, False, span=self.span(meta))

    def not_in(self, meta, children):
        return ir.InSet(self._ref(children[0]), children[1].value, True, span=self.span(meta))

    def has(self, meta, children):
        return ir.Has(self._ref(children[0]), children[1], children[2].value, span=self.span(meta))

    def mentions(self, meta, children):
        words = children[2].value
        return ir.Mentions(self._ref(children[0]), children[1], words, span=self.span(meta))

    def missing(self, meta, children):
        return ir.Missing(self._ref(children[0]), False, span=self.span(meta))

    def present(self, meta, children):
        return ir.Missing(self._ref(children[0]), True, span=self.span(meta))

    def bare(self, meta, children):
        return self._ref(children[0])

    def true(self, meta, children):
        return ir.Const(True, span=self.span(meta))

    def false(self, meta, children):
        return ir.Const(False, span=self.span(meta))

    # -- values (all come back as ir.Const so that spans are kept)
    def number(self, meta, children):
        text = str(children[0])
        if not self.small(children[0]):
            text = "0"
        value: int | Decimal = int(text) if "." not in text else Decimal(text)
        return ir.Const(value, span=self.span(meta))

    def money(self, meta, children):
        return ir.Const(ir.Money(self._decimal(children[0]), str(children[1])), span=self.span(meta))

    def percent(self, meta, children):
        return ir.Const(self._percent(children[0]), span=self.span(meta))

    def date(self, meta, children):
        return ir.Const(self._date(children[0]), span=self.span(meta))

    def datetime(self, meta, children):
        return ir.Const(self._datetime(children[0]), span=self.span(meta))

    def string(self, meta, children):
        return ir.Const(unquote(children[0]), span=self.span(meta))

    def member(self, meta, children):
        return ir.Const(str(children[0]), span=self.span(meta))

    def due(self, meta, children):
        return children[0]

    def end_of_day(self, meta, children):
        return ir.Duration(0, "end_of_day")

    def end_of_days(self, meta, children):
        amount, unit = self.ints(children[0]), children[1]
        if unit != "working_days":
            self.error(f"'end of' counts working days: write 'end of {amount} working days' "
                       f"(or '{amount} {unit.replace('_', ' ')}' for a length of time)", self.span(meta))
        return self.length(ir.Duration(amount, "end_of_day"), meta)

    def duration_long(self, meta, children):
        amount = self.ints(children[0])
        unit = children[1]
        return self.length(ir.Duration(amount, unit), meta)

    def dur_unit(self, meta, children):
        words = [str(c) for c in children]
        unit = "_".join(words)
        if not unit.endswith("s"):
            unit += "s"
        return unit

    def duration_short(self, meta, children):
        text = str(children[0])
        digits = "".join(ch for ch in text if ch.isdigit())
        amount = int(digits) if self.small(children[0]) else 0
        return self.length(ir.Duration(amount, _SHORT_UNITS[text[len(digits):]]), meta)

    def set(self, meta, children):
        members = [unquote(c) if c.type == "STRING" else str(c) for c in children]
        value = frozenset(members)
        if len(value) != len(members):
            self.error("a set lists the same member twice", self.span(meta))
        return ir.Const(value, span=self.span(meta))


    # -- token conversions
    def _decimal(self, token: Token) -> Decimal:
        if not self.small(token):
            return Decimal(0)
        try:
            return Decimal(str(token))
        except InvalidOperation:
            self.error(f"bad number {token}", token)
            return Decimal(0)

    def _percent(self, token: Token) -> ir.Percent:
        value = self._decimal(Token(token.type, str(token).rstrip("%"), token.start_pos, token.line, token.column,
                                    token.end_line, token.end_column, token.end_pos))
        if not Decimal(0) <= value <= Decimal(100):
            self.error(f"a percentage must be between 0% and 100%, not {token}", token)
        return ir.Percent(value)

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.error(f"'{token}' is not a valid date", token)
            return dt.date(1970, 1, 1)

    def _time(self, token: Token) -> dt.time:
        try:
            return dt.time.fromisoformat(str(token))
        except ValueError:
            self.error(f"'{token}' is not a valid time of day", token)
            return dt.time(0, 0)

    def _datetime(self, token: Token) -> dt.datetime:
        text = str(token)
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.error(f"'{token}' is not a valid date-time", token)
            return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        if value.tzinfo is None:
            self.error(f"date-time '{token}' needs a UTC offset, e.g. {text}+08:00", token)
            return value.replace(tzinfo=dt.timezone.utc)
        return value
