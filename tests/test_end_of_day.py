"""`end of day` / `end of N working days`: the close of a working day as a due time."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaint_rules
from complaint_rules import PolicyError, ir, loads
from complaint_rules.calendars import Calendar, parse_duration
from complaint_rules.errors import CalendarError

CN = Calendar("CN", "08:30-18:00", "Asia/Shanghai")
ALL_DAY = Calendar("CN", None, "Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("start", "same_day", "next_day"),
    [
        ("2026-12-01T10:00+08:00", "2026-12-01T18:00+08:00", "2026-12-02T18:00+08:00"),  # a Tuesday, open
        ("2026-12-01T07:00+08:00", "2026-12-01T18:00+08:00", "2026-12-02T18:00+08:00"),  # before opening
        ("2026-12-01T18:00+08:00", "2026-12-01T18:00+08:00", "2026-12-02T18:00+08:00"),  # at closing: still today
        ("2026-12-01T18:01+08:00", "2026-12-02T18:00+08:00", "2026-12-03T18:00+08:00"),  # after closing
        ("2026-12-05T10:00+08:00", "2026-12-07T18:00+08:00", "2026-12-08T18:00+08:00"),  # Saturday
        ("2026-09-30T17:00+08:00", "2026-09-30T18:00+08:00", "2026-10-08T18:00+08:00"),  # before National Day
        ("2026-10-09T19:00+08:00", "2026-10-10T18:00+08:00", "2026-10-12T18:00+08:00"),  # Saturday make-up day
        ("2026-12-01T03:00Z", "2026-12-01T18:00+08:00", "2026-12-02T18:00+08:00"),  # 11:00 in Shanghai
    ],
)
def test_end_of_day_is_the_close_of_the_anchors_working_day(start, same_day, next_day):
    assert CN.add(at(start), "end of day") == at(same_day)
    assert CN.add(at(start), "end of 1 working day") == at(next_day)
    assert CN.add(at(start), ir.Duration(1, "end_of_day")) == at(next_day)


def test_without_business_hours_a_day_closes_at_midnight():
    assert ALL_DAY.add(at("2026-12-01T10:00+08:00"), "end of day") == at("2026-12-02T00:00+08:00")
    assert ALL_DAY.add(at("2026-12-04T23:59+08:00"), "end of day") == at("2026-12-05T00:00+08:00")  # Friday
    assert ALL_DAY.add(at("2026-12-05T10:00+08:00"), "end of day") == at("2026-12-08T00:00+08:00")  # Saturday


@settings(max_examples=200, deadline=None)
@given(
    cal=st.sampled_from([CN, ALL_DAY, Calendar("US", "09:00-17:00", "America/New_York")]),
    minutes=st.integers(0, 340 * 24 * 60),  # deadlines stay inside 2026, the CN data's last year
    n=st.integers(0, 5),
)
def test_end_of_day_never_comes_before_its_anchor_and_is_a_close(cal, minutes, n):
    start = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=minutes)
    due = cal.add(start, ir.Duration(n, "end_of_day"))
    assert due >= start
    local = due.astimezone(cal.tzinfo)
    closing = cal.hours[1] if cal.hours else dt.time(0)
    assert local.time() == closing
    worked = (local - dt.timedelta(minutes=1)).date()  # the working day that closes (24:00 is the next day's 00:00)
    assert cal.is_working_day(worked)
    assert cal.shifter(ir.Duration(n, "end_of_day"))(start) == due


def test_end_of_day_is_a_point_not_a_length():
    with pytest.raises(CalendarError, match="cannot be subtracted"):
        CN.subtract(at("2026-12-01T10:00+08:00"), "end of day")
    with pytest.raises(CalendarError, match="cannot be subtracted"):
        CN.shifter("end of 2 working days", -1)(at("2026-12-01T10:00+08:00"))
    with pytest.raises(ValueError, match="'end of' counts working days"):
        parse_duration("end of 2 days")
    assert parse_duration("End  of Day") == ir.Duration(0, "end_of_day")
    assert str(parse_duration("end of 2 working days")) == "end of 2 working days"
    assert str(parse_duration("end of 1 working day")) == "end of 1 working day"


POLICY = """\
policy "eod" {
  calendar "CN"
  hours 08:30-18:00
  timezone "Asia/Shanghai"
}

record {
  id: text required
  received_at: datetime required
  resolved_at: datetime
  wait: duration
}

units {
  cs "Customer service"
}

levels {
  general "General"
}

classify first {
  otherwise -> general
}

route first {
  otherwise -> cs
}

deadlines {
  rule reply: reply = end of day after received_at
  rule close: close = end of 2 working days after received_at
}

escalate {
  rule late: notify cs end of day after reply
}

follow_up {
  otherwise: 100% within end of day after resolved_at by cs via phone
}

obligations {
  rule call: call "Call back" by cs end of 1 working day after received_at
}
"""


def test_every_due_time_may_be_the_end_of_a_day_and_round_trips():
    policy = loads(POLICY, name="eod.policy")
    assert policy.to_dsl() == POLICY
    assert loads(policy.to_yaml(), format="yaml") == policy
    assert "within: end of 2 working days" in policy.to_yaml()
    record = {"id": "1", "received_at": "2026-12-01T19:00+08:00", "resolved_at": "2026-12-03T10:00+08:00"}
    d = policy.evaluate(record)
    assert d.deadline("reply") == at("2026-12-02T18:00+08:00")  # received after closing: the next working day
    assert d.deadline("close") == at("2026-12-04T18:00+08:00")
    assert d.escalations[0].due_at == at("2026-12-02T18:00+08:00")  # the reply's own day closes with it
    assert d.follow_up.due_at == at("2026-12-03T18:00+08:00")
    assert d.obligations[0].due_at == at("2026-12-03T18:00+08:00")
    assert policy.interpret(record) == d


def test_end_of_day_only_where_a_point_in_time_makes_sense():
    with pytest.raises(PolicyError, match=r"eod.policy:32:23: 'end of' counts working days"):
        loads(POLICY.replace("end of 2 working days after", "end of 2 days after"), name="eod.policy")
    # A reminder "end of day before" a deadline is no time at all.
    with pytest.raises(PolicyError, match=r"eod.policy:36:35: unexpected 'before'; expected 'after'"):
        loads(POLICY.replace("notify cs end of day after reply", "notify cs end of day before reply"),
              name="eod.policy")
    with pytest.raises(PolicyError, match=r"eod.policy:44:41: unexpected 'end'"):  # nor a retention "for end of day"
        loads(POLICY.replace('by cs end of 1 working day after received_at', 'by cs for end of day'), name="eod.policy")
    policy = complaint_rules.loads(POLICY)
    with pytest.raises(complaint_rules.RecordError, match="wait: expected a length of time"):
        policy.evaluate({"id": "1", "received_at": "2026-12-01T10:00+08:00", "wait": "end of day"})


def test_prove_bounds_end_of_day_and_finds_a_reminder_that_can_come_first():
    from complaint_rules.analysis.prove import prove
    from complaint_rules.analysis.replay import replay

    policy = loads(POLICY, name="eod.policy")
    assert prove(policy.ir).proven  # every due time is at or after its anchor
    early = loads(POLICY.replace("notify cs end of day after reply", "remind cs 1 hour before reply"), name="e.policy")
    report = prove(early.ir)
    replay(early, report)
    [finding] = [f for f in report.findings if f.kind == "timing.before_start"]
    received = finding.record["received_at"]
    assert early.evaluate(finding.record).escalations[0].due_at < received  # it reproduces
