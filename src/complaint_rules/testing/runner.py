"""Running a policy's embedded ``test`` blocks: expected against actual, and rule coverage.

A rule counts as covered when it decided part of an outcome that a passing expectation checked: the
classify rule that set an expected level, the route rules that gave expected routes, the deadline rule
(and the rules of the clocks it is anchored on) that set an expected deadline date-time, the follow-up rule of an
expected follow-up, the remedy rules that shaped expected options, and every rule that an expectation
names (``obligations``, ``escalations``, ``rules``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import ir
from ..errors import ComplaintRulesError, RecordError
from ..language.printer import expected as show_expected
from ..span import Span

if TYPE_CHECKING:
    from ..policy import Policy

CLASSIFY_OTHERWISE = "classify.otherwise"
ROUTE_OTHERWISE = "route.otherwise"


@dataclass(frozen=True)
class Failure:
    """One unmet expectation (or a test that could not run), located at the expectation."""

    span: Span | None
    message: str

    def render(self, test: str, fallback: str = "<policy>") -> str:
        where = self.span.location() if self.span is not None else fallback
        return f"{where}: test {_quote(test)}: {self.message}"


@dataclass(frozen=True)
class TestResult:
    """The outcome of one embedded test."""

    policy: str
    test: ir.TestCase
    failures: tuple[Failure, ...] = ()
    covered: frozenset[str] = frozenset()
    decision: Any = None

    __test__ = False  # not a pytest class

    @property
    def name(self) -> str:
        return self.test.name

    @property
    def passed(self) -> bool:
        return not self.failures

    def messages(self) -> list[str]:
        return [f.render(self.test.name, self.policy) for f in self.failures]


@dataclass(frozen=True)
class Coverage:
    """Which rules of a policy the embedded tests exercise."""

    policy: str
    rules: tuple[str, ...]
    covered: frozenset[str]
    spans: dict[str, Span | None] = field(default_factory=dict, compare=False)

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(r for r in self.rules if r not in self.covered)

    @property
    def exercised(self) -> int:
        return len(self.rules) - len(self.uncovered)

    @property
    def percent(self) -> float:
        return 100.0 * self.exercised / len(self.rules) if self.rules else 100.0


# ---------------------------------------------------------------------------- running


def _plain(value: Any) -> Any:
    """A list of entries (``follow_ups``) becomes a list of dicts; other values pass as they are."""
    if isinstance(value, tuple):
        return [entry.as_dict() for entry in value]
    return value


def test_record(test: ir.TestCase) -> dict[str, Any]:
    """The record a test's ``given`` block describes, as plain data for the record coercion."""
    # The record coercion takes policy values (Money, frozenset, aware datetimes) as they are.
    record: dict[str, Any] = {a.name: _plain(a.value) for a in test.given}
    # Sampling hashes the record id; a fixed id per test keeps sampled outcomes reproducible.
    record.setdefault("id", f"test:{test.name}")
    return record


def run_test(policy: Policy, test: ir.TestCase) -> TestResult:
    """Evaluate one test's record at its ``now`` and compare every expectation."""
    name = policy.path or policy.id
    try:
        decision = policy.evaluate(test_record(test), now=test.now)
    except RecordError as exc:
        problems = "; ".join(f"{f}: {m}" for f, m in exc.problems)
        return TestResult(name, test, (Failure(test.span, f"the given record is invalid: {problems}"),))
    except ComplaintRulesError as exc:
        return TestResult(name, test, (Failure(test.span, f"cannot decide: {exc}"),))
    failures: list[Failure] = []
    covered: set[str] = set()
    for expectation in test.expect:
        try:
            problem = check(expectation, decision)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            problem = f"cannot check {expectation.key}: {exc}"
        if problem is None:
            covered |= credited(policy.ir, expectation, decision)
        else:
            failures.append(Failure(expectation.span or test.span, problem))
    if failures and decision.problems:  # say why a time came out unset
        failures.extend(Failure(test.span, f"the decision is incomplete: {p.message}") for p in decision.problems
                        if p.depends_on is None)  # fmt: skip
    return TestResult(name, test, tuple(failures), frozenset(covered), decision)


def run_tests(policy: Policy) -> list[TestResult]:
    """Run every embedded test of a policy, in source order."""
    return [run_test(policy, test) for test in policy.ir.tests]


# ---------------------------------------------------------------------------- expectations


def check(exp: ir.Expectation, decision: Any) -> str | None:
    """None when the decision meets the expectation, else ``expected X, got Y``."""
    key, want = exp.key, exp.value
    if key == "deadline":
        got = _deadline(decision, exp.arg)
        if want is None:
            return None if got is None else f"expected deadline {exp.arg} none, got {_show(got)}"
        if got is not None and got == want:
            return None
        shown = _show(got.astimezone(want.tzinfo) if isinstance(got, dt.datetime) and want.tzinfo else got)
        return f"expected deadline {exp.arg} {show_expected(want)}, got {shown}"
    if key == "rules":
        fired = {t.rule for t in decision.trace}
        missing = frozenset(want) - fired
        if not missing:
            return None
        return f"expected rules {show_expected(frozenset(want))} in the trace, missing {show_expected(missing)}"
    got = actual(key, decision)
    if _matches(key, want, got):
        return None
    shown = show_expected(want) if _printable(want) else repr(want)
    return f"expected {key} {shown}, got {_show(got)}"


def actual(key: str, decision: Any) -> Any:
    """The part of a decision that an expectation key checks, in the form the expectation is written."""
    remedy = decision.remedy
    follow_up = decision.follow_up
    if key == "level":
        return decision.level
    if key == "label":
        return decision.level_label
    if key == "routes":
        return frozenset(decision.routes)
    if key == "owner":
        return decision.owner
    if key == "tier":
        return remedy.tier if remedy is not None else None
    if key == "cap":
        return _money(remedy.cap) if remedy is not None else None
    if key == "approver":
        return remedy.approver if remedy is not None else None
    if key == "within_authority":
        return remedy.within_authority if remedy is not None else None
    if key == "options":
        return tuple(remedy.options) if remedy is not None else ()
    if key == "follow_up":
        status = follow_up.status if follow_up is not None else None
        return None if status in (None, "none") else status
    if key == "follow_up_by":
        by = follow_up.by if follow_up is not None else ()
        return frozenset([by] if isinstance(by, str) else by or ())
    if key == "obligations":
        return frozenset(o.rule for o in decision.obligations)
    if key == "escalations":
        return frozenset(e.rule for e in decision.escalations if e.status == "due")
    raise ValueError(f"unknown expectation key {key!r}")


def _matches(key: str, want: Any, got: Any) -> bool:
    if key in ("routes", "obligations", "escalations", "follow_up_by"):
        want = frozenset([want]) if isinstance(want, str) else frozenset(want or ())
        return want == got
    if key == "options":
        return tuple(want or ()) == got
    if key == "cap":
        return got is not None and isinstance(want, ir.Money) and got == want
    return want == got


def _deadline(decision: Any, clock: str | None) -> dt.datetime | None:
    for d in decision.deadlines:
        if d.clock == clock:
            return d.due_at
    return None


def _money(value: Any) -> ir.Money | None:
    """A cap as ``ir.Money`` whatever form the decision holds it in (model, dict or ``"500 CNY"``)."""
    if value is None or isinstance(value, ir.Money):
        return value
    if isinstance(value, str):
        amount, _, currency = value.partition(" ")
        return ir.Money(Decimal(amount), currency)
    if isinstance(value, dict):
        return ir.Money(Decimal(str(value["amount"])), value["currency"])
    return ir.Money(Decimal(str(value.amount)), value.currency)


def _printable(value: Any) -> bool:
    try:
        show_expected(value)
    except TypeError:
        return False
    return True


def _show(value: Any) -> str:
    """An actual value written as a test would write it."""
    if value is None:
        return "none"
    if isinstance(value, (frozenset, set)):
        return "{" + ", ".join(sorted(map(str, value))) + "}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------- coverage


def credited(policy: ir.Policy, exp: ir.Expectation, decision: Any) -> set[str]:
    """The rules that decided the part of the decision a (met) expectation checks."""
    key = exp.key
    if key in ("level", "label"):
        return _classify_rules(policy, decision)
    if key in ("routes", "owner"):
        return _route_rules(policy, decision, owner_only=key == "owner")
    if key == "deadline":
        # `deadline X: none` shows only that no due time exists yet: no rule decided a date.
        return _deadline_rules(decision, exp.arg) if exp.value is not None else set()
    if key == "options":
        ids = {r.id for r in policy.compensate.rules} if policy.compensate else set()
        return {t.rule for t in decision.trace if t.rule in ids}
    if key in ("follow_up", "follow_up_by"):
        rule = decision.follow_up.rule if decision.follow_up is not None else None
        return {rule} if rule else set()
    if key in ("obligations", "escalations", "rules"):
        return set(exp.value or ())
    return set()  # tiers, caps, approvers and authority are declarations, not rules


def _classify_rules(policy: ir.Policy, decision: Any) -> set[str]:
    if policy.classify is None:
        return set()
    level_of = {r.id: r.level for r in policy.classify.rules}
    level_of[CLASSIFY_OTHERWISE] = policy.classify.otherwise
    fired = [t.rule for t in decision.trace if t.rule in level_of and level_of[t.rule] == decision.level]
    if policy.classify.hit == "first":
        fired = fired[:1]
    return set(fired)


def _route_rules(policy: ir.Policy, decision: Any, owner_only: bool) -> set[str]:
    if policy.route is None:
        return set()
    ids = {r.id for r in policy.route.rules} | {ROUTE_OTHERWISE}
    fired = [t.rule for t in decision.trace if t.rule in ids]
    if owner_only or policy.route.hit == "first":
        fired = fired[:1]
    return set(fired)


def _deadline_rules(decision: Any, clock: str | None) -> set[str]:
    """The rule that set a clock and, when it is anchored on another clock, that clock's rule too."""
    by_clock = {d.clock: d for d in decision.deadlines}
    found: set[str] = set()
    while clock in by_clock and by_clock[clock].rule not in found:
        entry = by_clock[clock]
        found.add(entry.rule)
        clock = getattr(entry, "anchor", None)
    return found


def rule_spans(policy: ir.Policy) -> dict[str, Span | None]:
    """Every rule a test can exercise, with its span, in source order (``otherwise`` branches included)."""
    spans: dict[str, Span | None] = {}
    if policy.classify is not None:
        spans.update((r.id, r.span) for r in policy.classify.rules)
        if policy.classify.otherwise is not None:
            spans[CLASSIFY_OTHERWISE] = policy.classify.span
    if policy.route is not None:
        spans.update((r.id, r.span) for r in policy.route.rules)
        if policy.route.otherwise is not None:
            spans[ROUTE_OTHERWISE] = policy.route.span
    for rule in ir.all_rules(policy):
        spans.setdefault(rule.id, rule.span)
    return spans


def coverage(policy: Policy, results: list[TestResult]) -> Coverage:
    """Rule coverage of a policy by the given test results.

    An overlay is measured over the rules it adds or replaces: tests are not inherited, and the base's
    rules are covered by the base's own tests.
    """
    spans = rule_spans(policy.ir)
    if policy.source.extends is not None:
        own = rule_spans(policy.source)
        spans = {rule: span for rule, span in spans.items() if rule in own}
    covered = frozenset().union(*(r.covered for r in results)) & frozenset(spans)
    return Coverage(policy.path or policy.id, tuple(spans), covered, spans)
