"""The examples in docs/diff.md are run: each command's output must be exactly what the page shows."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from complaint_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = re.compile(r"^```console\n\$ complaint-rules (.*?)\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXAMPLES = EXAMPLE.findall((ROOT / "docs" / "diff.md").read_text(encoding="utf-8"))


def test_the_page_has_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_example_output(command, expected, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(shlex.split(command))
    out = capsys.readouterr().out
    assert out == expected
    assert code == (0 if "equivalent" in expected else 1)
