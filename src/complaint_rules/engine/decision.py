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
    "AgendaItem",
    "Amount",
    "ClockStatus",
    "Deadline",
    "Decision",
    "Escalation",
    "FollowUpPlan",
    "Obligation",
    "Part",
    "PolicyMeta",
    "Problem",
    "Remedy",
    "TraceEntry",
    "trusted",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")

EscalationStatus = Literal["pending", "due", "done", "inactive"]
ObligationStatus = Literal["pending", "due", "done", "overdue"]
ClockState = Literal["not_started", "running", "paused", "met", "breached", "at_risk"]
AgendaKind = Literal["clock", "escalation", "obligation", "follow_up"]
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
    if issubclass(cls, Part):  # the class answers the other three slots

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


class Part(BaseModel):
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


class Amount(Part):
    """Money in a decision or a record: ``{"amount": "1000", "currency": "CNY"}``."""

    model_config = _FROZEN

    amount: Decimal
    currency: str

    def to_ir(self) -> ir.Money:
        return ir.Money(self.amount, self.currency)

    def __str__(self) -> str:
        return str(self.to_ir())


class Deadline(Part):
    """A clock's due time; ``due_at`` is None while its anchor (a field or another clock) is missing."""

    model_config = _FROZEN

    clock: str
    due_at: AwareDatetime | None
    rule: str
    anchor: str


class ClockStatus(Part):
    """One cycle of a clock at ``now`` (docs/decisions.md, "Clocks in time").

    ``state``: ``not_started`` (its start is not reached or not known), ``running``, ``paused`` (since
    ``paused_since``), ``met`` (stopped at ``met_at``, in time), ``breached`` (met late, or still open past
    ``due_at``) or ``at_risk`` (running past ``warn_at``). ``elapsed``, ``paused`` and ``remaining`` are in the
    clock's own measure (business time for business hours and working days, else elapsed time; None where the
    calendar cannot count it); ``remaining`` is negative when late; ``remaining_wall`` is ``due_at`` minus
    ``now`` (minus ``met_at`` once met). ``cycle`` counts reopenings from 0; earlier cycles keep their outcome.
    """

    model_config = _FROZEN

    clock: str
    rule: str
    cycle: int
    state: ClockState
    started_at: AwareDatetime | None
    due_at: AwareDatetime | None
    met_at: AwareDatetime | None
    paused_since: AwareDatetime | None
    warn_at: AwareDatetime | None
    elapsed: dt.timedelta | None
    paused: dt.timedelta | None
    remaining: dt.timedelta | None
    remaining_wall: dt.timedelta | None
    location: str | None

    @property
    def late_by(self) -> dt.timedelta | None:
        """How late a breached clock is (met late, or still open), in wall time."""
        if self.state != "breached" or self.remaining_wall is None:
            return None
        return -self.remaining_wall


class AgendaItem(Part):
    """Something that must happen now or soon: a clock breached or at risk, an escalation due, an obligation
    due or overdue, a follow-up due; who, why (rule and ``file:line:col``), since when and how late."""

    model_config = _FROZEN

    kind: AgendaKind
    name: str
    rule: str
    state: str
    who: tuple[str, ...]
    location: str | None
    since: AwareDatetime | None
    due_at: AwareDatetime | None
    late_by: dt.timedelta | None


class Escalation(Part):
    """An escalation rule: when it falls due and, given ``now``, whether it is due now.

    ``inactive``: its condition does not hold for this record (or it is timed from a clock that was met
    before it fell due); ``done``: the record's history shows it done (an entry naming its rule);
    ``due``: the condition holds and ``now >= due_at``; ``pending``: otherwise (also whenever ``now``
    was not given).
    """

    model_config = _FROZEN

    rule: str
    action: str
    targets: tuple[str, ...]
    due_at: AwareDatetime | None
    status: EscalationStatus


class Remedy(Part):
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


class FollowUpPlan(Part):
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


class Obligation(Part):
    """A named action that applies, who does it and by when (or until when a record is kept).

    ``status``: ``done`` when the history shows it discharged (an entry naming its rule); else, given
    ``now``, ``overdue`` once a timed obligation's ``due_at`` has passed, ``due`` for one due at receipt
    (``immediately``), and ``pending`` otherwise (also whenever ``now`` was not given).
    """

    model_config = _FROZEN

    rule: str
    action: str
    label: str | None
    by: tuple[str, ...]
    due_at: AwareDatetime | None
    retain_until: AwareDatetime | None
    status: ObligationStatus


class Problem(Part):
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


_AGENDA_KINDS = ("clock", "escalation", "obligation", "follow_up")
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


class Decision(Part):
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
    clocks: tuple[ClockStatus, ...]

    @model_validator(mode="before")
    @classmethod
    def _complete_by_default(cls, data: Any) -> Any:
        """JSON written before decisions could be incomplete has no ``problems``: it was complete; JSON written
        before clocks had a state has no ``clocks``."""
        if isinstance(data, dict) and ("problems" not in data or "clocks" not in data):
            return {"problems": (), "clocks": (), **data}
        return data

    # -- in time
    def clock(self, name: str) -> ClockStatus | None:
        """The state at ``evaluated_at`` of a clock's latest cycle; None without ``now`` or for an unset clock.

        A clock that declares no life (no pause, stop, restart or warning, no status start, not ruled by the
        level) has a state read from its due time alone: ``not_started`` while it has none, ``running`` until
        ``due_at``, then ``breached``; its measures are None, its wall times are given.
        """
        found = None
        for c in self.clocks:
            if c.clock == name:
                found = c
        if found is not None or self.evaluated_at is None:
            return found
        d = next((d for d in self.deadlines if d.clock == name), None)
        if d is None:
            return None
        now, due = self.evaluated_at, d.due_at
        state = "not_started" if due is None else "breached" if now >= due else "running"
        return ClockStatus(clock=name, rule=d.rule, cycle=0, state=state, started_at=None, due_at=due, met_at=None,
                           paused_since=None, warn_at=None, elapsed=None, paused=None, remaining=None,
                           remaining_wall=None if due is None else due - now,
                           location=self._location(d.rule))  # fmt: skip

    def _location(self, rule: str) -> str | None:
        return next((t.location for t in self.trace if t.rule == rule), None)

    @property
    def agenda(self) -> tuple[AgendaItem, ...]:
        """What must happen at ``evaluated_at`` or soon, most urgent first: late items (a breached clock, an
        overdue obligation, an escalation or follow-up past its time), the longest late first; then those at
        risk, the soonest due first. Empty without ``now``. Done escalations and obligations are not on it."""
        now = self.evaluated_at
        if now is None:
            return ()
        items: list[AgendaItem] = []
        for d in self.deadlines:
            c = self.clock(d.clock)
            if c is not None and c.state in ("breached", "at_risk") and c.met_at is None:
                since = c.due_at if c.state == "breached" else c.warn_at
                items.append(AgendaItem(kind="clock", name=c.clock, rule=c.rule, state=c.state,
                                        who=(self.owner,) if self.owner else (), location=c.location, since=since,
                                        due_at=c.due_at, late_by=c.late_by))  # fmt: skip
        for e in self.escalations:
            if e.status == "due":
                items.append(AgendaItem(kind="escalation", name=e.rule, rule=e.rule, state="due", who=e.targets,
                                        location=self._location(e.rule), since=e.due_at, due_at=e.due_at,
                                        late_by=now - e.due_at if e.due_at is not None else None))  # fmt: skip
        for o in self.obligations:
            if o.status in ("due", "overdue"):
                late = now - o.due_at if o.status == "overdue" and o.due_at is not None else None
                items.append(AgendaItem(kind="obligation", name=o.rule, rule=o.rule, state=o.status, who=o.by,
                                        location=self._location(o.rule), since=o.due_at, due_at=o.due_at,
                                        late_by=late))  # fmt: skip
        f = self.follow_up
        if f.status == "required" and f.due_at is not None and f.attempts == 0 and f.rule is not None:
            late = now - f.due_at if now > f.due_at else None
            items.append(AgendaItem(kind="follow_up", name=f.rule, rule=f.rule,
                                    state="overdue" if late is not None else "due", who=f.by,
                                    location=self._location(f.rule), since=None, due_at=f.due_at,
                                    late_by=late))  # fmt: skip

        def urgency(item: AgendaItem):
            late = item.late_by is not None and item.late_by > dt.timedelta(0)
            far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
            return (0 if late else 1 if item.state != "at_risk" else 2,
                    -(item.late_by or dt.timedelta(0)) if late else dt.timedelta(0),
                    item.due_at or far, _AGENDA_KINDS.index(item.kind), item.name)  # fmt: skip

        return tuple(sorted(items, key=urgency))

    @property
    def next_change_at(self) -> dt.datetime | None:
        """The earliest instant after ``evaluated_at`` at which some state of this decision changes by the
        passing of time alone (a clock falls due or reaches its warning, an escalation falls due, an obligation
        becomes overdue), so that a host looks again then instead of polling; None when nothing will, or
        without ``now``. A paused clock changes only when the history does."""
        now = self.evaluated_at
        if now is None:
            return None
        times: list[dt.datetime] = []
        for d in self.deadlines:
            c = self.clock(d.clock)
            if c is not None and c.state in ("running", "at_risk"):
                times.extend(t for t in (c.warn_at, c.due_at) if t is not None)
            elif c is not None and c.state == "not_started" and c.started_at is not None:
                times.append(c.started_at)
        times.extend(e.due_at for e in self.escalations if e.status == "pending" and e.due_at is not None)
        times.extend(o.due_at for o in self.obligations if o.status == "pending" and o.due_at is not None)
        f = self.follow_up
        if f.status == "required" and f.due_at is not None and f.attempts == 0:
            times.append(f.due_at)
        later = [t for t in times if t > now]
        return min(later) if later else None

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
    return isinstance(cls, type) and issubclass(cls, Part)
