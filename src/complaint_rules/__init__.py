"""complaint-rules: complaint-handling procedures as policies that software can run, check, prove and diff."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The factory shadows the submodule of the same name on purpose: `complaint_rules.calendar("CN", ...)`.
from .calendars import Calendar, calendar
from .errors import (
    CalendarError,
    ComplaintRulesError,
    EvaluationError,
    PolicyError,
    PolicyNameError,
    PolicyStructureError,
    PolicySyntaxError,
    PolicyTypeError,
    RecordError,
)
from .host import PolicyStore, Refresh, bundled, bundled_names
from .policy import Policy, load, loads
from .versions import PolicySet, load_set

if TYPE_CHECKING:  # loaded on first use (below); named here so type checkers see the real types
    from .compare import diff
    from .engine.decision import Decision, Problem

__version__ = "0.1.0"

__all__ = [
    "Calendar",
    "CalendarError",
    "ComplaintRulesError",
    "Decision",
    "EvaluationError",
    "Policy",
    "PolicyError",
    "PolicyNameError",
    "PolicySet",
    "PolicyStructureError",
    "PolicyStore",
    "PolicySyntaxError",
    "PolicyTypeError",
    "Problem",
    "RecordError",
    "Refresh",
    "__version__",
    "bundled",
    "bundled_names",
    "calendar",
    "diff",
    "load",
    "load_set",
    "loads",
]


def __getattr__(name: str) -> Any:
    # Heavier parts load on first use, so `import complaint_rules` stays fast.
    if name == "diff":
        from .compare import diff

        return diff
    if name in ("Decision", "Problem"):
        from .engine import decision

        return getattr(decision, name)
    raise AttributeError(f"module 'complaint_rules' has no attribute {name!r}")
