"""IR -> canonical YAML text; ``frontend.yaml.parse(to_yaml(p)) == p`` for every policy.

The document is built as a pyyaml node graph with chosen styles and serialized by pyyaml's safe
dumper, which does all quoting and escaping. DSL fragments (conditions, durations, timings, values)
are printed by :mod:`complaint_rules.language.printer`. Comments are not kept (they are not part of the meaning).
"""

from __future__ import annotations

import functools
import re

import yaml as pyyaml

from .. import ir
from ..errors import PolicyError
from .frontend import dsl
from .printer import duration, expr, timing, value, warn

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_RESOLVER = pyyaml.resolver.Resolver()
# Characters that would make pyyaml fold or break a scalar over lines: keep every scalar on one line.
_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_TOP_KEY = re.compile(r"^[a-z_]+:", re.MULTILINE)
_EMITTER = pyyaml.emitter.Emitter(None)


def to_yaml(policy: ir.Policy) -> str:
    """The one canonical YAML text of a policy (deterministic; comments are not kept)."""
    root = _map(_policy(policy))
    text = pyyaml.serialize(root, Dumper=_Dumper, allow_unicode=True, width=1 << 30, indent=2)
    # A blank line between top-level blocks, as in the DSL.
    return _TOP_KEY.sub(lambda m: ("\n" if m.start() else "") + m.group(0), text)


class _Dumper(pyyaml.SafeDumper):
    """Indents lists under their key (``rules:\n  - id: ...``), as people write YAML by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


# ---------------------------------------------------------------------------- nodes


def _scalar(text: str, tag: str, style: str | None = None) -> pyyaml.ScalarNode:
    return pyyaml.ScalarNode(tag, text, style=style)


def _text(s: str) -> pyyaml.ScalarNode:
    """Text read back as written: plain when YAML would not read it as anything else, else quoted."""
    return _scalar(s, _STR, '"' if _BREAKS.search(s) else None)


def _quoted(s: str) -> pyyaml.ScalarNode:
    """Text in a value position: plain only for a name that YAML and the DSL both read as that name."""
    if _NAME.match(s) and s not in ("true", "false", "none") and _implicit(s) == _STR:
        return _scalar(s, _STR)
    return _scalar(s, _STR, '"')


def _dsl(text: str) -> pyyaml.ScalarNode:
    """DSL text: plain where pyyaml allows it (tagged as pyyaml would resolve it, so it stays plain)."""
    if _BREAKS.search(text):
        return _scalar(text, _STR, '"')
    return _scalar(text, _implicit(text))


def _implicit(text: str) -> str:
    return _RESOLVER.resolve(pyyaml.ScalarNode, text, (True, False))


def _map(pairs: list[tuple[str, pyyaml.Node]], flow: bool = False) -> pyyaml.MappingNode:
    return pyyaml.MappingNode(_MAP, [(_text(k), v) for k, v in pairs], flow_style=flow)


def _seq(items: list[pyyaml.Node], flow: bool = True) -> pyyaml.SequenceNode:
    return pyyaml.SequenceNode(_SEQ, items, flow_style=flow)


def _names(names) -> pyyaml.SequenceNode:
    return _seq([_quoted(n) for n in names])


def _value(v) -> pyyaml.Node:
    """A literal value: a set is a list; text is quoted unless the DSL reads it back bare; the rest is DSL."""
    if isinstance(v, frozenset):
        return _names(sorted(v))
    if isinstance(v, str):
        return _quoted(v) if _bare_value(v) else _scalar(v, _STR, '"')
    if isinstance(v, tuple):
        return _seq([_map([(k, _value(x)) for k, x in e.fields]) for e in v], flow=False)
    return _dsl(value(v))


@functools.lru_cache(maxsize=4096)
def _bare_value(s: str) -> bool:
    """Whether a plain scalar ``s`` reads back as the text ``s`` (not a keyword, number or date)."""
    if not _NAME.match(s):
        return False
    try:
        return dsl.parse_fragment(s, "value") == ir.Const(s)
    except PolicyError:
        return False


def _flow_plain(text: str) -> bool:
    """Whether pyyaml can write ``text`` plain inside ``{...}`` (a ':' or ',' forces quotes there)."""
    return pyyaml.emitter.Emitter.analyze_scalar(_EMITTER, text).allow_flow_plain


def _null() -> pyyaml.ScalarNode:
    return _scalar("null", "tag:yaml.org,2002:null")


# ---------------------------------------------------------------------------- blocks


def _policy(p: ir.Policy) -> list:
    out: list = [("policy", _map(_header(p.header)))]
    if p.extends is not None:
        out.append(("extends", _text(p.extends)))
    if p.drops:
        out.append(("drop", _names(d.id for d in p.drops)))
    if p.record:
        out.append(("record", _map([(f.name, _field(f)) for f in p.record])))
    for key, items in (("units", p.units), ("levels", p.levels), ("statuses", p.statuses)):
        if items:
            out.append((key, _named(items)))
    if p.classify is not None:
        c = p.classify
        block = [("hit", _text(c.hit))]
        if c.rules:
            block.append(
                (
                    "rules",
                    _rules(c.rules, lambda r: [("when", _dsl(expr(r.when))), ("level", _quoted(r.level))]),
                )
            )
        if c.otherwise is not None:
            block.append(("otherwise", _quoted(c.otherwise)))
        out.append(("classify", _map(block)))
    if p.route is not None:
        r0 = p.route
        block = [("hit", _text(r0.hit))]
        if r0.rules:
            block.append(
                (
                    "rules",
                    _rules(r0.rules, lambda r: [("when", _dsl(expr(r.when))), ("to", _names(r.targets))]),
                )
            )
        if r0.otherwise is not None:
            block.append(("otherwise", _names(r0.otherwise)))
        out.append(("route", _map(block)))
    if p.deadlines:
        out.append(
            (
                "deadlines",
                _rules(
                    p.deadlines,
                    lambda r: [
                        ("clock", _quoted(r.clock)),
                        ("within", _dsl(duration(r.duration))),
                        ("after", _quoted(r.anchor)),
                        *_when(r.when),
                        *_life(r.life),
                    ],
                ),
            )
        )
    if p.escalate:
        out.append(
            (
                "escalate",
                _rules(
                    p.escalate,
                    lambda r: [
                        ("action", _text(r.action)),
                        ("targets", _names(r.targets)),
                        ("timing", _dsl(timing(r.timing))),
                        *_when(r.when),
                    ],
                ),
            )
        )
    if p.compensate is not None:
        out.append(("compensate", _map(_compensate(p.compensate))))
    if p.follow_up is not None:
        out.append(("follow_up", _map(_follow_up(p.follow_up))))
    if p.obligations:
        out.append(("obligations", _rules(p.obligations, _obligation)))
    if p.invariants:
        out.append(("invariants", _rules(p.invariants, _invariant)))
    if p.tests:
        out.append(("tests", _seq([_map(_test(t)) for t in p.tests], flow=False)))
    return out


def _header(h: ir.Header) -> list:
    out = [("id", _text(h.id))]
    for key in ("title", "version"):
        if getattr(h, key) is not None:
            out.append((key, _text(getattr(h, key))))
    if h.effective is not None:
        out.append(("effective", _dsl(h.effective.isoformat())))
    if h.currency is not None:
        out.append(("currency", _text(h.currency)))
    if h.calendar is not None:
        out.append(("calendar", _text(h.calendar)))
    if h.nationwide:
        out.append(("nationwide", _dsl("true")))
    if h.calendar_data is not None:
        out.append(("calendar_data", _text(h.calendar_data)))
    if h.hours is not None:
        out.append(("hours", _text(f"{h.hours[0]:%H:%M}-{h.hours[1]:%H:%M}")))
    if h.timezone is not None:
        out.append(("timezone", _text(h.timezone)))
    for key in ("holidays", "workdays"):
        dates = getattr(h, key)
        if dates:
            out.append((key, _seq([_dsl(d.isoformat()) for d in dates])))
    return out


def _field(f: ir.FieldDecl) -> pyyaml.Node:
    t = f.type
    if t.kind not in ("enum", "set") and f.default is None and not f.required and not f.personal and f.label is None:
        return _text(str(t))  # compact form: just the type
    out = [("type", _text(t.kind))]
    if t.kind in ("enum", "set"):
        out.append(("members", _names(t.members)))
    if t.currency is not None:
        out.append(("currency", _text(t.currency)))
    flow = True
    if f.default is not None:
        default = _value(f.default)
        flow = (
            not isinstance(default, pyyaml.ScalarNode)
            or default.style is not None
            or _flow_plain(default.value)
        )
        out.append(("default", default))
    if f.required:
        out.append(("required", _scalar("true", "tag:yaml.org,2002:bool")))
    if f.personal:
        out.append(("personal", _scalar("true", "tag:yaml.org,2002:bool")))
    if f.label is not None:
        out.append(("label", _text(f.label)))
    return _map(out, flow=flow)


def _named(items: tuple[ir.Named, ...]) -> pyyaml.MappingNode:
    return _map([(n.id, _null() if n.label is None else _text(n.label)) for n in items])


def _rules(rules, body) -> pyyaml.SequenceNode:
    """Each rule a block mapping: id, position, the block's own keys, note."""
    items = []
    for r in rules:
        pairs = [("id", _quoted(r.id))]
        if r.position is not None:
            pairs.append(("position", _text(f"{r.position.relation} {r.position.anchor}")))
        pairs += body(r)
        if r.note is not None:
            pairs.append(("note", _text(r.note)))
        items.append(_map(pairs))
    return _seq(items, flow=False)


def _life(x: ir.ClockLife) -> list:
    """A clock's ``pause``, ``stop``, ``restart`` and ``warn`` keys (none for a clock that only runs)."""
    out: list = []
    if x.pause:
        out.append(("pause", _names(sorted(x.pause))))
    if x.stop:
        out.append(("stop", _names(x.stop)))
    if x.restart is not None:
        out.append(("restart", _quoted(x.restart)))
    if x.warn is not None:
        out.append(("warn", _dsl(warn(x.warn)[len("warn "):])))
    return out


def _when(e: ir.Expr | None) -> list:
    return [] if e is None else [("when", _dsl(expr(e)))]


def _compensate(c: ir.Compensate) -> list:
    out: list = []
    if c.amount is not None:
        out.append(("amount", _quoted(c.amount)))
    if c.options:
        out.append(("options", _named(c.options)))
    if c.authority:
        out.append(("authority", _map([(a.role, _dsl(value(a.limit))) for a in c.authority])))
    if c.tiers:
        out.append(
            (
                "tiers",
                _seq(
                    [
                        _map(
                            [
                                ("level", _quoted(t.level)),
                                ("cap", _dsl(value(t.cap))),
                                ("by", _quoted(t.approver)),
                            ],
                            flow=True,
                        )
                        for t in c.tiers
                    ],
                    flow=False,
                ),
            )
        )
    if c.rules:
        out.append(
            (
                "rules",
                _rules(
                    c.rules,
                    lambda r: [(r.action, _names(r.options)), *_when(None if r.when == ir.TRUE else r.when)],
                ),
            )
        )
    return out


def _fu_body(r: ir.FollowUpRule) -> list:
    if r.rate is None:
        return [("rate", _text("none"))]
    out = [("rate", _dsl(value(r.rate))), ("within", _dsl(duration(r.window))), ("after", _quoted(r.anchor))]
    if r.by:
        out.append(("by", _names(r.by)))
    if r.via:
        out.append(("via", _names(r.via)))
    return out


def _follow_up(f: ir.FollowUp) -> list:
    out: list = []
    if f.rules:
        out.append(("rules", _rules(f.rules, lambda r: [*_fu_body(r), *_when(r.when)])))
    if f.otherwise is not None:
        body = _fu_body(f.otherwise)
        if f.otherwise.note is not None:
            body.append(("note", _text(f.otherwise.note)))
        out.append(("otherwise", _map(body)))
    if f.until_satisfied is not None:
        times = str(f.until_satisfied) if f.until_satisfied else "true"
        out.append(("until_satisfied", _dsl(times)))
    return out


def _obligation(r: ir.ObligationRule) -> list:
    out = [("action", _quoted(r.action))]
    if r.label is not None:
        out.append(("label", _text(r.label)))
    out += [("by", _names(r.by)), ("timing", _dsl(timing(r.timing))), *_when(r.when)]
    return out


def _invariant(r: ir.InvariantRule) -> list:
    subject = r.subject + (f" {r.arg}" if r.arg is not None else "")
    return [(r.kind, _text(subject)), *_when(r.when)]


def _test(t: ir.TestCase) -> list:
    out = [("name", _text(t.name)), ("given", _map([(a.name, _value(a.value)) for a in t.given]))]
    if t.now is not None:
        out.append(("now", _dsl(value(t.now))))
    out.append(("expect", _map([(_expect_key(e), _expected(e)) for e in t.expect])))
    return out


def _expect_key(e: ir.Expectation) -> str:
    return f"deadline {e.arg}" if e.key == "deadline" else e.key


def _expected(e: ir.Expectation) -> pyyaml.Node:
    v = e.value
    if v is None:
        return _text("none")
    ordered_default = e.key == "options"
    if isinstance(v, tuple):
        return _names(v) if ordered_default else _map([("ordered", _names(v))], flow=True)
    if isinstance(v, frozenset) and ordered_default:
        return _map([("set", _names(sorted(v)))], flow=True)
    return _value(v)
