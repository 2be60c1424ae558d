"""A readable account of a decision: what was decided, by which rule, where it stands and why."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from .. import ir
from ..language.printer import duration as show_duration
from ..language.printer import expr, timing

if TYPE_CHECKING:
    from ..policy import Policy

CLASSIFY_OTHERWISE = "classify.otherwise"
ROUTE_OTHERWISE = "route.otherwise"


def explain(policy: Policy, decision: Any) -> str:
    """Explain a decision of ``policy`` in plain text, one section per part of the decision."""
    return "\n".join(_Explainer(policy, decision).lines()) + "\n"


class _Explainer:
    def __init__(self, policy: Policy, decision: Any):
        self.policy = policy
        self.d = decision
        self.rules: dict[str, Any] = {r.id: r for r in ir.all_rules(policy.ir)}
        self.where = {t.rule: getattr(t, "location", None) for t in decision.trace}
        self.problems = {(p.part, p.name): p for p in getattr(decision, "problems", ())}

    def _problem(self, out: list[str], part: str, name: str) -> bool:
        """The problem line of a time that could not be decided; whether there was one."""
        p = self.problems.get((part, name))
        if p is not None:
            out.append(f"    problem: {p.message}")
        return p is not None

    def _due(self, part: str, name: str, value: Any) -> str:
        return "undecidable (see the problem below)" if (part, name) in self.problems else _when(value)

    def lines(self) -> list[str]:
        out: list[str] = []
        header = self.policy.ir.header
        record_id = getattr(self.d, "record_id", None)
        version = f" version {header.version}" if header.version else ""
        out.append(f"record {record_id if record_id is not None else '<no id>'} under policy {header.id}{version}")
        out.append(f"  fingerprint {self.policy.fingerprint}")
        if self.problems:
            out.append(f"  incomplete: {len(self.problems)} time(s) could not be decided (see the problems below)")
        self._level(out)
        self._routes(out)
        self._deadlines(out)
        self._escalations(out)
        self._remedy(out)
        self._follow_up(out)
        self._obligations(out)
        out.append("trace: " + (", ".join(t.rule for t in self.d.trace) or "(no rule matched)"))
        return out

    # -- pieces
    def _loc(self, rule_id: str | None) -> str:
        location = self.where.get(rule_id)
        if location:
            return str(location)
        rule = self.rules.get(rule_id)
        span = getattr(rule, "span", None)
        return span.location() if span is not None else self.policy.path or "<policy>"

    def _because(self, rule_id: str | None) -> str:
        """``rule ID at file:line:col: when CONDITION`` for a rule of the trace."""
        if rule_id is None:
            return "no rule"
        if rule_id.endswith(".otherwise"):
            return f"{rule_id} at {self._loc(rule_id)}: no rule matched"
        when = getattr(self.rules.get(rule_id), "when", None)
        cond = f": when {expr(when)}" if when is not None and when != ir.TRUE else ""
        return f"rule {rule_id} at {self._loc(rule_id)}{cond}"

    def _block(self, ids: set[str]) -> list[str]:
        return [t.rule for t in self.d.trace if t.rule in ids]

    def _level(self, out: list[str]) -> None:
        label = f' "{self.d.level_label}"' if getattr(self.d, "level_label", None) else ""
        out.append(f"level: {self.d.level}{label}")
        classify = self.policy.ir.classify
        if classify is None:
            return
        ids = {r.id for r in classify.rules if r.level == self.d.level} | {CLASSIFY_OTHERWISE}
        deciding = self._block(ids)
        if classify.hit == "first":
            deciding = deciding[:1]
        for rule_id in deciding:
            out.append(f"  because {self._because(rule_id)}")

    def _routes(self, out: list[str]) -> None:
        out.append(f"routes: {', '.join(self.d.routes) or '(none)'}; owner: {self.d.owner or '(none)'}")
        route = self.policy.ir.route
        if route is None:
            return
        deciding = self._block({r.id for r in route.rules} | {ROUTE_OTHERWISE})
        if route.hit == "first":
            deciding = deciding[:1]
        for rule_id in deciding:
            out.append(f"  because {self._because(rule_id)}")

    def _deadlines(self, out: list[str]) -> None:
        out.append("deadlines:" if self.d.deadlines else "deadlines: (none)")
        for d in self.d.deadlines:
            rule = self.rules.get(d.rule)
            how = f"{show_duration(rule.duration)} after {rule.anchor}" if isinstance(rule, ir.DeadlineRule) else ""
            out.append(f"  {d.clock} due {self._due('deadline', d.clock, d.due_at)}: {how}")
            out.append(f"    {self._because(d.rule)}")
            for c in getattr(self.d, "clocks", ()):
                if c.clock == d.clock:
                    out.append(f"    {_timeline(c)}")
            self._problem(out, "deadline", d.clock)

    def _escalations(self, out: list[str]) -> None:
        out.append("escalations:" if self.d.escalations else "escalations: (none)")
        for e in self.d.escalations:
            rule = self.rules.get(e.rule)
            how = timing(rule.timing) if isinstance(rule, ir.EscalationRule) else ""
            targets = ", ".join(e.targets)
            status = _STATUS.get(e.status, e.status)
            out.append(f"  {e.rule}: {e.action} {targets} {how} -> {self._due('escalation', e.rule, e.due_at)} [{status}]")
            out.append(f"    {self._because(e.rule)}")
            self._problem(out, "escalation", e.rule)

    def _remedy(self, out: list[str]) -> None:
        r = getattr(self.d, "remedy", None)
        if r is None:
            out.append("remedy: (none)")
            return
        out.append(f"remedy: tier {r.tier or '(none)'}, cap {_money(r.cap)}, approver {r.approver or '(none)'}")
        out.append(f"  options, cheapest first: {', '.join(r.options) or '(none)'}")
        if getattr(r, "amount", None) is not None:
            cap = "within the tier cap" if r.within_cap else "above the tier cap"
            if getattr(r, "beyond_authority", False):
                authority = "beyond every approval authority"
            elif r.within_authority:
                authority = f"within the authority of {r.approver}"
            else:
                authority = f"beyond the authority of {r.approver}: needs {r.required_approver}"
            lowest = f" (the lowest role that may approve it: {r.required_approver})" if r.required_approver else ""
            out.append(f"  requested {_money(r.amount)}: {cap}, {authority}{lowest}")
        compensate = self.policy.ir.compensate
        ids = {x.id for x in compensate.rules} if compensate else set()
        for rule_id in self._block(ids):
            rule = self.rules[rule_id]
            out.append(f"  {rule.action} {{{', '.join(rule.options)}}}: {self._because(rule_id)}")

    def _follow_up(self, out: list[str]) -> None:
        f = getattr(self.d, "follow_up", None)
        if f is None or f.status in (None, "none"):
            out.append("follow-up: none")
            return
        parts = [f"follow-up: {f.status}"]
        if getattr(f, "rate", None) is not None:
            parts.append(f"of {ir.Percent(f.rate)} of cases" if f.rate != 100 else "for every case")
        if f.by:
            parts.append(f"by {', '.join([f.by] if isinstance(f.by, str) else f.by)}")
        if f.via:
            parts.append(f"via {', '.join([f.via] if isinstance(f.via, str) else f.via)}")
        if f.due_at is not None:
            parts.append(f"due {_when(f.due_at)}")
        out.append(" ".join(parts))
        if f.rule:
            out.append(f"  because {self._because(f.rule)}")
            self._problem(out, "follow_up", f.rule)
        limit = getattr(f, "until_satisfied", None)
        if limit is not None:
            bound = f"at most {limit} times" if limit else "no limit"
            attempts = getattr(f, "attempts", 0)
            state = "follow up again: the latest follow-up left the customer dissatisfied" if f.repeat_needed else (
                "no further round needed")
            out.append(f"  until satisfied ({bound}); {attempts} follow-up(s) so far: {state}")

    def _obligations(self, out: list[str]) -> None:
        out.append("obligations:" if self.d.obligations else "obligations: (none)")
        for o in self.d.obligations:
            label = f' "{o.label}"' if getattr(o, "label", None) else ""
            by = ", ".join([o.by] if isinstance(o.by, str) else o.by or ())
            when = f", due {_when(o.due_at)}" if o.due_at is not None else ""
            kept = f", keep until {_when(o.retain_until)}" if getattr(o, "retain_until", None) else ""
            state = getattr(o, "status", "pending")
            state = "" if state == "pending" else f" [{state}]"
            out.append(f"  {o.action}{label} by {by or '(nobody)'}{when}{kept}{state}")
            out.append(f"    {self._because(o.rule)}")
            self._problem(out, "obligation", o.rule)


_STATUS = {"due": "due now", "pending": "not yet due", "inactive": "inactive: its condition does not hold",
           "done": "done: the history records it"}


def _span(delta: Any) -> str:
    if delta is None:
        return "?"
    sign, delta = ("-", -delta) if delta.total_seconds() < 0 else ("", delta)
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    return f"{sign}{f'{days}d ' if days else ''}{rest // 60}h{rest % 60:02d}m"


def _timeline(c: Any) -> str:
    """One cycle of a clock: ``cycle 0 started T, paused since T (1h00m so far), due T [paused]``."""
    parts = [f"cycle {c.cycle}"]
    if c.started_at is not None:
        parts.append(f"started {_when(c.started_at)}")
    if c.paused:
        parts.append(f"paused {_span(c.paused)}" + (f", paused since {_when(c.paused_since)}" if c.paused_since else ""))
    if c.warn_at is not None:
        parts.append(f"at risk from {_when(c.warn_at)}")
    if c.met_at is not None:
        parts.append(f"met {_when(c.met_at)}")
    if c.due_at is not None:
        parts.append(f"due {_when(c.due_at)}")
    if c.elapsed is not None and c.remaining is not None:
        parts.append(f"used {_span(c.elapsed)}, left {_span(c.remaining)}")
    late = f", late by {_span(c.late_by)}" if c.late_by else ""
    return ", ".join(parts) + f" [{c.state}{late}]"


def _when(value: Any) -> str:
    if value is None:
        return "not yet (its anchor is missing)"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return str(value)


def _money(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return f"{value.get('amount')} {value.get('currency')}"
    if hasattr(value, "amount") and hasattr(value, "currency"):
        return f"{value.amount} {value.currency}"
    return str(value)
