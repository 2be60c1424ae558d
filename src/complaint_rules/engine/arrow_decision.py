"""The decision as an Arrow row: the published schema of decisions in Parquet and Arrow IPC files.

One row per decided record, nested as the decision is (``docs/decisions.md``, "Decisions as Arrow"):
lists of structs for deadlines, escalations, obligations and problems, a struct for the remedy and the
follow-up. Every time is an instant, ``timestamp[us, tz=UTC]`` (the JSON form shows it in the policy's
zone; the instant is the same); amounts and rates are exact decimal text; the trace is the matched rule
ids in trace order (their block and ``file:line:col`` follow from the policy). Needs ``pyarrow``
(the ``columnar`` extra).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from .decision import Amount, Decision

__all__ = ["CATEGORY", "DECISION_SCHEMA", "PLAIN_SCHEMA", "decision_record", "empty_decisions", "plain"]

_TIME = pa.timestamp("us", tz="UTC")
# Text drawn from the policy (names, rule ids, statuses) or repeated across rows (amounts) is
# dictionary-encoded: a name is stored once per batch, and readers see plain strings.
CATEGORY = pa.dictionary(pa.int32(), pa.string())
_TEXT = CATEGORY
_TEXTS = pa.list_(CATEGORY)
_AMOUNT = pa.struct([("amount", _TEXT), ("currency", _TEXT)])

DEADLINE = pa.struct([("clock", _TEXT), ("due_at", _TIME), ("rule", _TEXT), ("anchor", _TEXT)])
ESCALATION = pa.struct([("rule", _TEXT), ("action", _TEXT), ("targets", _TEXTS), ("due_at", _TIME),
                        ("status", _TEXT)])  # fmt: skip
REMEDY = pa.struct([
    ("tier", _TEXT), ("cap", _AMOUNT), ("currency", _TEXT), ("approver", _TEXT), ("options", _TEXTS),
    ("amount", _AMOUNT), ("within_cap", pa.bool_()), ("within_authority", pa.bool_()),
    ("required_approver", _TEXT), ("beyond_authority", pa.bool_()),
])  # fmt: skip
FOLLOW_UP = pa.struct([
    ("status", _TEXT), ("rule", _TEXT), ("rate", _TEXT), ("sampled", pa.bool_()), ("sample_point", pa.float64()),
    ("by", _TEXTS), ("via", _TEXTS), ("due_at", _TIME), ("until_satisfied", pa.int64()), ("attempts", pa.int64()),
    ("repeat_needed", pa.bool_()),
])  # fmt: skip
OBLIGATION = pa.struct([("rule", _TEXT), ("action", _TEXT), ("label", _TEXT), ("by", _TEXTS), ("due_at", _TIME),
                        ("retain_until", _TIME), ("status", _TEXT)])  # fmt: skip
PROBLEM = pa.struct([("part", _TEXT), ("name", _TEXT), ("rule", _TEXT), ("location", _TEXT),
                     ("depends_on", _TEXT), ("year", pa.int64()), ("message", pa.string())])  # fmt: skip
_SPAN = pa.duration("us")
CLOCK = pa.struct([("clock", _TEXT), ("rule", _TEXT), ("cycle", pa.int64()), ("state", _TEXT),
                   ("started_at", _TIME), ("due_at", _TIME), ("met_at", _TIME), ("paused_since", _TIME),
                   ("warn_at", _TIME), ("elapsed", _SPAN), ("paused", _SPAN), ("remaining", _SPAN),
                   ("remaining_wall", _SPAN), ("location", _TEXT)])  # fmt: skip

# The decision columns, in the order of :class:`~complaint_rules.engine.decision.Decision`'s fields.
DECISION_SCHEMA = pa.schema([
    ("policy_id", _TEXT), ("policy_version", _TEXT), ("fingerprint", _TEXT), ("record_id", pa.string()),
    ("evaluated_at", _TIME), ("level", _TEXT), ("level_label", _TEXT), ("routes", _TEXTS), ("owner", _TEXT),
    ("deadlines", pa.list_(DEADLINE)), ("escalations", pa.list_(ESCALATION)), ("remedy", REMEDY),
    ("follow_up", FOLLOW_UP), ("obligations", pa.list_(OBLIGATION)), ("trace", _TEXTS),
    ("problems", pa.list_(PROBLEM)), ("clocks", pa.list_(CLOCK)),
])  # fmt: skip


def plain(typ: pa.DataType) -> pa.DataType:
    """``typ`` with every dictionary-encoded string as a plain string (for Arrow IPC files, which allow
    one dictionary per column for the whole file)."""
    if pa.types.is_dictionary(typ):
        return typ.value_type
    if pa.types.is_list(typ):
        return pa.list_(plain(typ.value_type))
    if pa.types.is_struct(typ):
        return pa.struct([(f.name, plain(f.type)) for f in typ])
    return typ


# The same columns with plain strings: the schema of decisions in Arrow IPC files.
PLAIN_SCHEMA = pa.schema([(f.name, plain(f.type)) for f in DECISION_SCHEMA])


def _amount(a: Amount | None) -> dict[str, str] | None:
    return None if a is None else {"amount": str(a.amount), "currency": a.currency}


def _time(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else t.astimezone(dt.timezone.utc)


def decision_record(d: Decision) -> dict[str, Any]:
    """A decision as one row of :data:`DECISION_SCHEMA` (plain Python values, for ``pa.Table.from_pylist``)."""
    r, f = d.remedy, d.follow_up
    return {
        "policy_id": d.policy_id, "policy_version": d.policy_version, "fingerprint": d.fingerprint,
        "record_id": d.record_id, "evaluated_at": _time(d.evaluated_at), "level": d.level,
        "level_label": d.level_label, "routes": list(d.routes), "owner": d.owner,
        "deadlines": [{"clock": x.clock, "due_at": _time(x.due_at), "rule": x.rule, "anchor": x.anchor}
                      for x in d.deadlines],
        "escalations": [{"rule": x.rule, "action": x.action, "targets": list(x.targets), "due_at": _time(x.due_at),
                         "status": x.status} for x in d.escalations],
        "remedy": None if r is None else {
            "tier": r.tier, "cap": _amount(r.cap), "currency": r.currency, "approver": r.approver,
            "options": list(r.options), "amount": _amount(r.amount), "within_cap": r.within_cap,
            "within_authority": r.within_authority, "required_approver": r.required_approver,
            "beyond_authority": r.beyond_authority,
        },
        "follow_up": {
            "status": f.status, "rule": f.rule, "rate": None if f.rate is None else str(f.rate), "sampled": f.sampled,
            "sample_point": f.sample_point, "by": list(f.by), "via": list(f.via), "due_at": _time(f.due_at),
            "until_satisfied": f.until_satisfied, "attempts": f.attempts, "repeat_needed": f.repeat_needed,
        },
        "obligations": [{"rule": x.rule, "action": x.action, "label": x.label, "by": list(x.by),
                         "due_at": _time(x.due_at), "retain_until": _time(x.retain_until), "status": x.status}
                        for x in d.obligations],
        "trace": [t.rule for t in d.trace],
        "problems": [{"part": p.part, "name": p.name, "rule": p.rule, "location": p.location,
                      "depends_on": p.depends_on, "year": p.year, "message": p.message} for p in d.problems],
        "clocks": [{"clock": c.clock, "rule": c.rule, "cycle": c.cycle, "state": c.state,
                    "started_at": _time(c.started_at), "due_at": _time(c.due_at), "met_at": _time(c.met_at),
                    "paused_since": _time(c.paused_since), "warn_at": _time(c.warn_at), "elapsed": c.elapsed,
                    "paused": c.paused, "remaining": c.remaining, "remaining_wall": c.remaining_wall,
                    "location": c.location} for c in d.clocks],
    }  # fmt: skip


def empty_decisions() -> pa.Table:
    """A table of no decisions, with the published schema."""
    return DECISION_SCHEMA.empty_table()
