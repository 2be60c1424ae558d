"""DSL text -> Lark tree -> IR."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
import tempfile
import threading
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from ... import ir, limits
from ...errors import PolicyError, PolicySyntaxError
from ...span import Source, Span
from .build import Builder, Shift, invariant_forms, unquote  # noqa: F401  (invariant_forms is part of this module's API)

FRAGMENTS = ("cond", "value", "timing", "duration", "due", "warning")


# Friendly names for terminals in "expected ..." messages.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "CURRENCY": "a currency code",
    "DATE": "a date (YYYY-MM-DD)",
    "DATETIME": "a date-time (YYYY-MM-DDTHH:MM+HH:MM)",
    "TIME": "a time (HH:MM)",
    "PERCENT": "a percentage",
    "DUR_SHORT": "a duration",
    "COMPARE": "a comparison (==, !=, <, <=, >, >=)",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
    "COMMA": "','",
    "EQUAL": "'='",
    "MINUS": "'-'",
}


def grammar_text() -> str:
    """The grammar shipped inside the package."""
    return resources.files("complaint_rules").joinpath("grammar/policy.lark").read_text(encoding="utf-8")


# The parser's tables are built once per grammar text, Lark version and Python version, and kept in the
# user's cache directory: building them (interegular's collision checks, the LALR tables) costs about half a
# second, loading them some 20 ms. The file name carries a hash of all three, so a changed grammar
# never reads a stale table; the first line of the file holds the whole key, checked before anything is
# unpickled. The directory is the user's own (made 0700): a file there is trusted as the user's own code is.
CACHE_ENV = "COMPLAINT_RULES_CACHE_DIR"
_LARK_OPTIONS = dict(
    parser="lalr",
    strict=True,
    propagate_positions=True,
    maybe_placeholders=False,
    start=["start", *FRAGMENTS],
)


def cache_dir() -> Path | None:
    """Where the parser tables are kept: ``$COMPLAINT_RULES_CACHE_DIR``, else the user cache directory.

    An empty ``COMPLAINT_RULES_CACHE_DIR`` turns the cache off (``None``).
    """
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~\\AppData\\Local")
    elif sys.platform == "darwin":
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "complaint-rules"


def parser_cache_path(grammar: str | None = None) -> Path | None:
    """The file that holds the parser built from ``grammar`` (default: the shipped grammar), or None."""
    directory = cache_dir()
    if directory is None:
        return None
    return directory / f"grammar-{_cache_key(grammar_text() if grammar is None else grammar)[:24]}.lark"


def _cache_key(grammar: str) -> str:
    from lark import __version__ as lark_version

    parts = (grammar, repr(sorted(_LARK_OPTIONS.items())), lark_version, sys.version)
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The one Lark parser of the process (policies, fragments and comments), read from the cache when it can
    be; ``lark_parser.cache_clear()`` makes the next call build or read it again."""
    grammar = grammar_text()
    key = _cache_key(grammar).encode("ascii")
    path = parser_cache_path(grammar)
    if path is not None:
        try:
            with open(path, "rb") as handle:
                if handle.readline().rstrip(b"\n") == key:
                    return Lark.load(handle)
        except Exception:  # noqa: BLE001 - a missing or damaged cache file is rebuilt, never an error of the policy
            pass
    # The callback is a module-level function: ``save`` pickles it by name, ``load`` finds it again.
    parser = Lark(grammar, lexer_callbacks={"COMMENT": _collect_comment}, **_LARK_OPTIONS)
    if path is not None:
        _save(parser, path, key)
    return parser


def _save(parser: Lark, path: Path, key: bytes) -> None:
    """Write the cache file atomically (worker processes may build the parser at the same time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".grammar-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key + b"\n")
                parser.save(handle)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or full disk: the next process builds the parser again


def parse(text: str, name: str = "<policy>", comments: bool = True) -> ir.Policy:
    """Parse policy text into IR; raises PolicyError with every problem found.

    ``comments=False`` leaves the source comments out of the IR (they are only for formatting, and
    placing them costs about a sixth of a parse).
    """
    source = Source(name, text)
    check_size(text, source)
    raw = None if text.isascii() else _SURROGATES.search(text)
    if raw is not None:
        raise PolicySyntaxError("a lone surrogate (U+D800-U+DFFF) is not Unicode text", _at_offset(source, raw.start()))
    lone = _LONE_CR.search(text)
    if lone is not None:
        raise PolicySyntaxError(
            "a lone carriage return (CR) is not a line end: write the policy with LF or CRLF line endings",
            _at_offset(source, lone.start()),
        )
    found: list[Token] | None = [] if comments else None
    try:
        tree = _parse_tree(text, source, "start", found)
    except PolicySyntaxError as exc:
        later = _later_syntax_errors(text, source, exc)
        if not later:
            raise
        raise PolicySyntaxError(exc.message, exc.span, diagnostics=(*exc.diagnostics, *later)) from None
    policy = _build(tree, source, "start")
    if found is None:
        return policy
    return attach_comments(policy, [(c.line, c.column, c.value) for c in found])


# A line that opens a top-level block: where parsing starts again after a syntax error.
_BLOCK_START = re.compile(r"^(record|units|levels|statuses|classify|route|deadlines|escalate|compensate|follow_up|"
                          r"obligations|invariants|test|extends|drop)\b", re.MULTILINE)
_MAX_RECOVERED = 10  # further syntax errors reported after the first (each costs a parse)
_RECOVER_BYTES = 200_000  # a longer text reports its first syntax error only


def _later_syntax_errors(text: str, source: Source, first: PolicySyntaxError) -> list:
    """The syntax errors of the blocks after the one that failed, each found by parsing the text with
    everything before the next block blanked out (lines and columns kept) behind a stub header."""
    found: list = []
    if len(text) > _RECOVER_BYTES:
        return found
    line = first.line or 1
    lines = text.split("\n")
    offset = sum(len(x) + 1 for x in lines[:line])  # the start of the line after the error
    while len(found) < _MAX_RECOVERED:
        start = _BLOCK_START.search(text, offset)
        if start is None:
            break
        stub = 'policy"p"{}'
        rows = re.sub(r"[^\n]", " ", text[: start.start()]).split("\n")
        room = next((i for i, row in enumerate(rows[:-1]) if len(row) >= len(stub)), None)
        if room is None:
            break  # no line before the block is long enough for the stub header: stop here
        rows[room] = stub + rows[room][len(stub):]
        blanked = "\n".join(rows) + text[start.start():]
        try:
            lark_parser().parse(blanked, start="start")
        except UnexpectedInput as exc:
            error = _syntax_error(exc, blanked, source, None)
            if error.span is None or error.line is None or error.line <= line:
                break
            found.extend(error.diagnostics)
            line = error.line
            offset = sum(len(x) + 1 for x in lines[:line])
            continue
        break
    return found


def parse_fragment(text: str, kind: str, source: Source | None = None, line: int = 1, column: int = 1):
    """Parse a condition, value, timing or duration written in DSL syntax (the YAML front end uses this).

    ``line``/``column`` place the fragment inside ``source`` so that errors point into the YAML file.
    """
    if kind not in FRAGMENTS:
        raise ValueError(f"unknown fragment kind {kind!r}")
    src = source or Source("<fragment>", text)
    shift = Shift(src, line, column)
    tree = _parse_tree(text, shift.fragment_source(text), kind, None, shift)
    return _build(tree, shift.fragment_source(text), kind, shift)


def _parse_tree(text: str, source: Source, start: str, comments: list | None, shift: Shift | None = None) -> Tree:
    try:
        if comments is None:
            return lark_parser().parse(text, start=start)
        _SINK.comments = comments
        try:
            return lark_parser().parse(text, start=start)
        finally:
            _SINK.comments = None
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, source, shift) from None


# Lark fixes lexer callbacks when the parser is built, so comments go to a per-thread sink.
_SINK = threading.local()


def _collect_comment(token: Token) -> Token:
    sink = getattr(_SINK, "comments", None)
    if sink is not None:
        sink.append(token)
    return token


def _describe(terminal: str) -> str:
    if terminal in _TERMINAL_NAMES:
        return _TERMINAL_NAMES[terminal]
    term = _terminals().get(terminal)
    if term is not None:
        if term.pattern.type == "str":
            return f"'{term.pattern.value}'"
        literal = re.sub(r"\\(.)", r"\1", term.pattern.value)
        if re.escape(literal).replace("\\-", "-") == term.pattern.value.replace("\\-", "-"):
            return f"'{literal}'"  # a keyword Lark keeps as an anonymous regex
    return terminal.lower()


@functools.lru_cache(maxsize=1)
def _terminals() -> dict:
    return {t.name: t for t in lark_parser().terminals}


def _syntax_error(exc: UnexpectedInput, text: str, source: Source, shift: Shift | None) -> PolicySyntaxError:
    line = getattr(exc, "line", None) or 1
    column = getattr(exc, "column", None) or 1
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END" or isinstance(exc, UnexpectedEOF):
        lines = text.rstrip("\n").split("\n")
        line, column = len(lines), len(lines[-1].removesuffix("\r")) + 1
        found = "end of file"
    elif isinstance(exc, UnexpectedToken):
        found = f"'{exc.token}'"
    elif isinstance(exc, UnexpectedCharacters):
        found = f"'{text[exc.pos_in_stream]}'" if exc.pos_in_stream < len(text) else "end of file"
    else:
        found = "input"
    allowed = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        try:  # LALR merges states; simulating each token gives exactly the ones that can follow here
            allowed = interactive.accepts() or allowed
        except Exception:  # noqa: BLE001 - the plain set is still a fine message
            pass
    expected = sorted({_describe(t) for t in allowed})
    expected = [e for e in expected if e != "$end"]
    if isinstance(exc, UnexpectedCharacters) and exc.allowed:
        expected = sorted({_describe(t) for t in exc.allowed})
    message = f"unexpected {found}" + _hint(found.strip("'"), text, exc, expected)
    if expected:
        if len(expected) > 8:
            expected = expected[:8] + ["..."]
        message += "; expected " + ", ".join(expected)
    width = len(str(exc.token)) if isinstance(exc, UnexpectedToken) and exc.token.type != "$END" else 1
    end = column + max(1, width)
    span = shift.span(line, column, line, end) if shift else Span(source, line, column, line, end)
    return PolicySyntaxError(message, span)


# Words people write for a unit the language spells otherwise.
_UNIT_HINTS = {
    "workday": "working day", "workdays": "working days", "work_day": "working day", "work_days": "working days",
    "weekday": "working day", "weekdays": "working days", "businessday": "working day",
    "businessdays": "working days", "bday": "working day", "bdays": "working days", "wd": "working day",
    "hr": "hour", "hrs": "hours", "h": "hours", "min": "minute", "mins": "minutes", "d": "days", "w": "weeks",
    "wk": "week", "wks": "weeks", "mo": "month", "mos": "months",
}
# Operators of other languages, and the words this one uses.
_OPERATOR_HINTS = {"&": "and", "|": "or", "!": "not"}


def _hint(found: str, text: str, exc: UnexpectedInput, expected: list[str]) -> str:
    """A ``did you mean`` for the mistakes people make most (other languages' operators, unit spellings)."""
    if isinstance(exc, UnexpectedCharacters) and found in _OPERATOR_HINTS:
        pos = exc.pos_in_stream
        written = text[pos : pos + 2] if text[pos : pos + 2] in ("&&", "||") else found
        if written == "!" and text[pos : pos + 2] == "!=":
            return ""
        return f" (write '{_OPERATOR_HINTS[found]}' for '{written}')"
    word = found.lower()
    if word in _UNIT_HINTS and any(e.strip("'") in ("day", "days", "hour", "hours") for e in expected):
        return f" (did you mean '{_UNIT_HINTS[word]}'?)"
    return ""


def check_size(text: str, source: Source) -> None:
    """Refuse a policy text of more than :data:`limits.MAX_POLICY_BYTES` (at the first byte beyond it)."""
    if len(text) <= limits.MAX_POLICY_BYTES // 4:
        return  # too short to be too long, whatever its characters
    head = text[: limits.MAX_POLICY_BYTES + 1].encode("utf-8", "surrogatepass")  # never more than the limit's worth
    if len(head) <= limits.MAX_POLICY_BYTES:
        return
    offset = len(head[: limits.MAX_POLICY_BYTES].decode("utf-8", "ignore"))
    raise PolicySyntaxError(
        f"the policy is longer than {limits.MAX_POLICY_BYTES} bytes (the limit): it is not read",
        _at_offset(source, offset),
    )


_LONE_CR = re.compile("\r(?!\n)")


def _at_offset(source: Source, offset: int) -> Span:
    text = source.text
    line = text.count("\n", 0, offset) + 1
    return Span(source, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


_NESTING = frozenset({"not_", "or_cond", "and_cond"})


def _check_limits(tree: Tree, source: Source, shift: Shift | None) -> None:
    """Refuse trees beyond the limits before they are built: nesting, entries per block, strings."""

    def at(meta_or_token) -> Span:
        line, column = getattr(meta_or_token, "line", 1) or 1, getattr(meta_or_token, "column", 1) or 1
        return shift.span(line, column, None, None) if shift else Span(source, line, column)

    stack: list[tuple[Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in _NESTING:
            depth += 1
            if depth > limits.MAX_NESTING:
                raise PolicySyntaxError(
                    f"the condition is nested too deeply (more than {limits.MAX_NESTING} levels of not/and/or)",
                    at(node.meta),
                )
        if len(node.children) > limits.MAX_ENTRIES + 2:  # a block's head and 'otherwise' are children too
            raise PolicySyntaxError(
                f"too many entries in one block or set ({len(node.children)}; at most {limits.MAX_ENTRIES})",
                at(node.meta),
            )
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth))
            elif child.type == "STRING":
                if len(child) > limits.MAX_STRING + 2:
                    raise PolicySyntaxError(
                        f"a string of {len(child) - 2} characters is too long (at most {limits.MAX_STRING})", at(child)
                    )
                if "\\u" in child and _SURROGATES.search(unquote(child)):
                    raise PolicySyntaxError("the string holds a lone surrogate (\\ud800-\\udfff): not Unicode text",
                                            at(child))


_SURROGATES = re.compile("[\ud800-\udfff]")


def _build(tree: Tree, source: Source, start: str, shift: Shift | None = None):
    _check_limits(tree, source, shift)
    builder = Builder(source, shift)
    try:
        result = builder.transform(tree)
    except VisitError as exc:  # unwrap: our own errors travel inside VisitError
        if isinstance(exc.orig_exc, PolicyError):
            raise exc.orig_exc from None
        meta = getattr(exc.obj, "meta", None)
        line, column = (getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1) if meta else (1, 1)
        span = shift.span(line, column, None, None) if shift else Span(source, line, column)
        raise PolicySyntaxError(f"cannot read this {exc.rule}: {type(exc.orig_exc).__name__}", span) from None
    builder.diagnostics.raise_if_any()
    return result


# ---------------------------------------------------------------------------- comments


def attach_comments(policy: ir.Policy, comments: list[tuple[int, int, str]]) -> ir.Policy:
    """Attach each comment to the node it annotates: the node starting on its line, else the next one."""
    if not comments:
        return policy
    from .comments import attach

    return attach(policy, comments)
