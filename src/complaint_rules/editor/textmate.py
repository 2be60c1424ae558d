"""A TextMate grammar for ``.policy`` files (VS Code, Sublime Text, Zed, GitHub's linguist, ...).

:func:`grammar` builds it from the grammar's keywords; the package ships it as
``complaint_rules/editor/policy.tmLanguage.json`` (regenerate with ``python -m complaint_rules.editor.textmate``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import BLOCKS, keywords

__all__ = ["SCOPE", "grammar", "grammar_file", "grammar_text"]

SCOPE = "source.complaint-policy"

_UNITS = ("minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years")
_OPERATOR_WORDS = ("and", "or", "not", "in", "has", "any", "is", "missing", "present", "mentions")
_CONSTANTS = ("true", "false", "none")


def _words(names: tuple[str, ...] | list[str]) -> str:
    return r"\b(" + "|".join(sorted(names, key=lambda w: (-len(w), w))) + r")\b"


def grammar() -> dict[str, Any]:
    """The TextMate grammar as a JSON-ready dict (first match wins, in the order of ``patterns``)."""
    special = {*BLOCKS, *_UNITS, *_OPERATOR_WORDS, *_CONSTANTS, "working", "business"}
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "complaint-rules policy",
        "scopeName": SCOPE,
        "fileTypes": ["policy"],
        "patterns": [
            {"name": "comment.line.number-sign.complaint-policy", "match": r"#.*$"},
            {"name": "string.quoted.double.complaint-policy", "begin": '"', "end": r'"|$',
             "patterns": [{"name": "constant.character.escape.complaint-policy", "match": r"\\."}]},
            {"name": "constant.numeric.datetime.complaint-policy",
             "match": r"\b\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?"},
            {"name": "constant.numeric.time.complaint-policy", "match": r"\b\d{2}:\d{2}(-\d{2}:\d{2})?"},
            {"name": "constant.numeric.percent.complaint-policy", "match": r"\b\d+(\.\d+)?%"},
            {"name": "constant.numeric.duration.complaint-policy", "match": r"\b\d+(min|bh|wd|mo|h|d|w|y)(?![a-z0-9_])"},
            {"name": "constant.numeric.complaint-policy", "match": r"-?\b\d+(\.\d+)?"},
            {"name": "support.constant.currency.complaint-policy", "match": r"\b[A-Z]{3}\b"},
            {"match": r"\b(rule)\s+([a-z_][a-z0-9_]*)",
             "captures": {"1": {"name": "keyword.other.rule.complaint-policy"},
                          "2": {"name": "entity.name.function.rule.complaint-policy"}}},
            {"name": "storage.type.block.complaint-policy", "match": _words(BLOCKS)},
            {"name": "constant.language.complaint-policy", "match": _words(_CONSTANTS)},
            {"name": "support.type.unit.complaint-policy",
             "match": r"\b(working\s+days?|business\s+hours?)\b|" + _words(_UNITS)},
            {"name": "keyword.operator.word.complaint-policy", "match": _words(_OPERATOR_WORDS)},
            {"name": "keyword.other.complaint-policy", "match": _words([k for k in keywords() if k not in special])},
            {"name": "variable.other.name.complaint-policy", "match": r"\b[a-z_][a-z0-9_]*\b"},
            {"name": "keyword.operator.complaint-policy", "match": r"->|==|!=|<=|>=|<|>|="},
            {"name": "punctuation.complaint-policy", "match": r"[{}()\[\],:]"},
        ],
    }


def grammar_text() -> str:
    """:func:`grammar` as the JSON text of the shipped file."""
    return json.dumps(grammar(), indent=2, ensure_ascii=False) + "\n"


def grammar_file() -> Path:
    """The shipped grammar file (``policy.tmLanguage.json`` beside this module)."""
    return Path(__file__).resolve().parent / "policy.tmLanguage.json"


if __name__ == "__main__":
    grammar_file().write_text(grammar_text(), encoding="utf-8")
