"""Deliberately flawed policies: each shows one finding kind, with the expected counterexample,
and each counterexample reproduces under ``Policy.evaluate``."""

from __future__ import annotations

from pathlib import Path

import pytest

from complaint_rules.analysis import prove
from complaint_rules.analysis.replay import replay, reproduces
from complaint_rules.analysis.witness import jsonable
from complaint_rules.policy import Policy, parse_file

FLAWED = Path(__file__).parent / "flawed"

# file -> (findings as {(kind, rule)}, what the first counterexample must contain)
EXPECTED: dict[str, tuple[set[tuple[str, str | None]], dict]] = {
    "gap_level": ({("gap.level", None)}, {"claimed_amount": "4999 CNY", "repeat_count": 1}),
    "gap_level_highest": ({("gap.level", None)}, {"category": "sales_service", "claimed_amount": "4999 CNY"}),
    "gap_route": ({("gap.route", None)}, {"category": "sales_service", "repeat_count": 1}),
    "gap_route_all": ({("gap.route", None)}, {"category": "after_sales", "repeat_count": 1}),
    "gap_tier": ({("gap.tier", None)}, {"claimed_amount": "4999 CNY", "repeat_count": 2}),
    "gap_follow_up": ({("gap.follow_up", None)}, {"anonymous": False, "repeat_count": 0}),
    "gap_follow_up_block": ({("gap.follow_up", None)}, {}),
    "shadowed_classify": ({("unreachable", "huge"), ("never", "to_gm")}, {"claimed_amount": "50000 CNY"}),
    "overridden_highest": ({("unreachable", "quality_minor")}, {"category": "product_quality",
                                                                 "claimed_amount": "99 CNY"}),
    "shadowed_route": ({("unreachable", "major_quality")}, {"category": "product_quality",
                                                            "claimed_amount": "5000 CNY"}),
    "shadowed_deadline": ({("unreachable", "defect_contact")}, {"category": "product_quality"}),
    "shadowed_follow_up": ({("unreachable", "anonymous")}, {"anonymous": True}),
    "never_classify": ({("never", "odd"), ("never", "to_gm")}, {}),
    "never_mentions": ({("never", "firemen"), ("never", "to_gm")}, {}),
    "never_escalation": ({("never", "odd_repeat")}, {}),
    "never_obligation": ({("never", "report_major")}, {}),
    "timing_before_clock": ({("timing.before_start", "remind")}, {"received_at": "2026-12-01T10:00:00+08:00"}),
    "timing_before_received": ({("timing.before_start", "pre_report")}, {"claimed_amount": "5000 CNY"}),
    "timing_working_day_chain": ({("timing.before_start", "remind_plan")}, {"claimed_amount": "5000 CNY"}),
    "timing_dst_day": ({("timing.before_start", "remind")}, {"received_at": "2026-10-31T09:00:00-04:00"}),
    "invariant_cap": ({("invariant.cap", None)}, {"claimed_amount": "5000 CNY"}),
    "invariant_deadline": ({("invariant.deadline", "major_contact")}, {"claimed_amount": "5000 CNY"}),
    "invariant_options": ({("invariant.options", None)}, {"claimed_amount": "1000 CNY", "repeat_count": 2}),
    "invariant_deadline_dst": ({("invariant.deadline", "monotone"), ("invariant.deadline", "major_response")},
                               {"urgent": True, "received_at": "2026-10-31T09:00:00-04:00"}),
    "invariant_route_text": ({("invariant.route", "no_manager")}, {}),
}  # fmt: skip


def _load(name: str) -> Policy:
    """Parsed and resolved but not checked: the checker itself rejects some of these gaps."""
    source, resolved = parse_file(FLAWED / f"{name}.policy")
    return Policy(source, resolved, str(FLAWED / f"{name}.policy"))


def test_every_flawed_file_is_listed() -> None:
    assert {p.stem for p in FLAWED.glob("*.policy")} == set(EXPECTED)
    assert len(EXPECTED) >= 15


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_flawed_policy_findings(name: str) -> None:
    policy = _load(name)
    expected, counterexample = EXPECTED[name]
    report = prove(policy, invariants=name.startswith("invariant_"))
    assert {(f.kind, f.rule) for f in report.findings} == expected, report.render()
    assert not report.uncovered
    assert not report.proven
    first = next((f for f in report.findings if f.record is not None), None)
    if counterexample:
        shown = jsonable(first.record)
        assert {k: shown.get(k) for k in counterexample} == counterexample
    for finding in report.findings:
        assert finding.span is not None, finding
        if finding.kind == "never":
            assert finding.record is None  # no record can show a condition that never holds


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counterexamples_reproduce_under_evaluate(name: str) -> None:
    policy = _load(name)
    report = prove(policy, invariants=name.startswith("invariant_"))
    for finding in report.findings:
        assert reproduces(policy, finding) == (True, ""), finding.render()
    assert not replay(policy, report).uncovered


def test_the_invariants_only_run_when_asked() -> None:
    assert prove(_load("invariant_cap")).proven
    assert prove(_load("invariant_deadline")).proven


def test_findings_render_with_location_and_counterexample() -> None:
    report = prove(_load("shadowed_classify"))
    text = report.render()
    assert "shadowed_classify.policy:" in text
    assert "unreachable: rule 'huge' never decides the level" in text
    assert "matched first by 'large'" in text
    assert '"claimed_amount": "50000 CNY"' in text
    data = report.to_dict()
    assert data["proven"] is False
    assert data["findings"][0]["location"].endswith(".policy:" + str(report.findings[0].span.line) + ":3")


def test_a_reminder_before_a_scheduled_time_is_not_early() -> None:
    text = (FLAWED / "timing_before_clock.policy").read_text(encoding="utf-8")
    text = text.replace("resolved_at: datetime\n", "resolved_at: datetime\n  promised_at: datetime required\n")
    text = text.replace("first_contact = 2 hours after received_at", "first_contact = 0 minutes after promised_at")
    from complaint_rules.language.frontend.dsl import parse

    assert prove(parse(text, "scheduled.policy")).proven
