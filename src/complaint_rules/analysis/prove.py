"""``prove``: gaps, unreachable rules and impossible conditions, each with a concrete counterexample.

The orchestrator: builds one :class:`.prover.Prover` and runs the checks of :data:`CHECKS` in order (each a
function ``check(prover, report)`` in its own module, as sqlglot lists its optimizer passes), then the
built-in invariants when asked.
"""

from __future__ import annotations

from typing import Any

from .. import ir
from . import checks, declared, timing
from .invariants import INVARIANTS
from .prover import Prover
from .report import ProofReport
from .witness import NoWitness

__all__ = ["CHECKS", "prove"]

CHECKS = (*checks.CHECKS, timing.check_timings, declared.check_declared)  # always run, in this order


def prove(policy: Any, *, invariants: bool = False, schema: dict[str, ir.FieldDecl] | None = None) -> ProofReport:
    """Check a policy (an ``ir.Policy`` or a loaded ``Policy``): every finding comes with a counterexample.

    The invariants the policy declares are always checked; ``invariants=True`` adds the built-in ones.
    """
    policy = getattr(policy, "ir", policy)
    report = ProofReport(policy.header.id)
    prover = Prover(policy, schema)
    for check in (*CHECKS, *(INVARIANTS if invariants else ())):
        try:
            check(prover, report)
        except NoWitness as exc:  # a point the abstraction thought feasible has no record: say so, do not crash
            report.uncovered.append(f"{check.__name__.lstrip('_').replace('_', ' ')}: no counterexample record: {exc}")
    report.uncovered[:0] = prover.uncovered
    report.uncovered = list(dict.fromkeys(report.uncovered))
    return report
