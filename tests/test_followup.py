"""Follow-up quotas (seed 001): at least 30% of minor repairs a month, mandatory cases first, then a stable sample."""

from __future__ import annotations

import datetime as dt
import math

import pytest

import complaint_rules as cr
from complaint_rules.engine.followup import follow_up_report, parse_period
from complaint_rules.engine.interpreter import sample_point

ESTATE = """\
policy "estate" {
  currency CNY
  calendar "CN"
  timezone "Asia/Shanghai"
}
record {
  category: enum {minor_repair, complaint}
  signed_satisfied: bool
}
units { cs_assistant "客服助理"  cs_lead "客服主管" }
levels { general "一般" }
classify first {
  otherwise -> general
}
route first {
  otherwise -> cs_assistant
}
follow_up {
  rule anonymous: none when anonymous
  rule unhappy_repair: 100% within 1 day after resolved_at by cs_lead via visit when category == minor_repair and not signed_satisfied
  rule minor_repair: 30% within 1 day after resolved_at by cs_assistant via phone when category == minor_repair
  otherwise: 100% within 3 days after resolved_at by cs_assistant via phone
}
"""

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def estate() -> cr.Policy:
    return cr.loads(ESTATE, name="estate.policy")


def repair(
    i: int, *, day: int = 10, month: int = 11, signed: bool | None = True, followed: str | None = None
) -> dict:
    record = {
        "id": f"R{i:02d}",
        "received_at": f"2026-{month:02d}-{day:02d}T09:00+08:00",
        "resolved_at": f"2026-{month:02d}-{day:02d}T15:00+08:00",
        "category": "minor_repair",
    }
    if signed is not None:
        record["signed_satisfied"] = signed
    if followed:
        record["follow_ups"] = [{"at": followed, "method": "phone", "satisfied": True}]
    return record


def test_thirty_percent_quota_report(estate):
    followed = {"R03", "R11"}
    records = [
        repair(i, followed="2026-11-12T10:00+08:00" if f"R{i:02d}" in followed else None) for i in range(20)
    ]
    records += [
        repair(90, month=10),
        repair(91, followed="2026-12-01T10:00+08:00"),
    ]  # October; followed in December
    records += [repair(80, signed=None), repair(81, signed=False)]  # no rating / dissatisfied: mandatory
    records += [{"id": "BAD", "received_at": "2026-11-01T10:00", "category": "minor_repair"}]
    report = estate.follow_up_report(records, "2026-11")

    assert report.period_start == dt.datetime(2026, 11, 1, tzinfo=CST)
    assert report.period_end == dt.datetime(2026, 12, 1, tzinfo=CST)
    assert [(e.index, e.record_id) for e in report.errors] == [(24, "BAD")]

    quota = report.rule("minor_repair")
    population = [f"R{i:02d}" for i in range(20)] + ["R91"]
    assert quota.matching == tuple(population)
    assert set(quota.followed_up) == followed  # R91's follow-up is in December
    assert quota.required == math.ceil(0.3 * len(population)) == 7
    assert quota.achieved_rate == round(100 * 2 / 21, 2) and quota.shortfall == 5
    selected = [rid for rid in population if sample_point("estate", "minor_repair", rid) < 30]
    assert list(quota.selected) == selected
    pending = [rid for rid in selected if rid not in followed]
    assert list(quota.to_add[: len(pending)]) == pending  # the sampled cases first
    extra = list(quota.to_add[len(pending) :])
    assert len(quota.to_add) == max(len(pending), quota.shortfall)
    rest = sorted((r for r in population if r not in followed and r not in selected),
                  key=lambda r: sample_point("estate", "minor_repair", r))  # fmt: skip
    assert extra == rest[: len(extra)]  # then satisfied owners in stable sample order
    assert not set(quota.to_add) & followed and not quota.met

    mandatory = report.rule("unhappy_repair")
    assert mandatory.matching == ("R80", "R81") and mandatory.required == 2
    assert mandatory.to_add == ("R80", "R81") and mandatory.shortfall == 2
    assert report.rule("anonymous").matching == () and report.rule("anonymous").met


def test_the_quota_is_met_when_enough_are_followed_up(estate):
    records = [repair(i, followed="2026-11-20T10:00+08:00" if i < 3 else None) for i in range(10)]
    quota = estate.follow_up_report(records, "2026-11").rule("minor_repair")
    assert quota.required == 3 and quota.shortfall == 0
    assert quota.achieved_rate == 30.0
    pending = [r for r in quota.selected if r not in quota.followed_up]
    assert list(quota.to_add) == pending and quota.met is (not pending)


def test_report_is_deterministic_and_serialisable(estate):
    records = [repair(i) for i in range(30)]
    first = estate.follow_up_report(records, ("2026-11-01", "2026-12-01"))
    second = follow_up_report(
        estate.compiled, list(reversed(records)), (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    )
    assert set(first.rule("minor_repair").to_add) == set(second.rule("minor_repair").to_add)
    assert first == estate.follow_up_report(records, "2026-11")
    assert type(first).model_validate_json(first.model_dump_json()) == first


def test_periods():
    tz = CST
    assert parse_period(None, tz) == (None, None)
    assert parse_period("2026", tz) == (
        dt.datetime(2026, 1, 1, tzinfo=tz),
        dt.datetime(2027, 1, 1, tzinfo=tz),
    )
    assert parse_period("2026-12", tz)[1] == dt.datetime(2027, 1, 1, tzinfo=tz)
    assert parse_period("2026-11-05", tz)[1] == dt.datetime(2026, 11, 6, tzinfo=tz)
    assert parse_period(("2026-11-01", "2026-11-15T12:00+08:00"), tz)[1] == dt.datetime(
        2026, 11, 15, 12, tzinfo=tz
    )
    for bad in (
        "November",
        "2026-13",
        ("2026-11-01",),
        (dt.datetime(2026, 11, 1), dt.date(2026, 12, 1)),
        ("x", "y"),
    ):
        with pytest.raises(ValueError):
            parse_period(bad, tz)
