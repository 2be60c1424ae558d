"""The standard complaint record, the schema a policy sees, and turning raw records into typed values.

One module: the standard fields, the schema a policy sees and one coercer per field type belong
together; the coercers' fast paths are checked against each other here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import re
import reprlib
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from .. import ir
from ..errors import RecordError
from ..fields import DERIVED_FIELDS, FOLLOW_UPS, HISTORY, STANDARD_FIELDS
from .decision import Amount

__all__ = [
    "DERIVED_FIELDS",
    "FOLLOW_UPS",
    "HISTORY",
    "STANDARD_FIELDS",
    "ComplaintRecord",
    "FollowUpEntry",
    "FollowUpRecord",
    "HistoryEntry",
    "HistoryRecord",
    "Timeline",
    "timeline_for",
    "coerce",
    "make_coercer",
    "schema_for",
]

# ---------------------------------------------------------------------------- the standard record

ExternalParty = Literal["media", "consumer_association", "court", "regulator"]
Hazard = Literal["fire", "injury"]


class FollowUpEntry(BaseModel):
    """One follow-up of the customer: when, how, and whether they were satisfied (None: no rating)."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    method: str | None = None
    satisfied: bool | None = None


class HistoryEntry(BaseModel):
    """One entry of the complaint's timeline: a status change, a level change, or an action done for a rule."""

    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    status: str | None = None
    level: str | None = None
    rule: str | None = None
    action: str | None = None


class ComplaintRecord(BaseModel):
    """The standard complaint record; a policy's ``record`` block narrows or extends it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str
    received_at: AwareDatetime
    channel: str | None = None
    category: str | None = None
    anonymous: bool = False
    key_customer: bool = False
    description: str | None = None
    claimed_amount: Amount | None = None
    demands: frozenset[str] = frozenset()
    external: frozenset[ExternalParty] = frozenset()
    hazards: frozenset[Hazard] = frozenset()
    repeat_count: int = Field(default=0, ge=0)
    cause: str | None = None
    first_contact_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    follow_ups: tuple[FollowUpEntry, ...] = ()
    history: tuple[HistoryEntry, ...] = ()

    @field_validator("claimed_amount", mode="before")
    @classmethod
    def _money_text(cls, value: Any) -> Any:
        # "1000 CNY" is the way people write money; accept it next to {"amount", "currency"}.
        if isinstance(value, str):
            match = _MONEY_RE.fullmatch(value.strip())
            if match and (match.group(1) or match.group(3)):
                return {
                    "amount": match.group(2).replace(",", ""),
                    "currency": (match.group(1) or match.group(3)),
                }
        return value




def schema_for(policy: ir.Policy) -> dict[str, ir.FieldDecl]:
    """Standard fields, replaced or added to by the policy's ``record`` block, then the derived fields.

    Money fields without a currency take the policy's currency.
    """
    fields: dict[str, ir.FieldDecl] = {f.name: f for f in STANDARD_FIELDS}
    for decl in policy.record:
        fields[decl.name] = decl
    for decl in DERIVED_FIELDS:
        fields[decl.name] = decl
    currency = policy.header.currency
    if currency:
        for name, decl in fields.items():
            if decl.type.kind == "money" and decl.type.currency is None:
                fields[name] = dataclasses.replace(
                    decl, type=dataclasses.replace(decl.type, currency=currency)
                )
    return fields


# ---------------------------------------------------------------------------- converters


class _Bad(Exception):
    """A value that does not fit its field; the message is shown to the user."""


class FollowUpRecord(NamedTuple):
    """A coerced follow-up entry."""

    at: dt.datetime
    method: str | None
    satisfied: bool | None


class HistoryRecord(NamedTuple):
    """A coerced history entry: exactly one of ``status``, ``level`` and ``rule`` is set (``action`` only says,
    for a rule, what was done: ``sent``, ``called``...)."""

    at: dt.datetime
    status: str | None = None
    level: str | None = None
    rule: str | None = None
    action: str | None = None


class Timeline(NamedTuple):
    """What a policy lets a record's history name: its statuses, its levels, its rule ids."""

    statuses: tuple[str, ...]
    levels: tuple[str, ...]
    rules: tuple[str, ...]


def timeline_for(policy: ir.Policy) -> Timeline:
    """The statuses, levels and rule ids a history may name under ``policy``."""
    levels = tuple(n.id for n in policy.levels) or ir.LEVEL_NAMES
    rules = tuple(r.id for r in ir.all_rules(policy))
    return Timeline(tuple(n.id for n in policy.statuses), levels, rules)


_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})
_INT_RE = re.compile(r"[+-]?\d{1,30}")
_MONEY_RE = re.compile(r"([A-Za-z]{3})?\s*([+-]?\d[\d,]*(?:\.\d+)?)\s*([A-Za-z]{3})?")


_SHOW = reprlib.Repr()
_SHOW.maxlevel, _SHOW.maxstring, _SHOW.maxother = 3, 40, 40
_SURROGATE = re.compile("[\ud800-\udfff]")


def _show(value: Any) -> str:
    """A short form of a value for a message; a nested, huge or hostile value still gets one."""
    try:
        text = _SHOW.repr(value)
    except Exception:  # noqa: BLE001 - a host object whose __repr__ raises
        return f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _unicode(text: str) -> str:
    """Text as an exact ``str`` of Unicode scalar values: a lone surrogate (e.g. JSON ``"\\ud800"``) is refused."""
    if type(text) is not str:
        text = str.__add__(text, "")  # a subclass's own methods are never called
    if not text.isascii() and _SURROGATE.search(text):
        raise _Bad("text holds a lone surrogate (not Unicode text)")
    return text


def _id_text(rid: str) -> str:
    """A record id for an error message: a lone surrogate is shown escaped."""
    return rid if rid.isascii() or not _SURROGATE.search(rid) else rid.encode("utf-8", "backslashreplace").decode()


def _bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    elif isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _Bad(f"expected true or false, got {_show(value)}")


def _int(value: Any) -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise _Bad(f"expected a whole number, got {_show(value)}")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value.strip())
    raise _Bad(f"expected a whole number, got {_show(value)}")


def _finite(number: Decimal, value: Any) -> Decimal:
    if not number.is_finite():
        raise _Bad(f"expected a finite number, got {_show(value)}")
    return number


def _decimal(value: Any) -> Decimal:
    if type(value) is Decimal:
        return _finite(value, value)
    if isinstance(value, bool):
        raise _Bad(f"expected a number, got {_show(value)}")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _finite(Decimal(repr(value)), value)
    if isinstance(value, str):
        try:
            return _finite(Decimal(value.strip()), value)
        except InvalidOperation:
            pass
    raise _Bad(f"expected a number, got {_show(value)}")


def _money(currency: str | None) -> Callable[[Any], ir.Money]:
    def convert(value: Any) -> ir.Money:
        if type(value) is int and currency is not None:  # the commonest case: a whole amount in the currency
            return ir.Money(Decimal(value), currency)
        if type(value) is int or type(value) is Decimal:  # a bare amount: skip the abstract-class checks below
            try:
                amount, cur = _decimal(value), None
            except _Bad:
                raise _Bad(f"expected an amount such as '1000 CNY', got {_show(value)}") from None
        elif type(value) is ir.Money or isinstance(value, Amount):
            amount, cur = value.amount, value.currency
        elif isinstance(value, Mapping) and "amount" in value:
            amount = _decimal(value["amount"])
            cur = value.get("currency")
            if cur is not None and not isinstance(cur, str):
                raise _Bad(f"expected a currency code such as 'CNY', got {_show(cur)}")
        elif isinstance(value, str):
            match = _MONEY_RE.fullmatch(value.strip())
            if match is None or (match.group(1) and match.group(3)):
                raise _Bad(f"expected an amount such as '1000 CNY', got {_show(value)}")
            amount = _decimal(match.group(2).replace(",", ""))
            cur = match.group(1) or match.group(3)
        else:
            try:
                amount, cur = _decimal(value), None
            except _Bad:
                raise _Bad(f"expected an amount such as '1000 CNY', got {_show(value)}") from None
        cur = cur.strip().upper() if cur else currency
        if cur is None:
            raise _Bad(f"{_show(value)} has no currency and the policy declares none: write e.g. '1000 CNY'")
        if currency is not None and cur != currency:
            raise _Bad(f"expected an amount in {currency}, got {cur}")
        return ir.Money(_finite(amount, value), cur)

    return convert


def _text(value: Any) -> str:
    if isinstance(value, str):
        return _unicode(value)
    raise _Bad(f"expected text, got {_show(value)}")


def _record_id(value: Any) -> str:
    if isinstance(value, str):
        return str.strip(_unicode(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Bad(f"expected text or a whole number, got {_show(value)}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise _Bad(f"expected a date, got a date-time {_show(value)}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad(f"expected a date such as 2026-12-01, got {_show(value)}")


def _datetime(value: Any) -> dt.datetime:
    if type(value) is dt.datetime and value.utcoffset() is not None:  # the common case: already aware
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):  # Python 3.10 fromisoformat does not read Z
            text = text[:-1] + "+00:00"
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _Bad(
                f"expected an ISO 8601 date-time such as 2026-12-01T10:00+08:00, got {_show(value)}"
            ) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Bad(
                f"naive date-time {value.isoformat()}: give a UTC offset, e.g. {value.isoformat()}+08:00"
            )
        return value
    raise _Bad(f"expected a date-time such as 2026-12-01T10:00+08:00, got {_show(value)}")


def assuming(zone: dt.tzinfo) -> Callable[[Any], dt.datetime]:
    """A date-time converter that reads a naive date-time (an ORM's, a spreadsheet's) as a time in ``zone``.

    A wall time that occurs twice in ``zone`` (the hour a clock goes back) is the earlier one (``fold=0``).
    """

    def convert(value: Any) -> dt.datetime:
        if isinstance(value, str):
            text = value.strip()
            try:
                value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
            except ValueError:
                return _datetime(value)  # its message
        if isinstance(value, dt.datetime) and (value.tzinfo is None or value.utcoffset() is None):
            return value.replace(tzinfo=zone)
        return _datetime(value)

    return convert


def _duration(value: Any) -> ir.Duration:
    if type(value) is ir.Duration:
        out = value
    elif isinstance(value, str):
        from ..calendars import parse_duration

        try:
            out = parse_duration(value)
        except ValueError as exc:
            raise _Bad(str(exc)) from None
    else:
        out = None
    if out is not None:
        if out.unit not in ir.LENGTH_UNITS:  # 'end of day' is a point in time, not a length
            raise _Bad(f"expected a length of time such as '2 hours', got {_show(value)}")
        return out
    raise _Bad(f"expected a duration such as '2 hours', got {_show(value)}")


def _unknown_member(word: str, members: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, members, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; expected one of {', '.join(members)}"
    return f"unknown member {word!r}{hint}"


def _unchanged(members: tuple[str, ...]) -> frozenset[str]:
    """The members that are their own stripped form: given exactly, a converter returns them unchanged."""
    return frozenset(m for m in members if m == m.strip())


def _enum(members: tuple[str, ...]) -> Callable[[Any], str]:
    allowed, unchanged = frozenset(members), _unchanged(members)

    def convert(value: Any) -> str:
        if type(value) is str and value in unchanged:  # the common case: a member, exactly
            return value
        if not isinstance(value, str):
            raise _Bad(f"expected one of {', '.join(members) or 'identifiers'}, got {_show(value)}")
        word = value.strip()
        if allowed and word not in allowed:
            raise _Bad(_unknown_member(word, members))
        return word

    return convert


_NO_MEMBERS: frozenset = frozenset()
_DATETIME = dt.datetime


def _set(members: tuple[str, ...]) -> Callable[[Any], frozenset]:
    allowed, unchanged = frozenset(members), _unchanged(members)

    def convert(value: Any) -> frozenset:
        kind = type(value)
        if kind is frozenset and (not allowed or value <= allowed):
            return value
        if kind is list or kind is tuple:  # the common case: a list of valid members (or none)
            if not value:
                return _NO_MEMBERS
            if unchanged:
                try:
                    members_given = frozenset(value)
                except TypeError:  # an unhashable item: the loop below names it
                    pass
                else:
                    if members_given <= unchanged:
                        return members_given
        if isinstance(value, str):
            items: list[Any] = [w for w in (p.strip() for p in value.split(",")) if w]
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = list(value)
        else:
            raise _Bad(f"expected a list or comma-separated members, got {_show(value)}")
        words, bad = [], []
        for item in items:
            if not isinstance(item, str):
                bad.append(f"expected member names, got {_show(item)}")
            elif allowed and item.strip() not in allowed:
                bad.append(_unknown_member(item.strip(), members))
            else:
                words.append(item.strip())
        if bad:
            raise _Bad("; ".join(bad))
        return frozenset(words)

    return convert


def _converter(decl: ir.FieldDecl, moment: Callable[[Any], dt.datetime] = _datetime) -> Callable[[Any], Any]:
    kind = decl.type.kind
    if decl.name == "id":
        return _record_id
    if kind == "datetime":
        return moment
    if kind == "money":
        return _money(decl.type.currency)
    if kind == "enum":
        return _enum(decl.type.members)
    if kind == "set":
        return _set(decl.type.members)
    return _SIMPLE[kind]


_SIMPLE: dict[str, Callable[[Any], Any]] = {
    "bool": _bool,
    "int": _int,
    "decimal": _decimal,
    "text": _text,
    "date": _date,
    "datetime": _datetime,
    "duration": _duration,
}


def _follow_ups(
    value: Any, problems: list[tuple[str, str]], moment: Callable[[Any], dt.datetime] = _datetime
) -> tuple[FollowUpRecord, ...]:
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value) if value.strip() else []
        except (ValueError, RecursionError):
            problems.append((FOLLOW_UPS, "expected a JSON list of follow-ups"))
            return ()
    if not isinstance(value, (list, tuple)):
        problems.append((FOLLOW_UPS, f"expected a list of {{at, method, satisfied}}, got {_show(value)}"))
        return ()
    entries = []
    for i, raw in enumerate(value):
        if type(raw) is dict:  # the common case: typed values, taken as they are
            at, method, satisfied = raw.get("at"), raw.get("method"), raw.get("satisfied")
            if (
                type(at) is dt.datetime
                and at.utcoffset() is not None
                and (method is None or (type(method) is str and method.strip()))
                and (satisfied is None or satisfied is True or satisfied is False)
            ):
                entries.append(FollowUpRecord(at, method, satisfied))
                continue
        where = f"{FOLLOW_UPS}[{i}]"
        item = _as_mapping(raw)
        if item is None:
            problems.append((where, f"expected {{at, method, satisfied}}, got {_show(raw)}"))
            continue
        fields: dict[str, Any] = {}
        for name, convert in (("at", moment), ("method", _text), ("satisfied", _bool)):
            v = item.get(name)
            if v is None or (isinstance(v, str) and not v.strip()):
                if name == "at":
                    problems.append((f"{where}.at", "required"))
                fields[name] = None
                continue
            try:
                fields[name] = convert(v)
            except _Bad as exc:
                problems.append((f"{where}.{name}", str(exc)))
        if "at" in fields and fields["at"] is not None and len(fields) == 3:
            entries.append(FollowUpRecord(fields["at"], fields["method"], fields["satisfied"]))
    # "Last" means latest in time, whatever order the host lists them in.
    entries.sort(key=lambda e: e.at)
    return tuple(entries)


_KINDS = ("status", "level", "rule")


def _history(value: Any, timeline: Timeline | None, problems: list[tuple[str, str]]) -> tuple[HistoryRecord, ...]:
    """The record's timeline, checked against the policy's statuses, levels and rules, oldest first."""
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value) if value.strip() else []
        except (ValueError, RecursionError):
            problems.append((HISTORY, "expected a JSON list of history entries"))
            return ()
    if not isinstance(value, (list, tuple)):
        problems.append((HISTORY, f"expected a list of {{at, status | level | rule}}, got {_show(value)}"))
        return ()
    entries: list[HistoryRecord] = []
    last: tuple[int, dt.datetime] | None = None
    known = None if timeline is None else {"status": frozenset(timeline.statuses),
                                           "level": frozenset(timeline.levels), "rule": frozenset(timeline.rules)}
    for i, raw in enumerate(value):
        if type(raw) is dict and len(raw) == 2:  # the common case: {at, status|level|rule}, typed and known
            at = raw.get("at")
            if type(at) is dt.datetime and at.utcoffset() is not None and (last is None or at >= last[1]):
                for kind in _KINDS:
                    name = raw.get(kind)
                    if type(name) is str and (known is None or name in known[kind]):
                        last = (i, at)
                        entries.append(HistoryRecord(at, **{kind: name}))
                        break
                else:
                    kind = None
                if kind is not None:
                    continue
        where = f"{HISTORY}[{i}]"
        item = raw._asdict() if isinstance(raw, HistoryRecord) else _as_mapping(raw)
        if item is None:
            problems.append((where, f"expected {{at, status | level | rule}}, got {_show(raw)}"))
            continue
        try:
            unknown = sorted(str(k) for k in item if k not in ("at", "action", *_KINDS))
            given = {k: item.get(k) for k in ("at", "action", *_KINDS)}
        except Exception as exc:  # noqa: BLE001 — a host mapping that misbehaves is bad input
            problems.append((where, f"cannot read the entry: {type(exc).__name__}"))
            continue
        if unknown:
            problems.append((f"{where}.{unknown[0]}", "unknown key; an entry has at, status, level, rule, action"))
            continue
        at = given["at"]
        if at is None or (isinstance(at, str) and not at.strip()):
            problems.append((f"{where}.at", "required"))
            continue
        try:
            at = _datetime(at)
        except _Bad as exc:
            problems.append((f"{where}.at", str(exc)))
            continue
        kinds = [k for k in _KINDS if given[k] is not None and not (isinstance(given[k], str) and not given[k].strip())]
        if len(kinds) != 1:
            text = "give one of status, level, rule" if not kinds else f"give one of {', '.join(kinds)}, not both"
            problems.append((where, text))
            continue
        kind = kinds[0]
        name = given[kind]
        if not isinstance(name, str):
            problems.append((f"{where}.{kind}", f"expected a name, got {_show(name)}"))
            continue
        name = name.strip()
        known = None if timeline is None else getattr(timeline, {"status": "statuses", "level": "levels",
                                                                 "rule": "rules"}[kind])  # fmt: skip
        if known is not None and name not in known:
            what = {"status": "status", "level": "level", "rule": "rule of the policy"}[kind]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else (
                f"; expected one of {', '.join(known)}" if known else "; the policy declares none")
            problems.append((f"{where}.{kind}", f"unknown {what} {name!r}{hint}"))
            continue
        action = given["action"]
        if action is not None and (kind != "rule" or not isinstance(action, str)):
            problems.append((f"{where}.action", "an action is text, and only with a rule"))
            continue
        if last is not None and at < last[1]:
            problems.append((f"{where}.at", f"{at.isoformat()} is before {HISTORY}[{last[0]}] "
                             f"({last[1].isoformat()}): list the history oldest first"))  # fmt: skip
            continue
        last = (i, at)
        entries.append(HistoryRecord(at, **{kind: name}, action=action.strip() or None if action else None))
    return tuple(entries)


# ---------------------------------------------------------------------------- coercion


def _as_mapping(raw: Any) -> Mapping | None:
    if type(raw) is dict or isinstance(raw, Mapping):
        return raw
    if isinstance(raw, BaseModel):
        return raw.model_dump()
    if dataclasses.is_dataclass(raw) and not isinstance(raw, type):
        return {f.name: getattr(raw, f.name) for f in dataclasses.fields(raw)}
    return None


def _load(raw: Any) -> Mapping:
    if type(raw) is dict:  # the common case, without the abstract-class checks below
        return raw
    if isinstance(raw, (str, bytes, bytearray)):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise RecordError(None, [("<record>", f"not valid JSON: {exc}")]) from None
    mapping = _as_mapping(raw)
    if mapping is None:
        kind = type(raw).__name__
        raise RecordError(
            None, [("<record>", f"expected a JSON object, dict, pydantic model or dataclass, got {kind}")]
        )
    return mapping


def _as_is(field: _Field) -> type | None:
    """The type whose values ``field.convert`` returns unchanged (so need not be called), if there is one."""
    convert = field.convert
    if convert is _bool:
        return bool
    if convert is _int:
        return int
    if convert is _text:
        return str
    return None


class _Field(NamedTuple):
    name: str
    convert: Callable[[Any], Any]
    default: Any
    required: bool


def make_coercer(
    schema: Mapping[str, ir.FieldDecl], timeline: Timeline | None = None, assume_timezone: dt.tzinfo | None = None
) -> Callable[[Any], tuple[str | None, dict[str, Any]]]:
    """A fast ``raw -> (record_id, values)`` for one schema; see :func:`coerce`. ``timeline`` names what a
    record's ``history`` may show (without it, any name). With ``assume_timezone``, a naive date-time is
    read as a time in that zone instead of being refused."""
    derived = {d.name for d in DERIVED_FIELDS}
    moment = _datetime if assume_timezone is None else assuming(assume_timezone)
    plan = tuple(
        _Field(d.name, _converter(d, moment), d.default, d.required)
        for d in schema.values()
        if d.name not in derived
    )
    # For plain dicts: start from the defaults and convert only the keys the record has (records carry
    # far fewer keys than the schema has fields); problems are put back in schema order afterwards.
    defaults = {f.name: f.default for f in plan}
    # Per field: (schema index, converter, the one type its converter returns unchanged if any, the strings
    # it returns unchanged (an enum's members), whether it is a datetime (aware ones are kept as they are),
    # and for a set of declared members the members a list may give exactly (as _set's fast path takes them)).
    converters = {
        f.name: (i, f.convert, _as_is(f), _unchanged(schema[f.name].type.members)
                 if schema[f.name].type.kind == "enum" else _NO_MEMBERS, f.convert is moment,
                 (_unchanged(schema[f.name].type.members) or None) if schema[f.name].type.kind == "set" else None)
        for i, f in enumerate(plan)
    }  # fmt: skip
    required_fields = tuple((i, f.name) for i, f in enumerate(plan) if f.required)
    no_follow_ups = {"follow_up_count": 0, "last_follow_up_at": None, "satisfied": None}

    def convert_dict(mapping: dict, problems: list[tuple[str, str]]) -> dict[str, Any]:
        values = defaults.copy()
        found: list[tuple[int, str, str]] = []
        for name, value in mapping.items():
            field = converters.get(name)
            if field is None or value is None:
                continue  # unknown keys are dropped; missing values keep the default (required: below)
            kind = type(value)
            if kind is str:
                if value in field[3]:  # an enum's member, exactly
                    values[name] = value
                    continue
                if not value.strip():
                    continue  # blank: as missing
            elif kind is _DATETIME and field[4] and value.utcoffset() is not None:  # aware: as _datetime keeps it
                values[name] = value
                continue
            elif kind is list and field[5] is not None:  # a list of members, given exactly: as _set takes it
                try:
                    members = frozenset(value)
                except TypeError:  # an unhashable item: the converter names it
                    pass
                else:
                    if members <= field[5]:
                        values[name] = members if members else _NO_MEMBERS
                        continue
            if kind is field[2] and (kind is not str or value.isascii() or not _SURROGATE.search(value)):
                values[name] = value
                continue
            try:
                values[name] = field[1](value)
            except _Bad as exc:
                found.append((field[0], name, str(exc)))
            except Exception as exc:  # noqa: BLE001 — belt and braces: bad input never escapes as a raw traceback
                found.append((field[0], name, f"cannot read {_show(value)}: {type(exc).__name__}"))
        for i, name in required_fields:
            value = mapping.get(name)
            if value is None or (type(value) is str and not value.strip()):
                found.append((i, name, "required"))
        if found:
            found.sort(key=lambda p: p[0])
            problems.extend((name, text) for _, name, text in found)
        return values

    def convert_mapping(mapping: Mapping, problems: list[tuple[str, str]]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, convert, default, required in plan:
            try:
                value = mapping.get(name)
            except Exception as exc:  # noqa: BLE001 - a host Mapping whose __getitem__ raises
                problems.append((name, f"cannot read the field: {type(exc).__name__}"))
                continue
            if value is None or (type(value) is str and not value.strip()):
                if required:
                    problems.append((name, "required"))
                values[name] = default
                continue
            try:
                values[name] = convert(value)
            except _Bad as exc:
                problems.append((name, str(exc)))
            except Exception as exc:  # noqa: BLE001 — belt and braces: bad input never escapes as a raw traceback
                problems.append((name, f"cannot read {_show(value)}: {type(exc).__name__}"))
        return values

    def coerce_one(raw: Any) -> tuple[str | None, dict[str, Any]]:
        try:
            mapping = raw if type(raw) is dict else _load(raw)
            rid = mapping.get("id")
        except RecordError:
            raise
        except Exception:  # noqa: BLE001 — a Mapping whose get misbehaves is still bad input, not a crash
            raise RecordError(None, [("<record>", "cannot read the record's fields")]) from None
        record_id = _id_text(str.strip(rid)) if isinstance(rid, str) else str(rid) if type(rid) is int else None
        try:
            return finish(mapping, record_id)
        except RecordError:
            raise
        except Exception as exc:  # noqa: BLE001 — hostile host objects (a raising __bool__, ...) are bad input
            raise RecordError(record_id, [("<record>", f"cannot read the record: {type(exc).__name__}")]) from None

    def finish(mapping: Mapping, record_id: str | None) -> tuple[str | None, dict[str, Any]]:
        problems: list[tuple[str, str]] = []
        if type(mapping) is dict:
            values = convert_dict(mapping, problems)
        else:
            values = convert_mapping(mapping, problems)
        story = mapping.get(HISTORY)
        values[HISTORY] = _history(story, timeline, problems) if story else ()
        given = mapping.get(FOLLOW_UPS)
        if not given:  # none yet: the derived fields keep their defaults (0 follow-ups, no time, no rating)
            if problems:
                raise RecordError(record_id, problems)
            values[FOLLOW_UPS] = ()
            values.update(no_follow_ups)
            return record_id, values
        entries = _follow_ups(given, problems, moment)
        if problems:
            raise RecordError(record_id, problems)
        values[FOLLOW_UPS] = entries
        values["follow_up_count"] = len(entries)
        values["last_follow_up_at"] = entries[-1].at if entries else None
        values["satisfied"] = entries[-1].satisfied if entries else None
        return record_id, values

    return coerce_one


def coerce(schema: Mapping[str, ir.FieldDecl], raw: Any,
           timeline: Timeline | None = None) -> tuple[str | None, dict[str, Any]]:  # fmt: skip
    """Typed values of a raw record (dict, JSON text/bytes, pydantic model or dataclass) for a schema.

    Strings become the declared types, defaults fill missing fields, unknown keys are dropped, and the
    derived fields are computed. Raises :class:`RecordError` naming every bad field at once.
    """
    return make_coercer(schema, timeline)(raw)
