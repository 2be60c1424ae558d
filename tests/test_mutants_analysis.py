"""prove and the semantic diff: behaviour no other test pinned down (each test here failed on a mutant that
survived an audit): anchor fields get a present/missing dimension of their own, prove's "not covered" notes
and verdict line, and levels without a classify block."""

from __future__ import annotations

from pathlib import Path

import complaint_rules
from complaint_rules.analysis import prove
from complaint_rules.compare import diff
from complaint_rules.language.frontend.dsl import parse

BASE = (Path(__file__).parent / "diff_fixtures" / "base.policy").read_text(encoding="utf-8")


def test_a_deadline_moved_to_another_anchor_differs_where_either_anchor_is_missing():
    old = complaint_rules.loads(BASE, name="base.policy")
    new = complaint_rules.loads(
        BASE.replace("follow_up = 3 days after resolved_at", "follow_up = 3 days after first_contact_at"),
        name="new.policy",
    )
    result = diff(old, new)
    changes = [(c.output, c.old, c.new) for c in result.semantic]
    assert changes == [
        ("deadline follow_up", "3 days after resolved_at", "3 days after first_contact_at"),
        ("deadline follow_up", "3 days after resolved_at", "none"),
        ("deadline follow_up", "none", "3 days after first_contact_at"),
    ]
    present = [sorted({"resolved_at", "first_contact_at"} & set(c.witness)) for c in result.semantic]
    assert present == [["first_contact_at", "resolved_at"], ["resolved_at"], ["first_contact_at"]]
    # The two regions where one anchor is missing are confirmed by deciding their witnesses; the first is not
    # (its witness has both anchors at the same instant) and says so.
    assert len(result.notes) == 1
    assert "the witness of 'first_contact_at is present and resolved_at is present' is decided alike" in result.notes[0]


def test_prove_counterexamples_have_the_anchor_fields():
    # Anchor fields are assumed present where the analysis can choose: every counterexample carries them.
    policy = parse(BASE.replace("  otherwise -> customer_service\n", "", 1), "gap.policy")
    report = prove(policy)
    assert report.kinds() == ["gap.route"]
    record = report.findings[0].record
    assert record["resolved_at"] == record["received_at"]
    assert record["resolved_at"].isoformat() == "2026-12-01T10:00:00+08:00"


def test_a_proven_policy_renders_its_verdict_with_what_was_checked():
    report = prove(parse(BASE, "base.policy"))
    assert report.proven and report.findings == [] and report.uncovered == []
    assert report.checked[0] == "classify first: 3 rules"
    assert report.render() == f"diff-base: proven ({'; '.join(report.checked)})"
    assert report.to_dict()["proven"] is True


NO_CLASSIFY = '''policy "nolevels" {
}
record {
  wait: duration
  received_at: datetime required
}
units { cs "客服" }
levels { general "一般"  major "重大" }
route first {
  rule big: level == major -> cs
  rule slow: wait > 2 days -> cs
  rule long: wait > 1 month -> cs
  otherwise -> cs
}
'''


def test_levels_without_classify_give_no_record_a_level_and_notes_render():
    report = prove(parse(NO_CLASSIFY, "n.policy"))
    assert report.kinds() == ["gap.level", "never", "gap.follow_up"]
    assert report.findings[0].message == "the policy has no classify block: no record gets a level"
    never = report.findings[1]
    assert never.rule == "big" and never.span.line == 10  # `level == major` is false for a record without a level
    assert report.uncovered == ["condition wait > 1 month is not analysed exactly (treated as free true/false)"]
    assert not report.proven
    lines = report.render().splitlines()
    assert lines[-2:] == [
        "nolevels: not covered: condition wait > 1 month is not analysed exactly (treated as free true/false)",
        "nolevels: 3 finding(s), 1 construct(s) not covered",
    ]


def test_with_a_classify_block_a_level_condition_can_hold():
    text = NO_CLASSIFY.replace("route first", "classify first {\n  rule slow: wait > 2 days -> major\n  otherwise -> general\n}\nroute first")
    report = prove(parse(text, "n.policy"))
    assert "never" not in report.kinds() and "gap.level" not in report.kinds()


def test_an_uncovered_construct_alone_keeps_a_policy_unproven():
    text = BASE.replace("  rule large_loss: ", "  rule long_wait: repeat_count > 2 and wait > 1 month -> intermediate\n  rule large_loss: ", 1)
    text = text.replace("record {\n", "record {\n  wait: duration\n", 1)
    report = prove(parse(text, "u.policy"))
    assert report.findings == [] and report.uncovered
    assert not report.proven
    assert report.render().splitlines()[-1] == f"diff-base: 0 finding(s), {len(report.uncovered)} construct(s) not covered"


STATUS_CLOCKS = '''policy "p" {}
statuses { in_progress resolved }
deadlines {
  rule answer: answer = 60 days after in_progress stop at resolved
  rule later: later = 2 days after answer
}
escalate {
  rule early: notify general_manager 1 day before answer
}
'''


def test_clocks_timed_from_a_status_are_not_covered_and_say_through_which_clock():
    report = prove(parse(STATUS_CLOCKS, "s.policy"))
    status_note = "of the history, whose times prove does not model"
    assert [n for n in report.uncovered if status_note in n] == [
        f"deadlines rule 'answer': starts at status 'in_progress' {status_note}",
        f"deadlines rule 'later': timed from clock 'answer', which starts at status 'in_progress' {status_note}",
        f"escalate rule 'early': timed from clock 'answer', which starts at status 'in_progress' {status_note}",
    ]
    assert not any("neither a clock nor a field" in n for n in report.uncovered)
    assert not report.proven
