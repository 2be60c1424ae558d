"""Examples in docs/ are parsed, so the documentation cannot drift from the grammar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from complaint_rules import ir
from complaint_rules.language.frontend import dsl
from complaint_rules.language.printer import print_policy

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```(policy|cond)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(kind: str) -> list[tuple[str, str]]:
    found = []
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            if match.group(1) == kind:
                line = text.count("\n", 0, match.start()) + 2
                found.append((f"{doc.name}:{line}", match.group(2)))
    return found


def test_language_doc_has_examples():
    assert len(blocks("policy")) >= 12
    assert len(blocks("cond")) >= 5


@pytest.mark.parametrize(("where", "text"), blocks("policy"), ids=lambda v: v if ":" in v else None)
def test_policy_examples_parse_and_round_trip(where, text):
    policy = dsl.parse(text, where)
    assert isinstance(policy, ir.Policy)
    assert dsl.parse(print_policy(policy), where) == policy


@pytest.mark.parametrize(("where", "text"), blocks("cond"), ids=lambda v: v if ":" in v else None)
def test_condition_examples_parse(where, text):
    assert dsl.parse_fragment(text.strip(), "cond") is not None


def test_every_block_keyword_is_documented():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    for keyword in ("record", "units", "levels", "classify", "route", "deadlines", "escalate", "compensate",
                    "follow_up", "obligations", "test", "extends", "drop"):
        assert f"\n{keyword} " in text or f"\n## {keyword}" in text, keyword
