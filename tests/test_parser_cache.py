"""The parser's tables are cached on disk, keyed on the grammar text, and never trusted when stale or damaged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from complaint_rules.language.frontend import dsl

POLICY = Path(__file__).parent.parent / "policies" / "automotive" / "svw-dealer.policy"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private cache directory, and a parser built afresh before and after the test."""
    monkeypatch.setenv(dsl.CACHE_ENV, str(tmp_path / "cache"))
    dsl.lark_parser.cache_clear()
    yield tmp_path / "cache"
    dsl.lark_parser.cache_clear()


class _NoBuilding(dsl.Lark):
    """A Lark whose grammar cannot be built: only ``Lark.load`` (the cache) gives a parser."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("the parser was built from the grammar instead of read from the cache")


def test_first_parser_writes_the_cache_and_the_next_reads_it(cache, monkeypatch):
    text = POLICY.read_text(encoding="utf-8")
    built = dsl.parse(text, "svw-dealer.policy")
    files = list(cache.iterdir())
    assert [f.name for f in files] == [dsl.parser_cache_path().name]
    dsl.lark_parser.cache_clear()
    monkeypatch.setattr(dsl, "Lark", _NoBuilding)
    loaded = dsl.parse(text, "svw-dealer.policy")
    assert loaded == built
    # Comments come through the lexer callback, which the cache must bring back too.
    assert loaded.classify.rules[0].comments == built.classify.rules[0].comments != ()
    assert dsl.parse_fragment("amount >= 5 CNY", "cond") == dsl.parse_fragment("amount >= 5 CNY", "cond")


def test_the_cache_key_follows_the_grammar_text(cache):
    grammar = dsl.grammar_text()
    assert dsl.parser_cache_path(grammar) == dsl.parser_cache_path()
    assert dsl.parser_cache_path(grammar + "\n// one more comment\n") != dsl.parser_cache_path(grammar)
    assert dsl.parser_cache_path().parent == cache


@pytest.mark.parametrize("content", [b"not a cache file at all", b"0" * 64 + b"\n" + b"\x80\x05garbage"])
def test_a_damaged_or_stale_cache_file_is_rebuilt(cache, content):
    path = dsl.parser_cache_path()
    cache.mkdir(parents=True)
    path.write_bytes(content)
    policy = dsl.parse(POLICY.read_text(encoding="utf-8"))
    assert policy.header.id == "svw-dealer"
    assert path.read_bytes() != content
    dsl.lark_parser.cache_clear()
    assert dsl.parse(POLICY.read_text(encoding="utf-8")) == policy


def test_a_cache_file_that_passes_the_key_but_fails_to_load_is_rebuilt(cache):
    dsl.lark_parser()
    path = dsl.parser_cache_path()
    key = path.read_bytes().split(b"\n", 1)[0]
    path.write_bytes(key + b"\ntruncated")
    dsl.lark_parser.cache_clear()
    assert dsl.parse("policy \"p\" {\n}\nclassify first {\n  otherwise -> general\n}\n").header.id == "p"
    assert path.read_bytes().startswith(key + b"\n") and len(path.read_bytes()) > 1000


def test_an_empty_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv(dsl.CACHE_ENV, "")
    monkeypatch.chdir(tmp_path)
    assert dsl.cache_dir() is None and dsl.parser_cache_path() is None
    dsl.lark_parser.cache_clear()
    try:
        assert dsl.parse(POLICY.read_text(encoding="utf-8")).header.id == "svw-dealer"
    finally:
        dsl.lark_parser.cache_clear()
    assert list(tmp_path.iterdir()) == []


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be made below a file")
    monkeypatch.setenv(dsl.CACHE_ENV, str(blocker / "cache"))
    dsl.lark_parser.cache_clear()
    try:
        assert dsl.parse(POLICY.read_text(encoding="utf-8")).header.id == "svw-dealer"
    finally:
        dsl.lark_parser.cache_clear()
    assert blocker.is_file()


def test_the_default_cache_dir_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(dsl.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert dsl.cache_dir() == tmp_path / "complaint-rules"
    assert dsl.cache_dir().name == "complaint-rules"


def test_processes_share_the_cache(tmp_path):
    """Two fresh processes: the first builds and writes the tables, the second reads them and decides the same."""
    env = dict(os.environ, **{dsl.CACHE_ENV: str(tmp_path)})
    script = ("import sys, complaint_rules; p = complaint_rules.load(sys.argv[1]); "
              "print(p.fingerprint, len(p.ir.classify.rules[0].comments))")
    runs = [subprocess.run([sys.executable, "-c", script, str(POLICY)], env=env, capture_output=True,
                           text=True, check=True) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.split()[1] != "0"
    assert [p.name for p in tmp_path.iterdir()] == [dsl.parser_cache_path().name]


def _comments_in(node) -> int:
    """How many comments a node and everything below it hold."""
    import dataclasses

    if isinstance(node, tuple):
        return sum(_comments_in(n) for n in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return 0
    total = 0
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if f.name in ("comments", "trailing", "comment_slots"):
            total += len(value)
        elif f.name != "span":
            total += _comments_in(value)
    return total


@pytest.mark.parametrize("path", sorted((POLICY.parent.parent).rglob("*.policy")), ids=lambda p: p.name)
def test_comments_are_attached_only_when_asked_for(path):
    import complaint_rules

    with_comments = complaint_rules.load(path)
    without = complaint_rules.load(path, comments=False)
    assert _comments_in(without.ir) == _comments_in(without.source) == 0
    assert _comments_in(with_comments.source) > 0  # every bundled policy explains itself
    assert without == with_comments and without.fingerprint == with_comments.fingerprint
    assert without.ir == with_comments.ir  # what the compiler reads: the same program


def test_check_imports_only_what_it_needs():
    """``complaint-rules check FILE.policy`` starts without the test, YAML and terminal libraries."""
    script = ("import sys, contextlib, io\nfrom complaint_rules.cli import main\n"
              "with contextlib.redirect_stdout(io.StringIO()):\n    code = main(['check', sys.argv[1]])\n"
              "heavy = {'pytest', 'hypothesis', 'yaml', 'rich', 'jsonschema'}\n"
              "print(code, sorted({m.split('.')[0] for m in sys.modules} & heavy))")
    done = subprocess.run([sys.executable, "-c", script, str(POLICY)], capture_output=True, text=True, check=True)
    assert done.stdout.split(None, 1) == ["0", "[]\n"]
