"""Decision logs: ids and digests, personal fields masked, the JSONL / SQLite / PostgreSQL sinks, replay."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaint_rules
from complaint_rules.batch import ColumnMap, read_rows
from complaint_rules.cli import main
from complaint_rules.compare import replay
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy
from complaint_rules.language.printer import print_policy
from complaint_rules.language.yaml_printer import to_yaml
from complaint_rules.logs import (
    JsonlSink,
    LogError,
    SqliteSink,
    decision_id,
    input_digest,
    log_records,
    logged,
    open_log,
    replayable,
)

sys.path.insert(0, str(Path(__file__).parent))
import caseload  # noqa: E402
import postgres_server  # noqa: E402
from strategies_ir import policies  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CFPB = ROOT / "policies" / "finance" / "cfpb-bank.policy"
SAMPLE = ROOT / "examples" / "cfpb_complaints_sample.csv"
COLUMNS = ROOT / "policies" / "finance" / "cfpb-columns.json"
DEALER = ROOT / "policies" / "automotive" / "svw-dealer.policy"
NOW = dt.datetime(2016, 10, 1, 12, tzinfo=dt.timezone.utc)

# Narratives with personal data; the bank's policy looks for legal words in them.
NARRATIVES = [
    {"id": "N-1", "category": "student_loan", "received_at": "2016-09-12T00:00:00-04:00",
     "description": "Jane Roe of 12 Elm Street: my LAWYER is preparing a lawsuit", "zip_code": "02139"},
    {"id": "N-2", "category": "mortgage", "received_at": "2016-09-13T00:00:00-04:00",
     "description": "John Doe, account 4111-1111, was charged twice", "zip_code": "10027"},
]
SECRETS = ["Jane Roe", "12 Elm Street", "John Doe", "4111-1111", "02139", "10027", "770XX", "preparing"]


def personal_copy(source: Path, tmp: Path, *edits: tuple[str, str]) -> Path:
    """The bundled policy with some fields marked personal (and other edits), beside the bundled ones' data."""
    text = source.read_text("utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    out = tmp / source.name
    out.write_text(text, "utf-8")
    return out


CFPB_PERSONAL = (('description: text "', 'description: text personal "'), ('zip_code: text "', 'zip_code: text personal "'))


@pytest.fixture(scope="module")
def cfpb(tmp_path_factory):
    return complaint_rules.load(personal_copy(CFPB, tmp_path_factory.mktemp("cfpb"), *CFPB_PERSONAL))


@pytest.fixture(scope="module")
def cfpb_changed(tmp_path_factory):
    """The same policy with the response deadline from the date sent shortened from 15 to 10 days."""
    edits = (*CFPB_PERSONAL, ("response = 15 days after sent_at", "response = 10 days after sent_at"))
    return complaint_rules.load(personal_copy(CFPB, tmp_path_factory.mktemp("cfpb-changed"), *edits))


def sample() -> list:
    with SAMPLE.open("rb") as stream:
        rows = [r.record for r in read_rows(stream, "csv", ColumnMap.load(COLUMNS))]
    return rows + NARRATIVES


# ---------------------------------------------------------------------------- the personal marker


def test_personal_in_dsl_and_yaml_round_trips(cfpb):
    field = cfpb.ir.field("description")
    assert field.personal and field.label == "Consumer complaint narrative" and not cfpb.ir.field("state").personal
    assert 'description: text personal "Consumer complaint narrative"' in cfpb.to_dsl()
    again = complaint_rules.loads(cfpb.to_yaml(), "yaml")
    assert again.ir.field("zip_code").personal and again == cfpb
    assert complaint_rules.loads(cfpb.to_dsl()) == cfpb
    # a field named like the keyword still parses, and prints back with a comma before it
    text = "policy \"p\" {}\nrecord {\n  note: text personal\n  personal: bool\n}\n"
    p = complaint_rules.loads(text)
    assert p.ir.field("note").personal and p.ir.field("personal").type.kind == "bool"
    assert complaint_rules.loads(p.to_dsl()) == p


@settings(max_examples=40, deadline=None)
@given(policies(), st.data())
def test_personal_fields_round_trip_through_both_printers(p, data):
    """parse(print(p)) == p and dsl(p) == yaml(p), with drawn fields marked personal."""
    marked = tuple(dataclasses.replace(f, personal=data.draw(st.booleans())) for f in p.record)
    q = dataclasses.replace(p, record=marked)
    assert dsl.parse(print_policy(q), "p.policy") == q
    assert fy.parse(to_yaml(q), "p.yaml") == q
    assert [f.personal for f in dsl.parse(print_policy(q)).record] == [f.personal for f in marked]


def test_the_yaml_schema_knows_personal():
    import jsonschema

    from complaint_rules.language.schema import json_schema

    schema = json_schema()
    doc = {"policy": {"id": "p"}, "record": {"note": {"type": "text", "personal": True}}}
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"policy": {"id": "p"}, "record": {"note": {"type": "text", "personal": "yes"}}}, schema)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('id: text required "', 'id: text required personal "'), "'id' cannot be personal: it is the key of a decision log"),
        (("resolved_at: datetime", "resolved_at: datetime personal"), "which is personal: a decision log keeps it masked, so nothing may be timed from it"),
        (("claimed_amount: money = 0 USD", "claimed_amount: money = 0 USD personal"), "no remedy may be sized by it"),
        (('company: text "', 'company: text personal "'), None),  # read by no condition: fine
        (('state: text "', 'state: text personal "'), None),
    ],
)
def test_checker_limits_what_reads_a_personal_field(edit, message, tmp_path):
    path = personal_copy(CFPB, tmp_path, edit)
    if message is None:
        assert complaint_rules.load(path).ir.field(edit[1].split(":")[0]).personal
        return
    with pytest.raises(complaint_rules.PolicyError) as info:
        complaint_rules.load(path)
    assert message in str(info.value) and f"{path.name}:" in info.value.render()


def test_a_personal_field_may_not_be_compared(tmp_path):
    text = ('policy "p" {}\nrecord {\n  name: text personal\n}\nlevels {\n  general\n}\n'
            'classify first {\n  rule named: name == "x" -> general\n  otherwise -> general\n}\n')
    with pytest.raises(complaint_rules.PolicyError, match="'name' is personal: a condition may only test it with"):
        complaint_rules.loads(text, name="p.policy")
    ok = text.replace('name == "x"', 'name mentions any {"x"} or name is missing')
    assert complaint_rules.loads(ok)


# ---------------------------------------------------------------------------- entries


def test_decision_ids_are_derived_and_deterministic(cfpb, cfpb_changed):
    record = NARRATIVES[0]
    a, b = logged(cfpb, record, NOW), logged(cfpb, dict(record), NOW)
    assert a.decision_id == b.decision_id and a.decision_id.startswith("dec-") and a.input_digest == b.input_digest
    assert a.decision_id == decision_id(cfpb.fingerprint, a.input_digest, NOW)
    assert logged(cfpb, record, NOW + dt.timedelta(seconds=1)).decision_id != a.decision_id  # another time
    assert logged(cfpb_changed, record, NOW).decision_id != a.decision_id  # another policy version
    assert logged(cfpb, {**record, "state": "MA"}, NOW).decision_id != a.decision_id  # another input
    assert logged(cfpb, record, NOW, decision_id_="crm-77").decision_id == "crm-77"  # the host's own
    assert a.input_digest == input_digest(a.input)  # checkable from the log alone
    assert (a.policy_id, a.policy_version, a.fingerprint) == (cfpb.id, cfpb.version, cfpb.fingerprint)
    assert a.decision.policy_version == cfpb.version and a.decision.fingerprint == cfpb.fingerprint


def test_the_digest_is_of_the_coerced_input(cfpb):
    # the same complaint written two ways: a default spelled out or not, an amount with or without cents
    a = logged(cfpb, {**NARRATIVES[1], "disputed": False, "claimed_amount": "300.00 USD"}, NOW)
    b = logged(cfpb, {**NARRATIVES[1], "claimed_amount": "300 USD"}, NOW)
    assert a.input_digest == b.input_digest and a.decision_id == b.decision_id
    assert a.input["claimed_amount"] == "300 USD"
    assert logged(cfpb, {**NARRATIVES[1], "claimed_amount": "300.01 USD"}, NOW).input_digest != a.input_digest


def test_personal_fields_are_masked_but_replay_the_same(cfpb):
    for record in NARRATIVES:
        entry = logged(cfpb, record, NOW)
        text = entry.model_dump_json()
        for secret in SECRETS:
            assert secret not in text
        assert entry.input["description"]["masked"].startswith("sha256:")
        again = cfpb.evaluate(replayable(entry.input), now=NOW)
        assert again == entry.decision
    first = logged(cfpb, NARRATIVES[0], NOW)
    assert first.input["description"]["mentions"] == ["lawsuit", "lawyer"] or set(
        first.input["description"]["mentions"]) == {"lawsuit", "lawyer"}
    assert first.decision.level == "major"  # decided on the narrative, and replayed so


def test_a_key_makes_the_mask_an_hmac(cfpb):
    plain = logged(cfpb, NARRATIVES[1], NOW).input["zip_code"]["masked"]
    keyed = logged(cfpb, NARRATIVES[1], NOW, key=b"host secret").input["zip_code"]["masked"]
    other = logged(cfpb, NARRATIVES[1], NOW, key=b"another").input["zip_code"]["masked"]
    assert plain.startswith("sha256:") and keyed.startswith("hmac-sha256:") and keyed != other


def test_replayable_inputs_decide_alike_on_a_caseload(tmp_path):
    """The dealer reads its description with `mentions`: masked, it still decides each record alike."""
    dealer = complaint_rules.load(personal_copy(DEALER, tmp_path, ('description: text "', 'description: text personal "')))
    records = caseload.records(dealer.ir, 80)
    for r in records[::2]:
        r["description"] = "车辆停放时自燃, owner Li Lei 13800000000"
    for r in records:
        entry = logged(dealer, r, None)
        assert "Li Lei" not in entry.model_dump_json()
        assert dealer.evaluate(replayable(entry.input)) == entry.decision == dealer.interpret(r)


# ---------------------------------------------------------------------------- sinks


def _roundtrip(sink, cfpb) -> list:
    rows = sample()
    written, failed = log_records(cfpb, rows, sink, NOW)
    assert written == len(rows) and failed == []
    log_records(cfpb, rows[:10], sink, NOW)  # logged twice is logged once
    entries = list(sink)
    assert len(entries) == len(rows)
    assert [e.record_id for e in entries] == [r.get("id") for r in rows]
    assert entries[0] == logged(cfpb, rows[0], NOW)
    return entries


def test_jsonl_sink(tmp_path, cfpb):
    path = tmp_path / "log.jsonl"
    _roundtrip(JsonlSink(path), cfpb)
    raw = path.read_text("utf-8")
    assert all(s not in raw for s in SECRETS)


def test_sqlite_sink_and_replay(tmp_path, cfpb, cfpb_changed):
    path = tmp_path / "log.db"
    with open_log(path) as sink:
        assert isinstance(sink, SqliteSink)
        entries = _roundtrip(sink, cfpb)
    db = sqlite3.connect(path)
    dump = "\n".join(db.iterdump())
    assert all(s not in dump for s in SECRETS)
    assert db.execute("SELECT count(*) FROM decisions WHERE record_id = 'N-1'").fetchone() == (1,)
    db.close()
    assert_replays(str(path), entries, cfpb, cfpb_changed)


def assert_replays(target: str, entries: list, same, changed) -> None:
    report = replay(target)
    assert (report.entries, report.same, report.differing, report.failed) == (len(entries), len(entries), 0, 0)
    assert report.clean and report.differences == []
    # under the changed policy: exactly the records whose response deadline moved differ
    moved = {e.decision_id for e in entries if e.decision.deadline("response") != changed.evaluate(
        replayable(e.input), now=NOW).deadline("response")}
    assert len(moved) > 300
    report = replay(target, changed)
    assert {d.decision_id for d in report.differences} == moved and report.differing == len(moved)
    assert {d.output for d in report.differences} <= {"deadline response", "escalation response_reminder",
                                                      "escalation response_overdue"}
    assert any(d.output == "deadline response" and d.replayed == "response_from_sent, due 5 days earlier"
               for d in report.differences)


@pytest.mark.skipif(postgres_server.available() is not None, reason=str(postgres_server.available()))
def test_postgres_sink_and_replay(cfpb, cfpb_changed):
    with postgres_server.server() as url:
        with open_log(url) as sink:
            entries = _roundtrip(sink, cfpb)
            with sink.db.cursor() as cur:
                cur.execute("SELECT input::text || decision::text FROM decisions")
                dump = "\n".join(r[0] for r in cur.fetchall())
            assert len(dump) > 100_000 and all(s not in dump for s in SECRETS)
        assert_replays(url, entries, cfpb, cfpb_changed)


def test_postgres_that_is_not_there_is_a_log_error():
    with pytest.raises(LogError, match=r"postgresql://u:\*\*\*@127.0.0.1:9/x\?connect_timeout=2: cannot open the PostgreSQL log: "):
        open_log("postgresql://u:secret@127.0.0.1:9/x?connect_timeout=2")


def test_replay_reports_an_input_edited_after_logging(tmp_path, cfpb):
    path = tmp_path / "log.jsonl"
    sink = JsonlSink(path)
    log_records(cfpb, NARRATIVES, sink, NOW)
    lines = path.read_text("utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["input"]["category"] = "student_loan"
    path.write_text(lines[0] + "\n" + json.dumps(entry) + "\n", "utf-8")
    report = replay(path)
    assert report.same == 1 and report.differing == 1
    assert report.differences[0].output == "input digest" and report.differences[0].record_id == "N-2"


def test_a_broken_log_names_the_entry(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"decision_id": "x"}\n', "utf-8")
    with pytest.raises(LogError, match=r"log.jsonl: entry 1 is not a decision log entry"):
        list(JsonlSink(path))


# ---------------------------------------------------------------------------- the command line


def test_cli_log_and_replay(tmp_path, capsys, cfpb, cfpb_changed):
    log = tmp_path / "cfpb.db"
    assert main(["log", cfpb.path, str(SAMPLE), "--columns", str(COLUMNS), "--to", str(log),
                 "--now", "2016-10-01T12:00+00:00"]) == 0
    assert "logged 349 decision(s)" in capsys.readouterr().out
    assert main(["replay", str(log)]) == 0
    assert "349 decision(s), 349 the same, 0 different, 0 not decided" in capsys.readouterr().out
    assert main(["replay", str(log), "--policy", cfpb_changed.path]) == 1
    out = capsys.readouterr().out
    assert "deadline response: response_from_sent -> response_from_sent, due 5 days earlier" in out
    assert main(["replay", str(log), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["same"] == 349
    assert main(["replay", str(tmp_path / "none.db")]) == 2
    assert "no such log" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n")
    assert main(["replay", str(bad)]) == 2
    assert "entry 1 is not a decision log entry" in capsys.readouterr().err


def test_cli_log_names_what_it_could_not_log(tmp_path, capsys):
    notdb = tmp_path / "not.db"
    notdb.write_text("hello")
    assert main(["log", str(DEALER), str(ROOT / "examples" / "complaints.jsonl"), "--to", str(notdb)]) == 2
    assert "not.db: cannot open the SQLite log: file is not a database" in capsys.readouterr().err
    log = tmp_path / "ok.jsonl"
    assert main(["log", str(DEALER), str(ROOT / "examples" / "complaints.jsonl"), "--to", str(log)]) == 1
    captured = capsys.readouterr()
    assert "logged 3 decision(s)" in captured.out and "2 record(s) not decided" in captured.out
    assert "complaints.jsonl: record C-1005: received_at: naive date-time" in captured.err
    assert "record C-1005: record" not in captured.err
    assert [e.record_id for e in JsonlSink(log)] == ["C-1001", "C-1002", "C-1004"]
