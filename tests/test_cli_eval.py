"""``complaint-rules eval`` and ``explain`` end to end, and the documented examples of docs/cli.md."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from complaint_rules.cli import main
from complaint_rules.engine.decision import Decision

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DEALER = str(EXAMPLES / "dealer.policy")
CFPB_ROWS = 349


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------------------- eval


def test_eval_jsonl_with_good_bad_and_malformed_lines(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        ('{"id": "g1", "category": "product_quality", "demands": ["engine_replacement"], '
         '"received_at": "2026-12-01T10:00:00+08:00"}'),
        '{"id": "b1", "category": "warranty", "claimed_amount": "lots", "received_at": "2026-11-07"}',
        "",
        '{"id": "m1", "category": ',
        '["not", "an", "object"]',
        '{"id": "g2", "category": "sales_service", "received_at": "2026-09-30T17:00:00+08:00"}',
    ]) + "\n", encoding="utf-8")
    out = tmp_path / "out" / "decisions.jsonl"
    out.parent.mkdir()
    code = main(["eval", DEALER, str(source), "-o", str(out), "--now", "2026-12-02T13:00+08:00"])
    assert code == 1
    assert "5 records in, 2 decisions, 3 errors" in capsys.readouterr().err
    decisions = [Decision.from_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d.record_id for d in decisions] == ["g1", "g2"]
    assert decisions[0].level == "major" and decisions[0].deadline("first_contact").hour == 12
    assert {e.rule for e in decisions[0].due_escalations()} == {"overdue"}  # --now reached its due time
    assert decisions[1].deadline("first_contact").isoformat() == "2026-10-08T17:00:00+08:00"
    errors = _lines(out.with_name("decisions.errors.jsonl"))
    assert [(e["row"], e["line"], e["record_id"]) for e in errors] == [(2, 2, "b1"), (3, 4, "m1"), (4, 5, None)]
    assert [f["field"] for f in errors[0]["errors"]] == ["received_at", "category", "claimed_amount"]
    assert errors[1]["errors"][0]["message"].startswith("invalid JSON")
    assert "JSON object" in errors[2]["errors"][0]["message"]


def test_eval_all_good_exits_zero_and_leaves_an_empty_errors_file(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "category": "sales_service", "received_at": "2026-11-02T10:00:00+08:00"}\n')
    errors = tmp_path / "errs.jsonl"
    errors.write_text("stale\n")
    assert main(["eval", DEALER, str(source), "-o", str(tmp_path / "d.jsonl"), "--errors", str(errors)]) == 0
    assert errors.read_text() == ""
    assert capsys.readouterr().err.strip() == "1 record in, 1 decision, 0 errors"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_eval_assume_timezone_reads_naive_times_in_the_zone(tmp_path, capsys, jobs):
    naive = {"id": "N-1", "category": "after_sales", "received_at": "2026-11-05T09:00:00"}
    aware = dict(naive, id="A-1", received_at="2026-11-05T09:00:00+08:00")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(naive) + "\n" + json.dumps(aware) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["eval", DEALER, str(src), "-o", str(out), "--jobs", jobs]) == 1  # naive: an error row
    errors = (tmp_path / "out.errors.jsonl").read_text(encoding="utf-8")
    assert '"record_id": "N-1"' in errors and "naive date-time" in errors
    assert main(["eval", DEALER, str(src), "-o", str(out), "--jobs", jobs, "--assume-timezone", "Asia/Shanghai"]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert (first["record_id"], second["record_id"]) == ("N-1", "A-1")
    assert first["deadlines"] == second["deadlines"]  # 09:00 read in Shanghai is the +08:00 instant
    assert main(["eval", DEALER, str(src), "-o", str(out), "--assume-timezone", "UTC"]) == 0
    utc = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert utc["deadlines"] != second["deadlines"]  # 09:00 UTC is 17:00 in Shanghai: another due time
    capsys.readouterr()


def test_eval_assume_timezone_usage_errors(tmp_path, capsys):
    assert main(["eval", DEALER, str(EXAMPLES / "complaints.jsonl"), "--assume-timezone", "Mars/Base"]) == 2
    assert "'Mars/Base' is not an IANA time zone name" in capsys.readouterr().err
    parquet = str(EXAMPLES / "complaints.parquet")
    assert main(["eval", DEALER, parquet, "-o", str(tmp_path / "d.jsonl"), "--assume-timezone", "UTC"]) == 2
    assert "not to Parquet or Arrow files" in capsys.readouterr().err


def test_eval_to_stdout_sends_error_rows_to_stderr(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "category": "sales_service", "received_at": "2026-11-02T10:00:00+08:00"}\n{"id": "x"}\n')
    assert main(["eval", DEALER, str(source)]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["record_id"] for line in captured.out.splitlines()] == ["a"]
    error_row = json.loads(captured.err.splitlines()[0])
    assert error_row["record_id"] == "x" and error_row["errors"][0]["field"] == "received_at"


def test_eval_reads_stdin(monkeypatch, capsys):
    data = b'{"id": "s1", "category": "after_sales", "received_at": "2026-11-02T10:00:00+08:00"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["eval", DEALER, "-"]) == 0
    [decision] = capsys.readouterr().out.splitlines()
    assert json.loads(decision)["routes"] == ["engineering", "customer_service"]


def test_eval_cfpb_csv_with_mapping_loses_no_row(tmp_path, capsys):
    out = tmp_path / "cfpb.jsonl"
    code = main(["eval", str(ROOT / "policies" / "examples" / "cfpb.policy"), str(EXAMPLES / "cfpb_complaints_sample.csv"),
                 "--columns", str(ROOT / "policies" / "finance" / "cfpb-columns.json"), "-o", str(out)])
    assert code == 0
    decisions = _lines(out)
    with open(EXAMPLES / "cfpb_complaints_sample.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(decisions) == CFPB_ROWS
    assert [d["record_id"] for d in decisions] == [r["Complaint ID"] for r in rows]
    by_id = {d["record_id"]: d for d in decisions}
    for row in rows:  # the mapping's slug/split/yesno/timezone transforms reached the policy
        decision = by_id[row["Complaint ID"]]
        tagged = row["Tags"] != ""
        assert (decision["level"] != "general") == tagged
        assert decision["deadlines"][1]["due_at"].endswith("-04:00") or decision["deadlines"][1]["due_at"].endswith("-05:00")
    assert "349 records in, 349 decisions, 0 errors" in capsys.readouterr().err


def test_eval_csv_with_broken_rows(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text(
        "Complaint ID,Date received,Product\n"
        "1,09/12/2016,Mortgage\n"
        "2,2016-09-12,Mortgage\n"
        "3,09/12/2016\n"
        '4,09/12/2016,"Credit\ncard"\n'
        "5,09/12/2016,Spaceship\n", encoding="utf-8")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"columns": {"Complaint ID": "id", "Date received": "received_at", "Product": "category"},
                                   "formats": {"received_at": "%m/%d/%Y", "category": "slug"},
                                   "timezone": "America/New_York"}))
    out = tmp_path / "d.jsonl"
    bank = ROOT / "policies" / "finance" / "cfpb-bank.policy"
    assert main(["eval", str(bank), str(source), "--columns", str(mapping), "-o", str(out)]) == 1
    assert [d["record_id"] for d in _lines(out)] == ["1", "4"]
    errors = _lines(tmp_path / "d.errors.jsonl")
    assert [(e["row"], e["line"], e["record_id"]) for e in errors] == [(2, 3, "2"), (3, 4, "3"), (5, 7, "5")]
    assert "(column 'Date received')" in errors[0]["errors"][0]["message"]
    assert errors[1]["errors"] == [{"field": None, "message": "expected 3 cells, got 2"}]
    assert errors[2]["errors"][0]["field"] == "category"
    assert "5 records in, 2 decisions, 3 errors" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message"), [
    (["--now", "2026-12-02T10:00"], "needs a UTC offset"),
    (["--columns", "missing.json"], "missing.json"),
])
def test_eval_usage_errors_exit_2(tmp_path, capsys, args, message):
    source = tmp_path / "in.jsonl"
    source.write_text("{}\n")
    assert main(["eval", DEALER, str(source), *args]) == 2
    assert message in capsys.readouterr().err


def test_eval_unknown_input_format(tmp_path, capsys):
    source = tmp_path / "in.xlsx"
    source.write_text("")
    assert main(["eval", DEALER, str(source)]) == 2
    assert "unknown input format" in capsys.readouterr().err


# ---------------------------------------------------------------------------- explain


def test_explain_names_rules_locations_and_conditions(capsys):
    code = main(["explain", DEALER, str(EXAMPLES / "record.json"), "--now", "2026-11-05T09:00+08:00"])
    assert code == 0
    out = capsys.readouterr().out
    assert "level: intermediate" in out
    assert re.search(r"because rule large_loss at \S*dealer\.policy:39:3: when claimed_amount >= 5000 CNY", out)
    assert "owner: engineering" in out
    assert "first_contact due 2026-11-06T09:00+08:00: 1 working day after received_at" in out
    assert "repeat: escalate general_manager immediately -> 2026-11-04T20:00+08:00 [due now]" in out
    assert "[inactive: its condition does not hold]" in out
    assert "requested 6000 CNY: above the tier cap" in out
    assert "follow-up: required" in out and "keep_record by customer_service" in out


def test_explain_bad_record_and_bad_json(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "r9", "category": "warranty", "received_at": "soon"}')
    assert main(["explain", DEALER, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "record r9" in err and "category" in err and "received_at" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": ')
    assert main(["explain", DEALER, str(broken)]) == 2
    assert "broken.json:1:8: invalid JSON" in capsys.readouterr().err


# ---------------------------------------------------------------------------- docs/cli.md

COMMANDS = ("check", "fmt", "convert", "schema", "dump", "eval", "explain", "agenda", "test", "prove", "diff", "calendar",
            "completion")
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)
# The file that docs/cli.md's `check broken.policy` example checks (the page shows only the diagnostic).
BROKEN = 'policy "broken" {\n}\nclassify first {\n  rule big: amout >= 5000 -> major\n  otherwise -> general\n}\n'


def documented_examples() -> list[tuple[str, str, str]]:
    """(where, command, expected output) for each ``$ complaint-rules ...`` or ``$ cat`` example."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    found = []
    for block in CONSOLE.finditer(text):
        line = text.count("\n", 0, block.start()) + 2
        current = None
        for offset, raw in enumerate(block.group(1).splitlines()):
            if raw.startswith("$ "):
                current = [f"cli.md:{line + offset}", raw[2:], []]
                words = shlex.split(raw[2:])
                if words[0] == "cat" or (words[0] == "complaint-rules" and words[1] in COMMANDS):
                    found.append(current)
            elif current is not None:
                current[2].append(raw)
    return [(where, command, "\n".join(output)) for where, command, output in found]


def matches(expected: str, got: str) -> bool:
    """Line by line; a line that is just ``...`` (any indentation) stands for any number of lines, and a
    line ending in ``...`` for any line that starts with what comes before."""
    want, have = expected.splitlines(), got.splitlines()

    def match(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(have)
        if want[i].strip() == "...":
            return any(match(i + 1, k) for k in range(j, len(have) + 1))
        same = want[i] == have[j] if j < len(have) else False
        if not same and j < len(have) and want[i].endswith("..."):
            same = have[j].startswith(want[i][:-3])
        return same and match(i + 1, j + 1)

    return match(0, 0)


def test_docs_have_examples_of_each_command():
    commands = {shlex.split(c)[1] for _, c, _ in documented_examples() if c.startswith("complaint-rules")}
    assert commands == set(COMMANDS)


def test_documented_examples_give_the_documented_output(tmp_path, monkeypatch, capsys):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    (tmp_path / "broken.policy").write_text(BROKEN, encoding="utf-8")
    shutil.copytree(ROOT / "tests" / "fixtures" / "calendars", tmp_path / "tests" / "fixtures" / "calendars")
    monkeypatch.chdir(tmp_path)
    # Outputs must not depend on the day the suite runs: `check` warns near the end of the holiday data.
    monkeypatch.setenv("COMPLAINT_RULES_TODAY", "2026-10-01")
    monkeypatch.delenv("COMPLAINT_RULES_CALENDAR_DATA", raising=False)
    for where, command, expected in documented_examples():
        words = shlex.split(command)
        if words[0] == "cat":
            got = Path(words[1]).read_text(encoding="utf-8").rstrip("\n")
        else:
            main(words[1:])
            captured = capsys.readouterr()
            got = (captured.out + captured.err).rstrip("\n")
        assert matches(expected, got), f"{where}: $ {command}\n--- got:\n{got}"


def test_explain_says_when_a_dissatisfied_customer_is_followed_up_again(tmp_path, capsys):
    record = json.loads((EXAMPLES / "record.json").read_text(encoding="utf-8"))
    record["resolved_at"] = "2026-11-06T10:00:00+08:00"
    record["follow_ups"] = [{"at": "2026-11-06T15:00:00+08:00", "method": "phone", "satisfied": False}]
    path = tmp_path / "unhappy.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    assert main(["explain", DEALER, str(path), "--now", "2026-11-07T09:00+08:00"]) == 0
    out = capsys.readouterr().out
    assert ("until satisfied (at most 3 times); 1 follow-up(s) so far: follow up again: the latest follow-up "
            "left the customer dissatisfied") in out
