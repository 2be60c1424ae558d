"""Turning a point of the abstract space into a concrete record dict that ``Policy.evaluate`` accepts."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
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


class NoWitness(ValueError):
    """No value has the combination of properties asked for (``prove`` reports it as not covered)."""


def compose_text(keywords: dict[str, bool], avoid: list[str]) -> str:
    """A text that mentions exactly the present keywords and equals none of ``avoid``.

    The present keywords (case-folded) are joined by a separator character that no keyword contains and
    that case folding leaves alone: a substring across a separator contains it, so it is no keyword, and
    an absent keyword can only appear inside a present one (a combination no text has). Such a character
    always exists, since the keywords are finitely many. Separators are appended until the text equals
    none of ``avoid``. Raises :class:`NoWitness` when no text has the combination.
    """
    present = [fold(k) for k, on in keywords.items() if on]
    absent = [fold(k) for k, on in keywords.items() if not on]
    avoided = set(avoid) | {fold(a) for a in avoid}
    for sep in _separators([*present, *absent]):
        for filler in ("", *_FILLERS):
            text = sep.join([*present, filler] if filler else present) or filler
            if text and _fits(text, present, absent, avoided):
                return text
        for n in range(1, len(avoided) + 2):  # the keywords then n separators: one of them is not avoided
            text = sep.join([*present, ""]) + sep * (n - 1) if present else sep * n
            if _fits(text, present, absent, avoided):
                return text
    raise NoWitness(f"no text mentions exactly {present} and none of {absent}")


def _fits(text: str, present: list[str], absent: list[str], avoided: set[str]) -> bool:
    folded = fold(text)
    return text not in avoided and folded not in avoided and not any(k in folded for k in absent) and \
        all(k in folded for k in present)  # fmt: skip


def _separators(keywords: list[str]) -> Iterator[str]:
    """Characters in no keyword that case folding keeps: the usual ones first, then the first others found."""
    used = set("".join(keywords)) | set(fold("".join(keywords)))
    others = (chr(c) for c in range(0x21, 0x110000) if not 0xD800 <= c <= 0xDFFF and chr(c).isprintable())
    found = 0
    for sep in itertools.chain(_SEPARATORS, others):
        if sep not in used and fold(sep) == sep:
            yield sep
            found += 1
            if found > len(_SEPARATORS):  # the first one already works for a combination some text has
                return


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
