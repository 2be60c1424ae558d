"""The Python examples of the docs run as doctests from the repository's root.

docs/api.md and docs/testing.md are the host application's guide; calendar.md, decisions.md and
analysis.md show one example each; columnar.md the columnar engine and the Arrow schema. (cli.md's console examples run in tests/test_cli_eval.py, the
language and YAML pages' policies in tests/test_docs.py and tests/test_yaml.py.)
"""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# page -> the fewest examples it must hold (so that a page that loses its examples fails)
PAGES = {"api.md": 15, "host.md": 12, "testing.md": 10, "calendar.md": 4, "decisions.md": 4, "analysis.md": 4, "logs.md": 7,
         "versions.md": 5, "columnar.md": 15}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_doc_examples_run(page, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = doctest.testfile(
        str(ROOT / "docs" / page), module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted >= PAGES[page]
    assert result.failed == 0
