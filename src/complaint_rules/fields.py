"""The standard record: the fields every policy has, before its own ``record`` block adds or replaces some.

The language (the checker) and the engine (the record reader) both read these; they live here, below both.
"""

from __future__ import annotations

from . import ir

__all__ = ["DERIVED_FIELDS", "FOLLOW_UPS", "HISTORY", "STANDARD_FIELDS"]


def _field(name: str, kind: str, members: tuple[str, ...] = (), default: ir.Value | None = None,
       required: bool = False, label: str | None = None) -> ir.FieldDecl:  # fmt: skip
    return ir.FieldDecl(name, ir.FieldType(kind, members), default, required, label)


# A set or enum with no members is open: any identifier is accepted (policies narrow it).
STANDARD_FIELDS: tuple[ir.FieldDecl, ...] = (
    _field("id", "text", required=True, label="complaint number"),
    _field("received_at", "datetime", required=True, label="received"),
    _field("channel", "text", label="channel (phone, letter, fax, visit, ...)"),
    _field("category", "text", label="category"),
    _field("anonymous", "bool", default=False, label="no name or address given"),
    _field("key_customer", "bool", default=False, label="key customer / VIP"),
    _field("description", "text", label="what the customer said"),
    _field("claimed_amount", "money", label="amount claimed"),
    _field("demands", "set", default=frozenset(), label="what the customer demands"),
    _field(
        "external",
        "set",
        ("media", "consumer_association", "court", "regulator"),
        frozenset(),
        label="outside parties involved",
    ),
    _field("hazards", "set", ("fire", "injury"), frozenset(), label="hazards"),
    _field("repeat_count", "int", default=0, label="times complained about before"),
    _field("cause", "text", label="cause once known"),
    _field("first_contact_at", "datetime", label="first contact with the customer"),
    _field("resolved_at", "datetime", label="handling finished"),
)

FOLLOW_UPS = "follow_ups"
# The complaint's timeline: ``{at, status}``, ``{at, level}`` and ``{at, rule[, action]}`` entries, oldest first
# (docs/decisions.md). Like ``follow_ups`` it is a list, not a field a condition reads.
HISTORY = "history"

# Computed from ``follow_ups``; read-only: values given in a raw record are ignored.
DERIVED_FIELDS: tuple[ir.FieldDecl, ...] = (
    _field("satisfied", "bool", label="satisfied at the last follow-up (missing: none yet, or no rating)"),
    _field("follow_up_count", "int", default=0, label="follow-ups so far"),
    _field("last_follow_up_at", "datetime", label="time of the last follow-up"),
)
