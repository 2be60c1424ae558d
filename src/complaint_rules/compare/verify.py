"""Evaluate each semantic witness under both policies: the record must show the change it stands for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .impact import _get, _show, authority_text, keys, label
from .semantic import SemanticChange


def agrees(output: str, text: str, rules: list[str], decision: Any) -> bool:
    """Whether ``decision`` has the outcome ``text`` (as the semantic layer wrote it) for ``output``."""
    none = text == "none"
    if output == "level":
        return _get(decision, "level") == (None if none else text.split(" ", 1)[0])
    routes = list(_get(decision, "routes") or ())
    if output == "routes":
        return set(routes) == (set() if none else set(text.split(", ")))
    if output.startswith("routes["):
        unit = output[len("routes[") : -1]
        return (unit in routes) == text.startswith("routed")
    if output == "owner":
        return _get(decision, "owner") == (None if none else text)
    if output.startswith("deadline "):
        clock = output.split(" ", 1)[1]
        found = next((d for d in _get(decision, "deadlines") or () if _get(d, "clock") == clock), None)
        if none:
            return found is None or _get(found, "due_at") is None
        return found is not None and _get(found, "due_at") is not None and _get(found, "rule") in rules
    if output.startswith(("escalation ", "obligation ")):
        kind, rule = output.split(" ", 1)
        items = _get(decision, "escalations" if kind == "escalation" else "obligations") or ()
        present = any(_get(i, "rule") == rule and _get(i, "status") != "inactive" for i in items)
        return present != none
    remedy = _get(decision, "remedy")
    if output == "remedy tier":
        tier = _get(remedy, "tier") if remedy is not None else None
        if none:
            return tier is None
        level, rest = text.split(": ", 1)
        return tier == level and rest.endswith(f" by {_get(remedy, 'approver')}")
    if output == "remedy authority":
        if remedy is None or _get(remedy, "amount") is None:
            return text in ("none", "no amount claimed")
        return text == authority_text(
            *(
                _get(remedy, k)
                for k in ("within_cap", "within_authority", "required_approver", "beyond_authority")
            )
        )
    if output == "remedy options":
        options = tuple(_get(remedy, "options") or ()) if remedy is not None else ()
        return "[" + ", ".join(options) + "]" == text
    if output == "follow_up":
        follow = _get(decision, "follow_up")
        if text.startswith("exempt"):
            return _get(follow, "status") == "exempt"
        if none:
            return follow is None or _get(follow, "status") in (None, "none")
        return _get(follow, "rule") in rules
    raise ValueError(f"unknown output {output!r}")


def observed(output: str, decision: Any) -> str:
    """What a decision says for one output, as a short text for reports."""
    if output.startswith("routes["):
        unit = output[len("routes[") : -1]
        return "routed" if unit in (_get(decision, "routes") or ()) else "not routed"
    text = label(decision, output)
    if output.startswith("deadline "):
        due = keys(decision).get(output)
        return f"{_show(due)} ({text})"
    return text


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
        if not change.verified:
            notes.append(
                f"{change.output}: the witness of '{change.condition}' did not reproduce "
                f"{change.old} -> {change.new} (got {change.observed_old} -> {change.observed_new})"
            )
    return notes
