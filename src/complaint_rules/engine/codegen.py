"""Python source for a compiled policy, built so that nothing written in the policy becomes code.

The compiler (:mod:`.compiler`) unrolls a policy's rules into one straight-line ``decide`` function: each
condition becomes an inline Python expression instead of a tree of closure calls. Every value that comes
from the policy (field names, enum members, amounts, keywords, rule ids, trace entries, shift functions) is
bound to a generated name such as ``_c12`` in the function's namespace; the source text itself contains only
generated names, Python operators and keywords, small integers the compiler computed, and string literals
of the compiler's own (``"due"``, ``"pending"``). A :class:`Source` keeps a line map from each line of the
generated text to the rule it came from, and registers the text with :mod:`linecache` so that a traceback
through a compiled policy shows the generated line.

Comparisons whose types only the record decides (a number field holding money, a date against a date)
call :func:`compare`, bound as ``_compare``, with the operator, the value and the constant:
``(_t10 <= _c26 if type(_t10 := f4) in _NUMBERS else _compare(_c27, f4, _c26, None))``.
"""

from __future__ import annotations

import linecache
import operator
import weakref
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .. import ir

__all__ = ["OPERATORS", "Source", "compare", "condition", "condition_function", "is_number"]

_MONEY = ir.Money
_NUMBERS = frozenset({int, Decimal})
# The operators a comparison may use, as Python writes them; anything else is refused (never copied).
_PY_OPS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ORDERING = frozenset({"<", "<=", ">", ">="})


class Source:
    """Lines of generated Python, the constants they name, and which rule each line comes from."""

    def __init__(self, filename: str, preload: frozenset[str] | None = None):
        self.filename = filename
        # Keys that may be read once into a local at the top (see fetch and preload); None: none may.
        self.preloadable = preload
        self._fetched: dict[str, int] = {}  # key -> number of reads
        self.lines: list[str] = []
        self.rules: dict[int, str] = {}  # 1-based line number -> "rule_id at file:line:col"
        self.namespace: dict[str, Any] = {}
        self._names: dict[int, str] = {}  # id(constant) -> its name
        self._temps = 0

    def const(self, value: Any) -> str:
        """A generated name bound to ``value`` (the same object always gets the same name)."""
        if value is None or value is True or value is False:
            return repr(value)
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"_c{len(self._names)}"
            self.namespace[name] = value
        return name

    def bind(self, name: str, value: Any) -> str:
        """Bind a helper under a fixed name of the compiler's own choosing."""
        self.namespace[name] = value
        return name

    def temp(self) -> str:
        self._temps += 1
        return f"_t{self._temps}"

    def emit(self, indent: int, text: str, rule: str | None = None) -> None:
        self.lines.append("    " * indent + text)
        if rule is not None:
            self.rules[len(self.lines)] = rule

    def fetch(self, key: str) -> str:
        """An expression for the value of ``key`` (``get(key)``, or a local read once at the top)."""
        if self.preloadable is None or key not in self.preloadable:
            return f"get({self.const(key)})"
        self._fetched[key] = self._fetched.get(key, 0) + 1
        return f"\x00{key}\x00"  # a mark: preload() decides how the value is read

    def preload(self, after: int, indent: int) -> None:
        """Read every key fetched more than once into a local after line ``after``; the others in place.

        The values dict does not change while a decision is made (but for the level, never preloadable),
        so one read is the same value as many; the line map moves down with the lines."""
        locals_ = {key: f"f{n}" for n, key in enumerate(k for k, uses in self._fetched.items() if uses > 1)}

        def read(key: str) -> str:
            return locals_.get(key) or f"get({self.const(key)})"

        lines = []
        for line in self.lines:
            if "\x00" in line:
                parts = line.split("\x00")  # text, key, text, key, ..., text
                line = "".join(read(part) if i % 2 else part for i, part in enumerate(parts))
            lines.append(line)
        loads = ["    " * indent + f"{local} = get({self.const(key)})" for key, local in locals_.items()]
        self.lines = lines[:after] + loads + lines[after:]
        self.rules = {(n + len(loads) if n > after else n): rule for n, rule in self.rules.items()}
        self._fetched = {}

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def function(self, name: str) -> Callable:
        """Compile the lines and return the function ``name`` they define."""
        text = self.text()
        code = compile(text, self.filename, "exec")
        namespace = dict(self.namespace)
        exec(code, namespace)  # noqa: S102 — generated names and operators only; see the module docstring
        function = namespace[name]
        linecache.cache[self.filename] = (len(text), None, text.splitlines(True), self.filename)
        # The lines stay for tracebacks while the function lives; a host that reloads policies for
        # months does not keep every old version's source.
        weakref.finalize(function, linecache.cache.pop, self.filename, None)
        return function


def is_number(x: Any) -> bool:
    """An int or Decimal (not a bool): what a money amount or a number compares with."""
    return isinstance(x, (int, Decimal)) and not isinstance(x, bool)


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def compare(op: Callable[[Any, Any], Any], x: Any, c: Any, rank: Mapping[Any, int] | None = None) -> bool:
    """A comparison the inline expressions leave to run time: values of any type on either side.

    ``rank`` orders levels or enum members for ``<``, ``>=``, ... A missing value, money of another
    currency, or values Python cannot order make it false; durations of fixed length compare by length.
    """
    if x is None or c is None:
        return False
    if rank is not None:
        try:
            rx, rc = rank.get(x), rank.get(c)
        except TypeError:  # an unhashable value is no member
            return False
        return rx is not None and rc is not None and op(rx, rc)
    if type(c) is _MONEY and type(x) is _MONEY:
        return x.currency == c.currency and op(x.amount, c.amount)
    if type(c) is _MONEY and is_number(x):
        return op(x, c.amount)
    if type(x) is _MONEY and is_number(c):
        return op(x.amount, c)
    if (lx := ir.fixed_length(x)) is not None and (lc := ir.fixed_length(c)) is not None:
        return op(lx, lc)  # 1 day == 24 hours
    try:
        return bool(op(x, c))
    except TypeError:
        return False


def condition(
    src: Source,
    expr: ir.Expr,
    key: Callable[[ir.Ref], str],
    order: Callable[[str], tuple[str, ...] | None],
) -> str:
    """``expr`` as a Python expression over ``get`` (the values' ``dict.get``) and ``v`` (the values).

    The one condition compiler: common comparisons are inline; the rest call :func:`compare` (bound as
    ``_compare``), never a second implementation. It must decide exactly as :mod:`.interpreter` does.
    """

    def operand(e: ir.Expr) -> str:
        return get(e) if isinstance(e, ir.Ref) else src.const(e.value)

    def fallback(e: ir.Compare) -> str:
        ranks = order(e.left.name) if isinstance(e.left, ir.Ref) and e.op in _ORDERING else None
        rank = src.const({name: i for i, name in enumerate(ranks)}) if ranks is not None else "None"
        return f"_compare({src.const(OPERATORS[e.op])}, {operand(e.left)}, {operand(e.right)}, {rank})"

    def get(ref: ir.Ref) -> str:
        return src.fetch(key(ref))

    def visit(e: ir.Expr) -> str:
        if isinstance(e, ir.Ref):
            return f"{get(e)} is True"
        if isinstance(e, ir.Const):
            return "True" if e.value is True else "False"
        if isinstance(e, ir.Compare):
            return comparison(e)
        if isinstance(e, ir.InSet):
            t = src.temp()
            test = "not in" if e.negated else "in"
            return f"(({t} := {get(e.operand)}) is not None and {t} {test} {src.const(e.members)})"
        if isinstance(e, ir.Has):
            t, members = src.temp(), src.const(frozenset(e.members))
            test = f"{members} <= {t}" if e.quantifier == "all" else f"not {members}.isdisjoint({t})"
            return f"(type({t} := {get(e.operand)}) is frozenset and {test})"
        if isinstance(e, ir.Mentions):
            return mentions(e)
        if isinstance(e, ir.Missing):
            return f"{get(e.operand)} is {'not ' if e.negated else ''}None"
        if isinstance(e, (ir.And, ir.Or)):
            if not e.items:
                return "True" if isinstance(e, ir.And) else "False"
            joiner = " and " if isinstance(e, ir.And) else " or "
            return "(" + joiner.join(visit(i) for i in e.items) + ")"
        if isinstance(e, ir.Not):
            return f"(not {visit(e.item)})"
        raise TypeError(f"not a condition: {e!r}")

    def mentions(e: ir.Mentions) -> str:
        t = src.temp()
        words = sorted({k.casefold() for k in e.keywords})
        is_text = f"type({t} := {get(e.operand)}) is str"
        if not words:
            return f"({is_text})" if e.quantifier == "all" else f"({is_text} and False)"
        folded = src.temp()
        joiner = " and " if e.quantifier == "all" else " or "
        tests = [f"{src.const(words[0])} in ({folded} := {t}.casefold())"]
        tests += [f"{src.const(w)} in {folded}" for w in words[1:]]
        return f"({is_text} and ({joiner.join(tests)}))"

    def comparison(e: ir.Compare) -> str:
        if e.op not in _PY_OPS:
            raise TypeError(f"not a comparison operator: {e.op!r}")
        if not isinstance(e.left, ir.Ref) or not isinstance(e.right, ir.Const):
            return fallback(e)
        c, op = e.right.value, _PY_OPS[e.op]
        if c is None:
            return "False"
        ranks = order(e.left.name) if e.op in _ORDERING else None
        if ranks is not None:
            rank = {name: i for i, name in enumerate(ranks)}
            if c not in rank:
                return "False"
            t = src.temp()
            return f"(({t} := {src.const(rank)}.get({get(e.left)})) is not None and {t} {op} {rank[c]})"
        t = src.temp()
        if isinstance(c, _MONEY):
            amount, currency = src.const(c.amount), src.const(c.currency)
            return (
                f"(({t}.currency == {currency} and {t}.amount {op} {amount}) "
                f"if type({t} := {get(e.left)}) is _MONEY else (_is_number({t}) and {t} {op} {amount}))"
            )
        numeric = type(c) in _NUMBERS
        if isinstance(c, ir.Duration):  # compared by length where it has one
            return fallback(e)
        if e.op == "==" and not numeric:
            return f"{get(e.left)} == {src.const(c)}"
        if numeric:  # int or Decimal against int or Decimal never raises; anything else at run time
            return f"({t} {op} {src.const(c)} if type({t} := {get(e.left)}) in _NUMBERS else {fallback(e)})"
        return fallback(e)

    return visit(expr)


def helpers(src: Source) -> None:
    """Bind the helper names that :func:`condition`'s expressions use."""
    src.bind("_MONEY", _MONEY)
    src.bind("_NUMBERS", _NUMBERS)
    src.bind("_is_number", is_number)
    src.bind("_compare", compare)


def condition_function(expr: ir.Expr | None, key: Callable[[ir.Ref], str],
                       order: Callable[[str], tuple[str, ...] | None], filename: str) -> Callable[[Mapping[str, Any]], bool]:
    """One condition as a function of a values dict, compiled as :func:`condition` writes it."""
    src = Source(filename)
    helpers(src)
    text = "True" if expr is None else condition(src, expr, key, order)
    src.emit(0, "def cond(v):")
    src.emit(1, "get = v.get")
    src.emit(1, f"return {text}")
    return src.function("cond")
