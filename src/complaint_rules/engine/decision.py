"""The decision a policy makes for one complaint record: what a host application acts on, stores and audits."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from .. import ir
from ..errors import EvaluationError

__all__ = [
    "Amount",
    "Deadline",
    "Decision",
    "Escalation",
    "FollowUpPlan",
    "Obligation",
    "PolicyMeta",
    "Problem",
    "Remedy",
    "TraceEntry",
    "trusted",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

EscalationStatus = Literal["pending", "due", "inactive"]
ProblemPart = Literal["deadline", "escalation", "follow_up", "obligation"]
FollowUpStatus = Literal["required", "exempt", "not_sampled", "none"]


def trusted(cls):
    """A constructor for a frozen model from values already of the right types (the evaluator's fast path).

    Skips re-validation, about 10x cheaper; the oracle test and the JSON round trip keep it honest. The
    slots are set through BaseModel's own descriptors (:data:`SLOT_SETTERS`): what ``object.__setattr__``
    ends up calling, without looking the attribute up by name four times per model. The compiler's
    generated code builds models the same way, inline.
    """
    set_dict, set_fields, set_extra, set_private = SLOT_SETTERS
    if issubclass(cls, _Part):  # the class answers the other three slots

        def make_part(values: dict, new=object.__new__, cls=cls) -> Any:
            model = new(cls)
            set_dict(model, values)
            return model

        return make_part
    fields_set = set(cls.model_fields)  # one set, shared by every model this builds

    def make(values: dict, new=object.__new__, cls=cls) -> Any:
        model = new(cls)
        set_dict(model, values)
        set_fields(model, fields_set)
        set_extra(model, None)
        set_private(model, None)
        return model

    return make


def _slot(name: str):
    """The ``__set__`` of the descriptor BaseModel keeps attribute ``name`` in."""
    for klass in BaseModel.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name].__set__
    raise AttributeError(name)  # pragma: no cover — pydantic 2 keeps all four in BaseModel's slots


# The setters of a model's four slots: its fields (``__dict__``), which fields were set, extra and private.
SLOT_SETTERS = tuple(
    _slot(name) for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
)


class PolicyMeta(NamedTuple):
    """What a decision says about the policy that made it."""

    id: str
    version: str | None = None
    fingerprint: str | None = None


class _Part(BaseModel):
    """Base of the decision's per-record models: frozen, no extra fields, no private attributes, and (checked
    when a subclass is made) every field required.

    Such a model never holds extra or private values and always has every field set, so the class answers
    those three of pydantic's per-instance slots (its properties shadow BaseModel's slots; what pydantic
    writes to them is dropped: ``None``, ``None`` and all the field names). The evaluator then builds one
    with two C calls, ``object.__new__`` and its ``__dict__`` (see :func:`trusted`), about half the cost of
    filling all four slots. Validation, JSON, equality, hashing, copies and pickling behave as for any
    frozen model: ``tests/test_decision_models.py`` holds them to it.
    """

    model_config = _FROZEN

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        optional = [name for name, f in cls.model_fields.items() if not f.is_required()]
        if optional:  # a guard for whoever adds a field with a default
            raise TypeError(f"{cls.__name__}: decision parts have only required fields, not {optional}")
        cls.__lean_fields__ = frozenset(cls.model_fields)

    @property
    def __pydantic_extra__(self) -> None:  # type: ignore[override]
        return None

    @__pydantic_extra__.setter
    def __pydantic_extra__(self, value: object) -> None:
        pass

    @property
    def __pydantic_private__(self) -> None:  # type: ignore[override]
        return None

    @__pydantic_private__.setter
    def __pydantic_private__(self, value: object) -> None:
        pass

    @property
    def __pydantic_fields_set__(self) -> set[str]:  # type: ignore[override]
        return set(self.__lean_fields__)  # a new set: pydantic's model_copy adds to it

    @__pydantic_fields_set__.setter
    def __pydantic_fields_set__(self, value: object) -> None:
        pass


class Amount(_Part):
    """Money in a decision or a record: ``{"amount": "1000", "currency": "CNY"}``."""

    model_config = _FROZEN

    amount: Decimal
    currency: str

    def to_ir(self) -> ir.Money:
        return ir.Money(self.amount, self.currency)

    def __str__(self) -> str:
        return str(self.to_ir())


class Deadline(_Part):
    """A clock's due time; ``due_at`` is None while its anchor (a field or another clock) is missing."""

    model_config = _FROZEN

    clock: str
    due_at: AwareDatetime | None
    rule: str
    anchor: str


class Escalation(_Part):
    """An escalation rule: when it falls due and, given ``now``, whether it is due now.

    ``inactive``: its condition does not hold for this record; ``due``: the condition holds and
    ``now >= due_at``; ``pending``: otherwise (also whenever ``now`` was not given).
    """

    model_config = _FROZEN

    rule: str
    action: str
    targets: tuple[str, ...]
    due_at: AwareDatetime | None
    status: EscalationStatus


class Remedy(_Part):
    """Remedy tier of the decided level, the options in cost order, and who may approve the requested amount."""

    model_config = _FROZEN

    tier: str | None
    cap: Amount | None
    currency: str | None
    approver: str | None
    options: tuple[str, ...]
    amount: Amount | None
    within_cap: bool | None
    within_authority: bool | None
    required_approver: str | None
    beyond_authority: bool


class FollowUpPlan(_Part):
    """Whether and how the customer is followed up; ``sample_point`` in [0, 100) decides sampled rules."""

    model_config = _FROZEN

    status: FollowUpStatus
    rule: str | None
    rate: Decimal | None
    sampled: bool
    sample_point: float | None
    by: tuple[str, ...]
    via: tuple[str, ...]
    due_at: AwareDatetime | None
    until_satisfied: int | None
    attempts: int
    repeat_needed: bool


class Obligation(_Part):
    """A named action that applies, who does it and by when (or until when a record is kept)."""

    model_config = _FROZEN

    rule: str
    action: str
    label: str | None
    by: tuple[str, ...]
    due_at: AwareDatetime | None
    retain_until: AwareDatetime | None


class Problem(_Part):
    """A part of a decision that could not be decided: a time the calendar cannot place (e.g. a working-day
    deadline in a year without holiday data), or one timed from such a clock.

    ``part`` and ``name`` say where it shows: a ``deadline`` by its clock, an ``escalation``, ``follow_up``
    or ``obligation`` by its rule id; that part's time is None. ``depends_on`` is the undecidable clock it
    is timed from (None where the calendar itself failed), ``year`` the year without data (None for other
    calendar errors), ``location`` the rule's ``file:line:col``.
    """

    model_config = _FROZEN

    part: ProblemPart
    name: str
    rule: str
    location: str | None
    depends_on: str | None
    year: int | None
    message: str


_NO_DATA = re.compile(r"no holiday data for (\d+)")
_WHAT = {"deadline": "clock", "escalation": "escalation", "follow_up": "follow-up", "obligation": "obligation"}


def calendar_problem(
    part: ProblemPart, name: str, rule: str, location: str | None, error: Exception, data_source: str
) -> Problem:
    """The problem of a time the calendar failed to place with ``error`` (both evaluators word it so)."""
    text = str(error)
    found = _NO_DATA.search(text)
    year = int(found.group(1)) if found else None
    message = f"{_WHAT[part]} {name!r} (rule {rule}) cannot be placed: {text}"
    if year is not None:
        source = "" if data_source in text else f" (calendar data: {data_source})"
        message += f"{source}; supply calendar data for {year} (see docs/calendar.md)"
    return Problem(part=part, name=name, rule=rule, location=location, depends_on=None, year=year,
                   message=message)  # fmt: skip


def dependent_problem(part: ProblemPart, name: str, rule: str, location: str | None, cause: Problem) -> Problem:
    """The problem of a time timed from the undecidable clock of ``cause`` (that clock's own problem)."""
    message = f"{_WHAT[part]} {name!r} (rule {rule}) is timed from clock {cause.name!r}, which cannot be placed"
    return Problem(part=part, name=name, rule=rule, location=location, depends_on=cause.name, year=cause.year,
                   message=message)  # fmt: skip


def undecided_error(record_id: str | None, problems: tuple[Problem, ...] | list[Any]) -> EvaluationError:
    """What ``strict=True`` raises for an incomplete decision: the first time the calendar could not place."""
    first = next(p for p in problems if (p.depends_on if isinstance(p, Problem) else p["depends_on"]) is None)
    return EvaluationError(record_id, first.message if isinstance(first, Problem) else first["message"])


class TraceEntry(BaseModel):
    """A rule that matched, with its block and where it is written (``file:line:col``)."""

    model_config = _FROZEN

    rule: str
    block: str
    location: str | None
    note: str | None = None


class Decision(_Part):
    """Everything a policy decides for one record; immutable and round-trips through JSON."""

    model_config = _FROZEN

    policy_id: str
    policy_version: str | None
    fingerprint: str | None
    record_id: str | None
    evaluated_at: AwareDatetime | None
    level: str | None
    level_label: str | None
    routes: tuple[str, ...]
    owner: str | None
    deadlines: tuple[Deadline, ...]
    escalations: tuple[Escalation, ...]
    remedy: Remedy | None
    follow_up: FollowUpPlan
    obligations: tuple[Obligation, ...]
    trace: tuple[TraceEntry, ...]
    problems: tuple[Problem, ...]

    @model_validator(mode="before")
    @classmethod
    def _complete_by_default(cls, data: Any) -> Any:
        """JSON written before decisions could be incomplete has no ``problems``: it was complete."""
        if isinstance(data, dict) and "problems" not in data:
            return {**data, "problems": ()}
        return data

    # -- reading
    @property
    def incomplete(self) -> bool:
        """Whether some time could not be decided (see :attr:`problems`); everything else still was."""
        return bool(self.problems)

    def problem(self, name: str) -> Problem | None:
        """The problem of a clock or rule (by clock name or rule id), None when it was decided."""
        return next((p for p in self.problems if p.name == name or p.rule == name), None)

    def deadline(self, clock: str) -> dt.datetime | None:
        """The due time of a clock; None when the clock is unset, its anchor is missing, or it could not be
        placed (then :meth:`problem` says why)."""
        for d in self.deadlines:
            if d.clock == clock:
                return d.due_at
        return None

    def due_escalations(self) -> tuple[Escalation, ...]:
        """Escalations due (or overdue) at ``evaluated_at``."""
        return tuple(e for e in self.escalations if e.status == "due")

    def escalation(self, rule: str) -> Escalation | None:
        """The escalation an ``escalate`` rule made (by rule id), None when it did not apply."""
        return next((e for e in self.escalations if e.rule == rule), None)

    def obligation(self, rule: str) -> Obligation | None:
        """The obligation an ``obligations`` rule made (by rule id), None when it did not apply."""
        return next((o for o in self.obligations if o.rule == rule), None)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids of every rule in the trace, in trace order."""
        return tuple(t.rule for t in self.trace)

    def matched(self, rule: str) -> bool:
        """Whether the rule with that id is in the trace (it matched and decided something)."""
        return any(t.rule == rule for t in self.trace)

    def to_json(self, **kwargs: Any) -> str:
        """The decision as JSON (``kwargs`` as for pydantic's ``model_dump_json``: ``indent=2``, ...)."""
        return self.model_dump_json(**kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> Decision:
        """A decision back from :meth:`to_json`'s JSON."""
        return cls.model_validate_json(text)

    def expected(self, key: str, arg: str | None = None) -> object:
        """The value an embedded test's ``expect`` key (see ``ir.EXPECT_KEYS``) compares against."""
        remedy = self.remedy
        if key == "level":
            return self.level
        if key == "label":
            return self.level_label
        if key == "routes":
            return frozenset(self.routes)
        if key == "owner":
            return self.owner
        if key == "deadline":
            return self.deadline(arg or "")
        if key == "tier":
            return remedy.tier if remedy else None
        if key == "cap":
            return remedy.cap.to_ir() if remedy and remedy.cap else None
        if key == "approver":
            return remedy.approver if remedy else None
        if key == "within_authority":
            return remedy.within_authority if remedy else None
        if key == "options":
            return remedy.options if remedy else ()
        if key == "follow_up":
            return self.follow_up.status
        if key == "follow_up_by":
            return frozenset(self.follow_up.by)
        if key == "obligations":
            return frozenset(o.rule for o in self.obligations)
        if key == "escalations":
            return frozenset(e.rule for e in self.due_escalations())
        if key == "rules":
            return frozenset(self.rule_ids)
        raise KeyError(f"unknown expectation {key!r}; expected one of {', '.join(ir.EXPECT_KEYS)}")


def is_part(cls: type) -> bool:
    """Whether ``cls`` is one of the decision's lean models, built from its ``__dict__`` alone."""
    return isinstance(cls, type) and issubclass(cls, _Part)
