"""What if the new policy had decided the corpus: old and new totals a manager plans with.

Each record of the corpus is decided under both policies and summed up, per side, into tables:

- **workload per unit**: records routed to each unit (a record routed to two units counts for both);
- **workload per owner**: records each unit owns;
- **expected breaches per clock**: records whose deadline the corpus' own lifecycle timestamps miss (see
  :func:`breached`);
- **remedy spend**: what the remedies would pay, per currency: the amount claimed, held to the tier's cap;
- **approvals by role**: records whose claimed amount needs each role's approval (``beyond every
  authority`` when none may approve it);
- **follow-up volume**: records that must be followed up, in total and per role doing it.

Records that cannot be decided under both sides (unreadable, invalid, or incomplete on either side)
are counted apart and summed into no table, as for the impact layer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ComplaintRulesError

BEYOND = "beyond every authority"
TOTAL = "total"


class Row(BaseModel):
    """One line of a table: a key (a unit, a clock, a currency...) and its old and new totals."""

    key: str
    old: float = 0
    new: float = 0

    @property
    def delta(self) -> float:
        return self.new - self.old


class Table(BaseModel):
    """Old and new totals of one measure, keyed by ``key`` (``unit``, ``clock``...)."""

    name: str  # workload_units, workload_owner, breaches, spend, approvals, follow_up
    title: str
    key: str
    rows: list[Row] = Field(default_factory=list)
    note: str | None = None

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)


class WhatIf(BaseModel):
    """The corpus decided under both policies, summed up per side."""

    corpus: str
    records: int = 0
    decided: int = 0  # records decided completely under both sides: the tables sum these
    as_of: str | None = None  # the time open deadlines are judged at (the latest time of the corpus)
    clock_fields: dict[str, str] = Field(default_factory=dict)  # clock -> the record field that meets it
    tables: list[Table] = Field(default_factory=list)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


def meeting_fields(policies: Iterable[Any], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """The record field whose time meets each clock: ``given``, else ``<clock>_at`` when the record has
    it (``first_contact`` -> ``first_contact_at``), else ``resolved_at`` when the record has that."""
    out: dict[str, str] = {}
    for p in policies:
        fields = {f.name for f in p.ir.record} | set(p.compiled.schema)
        for rule in p.ir.deadlines:
            clock = rule.clock
            if clock in out:
                continue
            if given and clock in given:
                out[clock] = given[clock]
            elif f"{clock}_at" in fields:
                out[clock] = f"{clock}_at"
            elif "resolved_at" in fields:
                out[clock] = "resolved_at"
    return out


def breached(due: dt.datetime | None, met: dt.datetime | None, as_of: dt.datetime | None) -> bool:
    """A deadline is breached when it was met late, or not met and already past at ``as_of``."""
    if due is None:
        return False
    if met is not None:
        return met > due
    return as_of is not None and due < as_of


def _spend(remedy: Any) -> tuple[str, Decimal] | None:
    if remedy is None or remedy.amount is None:
        return None
    amount = remedy.amount.amount
    if remedy.cap is not None and remedy.cap.currency == remedy.amount.currency:
        amount = min(amount, remedy.cap.amount)
    return remedy.amount.currency, amount


class _Side:
    """The running totals of one policy over the corpus."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, float]] = {
            n: {} for n in ("workload_units", "workload_owner", "breaches", "spend", "approvals", "follow_up")
        }

    def add(self, table: str, key: str, amount: float = 1) -> None:
        t = self.counts[table]
        t[key] = t.get(key, 0) + amount

    def take(self, d: Any, values: Mapping[str, Any], clocks: Mapping[str, str], as_of: dt.datetime | None) -> None:
        for unit in d.routes:
            self.add("workload_units", unit)
        if d.owner is not None:
            self.add("workload_owner", d.owner)
        for deadline in d.deadlines:
            met_by = clocks.get(deadline.clock)
            if met_by is not None and breached(deadline.due_at, values.get(met_by), as_of):
                self.add("breaches", deadline.clock)
        spend = _spend(d.remedy)
        if spend is not None:
            self.add("spend", spend[0], float(spend[1]))
        if d.remedy is not None and d.remedy.amount is not None and d.remedy.amount.amount > 0:
            if d.remedy.beyond_authority:
                self.add("approvals", BEYOND)
            elif d.remedy.required_approver:
                self.add("approvals", d.remedy.required_approver)
        if d.follow_up.status == "required":
            self.add("follow_up", TOTAL)
            for role in d.follow_up.by:
                self.add("follow_up", role)


_TITLES = {
    "workload_units": ("workload per unit (records routed)", "unit", None),
    "workload_owner": ("workload per owner (records owned)", "owner", None),
    "breaches": ("expected breaches per clock", "clock", None),
    "spend": ("remedy spend (claimed amounts, held to the tier cap)", "currency", None),
    "approvals": ("approvals by role (records with a claimed amount)", "role", None),
    "follow_up": ("follow-up volume (records to follow up, per role)", "role", None),
}


def _times(values: Mapping[str, Any]) -> Iterable[dt.datetime]:
    return (v for v in values.values() if isinstance(v, dt.datetime) and v.tzinfo is not None)


def whatif(
    old: Any,
    new: Any,
    records: Iterable[Any],
    corpus: str = "<records>",
    *,
    now: dt.datetime | None = None,
    as_of: dt.datetime | None = None,
    clock_fields: Mapping[str, str] | None = None,
) -> WhatIf:
    """Old and new totals over ``records`` (dicts or :class:`~complaint_rules.batch.Row`), two loaded Policies.

    ``as_of`` is when deadlines with no meeting time are judged: past due then is a breach; by default
    the latest aware datetime in the corpus. ``clock_fields`` maps a clock to the record field that meets
    it (defaults: :func:`meeting_fields`).
    """
    a, b = old.compiled, new.compiled
    clocks = meeting_fields((old, new), clock_fields)
    decided: list[tuple[Any, Any, dict]] = []
    result = WhatIf(corpus=corpus, clock_fields=clocks)
    latest = as_of
    for item in records:
        result.records += 1
        record = item if isinstance(item, dict) else getattr(item, "record", item)
        if record is None:
            continue
        try:
            rid, va = a.coerce(record)
            da = a.decide(va, rid, now)
            rid, vb = b.coerce(record)
            db = b.decide(vb, rid, now)
        except ComplaintRulesError:
            continue
        if da.problems or db.problems:
            continue
        if as_of is None:
            for t in _times(va):
                latest = t if latest is None or t > latest else latest
        decided.append((da, db, va))
    sides = (_Side(), _Side())
    for side in sides:  # every clock met by a field is listed, breached or not
        side.counts["breaches"].update({c: 0 for c in clocks})
    for da, db, values in decided:
        sides[0].take(da, values, clocks, latest)
        sides[1].take(db, values, clocks, latest)
    result.decided = len(decided)
    result.as_of = latest.isoformat() if latest is not None else None
    for name, (title, key, note) in _TITLES.items():
        o, n = sides[0].counts[name], sides[1].counts[name]
        keys = sorted(set(o) | set(n), key=lambda k: (k != TOTAL, -max(o.get(k, 0), n.get(k, 0)), k))
        rows = [Row(key=k, old=o.get(k, 0), new=n.get(k, 0)) for k in keys]
        if name == "breaches":
            note = "met by " + ", ".join(f"{c}: {f}" for c, f in clocks.items()) if clocks else "no clock is met by a field of the record"
            if latest is not None:
                note += f"; a deadline not met is a breach when past due at {latest.isoformat()}"
        result.tables.append(Table(name=name, title=title, key=key, rows=rows, note=note))
    return result


def whatif_text(w: WhatIf, label: Any = None) -> list[str]:
    """The totals as text lines (``label(key)`` names a unit or role; default: the key)."""
    show = label or (lambda k: k)
    lines = [f"what if, on {w.corpus}: {w.decided} of {w.records} record(s) decided under both"]
    for t in w.tables:
        if not t.rows:
            continue
        lines.append(f"  {t.title}")
        for r in t.rows:
            sign = "+" if r.delta > 0 else ""
            lines.append(f"    {show(r.key)}: {_num(r.old)} -> {_num(r.new)} ({sign}{_num(r.delta)})")
        if t.note:
            lines.append(f"    ({t.note})")
    return lines


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
