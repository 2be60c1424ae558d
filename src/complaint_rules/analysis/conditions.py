"""Atomic conditions: which are analysed, the constants they use, and their truth on one atom.

Compiling a whole condition into a region of boxes is :meth:`.domain.Space.compile`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from .. import ir


class _Missing:
    """The atom of an optional field that the record leaves out."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclasses.dataclass
class AtomUse:
    """What the conditions of a policy ask about one field."""

    constants: set = dataclasses.field(default_factory=set)
    members: set = dataclasses.field(default_factory=set)
    keywords: set = dataclasses.field(default_factory=set)
    set_equality: bool = False
    opaque: set = dataclasses.field(default_factory=set)


_ATOMIC = (ir.Ref, ir.Compare, ir.InSet, ir.Has, ir.Mentions, ir.Missing)


def policy_conditions(policy: ir.Policy) -> Iterable[ir.Expr]:
    """Every condition of a policy, block by block, and those of its declared invariants."""
    yield from ir.all_conditions(policy)


def walk_atoms(expr: ir.Expr) -> Iterable[ir.Expr]:
    if isinstance(expr, (ir.And, ir.Or)):
        for item in expr.items:
            yield from walk_atoms(item)
    elif isinstance(expr, ir.Not):
        yield from walk_atoms(expr.item)
    elif isinstance(expr, _ATOMIC) or not (isinstance(expr, ir.Const) and isinstance(expr.value, bool)):
        yield expr


def operand_name(expr: ir.Expr) -> str | None:
    if isinstance(expr, ir.Ref):
        return expr.name
    if isinstance(expr, ir.Compare):
        return expr.left.name if isinstance(expr.left, ir.Ref) else None
    operand = getattr(expr, "operand", None)
    return operand.name if isinstance(operand, ir.Ref) else None


def supported(expr: ir.Expr, schema: dict[str, ir.FieldDecl], levels: tuple[str, ...]) -> bool:
    """True when the abstraction decides this atomic condition exactly."""
    name = operand_name(expr)
    if name is None:
        return False
    if name == "level" and name not in schema:
        if isinstance(expr, ir.Compare):
            return isinstance(expr.right, ir.Const) and expr.right.value in levels
        return isinstance(expr, ir.InSet)
    decl = schema.get(name)
    if decl is None:
        return False
    kind = decl.type.kind
    if isinstance(expr, ir.Ref):
        return kind == "bool"
    if isinstance(expr, ir.Missing):
        return True
    if isinstance(expr, ir.Has):
        return kind == "set"
    if isinstance(expr, ir.Mentions):
        return kind == "text" and all(isinstance(k, str) for k in expr.keywords)
    if isinstance(expr, ir.InSet):
        return kind in ("enum", "text")
    if isinstance(expr, ir.Compare):
        if not isinstance(expr.right, ir.Const):
            return False
        value = expr.right.value
        if kind == "enum" and decl.type.members:  # enums are ordered by their declaration
            return isinstance(value, str) and not isinstance(value, frozenset)
        if kind in ("bool", "enum", "text"):
            return expr.op in ("==", "!=") and not isinstance(value, frozenset)
        if kind == "set":
            return expr.op in ("==", "!=") and isinstance(value, frozenset)
        return _comparable(kind, value, decl)
    return False


def _comparable(kind: str, value: object, decl: ir.FieldDecl) -> bool:
    if isinstance(value, bool):
        return False
    if kind in ("int", "decimal"):
        return isinstance(value, (int, Decimal))
    if kind == "money":
        if isinstance(value, ir.Money):
            return decl.type.currency in (None, value.currency)
        return isinstance(value, (int, Decimal))
    if kind == "date":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if kind == "datetime":
        return isinstance(value, dt.datetime) and value.tzinfo is not None
    if kind == "duration":
        return ir.fixed_length(value) is not None
    return False


def describe_expr(expr: ir.Expr) -> str:
    """A short stable text for a condition (for opaque dimensions and messages)."""
    from ..language.printer import expr as print_expr

    try:
        return print_expr(expr)
    except (AttributeError, KeyError, TypeError, ValueError):  # a node the printer does not know
        return repr(expr)


def collect_uses(policy: ir.Policy, extra: Iterable[ir.Expr], schema: dict[str, ir.FieldDecl]) -> dict[str, AtomUse]:
    """Per field, the constants, members and keywords its conditions use; unsupported atoms under ``""``."""
    levels = tuple(level.id for level in policy.levels)
    uses: dict[str, AtomUse] = {}
    for cond in [*policy_conditions(policy), *extra]:
        for atom in walk_atoms(cond):
            if not supported(atom, schema, levels):
                uses.setdefault("", AtomUse()).opaque.add(describe_expr(atom))
                continue
            name = operand_name(atom)
            use = uses.setdefault(name, AtomUse())
            if isinstance(atom, ir.Compare):
                value = atom.right.value
                if isinstance(value, frozenset):
                    use.set_equality = True
                    use.members.update(value)
                else:
                    use.constants.add(value)
            elif isinstance(atom, ir.InSet):
                use.constants.update(atom.members)
            elif isinstance(atom, ir.Has):
                use.members.update(atom.members)
            elif isinstance(atom, ir.Mentions):
                use.keywords.update(k.casefold() for k in atom.keywords)
    return uses


def atom_holds(expr: ir.Expr, atom: object, order: tuple[str, ...] | None) -> bool:
    """The truth of an atomic condition on one atom's witness value, as the evaluator decides it.

    A condition other than ``is missing`` is false on a missing value (so ``not (x > 5)`` holds);
    ``order`` ranks levels and enum members for ``<``, ``>=``, ...
    """
    if isinstance(expr, ir.Missing):
        return (atom is MISSING) != expr.negated
    if atom is MISSING:
        return False
    if isinstance(expr, ir.Ref):
        return atom is True
    if isinstance(expr, ir.InSet):
        return (atom in expr.members) != expr.negated
    if isinstance(expr, ir.Compare):
        right = expr.right.value
        if order is not None and expr.op not in ("==", "!="):
            if atom not in order or right not in order:
                return False
            left, right = order.index(atom), order.index(right)
        else:
            left, right = getattr(atom, "amount", atom), _number(right)
        return _OPS[expr.op](left, right)
    raise TypeError(f"not a single-dimension condition: {expr!r}")


def _number(value: object) -> object:
    if isinstance(value, ir.Money):
        return value.amount
    if isinstance(value, ir.Duration):
        return ir.fixed_length(value)
    return value


_OPS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
