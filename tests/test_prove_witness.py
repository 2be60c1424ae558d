"""Counterexample texts: a text that mentions exactly the keywords asked for, whenever one exists."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules.analysis import prove, witness
from complaint_rules.analysis.domain import fold
from complaint_rules.analysis.witness import NoWitness, compose_text
from complaint_rules.language.frontend.dsl import parse

SEPARATED = ["b c", "b\nc", "b|c", "b/c", "b\u00b7c", "b\u2063c"]  # every usual separator, between b and c


def _mentions(text: str, keywords: dict[str, bool]) -> bool:
    folded = fold(text)
    return all((fold(k) in folded) == on for k, on in keywords.items())


def test_a_separator_inside_every_keyword_still_gives_a_text() -> None:
    keywords = {**{k: False for k in SEPARATED}, "ab": True, "cd": True}
    text = compose_text(keywords, [])
    assert _mentions(text, keywords)


def test_no_keyword_and_every_filler_taken() -> None:
    keywords = {k: False for k in ("x", "q", "zz", "0", "~", "\u2062", *SEPARATED, " ", "!", "\n")}
    text = compose_text(keywords, ["\u2063"])
    assert text and text != "\u2063" and _mentions(text, keywords)


def test_the_text_differs_from_every_constant_to_avoid() -> None:
    keywords = {"ab": True}
    avoid = ["ab", "ab ", "ab x", "ab q", "ab zz", "ab 0", "ab ~", "ab \u2062", "ab  "]
    text = compose_text(keywords, avoid)
    assert text not in avoid and _mentions(text, keywords)


def test_a_combination_no_text_has_is_refused() -> None:
    with pytest.raises(NoWitness):
        compose_text({"fire": False, "fireman": True}, [])
    with pytest.raises(NoWitness):
        compose_text({"": False}, [])


ALPHABET = "ab c|/\n\u00b7\u2063xqAB"


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(ALPHABET, min_size=1, max_size=4).map(fold), st.booleans(), max_size=6),
       st.lists(st.text(ALPHABET, max_size=6), max_size=4))  # fmt: skip
def test_a_text_exists_exactly_when_no_absent_keyword_is_inside_a_present_one(keywords, avoid) -> None:
    present = [k for k, on in keywords.items() if on]
    feasible = not any(not on and any(k in p for p in present) for k, on in keywords.items())
    if not feasible:
        with pytest.raises(NoWitness):
            compose_text(keywords, avoid)
        return
    text = compose_text(keywords, avoid)
    assert _mentions(text, keywords) and text not in avoid


POLICY = """
policy "texts" { currency CNY  calendar "CN"  timezone "Asia/Shanghai" }
record { note: text }
units { desk "d"  manager "m" }
levels { general  major }
classify first {
  rule odd: note is present and not (note mentions any {"fire"}) -> major
  otherwise -> general
}
route first {
  rule to_manager: level == major -> manager
  otherwise -> desk
}
follow_up { otherwise: 100% within 3 days after resolved_at by desk via phone }
invariants { rule no_manager: never route manager }
"""


def test_prove_says_not_covered_when_no_text_can_be_written(monkeypatch) -> None:
    def refuse(keywords, avoid):
        raise NoWitness("no text (forced by the test)")

    monkeypatch.setattr(witness, "compose_text", refuse)
    report = prove(parse(POLICY, "texts.policy"))
    assert not report.proven
    assert any("no counterexample record" in note for note in report.uncovered), report.render()


def test_the_empty_keyword_is_mentioned_by_every_text() -> None:
    report = prove(parse(POLICY.replace('{"fire"}', '{""}'), "texts.policy"))
    assert {(f.kind, f.rule) for f in report.findings} == {("never", "odd"), ("never", "to_manager")}, report.render()
    assert not report.uncovered
