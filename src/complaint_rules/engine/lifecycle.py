"""Clocks in time: when a clock starts, pauses, stops and restarts, read from the complaint's history.

Both evaluators call :func:`run` for every clock that declares a life (``pause``, ``stop``, ``restart``,
``warn``), starts at a status, or is ruled by the level; a clock that does none of this is not seen here
and costs nothing. The semantics are in docs/calendar.md ("Clocks that pause") and docs/decisions.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from .. import ir
from ..calendars import Calendar
from ..errors import CalendarError
from .decision import ClockStatus, trusted
from .record import HistoryRecord

__all__ = ["BUSINESS_UNITS", "ClockPlan", "done", "level_since", "level_start", "met_before", "obligation_status", "plan_for", "run"]

# Units whose paused time is business time (time inside business hours of working days); the others pause
# in elapsed time. A working day is one business day of time (docs/calendar.md), so it pauses the same way.
BUSINESS_UNITS = frozenset({"business_hours", "working_days", "end_of_day"})
_ZERO = dt.timedelta(0)
_UTC = dt.timezone.utc


class ClockPlan(NamedTuple):
    """What one deadline rule's life needs, prepared once per policy."""

    rule: ir.DeadlineRule
    location: str | None
    business: bool
    start_status: str | None
    by_level: bool
    pause: frozenset[str]
    stop_fields: tuple[str, ...]
    stop_statuses: frozenset[str]
    stop_rules: frozenset[str]
    restart: str | None
    warn: ir.Duration | ir.Percent | None


def plan_for(rule: ir.DeadlineRule, policy: ir.Policy) -> ClockPlan | None:
    """The plan of a rule's life; None for a clock that only runs (its due time is the plain shift)."""
    statuses = frozenset(n.id for n in policy.statuses)
    rule_ids = frozenset(r.id for r in ir.all_rules(policy))
    life = rule.life
    start_status = rule.anchor if rule.anchor in statuses else None
    by_level = ir.mentions_level(rule.when)
    if life == ir.NO_LIFE and start_status is None:
        return None  # a plain clock, perhaps ruled by the level: see level_start
    stop_statuses = frozenset(n for n in life.stop if n in statuses)
    stop_rules = frozenset(n for n in life.stop if n in rule_ids and n not in statuses)
    fields = tuple(n for n in life.stop if n not in stop_statuses and n not in stop_rules)
    return ClockPlan(rule, rule.span.location() if rule.span is not None else None,
                     rule.duration.unit in BUSINESS_UNITS, start_status, by_level, frozenset(life.pause), fields,
                     stop_statuses, stop_rules, life.restart, life.warn)  # fmt: skip


def level_start(anchor: Any, history: Sequence[HistoryRecord], level: str | None) -> Any:
    """The start of a plain clock ruled by the level: its anchor time, or when the complaint reached the level
    by its history if that is later (never retroactively from receipt)."""
    if not isinstance(anchor, dt.datetime):
        return anchor
    reached = level_since(history, level)
    return reached if reached is not None and reached > anchor else anchor


def level_since(history: Sequence[HistoryRecord], level: str | None) -> dt.datetime | None:
    """When the complaint reached ``level``, by its history: the first of the latest run of level entries that
    name it. None when the history has no level entries or its last one names another level (then the history
    does not explain the level, and a clock ruled by it keeps its anchor)."""
    since = None
    for e in history:
        if e.level is None:
            continue
        if e.level != level:
            since = None
        elif since is None:
            since = e.at
    if since is None or level is None:
        return None
    last = next((e.level for e in reversed(history) if e.level is not None), None)
    return since if last == level else None


def done(history: Sequence[HistoryRecord], rule_id: str, now: dt.datetime | None) -> bool:
    """Whether the history shows the rule's action done (an entry naming it, at or before ``now``)."""
    return any(e.rule == rule_id and (now is None or e.at <= now) for e in history)


def met_before(states: Sequence[ClockStatus], at: dt.datetime | None) -> bool:
    """Whether the latest cycle of a clock (its ``states``) was met before ``at``, when something timed from
    it falls due: a reminder or an escalation about a clock already met has nothing left to do."""
    if not states or at is None:
        return False
    met = states[-1].met_at
    return met is not None and met <= at


def obligation_status(kind: str, due_at: dt.datetime | None, now: dt.datetime | None, is_done: bool) -> str:
    """``done``, ``overdue`` (a timed obligation past ``due_at``), ``due`` (one due at receipt) or ``pending``."""
    if is_done:
        return "done"
    if now is None:
        return "pending"
    if kind in ("before", "after"):
        return "overdue" if due_at is not None and now > due_at else "pending"
    return "due" if kind == "immediately" else "pending"


class _Measure:
    """The clock's own measure of time between instants, and adding it: business or elapsed time."""

    def __init__(self, cal: Calendar, business: bool):
        self.cal, self.business = cal, business

    def between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        if b <= a:
            return _ZERO
        if self.business:
            return self.cal.between(a, b).business_time
        return b.astimezone(_UTC) - a.astimezone(_UTC)

    def add(self, t: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        if delta <= _ZERO:
            return t
        if self.business:
            return self.cal.add_business_time(t, delta)
        return self.cal.in_zone((t.astimezone(_UTC) + delta))


def _pauses(plan: ClockPlan, history: Sequence[HistoryRecord], start: dt.datetime,
            bound: dt.datetime | None) -> list[tuple[dt.datetime, dt.datetime | None]]:  # fmt: skip
    """The intervals from ``start`` to ``bound`` (None: open) in which the complaint was in a pause status;
    an interval still open at the end of the history has None as its end."""
    out: list[tuple[dt.datetime, dt.datetime | None]] = []
    current: dt.datetime | None = None  # since when paused
    for e in history:
        if e.status is None:
            continue
        if current is not None and e.status not in plan.pause:
            out.append((current, e.at))
            current = None
        elif current is None and e.status in plan.pause:
            current = e.at
    if current is not None:
        out.append((current, None))
    clipped = []
    for a, b in out:
        a = max(a, start)
        if b is not None and b <= a:
            continue
        if bound is not None:
            if a >= bound:
                continue
            b = bound if b is None or b > bound else b
        clipped.append((a, b))
    return clipped


def _first(history: Sequence[HistoryRecord], start: dt.datetime, end: dt.datetime | None,
           match: Callable[[HistoryRecord], bool]) -> dt.datetime | None:  # fmt: skip
    for e in history:
        if e.at >= start and (end is None or e.at < end) and match(e):
            return e.at
    return None


def run(
    plan: ClockPlan,
    cal: Calendar,
    shift: Callable[[dt.datetime], dt.datetime | None],
    anchor: dt.datetime | None,
    values: Mapping[str, Any],
    level: str | None,
    now: dt.datetime | None,
    fail: Callable[[CalendarError], None],
) -> tuple[dt.datetime | None, tuple[ClockStatus, ...]]:
    """The due time of the clock's latest cycle and, given ``now``, the state of every cycle.

    ``shift`` is the rule's own shift (the evaluator's, which records a calendar failure); ``anchor`` the time
    of the rule's anchor field or clock (unused for a clock that starts at a status); ``fail`` records a
    calendar failure while measuring a pause.
    """
    history: Sequence[HistoryRecord] = values.get("history") or ()
    if plan.start_status is not None:
        start = _first(history, dt.datetime.min.replace(tzinfo=_UTC), None, lambda e: e.status == plan.start_status)
    else:
        start = anchor if isinstance(anchor, dt.datetime) else None
    if start is not None and plan.by_level:
        reached = level_since(history, level)
        if reached is not None and reached > start:
            start = reached
    if start is None:
        if now is None:
            return None, ()
        return None, (_status(plan, 0, "not_started"),)
    starts = [start]
    if plan.restart is not None:
        starts.extend(e.at for e in history if e.status == plan.restart and e.at > start)
    measure = _Measure(cal, plan.business)
    due: dt.datetime | None = None
    out: list[ClockStatus] = []
    try:
        for k, s in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else None
            due, status = _cycle(plan, measure, shift, k, s, end, history, values, now)
            if status is not None:
                out.append(status)
    except CalendarError as exc:
        fail(exc)
        return None, ()
    return due, tuple(out)


def _cycle(plan: ClockPlan, measure: _Measure, shift, k: int, s: dt.datetime, end: dt.datetime | None,
           history: Sequence[HistoryRecord], values: Mapping[str, Any], now: dt.datetime | None):  # fmt: skip
    """One cycle from ``s`` until the next one starts at ``end``: its due time and its state at ``now``."""
    met = _met(plan, k, s, end, history, values)
    if met is None and end is not None:
        met = end  # a restart ends the cycle before it: met there unless already late
    plain = shift(s)
    if plain is None:
        return None, None if now is None else _status(plan, k, "running", s)
    bound = met if met is not None else end
    due = plain
    counted: list[tuple[dt.datetime, dt.datetime, bool]] = []  # (from, to, still open at the end of the history)
    for a, b in _pauses(plan, history, s, bound):
        if a >= due:
            break  # the clock fell due before this pause: a pause only delays a clock still running
        to = b if b is not None else (now if now is not None and now > a else a)
        counted.append((a, to, b is None))
        due = measure.add(due, measure.between(a, to))
    if now is None:
        return due, None
    cal = measure.cal
    length = measure.between(s, plain)
    warn_at = _warn(plan, measure, s, due, length, counted)
    upto = min(now, met) if met is not None else now
    paused = sum((measure.between(a, min(b, upto)) for a, b, _ in counted if a < upto), _ZERO)
    elapsed = measure.between(s, upto) - paused if upto > s else _ZERO
    remaining = length - elapsed
    paused_since = next((a for a, b, still in counted if a <= now and (still or b > now)), None)
    if now < s:
        state = "not_started"
    elif met is not None and met <= now:
        state = "met" if met <= due else "breached"
    elif paused_since is not None:
        state = "paused"
    elif now >= due:
        state = "breached"
    elif warn_at is not None and now >= warn_at:
        state = "at_risk"
    else:
        state = "running"
    shown_met = cal.in_zone(met) if met is not None and met <= now else None
    wall = due.astimezone(_UTC) - (shown_met or now).astimezone(_UTC)
    since = cal.in_zone(paused_since) if state == "paused" and paused_since is not None else None
    return due, _status(plan, k, state, cal.in_zone(s), due, shown_met, since, warn_at, elapsed, paused, remaining,
                        wall)  # fmt: skip


def _met(plan: ClockPlan, k: int, s: dt.datetime, end: dt.datetime | None, history, values) -> dt.datetime | None:
    """When cycle ``k`` (from ``s`` to ``end``) was met: the earliest stop field, status or action in it. A
    stop field set before the first cycle started meets that cycle at once (first contact made before a
    reclassification)."""
    found: list[dt.datetime] = []
    for name in plan.stop_fields:
        v = values.get(name)
        if isinstance(v, dt.datetime) and (end is None or v < end) and (v >= s or k == 0):
            found.append(max(v, s))
    if plan.stop_statuses:
        t = _first(history, s, end, lambda e: e.status in plan.stop_statuses)
        if t is not None:
            found.append(t)
    if plan.stop_rules:
        t = _first(history, s, end, lambda e: e.rule in plan.stop_rules)
        if t is not None:
            found.append(t)
    return min(found) if found else None


def _warn(plan: ClockPlan, measure: _Measure, s: dt.datetime, due: dt.datetime, length: dt.timedelta,
          counted: list) -> dt.datetime | None:  # fmt: skip
    """From when the clock is at risk: ``warn at P%`` of its length of running time (pauses delay it as they
    delay the due time), or ``warn D before`` its (paused) due time; never before its start."""
    w = plan.warn
    if w is None:
        return None
    if isinstance(w, ir.Duration):
        return max(measure.cal.in_zone(s), measure.cal.subtract(due, w))
    micro = Decimal(length // dt.timedelta(microseconds=1)) * w.value / 100
    at = measure.add(measure.cal.in_zone(s), dt.timedelta(microseconds=int(micro)))
    for a, b, _ in counted:
        if a >= at:
            break
        at = measure.add(at, measure.between(a, b))
    return at


_CLOCK_STATUS = trusted(ClockStatus)  # the values are of the right types: no re-validation


def _status(plan: ClockPlan, k: int, state: str, s=None, due=None, met=None, paused_since=None, warn_at=None,
            elapsed=None, paused=None, remaining=None, wall=None) -> ClockStatus:  # fmt: skip
    return _CLOCK_STATUS({"clock": plan.rule.clock, "rule": plan.rule.id, "cycle": k, "state": state, "started_at": s,
                          "due_at": due, "met_at": met, "paused_since": paused_since, "warn_at": warn_at,
                          "elapsed": elapsed, "paused": paused, "remaining": remaining, "remaining_wall": wall,
                          "location": plan.location})  # fmt: skip
