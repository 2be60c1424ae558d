"""Hypothesis strategies for any policy's records, ready-made properties, and a pytest plugin.

In a host application's tests::

    from complaint_rules.testing import check_policy_properties
    def test_our_policy():
        check_policy_properties("policies/our.policy", max_examples=200)

or with the plugin (registered as the ``complaint_rules`` pytest11 entry point), the fixture
``policy_properties`` is that function.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from .. import ir
from ..errors import ComplaintRulesError

try:  # hypothesis is a test dependency: the plugin must not break pytest for hosts without it
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    st = None  # type: ignore[assignment]

__all__ = [
    "assert_decision_properties",
    "check_policy_properties",
    "field_values",
    "policy_properties",
    "records",
]

# Text a complaint really holds: Chinese, astral characters (emoji, rare CJK), and one enormous description.
_WIDE_TEXT = (
    st.one_of(
        st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=60),
        st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x2A6DF), max_size=20),
        st.just("投诉" * 5000),
    )
    if st is not None
    else None
)
_TIMEZONES = (dt.timezone.utc, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5)))


def _ir(policy: Any) -> ir.Policy:
    return getattr(policy, "ir", policy)


def _load(policy: Any):
    if isinstance(policy, (str, os.PathLike)):
        from ..policy import load

        return load(policy)
    return policy


def _years(policy: ir.Policy) -> tuple[int, int]:
    """Years whose calendar data exists, so that generated records never hit a data gap."""
    try:
        from ..analysis.timing import policy_calendar

        first, last = policy_calendar(policy).coverage
        return max(first, 2020), min(last, 2030)
    except ComplaintRulesError:  # a calendar we cannot build: evaluate will say so for any year
        return 2026, 2026


def field_values(decl: ir.FieldDecl, boundaries: list[Any], years: tuple[int, int] = (2026, 2026)):
    """Values of one field; with ``boundaries``, those points are drawn often."""
    kind = decl.type.kind
    extremes: list[Any] = []
    first = dt.datetime(years[0], 1, 1)
    last = dt.datetime(years[1], 9, 30)  # room for deadlines months later inside the covered years
    if kind == "bool":
        base = st.booleans()
    elif kind == "int":
        base = st.integers(-1000, 100_000)
        extremes = [-(10**18), 10**18]  # huge numbers, drawn among the boundary points
    elif kind in ("decimal", "money"):
        low = 0 if kind == "money" else -1000
        base = st.decimals(low, 1_000_000, places=2, allow_nan=False, allow_infinity=False)
        extremes = [Decimal("999999999999999.99")]
    elif kind == "text":
        base = st.one_of(st.text(max_size=40), _WIDE_TEXT)
    elif kind == "date":
        base = st.dates(first.date(), last.date())
    elif kind == "datetime":
        base = st.datetimes(first, last, timezones=st.sampled_from(_TIMEZONES))
    elif kind == "duration":
        base = st.integers(0, 60 * 24 * 30).map(lambda m: ir.Duration(m, "minutes"))  # what the coercer takes
    elif kind == "enum":
        base = st.sampled_from(decl.type.members)
    elif kind == "set":
        base = st.lists(st.sampled_from(decl.type.members), unique=True) if decl.type.members else st.just([])
    else:  # a kind this module does not know yet: its default
        base = st.just(decl.default)
    points = _distinct([*boundaries, *extremes])
    if points:  # half the draws: the policy's own constants, their neighbours, and the extremes
        return st.one_of(st.sampled_from(points), base)
    return base


def _distinct(values: list[Any]) -> list[Any]:
    """Each value once, in order, so that a constant named by several rules is not drawn more often."""
    out: list[Any] = []
    for value in values:
        if not any(type(value) is type(seen) and value == seen for seen in out):
            out.append(value)
    return out


def _boundaries(policy: ir.Policy, schema: dict[str, ir.FieldDecl]) -> dict[str, list[Any]]:
    """Per field, the policy's own constants and the values just beside them."""
    from ..analysis.conditions import collect_uses
    from ..analysis.witness import NoWitness, compose_text

    out: dict[str, list[Any]] = {}
    for name, use in collect_uses(policy, (), schema).items():
        decl = schema.get(name)
        if decl is None:
            continue
        kind = decl.type.kind
        values: list[Any] = []
        for c in use.constants:
            c = c.amount if isinstance(c, ir.Money) else c
            if kind == "int" and isinstance(c, (int, Decimal)) and not isinstance(c, bool):
                values += [int(c) - 1, int(c), int(c) + 1]
            elif kind in ("decimal", "money") and isinstance(c, (int, Decimal)) and not isinstance(c, bool):
                values += [Decimal(c) - Decimal("0.01"), Decimal(c), Decimal(c) + Decimal("0.01")]
            elif kind == "date" and isinstance(c, dt.date):
                values += [c - dt.timedelta(days=1), c, c + dt.timedelta(days=1)]
            elif kind == "datetime" and isinstance(c, dt.datetime):
                values += [c - dt.timedelta(seconds=1), c, c + dt.timedelta(seconds=1)]
            elif kind == "text" and isinstance(c, str):
                values.append(c)
        keywords = sorted(use.keywords)
        for i, kw in enumerate(keywords):
            values.append(kw)
            try:  # no text has 'refund' without 'fund': such a pair is simply not a boundary
                values.append(compose_text({k: k in (kw, keywords[(i + 1) % len(keywords)]) for k in keywords}, []))
            except NoWitness:
                pass
        if kind == "money":
            values = [v for v in values if v >= 0]
        if values:
            out[name] = values
    return out


def records(policy: Any, boundary: bool = True, *, schema: dict[str, ir.FieldDecl] | None = None):
    """Valid raw record dicts for a policy's schema: optional fields sometimes missing, aware datetimes,
    and (with ``boundary``) values at and beside the policy's own constants and keywords."""
    from ..analysis.prover import schema_of

    p = _ir(policy)
    schema = schema if schema is not None else schema_of(p)
    edges = _boundaries(p, schema) if boundary else {}
    years = _years(p)
    required: dict[str, st.SearchStrategy] = {}
    optional: dict[str, st.SearchStrategy] = {}
    derived = _derived_names()
    if derived:  # the derived fields come from a list of follow-ups, the only way a record can give them
        first, last = dt.datetime(years[0], 1, 1), dt.datetime(years[1], 9, 30)
        entry = st.fixed_dictionaries(
            {"at": st.datetimes(first, last, timezones=st.sampled_from(_TIMEZONES))},
            optional={"method": st.sampled_from(["phone", "visit"]), "satisfied": st.booleans()},
        )
        optional["follow_ups"] = st.lists(entry, max_size=3)
    for name, decl in schema.items():
        if name in derived:
            continue
        if name == "id":
            required[name] = st.integers(1, 10**9).map(lambda n: f"r{n}")
            continue
        strategy = field_values(decl, edges.get(name, []), years)
        (required if decl.required else optional)[name] = strategy
    base = st.fixed_dictionaries(required, optional=optional)
    return base.map(_lifecycle_order)


def _after(received: dt.datetime, value: dt.datetime) -> dt.datetime:
    """A time within 30 days after receipt (inside the calendar's covered years), derived from ``value``."""
    seconds = (received - value).total_seconds() % (30 * 86400)
    return received + dt.timedelta(seconds=seconds)


def _derived_names() -> frozenset[str]:
    try:
        from ..fields import DERIVED_FIELDS
    except ImportError:  # pragma: no cover
        return frozenset()
    return frozenset(d.name for d in DERIVED_FIELDS)


def _lifecycle_order(record: dict[str, Any]) -> dict[str, Any]:
    """Lifecycle timestamps come after receipt, as in any real record."""
    received = record.get("received_at")
    if isinstance(received, dt.datetime):
        for name in ("first_contact_at", "resolved_at"):
            value = record.get(name)
            if isinstance(value, dt.datetime) and value < received:
                record[name] = _after(received, value)
        for entry in record.get("follow_ups", ()):
            if entry["at"] < received:
                entry["at"] = _after(received, entry["at"])
    return record


# ---------------------------------------------------------------------------- properties


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _dump(decision: Any) -> str:
    if hasattr(decision, "model_dump_json"):
        return decision.model_dump_json()
    return json.dumps(decision, default=str, sort_keys=True)


def _values(policy: ir.Policy, record: dict[str, Any]) -> dict[str, Any]:
    """The record's typed values (datetimes parsed), as the evaluator sees them."""
    from ..engine.record import coerce, schema_for
    from ..errors import RecordError

    try:
        return coerce(schema_for(policy), record)[1]
    except RecordError:
        return {}


def assert_decision_properties(policy: Any, record: dict[str, Any], decision: Any, again: Any | None = None) -> None:
    """The laws every decision obeys; raises AssertionError naming the record and the broken law."""
    p = _ir(policy)
    levels = [lv.id for lv in p.levels]
    where = f"record {json.dumps(record, default=str, sort_keys=True)}"
    level = _get(decision, "level")
    assert level in levels, f"{where}: level {level!r} is not one of {levels}"
    routes = list(_get(decision, "routes") or [])
    assert routes, f"{where}: no route"
    values = _values(p, record)
    deadlines = list(_get(decision, "deadlines") or [])
    clocks = {_get(d, "clock"): _get(d, "due_at") for d in deadlines}
    problems = list(_get(decision, "problems") or ())
    undecided = {_get(x, "name") for x in problems if _get(x, "part") == "deadline"}
    for x in problems:
        if _get(x, "part") == "deadline":
            assert clocks.get(_get(x, "name"), 0) is None, f"{where}: {_get(x, 'message')}, yet it has a due time"
    for deadline in deadlines:
        due = _get(deadline, "due_at")
        anchor = _get(deadline, "anchor")
        start = clocks.get(anchor) if anchor in clocks else values.get(anchor)
        if isinstance(due, dt.datetime) and isinstance(start, dt.datetime):
            assert due >= start, f"{where}: deadline {_get(deadline, 'clock')} due {due} before its start {anchor} {start}"
        if due is None and isinstance(start, dt.datetime):  # unset with its start known: it must say why
            assert _get(deadline, "clock") in undecided, (
                f"{where}: deadline {_get(deadline, 'clock')} has no due time, its start {anchor} {start}, "
                "and no problem says why"
            )
    _assert_timings(p, where, values, clocks, decision)
    if p.compensate is not None:
        _assert_remedy(p.compensate, where, level, _get(decision, "remedy"))
    if again is not None:
        assert _dump(decision) == _dump(again), f"{where}: two evaluations of one record differ"


def _assert_timings(p: ir.Policy, where: str, values: dict, clocks: dict, decision: Any) -> None:
    """Escalations and obligations timed ``after`` a clock or timestamp fall due no earlier than it."""
    timed = {r.id: r.timing for r in p.escalate} | {r.id: r.timing for r in p.obligations}
    for part in ("escalations", "obligations"):
        for item in _get(decision, part) or ():
            rule, due = _get(item, "rule"), _get(item, "due_at")
            timing = timed.get(rule)
            if timing is None or timing.kind != "after" or not isinstance(due, dt.datetime):
                continue
            start = clocks.get(timing.anchor) if timing.anchor in clocks else values.get(timing.anchor)
            if isinstance(start, dt.datetime):
                assert due >= start, f"{where}: {part[:-1]} {rule} due {due} before its start {timing.anchor} {start}"


def _assert_remedy(comp: ir.Compensate, where: str, level: Any, remedy: Any) -> None:
    """The remedy is the decided level's tier, and nothing above its cap or an approver's limit is let through."""
    assert remedy is not None, f"{where}: the policy has a compensate block but the decision no remedy"
    tier = next((t for t in comp.tiers if t.level == level), None)
    got_tier, cap = _get(remedy, "tier"), _get(remedy, "cap")
    if tier is None:
        assert got_tier is None and cap is None, f"{where}: level {level} has no tier, yet the remedy has {got_tier}"
    else:
        assert got_tier == tier.level and _get(remedy, "approver") == tier.approver, (
            f"{where}: remedy tier {got_tier} by {_get(remedy, 'approver')} is not level {level}'s "
            f"(up to {tier.cap} by {tier.approver})"
        )
        cap_amount = Decimal(str(getattr(cap, "amount", cap)))
        assert cap_amount == tier.cap.amount, f"{where}: remedy cap {cap} is not the tier cap {tier.cap}"
    amount = _get(remedy, "amount")
    value = Decimal(str(getattr(amount, "amount", amount))) if amount is not None else None
    if value is not None and tier is not None and _get(remedy, "within_cap") is not None:
        assert _get(remedy, "within_cap") == (value <= tier.cap.amount), (
            f"{where}: {amount} against the cap {tier.cap}: within_cap is {_get(remedy, 'within_cap')}"
        )
    limits = {a.role: a.limit.amount for a in comp.authority}
    required = _get(remedy, "required_approver")
    if value is not None and required is not None:
        assert value <= limits[required], f"{where}: {amount} is above {required}'s limit {limits[required]}"
    if value is not None and _get(remedy, "beyond_authority"):
        assert all(value > limit for limit in limits.values()), f"{where}: {amount} is beyond authority, yet a role covers it"
    own = limits.get(_get(remedy, "approver"))
    if value is not None and own is not None and _get(remedy, "within_authority"):
        assert value <= own, f"{where}: {amount} is within the authority of an approver whose limit is {own}"
    declared = [o.id for o in comp.options]
    options = list(_get(remedy, "options") or ())
    assert len(set(options)) == len(options) and set(options) <= set(declared), (
        f"{where}: remedy options {options} repeat or are not among {declared}"
    )


def check_policy_properties(
    policy: Any, max_examples: int = 100, *, boundary: bool = True, now: dt.datetime | None = None
) -> None:
    """Run the decision laws on generated records of a policy (a loaded Policy or a path)."""
    loaded = _load(policy)

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(records(loaded, boundary))
    def run(record: dict[str, Any]) -> None:
        first = loaded.evaluate(record, now=now)
        second = loaded.evaluate(dict(record), now=now)
        assert_decision_properties(loaded, record, first, second)

    run()


# ---------------------------------------------------------------------------- pytest plugin


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("complaint_rules")
    group.addoption("--policy-examples", type=int, default=None,
                    help="records generated per policy by the policy_properties fixture (default 100)")  # fmt: skip


@pytest.fixture
def policy_properties(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``policy_properties(policy_or_path, max_examples=None)`` checks the decision laws on generated records."""
    default = request.config.getoption("--policy-examples", default=None) or 100

    def check(policy: Any, max_examples: int | None = None, **kwargs: Any) -> None:
        check_policy_properties(policy, max_examples or default, **kwargs)

    return check
