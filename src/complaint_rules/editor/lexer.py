"""A Pygments lexer for ``.policy`` files, registered under the ``policy`` alias (``pygments.lexers`` entry point).

Requires Pygments (the ``editor`` extra; rich, a dependency, installs it too).
"""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from . import BLOCKS, keywords

__all__ = ["PolicyLexer"]

_TIME_UNITS = ("minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year",
               "years")
_CONSTANTS = ("true", "false", "none")


class PolicyLexer(RegexLexer):
    """The complaint-rules policy language."""

    name = "complaint-rules policy"
    aliases = ["policy", "complaint-rules"]
    filenames = ["*.policy"]
    mimetypes = ["text/x-complaint-policy"]
    url = "https://complaint-rules.invalid/docs/language.md"

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r'"(\\.|[^"\\\n])*"', String.Double),
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?", Number.Other),
            (r"\d{4}-\d{2}-\d{2}", Number.Other),
            (r"\d{2}:\d{2}(-\d{2}:\d{2})?", Number.Other),
            (r"\d+(\.\d+)?%", Number.Other),
            (r"\d+(min|bh|wd|mo|h|d|w|y)(?![a-z0-9_])", Number.Other),
            (r"-?\d+(\.\d+)?", Number),
            (r"\b[A-Z]{3}\b", Name.Constant),  # a currency code
            (r"\b(rule)(\s+)([a-z_][a-z0-9_]*)", bygroups(Keyword, Whitespace, Name.Function)),
            (words(BLOCKS, suffix=r"\b"), Keyword.Declaration),
            (words(_CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(("working day", "working days", "business hour", "business hours"), suffix=r"\b"), Keyword.Type),
            (words(_TIME_UNITS, suffix=r"\b"), Keyword.Type),
            (words(("and", "or", "not", "in", "has", "any", "is", "missing", "present", "mentions"), suffix=r"\b"),
             Operator.Word),
            (words(tuple(k for k in keywords() if k not in BLOCKS), suffix=r"\b"), Keyword),
            (r"[a-z_][a-z0-9_]*", Name),
            (r"->|==|!=|<=|>=|<|>|=", Operator),
            (r"[{}()\[\],:]", Punctuation),
        ],
    }
