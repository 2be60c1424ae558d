"""Readable reports: impact groups a moved due time by how it moved, not by date; semantic regions are split
only by what changes (not by an owner both sides agree on)."""

from __future__ import annotations

import json
from pathlib import Path

from complaint_rules.compare import diff
from complaint_rules.compare.impact import moved_text

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "diff_fixtures"
CFPB = ROOT / "policies/finance/cfpb-bank.policy"
CORPUS = ROOT / "examples/cfpb_complaints_sample.csv"
COLUMNS = ROOT / "policies/finance/cfpb-columns.json"


def variant(tmp_path: Path, old: str, new: str, path: Path = CFPB) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    out = tmp_path / "new.policy"
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


def ten_days(tmp_path: Path) -> Path:
    return variant(tmp_path, "response = 15 days after sent_at", "response = 10 days after sent_at")


def test_impact_groups_a_moved_due_time_by_how_far_it_moved(tmp_path):
    d = diff(CFPB, ten_days(tmp_path), CORPUS, columns=COLUMNS, semantic=False)
    summary = {o.output: [(t.old, t.new, t.count) for t in o.transitions] for o in d.impact.outputs}
    assert summary == {
        "deadline response": [("response_from_sent", "response_from_sent, due 5 days earlier", 349)],
        # the owner differs from record to record, but did not change: one group, as the rule is written
        "escalation response_reminder": [("remind owner", "remind owner, due 5 days earlier", 69)],
        "escalation response_overdue": [
            (
                "escalate complaints_manager, compliance",
                "escalate complaints_manager, compliance, due 5 days earlier",
                69,
            )
        ],
    }
    transitions = [t for o in d.impact.outputs for t in o.transitions]
    assert all(t.due == "due 5 days earlier" and len(t.examples) == 3 for t in transitions)
    assert not any(o.other for o in d.impact.outputs)
    text = d.render("text")
    assert "    response_from_sent, due 5 days earlier: 349 (e.g. 2105582, 2105601, 2105562)\n" in text
    assert "    remind owner, due 5 days earlier: 69 (e.g. " in text
    assert "[remind," not in text and "other due time" not in text and "other changes" not in text
    impact_lines = text[text.index("impact on") : text.index("what if")].strip().splitlines()
    assert len(impact_lines) == 7
    md = d.render("markdown")
    assert "| escalation response_reminder | remind owner | same, due 5 days earlier | 69 | " in md
    data = json.loads(d.render("json"))
    (reminder,) = [o for o in data["impact"]["outputs"] if o["output"] == "escalation response_reminder"]
    assert reminder["transitions"][0]["new"] == "remind owner, due 5 days earlier"


def test_impact_groups_due_times_moved_by_working_days_by_how_far(tmp_path):
    new = variant(
        tmp_path, "acknowledgement = 2 working days after", "acknowledgement = 3 working days after"
    )
    d = diff(CFPB, new, CORPUS, columns=COLUMNS, semantic=False)
    (o,) = d.impact.outputs
    # one more working day is one calendar day later, or three across a weekend
    assert [(t.new, t.count) for t in o.transitions] == [
        ("acknowledgement, due 1 day later", 237),
        ("acknowledgement, due 3 days later", 45),
    ]
    assert "    acknowledgement, due 3 days later: 45 (e.g. " in d.render("text")


def test_moved_text():
    assert moved_text(-5 * 86400) == "due 5 days earlier"
    assert moved_text(86400) == "due 1 day later"
    assert moved_text(-3600) == "due 1 hour earlier"
    assert moved_text(90 * 60) == "due between 1 and 2 hours later"
    assert moved_text(86400 + 1) == "due between 1 and 2 days later"
    assert moved_text(2 * 60) == "due 2 minutes later"
    assert moved_text(-30) == "due less than a minute earlier"


def test_impact_shows_a_relabelled_level_by_its_labels(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"id": "a", "received_at": "2026-12-01T10:00:00+08:00"}\n', encoding="utf-8")
    d = diff(FIX / "base.policy", FIX / "label_changed.policy", corpus, semantic=False)
    (o,) = d.impact.outputs
    assert [(t.old, t.new, t.due) for t in o.transitions] == [
        ('general "一般抱怨"', 'general "一般投诉"', None)
    ]
    assert 'general "一般抱怨" -> general "一般投诉": 1 (e.g. a)' in d.render("text")


def test_regions_are_not_split_by_an_owner_both_sides_agree_on(tmp_path):
    d = diff(CFPB, ten_days(tmp_path))
    assert [c.output for c in d.semantic] == [
        "deadline response", "escalation response_reminder", "escalation response_overdue",
    ]  # fmt: skip
    reminder = d.semantic[1]
    assert reminder.old == "remind owner 3 days before response [response: 15 days after sent_at]"
    assert reminder.new == "remind owner 3 days before response [response: 10 days after sent_at]"
    assert reminder.condition == (
        "(company_response == in_progress or company_response is missing) and sent_at is present"
    )
    assert all(c.verified is True for c in d.semantic)
    # the witness shows the due time moving, not only the rule that set it
    assert reminder.observed_old == "remind executive_office, due 2026-12-12T21:00:00-05:00"
    assert reminder.observed_new == "remind executive_office, due 2026-12-07T21:00:00-05:00"


def test_an_owner_that_changes_still_shows_and_splits(tmp_path):
    new = variant(
        tmp_path,
        "category == debt_collection -> collections, complaints_office",
        "category == debt_collection -> complaints_office, collections",
    )
    d = diff(CFPB, new)
    (reminder,) = [c for c in d.semantic if c.output == "escalation response_reminder"]
    # the anchor deadline is the same on both sides, so it is left out; the owner is what changes
    assert reminder.old == "remind owner 3 days before response [owner: collections]"
    assert reminder.new == "remind owner 3 days before response [owner: complaints_office]"
    assert "category == debt_collection" in reminder.condition
    assert reminder.verified is True
