"""Edge inputs found by auditing: each must give a located project error, never a crash or a wrong line."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules import EvaluationError, PolicyError, load, loads
from complaint_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
DEALER = ROOT / "policies" / "automotive" / "svw-dealer.policy"


@pytest.mark.parametrize(
    "record",
    [
        {"id": "a", "received_at": "2026-01-01T10:00+08:00", "resolved_at": "9999-12-31T23:00+00:00"},
        {"id": "a", "received_at": "0001-01-01T00:00+14:00"},
    ],
)
def test_a_date_out_of_range_after_shifting_is_a_problem_or_with_strict_an_evaluation_error(record):
    policy = load(DEALER)
    decisions = []
    for decide in (policy.evaluate, policy.interpret):
        decision = decide(record)
        assert decision.incomplete and decision.level == "general"
        assert any("is out of range in Asia/Shanghai" in p.message and p.year is None for p in decision.problems)
        decisions.append(decision)
        with pytest.raises(EvaluationError, match=r"record a: .*\(rule \S+\) cannot be placed: .* is out of range in Asia/Shanghai"):
            decide(record, strict=True)
    assert decisions[0] == decisions[1]


def test_a_yaml_follow_up_otherwise_without_rate_is_a_located_error():
    text = "policy:\n  id: p\nfollow_up:\n  otherwise:\n    within: 1 day\n    by: [x]\n"
    with pytest.raises(PolicyError, match=r"p\.yaml:5:5: 'otherwise' of follow_up is missing 'rate'"):
        loads(text, format="yaml", name="p.yaml")


def test_an_unknown_calendar_fails_check_at_its_name(tmp_path, capsys):
    path = tmp_path / "c.policy"
    path.write_text('policy "c" {\n  title "calendar"\n  calendar "XX"\n}\n', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"c\.policy:3:12: unknown calendar 'XX'"):
        load(path)
    assert main(["check", str(path)]) == 1
    assert "3:12: unknown calendar 'XX'" in capsys.readouterr().err


def test_a_unicode_line_separator_in_a_string_does_not_shift_the_shown_line():
    with pytest.raises(PolicyError) as info:
        loads('policy "p" {\n  title "a\u2028b"\n  versio "1"\n}\n', name="f.policy")
    lines = str(info.value).splitlines()
    assert lines[0].startswith("f.policy:3:3: unexpected 'versio'")
    assert lines[1].strip() == 'versio "1"' and lines[2].strip().startswith("^")


def test_a_byte_order_mark_is_not_part_of_a_policy(tmp_path, capsys):
    text = load(ROOT / "policies" / "retail" / "mall.policy").to_dsl()
    path = tmp_path / "bom.policy"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load(path).id == "mall"
    assert main(["check", str(path)]) == 0
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_refuses_yaml_with_a_clear_message(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    path.write_text("policy:\n  id: p\n", encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    assert "fmt formats .policy files" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "policy:\n  id: p\n"


def test_a_policy_is_immutable_and_keeps_its_fingerprint():
    a, b = load(ROOT / "policies" / "retail" / "mall.policy"), load(DEALER)
    for name, value in (("ir", b.ir), ("fingerprint", b.fingerprint), ("_compiled", None), ("other", 1)):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(a, name, value)
    assert a.evaluate({"id": "x", "received_at": "2026-12-01T10:00+08:00"}).fingerprint == a.fingerprint
    again = pickle.loads(pickle.dumps(a))
    assert again == a and hash(again) == hash(a) and again.fingerprint == a.fingerprint


def test_policy_errors_expose_file_line_and_column():
    with pytest.raises(complaint_rules.PolicyError) as info:
        loads('policy "p" {\n  versio "1"\n}\n', name="p.policy")
    assert (info.value.file, info.value.line, info.value.column) == ("p.policy", 2, 3)


@pytest.mark.parametrize("name", ["amount", "options", "days", "hours", "note", "label", "required", "otherwise",
                                  "and", "or", "working", "after", "when"])
@pytest.mark.parametrize("default", ["0", "low", "2 hours", "true"])
def test_a_field_named_like_a_keyword_after_a_default_round_trips(name, default):
    kind = {"0": "int", "low": "enum {low, high}", "2 hours": "duration", "true": "bool"}[default]
    text = f'policy "p" {{\n}}\n\nrecord {{\n  n: {kind} = {default},\n  {name}: int\n}}\n'
    policy = loads(text)
    assert policy.to_dsl() == text  # the canonical form keeps the comma that ends the field
    assert loads(policy.to_dsl()) == policy
    assert loads(policy.to_yaml(), format="yaml").to_dsl() == text
    # Without the comma the value may swallow the next name (`0 days`): then a located syntax error, never a crash.
    try:
        assert loads(text.replace(f"= {default},", f"= {default}")) == policy
    except PolicyError as exc:
        assert exc.line == 6


@pytest.mark.parametrize("duration", ["-1 working day", "1.5 days", "soon", "end of 2 days"])
def test_the_calendar_api_raises_calendar_errors_for_bad_durations(duration):
    import datetime as dt

    cn = complaint_rules.calendar("CN", timezone="Asia/Shanghai")
    with pytest.raises(complaint_rules.CalendarError, match=f"invalid duration '{duration}'"):
        cn.add(dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc), duration)
    with pytest.raises(ValueError):  # still a ValueError, as it always was
        cn.add(dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc), duration)


@pytest.mark.parametrize("role", ["cap", "rules", "or", "options", "authority", "level", "amount", "until"])
def test_an_authority_role_named_like_a_keyword_round_trips(role):
    text = (f'policy "p" {{\n  currency CNY\n}}\n\nunits {{\n  boss\n  {role}\n}}\n\ncompensate {{\n'
            f'  authority {{\n    boss up to 1000 CNY,\n    {role} up to 2000 CNY\n  }}\n}}\n')
    policy = loads(text)
    assert policy.to_dsl() == text
    assert loads(policy.to_yaml(), format="yaml").to_dsl() == text


def test_every_time_in_a_decision_is_in_the_policys_zone_whatever_the_records_offset():
    policy = load(DEALER)
    record = {"id": "z", "received_at": "2026-12-01T02:00Z", "category": "sales_service",
              "delivered_at": "2026-11-30T23:00-05:00", "resolved_at": "2026-12-02T01:00Z"}
    for decision in (policy.evaluate(record), policy.interpret(record)):
        times = [d.due_at for d in decision.deadlines] + [e.due_at for e in decision.escalations]
        times += [o.due_at for o in decision.obligations] + [o.retain_until for o in decision.obligations]
        times += [decision.follow_up.due_at]
        zones = {str(t.tzinfo) for t in times if t is not None}
        assert zones == {"Asia/Shanghai"}
        immediate = next(e for e in decision.escalations if e.rule == "still_dissatisfied")
        assert immediate.due_at.isoformat() == "2026-12-01T10:00:00+08:00"  # the same instant as 02:00Z


def test_calendar_in_zone_shows_an_instant_in_its_zone_and_leaves_the_unshowable_alone():
    import datetime as dt

    cn = complaint_rules.calendar("CN", timezone="Asia/Shanghai")
    utc = dt.datetime(2026, 12, 1, 2, tzinfo=dt.timezone.utc)
    local = cn.in_zone(utc)
    assert local == utc and local.isoformat() == "2026-12-01T10:00:00+08:00"
    assert cn.in_zone(local) is local
    edge = dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone.utc)  # 07:00 on 1 January 10000 in Shanghai
    assert cn.in_zone(edge) is edge
