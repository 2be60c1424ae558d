"""Embedded policy tests: expected against actual, located failures, rule coverage, ``complaint-rules test``."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaint_rules import load
from complaint_rules.cli import main
from complaint_rules.testing.runner import coverage, run_tests

POLICY = """\
policy "t" {
  currency CNY
  calendar "NONE"
  timezone "UTC"
}

record {
  category: enum {a, b}
  claimed_amount: money = 0 CNY
  anonymous: bool = false
  received_at: datetime required
  resolved_at: datetime
}

units {
  cs "CS"
  gm "GM"
}

levels {
  general "G"
  major "M"
}

classify first {
  rule big: claimed_amount >= 1000 CNY -> major
  rule b_is_major: category == b -> major
  otherwise -> general
}

route first {
  rule to_gm: level == major -> gm
  otherwise -> cs
}

deadlines {
  rule contact: contact = 2 hours after received_at
  rule plan: plan = 1 day after contact
  rule fu: fu = 3 days after resolved_at
}

follow_up {
  rule anonymous: none when anonymous
  otherwise: 100% within 3 days after resolved_at by cs via phone
}

test "big is major" {
  given { category: a, claimed_amount: 2000 CNY, received_at: 2026-01-05T10:00:00+00:00 }
  expect {
    level: major
    label: "M"
    routes: {gm}
    deadline plan: 2026-01-06T12:00:00+00:00
    deadline fu: none
  }
}

test "wrong" {
  given { category: a, received_at: 2026-01-05T10:00:00+00:00 }
  expect {
    level: major
    owner: cs
    deadline contact: 2026-01-05T13:00:00+00:00
    follow_up: exempt
  }
}
"""


def _at(text: str, needle: str, after: str = "") -> str:
    """``line:col`` of ``needle`` (after the first ``after``) in text."""
    index = text.index(needle, text.index(after) if after else 0)
    line = text.count("\n", 0, index) + 1
    return f"{line}:{index - (text.rfind(chr(10), 0, index) + 1) + 1}"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "t.policy"
    path.write_text(POLICY, encoding="utf-8")
    return path


def test_results_pass_and_fail_with_located_messages(policy_file):
    policy = load(policy_file)
    results = run_tests(policy)
    assert [r.name for r in results] == ["big is major", "wrong"]
    assert results[0].passed, results[0].messages()
    assert not results[1].passed
    messages = results[1].messages()
    where = policy.path
    level_at = _at(POLICY, "level: major", 'test "wrong"')
    assert messages == [
        f'{where}:{level_at}: test "wrong": expected level major, got general',
        (f'{where}:{_at(POLICY, "deadline contact")}: test "wrong": expected deadline contact '
         "2026-01-05T13:00:00+00:00, got 2026-01-05T12:00:00+00:00"),
        f'{where}:{_at(POLICY, "follow_up: exempt")}: test "wrong": expected follow_up exempt, got required',
    ]


def test_coverage_counts_rules_that_decided_met_expectations(policy_file):
    policy = load(policy_file)
    report = coverage(policy, run_tests(policy))
    assert report.rules == ("big", "b_is_major", "classify.otherwise", "to_gm", "route.otherwise", "contact",
                            "plan", "fu", "anonymous", "follow_up.otherwise")
    # big set the level, to_gm the routes, plan the deadline (anchored on contact's clock), route.otherwise the owner;
    # classify.otherwise and the follow-up rule only decided expectations that failed.
    assert report.covered == {"big", "to_gm", "plan", "contact", "route.otherwise"}
    assert report.uncovered == ("b_is_major", "classify.otherwise", "fu", "anonymous", "follow_up.otherwise")
    assert report.percent == pytest.approx(50.0)


def test_adding_a_test_never_shrinks_coverage(policy_file, tmp_path):
    extra = POLICY + """
test "b" {
  given { category: b, anonymous: true, received_at: 2026-01-05T10:00:00+00:00 }
  expect {
    level: major
    follow_up: exempt
    rules: {big}
  }
}
"""
    path = tmp_path / "more.policy"
    path.write_text(extra, encoding="utf-8")
    before = coverage(load(policy_file), run_tests(load(policy_file)))
    policy = load(path)
    results = run_tests(policy)
    after = coverage(policy, results)
    assert before.covered <= after.covered
    assert {"b_is_major", "anonymous"} <= after.covered
    # `rules: {big}` names a rule that did not fire: the expectation fails.
    assert results[-1].messages() == [
        f'{policy.path}:{_at(extra, "rules: {big}")}: test "b": expected rules {{big}} in the trace, missing {{big}}']


def test_cli_test_reports_failures_and_summary(policy_file, capsys):
    assert main(["test", str(policy_file)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith('test "wrong": expected level major, got general')
    assert out[-1] == "1 passed, 1 failed"


def test_cli_test_passes_on_a_directory(tmp_path, capsys):
    good = POLICY.split('test "wrong"')[0]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "good.policy").write_text(good, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    assert main(["test", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["1 passed, 0 failed"]


def test_cli_coverage_and_fail_under(policy_file, capsys):
    assert main(["test", str(policy_file), "--coverage"]) == 1  # the failing test still fails the run
    out = capsys.readouterr().out
    assert "5/10 rules exercised (50.0%)" in out
    assert f":{_at(POLICY, 'rule b_is_major')}: rule b_is_major is not exercised by any test" in out
    assert "coverage: 5/10 rules (50.0%)" in out

    good = POLICY.split('test "wrong"')[0]
    policy_file.write_text(good, encoding="utf-8")
    assert main(["test", str(policy_file), "--fail-under", "30"]) == 0
    capsys.readouterr()
    assert main(["test", str(policy_file), "--fail-under", "60"]) == 1
    err = capsys.readouterr().err
    assert "coverage 40.0% is below --fail-under 60%" in err


def test_cli_test_reports_a_broken_policy(tmp_path, capsys):
    path = tmp_path / "bad.policy"
    path.write_text('policy "x" {\n}\nclassify first {\n  rule r: nope >= 1 -> major\n  otherwise -> general\n}\n')
    assert main(["test", str(path)]) == 1
    captured = capsys.readouterr()
    assert "bad.policy:4:" in captured.err
    assert captured.out.splitlines()[-1] == "0 passed, 0 failed, 1 policy with errors"


def test_an_invalid_given_record_fails_the_test_at_the_test(tmp_path, capsys):
    text = POLICY.split('test "big')[0] + 'test "no date" {\n  given { category: a }\n  expect {\n    level: general\n  }\n}\n'
    path = tmp_path / "nodate.policy"
    path.write_text(text, encoding="utf-8")
    [result] = run_tests(load(path))
    [message] = result.messages()
    test_at = _at(text, 'test "no date"')
    assert f':{test_at}: test "no date": the given record is invalid' in message
    assert "received_at" in message
