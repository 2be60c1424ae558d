"""Versions by date: a policy set picks the version in force at received_at; before `effective` is an error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules import PolicySet, load_set
from complaint_rules.cli import main
from complaint_rules.compare import replay
from complaint_rules.logs import JsonlSink, log_records

ROOT = Path(__file__).resolve().parents[1]
DESK = ROOT / "tests" / "versions" / "desk"
DEALER = ROOT / "policies" / "automotive" / "svw-dealer.policy"


@pytest.fixture(scope="module")
def desk() -> PolicySet:
    return load_set(DESK)


def rec(received_at: str, **more) -> dict:
    return {"id": "C-1", "received_at": received_at, **more}


@pytest.mark.parametrize(
    ("received_at", "version", "due"),
    [
        ("2026-12-01T00:00+08:00", "2026.12", "2026-12-02T00:00:00+08:00"),  # the first day of the first version
        ("2027-02-28T23:59:59+08:00", "2026.12", "2027-03-01T23:59:59+08:00"),  # the last moment before the second
        ("2027-03-01T00:00+08:00", "2027.03", "2027-03-01T04:00:00+08:00"),  # the second's first moment
        ("2027-02-28T16:00:00+00:00", "2027.03", "2027-03-01T04:00:00+08:00"),  # the same moment in UTC
        ("2027-02-28T15:59:59+00:00", "2026.12", "2027-03-01T23:59:59+08:00"),  # a second before, in UTC
        ("2031-01-01T10:00+08:00", "2027.03", "2031-01-01T14:00:00+08:00"),  # long after: the latest version
    ],
)
def test_the_version_in_force_at_received_at_decides(desk, received_at, version, due):
    decision = desk.evaluate(rec(received_at))
    assert decision.policy_version == version
    assert decision.deadline("first_contact").isoformat() == due
    chosen = desk.version_for(rec(received_at))
    assert decision.fingerprint == chosen.fingerprint and chosen.version == version


def test_at_takes_dates_and_datetimes(desk):
    assert desk.at(dt.date(2027, 2, 28)).version == "2026.12"
    assert desk.at(dt.date(2027, 3, 1)).version == "2027.03"
    assert [v.version for v in desk] == ["2026.12", "2027.03"] and len(desk) == 2 and desk.id == "desk"


def test_before_the_first_version_is_an_error_naming_both_dates(desk):
    with pytest.raises(complaint_rules.RecordError) as info:
        desk.evaluate(rec("2026-11-30T23:59+08:00"))
    message = str(info.value)
    assert info.value.record_id == "C-1" and info.value.fields == ("received_at",)
    assert "2026-11-30" in message and "effective 2026-12-01" in message
    # in UTC the same moment is already 2026-12-01 in Shanghai: in force
    assert desk.evaluate(rec("2026-11-30T16:00:00+00:00")).policy_version == "2026.12"
    with pytest.raises(ValueError, match="2026-11-30 is before the first version of desk"):
        desk.at(dt.date(2026, 11, 30))


def test_before_effective_allow_decides_under_the_first_version():
    lenient = load_set(DESK, before_effective="allow")
    assert lenient.evaluate(rec("2025-06-01T10:00+08:00")).policy_version == "2026.12"


def test_a_record_without_received_at_cannot_pick_a_version(desk):
    with pytest.raises(complaint_rules.RecordError, match="received_at"):
        desk.evaluate({"id": "C-2"})


def test_a_lone_policy_enforces_effective_when_asked():
    strict = complaint_rules.load(DEALER, before_effective="error")
    assert strict.before_effective == "error" and strict.effective == dt.date(2026, 12, 1)
    with pytest.raises(complaint_rules.RecordError) as info:
        strict.evaluate(rec("2025-03-01T10:00+08:00"))
    assert "received 2025-03-01, before svw-dealer version 2026.11 is in force (effective 2026-12-01)" in str(info.value)
    with pytest.raises(complaint_rules.RecordError):
        strict.interpret(rec("2025-03-01T10:00+08:00"))
    assert strict.evaluate(rec("2026-12-01T00:00+08:00")) == strict.interpret(rec("2026-12-01T00:00+08:00"))
    # the default decides it, as before (documented in docs/versions.md)
    lenient = complaint_rules.load(DEALER)
    assert lenient.before_effective == "allow" and lenient.evaluate(rec("2025-03-01T10:00+08:00")).level
    with pytest.raises(ValueError, match="before_effective must be one of allow, error"):
        complaint_rules.load(DEALER, before_effective="warn")


def test_before_effective_survives_pickling():
    import pickle

    strict = complaint_rules.load(DEALER, before_effective="error")
    assert pickle.loads(pickle.dumps(strict)).before_effective == "error"


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, "utf-8")


def test_a_set_checks_its_versions(tmp_path):
    base = (DESK / "desk-2026-12.policy").read_text("utf-8")
    no_date = tmp_path / "a"
    _write(no_date, "x.policy", base.replace("  effective 2026-12-01\n", ""))
    with pytest.raises(complaint_rules.PolicyError, match="a version of a policy set needs an 'effective' date"):
        load_set(no_date)
    two_ids = tmp_path / "b"
    _write(two_ids, "x.policy", base)
    _write(two_ids, "y.policy", base.replace('policy "desk"', 'policy "other"').replace("2026-12-01", "2027-01-01"))
    with pytest.raises(complaint_rules.PolicyError, match="a set holds versions of one policy"):
        load_set(two_ids)
    same_day = tmp_path / "c"
    _write(same_day, "x.policy", base)
    _write(same_day, "y.policy", base.replace('version "2026.12"', 'version "2026.12b"'))
    with pytest.raises(complaint_rules.PolicyError, match="two versions cannot come into force on the same day"):
        load_set(same_day)
    (tmp_path / "d").mkdir()
    with pytest.raises(complaint_rules.PolicyError, match="no policy file"):
        load_set(tmp_path / "d")
    with pytest.raises(FileNotFoundError):
        load_set(tmp_path / "none")


def test_diff_compares_two_dates_of_a_set(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    d = complaint_rules.diff("tests/versions/desk@2027-01-15", "tests/versions/desk@2027-03-01", verify=False)
    assert d.old == "tests/versions/desk@2027-01-15 (tests/versions/desk/desk-2026-12.policy)"
    assert {c.key for c in d.structural} == {"version", "effective", "big", "first_contact"}
    assert complaint_rules.diff("tests/versions/desk@2027-01-15", "tests/versions/desk@2027-02-01").empty
    assert main(["diff", "tests/versions/desk@2026-01-01", "tests/versions/desk@2027-03-01"]) == 2
    assert "is before the first version of desk" in capsys.readouterr().err


def test_explain_names_the_version_used(tmp_path, capsys):
    record = tmp_path / "r.json"
    record.write_text('{"id": "C-9", "received_at": "2027-03-02T10:00+08:00", "claimed_amount": "3000 CNY"}')
    assert main(["explain", str(DESK), str(record)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("version in force at received_at: ")
    assert "desk-2027-03.policy (version 2027.03, effective 2027-03-01)" in out
    assert "under policy desk version 2027.03" in out and "major" in out


def test_the_log_names_the_version_used(tmp_path, desk):
    sink = JsonlSink(tmp_path / "log.jsonl")
    records = [rec("2027-02-28T12:00+08:00", id="A"), rec("2027-03-01T12:00+08:00", id="B"),
               rec("2026-01-01T12:00+08:00", id="C")]
    written, failed = log_records(desk, records, sink)
    assert written == 2 and [rid for rid, _ in failed] == ["C"]
    entries = list(sink)
    assert [(e.record_id, e.policy_version) for e in entries] == [("A", "2026.12"), ("B", "2027.03")]
    assert entries[0].policy_path.endswith("desk-2026-12.policy") and entries[1].policy_path.endswith("desk-2027-03.policy")
    assert replay(sink).clean  # each under the version it was logged with


def test_a_strict_lone_policy_logs_no_record_before_effective(tmp_path):
    strict = complaint_rules.load(DEALER, before_effective="error")
    sink = JsonlSink(tmp_path / "log.jsonl")
    written, failed = log_records(strict, [rec("2025-03-01T10:00+08:00", id="OLD"),
                                           rec("2026-12-02T10:00+08:00", id="NEW")], sink)
    assert written == 1 and failed[0][0] == "OLD" and "effective 2026-12-01" in failed[0][1]
