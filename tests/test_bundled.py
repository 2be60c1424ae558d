"""Issue 4's bar for the bundled policies, as the CLI states it: checked, formatted, tested with full
rule coverage, and proven."""

from __future__ import annotations

from pathlib import Path

from complaint_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_policies_check_and_are_formatted(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["check", "-q", "policies/"]) == 0
    assert main(["fmt", "--check", "policies/"]) == 0


def test_every_rule_of_every_bundled_policy_is_exercised_by_an_embedded_test(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["test", "--coverage", "--fail-under", "100", "policies/"]) == 0
    out = capsys.readouterr().out
    assert "coverage: " in out and "(100.0%)" in out


def test_bundled_policies_are_proven(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["prove", "policies/"]) == 0
