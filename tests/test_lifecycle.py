"""Clocks in time: history in the record, pauses, stops, restarts, warnings, states at now, the agenda.

Every decision here is made by both evaluators, which must agree (the compiled one and the oracle).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

import complaint_rules as cr
from complaint_rules.engine.record import ComplaintRecord
from complaint_rules.language import printer, yaml_printer
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy

CN = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in December 2026, Shanghai (Tue 1 December is a working day; Thu 3 December a holiday here)."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=CN)


POLICY = """policy "life" {
  hours 09:00-18:00
  timezone "Asia/Shanghai"
  holidays {2026-12-03}
}
units { cs  gm }
statuses { waiting_customer "waiting for the customer"  resolved  reopened }
classify first {
  rule hot: hazards has any {fire} -> major
  otherwise -> general
}
route first { otherwise -> cs }
deadlines {
  rule contact_major: first_contact = 2 hours after received_at when level == major stop at first_contact_at
  rule contact: first_contact = 8 business hours after received_at pause while {waiting_customer} stop at first_contact_at warn at 75%
  rule handling: resolution = 2 working days after received_at pause while {waiting_customer} stop at resolved restart on reopened warn 2 hours before
  rule answer: answer = 3 days after resolved
}
escalate {
  rule tell_gm: notify gm immediately when level == major
  rule chase: remind owner 1 hours after first_contact
}
obligations {
  rule report: report_leadership by gm immediately when level == major
  rule letter: send_letter by cs 1 working day after received_at
}
"""


@pytest.fixture(scope="module")
def policy() -> cr.Policy:
    return cr.loads(POLICY, name="life.policy")


def decide(policy: cr.Policy, now: dt.datetime | None = None, **record) -> cr.Decision:
    record = {"id": "L-1", "received_at": at(1, 10).isoformat(), **record}
    decision = policy.evaluate(record, now=now)
    assert policy.interpret(record, now=now) == decision  # the compiled evaluator decides as the oracle
    return decision


def status(*entries: tuple) -> list[dict]:
    """History entries from (day, hour, minute, key, value) tuples."""
    return [{"at": at(d, h, m).isoformat(), key: value} for d, h, m, key, value in entries]


# ---------------------------------------------------------------------------- pausing


def test_a_clock_without_history_runs_from_its_anchor(policy):
    d = decide(policy, at(1, 15))
    c = d.clock("first_contact")
    assert (c.state, c.due_at, c.started_at) == ("running", at(1, 18), at(1, 10))
    assert (c.elapsed, c.remaining, c.paused) == (dt.timedelta(hours=5), dt.timedelta(hours=3), dt.timedelta(0))
    assert c.remaining_wall == dt.timedelta(hours=3)


def test_a_pause_inside_one_business_day_delays_by_the_business_time_paused(policy):
    history = status((1, 12, 0, "status", "waiting_customer"), (1, 14, 0, "status", "in_progress_never_declared"))
    with pytest.raises(cr.RecordError) as info:  # an undeclared status is named with its entry
        decide(policy, at(1, 15), history=history)
    assert "history[1].status" in str(info.value) and "in_progress_never_declared" in str(info.value)
    history = status((1, 12, 0, "status", "waiting_customer"), (1, 14, 0, "status", "reopened"))
    d = decide(policy, at(1, 15), history=history)
    c = d.clock("first_contact")
    assert c.due_at == at(2, 11)  # Tue 18:00 + the 2 business hours paused
    assert (c.state, c.paused, c.elapsed, c.remaining) == (
        "running", dt.timedelta(hours=2), dt.timedelta(hours=3), dt.timedelta(hours=5))
    assert d.deadline("first_contact") == at(2, 11)
    # warn at 75%: 6 business hours of running time, the pause before it delaying it too
    assert c.warn_at == at(1, 18)
    assert decide(policy, at(1, 18), history=history).clock("first_contact").state == "at_risk"


def test_a_pause_across_a_holiday_does_not_count_the_holiday(policy):
    plain = decide(policy, at(2, 12)).clock("resolution")
    assert plain.due_at == at(4, 10)  # 2 working days: Wed, then Fri (Thu 3 December is a holiday)
    history = status((2, 17, 0, "status", "waiting_customer"), (4, 10, 0, "status", "reopened"))
    d = decide(policy, at(4, 11), history=history)
    # Wed 17-18 and Fri 9-10 are 2 business hours paused; the holiday between counts nothing
    c = next(c for c in d.clocks if c.clock == "resolution" and c.cycle == 0)
    assert c.due_at == at(4, 12) and c.paused == dt.timedelta(hours=2)


def test_a_pause_ending_outside_business_hours_counts_only_business_time(policy):
    history = status((1, 17, 0, "status", "waiting_customer"), (1, 22, 0, "status", "reopened"))
    c = decide(policy, at(1, 23), history=history).clock("first_contact")
    assert c.paused == dt.timedelta(hours=1) and c.due_at == at(2, 10)


def test_a_pause_still_open_at_now(policy):
    history = status((1, 12, 0, "status", "waiting_customer"))
    d = decide(policy, at(1, 16), history=history)
    c = d.clock("first_contact")
    assert (c.state, c.paused_since, c.paused) == ("paused", at(1, 12), dt.timedelta(hours=4))
    assert c.due_at == at(2, 13)  # projected as if it resumed now: Tue 18:00 + 4 business hours
    assert c.remaining == dt.timedelta(hours=6)
    # A paused clock changes state only when the history does: the next change is the letter falling due
    # (Wed 10:00), not a time of the paused clocks.
    assert d.next_change_at == at(2, 10) == d.obligation("letter").due_at
    assert d.clock("resolution").state == "paused"


def test_a_pause_after_the_due_time_does_not_rescue_a_breached_clock(policy):
    history = status((1, 19, 0, "status", "waiting_customer"))
    c = decide(policy, at(2, 10), history=history).clock("first_contact")
    assert (c.state, c.due_at, c.late_by) == ("breached", at(1, 18), dt.timedelta(hours=16))


# ---------------------------------------------------------------------------- stopping


def test_met_early(policy):
    c = decide(policy, at(1, 15), first_contact_at=at(1, 11).isoformat()).clock("first_contact")
    assert (c.state, c.met_at, c.remaining_wall, c.late_by) == ("met", at(1, 11), dt.timedelta(hours=7), None)
    assert c.elapsed == dt.timedelta(hours=1)


def test_met_late(policy):
    c = decide(policy, at(2, 15), first_contact_at=at(2, 12).isoformat()).clock("first_contact")
    assert (c.state, c.met_at, c.late_by) == ("breached", at(2, 12), dt.timedelta(hours=18))
    assert c.remaining == dt.timedelta(hours=-3)  # 11 business hours used of 8


def test_breached_and_still_open(policy):
    d = decide(policy, at(2, 10))
    c = d.clock("first_contact")
    assert (c.state, c.met_at, c.late_by) == ("breached", None, dt.timedelta(hours=16))
    item = next(i for i in d.agenda if i.kind == "clock" and i.name == "first_contact")
    assert (item.state, item.since, item.late_by, item.who) == ("breached", at(1, 18), dt.timedelta(hours=16), ("cs",))
    assert item.location == "life.policy:15:3"  # the winning rule, where it is written


def test_a_stop_in_the_future_of_now_is_not_yet_a_stop(policy):
    c = decide(policy, at(1, 15), first_contact_at=at(1, 17).isoformat()).clock("first_contact")
    assert c.state == "running" and c.met_at is None


def test_a_clock_that_starts_at_a_status(policy):
    assert decide(policy, at(2, 12)).clock("answer").state == "not_started"
    d = decide(policy, at(2, 12), history=status((2, 10, 0, "status", "resolved")))
    c = d.clock("answer")
    assert (c.state, c.started_at, c.due_at) == ("running", at(2, 10), at(5, 10))
    assert d.clock("resolution").state == "met"


# ---------------------------------------------------------------------------- restarting


def test_a_reopening_starts_a_new_cycle_and_the_earlier_keeps_its_outcome(policy):
    history = status((2, 10, 0, "status", "resolved"), (4, 10, 0, "status", "reopened"))
    d = decide(policy, at(4, 12), history=history)
    cycles = [c for c in d.clocks if c.clock == "resolution"]
    assert [(c.cycle, c.state) for c in cycles] == [(0, "met"), (1, "running")]
    assert cycles[0].met_at == at(2, 10) and cycles[1].started_at == at(4, 10)
    assert d.clock("resolution") == cycles[1]
    assert d.deadline("resolution") == at(8, 10) == cycles[1].due_at  # Fri + 2 working days: Tue


# ---------------------------------------------------------------------------- the level, from the history


def test_a_reclassification_is_timed_from_the_history_not_from_receipt(policy):
    before = decide(policy, at(2, 11), hazards=["fire"])
    assert before.deadline("first_contact") == at(1, 12)
    history = status((1, 10, 0, "level", "general"), (2, 10, 0, "level", "major"))
    after = decide(policy, at(2, 11), hazards=["fire"], history=history)
    assert after.level == "major" and after.deadline("first_contact") == at(2, 12)
    assert after.clock("first_contact").state == "running"
    # The last level entry names another level than the one decided: the history does not explain it.
    other = status((2, 10, 0, "level", "major"), (2, 10, 30, "level", "general"))
    assert decide(policy, at(2, 11), hazards=["fire"], history=other).deadline("first_contact") == at(1, 12)


# ---------------------------------------------------------------------------- escalations and obligations


def test_a_done_escalation_is_not_on_the_agenda(policy):
    due = decide(policy, at(1, 11), hazards=["fire"])
    assert due.escalation("tell_gm").status == "due"
    assert any(i.name == "tell_gm" for i in due.agenda)
    history = [{"at": at(1, 10, 30).isoformat(), "rule": "tell_gm", "action": "sent"}]
    done = decide(policy, at(1, 11), hazards=["fire"], history=history)
    assert done.escalation("tell_gm").status == "done"
    assert not any(i.name == "tell_gm" for i in done.agenda)
    # done after now does not count yet
    later = [{"at": at(1, 12).isoformat(), "rule": "tell_gm"}]
    assert decide(policy, at(1, 11), hazards=["fire"], history=later).escalation("tell_gm").status == "due"


def test_an_escalation_timed_from_a_clock_met_before_it_falls_due_is_inactive(policy):
    d = decide(policy, at(2, 12), first_contact_at=at(1, 11).isoformat())
    assert d.escalation("chase").status == "inactive"
    assert decide(policy, at(2, 12)).escalation("chase").status == "due"


def test_obligations_pending_due_overdue_done(policy):
    assert decide(policy).obligation("letter").status == "pending"  # no now
    assert decide(policy, at(1, 11)).obligation("letter").status == "pending"
    late = decide(policy, at(2, 11))
    assert late.obligation("letter").status == "overdue"
    item = next(i for i in late.agenda if i.name == "letter")
    assert (item.kind, item.state, item.late_by, item.who) == ("obligation", "overdue", dt.timedelta(hours=1), ("cs",))
    assert decide(policy, at(1, 11), hazards=["fire"]).obligation("report").status == "due"
    history = [{"at": at(2, 9).isoformat(), "rule": "letter"}]
    assert decide(policy, at(2, 11), history=history).obligation("letter").status == "done"


# ---------------------------------------------------------------------------- the agenda and when to look next


def test_next_change_at_is_the_next_due_or_warning_instant(policy):
    d = decide(policy, at(1, 11))
    # first_contact warns at 75% of 8 business hours: Tue 16:00, before every due time
    assert d.clock("first_contact").warn_at == at(1, 16)
    assert d.next_change_at == at(1, 16)
    after_warning = decide(policy, at(1, 16, 30))
    assert after_warning.clock("first_contact").state == "at_risk"
    assert after_warning.next_change_at == at(1, 18)  # now the due time itself
    assert [i.state for i in after_warning.agenda] == ["at_risk"]
    assert decide(policy).next_change_at is None and decide(policy).agenda == ()


def test_the_agenda_is_most_urgent_first(policy):
    d = decide(policy, at(2, 12), hazards=["fire"])
    kinds = [(i.kind, i.name, i.state) for i in d.agenda]
    lates = [i.late_by for i in d.agenda if i.late_by and i.late_by > dt.timedelta(0)]
    assert lates == sorted(lates, reverse=True) and lates
    assert ("escalation", "tell_gm", "due") in kinds and ("obligation", "letter", "overdue") in kinds
    # tell_gm was due at receipt (Tue 10:00), 26 hours late; the major first contact at Tue 12:00, 24 hours late
    assert kinds[:2] == [("escalation", "tell_gm", "due"), ("clock", "first_contact", "breached")]


def test_decisions_round_trip_through_json_with_their_clocks(policy):
    d = decide(policy, at(1, 16), history=status((1, 12, 0, "status", "waiting_customer")))
    assert d.clocks and cr.Decision.from_json(d.to_json()) == d
    old = json.loads(d.to_json())
    del old["clocks"]  # JSON written before clocks had a state still reads
    assert cr.Decision.model_validate(old).clocks == ()


def test_outcome_gives_the_same_clocks_as_plain_dicts(policy):
    compiled = policy.compiled
    record = {"id": "x", "received_at": at(1, 10).isoformat(), "history": status((1, 12, 0, "status", "waiting_customer"))}
    rid, values = compiled.coerce(record)
    out = compiled.outcome(values, rid, at(1, 16))
    assert all(type(c) is dict for c in out["clocks"])
    assert cr.Decision.model_validate(out) == compiled.decide(values, rid, at(1, 16))


# ---------------------------------------------------------------------------- history in the record


@pytest.mark.parametrize(
    ("entry", "where", "words"),
    [
        ({"at": "2026-12-01T11:00", "status": "resolved"}, "history[1].at", "naive"),
        ({"at": "2026-12-01T11:00+08:00", "status": "resolvd"}, "history[1].status", "did you mean 'resolved'"),
        ({"at": "2026-12-01T11:00+08:00", "rule": "tel_gm"}, "history[1].rule", "did you mean 'tell_gm'"),
        ({"at": "2026-12-01T11:00+08:00", "level": "urgent"}, "history[1].level", "unknown level"),
        ({"at": "2026-12-01T09:00+08:00", "status": "resolved"}, "history[1].at", "oldest first"),
        ({"at": "2026-12-01T11:00+08:00"}, "history[1]", "give one of status, level, rule"),
        ({"at": "2026-12-01T11:00+08:00", "status": "resolved", "rule": "letter"}, "history[1]", "not both"),
        ({"status": "resolved"}, "history[1].at", "required"),
        ({"at": "2026-12-01T11:00+08:00", "state": "resolved"}, "history[1].state", "unknown key"),
        ({"at": "2026-12-01T11:00+08:00", "status": "resolved", "action": "x"}, "history[1].action", "only with a rule"),
        ("resolved", "history[1]", "expected {at, status | level | rule}"),
    ],
)
def test_bad_history_names_the_entry_and_its_field(policy, entry, where, words):
    history = [{"at": "2026-12-01T10:30+08:00", "status": "waiting_customer"}, entry]
    with pytest.raises(cr.RecordError) as info:
        policy.evaluate({"id": "B-1", "received_at": "2026-12-01T10:00+08:00", "history": history})
    problems = dict(info.value.problems)
    assert info.value.record_id == "B-1"
    assert where in problems and words in problems[where], problems


def test_history_as_json_text_is_the_csv_column_form(policy):
    history = status((1, 12, 0, "status", "waiting_customer"))
    as_list = decide(policy, at(1, 16), history=history)
    as_text = decide(policy, at(1, 16), history=json.dumps(history))
    assert as_text == as_list and as_text.clock("first_contact").state == "paused"
    with pytest.raises(cr.RecordError) as info:
        decide(policy, at(1, 16), history="[not json")
    assert dict(info.value.problems) == {"history": "expected a JSON list of history entries"}


def test_history_from_the_pydantic_record_model(policy):
    record = ComplaintRecord(id="P-1", received_at=at(1, 10), history=[{"at": at(1, 12), "status": "waiting_customer"}])
    d = policy.evaluate(record, now=at(1, 16))
    assert d.clock("first_contact").state == "paused" and d == policy.interpret(record, now=at(1, 16))


# ---------------------------------------------------------------------------- the language


def test_clock_life_round_trips_through_both_printers(policy):
    source = dsl.parse(POLICY, "life.policy")
    assert dsl.parse(printer.print_policy(source)) == source
    assert fy.parse(yaml_printer.to_yaml(source), "life.yaml") == source
    rule = next(r for r in source.deadlines if r.id == "handling")
    assert (rule.life.pause, rule.life.stop, rule.life.restart, str(rule.life.warn)) == (
        ("waiting_customer",), ("resolved",), "reopened", "2 hours")


@pytest.mark.parametrize(
    ("clause", "words"),
    [
        ("pause while {waiting_custmer} stop at resolved", "unknown status 'waiting_custmer' in deadline 'c' "
         "(pause while) (did you mean 'waiting_customer'?)"),
        ("stop at resolvd", "did you mean 'resolved'?"),
        ("stop at first_contact_at restart on reopend", "unknown status 'reopend'"),
        ("restart on reopened", "can never stop"),
        ("pause while {resolved} stop at resolved", "both pauses and stops at status 'resolved'"),
        ("stop at description", "expected a datetime field, a status or a rule id"),
        ("warn at 100%", "between 0% and 100%"),
        ("warn end of day before", "unexpected 'end'"),
        ("warn at 50% warn at 60%", "'warn' is given twice"),
    ],
)
def test_the_checker_names_what_is_wrong_with_a_clock(clause, words):
    text = ('policy "p" {}\nstatuses { waiting_customer resolved reopened }\n'
            f"deadlines {{\n  rule c: c = 2 hours after received_at {clause}\n}}\n")
    with pytest.raises(cr.PolicyError) as info:
        cr.loads(text, name="p.policy")
    assert words in str(info.value)
    assert info.value.file == "p.policy" and info.value.line == 4


def test_an_unknown_clock_anchor_offers_the_declared_statuses():
    text = ('policy "p" {}\nstatuses { waiting_customer in_progress resolved }\n'
            "deadlines {\n  rule c: c = 60 days after in_progres stop at resolved\n}\n")
    with pytest.raises(cr.PolicyError) as info:
        cr.loads(text, name="p.policy")
    message = str(info.value)
    assert "unknown anchor 'in_progres'" in message
    assert "expected a clock, a datetime field or a declared status (did you mean 'in_progress'?)" in message
    assert (info.value.line, info.value.column) == (4, 29)


def test_an_unknown_anchor_elsewhere_offers_no_status():
    text = ('policy "p" {}\nstatuses { in_progress resolved }\n'
            "escalate {\n  rule e: notify general_manager 2 days after in_progress\n}\n")
    with pytest.raises(cr.PolicyError) as info:
        cr.loads(text, name="p.policy")
    assert "expected a clock or a datetime field" in str(info.value)


def test_a_pause_status_without_statuses_says_none_are_declared():
    with pytest.raises(cr.PolicyError) as info:
        cr.loads('policy "p" {}\ndeadlines {\n  rule c: c = 2 hours after received_at pause while {waiting}\n}\n')
    assert "the policy declares no 'statuses'" in str(info.value)


# ---------------------------------------------------------------------------- the agenda command


def test_agenda_command_lists_the_queue_most_urgent_first_and_names_bad_records(tmp_path, capsys):
    from complaint_rules.cli import main

    policy_file = tmp_path / "life.policy"
    policy_file.write_text(POLICY, encoding="utf-8")
    queue = tmp_path / "queue.jsonl"
    rows = [
        {"id": "Q-1", "received_at": at(1, 10).isoformat()},
        {"id": "Q-2", "received_at": at(1, 10).isoformat(), "hazards": ["fire"]},
        {"id": "Q-3", "received_at": at(1, 10).isoformat(), "history": [{"at": "2026-12-01T12:00", "status": "resolved"}]},
    ]
    queue.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code = main(["agenda", str(policy_file), str(queue), "--now", at(2, 11).isoformat(), "--format", "jsonl"])
    out, err = capsys.readouterr()
    assert code == 1  # Q-3 is bad: named with its line and field, the others still listed
    assert f"{queue}:3: record Q-3: history[0].at: naive" in err
    items = [json.loads(line) for line in out.splitlines()]
    assert {i["record_id"] for i in items} == {"Q-1", "Q-2"}
    first = items[0]
    assert (first["record_id"], first["kind"], first["name"]) == ("Q-2", "escalation", "tell_gm")
    assert main(["agenda", str(policy_file), str(queue), "--now", "2026-12-02T11:00"]) == 2  # naive --now: usage
    capsys.readouterr()


def test_a_history_in_an_embedded_test_is_checked():
    text = POLICY + ('test "t" {\n  given { received_at: 2026-12-01T10:00+08:00, '
                     'history: [{at: 2026-12-01T12:00+08:00, status: waiting_custmer}] }\n  expect { level: general }\n}\n')
    with pytest.raises(cr.PolicyError) as info:
        cr.loads(text, name="t.policy")
    assert "unknown status 'waiting_custmer' in history entry 1 (did you mean 'waiting_customer'?)" in str(info.value)
