"""Highlighting: the Pygments lexer (by entry point) and the TextMate grammar, on every bundled policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from complaint_rules.editor import keywords
from complaint_rules.editor.lexer import PolicyLexer
from complaint_rules.editor.textmate import grammar, grammar_file, grammar_text

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted([*ROOT.glob("policies/*/*.policy"), *ROOT.glob("examples/*.policy")])
FENCE = re.compile(r"^```policy\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _doc_blocks() -> list[str]:
    return [m.group(1) for page in sorted((ROOT / "docs").glob("*.md"))
            for m in FENCE.finditer(page.read_text(encoding="utf-8"))]  # fmt: skip


def test_the_lexer_is_registered_by_entry_point():
    assert isinstance(get_lexer_by_name("policy"), PolicyLexer)
    assert isinstance(get_lexer_for_filename("dealer.policy"), PolicyLexer)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_bundled_policy_lexes_without_an_error_token(path):
    text = path.read_text(encoding="utf-8")
    tokens = list(PolicyLexer().get_tokens(text))
    assert [v for t, v in tokens if t is Error] == []
    assert "".join(v for _, v in tokens) == text if text.endswith("\n") else text + "\n"


def test_the_docs_policy_blocks_lex_without_an_error_token():
    blocks = _doc_blocks()
    assert len(blocks) >= 10
    for block in blocks:
        assert [v for t, v in PolicyLexer().get_tokens(block) if t is Error] == [], block[:80]


def test_bad_characters_are_error_tokens():
    text = 'classify first {\n  rule r: a && b -> major; \n}\n'
    assert [v for t, v in PolicyLexer().get_tokens(text) if t is Error] == ["&", "&", ";"]


def test_every_grammar_keyword_is_a_keyword_not_a_name():
    assert {"classify", "rule", "working", "otherwise", "mentions"} <= set(keywords())
    for word in keywords():
        [(token, value), _] = list(PolicyLexer().get_tokens(word))
        assert value == word and token in Keyword or token in Operator.Word, (word, token)


def test_the_lexer_sorts_the_pieces_of_a_rule():
    text = 'rule big: claimed_amount >= 5000 CNY -> major  # note\n'
    tokens = [(t, v) for t, v in PolicyLexer().get_tokens(text) if v.strip()]
    assert tokens == [(Keyword, "rule"), (Name.Function, "big"), (get_token(":"), ":"), (Name, "claimed_amount"),
                      (Operator, ">="), (Number, "5000"), (Name.Constant, "CNY"), (Operator, "->"),
                      (Name, "major"), (Comment.Single, "# note")]  # fmt: skip


def get_token(value: str):
    return next(t for t, v in PolicyLexer().get_tokens(value) if v == value)


# ---------------------------------------------------------------- TextMate


def test_the_shipped_textmate_grammar_is_generated():
    # Regenerate with: python -m complaint_rules.editor.textmate
    assert grammar_file().read_text(encoding="utf-8") == grammar_text()
    data = json.loads(grammar_text())
    assert data["scopeName"] == "source.complaint-policy" and data["fileTypes"] == ["policy"]


class _TextMate:
    """A small TextMate engine (match and begin/end rules, first leftmost match wins), for the tests."""

    def __init__(self, spec: dict) -> None:
        self.rules = [(r, re.compile(r.get("match") or r["begin"], re.MULTILINE)) for r in spec["patterns"]]

    def tokens(self, text: str) -> list[tuple[int, int, str]]:
        out, pos = [], 0
        while pos < len(text):
            best = None
            for rule, pattern in self.rules:
                m = pattern.search(text, pos)
                if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
                    best = (rule, m)
            if best is None:
                break
            rule, m = best
            if "begin" in rule:
                end = re.compile(rule["end"], re.MULTILINE)
                inner = m.end()
                while True:
                    e = end.search(text, inner)
                    escape = re.compile(rule["patterns"][0]["match"]).search(text, inner)
                    if escape and e and escape.start() < e.start():
                        inner = escape.end()
                        continue
                    break
                stop = e.end() if e else len(text)
                out.append((m.start(), stop, rule["name"]))
                pos = stop
            elif "captures" in rule:
                for group, capture in rule["captures"].items():
                    out.append((m.start(int(group)), m.end(int(group)), capture["name"]))
                pos = m.end()
            else:
                out.append((m.start(), m.end(), rule["name"]))
                pos = m.end()
        return out


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_textmate_agrees_with_the_lexer_on_every_bundled_policy(path):
    text = path.read_text(encoding="utf-8")
    scopes = {(start, text[start:end]): name for start, end, name in _TextMate(grammar()).tokens(text)}
    offset = 0
    for token, value in PolicyLexer().get_tokens(text):
        key = (offset, value)
        offset += len(value)
        if not value.strip():
            continue
        scope = scopes.get(key)
        assert scope is not None, (key, token)
        if token in Comment:
            assert scope.startswith("comment."), key
        elif token in String:
            assert scope.startswith("string."), key
        elif token in Number:
            assert scope.startswith("constant.numeric"), key
        elif token in Keyword or token in Operator.Word:
            assert scope.split(".")[0] in ("keyword", "storage", "support", "constant"), (key, scope)
        elif token is Name.Function:
            assert scope.startswith("entity.name.function"), key
        elif token is Name:
            assert scope.startswith("variable."), (key, scope)
