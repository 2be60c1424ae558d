"""Hypothesis strategies for IR policies covering every construct (reused by DSL and YAML round-trip tests).

``policies()`` draws an :class:`ir.Policy` that both printers can write: names avoid the DSL's keywords,
rule ids are unique across the policy, and each value is one that the DSL can spell (durations of whole
units, date-times with minute offsets, business hours in whole minutes). Names deliberately include
``yes``/``no``/``on``/``off``/``null``, which YAML 1.1 would otherwise read as booleans or null.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from complaint_rules import ir


def _keywords() -> frozenset[str]:
    grammar = resources.files("complaint_rules").joinpath("grammar/policy.lark").read_text(encoding="utf-8")
    return frozenset(re.findall(r'"([a-z_]+)"', grammar))


KEYWORDS = _keywords()
# Never names: true/false/not/none. The rest of the grammar's words are names in most places. After a
# record field or an authority entry the formatter writes a comma before a keyword-like name, so those
# round-trip (tests/test_edges.py). Still read as keywords (known, rare): an invariant's subject or a
# rule's last name followed by `rule`, `when` or `note` (`never option rule`, `never route when ...`).
RESERVED = frozenset({"true", "false", "not", "none"})
# Names that YAML 1.1 resolves to something other than text, plus ordinary ones.
TRICKY_NAMES = ("yes", "no", "on", "off", "null", "y", "n", "nan", "inf", "_", "x1", "tilde")
_generated = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
# `names` avoids every keyword, so it can be used for round trips today; `keyword_names` finds the bugs above.
names = st.one_of(st.sampled_from(TRICKY_NAMES), _generated).filter(lambda n: n not in KEYWORDS)
keyword_names = st.one_of(names, st.sampled_from(sorted(KEYWORDS - RESERVED)))

# Text: CJK, quotes, backslashes, YAML and DSL punctuation, a few control and line-break characters.
_ALPHABET = st.one_of(
    st.sampled_from("abcXYZ 09-_:#{}[],&*!|>'\"%@`\\/\t\n"),
    st.sampled_from("客服部一般抱怨重大★é"),
    st.sampled_from("\x00\x07\x85\u2028\ufeff\U0001f600"),
)
texts = st.text(_ALPHABET, max_size=12)
labels = st.one_of(
    texts, st.sampled_from(("客服部", "一般抱怨", "★★", "null", "yes", "true", "1.10", "- x", ""))
)

# Real ISO 4217 codes: the checker refuses any other (complaint_rules.currencies).
currencies = st.sampled_from(("CNY", "USD", "EUR", "GBP", "JPY", "HKD", "TWD", "CHF", "XTS"))
decimals = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
money = st.builds(ir.Money, st.decimals(min_value=-(10**6), max_value=10**7, places=2), currencies)
durations = st.builds(ir.Duration, st.integers(0, 1000), st.sampled_from(ir.LENGTH_UNITS))
# What may come before `after ANCHOR`: a length, or the close of a working day (`end of day`).
dues = durations | st.builds(ir.Duration, st.integers(0, 30), st.just("end_of_day"))
percents = st.builds(ir.Percent, st.decimals(min_value=0, max_value=100, places=1))
# How a clock lives in time: most clocks only run; the rest pause, stop, restart and warn in any combination.
lives = st.just(ir.NO_LIFE) | st.builds(
    ir.ClockLife,
    pause=st.frozensets(names, max_size=3).map(lambda s: tuple(sorted(s))),
    stop=st.lists(names, max_size=3, unique=True).map(tuple),
    restart=st.none() | names,
    warn=st.none() | st.builds(ir.Percent, st.decimals(min_value=1, max_value=99, places=1)) | st.builds(
        ir.Duration, st.integers(1, 100), st.sampled_from(ir.LENGTH_UNITS)),
)
dates = st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31))
_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
datetimes = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2100, 1, 1), timezones=_offsets)
member_sets = st.frozensets(st.one_of(names, texts), max_size=4)

# ---------------------------------------------------------------------------- edges, for evaluation tests
# Days where calendar arithmetic can go wrong: the last four days of a month (so a month shift lands short
# in February or November), leap days (2000 is one, 2100 is not) and year ends, over a century.
month_end_dates = st.builds(
    lambda year, month, back: (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1 + back)),
    st.integers(1990, 2100), st.integers(1, 12), st.integers(0, 3),
)  # fmt: skip
leap_days = st.sampled_from([1992, 1996, 2000, 2004, 2024, 2028, 2096]).map(lambda y: dt.date(y, 2, 29))
wide_dates = st.one_of(dates, month_end_dates, leap_days)
_wall_zones = st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Sydney"])
aware_datetimes = st.builds(
    lambda day, minute, zone, fold: dt.datetime.combine(day, dt.time(fold=fold)).replace(
        tzinfo=zone if isinstance(zone, dt.timezone) else ZoneInfo(zone)
    ) + dt.timedelta(minutes=minute),
    wide_dates,
    st.one_of(st.sampled_from([0, 59, 60 + 30, 120 + 30, 9 * 60, 18 * 60, 24 * 60 - 1]), st.integers(0, 24 * 60 - 1)),
    st.one_of(_wall_zones, _offsets),
    st.integers(0, 1),
)  # fmt: skip
# Counts and amounts from nothing to large, with the edges drawn often.
counts = st.one_of(st.sampled_from([0, 1, 2, 9, 10, 11, 999, 1000, 1001, 2**31 - 1, 2**31]), st.integers(0, 10**12))
# Text over all of Unicode (CJK, astral emoji, combining marks) except surrogates, and mixed with ASCII.
wide_texts = st.one_of(
    texts,
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(st.sampled_from("退款经理火灾客诉") | st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF,
                                                             exclude_categories=("Cs", "Cn")), min_size=1, max_size=8),
)  # fmt: skip

# Every kind of literal a condition, a default or a test input can hold.
values = st.one_of(
    st.booleans(),
    st.integers(-(10**9), 10**9),
    decimals,
    names,
    texts,
    money,
    durations,
    percents,
    dates,
    datetimes,
    member_sets,
)


# ---------------------------------------------------------------------------- expressions

refs = st.builds(ir.Ref, names)
_leaves = st.one_of(
    refs,
    st.builds(ir.Const, st.booleans()),
    st.builds(ir.Compare, st.sampled_from(ir.COMPARE_OPS), refs, st.builds(ir.Const, values)),
    st.builds(ir.InSet, refs, member_sets, st.booleans()),
    st.builds(ir.Has, refs, st.sampled_from(("any", "all")), member_sets),
    st.builds(ir.Mentions, refs, st.sampled_from(("any", "all")), st.frozensets(texts, max_size=3)),
    st.builds(ir.Missing, refs, st.booleans()),
)


def _compound(children):
    items = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(st.builds(ir.And, items), st.builds(ir.Or, items), st.builds(ir.Not, children))


conditions = st.recursive(_leaves, _compound, max_leaves=6)
optional_conditions = st.none() | conditions

timings = st.one_of(
    st.just(ir.IMMEDIATELY),
    st.builds(ir.Timing, st.just("before"), durations, names),
    st.builds(ir.Timing, st.just("after"), dues, names),
    st.builds(ir.Timing, st.just("for"), durations),
)


# ---------------------------------------------------------------------------- declarations


def _unique_names(min_size: int = 0, max_size: int = 4):
    return st.lists(names, min_size=min_size, max_size=max_size, unique=True).map(tuple)


def _names_at_least_one(max_size: int = 3):
    return _unique_names(1, max_size)


headers = st.builds(
    ir.Header,
    id=texts,
    title=st.none() | labels,
    version=st.none() | st.sampled_from(("2026.11", "1.10", "1", "v2")) | texts,
    effective=st.none() | dates,
    currency=st.none() | currencies,
    calendar=st.none() | st.sampled_from(("CN", "HK", "TW")) | texts,
    hours=st.none()
    | st.tuples(
        st.times().map(lambda t: t.replace(second=0, microsecond=0)),
        st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    ),
    timezone=st.none() | st.sampled_from(("Asia/Shanghai", "UTC")),
    holidays=st.lists(dates, max_size=3).map(tuple),
    workdays=st.lists(dates, max_size=2).map(tuple),
)

_SIMPLE = tuple(k for k in ir.FIELD_KINDS if k not in ("enum", "set"))


@st.composite
def field_decls(draw, name: str) -> ir.FieldDecl:
    """A record field whose default (if any) fits its type."""
    kind = draw(st.sampled_from(ir.FIELD_KINDS))
    members: tuple[str, ...] = ()
    currency = None
    if kind in ("enum", "set"):
        members = draw(_names_at_least_one(5))
    if kind == "money":
        currency = draw(st.none() | currencies)
    defaults = {
        "bool": st.booleans(),
        "int": st.integers(-1000, 10**6),
        "decimal": decimals,
        "money": money if currency is None else money.map(lambda m: ir.Money(m.amount, currency)),
        "text": texts,
        "date": dates,
        "datetime": datetimes,
        "duration": durations,
        "enum": st.sampled_from(members) if members else st.nothing(),
        "set": st.frozensets(st.sampled_from(members)) if members else st.nothing(),
    }
    default = draw(st.none() | defaults[kind])
    return ir.FieldDecl(
        name, ir.FieldType(kind, members, currency), default, draw(st.booleans()), draw(st.none() | labels)
    )


@st.composite
def records(draw) -> tuple[ir.FieldDecl, ...]:
    return tuple(draw(field_decls(n)) for n in draw(_unique_names(0, 5)))


def named(ids=None):
    """Declared names (units, levels, options) with optional labels, ids unique."""
    id_lists = ids if ids is not None else _unique_names(0, 4)
    return id_lists.flatmap(
        lambda ns: st.tuples(*(st.builds(ir.Named, st.just(n), st.none() | labels) for n in ns))
    )


levels = st.lists(st.sampled_from(ir.LEVEL_NAMES), unique=True, max_size=4).map(
    lambda ls: tuple(n for n in ir.LEVEL_NAMES if n in ls)
)
level_names = st.sampled_from(ir.LEVEL_NAMES)


# ---------------------------------------------------------------------------- rules


class Ids:
    """Hands out rule ids unique across one policy."""

    def __init__(self, draw):
        self.draw, self.used = draw, set()

    def __call__(self) -> str:
        rid = self.draw(names)
        while rid in self.used:
            rid = f"{rid}_{len(self.used)}"
        self.used.add(rid)
        return rid


def _common(draw, ids: Ids) -> dict:
    position = draw(st.none() | st.builds(ir.Position, st.sampled_from(("before", "after")), names))
    return {"id": ids(), "note": draw(st.none() | labels), "position": position}


def _many(draw, make, max_size: int = 3) -> tuple:
    return tuple(make() for _ in range(draw(st.integers(0, max_size))))


@st.composite
def policies(draw) -> ir.Policy:
    """A policy using any subset of the constructs, each in any of its forms."""
    ids = Ids(draw)
    kw: dict = {}
    if draw(st.booleans()):
        kw["extends"] = draw(st.sampled_from(("../base.policy", "base.yaml")) | texts)
    kw["drops"] = tuple(ir.Named(n) for n in draw(_unique_names(0, 3)))
    kw["record"] = draw(records())
    kw["units"] = draw(named())
    kw["levels"] = draw(named(levels))
    if draw(st.booleans()):
        rules = _many(
            draw,
            lambda: ir.ClassifyRule(when=draw(conditions), level=draw(level_names), **_common(draw, ids)),
        )
        kw["classify"] = ir.Classify(
            draw(st.sampled_from(("first", "highest"))), rules, draw(st.none() | level_names)
        )
    if draw(st.booleans()):
        rules = _many(
            draw,
            lambda: ir.RouteRule(
                when=draw(conditions), targets=draw(_names_at_least_one()), **_common(draw, ids)
            ),
        )
        kw["route"] = ir.Route(
            draw(st.sampled_from(("first", "all"))), rules, draw(st.none() | _names_at_least_one())
        )
    kw["statuses"] = draw(named())
    kw["deadlines"] = _many(
        draw,
        lambda: ir.DeadlineRule(
            clock=draw(names),
            duration=draw(dues),
            anchor=draw(names),
            when=draw(optional_conditions),
            life=draw(lives),
            **_common(draw, ids),
        ),
    )
    kw["escalate"] = _many(
        draw,
        lambda: ir.EscalationRule(
            action=draw(st.sampled_from(("remind", "notify", "escalate"))),
            targets=draw(_names_at_least_one()),
            timing=draw(timings),
            when=draw(optional_conditions),
            **_common(draw, ids),
        ),
    )
    if draw(st.booleans()):
        kw["compensate"] = draw(compensations(ids))
    if draw(st.booleans()):
        kw["follow_up"] = draw(follow_ups(ids))
    kw["obligations"] = _many(
        draw,
        lambda: ir.ObligationRule(
            action=draw(names),
            label=draw(st.none() | labels),
            by=draw(_names_at_least_one()),
            timing=draw(timings),
            when=draw(optional_conditions),
            **_common(draw, ids),
        ),
    )
    kw["invariants"] = _many(draw, lambda: draw(invariant_rules(ids)))
    kw["tests"] = tuple(draw(st.lists(embedded_tests(), max_size=2)))
    return ir.Policy(header=draw(headers), **kw)


@st.composite
def invariant_rules(draw, ids: Ids) -> ir.InvariantRule:
    """Any invariant form; ``when`` only where the language allows one (not on ``monotone``)."""
    kind, subject = draw(st.sampled_from(sorted(ir.INVARIANT_FORMS)))
    arg = draw(names) if ir.INVARIANT_FORMS[(kind, subject)] else None
    when = None if kind == "monotone" else draw(optional_conditions)
    return ir.InvariantRule(kind=kind, subject=subject, arg=arg, when=when, **_common(draw, ids))


@st.composite
def compensations(draw, ids: Ids) -> ir.Compensate:
    roles = draw(_unique_names(0, 3))
    return ir.Compensate(
        amount=draw(st.none() | names),
        options=draw(named()),
        authority=tuple(ir.Authority(r, draw(money)) for r in roles),
        tiers=tuple(draw(st.lists(st.builds(ir.Tier, level_names, money, names), max_size=3))),
        rules=_many(
            draw,
            lambda: ir.RemedyRule(
                action=draw(st.sampled_from(("exclude", "prefer"))),
                options=tuple(sorted(draw(_names_at_least_one()))),
                when=draw(st.just(ir.TRUE) | conditions),
                **_common(draw, ids),
            ),
        ),
    )


def _fu_body(draw) -> dict:
    if draw(st.integers(0, 4)) == 0:
        return {"rate": None}
    return {
        "rate": draw(percents),
        "window": draw(dues),
        "anchor": draw(names),
        "by": draw(_unique_names(0, 2)),
        "via": draw(_unique_names(0, 2)),
    }


@st.composite
def follow_ups(draw, ids: Ids) -> ir.FollowUp:
    rules = _many(
        draw, lambda: ir.FollowUpRule(when=draw(optional_conditions), **_fu_body(draw), **_common(draw, ids))
    )
    otherwise = None
    if draw(st.booleans()):
        otherwise = ir.FollowUpRule(id="follow_up.otherwise", note=draw(st.none() | labels), **_fu_body(draw))
    return ir.FollowUp(rules, otherwise, draw(st.none() | st.integers(0, 9)))


_EXPECT_PLAIN = tuple(k for k in ir.EXPECT_KEYS if k != "deadline")
expected_values = st.one_of(
    st.none(),
    names,
    st.frozensets(names, max_size=3),
    st.lists(names, max_size=3).map(tuple),
    datetimes,
    money,
    st.booleans(),
)


@st.composite
def embedded_tests(draw) -> ir.TestCase:
    given = tuple(ir.Assignment(n, draw(values)) for n in draw(_unique_names(0, 4)))
    keys = draw(
        st.lists(
            st.sampled_from(_EXPECT_PLAIN) | names.map(lambda n: "deadline " + n), unique=True, max_size=5
        )
    )
    expect = tuple(
        ir.Expectation("deadline", draw(expected_values), k.split()[1])
        if k.startswith("deadline ")
        else ir.Expectation(k, draw(expected_values))
        for k in keys
    )
    return ir.TestCase(draw(texts), given, expect, draw(st.none() | datetimes))
