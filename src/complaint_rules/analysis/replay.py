"""Re-running counterexamples through ``Policy.evaluate``: a finding stands only if the evaluator shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..errors import ComplaintRulesError
from .report import Finding, ProofReport


def reproduces(policy: Any, finding: Finding) -> tuple[bool, str]:
    """(True, "") when evaluating the finding's record shows the finding; else (False, why not)."""
    if finding.record is None:
        return True, ""
    try:
        decision = policy.evaluate(finding.record)
    except ComplaintRulesError as exc:
        return False, f"evaluate rejected the counterexample: {exc}"
    problem = decision.problem(finding.rule) if finding.rule else None
    if problem is not None:  # the time the finding is about could not be placed: say so, do not guess
        return False, f"evaluate could not decide it: {problem.message}"
    if finding.block == "invariants":  # declared invariants: some need a second record
        from .declared import reproduces as declared

        try:
            ok = declared(policy, finding, decision)
        except ComplaintRulesError as exc:
            return False, f"evaluate rejected the second record: {exc}"
        return (True, "") if ok else (False, f"evaluate does not show invariant {finding.rule!r} broken")
    check = _CHECKS.get(finding.kind)
    if check is None:
        return True, ""
    ok = check(policy.ir, finding, decision)
    return (True, "") if ok else (False, f"evaluate gave level={decision.level!r}, routes={list(decision.routes)}")


def _deciding(decision, block: str) -> list[str]:
    return [t.rule for t in decision.trace if t.block == block]


def _unreachable(ir_policy, finding: Finding, decision) -> bool:
    fired = _deciding(decision, finding.block)
    if finding.block == "classify" and ir_policy.classify.hit == "highest":
        rule = next(r for r in ir_policy.classify.rules if r.id == finding.rule)
        return decision.level != rule.level or bool(set(fired) & set(finding.details.get("by", [])))
    if finding.block == "deadlines":
        clock = next(r.clock for r in ir_policy.deadlines if r.id == finding.rule)
        return any(d.clock == clock and d.rule != finding.rule for d in decision.deadlines)
    if finding.block == "follow_up":
        return decision.follow_up.rule not in (None, finding.rule)
    # first-hit blocks: some earlier rule decided, and this one did not
    return bool(fired) and fired[0] != finding.rule


def _timing(ir_policy, finding: Finding, decision) -> bool:
    start = dt.datetime.fromisoformat(finding.details["start"])
    due = None
    if finding.block == "deadlines":
        due = next((d.due_at for d in decision.deadlines if d.rule == finding.rule), None)
    elif finding.block == "escalate":
        e = decision.escalation(finding.rule)
        due = e.due_at if e else None
    elif finding.block == "obligations":
        o = decision.obligation(finding.rule)
        due = o.due_at if o else None
    elif finding.block == "follow_up":
        due = decision.follow_up.due_at if decision.follow_up.rule == finding.rule else None
    return due is not None and due < start


def _cap(ir_policy, finding: Finding, decision) -> bool:
    lower, higher = finding.details["levels"]
    caps = {t.level: t.cap.amount for t in ir_policy.compensate.tiers}
    return decision.level == higher and decision.remedy is not None and decision.remedy.cap is not None and \
        decision.remedy.cap.amount < caps[lower]  # fmt: skip


def _deadline_order(ir_policy, finding: Finding, decision) -> bool:
    higher = finding.details["levels"][1]
    return decision.level == higher and any(d.rule == finding.rule for d in decision.deadlines)


_CHECKS = {
    "gap.level": lambda p, f, d: d.level is None,
    "gap.route": lambda p, f, d: not d.routes,
    "gap.tier": lambda p, f, d: d.level == f.details["level"] and (d.remedy is None or d.remedy.tier is None),
    "invariant.options": lambda p, f, d: d.remedy is not None and not d.remedy.options,
    "gap.follow_up": lambda p, f, d: d.follow_up.status == "none",
    "unreachable": _unreachable,
    "timing.before_start": _timing,
    "invariant.cap": _cap,
    "invariant.deadline": _deadline_order,
}


def replay(policy: Any, report: ProofReport) -> ProofReport:
    """Evaluate every counterexample of a report; one that does not reproduce leaves the policy unproven."""
    for finding in report.findings:
        ok, why = reproduces(policy, finding)
        finding.details["reproduced"] = ok
        if not ok:
            report.uncovered.append(f"counterexample of {finding.kind} ({finding.rule or finding.block}) "
                                    f"does not reproduce under evaluate: {why}")  # fmt: skip
    return report
