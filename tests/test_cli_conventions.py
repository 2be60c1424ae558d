"""The command's conventions: --version, '-' for standard input, --help with examples, the fmt summary
line, coloured diagnostics (--color, NO_COLOR, FORCE_COLOR) and shell completion."""

from __future__ import annotations

import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules.cli import COMMANDS, build_parser, main
from complaint_rules.cli.helptext import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent
DEALER = ROOT / "examples" / "dealer.policy"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BROKEN = 'policy "broken" {\n}\nclassify first {\n  rule big: amout >= 5000 -> major\n  otherwise -> general\n}\n'


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch):
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COMPLAINT_RULES_TODAY", "2026-10-01")


# ---------------------------------------------------------------- --version and --help


def test_version_is_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"complaint-rules {complaint_rules.__version__}\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_examples_and_no_doc_markup(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "``" not in out and ":func:" not in out and ":class:" not in out
    assert "\nexamples:\n  " in out
    for example, _ in EXAMPLES[command]:
        assert f"  {example}\n" in out


def test_top_level_help_has_examples(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:\n  complaint-rules check policies/" in out and "COMMAND --help" in out


def test_help_examples_name_files_that_exist():
    for command, examples in EXAMPLES.items():
        for example, _ in examples:
            for word in shlex.split(example):
                if word.startswith(("examples/", "policies/")):
                    assert (ROOT / word).exists(), f"{command}: {example}"


@pytest.mark.parametrize("command", ["check", "fmt", "test", "prove"])
def test_help_examples_run(command, monkeypatch, capsys):
    # The first example of each of these commands runs as written, from the repository's root.
    monkeypatch.chdir(ROOT)
    words = shlex.split(EXAMPLES[command][0][0])
    assert main(words[1:]) == 0, capsys.readouterr()


# ---------------------------------------------------------------- standard input


def test_check_reads_standard_input(monkeypatch, capsys):
    _stdin(monkeypatch, DEALER.read_text(encoding="utf-8"))
    assert main(["check", "-"]) == 0
    assert "<stdin>: ok\n1 checked, 0 with errors" in capsys.readouterr().out
    _stdin(monkeypatch, BROKEN)
    assert main(["check", "-"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("<stdin>:4:13: unknown field 'amout'") and "1 checked, 1 with errors" in err


def test_check_reads_yaml_from_standard_input(monkeypatch, capsys):
    _stdin(monkeypatch, complaint_rules.load(DEALER).to_yaml())
    assert main(["check", "--stdin-format", "yaml", "-q", "-"]) == 0
    assert capsys.readouterr().out == "1 checked, 0 with errors\n"


def test_fmt_formats_standard_input_to_standard_output(monkeypatch, capsys):
    text = DEALER.read_text(encoding="utf-8")
    messy = text.replace("policy \"example-dealer\" {", "policy   \"example-dealer\"   {", 1)
    assert messy != text
    _stdin(monkeypatch, messy)
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == text
    _stdin(monkeypatch, messy)
    assert main(["fmt", "--check", "-"]) == 1
    assert capsys.readouterr().out == ""
    _stdin(monkeypatch, text)
    assert main(["fmt", "--check", "-"]) == 0
    _stdin(monkeypatch, BROKEN.replace("rule big", "rul big"))
    assert main(["fmt", "-"]) == 1
    assert capsys.readouterr().err.startswith("<stdin>:4:3: unexpected 'rul'")


def test_fmt_refuses_standard_input_mixed_with_files(monkeypatch, capsys):
    assert main(["fmt", "-", str(DEALER)]) == 2
    assert "'-' (standard input) cannot be mixed with files" in capsys.readouterr().err


def test_convert_reads_standard_input(monkeypatch, capsys):
    policy = complaint_rules.load(DEALER)
    _stdin(monkeypatch, policy.to_yaml())
    assert main(["convert", "-", "--from", "yaml", "--to", "dsl"]) == 0
    assert complaint_rules.loads(capsys.readouterr().out) == policy
    _stdin(monkeypatch, DEALER.read_text(encoding="utf-8"))
    assert main(["convert", "-", "--to", "yaml"]) == 0
    assert complaint_rules.loads(capsys.readouterr().out, format="yaml") == policy


def test_standard_input_that_is_not_utf8_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'policy "p" {\n  title "\xff"\n}\n')))
    assert main(["check", "-"]) == 2
    assert "<stdin>: not UTF-8 text" in capsys.readouterr().err


# ---------------------------------------------------------------- fmt's summary line


def test_fmt_ends_with_a_summary_line(tmp_path, capsys):
    for name in ("a.policy", "b.policy"):
        shutil.copy(DEALER, tmp_path / name)
    (tmp_path / "c.policy").write_text(DEALER.read_text(encoding="utf-8").replace("  version", "    version", 1))
    (tmp_path / "d.policy").write_text(BROKEN.replace("rule big", "rul big"))
    assert main(["fmt", "--check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"would reformat {tmp_path / 'c.policy'}\n"
    assert captured.err.endswith("1 file would be reformatted, 2 files already formatted, 1 file with errors\n")
    (tmp_path / "d.policy").unlink()
    assert main(["fmt", str(tmp_path)]) == 0
    assert capsys.readouterr().err == "1 file reformatted, 2 files already formatted\n"
    assert main(["fmt", "-q", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- colour


def _check_broken(tmp_path: Path, stream: io.StringIO, monkeypatch, *flags: str) -> str:
    (tmp_path / "broken.policy").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stderr", stream)
    assert main(["check", *flags, "broken.policy"]) == 1
    return stream.getvalue()


def test_diagnostics_are_coloured_on_a_terminal(tmp_path, monkeypatch):
    err = _check_broken(tmp_path, _Terminal(), monkeypatch)
    assert "\x1b[1mbroken.policy:4:13:\x1b[0m \x1b[31munknown field 'amout'\x1b[0m" in err
    assert "\x1b[32m\x1b[1m^~~~~\x1b[0m" in err
    assert ANSI.sub("", err).startswith("broken.policy:4:13: unknown field 'amout'\n      rule big: amout")


def test_diagnostics_are_plain_in_a_pipe_and_with_no_color(tmp_path, monkeypatch):
    assert ANSI.search(_check_broken(tmp_path, io.StringIO(), monkeypatch)) is None
    monkeypatch.setenv("NO_COLOR", "1")
    assert ANSI.search(_check_broken(tmp_path, _Terminal(), monkeypatch)) is None
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.delenv("NO_COLOR")
    assert ANSI.search(_check_broken(tmp_path, _Terminal(), monkeypatch)) is None


def test_color_flag_and_force_color(tmp_path, monkeypatch):
    assert ANSI.search(_check_broken(tmp_path, io.StringIO(), monkeypatch, "--color", "always"))
    monkeypatch.setenv("NO_COLOR", "1")
    assert ANSI.search(_check_broken(tmp_path, io.StringIO(), monkeypatch, "--color", "always"))
    assert ANSI.search(_check_broken(tmp_path, _Terminal(), monkeypatch, "--color", "never")) is None
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ANSI.search(_check_broken(tmp_path, io.StringIO(), monkeypatch))


def test_errors_raised_to_main_are_coloured_too(tmp_path, monkeypatch):
    (tmp_path / "broken.policy").write_text(BROKEN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    assert main(["explain", "broken.policy", str(ROOT / "examples" / "record.json")]) == 1
    assert "\x1b[31munknown field 'amout'" in stream.getvalue()


# ---------------------------------------------------------------- completion


def _complete(script: str, words: list[str]) -> list[str]:
    """What bash offers for ``words`` (the last one being completed), with the generated script loaded."""
    line = " ".join(shlex.quote(w) for w in words)
    program = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}\n"
               "_complaint_rules\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")  # fmt: skip
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True, cwd=ROOT)
    return result.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_options_and_choices(capsys):
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert _complete(script, ["complaint-rules", "c"]) == ["check", "convert", "calendar", "completion"]
    assert "--stdin-format" in _complete(script, ["complaint-rules", "check", "--"])
    assert _complete(script, ["complaint-rules", "fmt", "--color", "a"]) == ["auto", "always"]
    assert _complete(script, ["complaint-rules", "dump", ""]) == ["ir", "dsl", "resolved"]
    assert _complete(script, ["complaint-rules", "completion", "z"]) == ["zsh"]
    assert "examples/dealer.policy" in _complete(script, ["complaint-rules", "check", "examples/dea"])


def test_zsh_and_fish_scripts_cover_every_command(capsys):
    assert main(["completion", "zsh"]) == 0
    zsh = capsys.readouterr().out
    assert zsh.startswith("#compdef complaint-rules\n") and "bashcompinit" in zsh
    assert "complete -o filenames -F _complaint_rules complaint-rules" in zsh
    assert main(["completion", "fish"]) == 0
    fish = capsys.readouterr().out
    parser = build_parser()
    for command in COMMANDS:
        assert f"-n '__fish_use_subcommand' -a {command} " in fish
    assert "-n '__fish_seen_subcommand_from check' -l stdin-format -x -a 'dsl yaml'" in fish
    assert parser.prog == "complaint-rules"
    if shutil.which("fish"):
        subprocess.run(["fish", "--no-execute", "-c", fish], check=True)
