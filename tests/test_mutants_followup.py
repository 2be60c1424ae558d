"""Follow-up quotas and batch input: behaviour no other test pinned down (each test here failed on a mutant
that survived an audit): the period's first instant, the picks beyond the mandatory records, a rule anchored
on a field other than ``received_at``, invalid period bounds, and the column mapping of JSON-lines input."""

from __future__ import annotations

import datetime as dt
import io
import math

import pytest
from test_followup import CST, repair

import complaint_rules as cr
from complaint_rules.batch import ColumnMap, read_jsonl
from complaint_rules.engine.followup import parse_period
from complaint_rules.engine.interpreter import sample_point

RATE = """\
policy "rate" {
  currency CNY
  calendar "CN"
  timezone "Asia/Shanghai"
}
record {
  category: enum {minor_repair, complaint}
  signed_satisfied: bool
}
units { cs "客服" }
levels { general "一般" }
classify first {
  otherwise -> general
}
route first {
  otherwise -> cs
}
follow_up {
  rule unhappy: 100% within 1 day after resolved_at by cs via visit when category == minor_repair and not signed_satisfied
  rule minor_repair: 40% within 1 day after resolved_at by cs via phone when category == minor_repair
  otherwise: 10% within 3 days after received_at by cs via phone
}
"""


@pytest.fixture(scope="module")
def rate() -> cr.Policy:
    return cr.loads(RATE, name="rate.policy")


def test_a_record_resolved_at_the_periods_first_instant_belongs_to_it(rate):
    first = dict(repair(1, day=1), resolved_at="2026-11-01T00:00+08:00", received_at="2026-10-31T20:00+08:00")
    last = dict(repair(2, day=30), resolved_at="2026-12-01T00:00+08:00")  # the end is exclusive
    followed = dict(repair(3, day=5), follow_ups=[{"at": "2026-11-01T00:00+08:00", "method": "phone"}])
    quota = rate.follow_up_report([first, last, followed], "2026-11").rule("minor_repair")
    assert quota.matching == ("R01", "R03")
    assert quota.followed_up == ("R03",)  # a follow-up at the first instant counts too


def test_the_rules_anchor_decides_the_period_not_received_at(rate):
    # Received in October, resolved in November: the rule's anchor (resolved_at) puts it in November.
    late = dict(repair(1, month=10, day=30), resolved_at="2026-11-02T10:00+08:00")
    # Received in November, resolved in December: it belongs to December.
    early = dict(repair(2, day=29), resolved_at="2026-12-02T10:00+08:00")
    unresolved = repair(3, day=10)
    del unresolved["resolved_at"]  # no anchor value: received_at places it
    report = rate.follow_up_report([late, early, unresolved], "2026-11")
    assert report.rule("minor_repair").matching == ("R01", "R03")
    assert rate.follow_up_report([late, early, unresolved], "2026-12").rule("minor_repair").matching == ("R02",)
    assert rate.follow_up_report([late, early, unresolved], "2026-10").rule("minor_repair").matching == ()


def test_the_quota_adds_sampled_records_then_the_next_in_sample_order(rate):
    records = [repair(i) for i in range(25)]
    records += [repair(60, signed=False), repair(61, signed=False, followed="2026-11-11T10:00+08:00")]
    report = rate.follow_up_report(records, "2026-11")
    quota = report.rule("minor_repair")
    population = [f"R{i:02d}" for i in range(25)]
    assert quota.matching == tuple(population)
    required = math.ceil(len(population) * 40 / 100)
    assert quota.required == required == 10 and quota.shortfall == required and not quota.met
    points = {rid: sample_point("rate", "minor_repair", rid) for rid in population}
    selected = [rid for rid in population if points[rid] < 40]
    assert list(quota.selected) == selected
    others = sorted((r for r in population if r not in selected), key=points.__getitem__)
    expected = selected + others[: max(0, required - len(selected))]
    assert list(quota.to_add) == expected
    assert len(quota.to_add) == max(required, len(selected))
    unhappy = report.rule("unhappy")
    assert unhappy.matching == ("R60", "R61") and unhappy.followed_up == ("R61",)
    assert unhappy.to_add == ("R60",) and unhappy.shortfall == 1 and not unhappy.met


def test_the_quota_with_enough_follow_ups_adds_only_pending_mandatory_records(rate):
    records = [repair(i, followed="2026-11-20T10:00+08:00" if i >= 10 else None) for i in range(20)]
    quota = rate.follow_up_report(records, "2026-11").rule("minor_repair")
    assert quota.required == 8 and quota.shortfall == 0
    pending = [r for r in quota.selected if r not in quota.followed_up]
    assert list(quota.to_add) == pending  # nothing beyond the mandatory: the rate is reached
    assert quota.met is (not pending)


def test_period_bounds_are_midnights_or_given_instants():
    assert parse_period(("2026-11-01", "2026-11-15"), CST) == (
        dt.datetime(2026, 11, 1, tzinfo=CST), dt.datetime(2026, 11, 15, tzinfo=CST)
    )
    utc = dt.timezone.utc
    start, end = parse_period((dt.date(2026, 2, 28), "2026-03-01T06:30+00:00"), CST)
    assert start == dt.datetime(2026, 2, 28, tzinfo=CST) and start.utcoffset() == dt.timedelta(hours=8)
    assert end == dt.datetime(2026, 3, 1, 6, 30, tzinfo=utc)
    assert parse_period("2024-02", CST) == (dt.datetime(2024, 2, 1, tzinfo=CST), dt.datetime(2024, 3, 1, tzinfo=CST))
    assert parse_period("2024-02-29", CST)[1] == dt.datetime(2024, 3, 1, tzinfo=CST)


@pytest.mark.parametrize(("period", "message"), [
    (("2026-11-01", "soon"), "invalid period bound 'soon': expected an ISO date or date-time"),
    (("2026-11-01", 20261201), "invalid period bound 20261201: expected a date or an aware datetime"),
    ((None, "2026-12-01"), "invalid period bound None: expected a date or an aware datetime"),
    (("2026-11-01", "2026-12-01T00:00"), "period bound 2026-12-01T00:00:00 is naive: give a UTC offset"),
    ("2026-13", "invalid period '2026-13'"),
    ("2026-02-30", "invalid period '2026-02-30'"),
    (("2026-11-01", "2026-12-01", "2027-01-01"), "invalid period"),
])  # fmt: skip
def test_invalid_periods_are_named(period, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_period(period, CST)


# ---------------------------------------------------------------------------- batch: JSON lines and a mapping


def test_jsonl_rows_go_through_the_column_mapping():
    mapping = ColumnMap.from_dict({
        "columns": {"Complaint ID": "id", "Product": "category", "Date": "received_at"},
        "formats": {"category": "slug", "received_at": "%m/%d/%Y"},
        "timezone": "Asia/Shanghai",
    })  # fmt: skip
    lines = (
        b'{"Complaint ID": "C1", "Product": "Minor Repair", "Date": "11/05/2026", "Other": 1}\n'
        b"\n"
        b'{"Complaint ID": "C2", "Date": "2026-11-05"}\n'
    )
    first, second = read_jsonl(io.BytesIO(lines), mapping)
    assert first.record == {
        "id": "C1", "category": "minor_repair", "received_at": dt.datetime(2026, 11, 5, tzinfo=CST),
    }  # fmt: skip
    assert first.record_id == "C1" and first.problems == [] and (first.number, first.line) == (1, 1)
    assert second.record is None and second.record_id == "C2" and (second.number, second.line) == (2, 3)
    assert second.problems == [("received_at", "'2026-11-05' does not match the format '%m/%d/%Y' (column 'Date')")]
    # Without a mapping the row is passed on as it is.
    (plain,) = read_jsonl(io.BytesIO(lines.splitlines(keepends=True)[0]))
    assert plain.record == {"Complaint ID": "C1", "Product": "Minor Repair", "Date": "11/05/2026", "Other": 1}
    assert plain.record_id is None


@pytest.mark.parametrize(("count", "required"), [(0, 0), (1, 1), (2, 1), (5, 2), (53, 22), (250, 100), (1001, 401)])
def test_the_required_count_is_the_rate_rounded_up(rate, count, required):
    # 40% of 53 is 21.2: 22 are required (a rounding a divisor of 101 would hide: 2120 / 101 = 20.99).
    quota = rate.follow_up_report([repair(i) for i in range(count)], "2026-11").rule("minor_repair")
    assert quota.required == required == math.ceil(count * 2 / 5)
    assert len(quota.matching) == count
    assert quota.achieved_rate == (0.0 if count else None)
    assert quota.met is (count == 0)


def test_an_exempt_rule_requires_nothing():
    exempt = RATE.replace("rule unhappy: 100% within 1 day after resolved_at by cs via visit", "rule unhappy: none")
    policy = cr.loads(exempt, name="exempt.policy")
    quota = policy.follow_up_report([repair(60, signed=False), repair(61, signed=False)], "2026-11").rule("unhappy")
    assert quota.rate is None and quota.matching == ("R60", "R61")
    assert quota.required == 0 and quota.shortfall == 0 and quota.to_add == () and quota.met


def test_records_already_followed_up_are_never_added(rate):
    # Ids chosen so the sample selects one record of twenty: the rate (8 of 20) then needs extra picks, in
    # sample order, and the records already followed up (the first in that order) must be passed over.
    ids = (f"X{n}" for n in range(10_000))
    unselected = [rid for rid in ids if sample_point("rate", "minor_repair", rid) >= 40][:19]
    selected = next(rid for rid in (f"Y{n}" for n in range(10_000)) if sample_point("rate", "minor_repair", rid) < 40)
    unselected.sort(key=lambda rid: sample_point("rate", "minor_repair", rid))
    followed = set(unselected[:3])
    records = []
    for rid in [selected, *unselected]:
        record = dict(repair(0), id=rid)
        if rid in followed:
            record["follow_ups"] = [{"at": "2026-11-20T10:00+08:00", "method": "phone"}]
        records.append(record)
    quota = rate.follow_up_report(records, "2026-11").rule("minor_repair")
    assert quota.selected == (selected,) and set(quota.followed_up) == followed
    assert quota.required == 8 and quota.shortfall == 5
    assert list(quota.to_add) == [selected, *unselected[3:7]]

