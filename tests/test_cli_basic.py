"""The thin CLI: fmt, dump, check, exit codes."""

from __future__ import annotations

from pathlib import Path

from complaint_rules.cli import main

FULL = Path(__file__).parent / "fixtures" / "full.policy"

MESSY = 'policy "m" {version "1"}\n# why\nclassify first{rule a: x==y->major otherwise->general}\n'


def test_fmt_rewrites_and_check_mode_reports(tmp_path, capsys):
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 1
    assert "would reformat" in capsys.readouterr().out
    assert path.read_text(encoding="utf-8") == MESSY
    assert main(["fmt", str(path)]) == 0
    formatted = path.read_text(encoding="utf-8")
    assert "# why\nclassify first {\n  rule a: x == y -> major\n  otherwise -> general\n}\n" in formatted
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_diff_shows_the_change_and_never_writes(tmp_path, capsys):
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    assert main(["fmt", "--diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert "-classify first{rule a: x==y->major otherwise->general}" in out and "+  rule a: x == y -> major" in out
    assert path.read_text(encoding="utf-8") == MESSY


def test_fmt_reports_syntax_errors_with_location(tmp_path, capsys):
    path = tmp_path / "bad.policy"
    path.write_text('policy "b" {\n  versio "1"\n}\n', encoding="utf-8")
    assert main(["fmt", str(path)]) == 1
    err = capsys.readouterr().err
    assert "bad.policy:2:3: unexpected 'versio'" in err
    assert "  ^~~~~~" not in err or "^" in err


def test_dump_dsl_prints_canonical_text(capsys):
    assert main(["dump", "dsl", str(FULL)]) == 0
    out = capsys.readouterr().out
    assert out.startswith('policy "svw-dealer" {\n')
    assert "rule defect_contact: first_contact = 2 hours after received_at" in out


def test_missing_path_is_a_usage_error(tmp_path, capsys):
    assert main(["fmt", str(tmp_path / "nope.policy")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys):
    assert main(["frobnicate"]) == 2


def test_help_exits_zero(capsys):
    assert main(["--help"]) == 0
    assert "complaint-rules" in capsys.readouterr().out
