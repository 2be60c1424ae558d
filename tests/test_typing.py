"""The typed API: a host file that uses the whole documented API type-checks with 0 errors under
``mypy --strict`` and pyright's strict mode (tests/typing/host_example.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "typing" / "host_example.py"
BIN = Path(sys.executable).parent


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_the_host_example_names_the_public_api():
    # The example must keep exercising what docs/api.md and docs/host.md document.
    text = EXAMPLE.read_text(encoding="utf-8")
    for name in ("load(", "loads(", "bundled(", "PolicyStore(", ".evaluate(", ".interpret(", ".compiled",
                 ".coerce(", ".outcome(", ".decide(", "follow_up_report(", "calendar(", "diff(", ".fingerprint",
                 ".source", ".ir", ".path", "assume_timezone=", 'format="yml"', "# pyright: strict"):  # fmt: skip
        assert name in text, name


def test_mypy_strict_finds_no_error():
    pytest.importorskip("mypy")
    result = _run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                   str(EXAMPLE)])  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 1 source file" in result.stdout


def test_mypy_strict_would_catch_a_mistake(tmp_path):
    # The check is not vacuous: the library's types reach the host file.
    pytest.importorskip("mypy")
    bad = tmp_path / "bad.py"
    bad.write_text("import complaint_rules\n\np = complaint_rules.load('x.policy')\nn: int = p.fingerprint\n"
                   "p.compiled.nothing\n", encoding="utf-8")  # fmt: skip
    result = _run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", str(bad)])
    assert result.returncode == 1
    assert 'Incompatible types in assignment (expression has type "str", variable has type "int")' in result.stdout
    assert '"CompiledPolicy" has no attribute "nothing"' in result.stdout


def _pyright() -> str:
    found = shutil.which("pyright", path=str(BIN)) or shutil.which("pyright")
    if found is None:
        pytest.skip("pyright is not installed (pip install -e '.[test]' installs it)")
    probe = _run([found, "--version"])
    if probe.returncode != 0:  # the PyPI wrapper fetches pyright's node package on first use
        pytest.skip(f"pyright cannot run here: {(probe.stderr or probe.stdout).strip()[:200]}")
    return found


def _project(tmp_path: Path) -> str:
    """A config of the test's own, so that no stray pyrightconfig.json above the working directory counts."""
    config = tmp_path / "pyrightconfig.json"
    config.write_text("{}\n", encoding="utf-8")
    return str(config)


def test_pyright_strict_finds_no_error(tmp_path):
    result = _run([_pyright(), "--project", _project(tmp_path), "--pythonpath", sys.executable, str(EXAMPLE)])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def test_pyright_strict_would_catch_an_unknown_type(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("# pyright: strict\nimport complaint_rules\n\n\ndef f(x):\n    return complaint_rules.load(x)\n",
                   encoding="utf-8")  # fmt: skip
    result = _run([_pyright(), "--project", _project(tmp_path), "--pythonpath", sys.executable, str(bad)])
    assert result.returncode == 1 and "reportMissingParameterType" in result.stdout
