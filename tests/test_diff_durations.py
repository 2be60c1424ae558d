"""Durations compared by meaning: ``24 hours``, ``1440 minutes`` and (where a day is 24 hours) ``1 day`` are
one deadline; a witness that the two sides decide alike does not verify a region."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from complaint_rules import ir, load
from complaint_rules.calendars import calendar
from complaint_rules.compare import SemanticChange, diff, verify_witnesses
from complaint_rules.compare.durations import duration_key, steady

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "diff_fixtures"
LYCHEE = ROOT / "policies/property/complaint-template.policy"  # seed 000 标准 1 (until issue 20 in lychee-garden); Asia/Shanghai, effective 2026-12-01
CFPB = ROOT / "policies/finance/cfpb-bank.policy"  # America/New_York: daylight saving
RESPONSE = "rule response: response = 24 hours after received_at"


def variant(tmp_path: Path, path: Path, old: str, new: str, name: str = "new.policy") -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


@pytest.mark.parametrize("written", ["1440 minutes", "1 day"])
def test_a_deadline_rewritten_in_the_same_length_decides_nothing_differently(tmp_path, written):
    new = variant(tmp_path, LYCHEE, RESPONSE, f"rule response: response = {written} after received_at")
    d = diff(LYCHEE, new)
    assert d.semantic == [], [c.describe() for c in d.semantic]
    (change,) = d.structural
    assert (change.block, change.key, change.field, change.old, change.new) == (
        "deadlines", "response", "duration", "24 hours", written,
    )  # fmt: skip
    assert change.same is not None and change.same.startswith("same length")
    if written == "1 day":  # a day is 24 hours because the zone keeps one offset from the effective date
        assert change.same == "same length: Asia/Shanghai keeps UTC+08:00 from 2026-12-01 on"
    text = d.render("text")
    assert f"24 hours -> {written} (same length" in text
    assert "semantic: no record is decided differently" in text
    assert not d.notes


def test_the_same_length_fixture_has_only_marked_structural_changes():
    d = diff(FIX / "base.policy", FIX / "same_length.policy")
    assert d.semantic == []
    assert [(c.key, c.old, c.new, c.same) for c in d.structural] == [
        ("defect_contact", "2 hours", "120 minutes", "same length"),
        ("retain", "for 2 years", "for 24 months", "same length"),
    ]
    assert (
        "| changed | deadlines | `defect_contact` | duration | 2 hours | 120 minutes *(same length)* |"
        in d.render("markdown")
    )
    assert d.render("json").count('"same": "same length"') == 2


def test_days_are_not_24_hours_across_daylight_saving(tmp_path):
    new = variant(tmp_path, CFPB, "response = 15 days after sent_at", "response = 360 hours after sent_at")
    d = diff(CFPB, new)
    (change,) = d.structural
    assert change.same is None
    assert {c.output for c in d.semantic} == {
        "deadline response", "escalation response_reminder", "escalation response_overdue",
    }  # fmt: skip
    for c in d.semantic:  # each witness was moved to a start before a daylight-saving change
        assert c.verified is True, c.describe()
        assert c.observed_old != c.observed_new, c.describe()
    assert any(
        n.startswith("deadlines response_from_sent duration: 15 days and 360 hours are compared as different")
        and "America/New_York" in n
        for n in d.notes
    ), d.notes


def test_days_are_24_hours_only_from_the_effective_date(tmp_path):
    # Asia/Shanghai kept daylight saving 1986-1991; base.policy declares no effective date.
    base = FIX / "base.policy"
    hours = variant(tmp_path, base, "follow_up = 3 days after", "follow_up = 72 hours after", "hours.policy")
    d = diff(base, hours)
    (region,) = d.semantic
    assert region.output == "deadline follow_up"
    assert region.verified is False  # no witness after 1991 shows it: flagged, with why
    assert any("decided alike under both" in n for n in d.notes)
    assert any("no effective date is declared" in n for n in d.notes)
    dated = 'version "1"\n  effective 2026-12-01'
    old = variant(tmp_path, base, 'version "1"', dated, "old-dated.policy")
    new = variant(tmp_path, hours, 'version "1"', dated, "new-dated.policy")
    d = diff(old, new)
    assert d.semantic == [] and not d.notes
    assert d.structural[0].same == "same length: Asia/Shanghai keeps UTC+08:00 from 2026-12-01 on"


def test_duration_keys_compare_lengths():
    D = ir.Duration
    utc = ir.Header(id="x")
    shanghai = ir.Header(id="x", timezone="Asia/Shanghai", effective=dt.date(2026, 12, 1))
    new_york = ir.Header(id="x", timezone="America/New_York", effective=dt.date(2026, 12, 1))

    def key(amount, unit, h=utc):
        return duration_key(D(amount, unit), h)

    assert key(2, "hours") == key(120, "minutes")
    assert key(1, "days", shanghai) == key(24, "hours", shanghai) == key(1440, "minutes", shanghai)
    assert key(2, "weeks", utc) == key(336, "hours", utc)
    assert key(1, "weeks", new_york) == key(7, "days", new_york)
    assert key(1, "days", new_york) != key(24, "hours", new_york)
    assert key(1, "years", new_york) == key(12, "months", new_york)
    assert key(1, "months") != key(30, "days")
    assert key(1, "working_days") != key(24, "hours")
    assert key(1, "working_days") == key(1, "working_days")
    assert key(1, "working_days", shanghai) != key(1, "working_days", new_york)  # another calendar
    assert key(9, "business_hours") != key(9, "hours")
    assert key(0, "working_days") == key(0, "minutes") == key(0, "days", new_york)


def test_steady_zones():
    assert steady("UTC") and steady("Etc/GMT-8")
    assert not steady("America/New_York", dt.date(2026, 1, 1))
    assert steady("Asia/Shanghai", dt.date(2026, 12, 1))
    assert not steady("Asia/Shanghai", dt.date(1970, 1, 1))  # daylight saving 1986-1991
    assert not steady("No/Such_Zone")


def test_the_calendar_agrees_with_the_keys():
    """What the keys assume, checked against the calendar the evaluator uses."""
    shanghai, new_york = (
        calendar("CN", timezone="Asia/Shanghai"),
        calendar("NONE", timezone="America/New_York"),
    )
    for day in range(0, 400, 7):
        start = dt.datetime(2027, 1, 1, 9, 30, tzinfo=dt.timezone.utc) + dt.timedelta(
            days=day, hours=day % 24
        )
        assert shanghai.add(start, "1 day") == shanghai.add(start, "24 hours")
        assert shanghai.add(start, "2 weeks") == shanghai.add(start, "336 hours")
        assert new_york.add(start, "1 year") == new_york.add(start, "12 months")
        assert new_york.add(start, "2 hours") == new_york.add(start, "120 minutes")
    before_dst = dt.datetime(2027, 3, 13, 12, tzinfo=dt.timezone.utc)
    assert new_york.add(before_dst, "1 day") != new_york.add(before_dst, "24 hours")


def test_a_witness_decided_alike_is_not_verified(tmp_path):
    """Verification asks for a difference, not only for the rules each side names."""
    new = variant(tmp_path, LYCHEE, RESPONSE, "rule response: response = 1440 minutes after received_at")
    change = SemanticChange(
        output="deadline response",
        old="24 hours after received_at",
        new="1440 minutes after received_at",
        condition="level != intermediate",
        witness={"id": "w-1", "received_at": "2026-12-01T10:00:00+08:00"},
        old_rules=["response"],
        new_rules=["response"],
    )
    notes = verify_witnesses(load(LYCHEE), load(new), [change])
    assert change.verified is False
    assert change.observed_old == change.observed_new == "2026-12-02T10:00:00+08:00 (response)"
    assert any("is decided alike under both" in n for n in notes)


def test_a_new_working_calendar_is_shown_on_a_day_the_calendars_differ(tmp_path):
    new = variant(tmp_path, FIX / "base.policy", 'calendar "CN"', 'calendar "NONE"')
    d = diff(FIX / "base.policy", new)
    assert {c.output for c in d.semantic} == {"deadline first_contact", "escalation overdue"}
    for c in d.semantic:  # the witness was moved before a day CN works and plain weekdays do not (or back)
        assert c.verified is True, c.describe()
        assert c.observed_old != c.observed_new, c.describe()
    assert "(calendar CN Asia/Shanghai 09:00-18:00)" in d.semantic[0].old


def test_days_in_another_zone_are_another_deadline(tmp_path):
    new = variant(tmp_path, FIX / "base.policy", 'timezone "Asia/Shanghai"', 'timezone "America/New_York"')
    d = diff(FIX / "base.policy", new)
    (follow,) = [c for c in d.semantic if c.output == "deadline follow_up"]
    assert (follow.old, follow.new) == (
        "3 days (Asia/Shanghai) after resolved_at",
        "3 days (America/New_York) after resolved_at",
    )
    assert follow.verified is True and follow.observed_old != follow.observed_new
    # the due times are an hour apart: moved to a daylight-saving change in New York
    old, new_due = (
        dt.datetime.fromisoformat(o.split(" ")[0]) for o in (follow.observed_old, follow.observed_new)
    )
    assert abs(new_due - old) == dt.timedelta(hours=1)
