"""What ``prove`` reports: the kinds of finding, one finding with its counterexample, and the report."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..span import Span
from .witness import jsonable

FINDING_KINDS = (
    "gap.level",  # a record that classify gives no level (no otherwise)
    "gap.route",  # a record that route sends nowhere
    "gap.tier",  # a reachable level without a remedy tier (when a compensate block exists)
    "gap.follow_up",  # a record without a follow-up decision
    "unreachable",  # a rule that never decides: shadowed (first) or always overridden (highest)
    "never",  # a rule whose condition no record satisfies
    "timing.before_start",  # a due time that can fall before the time it is measured from
    "invariant.cap",  # a more severe level with a smaller remedy cap
    "invariant.deadline",  # a more severe level with a later deadline
    "invariant.options",  # a record for which every remedy option is excluded
    "invariant.route",  # a declared `always|never route UNIT` broken by a record
    "invariant.option",  # a declared `always|never option OPTION` broken by a record
    "invariant.follow_up",  # a declared `always follow_up` broken by a record
)


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem, with the rule it is about and a record that shows it (None when no record can)."""

    kind: str
    message: str
    block: str
    rule: str | None = None
    record: dict[str, Any] | None = None
    span: Span | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def render(self) -> str:
        head = f"{self.kind}: {self.message}"
        text = self.span.render(head) if self.span is not None else f"<policy>: {head}"
        if self.record is not None:
            text += "\n    counterexample: " + json.dumps(jsonable(self.record), ensure_ascii=False, sort_keys=True)
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "block": self.block,
            "rule": self.rule,
            "location": self.span.location() if self.span is not None else None,
            "counterexample": jsonable(self.record) if self.record is not None else None,
            "details": {k: jsonable(v) if isinstance(v, dict) else v for k, v in self.details.items()},
        }


@dataclasses.dataclass
class ProofReport:
    """What ``prove`` found: ``proven`` only when there are no findings and nothing was left uncovered."""

    policy: str
    findings: list[Finding] = dataclasses.field(default_factory=list)
    uncovered: list[str] = dataclasses.field(default_factory=list)
    checked: list[str] = dataclasses.field(default_factory=list)

    @property
    def proven(self) -> bool:
        return not self.findings and not self.uncovered

    def kinds(self) -> list[str]:
        return [f.kind for f in self.findings]

    def render(self) -> str:
        lines = [f.render() for f in self.findings]
        for note in self.uncovered:
            lines.append(f"{self.policy}: not covered: {note}")
        if self.proven:
            lines.append(f"{self.policy}: proven ({'; '.join(self.checked)})")
        else:
            lines.append(f"{self.policy}: {len(self.findings)} finding(s), {len(self.uncovered)} construct(s) not covered")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "proven": self.proven,
            "findings": [f.to_dict() for f in self.findings],
            "uncovered": list(self.uncovered),
            "checked": list(self.checked),
        }
