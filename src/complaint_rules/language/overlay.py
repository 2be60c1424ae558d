"""Branch overlays: merge a policy that ``extends`` another into one resolved policy."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Sequence

from .. import ir
from ..errors import Diagnostic, Diagnostics
from ..span import locate

RULE_BLOCKS = ("deadlines", "escalate", "obligations")


def merge(base: ir.Policy, overlay: ir.Policy, diagnostics: Diagnostics) -> ir.Policy:
    """Apply ``overlay`` to a resolved ``base``: same ids replace, new ids are added, ``drop`` removes."""
    dropped = {d.id: d for d in overlay.drops}
    known = {r.id for r in (*ir.all_rules(base), *base.invariants)}
    for name, d in dropped.items():
        if name not in known:
            diagnostics.add("name", f"cannot drop '{name}': the base policy has no rule with that id", d.span)
    drop_ids = set(dropped)

    def rules(old: Sequence, new: Sequence) -> tuple:
        return _merge_rules(old, new, drop_ids, diagnostics)

    header = _merge_header(base.header, overlay.header)
    record = _merge_keyed(base.record, overlay.record, lambda f: f.name)
    units = _merge_keyed(base.units, overlay.units, lambda n: n.id)
    levels = _merge_keyed(base.levels, overlay.levels, lambda n: n.id)

    classify = base.classify
    if overlay.classify is not None:
        old = base.classify or ir.Classify(overlay.classify.hit)
        classify = dataclasses.replace(
            old,
            hit=overlay.classify.hit,
            rules=rules(old.rules, overlay.classify.rules),
            otherwise=overlay.classify.otherwise if overlay.classify.otherwise is not None else old.otherwise,
        )
    elif classify is not None:
        classify = dataclasses.replace(classify, rules=rules(classify.rules, ()))

    route = base.route
    if overlay.route is not None:
        old = base.route or ir.Route(overlay.route.hit)
        route = dataclasses.replace(
            old,
            hit=overlay.route.hit,
            rules=rules(old.rules, overlay.route.rules),
            otherwise=overlay.route.otherwise if overlay.route.otherwise is not None else old.otherwise,
        )
    elif route is not None:
        route = dataclasses.replace(route, rules=rules(route.rules, ()))

    compensate = base.compensate
    if overlay.compensate is not None or compensate is not None:
        old = base.compensate or ir.Compensate()
        new = overlay.compensate or ir.Compensate()
        compensate = dataclasses.replace(
            old,
            amount=new.amount if new.amount is not None else old.amount,
            options=_merge_keyed(old.options, new.options, lambda n: n.id),
            authority=_merge_keyed(old.authority, new.authority, lambda a: a.role),
            tiers=_merge_keyed(old.tiers, new.tiers, lambda t: t.level),
            rules=rules(old.rules, new.rules),
        )

    follow_up = base.follow_up
    if overlay.follow_up is not None or follow_up is not None:
        old = base.follow_up or ir.FollowUp()
        new = overlay.follow_up or ir.FollowUp()
        otherwise = new.otherwise if new.otherwise is not None else old.otherwise
        follow_up = dataclasses.replace(
            old,
            rules=rules(old.rules, new.rules),
            otherwise=otherwise,
            until_satisfied=new.until_satisfied if new.until_satisfied is not None else old.until_satisfied,
        )

    return dataclasses.replace(
        base,
        header=header,
        extends=None,
        drops=(),
        record=record,
        units=units,
        levels=levels,
        classify=classify,
        route=route,
        deadlines=rules(base.deadlines, overlay.deadlines),
        escalate=rules(base.escalate, overlay.escalate),
        compensate=compensate,
        follow_up=follow_up,
        obligations=rules(base.obligations, overlay.obligations),
        invariants=rules(base.invariants, overlay.invariants),
        tests=overlay.tests,
        span=overlay.span,
        comments=overlay.comments,
    )


def near_misses(base: ir.Policy, overlay: ir.Policy) -> list[Diagnostic]:
    """Warnings for overlay rules that add a new rule whose id is close to a base rule's id: most likely a
    misspelt override (``defect_contct`` for ``defect_contact``), which would leave the base rule in force."""
    base_ids = [r.id for r in ir.all_rules(base)]
    known = set(base_ids)
    found = []
    for rule in ir.all_rules(overlay):
        if rule.id in known:
            continue
        close = difflib.get_close_matches(rule.id, base_ids, n=1, cutoff=0.85)
        if close:
            found.append(Diagnostic(
                "name", f"warning: rule '{rule.id}' is a new rule, not an override: the base policy has no rule "
                f"'{rule.id}' (did you mean '{close[0]}'? as written, '{close[0]}' stays in force)",
                locate(rule.span, rule.id) if rule.span is not None else overlay.span,
            ))  # fmt: skip
    return found


def _merge_header(base: ir.Header, new: ir.Header) -> ir.Header:
    changes = {}
    for f in dataclasses.fields(ir.Header):
        if f.name in ("span", "comments"):
            continue
        value = getattr(new, f.name)
        if f.name in ("holidays", "workdays"):
            value = tuple(dict.fromkeys(getattr(base, f.name) + value))
        elif value is None or (f.name == "calendar_sources" and not value):
            continue  # an overlay without a data file of its own keeps its base's
        changes[f.name] = value
    return dataclasses.replace(base, span=new.span, comments=new.comments, **changes)


def _merge_keyed(old: Sequence, new: Sequence, key: Callable) -> tuple:
    """Items of ``new`` replace those of ``old`` with the same key in place; others are appended."""
    replacements = {key(item): item for item in new}
    merged = [replacements.pop(key(item), item) for item in old]
    merged.extend(item for item in new if key(item) in replacements)
    return tuple(merged)


def _merge_rules(old: Sequence, new: Sequence, drop_ids: set[str], diagnostics: Diagnostics) -> tuple:
    """Replace rules by id in place, place new ones by their ``position`` (else at the end), drop ``drop_ids``."""
    replacements = {r.id: r for r in new}
    merged = [_unplaced(replacements.pop(r.id, r)) for r in old if r.id not in drop_ids]
    for rule in new:
        if rule.id not in replacements:
            continue
        position = rule.position
        rule = _unplaced(rule)
        if position is None:
            merged.append(rule)
            continue
        index = next((i for i, r in enumerate(merged) if r.id == position.anchor), None)
        if index is None:
            diagnostics.add(
                "name", f"cannot place rule '{rule.id}' {position.relation} '{position.anchor}': no such rule in this block",
                position.span or rule.span,
            )
            merged.append(rule)
            continue
        merged.insert(index if position.relation == "before" else index + 1, rule)
    return tuple(merged)


def _unplaced(rule):
    return dataclasses.replace(rule, position=None) if getattr(rule, "position", None) is not None else rule
