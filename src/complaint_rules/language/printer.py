"""IR -> canonical DSL text. ``parse(print_policy(p)) == p`` for every policy, comments kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import re
from decimal import Decimal

from .. import ir

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
# Words that a bare value would be read back as something else.
_NOT_BARE = frozenset({"true", "false", "none"})
INDENT = "  "


class _Slots:
    """The comments of :attr:`ir.Policy.comment_slots`, each taken once where its construct is printed."""

    def __init__(self, slots: tuple[ir.CommentSlot, ...]):
        self._by: dict[str, list[str]] = {}
        for s in slots:
            if s.comments:
                self._by.setdefault(s.where, []).extend(s.comments)

    def has(self, *names: str) -> bool:
        return any(n in self._by for n in names)

    def take(self, name: str) -> tuple[str, ...]:
        return tuple(self._by.pop(name, ()))

    def rest(self, prefix: str = "") -> tuple[str, ...]:
        """Comments whose construct was not printed (so that none is ever lost)."""
        names = [n for n in self._by if n.startswith(prefix)]
        return tuple(c for n in names for c in self._by.pop(n))


def print_policy(policy: ir.Policy) -> str:
    """The one canonical text of a policy."""
    out: list[str] = []
    slots = _Slots(policy.comment_slots)
    _header(policy.header, out, slots)
    if policy.extends is not None:
        out.append("")
        _comments(slots.take("extends"), 0, out)
        out.append(f"extends {_str(policy.extends)}")
    if policy.drops:
        out.append("")
        for d in policy.drops:
            _comments(d.comments, 0, out)
        out.append("drop " + ", ".join(d.id for d in policy.drops))
    if _open("record", policy.record, slots, out):
        for f, following in zip(policy.record, (*policy.record[1:], None)):
            _comments(f.comments, 1, out)
            # The parser may read a keyword-like next name as more of this field (`= 0` then `days: int`
            # is `0 days`; `int` then `required: bool` makes this field required): a comma ends the field.
            comma = "," if following is not None and following.name in _keywords() else ""
            out.append(INDENT + _field(f) + comma)
        _close("record", slots, out)
    for keyword, items in (("units", policy.units), ("levels", policy.levels), ("statuses", policy.statuses)):
        if _open(keyword, items, slots, out):
            _named(items, 1, out)
            _close(keyword, slots, out)
    if policy.classify is not None:
        c = policy.classify
        out.append("")
        _comments(c.comments, 0, out)
        out.append(f"classify {c.hit} {{")
        for r in c.rules:
            _rule(r, f"{expr(r.when)} -> {r.level}", out)
        _comments(slots.take("classify.otherwise"), 1, out)
        if c.otherwise is not None:
            out.append(f"{INDENT}otherwise -> {c.otherwise}")
        _comments(c.trailing, 1, out)
        out.append("}")
    if policy.route is not None:
        r0 = policy.route
        out.append("")
        _comments(r0.comments, 0, out)
        out.append(f"route {r0.hit} {{")
        for r in r0.rules:
            _rule(r, f"{expr(r.when)} -> {', '.join(r.targets)}", out)
        _comments(slots.take("route.otherwise"), 1, out)
        if r0.otherwise is not None:
            out.append(f"{INDENT}otherwise -> {', '.join(r0.otherwise)}")
        _comments(r0.trailing, 1, out)
        out.append("}")
    if _open("deadlines", policy.deadlines, slots, out):
        for r in policy.deadlines:
            _rule(r, f"{r.clock} = {duration(r.duration)} after {r.anchor}{_when(r.when)}{life(r.life)}", out)
        _close("deadlines", slots, out)
    if _open("escalate", policy.escalate, slots, out):
        for r in policy.escalate:
            _rule(r, f"{r.action} {', '.join(r.targets)} {timing(r.timing)}{_when(r.when)}", out)
        _close("escalate", slots, out)
    if policy.compensate is not None:
        _compensate(policy.compensate, out, slots)
    if policy.follow_up is not None:
        _follow_up(policy.follow_up, out, slots)
    if _open("obligations", policy.obligations, slots, out):
        for r in policy.obligations:
            label = f" {_str(r.label)}" if r.label is not None else ""
            body = f"{r.action}{label} by {', '.join(r.by)} {timing(r.timing)}{_when(r.when)}"
            _rule(r, body, out)
        _close("obligations", slots, out)
    if _open("invariants", policy.invariants, slots, out):
        for r in policy.invariants:
            _rule(r, invariant_body(r), out)
        _close("invariants", slots, out)
    for i, t in enumerate(policy.tests):
        _test(t, out, slots, f"test.{i}.")
    end = slots.rest() + policy.comments
    if end:
        out.append("")
        _comments(end, 0, out)
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------- blocks


def _open(keyword: str, items: tuple, slots: _Slots, out: list[str]) -> bool:
    """Start a block held as a tuple (``record {``), if it has items or comments; whether it was started."""
    if not items and not slots.has(keyword, keyword + "}"):
        return False
    out.append("")
    _comments(slots.take(keyword), 0, out)
    out.append(keyword + " {")
    return True


def _close(keyword: str, slots: _Slots, out: list[str]) -> None:
    _comments(slots.take(keyword + "}"), 1, out)
    out.append("}")


def _header(h: ir.Header, out: list[str], slots: _Slots) -> None:
    _comments(h.comments, 0, out)
    out.append(f"policy {_str(h.id)} {{")
    items = [
        ("title", None if h.title is None else _str(h.title)),
        ("version", None if h.version is None else _str(h.version)),
        ("effective", h.effective and h.effective.isoformat()),
        ("currency", h.currency),
        ("calendar", None if h.calendar is None else _str(h.calendar) + (" nationwide" if h.nationwide else "")
         + ("" if h.calendar_data is None else f" data {_str(h.calendar_data)}")),
        ("hours", h.hours and f"{h.hours[0]:%H:%M}-{h.hours[1]:%H:%M}"),
        ("timezone", None if h.timezone is None else _str(h.timezone)),
        ("holidays", h.holidays and "{" + ", ".join(d.isoformat() for d in h.holidays) + "}"),
        ("workdays", h.workdays and "{" + ", ".join(d.isoformat() for d in h.workdays) + "}"),
    ]
    for key, text in items:
        if text is not None and text != "" and text != ():
            _comments(slots.take(f"header.{key}"), 1, out)
            out.append(f"{INDENT}{key} {text}")
    _comments(slots.rest("header."), 1, out)
    _comments(h.trailing, 1, out)
    out.append("}")


@functools.cache
def _keywords() -> frozenset[str]:
    """Every word the grammar spells out (``"days"``, ``"amount"``, ...)."""
    from .frontend.dsl import grammar_text

    return frozenset(re.findall(r'"([a-z_]+)"', grammar_text())) | {"required", "personal"}


def _field(f: ir.FieldDecl) -> str:
    text = f"{f.name}: {f.type}"
    if f.default is not None:
        text += f" = {value(f.default)}"
    if f.required:
        text += " required"
    if f.personal:
        text += " personal"
    if f.label is not None:
        text += f" {_str(f.label)}"
    return text


def _named(items, depth: int, out: list[str]) -> None:
    for n in items:
        _comments(n.comments, depth, out)
        label = f" {_str(n.label)}" if n.label is not None else ""
        out.append(f"{INDENT * depth}{n.id}{label}")


def _rule(rule, body: str, out: list[str], depth: int = 1) -> None:
    _comments(rule.comments, depth, out)
    pos = f" {rule.position.relation} {rule.position.anchor}" if rule.position is not None else ""
    note = f" note {_str(rule.note)}" if rule.note is not None else ""
    out.append(f"{INDENT * depth}rule {rule.id}{pos}: {body}{note}")


def _compensate(c: ir.Compensate, out: list[str], slots: _Slots) -> None:
    out.append("")
    _comments(c.comments, 0, out)
    out.append("compensate {")
    if c.amount is not None:
        _comments(slots.take("compensate.amount"), 1, out)
        out.append(f"{INDENT}amount {c.amount}")
    if c.options or slots.has("compensate.options", "compensate.options}"):
        _comments(slots.take("compensate.options"), 1, out)
        out.append(f"{INDENT}options {{")
        _named(c.options, 2, out)
        _comments(slots.take("compensate.options}"), 2, out)
        out.append(f"{INDENT}}}")
    if c.authority or slots.has("compensate.authority", "compensate.authority}"):
        _comments(slots.take("compensate.authority"), 1, out)
        out.append(f"{INDENT}authority {{")
        for j, a in enumerate(c.authority):
            _comments(slots.take(f"compensate.authority.{j}"), 2, out)
            # As in `record`: after `1000 CNY` a keyword-like next role could be read as part of the entry.
            following = c.authority[j + 1].role if j + 1 < len(c.authority) else None
            comma = "," if following in _keywords() else ""
            out.append(f"{INDENT * 2}{a.role} up to {a.limit}{comma}")
        _comments(slots.take("compensate.authority}"), 2, out)
        out.append(f"{INDENT}}}")
    for t in c.tiers:
        _comments(t.comments, 1, out)
        out.append(f"{INDENT}tier {t.level} up to {t.cap} by {t.approver}")
    for r in c.rules:
        when = None if r.when == ir.TRUE else r.when
        _rule(r, f"{r.action} {_set(frozenset(r.options))}{_when(when)}", out)
    _comments(slots.rest("compensate."), 1, out)
    _comments(c.trailing, 1, out)
    out.append("}")


def invariant_body(r: ir.InvariantRule) -> str:
    """``monotone deadline first_contact``, ``never option cash when ...``: an invariant without its id."""
    text = f"{r.kind} {r.subject}" + (f" {r.arg}" if r.arg is not None else "")
    return text + _when(r.when)


def _fu_body(r: ir.FollowUpRule) -> str:
    if r.rate is None:
        return "none"
    text = f"{r.rate} within {duration(r.window)} after {r.anchor}"
    if r.by:
        text += " by " + ", ".join(r.by)
    if r.via:
        text += " via " + ", ".join(r.via)
    return text


def _follow_up(f: ir.FollowUp, out: list[str], slots: _Slots) -> None:
    out.append("")
    _comments(f.comments, 0, out)
    out.append("follow_up {")
    for r in f.rules:
        _rule(r, _fu_body(r) + _when(r.when), out)
    if f.otherwise is not None:
        _comments(f.otherwise.comments, 1, out)
        note = f" note {_str(f.otherwise.note)}" if f.otherwise.note is not None else ""
        out.append(f"{INDENT}otherwise: {_fu_body(f.otherwise)}{note}")
    if f.until_satisfied is not None:
        _comments(slots.take("follow_up.until"), 1, out)
        times = f" at most {f.until_satisfied} times" if f.until_satisfied else ""
        out.append(f"{INDENT}until satisfied{times}")
    _comments(slots.rest("follow_up."), 1, out)
    _comments(f.trailing, 1, out)
    out.append("}")


def _test(t: ir.TestCase, out: list[str], slots: _Slots, prefix: str) -> None:
    out.append("")
    _comments(t.comments, 0, out)
    out.append(f"test {_str(t.name)} {{")
    _comments(slots.take(prefix + "given"), 1, out)
    given = ", ".join(f"{a.name}: {value(a.value)}" for a in t.given)
    out.append(f"{INDENT}given {{ {given} }}" if given else f"{INDENT}given {{}}")
    if t.now is not None:
        _comments(slots.take(prefix + "now"), 1, out)
        out.append(f"{INDENT}now {value(t.now)}")
    _comments(slots.take(prefix + "expect"), 1, out)
    out.append(f"{INDENT}expect {{")
    for j, e in enumerate(t.expect):
        _comments(slots.take(f"{prefix}expect.{j}"), 2, out)
        key = f"deadline {e.arg}" if e.key == "deadline" else e.key
        out.append(f"{INDENT * 2}{key}: {expected(e.value)}")
    _comments(slots.take(prefix + "expect}"), 2, out)
    out.append(f"{INDENT}}}")
    _comments(slots.rest(prefix), 1, out)
    _comments(t.trailing, 1, out)
    out.append("}")


def _comments(comments: tuple[str, ...], depth: int, out: list[str]) -> None:
    for c in comments:
        out.append(f"{INDENT * depth}{c}")


# ---------------------------------------------------------------------------- expressions and values

_PREC = {ir.Or: 1, ir.And: 2, ir.Not: 3}


def expr(e: ir.Expr, parent: int = 0) -> str:
    """Print a condition, with parentheses only where precedence needs them."""
    prec = _PREC.get(type(e), 4)
    if isinstance(e, ir.Or):
        text = " or ".join(expr(i, prec) for i in e.items)
    elif isinstance(e, ir.And):
        text = " and ".join(expr(i, prec) for i in e.items)
    elif isinstance(e, ir.Not):
        text = "not " + expr(e.item, prec)
    elif isinstance(e, ir.Ref):
        text = e.name
    elif isinstance(e, ir.Const):
        text = value(e.value)
    elif isinstance(e, ir.Compare):
        text = f"{expr(e.left)} {e.op} {expr(e.right)}"
    elif isinstance(e, ir.InSet):
        text = f"{e.operand.name} {'not in' if e.negated else 'in'} {_set(e.members)}"
    elif isinstance(e, ir.Has):
        text = f"{e.operand.name} has {e.quantifier} {_set(e.members)}"
    elif isinstance(e, ir.Mentions):
        text = f"{e.operand.name} mentions {e.quantifier} {_set(e.keywords, quote=True)}"
    elif isinstance(e, ir.Missing):
        text = f"{e.operand.name} is {'present' if e.negated else 'missing'}"
    else:
        raise TypeError(f"not an expression: {e!r}")
    # `not` binds its operand; nested same-kind and/or would re-flatten differently, so bracket them too.
    if prec < parent or (prec == parent and prec in (1, 2)):
        return f"({text})"
    return text


def duration(d: ir.Duration) -> str:
    if d.unit == "end_of_day":
        return str(d)
    unit = d.unit.replace("_", " ")
    if d.amount == 1:
        unit = unit[:-1]
    return f"{d.amount} {unit}"


def life(x: ir.ClockLife) -> str:
    """`` pause while {..} stop at .. restart on .. warn ..``: a clock's life after its condition ('' for none)."""
    parts = []
    if x.pause:
        parts.append(f"pause while {_set(frozenset(x.pause))}")
    if x.stop:
        parts.append(f"stop at {', '.join(x.stop)}")
    if x.restart is not None:
        parts.append(f"restart on {x.restart}")
    if x.warn is not None:
        parts.append(warn(x.warn))
    return "".join(" " + p for p in parts)


def warn(w: ir.Duration | ir.Percent) -> str:
    """``warn at 75%`` or ``warn 1 day before``."""
    return f"warn at {w}" if isinstance(w, ir.Percent) else f"warn {duration(w)} before"


def timing(t: ir.Timing) -> str:
    if t.kind == "immediately":
        return "immediately"
    if t.kind == "for":
        return f"for {duration(t.duration)}"
    return f"{duration(t.duration)} {t.kind} {t.anchor}"


def value(v) -> str:
    """Print a literal value so that it parses back to an equal value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (ir.Money, ir.Percent)):
        return str(v)
    if isinstance(v, ir.Duration):
        return duration(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, frozenset):
        return _set(v)
    if isinstance(v, tuple) and all(isinstance(e, ir.Entry) for e in v):
        return "[" + ", ".join("{" + ", ".join(f"{k}: {value(x)}" for k, x in e.fields) + "}" for e in v) + "]"
    if isinstance(v, str):
        return v if _bare(v) else _str(v)
    raise TypeError(f"not a policy value: {v!r}")


def expected(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, tuple):
        return "[" + ", ".join(v) + "]"
    return value(v)


def _bare(s: str) -> bool:
    return bool(_NAME.match(s)) and s not in _NOT_BARE


def _set(members: frozenset, quote: bool = False) -> str:
    items = sorted(members, key=str)
    return "{" + ", ".join(_str(m) if quote or not _bare(m) else m for m in items) + "}"


def _str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _when(e: ir.Expr | None) -> str:
    return f" when {expr(e)}" if e is not None else ""


# ---------------------------------------------------------------------------- the fingerprint


def strip_comments(node):
    """A copy of an IR tree without comments (comments are layout, not meaning)."""
    if isinstance(node, tuple):
        return tuple(strip_comments(n) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        if f.name == "span":
            continue
        value = getattr(node, f.name)
        if f.name in ("comments", "trailing", "comment_slots"):  # every place a comment is kept
            if value:
                changes[f.name] = ()
            continue
        new = strip_comments(value)
        if new is not value:
            changes[f.name] = new
    return dataclasses.replace(node, **changes) if changes else node


def fingerprint(policy: ir.Policy) -> str:
    """sha256 of the canonical DSL of a resolved policy without comments and tests: same for DSL and YAML."""
    canonical = print_policy(strip_comments(dataclasses.replace(policy, tests=())))
    for data in policy.header.calendar_sources:  # what the calendar data means is part of the policy
        canonical += f"\n# calendar data {data.country} {data.digest()}"
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
