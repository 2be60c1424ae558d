"""Incomplete decisions: a time the calendar cannot place (a CN year without holiday data) is flagged, not fatal.

The bundled ``chinesecalendar`` covers 2004-2026, so a working-day deadline that falls in 2027 cannot be
placed; everything else about the decision still is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules.analysis.explain import explain
from complaint_rules.analysis.prove import prove
from complaint_rules.cli import main
from complaint_rules.compare import diff
from complaint_rules.engine.decision import Decision
from complaint_rules.errors import EvaluationError, RecordError
from complaint_rules.testing import runner

ROOT = Path(__file__).resolve().parent.parent
SVW = ROOT / "policies" / "automotive" / "svw-dealer.policy"
SHENZHEN = ROOT / "policies" / "automotive" / "svw-dealer-shenzhen.policy"
LATE = "2026-12-31T10:00:00+08:00"  # a Thursday: the next working day is in 2027
EARLY = "2026-12-01T10:00:00+08:00"

# Every bundled policy on the CN calendar, and its clock counted in working days from receipt.
CN_POLICIES = {
    "policies/automotive/svw-dealer.policy": "first_contact",
    "policies/automotive/svw-dealer-shenzhen.policy": "first_contact",
    "policies/property/follow-up-guide.policy": "first_reply",
    "policies/callcenter/tiered-desk.policy": "call_back",
    "examples/dealer.policy": "first_contact",
    "examples/dealer-branch.policy": "first_contact",
    "policies/hospitality/leisure-club.policy": None,  # no working-day clock: its decisions stay complete
    "policies/hospitality/leisure-club-branch.policy": None,
}

CHAIN = """\
policy "chain" {
  calendar "CN"
  hours 09:00-18:00
  timezone "Asia/Shanghai"
}
record {
  id: text required
  received_at: datetime required
  resolved_at: datetime
  promised_at: datetime
}
units { desk "Desk" }
classify first {
  rule big: id == "BIG" -> major
  otherwise -> general
}
route first {
  otherwise -> desk
}
deadlines {
  rule reply: reply = 1 working day after received_at
  rule solve: solve = 2 days after reply
  rule promise: promise = 0 minutes after promised_at
}
escalate {
  rule late: escalate desk 2 hours after reply
  rule chase: remind desk 1 hours before solve
  rule now: notify desk immediately
}
follow_up {
  otherwise: 100% within 3 days after reply by desk via phone
}
obligations {
  rule answer: answer by desk 1 hours after solve
  rule keep: keep_record by desk for 2 years
}
"""


def test_every_bundled_cn_policy_is_the_one_listed():
    found = set()
    for path in [*ROOT.glob("policies/*/*.policy"), *ROOT.glob("examples/*.policy")]:
        policy = complaint_rules.load(path)
        if policy.ir.header.calendar == "CN":
            found.add(path.relative_to(ROOT).as_posix())
    assert found == set(CN_POLICIES)


@pytest.mark.parametrize("path", sorted(CN_POLICIES))
def test_a_late_december_complaint_is_decided_with_its_clock_flagged(path):
    policy = complaint_rules.load(ROOT / path)
    clock = CN_POLICIES[path]
    flagged = 0
    given = [runner.test_record(test) for test in policy.ir.tests]
    given.append({"id": "MIN-1"})  # the fewest fields: the policy's defaults decide
    for record in given:
        late = {**record, "received_at": LATE}
        try:
            policy.compiled.coerce(late)
        except RecordError:
            continue
        early = {**late, "received_at": EARLY}
        decision, reference = policy.evaluate(late), policy.evaluate(early)
        assert decision == policy.interpret(late)
        # Everything but the times is decided as for a complaint received when the calendar has data.
        for part in ("level", "level_label", "routes", "owner", "remedy"):
            assert getattr(decision, part) == getattr(reference, part), (record, part)
        assert decision.follow_up.status == reference.follow_up.status
        assert [e.status != "inactive" for e in decision.escalations] == [
            e.status != "inactive" for e in reference.escalations
        ]
        assert [o.rule for o in decision.obligations] == [o.rule for o in reference.obligations]
        assert decision.incomplete == bool(decision.problems)
        deadline = next((d for d in decision.deadlines if d.clock == clock), None)
        rule = next((r for r in policy.ir.deadlines if deadline and r.id == deadline.rule), None)
        if rule is not None and rule.duration.unit == "working_days" and rule.anchor == "received_at":
            problem = decision.problem(clock)
            assert decision.incomplete and problem is not None
            assert (problem.part, problem.name, problem.rule, problem.year) == ("deadline", clock, rule.id, 2027)
            assert problem.location == rule.span.location() and problem.depends_on is None
            assert "2027" in problem.message and policy.compiled.calendar.data_source in problem.message
            assert "supply calendar data for 2027" in problem.message
            assert decision.deadline(clock) is None and reference.deadline(clock) is not None
            flagged += 1
        names = {p.name for p in decision.problems}
        for p in decision.problems:  # whatever is timed from a flagged clock names it
            assert p.depends_on is None or p.depends_on in names
        with pytest.raises(EvaluationError, match=r"record .*2027") if decision.problems else contextlib.nullcontext():
            policy.evaluate(late, strict=True)
        assert Decision.from_json(decision.to_json()) == decision
    assert (flagged > 0) == (clock is not None), path


def test_the_shenzhen_overlay_flags_the_escalation_timed_from_first_contact():
    policy = complaint_rules.load(SHENZHEN)
    decision = policy.evaluate({"id": "SZ-1", "category": "sales_service", "received_at": LATE})
    assert decision == policy.interpret({"id": "SZ-1", "category": "sales_service", "received_at": LATE})
    problem = decision.problem("first_contact_missed")
    assert problem is not None and (problem.part, problem.depends_on, problem.year) == ("escalation", "first_contact", 2027)
    assert decision.escalation("first_contact_missed").due_at is None
    assert "timed from clock 'first_contact'" in problem.message
    assert decision.level == "general" and decision.owner == "sales_director"


def test_everything_timed_from_an_undecidable_clock_is_flagged_in_both_evaluators():
    policy = complaint_rules.loads(CHAIN, name="chain.policy")
    record = {"id": "BIG", "received_at": LATE}
    decision = policy.evaluate(record)
    assert decision == policy.interpret(record)
    assert [(p.part, p.name, p.depends_on) for p in decision.problems] == [
        ("deadline", "reply", None),
        ("deadline", "solve", "reply"),
        ("escalation", "late", "reply"),
        ("escalation", "chase", "solve"),
        ("follow_up", "follow_up.otherwise", "reply"),
        ("obligation", "answer", "solve"),
    ]
    assert all(p.year == 2027 for p in decision.problems)
    assert decision.problems[1].location == "chain.policy:22:3"
    # Decided: the level, the route, the escalation timed from receipt, the promise (its anchor is missing).
    assert decision.level == "major" and decision.routes == ("desk",)
    assert decision.escalation("now").due_at == dt.datetime(2026, 12, 31, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert decision.problem("promise") is None and decision.deadline("promise") is None
    assert decision.follow_up.status == "required" and decision.follow_up.due_at is None
    values = policy.compiled.coerce(record)[1]
    plain = policy.compiled.outcome(values, "BIG")
    assert Decision.model_validate(plain) == decision
    assert plain["problems"][0]["part"] == "deadline"


def test_a_missing_anchor_stays_null_without_a_problem():
    policy = complaint_rules.loads(CHAIN, name="chain.policy")
    decision = policy.evaluate({"id": "A", "received_at": EARLY})
    assert not decision.incomplete and decision.problems == ()
    assert decision.deadline("promise") is None and decision.deadline("reply") is not None
    assert decision.obligation("keep").retain_until is None  # resolved_at is missing: not a problem
    resolved = policy.evaluate({"id": "A", "received_at": EARLY, "resolved_at": "2026-12-20T10:00:00+08:00"})
    assert resolved.obligation("keep").retain_until is not None and not resolved.incomplete


def test_strict_raises_naming_the_record_and_rule_in_every_entry_point():
    policy = complaint_rules.loads(CHAIN, name="chain.policy")
    record = {"id": "S-1", "received_at": LATE}
    values = policy.compiled.coerce(record)[1]
    calls = [
        lambda: policy.evaluate(record, strict=True),
        lambda: policy.interpret(record, strict=True),
        lambda: policy.compiled.decide(values, "S-1", strict=True),
        lambda: policy.compiled.outcome(values, "S-1", strict=True),
    ]
    for call in calls:
        with pytest.raises(EvaluationError) as info:
            call()
        assert info.value.record_id == "S-1"
        assert str(info.value).startswith("record S-1: clock 'reply' (rule reply) cannot be placed")


def test_json_of_a_complete_decision_gains_only_an_empty_problems_list():
    policy = complaint_rules.loads(CHAIN, name="chain.policy")
    decision = policy.evaluate({"id": "A", "received_at": EARLY})
    data = json.loads(decision.to_json())
    assert data["problems"] == []
    del data["problems"]  # JSON written before decisions could be incomplete
    assert Decision.model_validate_json(json.dumps(data)) == decision
    late = policy.evaluate({"id": "B", "received_at": LATE})
    again = Decision.from_json(late.to_json())
    assert again == late and again.incomplete and again.problems[0].year == 2027


def test_explain_shows_the_problem():
    policy = complaint_rules.loads(CHAIN, name="chain.policy")
    text = explain(policy, policy.evaluate({"id": "E", "received_at": LATE}))
    assert "incomplete: 6 time(s) could not be decided" in text
    assert "reply due undecidable (see the problem below): 1 working day after received_at" in text
    assert "problem: clock 'reply' (rule reply) cannot be placed" in text
    assert "problem: escalation 'chase' (rule chase) is timed from clock 'solve'" in text
    assert "promise due not yet (its anchor is missing)" in text
    complete = explain(policy, policy.evaluate({"id": "E", "received_at": EARLY}))
    assert "problem" not in complete and "incomplete" not in complete


def test_explain_command_shows_the_problem(tmp_path, capsys):
    record = tmp_path / "r.json"
    record.write_text(json.dumps({"id": "X", "category": "sales_service", "received_at": LATE}), encoding="utf-8")
    assert main(["explain", str(SVW), str(record)]) == 0
    out = capsys.readouterr().out
    assert "first_contact due undecidable" in out and "no holiday data for 2027" in out


def test_an_embedded_test_that_fails_on_an_unplaceable_time_says_why(tmp_path):
    text = CHAIN + """
test "late reply" {
  given { id: "T", received_at: 2026-12-31T10:00:00+08:00 }
  expect {
    deadline reply: 2027-01-04T10:00:00+08:00
  }
}
"""
    path = tmp_path / "chain.policy"
    path.write_text(text, encoding="utf-8")
    (result,) = runner.run_tests(complaint_rules.load(path))
    messages = [f.message for f in result.failures]
    assert any(m.startswith("expected deadline reply") for m in messages)
    assert any(m.startswith("the decision is incomplete: clock 'reply'") for m in messages)


# ---------------------------------------------------------------------------- eval over a corpus


def _corpus(path: Path, n: int = 300) -> list[dict]:
    """Dealer complaints received 2026-12-01 .. 2027-01-30, a few of them bad."""
    rng = random.Random(7)
    categories = ["sales_service", "product_quality", "after_sales_service", "repair_quality", "other"]
    start = dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows = []
    for i in range(n):
        received = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        row = {"id": f"C-{i:04d}", "category": rng.choice(categories), "received_at": received.isoformat()}
        if i % 50 == 7:
            row["claimed_amount"] = "lots"  # a bad record
        rows.append(row)
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return rows


def test_eval_counts_and_lists_incomplete_decisions(tmp_path, capsys):
    rows = _corpus(tmp_path / "in.jsonl")
    out, errs = tmp_path / "out.jsonl", tmp_path / "out.errors.jsonl"
    code = main(["eval", str(SVW), str(tmp_path / "in.jsonl"), "-o", str(out)])
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    decisions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rows_out = [json.loads(line) for line in errs.read_text(encoding="utf-8").splitlines()]
    errors = [r for r in rows_out if "errors" in r]
    warnings = [r for r in rows_out if "warnings" in r]
    assert len(rows) == len(decisions) + len(errors)  # rows in = decisions + error rows
    assert len(errors) == sum(1 for r in rows if "claimed_amount" in r)
    incomplete = [d for d in decisions if d["problems"]]
    assert incomplete and len(incomplete) < len(decisions)
    assert [w["record_id"] for w in warnings] == [d["record_id"] for d in incomplete]
    for w in warnings:
        assert w["warnings"][0]["year"] == 2027 and w["warnings"][0]["name"] == "first_contact"
        assert w["row"] == w["line"] and w["warnings"][0]["location"].endswith("svw-dealer.policy:134:3")
    for d in incomplete:
        assert d["level"] and d["routes"] and d["remedy"] is not None
    assert summary == (f"{len(rows)} records in, {len(decisions)} decisions, {len(incomplete)} incomplete, "
                       f"{len(errors)} errors (see {errs})")  # fmt: skip
    assert code == 1  # error rows win; without them, 3

    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for r in rows if "claimed_amount" not in r), encoding="utf-8")
    assert main(["eval", str(SVW), str(good), "-o", str(tmp_path / "g.jsonl")]) == 3
    assert f", {len(incomplete)} incomplete, 0 errors" in capsys.readouterr().err


def test_eval_strict_makes_them_error_rows(tmp_path, capsys):
    rows = _corpus(tmp_path / "in.jsonl")
    out = tmp_path / "out.jsonl"
    assert main(["eval", str(SVW), str(tmp_path / "in.jsonl"), "-o", str(out), "--strict"]) == 1
    decisions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    errors = [json.loads(line) for line in (tmp_path / "out.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(decisions) + len(errors)
    assert all(not d["problems"] for d in decisions)
    late = [e for e in errors if "2027" in e["errors"][0]["message"]]
    assert late and all(e["record_id"] and "rule default_first_contact" in e["errors"][0]["message"] for e in late)
    assert "incomplete" not in capsys.readouterr().err


# ---------------------------------------------------------------------------- diff, prove


def test_diff_corpus_counts_why_records_could_not_be_compared(tmp_path):
    rows = _corpus(tmp_path / "in.jsonl")
    d = diff(SVW, SHENZHEN, tmp_path / "in.jsonl", verify=False)
    i = d.impact
    bad = sum(1 for r in rows if "claimed_amount" in r)
    undecidable = "undecidable clock first_contact (no CN data for 2027)"
    assert i.records == len(rows) and i.errors == sum(i.reasons.values())
    assert i.reasons["invalid record: claimed_amount"] == bad
    assert i.reasons[undecidable] > 0
    assert set(i.reasons) <= {"invalid record: claimed_amount", undecidable,
                              f"old: {undecidable}", f"new: {undecidable}"}  # fmt: skip
    text = d.render("text")
    assert f"    {undecidable}: {i.reasons[undecidable]}" in text
    assert "invalid record: claimed_amount: " in d.render("markdown")


def test_diff_corpus_reports_a_record_undecidable_on_one_side_only(tmp_path):
    old = tmp_path / "old.policy"
    new = tmp_path / "new.policy"
    old.write_text(CHAIN, encoding="utf-8")
    new.write_text(CHAIN.replace("1 working day after received_at", "24 hours after received_at"), encoding="utf-8")
    corpus = [{"id": "L", "received_at": LATE}, {"id": "E", "received_at": EARLY}]
    i = diff(old, new, corpus, verify=False).impact
    assert i.reasons == {"old: undecidable clock reply (no CN data for 2027)": 1}
    assert i.error_examples == ["L"] and i.records == 2


@pytest.mark.parametrize("path", [SVW, SHENZHEN, ROOT / "policies" / "property" / "follow-up-guide.policy"])
def test_prove_does_not_crash_on_cn_policies(path, capsys):
    report = prove(complaint_rules.load(path))
    assert not report.findings, [f.render() for f in report.findings]
    assert main(["prove", str(path)]) == 0  # counterexamples replayed through evaluate, none crashes
    assert "1 proved" in capsys.readouterr().out


def test_replay_says_a_finding_on_an_unplaceable_time_could_not_be_decided():
    from complaint_rules.analysis import Finding
    from complaint_rules.analysis.replay import reproduces

    policy = complaint_rules.loads(CHAIN, name="chain.policy")
    finding = Finding(kind="timing", block="deadlines", rule="reply", message="m",
                      record={"id": "F", "received_at": LATE}, details={"start": LATE})  # fmt: skip
    ok, why = reproduces(policy, finding)
    assert not ok and why.startswith("evaluate could not decide it: clock 'reply'")


def test_eval_with_the_2027_data_supplied_leaves_no_decision_incomplete(tmp_path, capsys, monkeypatch):
    """The same corpus, with the (test-fixture) 2027 data by --calendar-data and by the environment."""
    fixtures = ROOT / "tests" / "fixtures" / "calendars"
    rows = _corpus(tmp_path / "in.jsonl")
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(r) + "\n" for r in rows if "claimed_amount" not in r), encoding="utf-8")
    for argv, env in ((["--calendar-data", str(fixtures)], None), ([], str(fixtures))):
        if env is not None:
            monkeypatch.setenv("COMPLAINT_RULES_CALENDAR_DATA", env)
        out = tmp_path / "out.jsonl"
        assert main(["eval", str(SVW), str(good), "-o", str(out), *argv]) == 0
        decisions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(decisions) == len(good.read_text(encoding="utf-8").splitlines())
        assert not any(d["problems"] for d in decisions)
        due = [dl["due_at"] for d in decisions for dl in d["deadlines"] if dl["clock"] == "first_contact"]
        assert len(due) == len(decisions) and all(due) and any(t.startswith("2027") for t in due)
        err = capsys.readouterr().err
        assert "incomplete" not in err and f"{len(decisions)} decisions, 0 errors" in err
