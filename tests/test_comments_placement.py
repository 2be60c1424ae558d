"""The formatter keeps every comment with the construct it annotates (docs/language.md, lexical rules).

A comment on its own line stays above what follows it in its block, or at the end of its block when
nothing follows; a comment at the end of a line moves above the construct that ends there; a comment
after a closing brace stays at the end of the block that brace closes. Laws: fmt is idempotent,
``parse(print(p)) == p``, no comment is lost or duplicated.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token

from complaint_rules import ir
from complaint_rules.language.frontend import dsl
from complaint_rules.language.printer import print_policy
from complaint_rules.policy import fingerprint

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*ROOT.glob("policies/**/*.policy"), *(ROOT / "tests" / "fixtures").glob("*.policy")])

# Strings first, as the lexer reads them: a `#` inside a string starts no comment.
_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|#[^\n]*')


def comments_of(text: str) -> Counter:
    return Counter(m.group().rstrip() for m in _COMMENT.finditer(text) if m.group().startswith("#"))


def fmt(text: str) -> str:
    return print_policy(dsl.parse(text))


def check_laws(text: str) -> str:
    p = dsl.parse(text)
    out = print_policy(p)
    again = dsl.parse(out)
    assert again == p
    assert print_policy(again) == out
    assert comments_of(out) == comments_of(text)
    return out


# ---------------------------------------------------------------------------- the audit's cases

AUDIT = """\
# top
policy "cm" { # after brace
  version "1" # trailing version
  # inside header end
}
# before record
record { x: int = 0 # trailing field
  # dangling at end of record
}
levels { general "g" major "m" }   # trailing levels
classify first {
  rule a: x > 1 # trailing cond
     -> major   # trailing arrow
  # before otherwise
  otherwise -> general
  # after otherwise
}
route first { otherwise -> desk } # end route
# end of file 1
# end of file 2
"""

AUDIT_FORMATTED = """\
# top
# after brace
policy "cm" {
  # trailing version
  version "1"
  # inside header end
}

# before record
record {
  # trailing field
  x: int = 0
  # dangling at end of record
}

levels {
  general "g"
  major "m"
  # trailing levels
}

classify first {
  # trailing cond
  # trailing arrow
  rule a: x > 1 -> major
  # before otherwise
  otherwise -> general
  # after otherwise
}

route first {
  otherwise -> desk
  # end route
}

# end of file 1
# end of file 2
"""


def test_audit_input_formats_with_every_comment_in_place():
    assert check_laws(AUDIT) == AUDIT_FORMATTED
    assert fmt(AUDIT_FORMATTED) == AUDIT_FORMATTED


HEAD = 'policy "p" {\n  version "1"\n}\n'
HEAD_OUT = 'policy "p" {\n  version "1"\n}\n\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "record {\n  x: int\n  # end of record\n}\nlevels {\n  general\n}\n",
            "record {\n  x: int\n  # end of record\n}\n\nlevels {\n  general\n}\n",
            id="end-of-record-stays-in-record",
        ),
        pytest.param(
            "# the schema\nrecord {\n  x: int\n}\n",
            "# the schema\nrecord {\n  x: int\n}\n",
            id="above-record-stays-above",
        ),
        pytest.param(
            "record # the schema\n{\n  x: int\n}\n",
            "# the schema\nrecord {\n  x: int\n}\n",
            id="between-keyword-and-brace-goes-above",
        ),
        pytest.param(
            "record {  # the schema\n  x: int\n}\n",
            "# the schema\nrecord {\n  x: int\n}\n",
            id="after-opening-brace-goes-above",
        ),
        pytest.param(
            "classify first {\n  rule a: x > 1\n    -> major  # why a\n  otherwise -> general\n}\n",
            "classify first {\n  # why a\n  rule a: x > 1 -> major\n  otherwise -> general\n}\n",
            id="end-of-continuation-line-goes-above-its-rule",
        ),
        pytest.param(
            "classify first {\n  rule a: x > 1\n    # inside a\n    -> major\n  otherwise -> general\n}\n",
            "classify first {\n  # inside a\n  rule a: x > 1 -> major\n  otherwise -> general\n}\n",
            id="inside-a-rule-goes-above-it",
        ),
        pytest.param(
            "classify first {\n  rule a: x -> major\n  otherwise -> general\n  # after otherwise\n}\n",
            "classify first {\n  rule a: x -> major\n  otherwise -> general\n  # after otherwise\n}\n",
            id="after-otherwise-stays-after",
        ),
        pytest.param(
            "classify first {\n  rule a: x -> major\n  # before otherwise\n  otherwise -> general\n}\n",
            "classify first {\n  rule a: x -> major\n  # before otherwise\n  otherwise -> general\n}\n",
            id="before-otherwise-stays-before",
        ),
        pytest.param(
            "classify first {\n  rule a: x -> major\n  otherwise -> general  # fallback\n}\n",
            "classify first {\n  rule a: x -> major\n  # fallback\n  otherwise -> general\n}\n",
            id="end-of-otherwise-line-goes-above-it",
        ),
        pytest.param(
            "route first {\n  rule a: x -> u\n  otherwise -> desk\n}# end route\n",
            "route first {\n  rule a: x -> u\n  otherwise -> desk\n  # end route\n}\n",
            id="closing-brace-comment-stays-at-the-end-of-its-block",
        ),
        pytest.param(
            "route first { otherwise -> desk } # end route\n",
            "route first {\n  otherwise -> desk\n  # end route\n}\n",
            id="closing-brace-comment-of-a-one-line-block",
        ),
        pytest.param(
            "route first {\n  otherwise -> desk\n  # after otherwise\n}\n# before deadlines\ndeadlines {\n"
            "  rule d: c = 1 hour after t\n}  # end deadlines\n",
            "route first {\n  otherwise -> desk\n  # after otherwise\n}\n\n# before deadlines\ndeadlines {\n"
            "  rule d: c = 1 hour after t\n  # end deadlines\n}\n",
            id="route-then-deadlines",
        ),
        pytest.param(
            "route first {\n  rule a: x -> u  # why a\n  otherwise -> u\n}\n",
            "route first {\n  # why a\n  rule a: x -> u\n  otherwise -> u\n}\n",
            id="inline-comment-goes-above-its-rule",
        ),
        pytest.param(
            "levels {\n  # nothing yet\n}\n",
            "levels {\n  # nothing yet\n}\n",
            id="empty-block-keeps-its-comment",
        ),
    ],
)
def test_placement(body, expected):
    assert check_laws(HEAD + body) == HEAD_OUT + expected


def test_header_settings_keep_their_comments():
    src = ('policy "p" {\n  # the name\n  title "t"  # shown in reports\n  version "1"\n'
           '  holidays {2026-12-24}  # extra days off\n  # end of header\n}\n')
    assert check_laws(src) == (
        'policy "p" {\n  # the name\n  # shown in reports\n  title "t"\n  version "1"\n'
        '  # extra days off\n  holidays {2026-12-24}\n  # end of header\n}\n'
    )


def test_compensate_parts_keep_their_comments():
    src = HEAD + (
        "compensate {\n"
        "  # the tiers\n  tier general up to 500 CNY by sup\n"
        "  # which field\n  amount claimed\n"
        "  options {\n    cash\n    # end of options\n  }\n"
        "  # who may approve\n  authority {\n    sup up to 200 CNY\n    # the manager\n    gm up to 5000 CNY\n  }\n"
        "  # end of compensate\n}\n"
    )
    assert check_laws(src) == HEAD_OUT + (
        "compensate {\n"
        "  # which field\n  amount claimed\n"
        "  options {\n    cash\n    # end of options\n  }\n"
        "  # who may approve\n  authority {\n    sup up to 200 CNY\n    # the manager\n    gm up to 5000 CNY\n  }\n"
        "  # the tiers\n  tier general up to 500 CNY by sup\n"
        "  # end of compensate\n}\n"
    )


def test_follow_up_keeps_comments_after_otherwise_and_above_until():
    src = HEAD + (
        "follow_up {\n  # repeat\n  until satisfied at most 2 times\n"
        "  rule a: 30% within 3 days after t\n  # the rest\n  otherwise: none\n  # after otherwise\n}\n"
    )
    assert check_laws(src) == HEAD_OUT + (
        "follow_up {\n  rule a: 30% within 3 days after t\n  # the rest\n  otherwise: none\n"
        "  # repeat\n  until satisfied at most 2 times\n  # after otherwise\n}\n"
    )


def test_test_parts_keep_their_comments():
    src = HEAD + (
        'test "t" {\n  # the record\n  given { x: 1,  # one\n    y: 2 }\n  # the clock\n  now 2026-12-01T10:00+08:00\n'
        "  expect {\n    # the level\n    level: major\n    routes: [a]  # owner first\n    # end of expect\n  }\n"
        "  # end of test\n}\n"
    )
    assert check_laws(src) == HEAD_OUT + (
        'test "t" {\n  # the record\n  # one\n  given { x: 1, y: 2 }\n  # the clock\n  now 2026-12-01T10:00:00+08:00\n'
        "  expect {\n    # the level\n    level: major\n    # owner first\n    routes: [a]\n    # end of expect\n  }\n"
        "  # end of test\n}\n"
    )


def test_extends_and_drop_keep_their_comments():
    src = 'policy "p" {\n}\n# the base\nextends "base.policy"\n# removed\ndrop a, b  # both\nclassify first {\n}\n'
    assert check_laws(src) == (
        'policy "p" {\n}\n\n# the base\nextends "base.policy"\n\n# removed\n# both\ndrop a, b\n\nclassify first {\n}\n'
    )


def test_comment_slots_are_layout_not_meaning():
    plain = dsl.parse(HEAD + "record {\n  x: int\n}\nclassify first {\n  otherwise -> general\n}\n")
    commented = dsl.parse(
        HEAD + "# r\nrecord { # s\n  x: int\n  # t\n}\nclassify first {\n  # o\n  otherwise -> general\n}\n"
    )
    assert commented.comment_slots
    assert commented == plain
    assert fingerprint(commented) == fingerprint(plain)


def test_printer_never_drops_a_slot_it_cannot_place():
    p = dsl.parse(HEAD)
    p = p.__class__(**{**{f: getattr(p, f) for f in p.__dataclass_fields__},
                       "comment_slots": (ir.CommentSlot("test.7.now", ("# orphan",)),)})
    text = print_policy(p)
    assert "# orphan" in text
    assert print_policy(dsl.parse(text)) == text


# ---------------------------------------------------------------------------- laws on real policies


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fmt_keeps_every_comment_and_is_idempotent(path):
    text = path.read_text(encoding="utf-8")
    out = check_laws(text)
    assert fmt(out) == out


@pytest.mark.parametrize("path", [p for p in FILES if "policies" in p.parts], ids=lambda p: p.name)
def test_bundled_policies_are_fmt_clean(path):
    text = path.read_text(encoding="utf-8")
    assert fmt(text) == text


@functools.cache
def _token_parser() -> Lark:
    return Lark(dsl.grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False,
                keep_all_tokens=True, start="start")


@functools.cache
def _token_ends(path: Path) -> tuple[int, ...]:
    """Offsets right after each token of a policy: a line may break there."""
    tree = _token_parser().parse(path.read_text(encoding="utf-8"))
    return tuple(sorted({t.end_pos for t in tree.scan_values(lambda v: isinstance(v, Token))}))


@settings(max_examples=60)
@given(path=st.sampled_from(FILES), seed=st.integers(0, 2**32 - 1), count=st.integers(1, 12))
def test_comments_anywhere_survive_formatting(path, seed, count):
    """Comments after any token (ending the line there) or on lines of their own: every law holds."""
    text = path.read_text(encoding="utf-8")
    rnd = random.Random(seed)
    ends = _token_ends(path)
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    inserts = []
    for n in range(count):
        if rnd.random() < 0.5:
            inserts.append((rnd.choice(ends), f"  # c{n}\n"))
        else:
            inserts.append((rnd.choice(line_starts), f"# c{n}\n"))
    for offset, comment in sorted(inserts, key=lambda x: x[0], reverse=True):
        text = text[:offset] + comment + text[offset:]
    out = check_laws(text)
    assert fmt(out) == out


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*/*.policy")), ids=lambda p: p.name)
def test_comments_anywhere_change_neither_the_fingerprint_nor_the_diff(path):
    from complaint_rules import diff, load, loads

    policy = load(path)
    if policy.source.extends is not None:
        return  # an overlay loads from its file; its base is covered on its own
    text = policy.to_dsl()
    commented = "# top\n" + text.replace("\n}\n", "\n  # end of block\n}\n# after a block\n").replace(
        " {\n", " {  # after a brace\n")
    again = loads(commented)
    assert again == policy and again.fingerprint == policy.fingerprint
    assert diff(policy, again).empty
