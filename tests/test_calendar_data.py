"""Calendar data files (docs/calendar.md): format, validation, the three ways to supply them, precedence,
coverage and its horizon, and the rules that keep a calendar from meaning less than it says."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import shutil
import sys
from pathlib import Path

import pytest

import complaint_rules as cr
from complaint_rules.calendars import (
    Calendar,
    CalendarData,
    CalendarDataError,
    CalendarError,
    calendar,
    load_calendar_data,
    parse_calendar_data,
    regional_subdivisions,
    usual_zone,
)
from complaint_rules.cli import main
from complaint_rules.engine.record import schema_for
from complaint_rules.errors import PolicyError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "calendars"
CN_2027 = FIXTURES / "cn-2027.yaml"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
LAST_DAY = dt.datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)  # a Thursday; 2027-01-01 is a fixture holiday
# Every bundled CN policy with a working-day first-reply/first-contact/call-back clock.
CN_POLICIES = [
    ("policies/automotive/svw-dealer.policy", "first_contact"),
    ("policies/automotive/svw-dealer-shenzhen.policy", "first_contact"),
    ("policies/property/follow-up-guide.policy", "first_reply"),
    ("policies/callcenter/tiered-desk.policy", "call_back"),
]

HEAD = """country: CN
source:
  title: a test notice
years:
"""


def errors_of(text: str, name: str = "cn.yaml") -> str:
    with pytest.raises(CalendarDataError) as info:
        parse_calendar_data(text, name)
    assert isinstance(info.value, CalendarError) and isinstance(info.value, PolicyError)
    return info.value.render()


# ---------------------------------------------------------------------------- the file and its validation


def test_the_fixture_loads_and_is_labelled_a_test_fixture() -> None:
    (data,) = load_calendar_data(CN_2027)
    assert data.country == "CN" and [y.year for y in data.years] == [2027]
    assert "TEST FIXTURE" in data.title and "TEST FIXTURE" in CN_2027.read_text(encoding="utf-8")
    assert dt.date(2027, 1, 1) in data.years[0].holidays
    assert data.years[0].workdays[0] == dt.date(2027, 2, 6)


def test_a_date_outside_its_year() -> None:
    assert errors_of(HEAD + "  2027:\n    holidays: [2027-01-01, 2028-01-03]\n") == (
        "cn.yaml:6:28: 2028-01-03 is not in 2027, the year it is listed under\n"
        "        holidays: [2027-01-01, 2028-01-03]\n"
        "                               ^~~~~~~~~~"
    )


def test_a_date_both_holiday_and_workday() -> None:
    assert errors_of(HEAD + "  2027:\n    holidays: [2027-02-06]\n    workdays: [2027-02-06]\n") == (
        "cn.yaml:7:16: 2027-02-06 is both a holiday and a workday\n"
        "        workdays: [2027-02-06]\n"
        "                   ^~~~~~~~~~"
    )


def test_a_make_up_workday_on_a_weekday() -> None:
    assert errors_of(HEAD + "  2027:\n    workdays: [2027-02-08]\n") == (
        "cn.yaml:6:16: make-up workday 2027-02-08 is a Monday, already a working day in CN "
        "(a make-up workday is a weekend day)\n"
        "        workdays: [2027-02-08]\n"
        "                   ^~~~~~~~~~"
    )


def test_a_duplicate_year() -> None:
    text = HEAD + "  2027:\n    holidays: [2027-01-01]\n  2027:\n    holidays: [2027-01-02]\n"
    assert errors_of(text) == (
        "cn.yaml:7:3: year 2027 is declared twice (first at cn.yaml:5:3)\n"
        "      2027:\n"
        "      ^~~~"
    )


def test_an_unknown_country() -> None:
    text = HEAD.replace("country: CN", "country: XX") + "  2027:\n    holidays: [2027-01-01]\n"
    assert errors_of(text) == (
        "cn.yaml:1:10: unknown calendar 'XX': use a country code known to the holidays package "
        "(e.g. 'CN', 'US', 'US-CA') or 'NONE' for plain weekdays\n"
        "    country: XX\n"
        "             ^~"
    )


def test_a_malformed_date() -> None:
    assert errors_of(HEAD + "  2027:\n    holidays: [2027-02-30]\n") == (
        "cn.yaml:6:16: a date in 'holidays' of 2027: '2027-02-30' is not a valid date (YYYY-MM-DD)\n"
        "        holidays: [2027-02-30]\n"
        "                   ^~~~~~~~~~"
    )


def test_unknown_keys_anywhere() -> None:
    text = HEAD.replace("  title:", "  titel: x\n  title:") + "  2027:\n    holiday: [2027-01-01]\n"
    out = errors_of(text)
    assert out.splitlines()[0] == (
        "cn.yaml:3:3: unknown key 'titel' in 'source' (did you mean 'title'?); expected one of title, date, url"
    )
    assert "cn.yaml:7:5: unknown key 'holiday' in year 2027 (did you mean 'holidays'?)" in out


def test_a_subdivision_must_exist() -> None:
    text = "country: GB\nsubdivision: XX\nsource:\n  title: t\nyears:\n  2027:\n    holidays: []\n"
    assert errors_of(text).splitlines()[0] == (
        "cn.yaml:2:14: unknown calendar 'GB-XX': GB has no subdivision 'XX'; "
        "expected one of GB-ENG, GB-NIR, GB-SCT, GB-WLS"
    )


# ---------------------------------------------------------------------------- the calendar with data


def test_a_declared_year_is_covered_and_shifts_work_in_it() -> None:
    plain = calendar("CN", hours="09:00-18:00", timezone="Asia/Shanghai")
    cal = calendar("CN", hours="09:00-18:00", timezone="Asia/Shanghai", data=CN_2027)
    assert not plain.covers(2027) and cal.covers(2027) and not cal.covers(2028)
    with pytest.raises(CalendarError, match="no holiday data for 2027"):
        plain.add(LAST_DAY, "1 working day")
    assert cal.add(LAST_DAY, "1 working day") == dt.datetime(2027, 1, 4, 10, tzinfo=SHANGHAI)
    assert cal.add(LAST_DAY, "10 business hours") == dt.datetime(2027, 1, 4, 11, tzinfo=SHANGHAI)
    assert cal.is_working_day(dt.date(2027, 2, 6))  # a make-up Saturday of the fixture
    assert not cal.is_working_day(dt.date(2027, 2, 8))
    assert cal.coverage == (2004, 2027)
    assert cal.source_of(2026).startswith("chinesecalendar ")
    assert cal.source_of(2027) == f"{cal.data[0].path} ({cal.data[0].title})"
    assert cal.source_of(2028) is None
    assert [r[:2] for r in cal.coverage_ranges()] == [(2004, 2026), (2027, 2027)]


def test_data_as_a_path_a_mapping_or_an_object_is_the_same_calendar() -> None:
    (loaded,) = load_calendar_data(CN_2027)
    mapping = {"country": "CN", "source": {"title": loaded.title},
               "years": {2027: {"holidays": list(loaded.years[0].holidays),
                                "workdays": list(loaded.years[0].workdays)}}}  # fmt: skip
    from_mapping = calendar("CN", data=mapping)
    assert from_mapping.add(LAST_DAY, "1 working day") == calendar("CN", data=loaded).add(LAST_DAY, "1 working day")
    assert calendar("CN", data=str(CN_2027)) is calendar("CN", data=[loaded])  # the cache: equal data, one object
    with pytest.raises(CalendarError, match="expected a path, a mapping"):
        calendar("CN", data=42)


def test_the_cache_tells_different_data_apart_and_pickling_keeps_it(tmp_path: Path) -> None:
    other = tmp_path / "cn.yaml"
    other.write_text(CN_2027.read_text(encoding="utf-8").replace("2027-01-01, ", ""), encoding="utf-8")
    a, b = calendar("CN", data=CN_2027), calendar("CN", data=other)
    assert a is not b and a != b
    assert a.is_working_day(dt.date(2027, 1, 1)) is False and b.is_working_day(dt.date(2027, 1, 1)) is True
    assert pickle.loads(pickle.dumps(b)) is b and pickle.loads(pickle.dumps(a)) is a
    with pytest.raises(AttributeError):
        a.data = ()  # type: ignore[misc]


def test_data_of_another_country_is_not_used() -> None:
    cal = calendar("HK", data=CN_2027)
    assert cal.data == () and cal.source_of(2027).startswith("holidays ")


def _cn_2026(overrides: bool) -> str:
    days = "[2026-01-01, 2026-01-02, 2026-10-01]"  # far fewer holidays than the State Council's 2026
    return HEAD + f"  2026:\n    holidays: {days}\n" + ("    overrides: true\n" if overrides else "")


def test_data_that_disagrees_with_the_package_is_an_error_naming_both() -> None:
    data = parse_calendar_data(_cn_2026(False), "cn-2026.yaml")
    with pytest.raises(CalendarDataError) as info:
        Calendar("CN", data=data)
    text = info.value.render()
    assert text.startswith(
        "cn-2026.yaml:5:3: 2026 in cn-2026.yaml disagrees with chinesecalendar 1.11.0, which also covers 2026: "
        "2026-01-04 is a holiday here, 2026-02-14 is a holiday here, 2026-02-16 is a working day here and "
    )
    assert text.endswith("set 'overrides: true' under 2026 if this file replaces those days\n      2026:\n      ^~~~")


def test_overrides_replaces_the_package_year() -> None:
    cal = Calendar("CN", data=parse_calendar_data(_cn_2026(True), "cn-2026.yaml"))
    assert cal.is_working_day(dt.date(2026, 2, 16))  # Spring Festival in the package, a workday in the file
    assert not cal.is_working_day(dt.date(2026, 1, 4))  # the package's make-up Sunday is gone
    assert cal.source_of(2026) == "cn-2026.yaml (a test notice)"


def test_data_agreeing_with_the_package_needs_no_override() -> None:
    import chinese_calendar

    holidays = sorted(d for d in chinese_calendar.holidays if d.year == 2026)
    workdays = sorted(d for d in chinese_calendar.workdays if d.year == 2026)
    mapping = {"country": "CN", "source": {"title": "copy"},
               "years": {2026: {"holidays": holidays, "workdays": workdays}}}  # fmt: skip
    assert calendar("CN", data=mapping).source_of(2026) == "<mapping> (copy)"


# ---------------------------------------------------------------------------- supplied by a policy, a host, operations


def _record(policy: cr.Policy) -> dict:
    rec: dict = {"id": "T1", "received_at": LAST_DAY.isoformat()}
    for name, f in schema_for(policy.ir).items():
        if f.required and name not in rec:
            rec[name] = f.type.members[0] if f.type.kind == "enum" else "x"
    return rec


def _due(policy: cr.Policy, clock: str) -> dt.datetime:
    decision = policy.evaluate(_record(policy))
    interpreted = policy.interpret(_record(policy))
    assert decision == interpreted
    (due,) = [d.due_at for d in decision.deadlines if d.clock == clock]
    return due


EXPECTED_DUE = dt.datetime(2027, 1, 4, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("path", "clock"), CN_POLICIES)
def test_bundled_cn_policies_are_incomplete_in_2027_without_data(path: str, clock: str) -> None:
    policy = cr.load(ROOT / path)
    decision = policy.evaluate(_record(policy))
    assert decision.incomplete and decision.level is not None
    assert decision.deadline(clock) is None and "2027" in decision.problem(clock).message
    with pytest.raises(cr.EvaluationError, match="no holiday data for 2027"):
        policy.evaluate(_record(policy), strict=True)


@pytest.mark.parametrize(("path", "clock"), CN_POLICIES)
def test_bundled_cn_policies_decide_with_data_from_the_api(path: str, clock: str) -> None:
    assert _due(cr.load(ROOT / path, calendar_data=FIXTURES), clock) == EXPECTED_DUE
    text = (ROOT / path).read_text(encoding="utf-8")
    if "extends" not in text:  # loads() takes no overlays
        assert _due(cr.loads(text, calendar_data=CN_2027), clock) == EXPECTED_DUE


@pytest.mark.parametrize(("path", "clock"), CN_POLICIES)
def test_bundled_cn_policies_decide_with_data_from_the_policy(tmp_path: Path, path: str, clock: str) -> None:
    shutil.copy(CN_2027, tmp_path / "cn-2027.yaml")
    overlay = tmp_path / "with-data.policy"
    base = os.path.relpath(ROOT / path, tmp_path)
    overlay.write_text(f'policy "with-data" {{\n  calendar "CN" data "cn-2027.yaml"\n}}\n\n'
                       f'extends "{base}"\n', encoding="utf-8")  # fmt: skip
    policy = cr.load(overlay, root="/")  # the base lives outside the overlay's folder
    assert policy.ir.header.calendar_data == "cn-2027.yaml"
    assert _due(policy, clock) == EXPECTED_DUE


@pytest.mark.parametrize(("path", "clock"), CN_POLICIES)
def test_bundled_cn_policies_decide_with_data_from_the_cli_and_the_env(
    tmp_path: Path, capsys, monkeypatch, path: str, clock: str
) -> None:
    records = tmp_path / "r.jsonl"
    policy = cr.load(ROOT / path, calendar_data=FIXTURES)
    records.write_text(json.dumps(_record(policy)) + "\n", encoding="utf-8")
    assert main(["eval", str(ROOT / path), str(records)]) == 3  # no data: an incomplete decision
    capsys.readouterr()
    for argv, env in ((["--calendar-data", str(FIXTURES)], None), ([], str(FIXTURES))):
        if env:
            monkeypatch.setenv("COMPLAINT_RULES_CALENDAR_DATA", env)
        assert main(["eval", str(ROOT / path), str(records), *argv]) == 0
        (line,) = capsys.readouterr().out.splitlines()
        (due,) = [d["due_at"] for d in json.loads(line)["deadlines"] if d["clock"] == clock]
        assert dt.datetime.fromisoformat(due) == EXPECTED_DUE


def test_precedence_the_policys_own_file_wins_over_the_host(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text(CN_2027.read_text(encoding="utf-8").replace("holidays: [2027-01-01, ", "holidays: ["),
                   encoding="utf-8")  # fmt: skip
    policy_file = tmp_path / "p.policy"
    policy_file.write_text(
        'policy "p" {\n  calendar "CN" data "own.yaml"\n  timezone "Asia/Shanghai"\n}\n\n'
        "record {\n  received_at: datetime required\n}\n\n"
        "deadlines {\n  rule reply: reply = 1 working day after received_at\n}\n",
        encoding="utf-8",
    )
    due = cr.load(policy_file, calendar_data=CN_2027).evaluate({"id": "a", "received_at": LAST_DAY}).deadlines[0]
    assert due.due_at == dt.datetime(2027, 1, 1, 10, tzinfo=SHANGHAI)  # own.yaml: 2027-01-01 is a working day
    host_only = tmp_path / "q.policy"
    host_only.write_text(policy_file.read_text(encoding="utf-8").replace(' data "own.yaml"', ""), encoding="utf-8")
    due = cr.load(host_only, calendar_data=[CN_2027, own]).evaluate({"id": "a", "received_at": LAST_DAY})
    assert due.deadlines[0].due_at == EXPECTED_DUE  # the first supplied wins


def test_the_fingerprint_changes_with_the_data_files_content(tmp_path: Path) -> None:
    data = tmp_path / "cn.yaml"
    data.write_text(CN_2027.read_text(encoding="utf-8"), encoding="utf-8")
    policy_file = tmp_path / "p.policy"
    policy_file.write_text('policy "p" {\n  calendar "CN" data "cn.yaml"\n}\n', encoding="utf-8")
    first = cr.load(policy_file).fingerprint
    assert cr.load(policy_file).fingerprint == first
    data.write_text("# a comment is not a meaning\n" + data.read_text(encoding="utf-8"), encoding="utf-8")
    assert cr.load(policy_file).fingerprint == first
    data.write_text(data.read_text(encoding="utf-8").replace("2027-01-01, ", ""), encoding="utf-8")
    assert cr.load(policy_file).fingerprint != first
    assert cr.load(policy_file).fingerprint != cr.loads('policy "p" {\n  calendar "CN"\n}\n').fingerprint


def test_a_bad_data_file_named_by_a_policy_is_a_located_error(tmp_path: Path) -> None:
    policy_file = tmp_path / "p.policy"
    policy_file.write_text('policy "p" {\n  calendar "CN" data "missing.yaml"\n}\n', encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        cr.load(policy_file)
    assert info.value.render().splitlines()[0].endswith(
        "p.policy:2:22: calendar data names 'missing.yaml', which does not exist")
    (tmp_path / "bad.yaml").write_text(HEAD + "  2027:\n    workdays: [2027-02-08]\n", encoding="utf-8")
    policy_file.write_text('policy "p" {\n  calendar "CN" data "bad.yaml"\n}\n', encoding="utf-8")
    with pytest.raises(CalendarDataError, match=r"bad.yaml:6:16: make-up workday 2027-02-08 is a Monday"):
        cr.load(policy_file)
    with pytest.raises(PolicyError, match="must be loaded from a file"):
        cr.loads('policy "p" {\n  calendar "CN" data "bad.yaml"\n}\n')


@pytest.mark.parametrize(("named", "reason"), [
    ("/dev/zero", "calendar data takes a path relative to the policy, not '/dev/zero'"),
    ("../outside.yaml", "calendar data names '../outside.yaml', which is outside the policy root"),
    ("data.txt", "calendar data names 'data.txt', which is not a YAML file (expected .yaml, .yml)"),
    ("folder.yaml", "calendar data names 'folder.yaml', which is not a regular file"),
])  # fmt: skip
def test_a_policys_data_file_is_held_to_the_rules_of_extends(tmp_path: Path, named: str, reason: str) -> None:
    inner = tmp_path / "inner"
    (inner / "folder.yaml").mkdir(parents=True)
    shutil.copy(CN_2027, tmp_path / "outside.yaml")  # a real data file, but above the policy's root
    policy_file = inner / "p.policy"
    policy_file.write_text(f'policy "p" {{\n  calendar "CN" data "{named}"\n}}\n', encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        cr.load(policy_file)
    assert info.value.line == 2 and info.value.column == 22
    assert reason in info.value.render().splitlines()[0]


def test_a_data_file_of_another_country_named_by_a_policy_is_an_error(tmp_path: Path) -> None:
    shutil.copy(CN_2027, tmp_path / "cn.yaml")
    policy_file = tmp_path / "p.policy"
    policy_file.write_text('policy "p" {\n  calendar "HK" data "cn.yaml"\n}\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"p.policy:2:22: calendar data .*cn.yaml is for CN, not the policy's calendar HK"):
        cr.load(policy_file)


def test_data_and_nationwide_round_trip_through_dsl_and_yaml(tmp_path: Path) -> None:
    shutil.copy(CN_2027, tmp_path / "cn.yaml")
    text = 'policy "p" {\n  calendar "CN" data "cn.yaml"\n  timezone "Asia/Shanghai"\n}\n'
    dsl = tmp_path / "p.policy"
    dsl.write_text(text, encoding="utf-8")
    policy = cr.load(dsl)
    assert policy.to_dsl() == text
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text(policy.to_yaml(), encoding="utf-8")
    assert "calendar_data: cn.yaml" in policy.to_yaml()
    assert cr.load(yaml_file) == policy and cr.load(yaml_file).fingerprint == policy.fingerprint
    gb = cr.loads('policy "g" {\n  calendar "GB" nationwide\n  timezone "Europe/London"\n}\n')
    assert gb.to_dsl() == 'policy "g" {\n  calendar "GB" nationwide\n  timezone "Europe/London"\n}\n'
    assert "nationwide: true" in gb.to_yaml()
    assert cr.loads(gb.to_yaml(), format="yaml") == gb


def test_an_overlay_inherits_its_bases_data_and_may_replace_it(tmp_path: Path) -> None:
    shutil.copy(CN_2027, tmp_path / "cn.yaml")
    (tmp_path / "base.policy").write_text(
        'policy "base" {\n  calendar "CN" data "cn.yaml"\n  timezone "Asia/Shanghai"\n}\n\n'
        "record {\n  received_at: datetime required\n}\n\n"
        "deadlines {\n  rule reply: reply = 1 working day after received_at\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "child.policy").write_text('policy "child" {\n}\n\nextends "base.policy"\n', encoding="utf-8")
    child = cr.load(tmp_path / "child.policy")
    assert child.evaluate({"id": "a", "received_at": LAST_DAY}).deadlines[0].due_at == EXPECTED_DUE
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.yaml").write_text(
        CN_2027.read_text(encoding="utf-8").replace("holidays: [2027-01-01, ", "holidays: ["), encoding="utf-8"
    )
    (tmp_path / "sub" / "child.policy").write_text(
        'policy "child" {\n  calendar "CN" data "other.yaml"\n}\n\nextends "../base.policy"\n', encoding="utf-8"
    )
    replaced = cr.load(tmp_path / "sub" / "child.policy", root=tmp_path)
    assert replaced.evaluate({"id": "a", "received_at": LAST_DAY}).deadlines[0].due_at == dt.datetime(
        2027, 1, 1, 10, tzinfo=SHANGHAI
    )


# ---------------------------------------------------------------------------- horizon and the calendar command


def test_check_warns_when_the_data_ends_within_the_horizon(capsys) -> None:
    dealer = str(ROOT / "policies/automotive/svw-dealer.policy")
    assert main(["check", "--today", "2026-12-02", dealer]) == 0
    err = capsys.readouterr().out
    assert (
        "svw-dealer.policy: warning: the 'CN' calendar's holiday data ends 2026-12-31 (29 days from 2026-12-02; "
        "chinesecalendar 1.11.0): working-day deadlines after it cannot be placed (incomplete decisions) until 2027's data is supplied"
    ) in err
    assert main(["check", "--today", "2026-10-01", dealer]) == 0
    assert "warning" not in capsys.readouterr().out  # 91 days ahead: beyond the 60-day horizon
    assert main(["check", "--today", "2026-10-01", "--horizon", "120", dealer]) == 0
    assert "ends 2026-12-31 (91 days from 2026-10-01" in capsys.readouterr().out
    assert main(["check", "--today", "2026-12-02", "--calendar-data", str(FIXTURES), dealer]) == 0
    assert "warning" not in capsys.readouterr().out
    assert main(["check", "--today", "2027-01-05", dealer]) == 0
    assert "has no holiday data for 2027 (today is 2027-01-05)" in capsys.readouterr().out


def test_check_horizon_today_from_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("COMPLAINT_RULES_TODAY", "2026-11-30")
    assert main(["check", "-q", str(ROOT / "policies/automotive/svw-dealer.policy")]) == 0
    assert "(31 days from 2026-11-30;" in capsys.readouterr().out


def test_calendar_command_prints_coverage_with_sources(capsys, monkeypatch) -> None:
    import chinese_calendar

    version = chinese_calendar.__version__
    assert main(["calendar", "CN"]) == 0
    assert capsys.readouterr().out == f"CN 2004-2026: chinesecalendar {version}\n"
    assert main(["calendar", "cn", "--year", "2027"]) == 1
    assert capsys.readouterr().out == "CN 2027: not covered: working-day deadlines fail\n"
    monkeypatch.setenv("COMPLAINT_RULES_CALENDAR_DATA", str(FIXTURES))
    assert main(["calendar", "CN", "--year", "2027"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("CN 2027: ") and "cn-2027.yaml (TEST FIXTURE: invented 2027 holidays" in out
    monkeypatch.delenv("COMPLAINT_RULES_CALENDAR_DATA")
    assert main(["calendar", "CN", "--calendar-data", str(CN_2027)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"CN 2004-2026: chinesecalendar {version}" and lines[1].startswith("CN 2027: ")


# ---------------------------------------------------------------------------- no calendar that means less than it says


def test_a_bare_country_with_regional_holidays_is_a_check_error() -> None:
    with pytest.raises(PolicyError) as info:
        cr.loads('policy "g" {\n  calendar "GB"\n  timezone "Europe/London"\n}\n', name="g.policy")
    assert info.value.render() == (
        "g.policy:2:12: the holidays of GB differ by subdivision: name one (GB-ENG, GB-NIR, GB-SCT, GB-WLS), "
        "or write 'calendar \"GB\" nationwide' for the days common to all of them\n"
        '      calendar "GB"\n'
        "               ^~~~"
    )
    assert regional_subdivisions("UK") == ("GB-ENG", "GB-NIR", "GB-SCT", "GB-WLS")
    assert regional_subdivisions("CN") == () and regional_subdivisions("GB-ENG") == ()
    for good in ('calendar "GB-ENG"', 'calendar "UK-SCT"', 'calendar "GB" nationwide', 'calendar "CN"'):
        cr.loads(f'policy "g" {{\n  {good}\n  timezone "Europe/London"\n}}\n')


def test_nationwide_where_nothing_differs_and_a_bad_subdivision() -> None:
    with pytest.raises(PolicyError, match="'nationwide' says nothing for CN"):
        cr.loads('policy "c" {\n  calendar "CN" nationwide\n}\n')
    with pytest.raises(PolicyError, match=r"p:2:12: unknown calendar 'GB-XX': GB has no subdivision 'XX'; "
                       r"expected one of GB-ENG, GB-NIR, GB-SCT, GB-WLS"):  # fmt: skip
        cr.loads('policy "c" {\n  calendar "GB-XX"\n}\n', name="p")


def test_england_skips_easter_monday_2027_and_the_nationwide_calendar_does_not() -> None:
    easter_thursday = dt.datetime(2027, 3, 25, 10, tzinfo=dt.timezone.utc)  # Good Friday 26th, Easter Monday 29th
    england = calendar("GB-ENG", timezone="Europe/London")
    nationwide = calendar("GB", timezone="Europe/London")
    assert england.add(easter_thursday, "1 working day").date() == dt.date(2027, 3, 30)
    assert nationwide.add(easter_thursday, "1 working day").date() == dt.date(2027, 3, 29)
    assert not england.is_working_day(dt.date(2027, 3, 29)) and nationwide.is_working_day(dt.date(2027, 3, 29))


def test_working_time_without_a_timezone_is_a_check_error() -> None:
    text = ('policy "p" {\n  calendar "CN"\n}\n\nrecord {\n  received_at: datetime required\n}\n\n'
            "deadlines {\n  rule reply: reply = 2 business hours after received_at\n}\n")  # fmt: skip
    with pytest.raises(PolicyError) as info:
        cr.loads(text, name="p.policy")
    assert info.value.render() == (
        "p.policy:2:12: the policy counts working days or business hours on the CN calendar but sets no "
        "'timezone', so they would be counted in UTC; CN's usual zone is Asia/Shanghai: timezone \"Asia/Shanghai\"\n"
        '      calendar "CN"\n'
        "               ^~~~"
    )
    cr.loads(text.replace('"CN"\n', '"CN"\n  timezone "Asia/Shanghai"\n'))
    cr.loads(text.replace("2 business hours", "2 hours"))  # elapsed time needs no zone
    assert usual_zone("GB-ENG") == "Europe/London" and usual_zone("CN") == "Asia/Shanghai"


def test_usual_zone_reads_zone1970_and_falls_back_to_a_table(tmp_path: Path, monkeypatch) -> None:
    module = sys.modules["complaint_rules.calendars.data"]
    (tmp_path / "zone1970.tab").write_text("# comment\nTW\t+2503+12130\tAsia/Made_Up\n", encoding="utf-8")
    usual_zone.cache_clear()
    try:
        monkeypatch.setattr(module, "_ZONE_TABLE_DIRS", (str(tmp_path),))
        assert usual_zone("TW") == "Asia/Made_Up"  # the table on the machine wins
        usual_zone.cache_clear()
        monkeypatch.setattr(module, "_ZONE_TABLE_DIRS", (str(tmp_path / "absent"),))
        assert usual_zone("TW") == "Asia/Taipei" and usual_zone("ZZ") is None
    finally:
        monkeypatch.undo()
        usual_zone.cache_clear()


def test_calendar_data_is_a_public_immutable_value() -> None:
    (data,) = load_calendar_data(CN_2027)
    assert isinstance(data, CalendarData) and hash(data) == hash(load_calendar_data(CN_2027)[0])
    with pytest.raises(AttributeError):
        data.title = "x"  # type: ignore[misc]
