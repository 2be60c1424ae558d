"""Evaluate each semantic witness under both policies: the record must show the change it stands for.

A witness is verified when OLD gives it the old outcome, NEW the new one, and the two differ in what the
diff compares (a due time, not only the rule that set it). A due time in days, months, working days or
business hours can differ on some dates only (across a daylight-saving change, a holiday, a weekend),
and a sampled follow-up on some record ids only: when the witness is decided alike, the same record with
its datetimes moved to such dates (or with other ids) is tried, and the first that shows the change
replaces it. If none does, the region stands unverified and a note says so: it then stems from an
approximation (an opaque condition, dates or ids no candidate hit).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from ..errors import ComplaintRulesError
from .durations import offset_changes, zone
from .impact import authority_text, field_of, keys, label, show_value
from .semantic import SemanticChange

MAX_TRIES = 200  # moved witnesses tried per region decided alike
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def agrees(output: str, text: str, rules: list[str], decision: Any) -> bool:
    """Whether ``decision`` has the outcome ``text`` (as the semantic layer wrote it) for ``output``."""
    none = text == "none"
    if output == "level":
        return field_of(decision, "level") == (None if none else text.split(" ", 1)[0])
    routes = list(field_of(decision, "routes") or ())
    if output == "routes":
        return set(routes) == (set() if none else set(text.split(", ")))
    if output.startswith("routes["):
        unit = output[len("routes[") : -1]
        return (unit in routes) == text.startswith("routed")
    if output == "owner":
        return field_of(decision, "owner") == (None if none else text)
    if output.startswith("deadline "):
        clock = output.split(" ", 1)[1]
        found = next((d for d in field_of(decision, "deadlines") or () if field_of(d, "clock") == clock), None)
        if none:
            return found is None or field_of(found, "due_at") is None
        return found is not None and field_of(found, "due_at") is not None and field_of(found, "rule") in rules
    if output.startswith(("escalation ", "obligation ")):
        kind, rule = output.split(" ", 1)
        items = field_of(decision, "escalations" if kind == "escalation" else "obligations") or ()
        present = any(field_of(i, "rule") == rule and field_of(i, "status") != "inactive" for i in items)
        return present != none
    remedy = field_of(decision, "remedy")
    if output == "remedy tier":
        tier = field_of(remedy, "tier") if remedy is not None else None
        if none:
            return tier is None
        level, rest = text.split(": ", 1)
        return tier == level and rest.endswith(f" by {field_of(remedy, 'approver')}")
    if output == "remedy authority":
        if remedy is None or field_of(remedy, "amount") is None:
            return text in ("none", "no amount claimed")
        return text == authority_text(
            *(
                field_of(remedy, k)
                for k in ("within_cap", "within_authority", "required_approver", "beyond_authority")
            )
        )
    if output == "remedy options":
        options = tuple(field_of(remedy, "options") or ()) if remedy is not None else ()
        return "[" + ", ".join(options) + "]" == text
    if output == "follow_up":
        follow = field_of(decision, "follow_up")
        if text.startswith("exempt"):
            return field_of(follow, "status") == "exempt"
        if none:
            return follow is None or field_of(follow, "status") in (None, "none")
        return field_of(follow, "rule") in rules
    raise ValueError(f"unknown output {output!r}")


def observed(output: str, decision: Any) -> str:
    """What a decision says for one output, as a short text for reports (with its due time, if any)."""
    if output.startswith("routes["):
        unit = output[len("routes[") : -1]
        return "routed" if unit in (field_of(decision, "routes") or ()) else "not routed"
    text = label(decision, output)
    key = keys(decision).get(output)
    if output.startswith("deadline "):
        return f"{show_value(key)} ({text})"
    if output.startswith(("escalation ", "obligation ", "follow_up")) and key and key[-1] is not None:
        return f"{text}, due {show_value(key[-1])}"
    return text


def differs(output: str, old: Any, new: Any) -> bool:
    """Whether two decisions differ in ``output`` as the diff compares it."""
    if output.startswith("routes["):
        unit = output[len("routes[") : -1]
        return (unit in (field_of(old, "routes") or ())) != (unit in (field_of(new, "routes") or ()))
    return keys(old).get(output) != keys(new).get(output)


def verify_witnesses(
    old: Any, new: Any, changes: list[SemanticChange], now: dt.datetime | None = None
) -> list[str]:
    """Evaluate every witness under ``old`` and ``new`` (loaded Policies); fill in what each gave."""
    notes: list[str] = []
    for change in changes:
        if change.witness is None:
            continue
        try:
            a = old.evaluate(change.witness, now=now)
            b = new.evaluate(change.witness, now=now)
        except ImportError:  # no evaluator in this installation: the regions stand unverified
            return ["witnesses were not evaluated (the evaluator is not available)"]
        except Exception as exc:  # noqa: BLE001 - a witness the evaluator rejects is reported, not fatal
            change.verified = False
            notes.append(f"{change.output}: witness could not be evaluated: {exc}")
            continue
        change.observed_old = observed(change.output, a)
        change.observed_new = observed(change.output, b)
        change.verified = agrees(change.output, change.old, change.old_rules, a) and agrees(
            change.output, change.new, change.new_rules, b
        )
        if change.verified and not differs(change.output, a, b):
            moved = _moved_witness(old, new, change, now)
            if moved is not None:
                change.witness, a, b = moved
                change.observed_old = observed(change.output, a)
                change.observed_new = observed(change.output, b)
                continue
            change.verified = False
            notes.append(
                f"{change.output}: the witness of '{change.condition}' is decided alike under both "
                f"({change.observed_old}); the region stands unverified"
            )
        elif not change.verified:
            notes.append(
                f"{change.output}: the witness of '{change.condition}' did not reproduce "
                f"{change.old} -> {change.new} (got {change.observed_old} -> {change.observed_new})"
            )
    return notes


def _moved_witness(old: Any, new: Any, change: SemanticChange, now: dt.datetime | None):
    """The witness moved so that it shows the change, with both decisions; or None.

    Moved in time (its datetimes shifted together, see :func:`_starts`), or for a follow-up sampled by
    record id, renamed (``witness-1-2``...): which records a sample draws depends on the id.
    """
    record = change.witness or {}
    found = sorted(_datetimes(record))
    candidates: list[dict[str, Any]] = []
    if change.output == "follow_up" and isinstance(record.get("id"), str):
        candidates += [{**record, "id": f"{record['id']}-{n}"} for n in range(1, 65)]
    if found:
        base = found[0]
        candidates += [_shift(record, start - base) for start in _starts(old, new, base)]
    for moved in candidates:
        try:
            a, b = old.evaluate(moved, now=now), new.evaluate(moved, now=now)
        except (ComplaintRulesError, ValueError, OverflowError):  # e.g. out of the calendar's years
            continue
        if (
            agrees(change.output, change.old, change.old_rules, a)
            and agrees(change.output, change.new, change.new_rules, b)
            and differs(change.output, a, b)
        ):
            return moved, a, b
    return None


def _starts(old: Any, new: Any, base: dt.datetime) -> Iterator[dt.datetime]:
    """Up to :data:`MAX_TRIES` instants to move the witness to, where wall-clock units tend to differ."""
    from zoneinfo import ZoneInfo

    headers = [p.ir.header for p in (old, new) if getattr(p, "ir", None) is not None]
    zones = list(dict.fromkeys(zone(h) for h in headers)) or ["UTC"]
    starts: list[dt.datetime] = []
    # Before each UTC offset change of either zone, those after the witness first, then the closest
    # before it (a calendar's data may end soon after): a day is not 24 hours there.
    for name in zones:
        changes = offset_changes(name, base.year - 1, 4)
        later = [c for c in changes if c > base]
        earlier = sorted((c for c in changes if c <= base), reverse=True)
        for change in later[:3] + earlier[:3]:
            starts += [change - dt.timedelta(hours=h) for h in (1, 12, 24, 72, 168, 336, 720, 1440)]
    try:
        tz = ZoneInfo(zones[-1])
    except (KeyError, ValueError, TypeError, OSError):
        tz = dt.timezone.utc
    # Before the days that one side's working calendar counts and the other's does not, and on the days
    # and hours of the next two weeks: working days and business hours differ on some of them only.
    local = base.astimezone(tz)
    for day in _calendar_differences(headers, local.date()):
        for back in (1, 3):
            for clock in (dt.time(10), dt.time(17, 45)):
                starts.append(dt.datetime.combine(day - dt.timedelta(days=back), clock, tz))
    for n in range(14):
        for clock in (dt.time(8), dt.time(12, 30), dt.time(17, 45), dt.time(21)):
            starts.append(dt.datetime.combine(local.date() + dt.timedelta(days=n), clock, tz))
    return iter(starts[:MAX_TRIES])


def _calendar_differences(headers: list, first: dt.date, limit: int = 12) -> list[dt.date]:
    """Up to ``limit`` days within two years of ``first``, the later ones first, that one side's calendar
    works and the other's does not (holidays, make-up workdays), as the evaluator builds the calendars."""
    from ..calendars import calendar

    if len(headers) != 2:
        return []
    a, b = headers
    if (a.calendar, a.holidays, a.workdays, a.calendar_sources) == (b.calendar, b.holidays, b.workdays,
                                                                    b.calendar_sources):
        return []
    try:
        cals = [
            calendar(h.calendar or "NONE", hours=h.hours, timezone=h.timezone or "UTC",
                     holidays=h.holidays, workdays=h.workdays, data=h.calendar_sources)
            for h in headers
        ]  # fmt: skip
    except ComplaintRulesError:
        return []
    out: list[dt.date] = []
    for step in (1, -1):  # after the witness's date, then before it
        for n in range(731):
            day = first + dt.timedelta(days=step * n if step > 0 else -1 - n)
            try:
                if cals[0].is_working_day(day) != cals[1].is_working_day(day):
                    out.append(day)
            except (ComplaintRulesError, ValueError, OverflowError):  # beyond a calendar's data
                break
            if len(out) >= limit:
                return out
    return out


def _datetimes(value: Any) -> Iterator[dt.datetime]:
    if isinstance(value, str) and _ISO.match(value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return
        if parsed.tzinfo is not None:
            yield parsed
    elif isinstance(value, dict):
        for v in value.values():
            yield from _datetimes(v)
    elif isinstance(value, list):
        for v in value:
            yield from _datetimes(v)


def _shift(value: Any, delta: dt.timedelta) -> Any:
    """``value`` with every aware ISO datetime in it moved by ``delta`` (keeping its UTC offset)."""
    if isinstance(value, str) and _ISO.match(value):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return (parsed + delta).isoformat() if parsed.tzinfo is not None else value
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    return value
