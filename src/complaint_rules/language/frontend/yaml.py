"""YAML text -> IR: the same policies as the DSL, written as YAML; positions come from pyyaml's marks.

The document is composed (never constructed) with pyyaml's safe loader, so every node keeps its
position and its raw text. Conditions, durations, timings and values are DSL fragments inside YAML
scalars and go through :func:`dsl.parse_fragment` at the scalar's position. The form is described in
``docs/yaml.md``; the YAML printer is :mod:`complaint_rules.language.yaml_printer`.

The reading rule for values: a *plain* (unquoted) scalar is DSL (``0 CNY``, ``2 hours``, ``30%``,
``2026-12-01``, ``true``, a member name such as ``no``); a *quoted* scalar is always text; a sequence
is a set.

One module: one reader per YAML section, mirroring :mod:`.build`'s methods for the same IR nodes.
"""

from __future__ import annotations

import datetime as dt
import re

import yaml as pyyaml

from ... import ir, limits
from ...errors import PolicySyntaxError
from ...span import Source, Span
from ._yaml_nodes import Nodes as _Nodes
from ._yaml_nodes import end_clamped as _end_clamped
from .dsl import check_size

_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_HOURS = re.compile(r"(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\Z")
_POSITION = re.compile(r"(before|after)\s+([a-z_][a-z0-9_]*)\Z")
_SIMPLE_KINDS = tuple(k for k in ir.FIELD_KINDS if k not in ("enum", "set"))
_TYPE = re.compile(r"(?:(set\s+of\s+enum|set|enum)\s*(?:\{(.*)\})?|([a-z_]+)(?:\s+([A-Z]{3}))?)\s*\Z", re.DOTALL)

TOP_KEYS = (
    "policy",
    "extends",
    "drop",
    "record",
    "units",
    "levels",
    "statuses",
    "classify",
    "route",
    "deadlines",
    "escalate",
    "compensate",
    "follow_up",
    "obligations",
    "invariants",
    "tests",
)
HEADER_KEYS = (
    "id",
    "title",
    "version",
    "effective",
    "currency",
    "calendar",
    "nationwide",
    "calendar_data",
    "hours",
    "timezone",
    "holidays",
    "workdays",
)
FIELD_KEYS = ("type", "members", "currency", "default", "required", "personal", "label")
CLASSIFY_KEYS = ("hit", "rules", "otherwise")
RULE_COMMON = ("id", "position", "note")
CLASSIFY_RULE_KEYS = (*RULE_COMMON, "when", "level")
ROUTE_RULE_KEYS = (*RULE_COMMON, "when", "to")
DEADLINE_KEYS = (*RULE_COMMON, "clock", "within", "after", "when", "pause", "stop", "restart", "warn")
ESCALATION_KEYS = (*RULE_COMMON, "action", "targets", "timing", "when")
COMPENSATE_KEYS = ("amount", "options", "authority", "tiers", "rules")
TIER_KEYS = ("level", "cap", "by")
REMEDY_KEYS = (*RULE_COMMON, "exclude", "prefer", "when")
FOLLOW_UP_KEYS = ("rules", "otherwise", "until_satisfied")
FU_BODY = ("rate", "within", "after", "by", "via")
FU_RULE_KEYS = (*RULE_COMMON, *FU_BODY, "when")
FU_OTHERWISE_KEYS = (*FU_BODY, "note")
OBLIGATION_KEYS = (*RULE_COMMON, "action", "label", "by", "timing", "when")
INVARIANT_KEYS = (*RULE_COMMON, *ir.INVARIANT_KINDS, "when")
TEST_KEYS = ("name", "given", "now", "expect")
EXPECT_KEYS = tuple(k for k in ir.EXPECT_KEYS if k != "deadline")
# In `expect`, a plain sequence is ordered for these keys and a set for the others.
ORDERED_EXPECT = frozenset({"options"})


def parse(text: str, name: str = "<policy>") -> ir.Policy:
    """Parse a YAML policy into IR; raises PolicyError (with every problem found) and nothing else."""
    source = Source(name, text)
    check_size(text, source)
    root = _compose(text, source)
    reader = _Reader(source)
    try:
        policy = reader.policy(root)
    except RecursionError:
        raise PolicySyntaxError("the document is nested too deeply", Span(source, 1, 1)) from None
    reader.diagnostics.raise_if_any()
    if policy is None:  # every path to None reports why; this is a safety net
        raise PolicySyntaxError("not a policy document", Span(source, 1, 1))
    return policy


def _compose(text: str, source: Source) -> pyyaml.Node:
    """The YAML node graph, or PolicySyntaxError located at the YAML problem."""
    try:
        root = pyyaml.compose(text, Loader=_Loader)
    except pyyaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "malformed YAML"
        span = _end_clamped(source, mark.line + 1, mark.column + 1) if mark else Span(source, 1, 1)
        raise PolicySyntaxError(f"malformed YAML: {message}", span) from None
    except pyyaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise PolicySyntaxError(
            f"malformed YAML: character U+{code:04X} is not allowed in YAML text", Span(source, line, column)
        ) from None
    except pyyaml.YAMLError as exc:
        raise PolicySyntaxError(f"malformed YAML: {exc}", Span(source, 1, 1)) from None
    except RecursionError:
        raise PolicySyntaxError("malformed YAML: nested too deeply", Span(source, 1, 1)) from None
    if root is None:
        raise PolicySyntaxError("empty document; expected a mapping with a 'policy' key", Span(source, 1, 1))
    return root


# The tags a policy may hold: YAML's core schema. Any other (``!!binary``, ``!!python/name:...``, ``!custom``) is an error.
_CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge", "value")
)
_SURROGATES = re.compile("[\ud800-\udfff]")


class _Loader(pyyaml.SafeLoader):
    """The safe loader with the policy limits: nesting, collection sizes, string length, tags, Unicode text.

    Each is refused at the node's position while composing, before the document is read any further.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def refuse(self, problem: str, mark) -> None:
        raise pyyaml.composer.ComposerError(None, None, problem, mark)

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > limits.MAX_NESTING:
                self.refuse(f"nested too deeply (more than {limits.MAX_NESTING} levels)", self.peek_event().start_mark)
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node.tag not in _CORE_TAGS:
            self.refuse(f"the tag {node.tag!r} is not allowed in a policy (only plain YAML values)", node.start_mark)
        return node

    def compose_scalar_node(self, anchor):
        node = super().compose_scalar_node(anchor)
        value = node.value
        if len(value) > limits.MAX_STRING:
            self.refuse(f"a string of {len(value)} characters is too long (at most {limits.MAX_STRING})",
                        node.start_mark)
        if not value.isascii() and _SURROGATES.search(value):
            self.refuse("the string holds a lone surrogate (\\ud800-\\udfff): not Unicode text", node.start_mark)
        return node

    def compose_sequence_node(self, anchor):
        return self.collection(anchor, pyyaml.SequenceNode, pyyaml.SequenceEndEvent, "items in one list")

    def compose_mapping_node(self, anchor):
        return self.collection(anchor, pyyaml.MappingNode, pyyaml.MappingEndEvent, "keys in one mapping")

    def collection(self, anchor, kind, end, what: str):
        """pyyaml's compose_sequence_node/compose_mapping_node, refusing an oversize one at its first extra entry."""
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(kind, None, start.implicit)
        node = kind(tag, [], start.start_mark, None, flow_style=start.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        mapping = kind is pyyaml.MappingNode
        while not self.check_event(end):
            if len(node.value) == limits.MAX_ENTRIES:
                self.refuse(f"too many {what} (at most {limits.MAX_ENTRIES})", node.start_mark)
            if mapping:
                key = self.compose_node(node, None)
                node.value.append((key, self.compose_node(node, key)))
            else:
                node.value.append(self.compose_node(node, len(node.value)))
        node.end_mark = self.get_event().end_mark
        return node


class _Reader(_Nodes):
    """Walks the node graph block by block and builds IR; collects every diagnostic."""

    # ------------------------------------------------------------------ policy and header
    def policy(self, node) -> ir.Policy | None:
        keys = self.keys(node, "the policy document", TOP_KEYS, required=("policy",))
        if keys is None:
            return None
        header = self.header(keys["policy"]) if "policy" in keys else None
        kw: dict = {}
        if "extends" in keys:
            kw["extends"] = self.text(keys["extends"], "'extends' (a policy file path)")
        if "drop" in keys:
            kw["drops"] = tuple(
                ir.Named(n, span=s) for n, s in self.names(keys["drop"], "'drop'", spans=True)
            )
        if "record" in keys:
            kw["record"] = self.record(keys["record"])
        for block in ("units", "levels", "statuses"):
            if block in keys:
                kw[block] = self.named(keys[block], f"'{block}'")
        for block in ("classify", "route", "compensate", "follow_up"):
            if block in keys:
                kw[block] = getattr(self, block)(keys[block])
        for block, what, method in (
            ("deadlines", "deadline rule", self.deadline),
            ("escalate", "escalation rule", self.escalation),
            ("obligations", "obligation rule", self.obligation),
            ("invariants", "invariant", self.invariant),
            ("tests", "test", self.test),
        ):
            if block in keys:
                items = (method(n) for n in self.sequence(keys[block], f"'{block}' (a list of {what}s)"))
                kw[block] = tuple(i for i in items if i is not None)
        if header is None:
            return None
        return ir.Policy(header=header, span=self.span(node), **kw)

    def header(self, node) -> ir.Header | None:
        keys = self.keys(node, "'policy' (the header)", HEADER_KEYS, required=("id",))
        if keys is None:
            return None
        kw: dict = {}
        for key in ("title", "version", "calendar", "calendar_data", "timezone"):
            if key in keys and not self.is_null(keys[key]):
                kw[key] = self.text(keys[key], f"'{key}'")
        if "effective" in keys and not self.is_null(keys["effective"]):
            kw["effective"] = self.date(keys["effective"], "'effective'")
        if "currency" in keys:
            cur = self.text(keys["currency"], "'currency'")
            if cur is not None and not _CURRENCY.match(cur):
                self.error(f"'currency' is a 3-letter code such as CNY, not {cur!r}", keys["currency"])
            kw["currency"] = cur
        if "hours" in keys:
            kw["hours"] = self.hours(keys["hours"])
        if "nationwide" in keys:
            flag = keys["nationwide"]
            if not (self.is_scalar(flag) and flag.value in ("true", "false")):
                self.error("'nationwide' is true or false", flag)
            elif flag.value == "true":
                kw["nationwide"] = True
        for key in ("nationwide", "calendar_data"):
            if key in keys and "calendar" not in keys:
                self.error(f"'{key}' belongs to a 'calendar': set 'calendar' too", keys[key])
        for key in ("holidays", "workdays"):
            if key in keys:
                dates = (
                    self.date(n, f"a date in '{key}'")
                    for n in self.sequence(keys[key], f"'{key}' (a list of dates)")
                )
                kw[key] = tuple(d for d in dates if d is not None)
        ident = self.text(keys["id"], "'id'") if "id" in keys else None
        if ident is None:
            return None
        return ir.Header(id=ident, span=self.span(node), **kw)

    def hours(self, node) -> tuple[dt.time, dt.time] | None:
        text = self.text(node, "'hours'")
        match = _HOURS.match(text or "")
        if match is None:
            self.error("'hours' are business hours written HH:MM-HH:MM, e.g. \"09:00-18:30\"", node)
            return None
        try:
            return dt.time.fromisoformat(match.group(1)), dt.time.fromisoformat(match.group(2))
        except ValueError:
            self.error(f"'{text}' is not a valid range of times of day", node)
            return None

    def date(self, node, what: str) -> dt.date | None:
        text = self.text(node, what)
        if text is None:
            return None
        if _DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        self.error(f"{what}: {text!r} is not a valid date (YYYY-MM-DD)", node)
        return None

    # ------------------------------------------------------------------ record and names
    def record(self, node) -> tuple[ir.FieldDecl, ...]:
        fields = []
        for key, value in self.mapping(node, "'record' (a mapping of field name to type)"):
            name = self.name(key, "a field name")
            decl = self.field(name, value) if name is not None else None
            if decl is not None:
                fields.append(decl)
        return tuple(fields)

    def field(self, name: str, node) -> ir.FieldDecl | None:
        if self.is_scalar(node):
            ftype = self.field_type(node, None)
            return ir.FieldDecl(name, ftype, span=self.span(node)) if ftype else None
        keys = self.keys(
            node, f"field '{name}' (a type such as 'text', or a mapping)", FIELD_KEYS, required=("type",)
        )
        if keys is None or "type" not in keys:
            return None
        ftype = self.field_type(keys["type"], keys)
        default = None
        if "default" in keys and not self.is_null(keys["default"]):
            default = self.value(keys["default"], f"the default of '{name}'")
        required = self.boolean(keys["required"], "'required'") if "required" in keys else False
        personal = self.boolean(keys["personal"], "'personal'") if "personal" in keys else False
        label = None
        if "label" in keys and not self.is_null(keys["label"]):
            label = self.text(keys["label"], "'label'")
        if ftype is None:
            return None
        return ir.FieldDecl(
            name, ftype, default, bool(required), label, span=self.span(node), personal=bool(personal)
        )

    def field_type(self, node, keys: dict | None) -> ir.FieldType | None:
        text = self.text(node, "a field type")
        if text is None:
            return None
        match = _TYPE.match(text.strip())
        kinds = ", ".join(_SIMPLE_KINDS) + ", enum, set"
        if match is None:
            self.error(f"unknown type {text!r}; expected one of {kinds}", node)
            return None
        collection, inline, simple, currency = match.groups()
        keys = keys or {}
        if collection is not None:
            kind = "enum" if collection == "enum" else "set"
            if inline is not None and "members" in keys:
                self.error("members are given twice: in the type and in 'members'", keys["members"])
            if inline is not None:
                members = [m.strip() for m in inline.split(",") if m.strip()]
                bad = [m for m in members if not _NAME.match(m)]
                if bad:
                    self.error(f"{bad[0]!r} is not a name (lowercase letters, digits and _)", node)
                    return None
            elif "members" in keys:
                before = len(self.diagnostics)
                members = self.names(keys["members"], "'members'")
                if len(self.diagnostics) > before:
                    return None
            else:
                self.error(f"{kind} needs its members: add 'members: [a, b]'", node)
                return None
            if not members:
                self.error(f"{kind} needs at least one member", keys.get("members", node))
                return None
            if len(set(members)) != len(members):
                self.error("a member is listed twice", keys.get("members", node))
            if "currency" in keys:
                self.error(f"only money takes a currency, not {kind}", keys["currency"])
            return ir.FieldType(kind, tuple(dict.fromkeys(members)))
        if simple not in _SIMPLE_KINDS:
            self.error(
                f"unknown type {simple!r}{self.suggest(simple, (*_SIMPLE_KINDS, 'enum', 'set'))}", node
            )
            return None
        if "currency" in keys:
            if currency is not None:
                self.error("the currency is given twice: in the type and in 'currency'", keys["currency"])
            currency = self.text(keys["currency"], "'currency'")
            if currency is not None and not _CURRENCY.match(currency):
                self.error(f"a currency is a 3-letter code such as CNY, not {currency!r}", keys["currency"])
        if currency is not None and simple != "money":
            self.error(f"only money takes a currency, not {simple}", keys.get("currency", node))
            currency = None
        if "members" in keys:
            self.error(f"only enum and set take members, not {simple}", keys["members"])
        return ir.FieldType(simple, (), currency)

    def named(self, node, what: str) -> tuple[ir.Named, ...]:
        """``{id: label, ...}`` (null for no label) or a list of ids, in order."""
        if self.is_sequence(node):
            return tuple(ir.Named(n, span=s) for n, s in self.names(node, what, spans=True))
        out = []
        for key, value in self.mapping(node, f"{what} (a mapping of name to label)"):
            name = self.name(key, f"a name in {what}")
            label = None if self.is_null(value) else self.text(value, f"the label of '{name}'")
            if name is not None:
                out.append(ir.Named(name, label, span=self.span(key)))
        return tuple(out)

    # ------------------------------------------------------------------ classify and route
    def rule_common(self, keys: dict, node, what: str) -> dict | None:
        rid = self.name(keys["id"], f"the id of a {what}") if "id" in keys else None
        position = None
        if "position" in keys:
            text = self.text(keys["position"], "'position'") or ""
            match = _POSITION.match(text.strip())
            if match is None:
                self.error("'position' is 'before RULE_ID' or 'after RULE_ID'", keys["position"])
            else:
                position = ir.Position(match.group(1), match.group(2), span=self.span(keys["position"]))
        note = None
        if "note" in keys and not self.is_null(keys["note"]):
            note = self.text(keys["note"], "'note'")
        if rid is None:
            return None
        return {"id": rid, "position": position, "note": note, "span": self.span(node)}

    def when(self, keys: dict) -> ir.Expr | None:
        if "when" not in keys:
            return None
        return self.fragment(keys["when"], "cond", "'when' (a condition)")

    def classify(self, node) -> ir.Classify | None:
        keys = self.keys(node, "'classify'", CLASSIFY_KEYS)
        if keys is None:
            return None
        hit = self.hit(keys, ("first", "highest"), "classify")
        rules = self.rules(keys, "classify", self.classify_rule)
        otherwise = None
        if "otherwise" in keys and not self.is_null(keys["otherwise"]):
            otherwise = self.name(keys["otherwise"], "'otherwise' (a level)")
        return ir.Classify(hit, rules, otherwise, span=self.span(node))

    def classify_rule(self, node) -> ir.ClassifyRule | None:
        keys = self.keys(node, "a classify rule", CLASSIFY_RULE_KEYS, required=("id", "when", "level"))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "classify rule")
        when = self.when(keys)
        level = self.name(keys["level"], "'level'") if "level" in keys else None
        if common is None or when is None or level is None:
            return None
        return ir.ClassifyRule(when=when, level=level, **common)

    def route(self, node) -> ir.Route | None:
        keys = self.keys(node, "'route'", CLASSIFY_KEYS)
        if keys is None:
            return None
        hit = self.hit(keys, ("first", "all"), "route")
        rules = self.rules(keys, "route", self.route_rule)
        otherwise = None
        if "otherwise" in keys and not self.is_null(keys["otherwise"]):
            otherwise = self.names(keys["otherwise"], "'otherwise' (units)", at_least_one=True)
        return ir.Route(hit, rules, otherwise, span=self.span(node))

    def route_rule(self, node) -> ir.RouteRule | None:
        keys = self.keys(node, "a route rule", ROUTE_RULE_KEYS, required=("id", "when", "to"))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "route rule")
        when = self.when(keys)
        targets = self.names(keys["to"], "'to' (units)", at_least_one=True) if "to" in keys else None
        if common is None or when is None or not targets:
            return None
        return ir.RouteRule(when=when, targets=targets, **common)

    def hit(self, keys: dict, allowed: tuple[str, ...], block: str) -> str:
        if "hit" not in keys:
            return "first"
        hit = self.name(keys["hit"], "'hit'")
        if hit is not None and hit not in allowed:
            self.error(
                f"{block} takes hit policy {' or '.join(repr(a) for a in allowed)}, not {hit!r}", keys["hit"]
            )
        return hit or "first"

    def rules(self, keys: dict, block: str, method) -> tuple:
        if "rules" not in keys or self.is_null(keys["rules"]):
            return ()
        items = (method(n) for n in self.sequence(keys["rules"], f"'rules' of {block} (a list of rules)"))
        return tuple(i for i in items if i is not None)

    # ------------------------------------------------------------------ deadlines, escalations, obligations
    def deadline(self, node) -> ir.DeadlineRule | None:
        keys = self.keys(node, "a deadline rule", DEADLINE_KEYS, required=("id", "clock", "within", "after"))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "deadline rule")
        clock = self.name(keys["clock"], "'clock'") if "clock" in keys else None
        duration = (
            self.fragment(keys["within"], "due", "'within' (a duration or 'end of day')") if "within" in keys else None
        )
        anchor = (
            self.name(keys["after"], "'after' (a datetime field or a clock)") if "after" in keys else None
        )
        when = self.when(keys)
        life = self.life(keys)
        if None in (common, clock, duration, anchor, life) or ("when" in keys and when is None):
            return None
        return ir.DeadlineRule(clock=clock, duration=duration, anchor=anchor, when=when, life=life, **common)

    def life(self, keys) -> ir.ClockLife | None:
        """A deadline rule's ``pause``, ``stop``, ``restart`` and ``warn`` keys; None when one is wrong."""
        parts: dict = {}
        before = len(self.diagnostics)
        if "pause" in keys:
            parts["pause"] = tuple(sorted(set(self.names(keys["pause"], "'pause' (statuses)", at_least_one=True))))
        if "stop" in keys:
            parts["stop"] = tuple(dict.fromkeys(self.names(keys["stop"], "'stop' (fields, statuses or rules)",
                                                           at_least_one=True)))  # fmt: skip
        if "restart" in keys:
            parts["restart"] = self.name(keys["restart"], "'restart' (a status)")
        if "warn" in keys:
            parts["warn"] = self.fragment(keys["warn"], "warning", "'warn' ('at 75%' or '1 day before')")
        if len(self.diagnostics) != before or None in parts.values():
            return None
        if not parts:
            return ir.NO_LIFE
        span = self.span(next(keys[k] for k in ("pause", "stop", "restart", "warn") if k in keys))
        return ir.ClockLife(**parts, span=span)

    def escalation(self, node) -> ir.EscalationRule | None:
        keys = self.keys(
            node, "an escalation rule", ESCALATION_KEYS, required=("id", "action", "targets", "timing")
        )
        if keys is None:
            return None
        common = self.rule_common(keys, node, "escalation rule")
        action = self.name(keys["action"], "'action'") if "action" in keys else None
        actions = ("remind", "notify", "escalate")
        if action is not None and action not in actions:
            hint = self.suggest(action, actions)
            self.error(f"'action' is remind, notify or escalate, not {action!r}{hint}", keys["action"])
            action = None
        targets = (
            self.names(keys["targets"], "'targets' (units or owner)", at_least_one=True)
            if "targets" in keys
            else None
        )
        timing = self.fragment(keys["timing"], "timing", "'timing'") if "timing" in keys else None
        when = self.when(keys)
        if None in (common, action, timing) or not targets or ("when" in keys and when is None):
            return None
        return ir.EscalationRule(action=action, targets=targets, timing=timing, when=when, **common)

    def obligation(self, node) -> ir.ObligationRule | None:
        keys = self.keys(node, "an obligation rule", OBLIGATION_KEYS, required=("id", "action", "by"))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "obligation rule")
        action = self.name(keys["action"], "'action'") if "action" in keys else None
        label = None
        if "label" in keys and not self.is_null(keys["label"]):
            label = self.text(keys["label"], "'label'")
        by = self.names(keys["by"], "'by' (units)", at_least_one=True) if "by" in keys else None
        timing = self.fragment(keys["timing"], "timing", "'timing'") if "timing" in keys else ir.IMMEDIATELY
        when = self.when(keys)
        if None in (common, action, timing) or not by or ("when" in keys and when is None):
            return None
        return ir.ObligationRule(action=action, label=label, by=by, timing=timing, when=when, **common)

    # ------------------------------------------------------------------ invariants
    def invariant(self, node) -> ir.InvariantRule | None:
        """``{id: caps, monotone: cap}``, ``{id: gm, always: route general_manager, when: level == major}``."""
        keys = self.keys(node, "an invariant", INVARIANT_KEYS, required=("id",))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "invariant")
        kinds = [k for k in ir.INVARIANT_KINDS if k in keys]
        if len(kinds) != 1:
            self.error("an invariant has exactly one of 'monotone', 'always' or 'never'",
                       keys[kinds[1]] if len(kinds) > 1 else node)  # fmt: skip
            return None
        kind = kinds[0]
        text = self.text(keys[kind], f"'{kind}'")
        if text is None:
            return None
        words = text.split()
        subject = words[0] if words else ""
        forms = [s for k, s in ir.INVARIANT_FORMS if k == kind]
        named = ir.INVARIANT_FORMS.get((kind, subject))
        if named is None or len(words) != 1 + named or (named and not _NAME.match(words[1])):
            shapes = ", ".join(f"'{s} NAME'" if ir.INVARIANT_FORMS[(kind, s)] else f"'{s}'" for s in forms)
            self.error(f"'{kind}' takes {shapes}, not {text!r}", keys[kind])
            return None
        when = self.when(keys)
        if "when" in keys and kind == "monotone":
            self.error("a 'monotone' invariant compares levels over every record; it takes no 'when'", keys["when"])
            return None
        if common is None or ("when" in keys and when is None):
            return None
        return ir.InvariantRule(kind=kind, subject=subject, arg=words[1] if named else None, when=when, **common)

    # ------------------------------------------------------------------ compensate
    def compensate(self, node) -> ir.Compensate | None:
        keys = self.keys(node, "'compensate'", COMPENSATE_KEYS)
        if keys is None:
            return None
        kw: dict = {}
        if "amount" in keys and not self.is_null(keys["amount"]):
            kw["amount"] = self.name(keys["amount"], "'amount' (the field holding the claimed amount)")
        if "options" in keys:
            kw["options"] = self.named(keys["options"], "'options'")
        if "authority" in keys:
            authority = []
            for key, value in self.mapping(keys["authority"], "'authority' (a mapping of role to limit)"):
                role = self.name(key, "a role in 'authority'")
                limit = self.money(value, f"the limit of '{role}'")
                if role is not None and limit is not None:
                    authority.append(ir.Authority(role, limit, span=self.span(key)))
            kw["authority"] = tuple(authority)
        if "tiers" in keys:
            tiers = (self.tier(n) for n in self.sequence(keys["tiers"], "'tiers' (a list of tiers)"))
            kw["tiers"] = tuple(t for t in tiers if t is not None)
        kw["rules"] = self.rules(keys, "compensate", self.remedy_rule)
        return ir.Compensate(span=self.span(node), **kw)

    def tier(self, node) -> ir.Tier | None:
        keys = self.keys(node, "a tier", TIER_KEYS, required=TIER_KEYS)
        if keys is None or len(keys) < len(TIER_KEYS):
            return None
        level = self.name(keys["level"], "'level'")
        cap = self.money(keys["cap"], "'cap'")
        approver = self.name(keys["by"], "'by' (the approving role)")
        if None in (level, cap, approver):
            return None
        return ir.Tier(level, cap, approver, span=self.span(node))

    def remedy_rule(self, node) -> ir.RemedyRule | None:
        keys = self.keys(node, "a compensate rule", REMEDY_KEYS, required=("id",))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "compensate rule")
        actions = [a for a in ("exclude", "prefer") if a in keys]
        if len(actions) != 1:
            self.error(
                "a compensate rule has exactly one of 'exclude: [options]' or 'prefer: [options]'",
                keys[actions[1]] if len(actions) > 1 else node,
            )
            return None
        options = self.names(keys[actions[0]], f"'{actions[0]}' (remedy options)")
        when = self.when(keys) if "when" in keys else ir.Const(True)
        if common is None or when is None:
            return None
        return ir.RemedyRule(action=actions[0], options=tuple(sorted(set(options))), when=when, **common)

    def money(self, node, what: str) -> ir.Money | None:
        value = self.value(node, what)
        if value is None:
            return None
        if not isinstance(value, ir.Money):
            self.error(f"{what} is an amount of money such as 500 CNY", node)
            return None
        return value

    # ------------------------------------------------------------------ follow-up
    def follow_up(self, node) -> ir.FollowUp | None:
        keys = self.keys(node, "'follow_up'", FOLLOW_UP_KEYS)
        if keys is None:
            return None
        rules = self.rules(keys, "follow_up", self.fu_rule)
        otherwise = None
        if "otherwise" in keys and not self.is_null(keys["otherwise"]):
            okeys = self.keys(
                keys["otherwise"], "'otherwise' of follow_up", FU_OTHERWISE_KEYS, required=("rate",)
            )
            if okeys is not None and "rate" in okeys:  # a missing rate is reported by keys()
                body = self.fu_body(okeys, keys["otherwise"])
                note = None
                if "note" in okeys and not self.is_null(okeys["note"]):
                    note = self.text(okeys["note"], "'note'")
                if body is not None:
                    otherwise = ir.FollowUpRule(
                        id="follow_up.otherwise", note=note, span=self.span(keys["otherwise"]), **body
                    )
        until = None
        if "until_satisfied" in keys and not self.is_null(keys["until_satisfied"]):
            until = self.until(keys["until_satisfied"])
        return ir.FollowUp(rules, otherwise, until, span=self.span(node))

    def until(self, node) -> int | None:
        """``true`` (repeat until satisfied, no limit) or the most times, e.g. ``3``."""
        if self.is_scalar(node) and node.style is None:
            if node.value == "true":
                return 0
            if node.value == "false":
                return None
            if node.value.isdigit():
                return int(node.value)
        self.error("'until_satisfied' is true (no limit) or the most times to repeat, e.g. 3", node)
        return None

    def fu_rule(self, node) -> ir.FollowUpRule | None:
        keys = self.keys(node, "a follow_up rule", FU_RULE_KEYS, required=("id", "rate"))
        if keys is None:
            return None
        common = self.rule_common(keys, node, "follow_up rule")
        body = self.fu_body(keys, node) if "rate" in keys else None
        when = self.when(keys)
        if common is None or body is None or ("when" in keys and when is None):
            return None
        return ir.FollowUpRule(when=when, **body, **common)

    def fu_body(self, keys: dict, node) -> dict | None:
        rate_node = keys["rate"]
        if self.is_null(rate_node) or (self.is_scalar(rate_node) and rate_node.value == "none"):
            extra = [k for k in ("within", "after", "by", "via") if k in keys]
            if extra:
                self.error(f"an exempt rule (rate: none) takes no '{extra[0]}'", keys[extra[0]])
                return None
            return {"rate": None}
        rate = self.value(rate_node, "'rate'")
        if rate is not None and not isinstance(rate, ir.Percent):
            self.error("'rate' is a percentage such as 30%, or none (exempt)", rate_node)
            rate = None
        missing = [k for k in ("within", "after") if k not in keys]
        if missing:
            self.error(f"a follow-up with a rate needs '{missing[0]}'", node)
            return None
        window = self.fragment(keys["within"], "due", "'within' (a duration or 'end of day')")
        anchor = self.name(keys["after"], "'after' (a datetime field)")
        by = self.names(keys["by"], "'by' (units)") if "by" in keys else ()
        via = self.names(keys["via"], "'via' (channels)") if "via" in keys else ()
        if None in (rate, window, anchor):
            return None
        return {"rate": rate, "window": window, "anchor": anchor, "by": by, "via": via}

    # ------------------------------------------------------------------ tests
    def test(self, node) -> ir.TestCase | None:
        keys = self.keys(node, "a test", TEST_KEYS, required=("name",))
        if keys is None:
            return None
        name = self.text(keys["name"], "'name'") if "name" in keys else None
        given = []
        if "given" in keys and not self.is_null(keys["given"]):
            for key, value in self.mapping(keys["given"], "'given' (a mapping of field to value)"):
                field = self.name(key, "a field name in 'given'")
                val = self.value(value, f"the value of '{field}'")
                if field is not None and val is not None:
                    given.append(ir.Assignment(field, val, span=self.span(key)))
        now = None
        if "now" in keys and not self.is_null(keys["now"]):
            now = self.value(keys["now"], "'now'")
            if now is not None and not isinstance(now, dt.datetime):
                self.error("'now' is a date-time with a UTC offset, e.g. 2026-12-02T10:00+08:00", keys["now"])
                now = None
        expect = []
        if "expect" in keys and not self.is_null(keys["expect"]):
            for key, value in self.mapping(
                keys["expect"], "'expect' (a mapping of output to expected value)"
            ):
                item = self.expectation(key, value)
                if item is not None:
                    expect.append(item)
        if name is None:
            return None
        return ir.TestCase(name, tuple(given), tuple(expect), now, span=self.span(node))

    def expectation(self, key, value) -> ir.Expectation | None:
        text = self.text(key, "an expected output")
        if text is None:
            return None
        arg = None
        words = text.split()
        if len(words) == 2 and words[0] == "deadline":
            arg = words[1]
            if not _NAME.match(arg):
                self.error(f"{arg!r} is not a clock name", key)
                return None
            text = "deadline"
        elif text not in EXPECT_KEYS:
            choices = (*EXPECT_KEYS, "deadline")
            self.error(
                f"unknown expected output {text!r}{self.suggest(text, choices)}; "
                f"expected one of {', '.join(EXPECT_KEYS)}, 'deadline CLOCK'",
                key,
            )
            return None
        ok, val = self.expected(value, text in ORDERED_EXPECT)
        if not ok:
            return None
        return ir.Expectation(text, val, arg, span=self.span(key))

    def expected(self, node, ordered: bool) -> tuple[bool, object]:
        """An expected value: ``none``, a value, a list, ``{set: [..]}`` or ``{ordered: [..]}``."""
        if self.is_null(node) or (self.is_scalar(node) and node.style is None and node.value == "none"):
            return True, None
        if self.is_mapping(node):
            keys = self.keys(node, "an explicit list ({set: [...]} or {ordered: [...]})", ("set", "ordered"))
            if not keys or len(keys) != 1:
                if keys is not None:
                    self.error("give exactly one of 'set' or 'ordered'", node)
                return False, None
            kind, inner = next(iter(keys.items()))
            return self.expected_list(inner, kind == "ordered")
        if self.is_sequence(node):
            return self.expected_list(node, ordered)
        val = self.value(node, "an expected value")
        return val is not None, val

    def expected_list(self, node, ordered: bool) -> tuple[bool, object]:
        if ordered:
            names = self.names(node, "an ordered list of names")
            return True, tuple(names)
        val = self.value(node, "a set")
        return isinstance(val, frozenset), val
