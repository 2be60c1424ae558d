"""``prove`` in time zones whose UTC offset changes: days and longer units are wall-clock time there.

A day in New York lasts 23 or 25 hours across a daylight-saving change (docs/calendar.md, "Units"), so a
comparison between ``1 day`` and ``24 hours`` holds for every start only in a zone that never changes its
offset. Every finding below must reproduce under ``Policy.evaluate``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaint_rules import ir
from complaint_rules.analysis import prove
from complaint_rules.analysis.replay import replay, reproduces
from complaint_rules.analysis.timing import bounds, policy_calendar
from complaint_rules.analysis.zones import changes_near, offset_spread
from complaint_rules.engine.interpreter import calendar_for
from complaint_rules.language.frontend.dsl import parse
from complaint_rules.policy import Policy, parse_text

BASE = """
policy "dst" {{
  currency USD
  calendar "US" nationwide
  hours 09:00-17:00
  timezone "{zone}"
}}
record {{
  urgent: bool = false
  received_at: datetime required
  resolved_at: datetime
}}
units {{ desk "Service desk" }}
levels {{ general "General"  major "Major" }}
classify first {{
  rule urgent: urgent -> major
  otherwise -> general
}}
route first {{
  otherwise -> desk
}}
deadlines {{
{deadlines}
}}
{extra}
follow_up {{
  otherwise: 100% within 3 days after resolved_at by desk via phone
}}
"""

NY = "America/New_York"
EARLY = {"deadlines": "  rule resp: response = {due} after received_at",
         "extra": "escalate {{\n  rule remind: remind desk {before} before response\n}}"}
MONOTONE = {"deadlines": "  rule major_resp: response = {major} after received_at when level == major\n"
                         "  rule resp: response = {general} after received_at",
            "extra": "invariants {{\n  rule mono: monotone deadline response\n}}"}  # fmt: skip


def _policy(zone: str, deadlines: str, extra: str) -> Policy:
    text = BASE.format(zone=zone, deadlines=deadlines, extra=extra)
    parsed = parse_text(text, "dst.policy")
    return Policy(parsed, parsed, "dst.policy")


def _early(zone: str, due: str, before: str) -> Policy:
    return _policy(zone, EARLY["deadlines"].format(due=due), EARLY["extra"].format(before=before))


def _monotone(zone: str, major: str, general: str) -> Policy:
    return _policy(zone, MONOTONE["deadlines"].format(major=major, general=general), MONOTONE["extra"].format())


def _near_a_change(zone: str, when: dt.datetime) -> bool:
    return any(dt.timedelta(days=-2) <= when - change <= dt.timedelta(days=2) for change in changes_near(zone))


def _checked(policy: Policy, invariants: bool = False):
    report = prove(policy, invariants=invariants)
    for finding in report.findings:
        assert reproduces(policy, finding) == (True, ""), finding.render()
    return replay(policy, report)


# ---------------------------------------------------------------------------- the zone's spread


def test_the_spread_of_a_zone_is_its_highest_minus_lowest_offset() -> None:
    assert offset_spread(None) == offset_spread("UTC") == offset_spread("Etc/GMT+5") == 0
    assert offset_spread(NY) == 60
    assert offset_spread("Asia/Shanghai") == 60  # daylight saving time 1986-1991
    assert offset_spread("Australia/Lord_Howe") >= 60  # LMT, then a half-hour DST
    assert offset_spread("Not/A_Zone") >= 25 * 60  # unknown: nothing is decided by the bounds


def test_offset_changes_are_exact_and_nearest_2026_first() -> None:
    changes = changes_near(NY)
    assert set(changes[:2]) == {dt.datetime(2026, 3, 8, 7, tzinfo=dt.timezone.utc),
                                dt.datetime(2026, 11, 1, 6, tzinfo=dt.timezone.utc)}  # fmt: skip
    tz = ZoneInfo(NY)
    for change in changes:
        before = (change - dt.timedelta(seconds=1)).astimezone(tz).utcoffset()
        assert change.astimezone(tz).utcoffset() != before
    assert changes_near("UTC") == ()


def test_wall_clock_units_are_bounded_by_the_spread() -> None:
    day, hours = ir.Duration(1, "days"), ir.Duration(24, "hours")
    assert bounds((1, day), 8.0) == (1440, 1440)
    assert bounds((1, day), 8.0, 60) == (1380, 1500)
    assert bounds((-1, day), 8.0, 60) == (-1500, -1380)
    assert bounds((1, hours), 8.0, 60) == (1440, 1440)  # elapsed time: the zone plays no part
    assert bounds((1, ir.Duration(2, "weeks")), 8.0, 60) == (20160 - 60, 20160 + 60)
    assert bounds((1, ir.Duration(0, "days")), 8.0, 60) == (0, 0)


# ---------------------------------------------------------------------------- early due times


def test_a_day_before_a_24_hour_deadline_is_early_where_the_clocks_go_back() -> None:
    policy = _early(NY, "24 hours", "1 day")
    report = _checked(policy)
    assert [(f.kind, f.rule) for f in report.findings] == [("timing.before_start", "remind")], report.render()
    assert not report.uncovered
    finding = report.findings[0]
    start = dt.datetime.fromisoformat(finding.details["start"])
    assert finding.record["received_at"] == start
    assert _near_a_change(NY, start)
    decision = policy.evaluate(finding.record)
    assert decision.escalation("remind").due_at < start


@pytest.mark.parametrize("zone", ["UTC", "Etc/GMT+5"])
def test_in_a_zone_without_offset_changes_a_day_is_24_hours(zone: str) -> None:
    assert _checked(_early(zone, "24 hours", "1 day")).proven
    assert _checked(_monotone(zone, "1 day", "24 hours"), invariants=True).proven


def test_a_short_day_is_found_too() -> None:
    # 1 day then 1425 minutes back: 15 minutes after the start, but 45 minutes before it when the day is 23 hours.
    policy = _early(NY, "1 day", "1425 minutes")
    report = _checked(policy)
    assert [(f.kind, f.rule) for f in report.findings] == [("timing.before_start", "remind")], report.render()
    start = dt.datetime.fromisoformat(report.findings[0].details["start"])
    assert _near_a_change(NY, start) and start.month == 3


def test_bounds_still_decide_when_the_margin_covers_the_spread() -> None:
    assert _checked(_early(NY, "2 days", "1 day")).proven
    assert _checked(_early(NY, "26 hours", "1 day")).proven


def test_what_no_start_shows_is_not_covered_never_proven() -> None:
    # New York changes its clocks on Sundays, not working days: never early, but the bounds cannot show it.
    report = _checked(_early(NY, "1 working day", "24 hours"))
    assert not report.findings and not report.proven
    assert any("offset changes" in note for note in report.uncovered), report.render()


def test_a_zone_with_past_offset_changes_gets_a_counterexample_then() -> None:
    report = _checked(_early("Asia/Shanghai", "24 hours", "1 day"))
    assert [f.kind for f in report.findings] == ["timing.before_start"], report.render()
    start = dt.datetime.fromisoformat(report.findings[0].details["start"])
    assert 1986 <= start.year <= 1991 and _near_a_change("Asia/Shanghai", start)


# ---------------------------------------------------------------------------- monotone deadlines


def test_one_day_for_major_can_be_later_than_24_hours_for_general() -> None:
    policy = _monotone(NY, "1 day", "24 hours")
    report = _checked(policy)
    assert [(f.kind, f.rule) for f in report.findings] == [("invariant.deadline", "mono")], report.render()
    finding = report.findings[0]
    higher, lower = policy.evaluate(finding.record), policy.evaluate(finding.details["lower_record"])
    assert (lower.level, higher.level) == ("general", "major")
    assert higher.deadline("response") > lower.deadline("response")
    assert _near_a_change(NY, dt.datetime.fromisoformat(finding.details["start"]))


def test_the_built_in_deadline_invariant_compares_wall_clock_days_too() -> None:
    policy = _monotone(NY, "1 day", "24 hours")
    report = _checked(policy, invariants=True)
    built_in = [f for f in report.findings if f.block == "deadlines"]
    assert [(f.kind, f.rule) for f in built_in] == [("invariant.deadline", "major_resp")], report.render()
    start = dt.datetime.fromisoformat(built_in[0].details["start"])
    assert built_in[0].record["received_at"] == start
    decision = policy.evaluate(built_in[0].record)
    assert decision.deadline("response") > start + dt.timedelta(hours=24)


def test_monotone_deadlines_the_spread_cannot_break_stay_proven() -> None:
    assert _checked(_monotone(NY, "23 hours", "1 day"), invariants=True).proven
    assert _checked(_monotone(NY, "1 day", "2 days"), invariants=True).proven
    assert _checked(_monotone(NY, "2 business hours", "3 business hours"), invariants=True).proven


def test_24_hours_for_major_against_1_day_for_general_is_not_proven() -> None:
    # 24 hours is later than a 23-hour day: found on the March change.
    report = _checked(_monotone(NY, "24 hours", "1 day"))
    assert [(f.kind, f.rule) for f in report.findings] == [("invariant.deadline", "mono")], report.render()
    assert dt.datetime.fromisoformat(report.findings[0].details["start"]).month == 3


def test_the_calendar_searched_is_the_evaluators() -> None:
    policy = parse(BASE.format(zone=NY, deadlines="", extra="").replace('  calendar "US" nationwide\n', ""), "nocal.policy")
    assert policy.header.calendar is None
    assert policy_calendar(policy) == calendar_for(policy)  # plain weekdays, not some country's holidays
