"""Turning a point of the abstract space into a concrete record dict that ``Policy.evaluate`` accepts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .. import ir
from .conditions import MISSING
from .domain import OTHER, Space, fold
from .regions import Box

DEFAULT_RECEIVED = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
_DERIVED = ("satisfied", "follow_up_count", "last_follow_up_at")
_SEPARATORS = (" ", "\n", "|", "/", "\u00b7", "\u2063")
_FILLERS = ("x", "q", "zz", "0", "~", "\u2062")


def to_record(space: Space, box: Box, overrides: dict[str, object] | None = None) -> dict[str, object]:
    """A record in ``box``: the lowest allowed atom per dimension, required fields filled in."""
    chosen = space.point(box)
    record: dict[str, object] = {}
    by_field: dict[str, list[int]] = {}
    for i, dim in enumerate(space.dims):
        by_field.setdefault(dim.field, []).append(i)
    for name, decl in space.schema.items():
        dims = by_field.get(name)
        if dims:
            value = _field_value(space, decl, dims, chosen)
        elif decl.required:
            value = default_value(decl)
        else:
            value = MISSING  # an unconstrained optional field: leave it out, or its default applies
        if value is not MISSING:
            record[name] = value
    for name, value in (overrides or {}).items():
        record[name] = value
    _derive_follow_ups(space, record)
    return record


def _derive_follow_ups(space: Space, record: dict[str, object]) -> None:
    """Derived fields cannot be given: write the list of follow-ups that yields them."""
    if not any(name in record for name in _DERIVED):
        return
    satisfied = record.pop("satisfied", None)
    count = record.pop("follow_up_count", None)
    last = record.pop("last_follow_up_at", None)
    if count is None:
        count = 1 if satisfied is not None or last is not None else 0
    if not count:
        return
    last = last if isinstance(last, dt.datetime) else record.get("received_at", DEFAULT_RECEIVED)
    entries = []
    for i in range(int(count)):
        at = last - dt.timedelta(minutes=int(count) - 1 - i)
        final = i == int(count) - 1
        entries.append({"at": at, "method": "phone", "satisfied": satisfied if final else True})
    record["follow_ups"] = entries


def _field_value(space: Space, decl: ir.FieldDecl, dims: list[int], chosen: dict[str, int]) -> object:
    kind = decl.type.kind
    if kind == "set":
        missing_dim = space.by_name.get(f"{decl.name}#?")
        if missing_dim is not None and chosen[space.dims[missing_dim].name] == 1:
            return MISSING
        present = {space.dims[i].name.split("#", 1)[1] for i in dims
                   if space.dims[i].role == "member" and chosen[space.dims[i].name] == 1}  # fmt: skip
        return [m for m in decl.type.members if m in present]
    value_dim = space.dims[space.by_name[decl.name]]
    value = value_dim.atoms[chosen[value_dim.name]]
    if value is MISSING:
        return MISSING
    if kind == "text" and value is OTHER:
        keywords = {space.dims[i].name.split("~", 1)[1]: chosen[space.dims[i].name] == 1
                    for i in dims if space.dims[i].role == "keyword"}  # fmt: skip
        constants = [a for a in value_dim.atoms if isinstance(a, str) and a is not OTHER]
        return compose_text(keywords, constants)
    return value


def compose_text(keywords: dict[str, bool], avoid: list[str]) -> str:
    """A text that mentions exactly the present keywords and equals none of ``avoid``."""
    present = [k for k, on in keywords.items() if on]
    absent = [k for k, on in keywords.items() if not on]
    sep = next((s for s in _SEPARATORS if not any(s in k for k in keywords)), " ")
    for filler in ("", *_FILLERS):
        text = sep.join([*present, filler] if filler else present) or filler
        if not text:
            continue
        folded = fold(text)
        if text in avoid or any(k in folded for k in absent) or not all(k in folded for k in present):
            continue
        return text
    raise ValueError(f"cannot write a text mentioning exactly {present}")  # unreachable for feasible points


def default_value(decl: ir.FieldDecl) -> object:
    """A valid value for a required field that no condition reads."""
    if decl.default is not None:
        return to_raw(decl.default)
    kind = decl.type.kind
    if kind == "datetime":
        return DEFAULT_RECEIVED
    return {
        "bool": False,
        "int": 0,
        "decimal": Decimal(0),
        "money": ir.Money(Decimal(0), decl.type.currency) if decl.type.currency else Decimal(0),
        "text": "counterexample" if decl.name == "id" else "x",
        "date": DEFAULT_RECEIVED.date(),
        "duration": dt.timedelta(hours=1),
        "enum": decl.type.members[0] if decl.type.members else "",
        "set": [],
    }[kind]


def to_raw(value: object) -> object:
    """An IR literal as a raw record value."""
    if isinstance(value, frozenset):
        return sorted(value)
    return value


def jsonable(record: dict[str, object]) -> dict[str, object]:
    """The record with datetimes, dates, decimals and timedeltas as JSON-friendly values."""
    out: dict[str, object] = {}
    for key, value in record.items():
        if isinstance(value, (dt.date, dt.datetime)):
            out[key] = value.isoformat()
        elif isinstance(value, ir.Money):
            out[key] = str(value)
        elif isinstance(value, list):
            out[key] = [jsonable(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, Decimal):
            out[key] = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, dt.timedelta):
            out[key] = f"{int(value.total_seconds() // 60)} minutes"
        else:
            out[key] = value
    return out
