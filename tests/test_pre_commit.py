"""The pre-commit hooks of .pre-commit-hooks.yaml, run by pre-commit itself on a throwaway repository.

pre-commit would install a ``language: python`` hook from the repository into a fresh virtual
environment (from the network); the test runs the very same hook definitions as ``language: system``
hooks of the throwaway repository instead, with this environment's ``complaint-rules`` on the PATH, so it
needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
BROKEN = 'policy "broken" {\n}\nclassify first {\n  rule big: amout >= 5000 -> major\n  otherwise -> general\n}\n'


def _pre_commit() -> str:
    found = shutil.which("pre-commit", path=str(BIN)) or shutil.which("pre-commit")
    if found is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return found


def _hooks() -> list[dict]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_manifest_is_valid_and_has_the_hooks():
    result = subprocess.run([_pre_commit(), "validate-manifest", str(MANIFEST)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {h["id"]: h for h in _hooks()}
    assert set(hooks) == {"complaint-rules-check", "complaint-rules-fmt", "complaint-rules-fmt-check",
                          "complaint-rules-test"}  # fmt: skip
    for hook in hooks.values():
        assert hook["entry"].startswith("complaint-rules ") and hook["language"] == "python"


@pytest.fixture()
def repository(tmp_path: Path) -> Path:
    pre_commit = _pre_commit()
    repo = tmp_path / "repo"
    repo.mkdir()
    env = _env(tmp_path)
    run = lambda *args: subprocess.run(args, cwd=repo, env=env, check=True, capture_output=True)  # noqa: E731
    run("git", "init", "-q")
    run("git", "config", "user.email", "test@example.invalid")
    run("git", "config", "user.name", "test")
    local = [{**hook, "language": "system"} for hook in _hooks()]
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": local}]}))
    shutil.copy(ROOT / "examples" / "dealer.policy", repo / "dealer.policy")
    shutil.copy(ROOT / "policies" / "retail" / "mall.policy", repo / "mall.policy")
    run("git", "add", ".")
    assert pre_commit
    return repo


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PRE_COMMIT_HOME"] = str(tmp_path / "cache")
    env["COMPLAINT_RULES_TODAY"] = "2026-10-01"
    return env


def _run(repo: Path, hook: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_pre_commit(), "run", hook, "--all-files", "--color", "never"], cwd=repo,
                          env=_env(repo.parent), capture_output=True, text=True, timeout=600)  # fmt: skip


def test_the_hooks_pass_on_good_policies(repository):
    for hook in ("complaint-rules-check", "complaint-rules-fmt", "complaint-rules-fmt-check", "complaint-rules-test"):
        result = _run(repository, hook)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout


def test_check_fails_with_the_located_problem(repository):
    (repository / "broken.policy").write_text(BROKEN, encoding="utf-8")
    subprocess.run(["git", "add", "broken.policy"], cwd=repository, check=True)
    result = _run(repository, "complaint-rules-check")
    assert result.returncode == 1 and "Failed" in result.stdout
    assert "broken.policy:4:13: unknown field 'amout'" in result.stdout


def test_fmt_rewrites_and_fails_then_passes(repository):
    path = repository / "dealer.policy"
    canonical = path.read_text(encoding="utf-8")
    path.write_text(canonical.replace("  version", "      version", 1), encoding="utf-8")
    subprocess.run(["git", "add", "dealer.policy"], cwd=repository, check=True)
    result = _run(repository, "complaint-rules-fmt-check")
    assert result.returncode == 1 and "would reformat dealer.policy" in result.stdout
    result = _run(repository, "complaint-rules-fmt")
    assert result.returncode == 1 and "reformatted dealer.policy" in result.stdout
    assert "files were modified by this hook" in result.stdout
    assert path.read_text(encoding="utf-8") == canonical
    assert _run(repository, "complaint-rules-fmt").returncode == 0


def test_test_hook_fails_on_a_failing_embedded_test(repository):
    path = repository / "mall.policy"
    text = path.read_text(encoding="utf-8")
    first = "  expect {\n    level: general\n"
    assert first in text
    path.write_text(text.replace(first, "  expect {\n    level: major\n", 1), encoding="utf-8")
    subprocess.run(["git", "add", "mall.policy"], cwd=repository, check=True)
    assert _run(repository, "complaint-rules-check").returncode == 0  # the policy is fine; its test is not
    result = _run(repository, "complaint-rules-test")
    assert result.returncode == 1 and "Failed" in result.stdout
    assert "expected major" in result.stdout or "major" in result.stdout.split("Failed", 1)[1]
