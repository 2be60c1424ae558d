"""The documentation site: ``mkdocs build --strict`` renders docs/ with the API reference, policy blocks
highlighted by the package's own lexer; every public callable has a docstring."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import complaint_rules

ROOT = Path(__file__).resolve().parent.parent


def test_mkdocs_build_strict_succeeds(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("api", "host", "language", "cli", "editors", "reference"):
        assert (site / page / "index.html").is_file(), page
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    for name in ("PolicyStore", "CompiledPolicy", "bundled", "Decision", "assume_timezone"):
        assert name in reference, name
    language = (site / "language" / "index.html").read_text(encoding="utf-8")
    assert '<span class="kd">classify</span>' in language  # the policy lexer, by its entry point
    assert 'class="err"' not in language


def _public_callables():
    seen = set()
    for name in complaint_rules.__all__:
        obj = getattr(complaint_rules, name)
        if not callable(obj) or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield name, obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") or not (callable(member) or isinstance(member, (property, classmethod))):
                    continue
                if getattr(obj, "__module__", "").startswith("pydantic"):
                    continue
                yield f"{name}.{attr}", member


def test_every_public_callable_has_a_docstring():
    missing = []
    for name, obj in _public_callables():
        target = obj.fget if isinstance(obj, property) else obj.__func__ if isinstance(obj, classmethod) else obj
        if not (inspect.getdoc(target) or "").strip():
            missing.append(name)
    assert missing == []
