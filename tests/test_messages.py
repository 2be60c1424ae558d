"""Messages for the mistakes people make most: other languages' operators and unit words, '== missing',
currency names that are not ISO 4217 codes, and overlay rules whose ids just miss the base's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules import PolicyError
from complaint_rules.cli import main
from complaint_rules.currencies import CODES, known, suggestion
from complaint_rules.language.overlay import near_misses
from complaint_rules.policy import parse_file

ROOT = Path(__file__).resolve().parent.parent


def _policy(body: str, currency: str = "CNY", record: str = "") -> str:
    return f'policy "p" {{\n  currency {currency}\n}}\n{record}{body}'


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        complaint_rules.loads(text, name="m.policy")
    return info.value


CLASSIFY = "classify first {{\n  rule r: {} -> major\n  otherwise -> general\n}}\n"
DEADLINE = "deadlines {{\n  rule d: first_contact = {} after received_at\n}}\n"


@pytest.mark.parametrize(("written", "meant"), [
    ("1 workday", "working day"), ("2 workdays", "working days"), ("3 hrs", "hours"), ("1 bday", "working day"),
])  # fmt: skip
def test_unit_words_of_other_tools_get_the_language_word(written, meant):
    error = _error(_policy(DEADLINE.format(written)))
    word = written.split()[1]
    assert error.message.startswith(f"unexpected '{word}' (did you mean '{meant}'?); expected ")
    assert (error.line, error.column) == (5, 29)
    assert complaint_rules.loads(_policy(DEADLINE.format(written.replace(word, meant))))  # the hint is right


@pytest.mark.parametrize(("condition", "column", "hint"), [
    ("claimed_amount >= 5 CNY && repeat_count >= 1", 35, "(write 'and' for '&&')"),
    ("claimed_amount >= 5 CNY || repeat_count >= 1", 35, "(write 'or' for '||')"),
    ("claimed_amount >= 5 CNY & repeat_count >= 1", 35, "(write 'and' for '&')"),
    ("!anonymous", 11, "(write 'not' for '!')"),
])  # fmt: skip
def test_operators_of_other_languages_get_the_word(condition, column, hint):
    error = _error(_policy(CLASSIFY.format(condition)))
    assert (error.line, error.column) == (5, column)
    assert hint in error.message and error.message.startswith("unexpected '")


def test_not_equal_gets_no_operator_hint():
    text = _policy(CLASSIFY.format("category != sales"))
    assert complaint_rules.loads(text).id == "p"


@pytest.mark.parametrize(("condition", "test"), [
    ("cause == missing", "cause is missing"), ("cause != null", "cause is present"),
    ("repeat_count == none", "repeat_count is missing"), ("received_at == nil", "received_at is missing"),
])  # fmt: skip
def test_comparing_with_missing_says_is_missing(condition, test):
    error = _error(_policy(CLASSIFY.format(condition)))
    assert len(error.diagnostics) == 1
    assert error.message.endswith(f"to test whether it has a value, write '{test}'")
    assert error.line == 5
    fixed = complaint_rules.loads(_policy(CLASSIFY.format(test)))
    assert fixed.evaluate({"id": "x", "received_at": "2026-11-02T10:00+08:00"}).level in ("major", "general")


def test_the_text_missing_in_quotes_and_a_member_named_missing_are_fine():
    assert complaint_rules.loads(_policy(CLASSIFY.format('cause == "missing"')))
    record = "record {\n  part: enum {present, missing}\n}\n"
    policy = complaint_rules.loads(_policy(CLASSIFY.format("part == missing"), record=record))
    decision = policy.evaluate({"id": "x", "received_at": "2026-11-02T10:00+08:00", "part": "missing"})
    assert decision.level == "major"


def test_a_currency_that_is_not_iso_4217_is_one_error_with_the_code_meant():
    body = (CLASSIFY.format("claimed_amount >= 5 RMB")
            + DEADLINE.format("2 hours").replace("received_at\n", "received_at when claimed_amount >= 10 RMB\n"))
    error = _error(_policy(body, currency="RMB"))
    assert len(error.diagnostics) == 1
    assert error.message == "RMB is not an ISO 4217 currency code (did you mean CNY?)"
    assert (error.line, error.column) == (2, 12)
    assert error.render().endswith("\n      currency RMB\n               ^~~")


def test_currency_suggestions():
    assert known("CNY") and known("XTS") and not known("RMB") and len(CODES) > 170
    assert suggestion("RMB") == "CNY" and suggestion("NTD") == "TWD" and suggestion("rmb") == "CNY"
    assert suggestion("CNX") == "CNY" and suggestion("EUX") == "EUR"
    assert suggestion("QQQ") is None
    error = _error(_policy(CLASSIFY.format("claimed_amount >= 5 QQQ"), currency="QQQ"))
    assert error.message == "QQQ is not an ISO 4217 currency code"


def test_every_bundled_policy_names_a_real_currency():
    for path in sorted((ROOT / "policies").glob("*/*.policy")):
        currency = complaint_rules.load(path).ir.header.currency
        assert currency is None or known(currency), path


# ---------------------------------------------------------------- overlays


def _overlay(tmp_path: Path, rule: str) -> Path:
    shutil.copy(ROOT / "examples" / "dealer.policy", tmp_path / "dealer.policy")
    text = (ROOT / "examples" / "dealer-branch.policy").read_text(encoding="utf-8")
    assert "rule defect_contact:" in text
    path = tmp_path / "branch.policy"
    path.write_text(text.replace("rule defect_contact:", f"rule {rule}:"), encoding="utf-8")
    return path


def test_a_misspelt_override_is_a_check_warning(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COMPLAINT_RULES_TODAY", "2026-10-01")
    _overlay(tmp_path, "defect_contct")
    assert main(["check", "branch.policy"]) == 0  # a warning, not an error: a new rule may be meant
    out = capsys.readouterr().out
    assert out.startswith("branch.policy:9:8: warning: rule 'defect_contct' is a new rule, not an override: "
                          "the base policy has no rule 'defect_contct' (did you mean 'defect_contact'? "
                          "as written, 'defect_contact' stays in force)\n")  # fmt: skip
    assert "    ^~~~~~~~~~~~~\n" in out and out.endswith("branch.policy: ok\n1 checked, 0 with errors\n")


def test_a_real_override_and_a_clearly_new_rule_get_no_warning(tmp_path):
    for rule in ("defect_contact", "vip_callback"):
        path = _overlay(tmp_path, rule)
        source, _ = parse_file(path)
        _, base = parse_file(tmp_path / "dealer.policy")
        assert near_misses(base, source) == []


def test_bundled_overlays_have_no_near_misses():
    for path in sorted((ROOT / "policies").glob("*/*.policy")):
        source, _ = parse_file(path)
        if source.extends is not None:
            _, base = parse_file(path.parent / source.extends)
            assert near_misses(base, source) == [], path


# ---------------------------------------------------------------- recovering after a syntax error

SEVERAL = (
    'policy "p" {\n  currency CNY\n}\n'
    "classify first {\n  rule r: anonymous && key_customer -> major\n  otherwise -> general\n}\n\n"
    "deadlines {\n  rule d: first_contact = 1 workday after received_at\n}\n\n"
    "route first {\n  rul x: true -> a\n}\n"
)


def test_every_block_with_a_syntax_error_is_reported():
    error = _error(SEVERAL)
    assert [(d.span.line, d.span.column) for d in error.diagnostics] == [(5, 21), (10, 29), (14, 3)]
    assert [d.message.split(";")[0] for d in error.diagnostics] == [
        "unexpected '&' (write 'and' for '&&')", "unexpected 'workday' (did you mean 'working day'?)",
        "unexpected 'rul'"]  # fmt: skip
    assert len(re.findall(r"\n *\^", error.render())) == 3  # each with its line and caret


def test_recovery_reports_only_real_errors():
    fixed = SEVERAL.replace("&&", "and").replace("rul x", "rule x").replace("workday", "working day")
    # one error left: one diagnostic, not noise from the blocks after it
    one = _error(fixed.replace("rule x", "rul x"))
    assert [(d.span.line, d.span.column) for d in one.diagnostics] == [(14, 3)]
    two = _error(fixed.replace("policy \"p\" {\n  currency CNY", "policy \"p\" {\n  curency CNY"))
    assert [d.span.line for d in two.diagnostics] == [2]  # the rest of the file is fine
