"""Follow-up quotas over a period: required vs achieved rate per rule, and which records to add to reach it."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from ..errors import EvaluationError, RecordError
from .interpreter import sample_point
from .record import FOLLOW_UPS

__all__ = ["FollowUpReport", "RecordProblem", "RuleQuota", "follow_up_report", "parse_period"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class RuleQuota(BaseModel):
    """One follow-up rule over the period.

    ``matching``: records the rule decides for; ``selected``: those it requires (all of them at 100%, the
    sampled ones below); ``followed_up``: those with a follow-up in the period; ``required``: followed-up
    records the rate asks for; ``to_add``: records to follow up now, mandatory ones first.
    """

    model_config = _FROZEN

    rule: str
    rate: Decimal | None
    matching: tuple[str, ...]
    selected: tuple[str, ...]
    followed_up: tuple[str, ...]
    required: int
    achieved_rate: float | None
    shortfall: int
    to_add: tuple[str, ...]
    met: bool


class RecordProblem(BaseModel):
    """A record the report could not use, by position in the input."""

    model_config = _FROZEN

    index: int
    record_id: str | None
    message: str


class FollowUpReport(BaseModel):
    """Per follow-up rule, how the period's records stand against the rule's rate."""

    model_config = _FROZEN

    policy_id: str
    period_start: AwareDatetime | None
    period_end: AwareDatetime | None
    rules: tuple[RuleQuota, ...]
    errors: tuple[RecordProblem, ...]

    def rule(self, rule_id: str) -> RuleQuota:
        for quota in self.rules:
            if quota.rule == rule_id:
                return quota
        raise KeyError(f"no follow-up rule {rule_id!r} in this report")


def _midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def parse_period(period: Any, tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``None`` (everything), ``"2026-11"`` (a month), ``"2026"``, ``"2026-11-05"`` (a day), or ``(start, end)``.

    Dates are midnights in ``tz`` (the policy's time zone); the end is exclusive.
    """
    if period is None:
        return None, None
    if isinstance(period, str):
        text = period.strip()
        if re.fullmatch(r"\d{4}", text):
            year = int(text)
            return _midnight(dt.date(year, 1, 1), tz), _midnight(dt.date(year + 1, 1, 1), tz)
        match = re.fullmatch(r"(\d{4})-(\d{2})", text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12:
                end = dt.date(year + month // 12, month % 12 + 1, 1)
                return _midnight(dt.date(year, month, 1), tz), _midnight(end, tz)
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"invalid period {period!r}: expected 'YYYY', 'YYYY-MM', 'YYYY-MM-DD' or (start, end)"
            ) from None
        return _midnight(day, tz), _midnight(day + dt.timedelta(days=1), tz)
    if isinstance(period, (tuple, list)) and len(period) == 2:
        bounds = []
        for bound in period:
            if isinstance(bound, str):
                try:
                    bound = (
                        dt.date.fromisoformat(bound)
                        if len(bound.strip()) == 10
                        else dt.datetime.fromisoformat(bound)
                    )
                except ValueError:
                    raise ValueError(
                        f"invalid period bound {bound!r}: expected an ISO date or date-time"
                    ) from None
            if isinstance(bound, dt.datetime):
                if bound.utcoffset() is None:
                    raise ValueError(f"period bound {bound.isoformat()} is naive: give a UTC offset")
                bounds.append(bound)
            elif isinstance(bound, dt.date):
                bounds.append(_midnight(bound, tz))
            else:
                raise ValueError(f"invalid period bound {bound!r}: expected a date or an aware datetime")  # noqa: TRY004
        return bounds[0], bounds[1]
    raise ValueError(f"invalid period {period!r}: expected 'YYYY', 'YYYY-MM', 'YYYY-MM-DD' or (start, end)")


def _inside(when: Any, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    if not isinstance(when, dt.datetime):
        return False
    return (start is None or when >= start) and (end is None or when < end)


def follow_up_report(compiled, records: Iterable[Any], period: Any = None) -> FollowUpReport:
    """Required and achieved follow-up rates per rule for the records whose follow-up falls in ``period``.

    A record belongs to the period when its rule's anchor (say ``resolved_at``), or else ``received_at``,
    falls in it; it counts as followed up when it has a follow-up dated in the period. To reach a rate the
    report adds first the records the policy already requires (selected by the rate, or still dissatisfied
    and due a repeat), then others in the order of their stable sample point, so every process picks the same.
    """
    policy = compiled.ir
    start, end = parse_period(period, compiled.calendar.tzinfo)
    rules = {}
    if policy.follow_up is not None:
        for rule in (*policy.follow_up.rules, policy.follow_up.otherwise):
            if rule is not None:
                rules[rule.id] = rule
    members: dict[str, list[tuple[str, bool, bool, float]]] = {rule_id: [] for rule_id in rules}
    errors: list[RecordProblem] = []
    for index, raw in enumerate(records):
        try:
            record_id, values = compiled.coerce(raw)
            decision = compiled.decide(values, record_id)
        except (RecordError, EvaluationError) as exc:
            message = exc.render() if isinstance(exc, RecordError) else exc.message
            errors.append(RecordProblem(index=index, record_id=exc.record_id, message=message))
            continue
        plan = decision.follow_up
        if plan.rule is None or plan.rule not in rules:
            continue
        rule = rules[plan.rule]
        reference = values.get(rule.anchor) if rule.anchor else None
        if not isinstance(reference, dt.datetime):
            reference = values.get("received_at")
        if not _inside(reference, start, end):
            continue
        rid = record_id if record_id is not None else f"#{index}"
        followed = any(_inside(entry.at, start, end) for entry in values[FOLLOW_UPS])
        mandatory = plan.status == "required" or plan.repeat_needed
        members[plan.rule].append(
            (rid, followed, mandatory, sample_point(policy.header.id, rule.id, record_id))
        )
    quotas = [_quota(rules[rule_id], found) for rule_id, found in members.items()]
    return FollowUpReport(policy_id=policy.header.id, period_start=start, period_end=end,
                          rules=tuple(quotas), errors=tuple(errors))  # fmt: skip


def _quota(rule, found: list[tuple[str, bool, bool, float]]) -> RuleQuota:
    rate = rule.rate.value if rule.rate is not None else None
    count = len(found)
    followed = [rid for rid, done, _, _ in found if done]
    required = 0 if rate is None else min(count, math.ceil(Decimal(count) * rate / 100))
    shortfall = max(0, required - len(followed))
    pending_mandatory = [rid for rid, done, must, _ in found if must and not done]
    rest = sorted((point, rid) for rid, done, must, point in found if not done and not must)
    extra = max(0, shortfall - len(pending_mandatory))
    to_add = pending_mandatory + [rid for _, rid in rest[:extra]]
    return RuleQuota(
        rule=rule.id,
        rate=rate,
        matching=tuple(rid for rid, _, _, _ in found),
        selected=tuple(rid for rid, _, must, _ in found if must),
        followed_up=tuple(followed),
        required=required,
        achieved_rate=round(100 * len(followed) / count, 2) if count else None,
        shortfall=shortfall,
        to_add=tuple(to_add),
        met=shortfall == 0 and not pending_mandatory,
    )
