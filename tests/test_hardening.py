"""Regression tests for the hardening audit: no input crashes the library, no batch row is lost."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import complaint_rules as cr
from complaint_rules import cli
from complaint_rules.batch import read_jsonl, run_batch
from complaint_rules.commands import eval as eval_command
from complaint_rules.errors import RecordError

ROOT = Path(__file__).resolve().parents[1]
DEALER = ROOT / "examples" / "dealer.policy"
GOOD = json.loads((ROOT / "examples" / "complaints.jsonl").read_text(encoding="utf-8").splitlines()[0])


@pytest.fixture(scope="module")
def dealer():
    return cr.load(DEALER)


def _lines(bad: str, total: int = 200, at: int = 117) -> bytes:
    rows = []
    for i in range(total):
        if i == at:
            rows.append(bad)
        else:
            rows.append(json.dumps({**GOOD, "id": f"C-{i}"}))
    return ("\n".join(rows) + "\n").encode("utf-8")


BAD_LINES = {
    "huge integer": '{"id": "big", "repeat_count": ' + "9" * 4301 + "}",
    "deep nesting": '{"id": "deep", "demands": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "surrogate id": '{"id": "\\ud800", "category": "product_quality", "received_at": "2026-12-01T10:00:00+08:00"}',
    "surrogate text": '{"id": "s", "category": "product_quality\\udfff", "received_at": "2026-12-01T10:00:00+08:00"}',
}


@pytest.mark.parametrize("name", sorted(BAD_LINES))
def test_one_bad_line_gives_one_error_row(dealer, name):
    out, errors = io.StringIO(), io.StringIO()
    summary = run_batch(dealer, read_jsonl(io.BytesIO(_lines(BAD_LINES[name]))), out, errors)
    assert (summary.records, summary.decisions, summary.errors) == (200, 199, 1)
    decided = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(decided) == 199
    (row,) = [json.loads(line) for line in errors.getvalue().splitlines()]
    assert row["row"] == 118 and row["line"] == 118
    assert row["errors"] and row["errors"][0]["message"]
    errors.getvalue().encode("utf-8")  # every error row can be written as UTF-8


def test_eval_cli_survives_every_bad_line(tmp_path, capsys):
    data = b"".join(_lines(bad, total=50, at=10) for bad in BAD_LINES.values())
    src = tmp_path / "in.jsonl"
    src.write_bytes(data)
    out = tmp_path / "out.jsonl"
    code = cli.main(["eval", str(DEALER), str(src), "-o", str(out)])
    assert code == 1
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4 * 49
    assert len((tmp_path / "out.errors.jsonl").read_text(encoding="utf-8").splitlines()) == 4
    assert "200 records in, 196 decisions, 4 errors" in capsys.readouterr().err


def test_surrogate_record_id_is_a_record_error(dealer):
    with pytest.raises(RecordError) as info:
        dealer.evaluate({**GOOD, "id": "\ud800"})
    assert info.value.record_id == "\\ud800"
    assert info.value.problems[0][0] == "id"


class _Hostile:
    def __repr__(self):
        raise RuntimeError("repr")

    def __bool__(self):
        raise RuntimeError("bool")


class _BadStr(str):
    def strip(self, *args):
        raise RuntimeError("strip")


class _BadMapping(dict):
    pass


from collections.abc import Mapping  # noqa: E402


class _RaisingMapping(Mapping):
    def __getitem__(self, key):
        if key == "id":
            return "M-1"
        raise RuntimeError("getitem")

    def __iter__(self):
        return iter(["id", "category"])

    def __len__(self):
        return 2


@pytest.mark.parametrize(
    "record",
    [
        {**GOOD, "category": _Hostile()},
        {**GOOD, "anonymous": _Hostile()},
        {**GOOD, "demands": _Hostile()},
        {**GOOD, "id": _BadStr("x")},
        {**GOOD, "category": _BadStr("product_quality")},
        {**GOOD, "demands": [[[[[[]]]]]] * 2},
        {**GOOD, "demands": json.loads("[" * 900 + "]" * 900)},
        {**GOOD, "follow_ups": _Hostile()},
        _RaisingMapping(),
    ],
    ids=["repr", "bool", "set", "id-strip", "enum-strip", "nested", "deep", "follow-ups", "mapping"],
)
def test_hostile_records_give_a_decision_or_a_record_error(dealer, record):
    try:
        decision = dealer.evaluate(record)
    except RecordError as exc:
        assert exc.problems and str(exc)
    else:
        decision.to_json().encode("utf-8")


def test_disk_full_leaves_no_complete_looking_output(tmp_path, monkeypatch, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(_lines('{"id": "x"}', total=2000))
    out = tmp_path / "out.jsonl"
    real_open = open

    class Full(io.TextIOWrapper):
        pass

    def full_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "w" not in mode:
            return handle
        written = 0
        write = handle.write

        def limited(text):
            nonlocal written
            written += len(text)
            if written > 20_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return write(text)

        handle.write = limited
        return handle

    monkeypatch.setattr(eval_command, "open", full_open, raising=False)
    code = cli.main(["eval", str(DEALER), str(src), "-o", str(out)])
    assert code == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]  # no temporary file left behind either


def test_sigterm_leaves_whole_lines_and_a_summary(tmp_path):
    fifo = tmp_path / "in.jsonl"
    os.mkfifo(fifo)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "complaint_rules", "eval", str(DEALER), str(fifo), "-o", str(out)],
        stderr=subprocess.PIPE, text=True,
    )
    with open(fifo, "wb") as feed:
        feed.write(_lines('{"id": "x"}', total=300))
        feed.flush()
        deadline = time.monotonic() + 30
        while not any(p.name.endswith(".part") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the batch is now blocked reading the FIFO, which stays open
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted: 300 records in, 299 decisions, 1 error" in err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 299
    assert all(json.loads(line)["record_id"] for line in lines)
