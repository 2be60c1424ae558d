"""Law: on small finite domains, exhaustive enumeration and ``prove`` agree on gaps and unreachable rules."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules import ir
from complaint_rules.analysis import prove

LEVELS = ("general", "intermediate", "major")
COLOURS = ("red", "green", "blue")
TAGS = ("a", "b")
KEYWORDS = ("fire", "fireman", "火")
TEXTS = ("fire alarm", "quiet")

SCHEMA = (
    ir.FieldDecl("colour", ir.FieldType("enum", COLOURS), required=True),
    ir.FieldDecl("shade", ir.FieldType("enum", ("dark", "light"))),  # optional: may be missing
    ir.FieldDecl("urgent", ir.FieldType("bool"), default=False),
    ir.FieldDecl("count", ir.FieldType("int"), default=0),
    ir.FieldDecl("tags", ir.FieldType("set", TAGS), default=frozenset()),
    ir.FieldDecl("note", ir.FieldType("text")),
    ir.FieldDecl("received_at", ir.FieldType("datetime"), required=True),
)

MISSING = object()
DOMAINS = {
    "colour": list(COLOURS),
    "shade": ["dark", "light", MISSING],
    "urgent": [False, True],
    "count": list(range(-1, 7)),
    "tags": [frozenset(s) for n in range(3) for s in itertools.combinations(TAGS, n)],
    # Not every string, but every class the abstraction distinguishes and then some.
    "note": [MISSING, "", "x", "fire", "fireman", "火", "fire 火", "fireman 火", "FIRE", *TEXTS, "quiet fire"],
}
RECORDS = [dict(zip(DOMAINS, values)) for values in itertools.product(*DOMAINS.values())]


def holds(expr: ir.Expr, record: dict, level: str | None = None) -> bool:
    """An independent reference semantics (missing values make every test but `is missing` false)."""
    if isinstance(expr, ir.Const):
        return bool(expr.value)
    if isinstance(expr, ir.Not):
        return not holds(expr.item, record, level)
    if isinstance(expr, ir.And):
        return all(holds(e, record, level) for e in expr.items)
    if isinstance(expr, ir.Or):
        return any(holds(e, record, level) for e in expr.items)
    name = expr.name if isinstance(expr, ir.Ref) else getattr(expr, "operand", getattr(expr, "left", None)).name
    value = (MISSING if level is None else level) if name == "level" else record[name]
    if isinstance(expr, ir.Missing):
        return (value is MISSING) != expr.negated
    if value is MISSING:
        return False
    if isinstance(expr, ir.Ref):
        return value is True
    if isinstance(expr, ir.InSet):
        return (value in expr.members) != expr.negated
    if isinstance(expr, ir.Has):
        test = any if expr.quantifier == "any" else all
        return test(m in value for m in expr.members)
    if isinstance(expr, ir.Mentions):
        test = any if expr.quantifier == "any" else all
        return test(k.casefold() in value.casefold() for k in expr.keywords)
    right = expr.right.value
    if name == "level":
        value, right = LEVELS.index(value), LEVELS.index(right)
    return {"==": value == right, "!=": value != right, "<": value < right, "<=": value <= right,
            ">": value > right, ">=": value >= right}[expr.op]  # fmt: skip


def atoms(with_level: bool) -> st.SearchStrategy:
    options = [
        st.builds(lambda m, n: ir.InSet(ir.Ref("colour"), frozenset(m), n),
                  st.sets(st.sampled_from(COLOURS), min_size=1), st.booleans()),
        st.builds(lambda v, op: ir.Compare(op, ir.Ref("colour"), ir.Const(v)), st.sampled_from(COLOURS),
                  st.sampled_from(["==", "!="])),
        st.builds(lambda v: ir.Compare("==", ir.Ref("shade"), ir.Const(v)), st.sampled_from(["dark", "light"])),
        st.builds(lambda n: ir.Missing(ir.Ref("shade"), n), st.booleans()),
        st.just(ir.Ref("urgent")),
        st.builds(lambda op, c: ir.Compare(op, ir.Ref("count"), ir.Const(c)),
                  st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.integers(0, 5)),
        st.builds(lambda q, m: ir.Has(ir.Ref("tags"), q, frozenset(m)), st.sampled_from(["any", "all"]),
                  st.sets(st.sampled_from(TAGS), min_size=1)),
        st.builds(lambda q, k: ir.Mentions(ir.Ref("note"), q, frozenset(k)), st.sampled_from(["any", "all"]),
                  st.sets(st.sampled_from(KEYWORDS), min_size=1)),
        st.builds(lambda v, op: ir.Compare(op, ir.Ref("note"), ir.Const(v)), st.sampled_from(TEXTS),
                  st.sampled_from(["==", "!="])),
        st.builds(lambda n: ir.Missing(ir.Ref("note"), n), st.booleans()),
    ]  # fmt: skip
    if with_level:
        options.append(st.builds(lambda op, v: ir.Compare(op, ir.Ref("level"), ir.Const(v)),
                                 st.sampled_from(["==", "!=", ">="]), st.sampled_from(LEVELS)))  # fmt: skip
    return st.one_of(options)


def conditions(with_level: bool = False) -> st.SearchStrategy:
    return st.recursive(
        atoms(with_level),
        lambda inner: st.one_of(
            st.builds(ir.Not, inner),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: ir.And(tuple(xs))),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: ir.Or(tuple(xs))),
        ),
        max_leaves=4,
    )


@st.composite
def policies(draw) -> ir.Policy:
    hit = draw(st.sampled_from(["first", "highest"]))
    n = draw(st.integers(1, 5))
    classify = ir.Classify(
        hit,
        tuple(ir.ClassifyRule(f"c{i}", draw(conditions()), draw(st.sampled_from(LEVELS))) for i in range(n)),
        draw(st.sampled_from([None, "general"])),
    )
    m = draw(st.integers(1, 4))
    route = ir.Route(
        "first",
        tuple(ir.RouteRule(f"r{i}", draw(conditions(with_level=True)), ("desk",)) for i in range(m)),
        draw(st.sampled_from([None, ("desk",)])),
    )
    return ir.Policy(
        ir.Header("gen"),
        record=SCHEMA,
        units=(ir.Named("desk"),),
        levels=tuple(ir.Named(lv) for lv in LEVELS),
        classify=classify,
        route=route,
        follow_up=ir.FollowUp(otherwise=ir.FollowUpRule("follow_up.otherwise", None)),
    )


def classify(policy: ir.Policy, record: dict) -> tuple[str | None, str | None]:
    """(level, deciding rule id) by the reference semantics."""
    c = policy.classify
    matching = [r for r in c.rules if holds(r.when, record)]
    if not matching:
        return c.otherwise, None
    if c.hit == "first":
        return matching[0].level, matching[0].id
    top = max(matching, key=lambda r: LEVELS.index(r.level))
    return top.level, top.id


def brute_force(policy: ir.Policy) -> dict[str, object]:
    c, r = policy.classify, policy.route
    satisfiable: set[str] = set()
    deciding: set[str] = set()
    level_gap = route_gap = False
    for record in RECORDS:
        matches = [rule for rule in c.rules if holds(rule.when, record)]
        satisfiable.update(rule.id for rule in matches)
        if matches and c.hit == "first":
            deciding.add(matches[0].id)
        elif matches:  # highest: every matching rule of the top severity decides
            top = max(LEVELS.index(rule.level) for rule in matches)
            deciding.update(rule.id for rule in matches if LEVELS.index(rule.level) == top)
        level, _ = classify(policy, record)
        level_gap |= level is None
        matched = [x.id for x in r.rules if holds(x.when, record, level)]
        satisfiable.update(matched)
        if matched:
            deciding.add(matched[0])
        route_gap |= not matched and r.otherwise is None
    return {"satisfiable": satisfiable, "deciding": deciding, "level_gap": level_gap, "route_gap": route_gap}


def as_reference(record: dict) -> dict:
    out = {name: MISSING for name in DOMAINS}
    for name, value in record.items():
        out[name] = frozenset(value) if name == "tags" else value
    return out


@settings(max_examples=100, deadline=None)
@given(policies())
def test_prove_agrees_with_enumeration(policy: ir.Policy) -> None:
    report = prove(policy)
    truth = brute_force(policy)
    assert not report.uncovered
    never = {f.rule for f in report.findings if f.kind == "never"}
    unreachable = {f.rule for f in report.findings if f.kind == "unreachable"}
    all_ids = {x.id for x in (*policy.classify.rules, *policy.route.rules)}
    assert never == all_ids - truth["satisfiable"]
    assert unreachable == truth["satisfiable"] - truth["deciding"]
    assert ("gap.level" in report.kinds()) == truth["level_gap"]
    assert ("gap.route" in report.kinds()) == truth["route_gap"]
    # Every counterexample shows its finding under the reference semantics.
    for finding in report.findings:
        if finding.record is None:
            continue
        record = as_reference(finding.record)
        level, decider = classify(policy, record)
        if finding.kind == "gap.level":
            assert level is None
        elif finding.kind == "gap.route":
            assert not any(holds(x.when, record, level) for x in policy.route.rules)
        elif finding.kind == "unreachable" and finding.block == "classify":
            rule = next(x for x in policy.classify.rules if x.id == finding.rule)
            assert holds(rule.when, record) and decider != rule.id
        elif finding.kind == "unreachable" and finding.block == "route":
            rule = next(x for x in policy.route.rules if x.id == finding.rule)
            matched = [x.id for x in policy.route.rules if holds(x.when, record, level)]
            assert rule.id in matched and matched[0] != rule.id
