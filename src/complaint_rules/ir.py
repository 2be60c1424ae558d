"""The one intermediate representation that both front ends produce.

Every node is a frozen dataclass. ``span`` and ``comments`` are kept for diagnostics and the
formatter but excluded from equality and hashing, so two policies are equal when they mean the
same thing, whatever their layout or syntax (DSL or YAML).

One module: every IR node in one place (as sqlglot's expressions): the node set is the language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Union

from .span import Span

# ---------------------------------------------------------------------------- values

DURATION_UNITS = (
    "minutes",
    "hours",
    "business_hours",
    "days",
    "working_days",
    "weeks",
    "months",
    "years",
    "end_of_day",
)
# ``end_of_day`` is not a length but a point: the close of the anchor's working day (``end of day``, amount 0)
# or of the n-th working day after it (``end of n working days``). It only comes before ``after ANCHOR``.
LENGTH_UNITS = tuple(u for u in DURATION_UNITS if u != "end_of_day")
FIXED_MINUTES = {  # units of a fixed elapsed length, in minutes
    "minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}


def fixed_length(value: object) -> dt.timedelta | None:
    """The elapsed length of a duration in minutes, hours, days or weeks (``1 day`` is ``24 hours``); None
    for anything else (working days, months, ... have no fixed length). Conditions compare such durations
    by this length, as ``prove`` does."""
    if type(value) is Duration and value.unit in FIXED_MINUTES:
        return dt.timedelta(minutes=value.amount * FIXED_MINUTES[value.unit])
    return None


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency, e.g. ``1000 CNY``."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{_fmt_decimal(self.amount)} {self.currency}"


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time in one unit of :data:`DURATION_UNITS`; ``0 minutes`` means at once."""

    amount: int
    unit: str

    def __str__(self) -> str:
        if self.amount == 0 and self.unit == "minutes":
            return "immediately"
        if self.unit == "end_of_day":
            return "end of day" if self.amount == 0 else f"end of {self.amount} working day{'s' * (self.amount != 1)}"
        unit = self.unit.replace("_", " ")
        if self.amount == 1:
            unit = unit[:-1]
        return f"{self.amount} {unit}"


@dataclass(frozen=True, slots=True)
class Percent:
    """A share of cases, ``30%``; ``value`` is 0..100."""

    value: Decimal

    def __str__(self) -> str:
        return f"{_fmt_decimal(self.value)}%"


def _fmt_decimal(d: Decimal) -> str:
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a list in a test's ``given``, e.g. a follow-up ``{at: ..., method: phone, satisfied: false}``."""

    fields: tuple[tuple[str, object], ...]

    def as_dict(self) -> dict[str, object]:
        return dict(self.fields)


# A literal value. Sets are frozensets of enum member names (or keywords for ``mentions``);
# a tuple of Entry is a list of records (only in a test's ``given``, for ``follow_ups``).
Value = Union[bool, int, Decimal, str, Money, Duration, Percent, dt.date, dt.datetime, frozenset, tuple]

_SPAN = field(default=None, compare=False, hash=False, repr=False)


def _comments():
    return field(default=(), compare=False, hash=False, repr=False)


# ---------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Ref:
    """A record field, or ``level`` (the level decided by ``classify``) inside later blocks."""

    name: str
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Const:
    value: Value
    span: Span | None = _SPAN


COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Expr
    right: Expr
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class InSet:
    """``field in {a, b}`` / ``field not in {a, b}`` for enum, text and level operands."""

    operand: Ref
    members: frozenset
    negated: bool = False
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Has:
    """``set_field has any {a, b}`` (``quantifier='any'``) or ``has all``."""

    operand: Ref
    quantifier: str
    members: frozenset
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Mentions:
    """``text_field mentions any {"fire", "火"}``: case-insensitive keyword match."""

    operand: Ref
    quantifier: str
    keywords: frozenset
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Missing:
    """``field is missing`` (``negated=False``) or ``field is present``."""

    operand: Ref
    negated: bool = False
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Expr, ...]
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Expr, ...]
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Not:
    item: Expr
    span: Span | None = _SPAN


Expr = Union[Ref, Const, Compare, InSet, Has, Mentions, Missing, And, Or, Not]
TRUE = Const(True)

# ---------------------------------------------------------------------------- declarations

FIELD_KINDS = ("bool", "int", "decimal", "money", "text", "date", "datetime", "duration", "enum", "set")


@dataclass(frozen=True, slots=True)
class FieldType:
    """``kind`` is one of :data:`FIELD_KINDS`; ``members`` for enum and set (of enum), in declared order."""

    kind: str
    members: tuple[str, ...] = ()
    currency: str | None = None

    def __str__(self) -> str:
        if self.kind == "enum":
            return "enum {" + ", ".join(self.members) + "}"
        if self.kind == "set":
            return "set of enum {" + ", ".join(self.members) + "}"
        if self.kind == "money" and self.currency:
            return f"money {self.currency}"
        return self.kind


@dataclass(frozen=True, slots=True)
class FieldDecl:
    """One typed field of the record schema. Without a default and not required, it may be missing."""

    name: str
    type: FieldType
    default: Value | None = None
    required: bool = False
    label: str | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    # Personal data (``description: text personal``): a decision log masks it (docs/logs.md). Last, so that
    # positional construction written before it keeps working.
    personal: bool = False


@dataclass(frozen=True, slots=True)
class Named:
    """A declared name with an optional display label: a unit/role, a level, a remedy option."""

    id: str
    label: str | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class Header:
    id: str
    title: str | None = None
    version: str | None = None
    effective: dt.date | None = None
    currency: str | None = None
    calendar: str | None = None
    hours: tuple[dt.time, dt.time] | None = None
    timezone: str | None = None
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()
    nationwide: bool | None = None  # `calendar "GB" nationwide`: the days common to all subdivisions, on purpose
    calendar_data: str | None = None  # `calendar "CN" data "file.yaml"`, relative to the policy file
    # The loaded calendar data (calendar.CalendarData) of this country, in precedence order: the policy's own
    # file, then what the host supplied. Filled by policy.load; not printed, but part of the fingerprint.
    calendar_sources: tuple = ()
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    trailing: tuple[str, ...] = _comments()  # comments before the block's closing brace


@dataclass(frozen=True, slots=True)
class Position:
    """Where an overlay puts a new rule: ``before``/``after`` an existing rule id."""

    relation: str
    anchor: str
    span: Span | None = _SPAN


# ---------------------------------------------------------------------------- rules
# Every rule has an ``id`` unique in its policy: traces, overlays, coverage and diffs use it.


@dataclass(frozen=True, slots=True)
class ClassifyRule:
    id: str
    when: Expr
    level: str
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class RouteRule:
    id: str
    when: Expr
    targets: tuple[str, ...]
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class ClockLife:
    """How a clock lives in time (``pause while {..} stop at .. restart on .. warn ..``); see docs/calendar.md.

    ``pause``: statuses during which the clock does not run; ``stop``: datetime fields, statuses or rule ids
    (an action done, from the history) at which the clock is met; ``restart``: the status that starts a new
    cycle (a reopening); ``warn``: a :class:`Percent` of the clock's length, or a :class:`Duration` before
    its due time, from which a running clock is ``at_risk``.
    """

    pause: tuple[str, ...] = ()
    stop: tuple[str, ...] = ()
    restart: str | None = None
    warn: Duration | Percent | None = None
    span: Span | None = _SPAN


NO_LIFE = ClockLife()


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """``rule id: clock = <duration> after <anchor> [when <cond>] [pause .. stop .. restart .. warn ..]``; the first
    matching rule per clock wins.

    ``anchor`` is a datetime field of the record, another clock of the policy, or a declared status (the clock
    starts when the history first shows it). ``life`` says how the clock pauses, stops and restarts.
    """

    id: str
    clock: str
    duration: Duration
    anchor: str
    when: Expr | None = None
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    life: ClockLife = NO_LIFE


def mentions_level(expr: Expr | None) -> bool:
    """Whether a condition reads the decided ``level`` (a clock ruled by it is timed from when it was reached)."""
    if expr is None:
        return False
    if isinstance(expr, Ref):
        return expr.name == "level"
    if isinstance(expr, Compare):
        return mentions_level(expr.left) or mentions_level(expr.right)
    if isinstance(expr, (InSet, Has, Mentions, Missing)):
        return expr.operand.name == "level"
    if isinstance(expr, (And, Or)):
        return any(mentions_level(i) for i in expr.items)
    if isinstance(expr, Not):
        return mentions_level(expr.item)
    return False


@dataclass(frozen=True, slots=True)
class Timing:
    """When something falls due.

    ``kind`` is ``immediately`` (on receipt or as soon as the condition holds), ``before``/``after``
    (``duration`` relative to ``anchor``: a clock or a datetime field), or ``for`` (a retention period).
    """

    kind: str
    duration: Duration | None = None
    anchor: str | None = None
    span: Span | None = _SPAN


IMMEDIATELY = Timing("immediately")


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """``remind``/``notify``/``escalate`` targets at a time, while a condition holds."""

    id: str
    action: str
    targets: tuple[str, ...]
    timing: Timing
    when: Expr | None = None
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class Tier:
    """Remedy authority for a level: at most ``cap``, approved by ``approver``."""

    level: str
    cap: Money
    approver: str
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class Authority:
    """A role may approve remedies up to ``limit``."""

    role: str
    limit: Money
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class RemedyRule:
    """``exclude`` options (e.g. no cash from 1000 CNY) or ``prefer`` them (words before money)."""

    id: str
    action: str
    options: tuple[str, ...]
    when: Expr
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class Compensate:
    amount: str | None = None
    options: tuple[Named, ...] = ()
    authority: tuple[Authority, ...] = ()
    tiers: tuple[Tier, ...] = ()
    rules: tuple[RemedyRule, ...] = ()
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    trailing: tuple[str, ...] = _comments()  # comments before the block's closing brace


@dataclass(frozen=True, slots=True)
class FollowUpRule:
    """``rate`` of the matching cases within ``window`` after ``anchor``, by whom and how.

    ``rate is None`` means exempt (``none``): no follow-up, but the result is recorded.
    """

    id: str
    rate: Percent | None
    window: Duration | None = None
    anchor: str | None = None
    by: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    when: Expr | None = None
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class FollowUp:
    """First matching rule decides; ``otherwise`` when none does; repeat until satisfied at most N times."""

    rules: tuple[FollowUpRule, ...] = ()
    otherwise: FollowUpRule | None = None
    until_satisfied: int | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    trailing: tuple[str, ...] = _comments()  # comments before the block's closing brace


@dataclass(frozen=True, slots=True)
class ObligationRule:
    """A named action that a condition requires, with who and by when."""

    id: str
    action: str
    label: str | None
    by: tuple[str, ...]
    timing: Timing
    when: Expr | None = None
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class Classify:
    hit: str
    rules: tuple[ClassifyRule, ...] = ()
    otherwise: str | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    trailing: tuple[str, ...] = _comments()  # comments before the block's closing brace


@dataclass(frozen=True, slots=True)
class Route:
    hit: str
    rules: tuple[RouteRule, ...] = ()
    otherwise: tuple[str, ...] | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    trailing: tuple[str, ...] = _comments()  # comments before the block's closing brace


# ---------------------------------------------------------------------------- invariants

INVARIANT_KINDS = ("monotone", "always", "never")
# The subjects each kind takes, and whether the subject names something (a clock, a unit, an option).
INVARIANT_FORMS = {
    ("monotone", "cap"): False,
    ("monotone", "deadline"): True,
    ("always", "options"): False,
    ("always", "follow_up"): False,
    ("always", "route"): True,
    ("never", "route"): True,
    ("always", "option"): True,
    ("never", "option"): True,
}


@dataclass(frozen=True, slots=True)
class InvariantRule:
    """A property the policy declares about every record, which ``prove`` checks.

    ``kind`` is ``monotone`` (across levels, in the order of ``levels``), ``always`` or ``never``;
    ``subject`` is ``cap``, ``deadline``, ``options``, ``follow_up``, ``route`` or ``option``; ``arg``
    names the clock, unit or option the subject needs; ``when`` limits ``always``/``never`` to the
    records that match it.
    """

    id: str
    kind: str
    subject: str
    arg: str | None = None
    when: Expr | None = None
    note: str | None = None
    position: Position | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()


# ---------------------------------------------------------------------------- tests

EXPECT_KEYS = (
    "level",
    "label",
    "routes",
    "owner",
    "deadline",
    "tier",
    "cap",
    "approver",
    "within_authority",
    "options",
    "follow_up",
    "follow_up_by",
    "obligations",
    "escalations",
    "rules",
)


@dataclass(frozen=True, slots=True)
class Assignment:
    """``field: value`` inside a test's ``given`` block."""

    name: str
    value: Value
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class Expectation:
    """``key: value`` or ``deadline clock: value`` inside a test's ``expect`` block.

    ``value`` is an identifier (str), a set of identifiers (frozenset), an ordered list (tuple),
    a datetime, a Money, a bool, or ``None`` for ``none``.
    """

    key: str
    value: object
    arg: str | None = None
    span: Span | None = _SPAN


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    given: tuple[Assignment, ...]
    expect: tuple[Expectation, ...]
    now: dt.datetime | None = None
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    trailing: tuple[str, ...] = _comments()  # comments before the block's closing brace

    __test__ = False  # not a pytest class


# ---------------------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class CommentSlot:
    """Comments on a construct with no node of its own: ``where`` names it (``record`` is above ``record {``,
    ``record}`` at its end before ``}``, ``classify.otherwise`` above ``otherwise``, ``header.version`` above
    that setting; every name is listed in :mod:`complaint_rules.language.frontend.comments`)."""

    where: str
    comments: tuple[str, ...] = _comments()


@dataclass(frozen=True, slots=True)
class Policy:
    """One policy file. With ``extends`` set it is an overlay: its blocks change the base's by id."""

    header: Header
    extends: str | None = None
    drops: tuple[Named, ...] = ()
    record: tuple[FieldDecl, ...] = ()
    units: tuple[Named, ...] = ()
    levels: tuple[Named, ...] = ()
    classify: Classify | None = None
    route: Route | None = None
    deadlines: tuple[DeadlineRule, ...] = ()
    escalate: tuple[EscalationRule, ...] = ()
    compensate: Compensate | None = None
    follow_up: FollowUp | None = None
    obligations: tuple[ObligationRule, ...] = ()
    tests: tuple[TestCase, ...] = ()
    span: Span | None = _SPAN
    comments: tuple[str, ...] = _comments()
    # Last, so that positional and keyword construction written before it keeps working.
    invariants: tuple[InvariantRule, ...] = ()
    # Comments on constructs without a node of their own (layout, like ``comments``: not part of equality).
    comment_slots: tuple[CommentSlot, ...] = _comments()
    # The statuses the complaint's history may show (``statuses { waiting_customer "..." }``).
    statuses: tuple[Named, ...] = ()

    def field(self, name: str) -> FieldDecl | None:
        for f in self.record:
            if f.name == name:
                return f
        return None


LEVEL_NAMES = ("general", "intermediate", "major", "irrational")

Rule = Union[ClassifyRule, RouteRule, DeadlineRule, EscalationRule, RemedyRule, FollowUpRule, ObligationRule]


def all_rules(policy: Policy) -> list[Rule]:
    """Every rule of a policy in source order, block by block."""
    rules: list[Rule] = []
    if policy.classify:
        rules.extend(policy.classify.rules)
    if policy.route:
        rules.extend(policy.route.rules)
    rules.extend(policy.deadlines)
    rules.extend(policy.escalate)
    if policy.compensate:
        rules.extend(policy.compensate.rules)
    if policy.follow_up:
        rules.extend(policy.follow_up.rules)
        if policy.follow_up.otherwise is not None:
            rules.append(policy.follow_up.otherwise)
    rules.extend(policy.obligations)
    return rules


def all_conditions(policy: Policy) -> list[Expr]:
    """Every condition of a policy: its rules' and its invariants' (invariants decide nothing, so
    they are not in :func:`all_rules`, which traces and coverage count)."""
    conds = [w for w in (getattr(r, "when", None) for r in all_rules(policy)) if w is not None]
    conds.extend(i.when for i in policy.invariants if i.when is not None)
    return conds
