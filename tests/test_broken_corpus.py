"""Golden diagnostics: every broken policy under tests/broken/ gives exactly the message in its .expected file.

Regenerate the goldens after a deliberate change of wording with ``UPDATE_GOLDEN=1 pytest tests/test_broken_corpus.py``
(run from the repository root; then read the diff before committing it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from complaint_rules import load
from complaint_rules.errors import PolicyError
from complaint_rules.language import checker
from complaint_rules.policy import parse_file

ROOT = Path(__file__).resolve().parent.parent
BROKEN = Path("tests") / "broken"
CASES = sorted(p.stem for p in (ROOT / BROKEN).glob("*.policy"))
# file:line:col: message, then the indented source line, then the caret line.
LOCATED = re.compile(r"^tests/broken/[\w.]+\.policy:\d+:\d+: .+\n    .*\n    *\^~*$", re.MULTILINE)


def _schema(policy):
    """The record schema the loader uses; the policy's own record block until record.py exists."""
    try:
        from complaint_rules.engine.record import schema_for
    except ImportError:
        return None
    return schema_for(policy)


def diagnose(path: Path) -> str:
    """What `complaint-rules check` prints for a policy: a syntax/overlay error or every checker diagnostic."""
    try:
        _, resolved = parse_file(path)
        schema = _schema(resolved)
    except PolicyError as exc:
        return exc.render()
    return "\n".join(d.render() for d in checker.check(resolved, schema))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    # Messages carry paths relative to the working directory: the goldens say tests/broken/x.policy.
    monkeypatch.chdir(ROOT)


def test_corpus_is_large_enough():
    assert len(CASES) >= 35


@pytest.mark.parametrize("name", CASES)
def test_broken_policy_matches_golden(name):
    actual = diagnose(BROKEN / f"{name}.policy")
    golden = ROOT / BROKEN / f"{name}.expected"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(actual + "\n", encoding="utf-8")
    assert actual, f"{name}.policy is in the broken corpus but gives no diagnostic"
    assert golden.exists(), f"no golden file for {name}; run with UPDATE_GOLDEN=1"
    assert actual == golden.read_text(encoding="utf-8").rstrip("\n")


@pytest.mark.parametrize("name", CASES)
def test_every_message_is_located_with_a_caret(name):
    actual = diagnose(BROKEN / f"{name}.policy")
    heads = [line for line in actual.splitlines() if line.startswith("tests/broken/")]
    assert heads, actual
    assert len(LOCATED.findall(actual)) == len(heads), actual


@pytest.mark.parametrize("name", CASES)
def test_load_raises_policy_error(name):
    # The public entry point must fail with a PolicyError (never another exception) on every broken file.
    with pytest.raises(PolicyError) as info:
        load(BROKEN / f"{name}.policy")
    assert info.value.render() == diagnose(BROKEN / f"{name}.policy")
