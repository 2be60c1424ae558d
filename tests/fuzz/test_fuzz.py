"""The fuzz suite: the audit's corpus of reproducers, and a small campaign (tests/fuzz/campaign.py)."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from pathlib import Path

import pytest

import complaint_rules as cr
from complaint_rules.batch import read_jsonl, run_batch

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
ROOT = HERE.parents[1]


def _campaign():
    if "fuzz_campaign" in sys.modules:
        return sys.modules["fuzz_campaign"]
    spec = importlib.util.spec_from_file_location("fuzz_campaign", HERE / "campaign.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_campaign"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


POLICIES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".policy", ".yaml"))
RECORDS = sorted(CORPUS.glob("*.jsonl"))


def test_the_corpus_is_there():
    assert len(POLICIES) >= 20 and len(RECORDS) >= 4


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_corpus_policy_is_a_located_policy_error(path):
    with pytest.raises(cr.PolicyError) as info:
        cr.load(path)
    error = info.value
    assert error.file and Path(error.file).name == path.name
    assert error.line is not None and error.column is not None
    assert len(str(error)) < 2000


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_every_corpus_record_file_gives_one_row_per_line(path):
    policy = cr.load(ROOT / "examples" / "dealer.policy")
    out, errors = io.StringIO(), io.StringIO()
    summary = run_batch(policy, read_jsonl(io.BytesIO(path.read_bytes())), out, errors)
    assert (summary.records, summary.decisions, summary.errors) == (4, 3, 1)
    (row,) = [json.loads(line) for line in errors.getvalue().splitlines()]
    assert row["line"] == 2 and row["errors"]


def test_a_small_campaign_finds_nothing():
    campaign = _campaign()
    report = campaign.run(mutants=30, records=400, seed=7, paths=[ROOT / "examples" / "dealer.policy"])
    assert report.mutants == 30 and report.records == 400
    assert report.findings == []


def test_the_campaign_counts_foreign_exceptions():
    campaign = _campaign()
    report = campaign.Report()

    class Broken:
        id = "broken"

        def evaluate(self, raw):
            raise KeyError("bug")

        def interpret(self, raw):
            raise KeyError("bug")

    campaign._decide(Broken(), {}, report, "record 0")
    assert report.kinds == {"KeyError": 1} and len(report.findings) == 1
