# pyright: strict
"""A host application using the whole documented API, as a type checker sees it.

tests/test_typing.py runs ``mypy --strict`` and ``pyright`` (strict) on this file and requires 0 errors:
every name below must have a precise type (no ``Any`` leaking out of the library, no missing attribute).
The file is type-checked, never run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import complaint_rules
from complaint_rules import (
    Calendar,
    ComplaintRulesError,
    Decision,
    EvaluationError,
    Policy,
    PolicyError,
    PolicyStore,
    Problem,
    RecordError,
    Refresh,
)
from complaint_rules.compare.report import PolicyDiff
from complaint_rules.engine.compiler import CompiledPolicy
from complaint_rules.engine.decision import Deadline, Escalation, FollowUpPlan, Obligation, Remedy, TraceEntry
from complaint_rules.engine.followup import FollowUpReport
from complaint_rules.host import bundled_path
from complaint_rules.testing import assert_decision_properties, check_policy_properties
from complaint_rules.testing.runner import TestResult, run_tests


def loading(path: str | os.PathLike[str]) -> Policy:
    policy: Policy = complaint_rules.load(path, calendar_data=None, root=None)
    again: Policy = complaint_rules.load(Path("policies/retail/mall.policy"))
    text: Policy = complaint_rules.loads(again.to_yaml(), format="yaml", name="mall.yaml")
    yml: Policy = complaint_rules.loads(again.to_yaml(), format="yml")
    dsl: Policy = complaint_rules.loads(again.to_dsl())
    assert text == yml == dsl
    shipped: Policy = complaint_rules.bundled("svw-dealer")
    names: tuple[str, ...] = complaint_rules.bundled_names()
    where: Path = bundled_path(names[0])
    assert shipped.path is None or where.exists()
    return policy


def identity(policy: Policy) -> tuple[str, str | None, str, str | None]:
    ident: str = policy.id
    version: str | None = policy.version
    fingerprint: str = policy.fingerprint
    path: str | None = policy.path
    source: complaint_rules.ir.Policy = policy.source
    resolved: complaint_rules.ir.Policy = policy.ir
    assert source.header.id == resolved.header.id
    printed: tuple[str, str, str] = (policy.to_dsl(), policy.to_yaml(), policy.resolved_dsl())
    assert all(printed)
    return ident, version, fingerprint, path


def deciding(policy: Policy) -> Decision:
    record: dict[str, Any] = {"id": "C-1", "received_at": "2026-09-30T17:00+08:00"}
    now = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    decision: Decision = policy.evaluate(record, now, strict=False)
    naive: Decision = policy.evaluate({"id": "C-2", "received_at": dt.datetime(2026, 9, 30, 17)},
                                      assume_timezone="Asia/Shanghai")  # fmt: skip
    oracle: Decision = policy.interpret(record, now=now, strict=True, assume_timezone=dt.timezone.utc)
    assert decision == oracle or naive
    level: str | None = decision.level
    label: str | None = decision.level_label
    routes: tuple[str, ...] = decision.routes
    owner: str | None = decision.owner
    due: dt.datetime | None = decision.deadline("first_contact")
    deadlines: tuple[Deadline, ...] = decision.deadlines
    escalations: tuple[Escalation, ...] = decision.escalations
    due_now: tuple[Escalation, ...] = decision.due_escalations()
    remedy: Remedy | None = decision.remedy
    follow_up: FollowUpPlan = decision.follow_up
    obligations: tuple[Obligation, ...] = decision.obligations
    trace: tuple[TraceEntry, ...] = decision.trace
    problems: tuple[Problem, ...] = decision.problems
    incomplete: bool = decision.incomplete
    rule_ids: tuple[str, ...] = decision.rule_ids
    matched: bool = decision.matched("engine_gearbox")
    fingerprint: str | None = decision.fingerprint
    version: str | None = decision.policy_version
    first: str = deadlines[0].clock
    located: str | None = trace[0].location
    as_json: str = decision.to_json(indent=2)
    back: Decision = Decision.from_json(as_json)
    also: Decision = Decision.model_validate_json(decision.model_dump_json())
    assert back == also
    print(level, label, routes, owner, due, escalations, due_now, remedy, follow_up, obligations, problems,
          incomplete, rule_ids, matched, fingerprint, version, first, located)  # fmt: skip
    return decision


def bulk(policy: Policy) -> dict[str, Any]:
    program: CompiledPolicy = policy.compiled
    record_id, values = program.coerce({"id": "C-1", "received_at": "2026-09-30T17:00+08:00"})
    rid: str | None = record_id
    typed: dict[str, Any] = values
    zoned: Callable[[Any], tuple[str | None, dict[str, Any]]] = program.coercer("Asia/Shanghai")
    decided: Decision = program.decide(typed, rid, None, strict=False)
    plain: dict[str, Any] = program.outcome(typed, rid)
    assert Decision.model_validate(plain) == decided and callable(zoned)
    source: str = program.source
    line_map: dict[int, str] = program.line_map
    fingerprint: str = program.fingerprint
    print(source, line_map, fingerprint)
    return plain


def follow_ups(policy: Policy) -> FollowUpReport:
    report: FollowUpReport = policy.follow_up_report([{"id": "F-1", "received_at": "2026-11-02T09:00+08:00"}])
    return report


def calendars() -> dt.datetime:
    cn: Calendar = complaint_rules.calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai")
    start = dt.datetime.fromisoformat("2026-10-09T10:00+08:00")
    later: dt.datetime = cn.add(start, "1 working day")
    earlier: dt.datetime = cn.subtract(start, "2 hours")
    working: bool = cn.is_working_day(dt.date(2026, 10, 10))
    covered: bool = cn.covers(2027)
    shift: Callable[[dt.datetime], dt.datetime] = cn.shifter("1 working day")
    print(earlier, working, covered)
    return shift(later)


def comparing(old: Policy, new: Policy) -> PolicyDiff:
    d: PolicyDiff = complaint_rules.diff(old, new)
    by_path: PolicyDiff = complaint_rules.diff("policies/automotive/svw-dealer.policy",
                                               "policies/automotive/svw-dealer-shenzhen.policy")  # fmt: skip
    empty: bool = d.empty
    text: str = by_path.render("markdown")
    print(empty, text)
    return d


def failing() -> str:
    try:
        complaint_rules.loads('policy "p" {\n  versio "1"\n}\n', name="p.policy")
    except PolicyError as exc:
        file: str | None = exc.file
        line: int | None = exc.line
        column: int | None = exc.column
        message: str = exc.message
        return f"{file}:{line}:{column}: {message}\n{exc.render()}"
    except ComplaintRulesError:
        raise
    try:
        complaint_rules.bundled("mall").evaluate({"id": "C-2"})
    except RecordError as exc:
        fields: tuple[str, ...] = exc.fields
        record_id: str | None = exc.record_id
        return f"{record_id}: {fields}"
    except EvaluationError as exc:
        return str(exc)
    return ""


def hosting(directory: Path) -> Decision:
    store = PolicyStore(directory, calendar_data=None)
    report: Refresh = store.refresh()
    failed: Mapping[str, PolicyError] = report.failed
    loaded: tuple[str, ...] = report.loaded
    errors: Mapping[str, PolicyError] = store.errors
    policy: Policy = store["mall"]
    ids: list[str] = sorted(store)
    print(failed, loaded, errors, policy, ids, len(store), "mall" in store)
    return store.evaluate("mall", {"id": "M-1", "received_at": "2026-11-02T10:00+08:00"},
                          assume_timezone="Asia/Shanghai")  # fmt: skip


def testing(policy: Policy) -> None:
    check_policy_properties(policy, max_examples=10)
    record = {"id": "x1", "received_at": "2026-12-01T10:00+08:00", "claimed_amount": Decimal(6000)}
    assert_decision_properties(policy, record, policy.evaluate(record))
    results: list[TestResult] = run_tests(policy)
    print([r.passed for r in results])
