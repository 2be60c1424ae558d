"""What-if over a caseload: old and new totals of workload, breaches, spend, approvals and follow-ups."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules.cli import main
from complaint_rules.compare import PolicyDiff, whatif
from complaint_rules.compare.whatif import BEYOND, TOTAL, breached, meeting_fields

sys.path.insert(0, str(Path(__file__).parent))
import caseload  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "diff_fixtures"
CN = dt.timezone(dt.timedelta(hours=8))

# Worked by hand against base.policy (first contact 1 working day, general cap 500 CNY) and branch.policy
# (first contact 4 business hours 09:00-18:00, general cap 1000 CNY). 2026-12-01 is a Tuesday.
RECORDS = [
    # old: due 12-02 10:00, met at 15:00; new: due 14:00, met late. Spend 500 (capped) -> 800. 800 CNY needs the GM.
    {"id": "R1", "category": "sales_service", "claimed_amount": "800 CNY", "received_at": "2026-12-01T10:00+08:00",
     "first_contact_at": "2026-12-01T15:00+08:00"},
    # never contacted: due 12:00 on both sides (the base's 2 hours for product quality): past at the corpus' end (12-03 10:00)
    {"id": "R2", "category": "product_quality", "received_at": "2026-12-01T10:00+08:00",
     "resolved_at": "2026-12-03T10:00+08:00"},
    {"id": "R3", "category": "warranty", "received_at": "not a time"},  # not decided: counted, summed nowhere
]


@pytest.fixture(scope="module")
def pair():
    return complaint_rules.load(FIX / "base.policy"), complaint_rules.load(FIX / "branch.policy")


def test_totals_worked_by_hand(pair):
    w = whatif(*pair, RECORDS)
    assert (w.records, w.decided) == (3, 2)
    units = w.table("workload_units")
    assert [(r.key, r.old, r.new) for r in units.rows] == [("customer_service", 2, 2), ("engineering", 1, 1)]
    assert [(r.key, r.old, r.new) for r in w.table("workload_owner").rows] == [
        ("customer_service", 1, 1), ("engineering", 1, 1)]
    breaches = w.table("breaches")
    assert (breaches.row("first_contact").old, breaches.row("first_contact").new) == (1, 2)
    assert (breaches.row("follow_up").old, breaches.row("follow_up").new) == (0, 0)  # met at resolution
    assert w.clock_fields == {"first_contact": "first_contact_at", "follow_up": "resolved_at"}
    assert w.as_of == "2026-12-03T10:00:00+08:00"
    spend = w.table("spend").row("CNY")
    assert (spend.old, spend.new, spend.delta) == (500, 800, 300)
    assert [(r.key, r.old, r.new) for r in w.table("approvals").rows] == [("general_manager", 1, 1)]
    follow = w.table("follow_up")
    assert follow.rows[0].key == TOTAL and (follow.rows[0].old, follow.rows[0].new) == (2, 2)


def test_as_of_decides_when_an_unmet_deadline_is_a_breach(pair):
    early = whatif(*pair, RECORDS, as_of=dt.datetime(2026, 12, 1, 11, 0, tzinfo=CN))
    # at 11:00 R2's deadline (12:00 on both sides: the product-quality rule is the base's) has not passed;
    # R1 under the new policy was met late whatever the time
    row = early.table("breaches").row("first_contact")
    assert (row.old, row.new) == (0, 1)


def test_clock_fields_can_be_given(pair):
    w = whatif(*pair, RECORDS, clock_fields={"first_contact": "resolved_at"})
    row = w.table("breaches").row("first_contact")
    # R1 is never resolved: past due at the end (both sides); R2 resolved 12-03, after both due times
    assert (row.old, row.new) == (2, 2)


def test_breached():
    t = dt.datetime(2026, 12, 1, 10, tzinfo=CN)
    hour = dt.timedelta(hours=1)
    assert breached(t, t + hour, None) and not breached(t, t, None) and not breached(t, t - hour, None)
    assert breached(t, None, t + hour) and not breached(t, None, t - hour) and not breached(t, None, None)
    assert not breached(None, t, t)


def test_meeting_fields_prefers_the_clock_s_own_field(pair):
    assert meeting_fields(pair) == {"first_contact": "first_contact_at", "follow_up": "resolved_at"}
    assert meeting_fields(pair, {"follow_up": "first_contact_at"})["follow_up"] == "first_contact_at"


def test_a_policy_against_itself_changes_no_total():
    policy = complaint_rules.load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    w = whatif(policy, policy, caseload.records(policy.ir, 40))
    assert w.decided == 40
    assert all(r.old == r.new for t in w.tables for r in t.rows)
    assert w.table("workload_units").rows and w.table("breaches").rows


def test_the_dealer_overlay_moves_approvals_to_the_general_manager():
    old = complaint_rules.load(ROOT / "policies" / "automotive" / "svw-dealer.policy")
    new = complaint_rules.load(ROOT / "policies" / "automotive" / "svw-dealer-shenzhen.policy")
    records = caseload.records(old.ir, 60)
    w = whatif(old, new, records)
    approvals = w.table("approvals")
    # Shenzhen raises the GM's authority from 50000 to 80000 CNY: nothing left beyond every authority
    assert approvals.row(BEYOND).old > 0 and approvals.row(BEYOND).new == 0
    assert approvals.row("general_manager").new > approvals.row("general_manager").old
    # the spend grows by exactly what the higher caps let through, recomputed here record by record
    expected = 0.0
    for r in records:
        da, db = old.evaluate(r), new.evaluate(r)
        for d, sign in ((da, -1), (db, 1)):
            if d.remedy and d.remedy.amount:
                expected += sign * float(min(d.remedy.amount.amount, d.remedy.cap.amount))
    assert w.table("spend").row("CNY").delta == pytest.approx(expected) and expected > 0


def test_every_format_carries_it(pair, tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    d = complaint_rules.diff(FIX / "base.policy", FIX / "branch.policy", corpus, semantic=False)
    assert d.whatif is not None and d.whatif.table("spend").row("CNY").new == 800
    back = PolicyDiff.model_validate_json(d.render("json"))
    assert back.whatif == d.whatif
    md = d.render("markdown")
    assert "#### What if: old and new totals" in md and "| 客服部 (`customer_service`) | 2 | 2 | 0 |" in md
    assert "| `CNY` | 500 | 800 | +300 |" in md
    page = d.render("html")
    assert 'id="whatif"' in page and page.count('class="bar old"') >= 5 and "客服部 (customer_service)" in page
    monkeypatch.chdir(ROOT)
    assert main(["diff", str(FIX / "base.policy"), str(FIX / "branch.policy"), "--corpus", str(corpus),
                 "--structural-only"]) == 1
    out = capsys.readouterr().out
    assert "what if, on" in out and "first_contact: 1 -> 2 (+1)" in out and "CNY: 500 -> 800 (+300)" in out


def test_no_totals_leaves_the_whatif_out(tmp_path, capsys):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    d = complaint_rules.diff(FIX / "base.policy", FIX / "branch.policy", corpus, semantic=False, totals=False)
    assert d.whatif is None and d.impact is not None and d.impact.records == 3
    assert main(["diff", str(FIX / "base.policy"), str(FIX / "branch.policy"), "--corpus", str(corpus),
                 "--structural-only", "--no-totals"]) == 1
    assert "what if" not in capsys.readouterr().out
