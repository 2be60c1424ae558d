"""The finite abstraction of a policy's record space: one dimension per thing a condition can tell apart.

Every field a condition reads becomes one or more dimensions whose atoms are exactly the classes of
values that the policy's conditions cannot tell apart:

* bool and enum fields: their values; numbers, money, dates, datetimes and durations: the points and
  open intervals between the constants the policy compares them with;
* a set of enum: one present/absent dimension per member a condition names;
* a text field: one dimension for the constants it is compared with (plus "any other text") and one
  present/absent dimension per keyword it ``mentions``; keyword and constant combinations that no
  string can have (``"fire"`` absent but ``"fireman"`` present) are listed as infeasible boxes;
* an optional field without default: an extra "missing" atom;
* ``level``: the declared levels (tied to the record by :mod:`.prove`, which knows classify).

Atoms carry a witness value, so any point of the space turns into a concrete record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal

from .. import ir
from .conditions import MISSING, AtomUse, atom_holds, collect_uses, describe_expr, operand_name, supported
from .regions import Box, Region, and_regions, full_box, or_regions

OTHER = "<other text>"
OTHER_MEMBER = "other_member"
_BASE_DATE = dt.date(2026, 12, 1)
_BASE_TIME = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
_ORDERED = ("int", "decimal", "money", "date", "datetime", "duration")


@dataclasses.dataclass(frozen=True)
class DimAtom:
    """A condition that allows the atoms of ``mask`` in dimension ``dim``."""

    dim: int
    mask: int


@dataclasses.dataclass
class Dim:
    """One dimension: its atoms' witness values and labels."""

    name: str
    field: str
    role: str  # value | member | keyword | set_missing | level | opaque
    atoms: list
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.atoms)

    @property
    def preference(self) -> list[int]:
        """Atom indices, plain values first: counterexamples read better without negative amounts."""
        def rank(a: int) -> int:
            atom = self.atoms[a]
            number = getattr(atom, "amount", atom)
            negative = isinstance(number, (int, Decimal)) and not isinstance(number, bool) and number < 0
            return 1 if negative else 0

        return sorted(range(len(self.atoms)), key=rank)


class Space:
    """Dimensions for one policy, the infeasible boxes, and condition compilation."""

    def __init__(self, policy: ir.Policy, schema: dict[str, ir.FieldDecl], extra: Iterable[ir.Expr] = ()):
        self.policy = policy
        self.schema = schema
        self.levels = tuple(level.id for level in policy.levels)
        self.dims: list[Dim] = []
        self.by_name: dict[str, int] = {}
        self.uncovered: list[str] = []
        self._opaque: dict[str, int] = {}
        uses = collect_uses(policy, extra, schema)
        self._build(uses)
        self.sizes = tuple(d.size for d in self.dims)
        self.full: Box = full_box(self.sizes)
        self.infeasible: list[Box] = [*self._constraints(), *self._derived_constraints()]

    # ------------------------------------------------------------------ building dimensions

    def _add(self, dim: Dim) -> int:
        self.by_name[dim.name] = len(self.dims)
        self.dims.append(dim)
        return len(self.dims) - 1

    def optional(self, name: str) -> bool:
        decl = self.schema.get(name)
        return decl is not None and not decl.required and decl.default is None

    def _build(self, uses: dict[str, AtomUse]) -> None:
        for name in sorted(uses):
            use = uses[name]
            if name == "":
                continue
            if name == "level" and name not in self.schema:
                atoms, labels = list(self.levels), list(self.levels)
                c = self.policy.classify
                if c is None or c.otherwise is None:  # a record may get no level at all
                    atoms, labels = [*atoms, MISSING], [*labels, "no level"]
                self._add(Dim("level", "level", "level", atoms, labels))
                continue
            decl = self.schema.get(name)
            if decl is None:
                self.uncovered.append(f"field {name!r} is not in the record schema")
                continue
            kind = decl.type.kind
            missing = self.optional(name)
            if kind == "bool":
                atoms: list = [False, True]
                self._value_dim(name, atoms, [str(a).lower() for a in atoms], missing)
            elif kind == "enum" and decl.type.members:
                self._value_dim(name, list(decl.type.members), list(decl.type.members), missing)
            elif kind == "enum":  # an open enum: any identifier; the policy's constants and one other
                consts = sorted({c for c in use.constants if isinstance(c, str)})
                self._value_dim(name, [*consts, OTHER_MEMBER], [*consts, "any other member"], missing)
            elif kind in _ORDERED:
                constants = set(use.constants)
                if name == "follow_up_count":  # derived from the follow-ups: none, or at least one
                    constants |= {0, 1}
                atoms, labels = _intervals(kind, constants, self.uncovered, name)
                if kind == "money":
                    currency = decl.type.currency or self.policy.header.currency
                    atoms = [ir.Money(a, currency) if currency else a for a in atoms]
                self._value_dim(name, atoms, labels, missing)
            elif kind == "text":
                consts = sorted({c for c in use.constants if isinstance(c, str)})
                self._value_dim(name, [*consts, OTHER], [*(repr(c) for c in consts), "any other text"], missing)
                for kw in sorted(use.keywords):
                    self._add(Dim(f"{name}~{kw}", name, "keyword", [False, True], ["absent", "present"]))
            elif kind == "set":
                if decl.type.members:
                    members = decl.type.members if use.set_equality else [m for m in decl.type.members if m in use.members]
                else:  # an open set: the members the policy names, and for `==` any other one
                    members = [*sorted(use.members), *([OTHER_MEMBER] if use.set_equality else [])]
                for member in members:
                    self._add(Dim(f"{name}#{member}", name, "member", [False, True], ["absent", "present"]))
                if missing:
                    self._add(Dim(f"{name}#?", name, "set_missing", [False, True], ["present", "missing"]))
            else:
                self.uncovered.append(f"field {name!r} of type {kind} is not analysed")
        for key in sorted(uses.get("", AtomUse()).opaque):
            self.uncovered.append(f"condition {key} is not analysed exactly (treated as free true/false)")
            self._opaque[key] = self._add(Dim(f"?{key}", "", "opaque", [False, True], ["false", "true"]))

    def _value_dim(self, name: str, atoms: list, labels: list[str], missing: bool) -> None:
        if missing:
            atoms = [*atoms, MISSING]
            labels = [*labels, "missing"]
        self._add(Dim(name, name, "value", atoms, labels))

    def _constraints(self) -> Iterable[Box]:
        """Boxes that no record lies in: impossible keyword/constant and missing/member combinations."""
        for dim in self.dims:
            if dim.role == "value" and self.schema.get(dim.field) and self.schema[dim.field].type.kind == "text":
                keywords = [(i, self.dims[i].name.split("~", 1)[1]) for i, d in enumerate(self.dims)
                            if d.role == "keyword" and d.field == dim.field]  # fmt: skip
                text_i = self.by_name[dim.name]
                for a, atom in enumerate(dim.atoms):
                    if atom is OTHER:
                        for k, kw in keywords:
                            if not kw:  # every text mentions the empty keyword
                                yield self.box({text_i: 1 << a, k: 0b01})
                        continue
                    for k, kw in keywords:
                        holds = atom is not MISSING and kw in fold(atom)
                        yield self.box({text_i: 1 << a, k: 1 << (0 if holds else 1)})
                for k1, kw1 in keywords:
                    for k2, kw2 in keywords:
                        if k1 != k2 and kw1 in kw2:  # kw2 present forces kw1 present
                            yield self.box({k2: 0b10, k1: 0b01})
            if dim.name == "follow_up_count":
                yield from self._follow_up_constraints(self.by_name[dim.name], dim)
            if dim.role == "set_missing":
                i = self.by_name[dim.name]
                for j, other in enumerate(self.dims):
                    if other.role == "member" and other.field == dim.field:
                        yield self.box({i: 0b10, j: 0b10})

    def _follow_up_constraints(self, i: int, dim: Dim) -> Iterable[Box]:
        """``follow_up_count``, ``satisfied`` and ``last_follow_up_at`` all come from one list of follow-ups."""
        sat = self.by_name.get("satisfied")
        last = self.by_name.get("last_follow_up_at")
        for a, atom in enumerate(dim.atoms):
            if atom is MISSING:
                continue
            if atom < 0:
                yield self.box({i: 1 << a})
            elif atom == 0:
                for j in (sat, last):
                    if j is not None:
                        yield self.box({i: 1 << a, j: _present_mask(self.dims[j])})
            elif last is not None:
                yield self.box({i: 1 << a, last: _missing_mask(self.dims[last])})

    def _derived_constraints(self) -> Iterable[Box]:
        """Without a ``follow_up_count`` dimension: a rating needs a follow-up, so a last follow-up time."""
        sat = self.by_name.get("satisfied")
        last = self.by_name.get("last_follow_up_at")
        if "follow_up_count" in self.by_name or sat is None or last is None:
            return
        yield self.box({sat: _present_mask(self.dims[sat]), last: _missing_mask(self.dims[last])})

    # ------------------------------------------------------------------ boxes and conditions

    def box(self, masks: dict[int, int]) -> Box:
        return tuple(masks.get(i, full) for i, full in enumerate(self.full))

    def compile(self, expr: ir.Expr | None, positive: bool = True) -> Region:
        """The region where ``expr`` holds (or fails, with ``positive=False``) as a DNF of boxes."""
        if expr is None:
            return [self.full] if positive else []
        return _dnf(self, _lower(self, expr), positive)

    def dim_atom(self, expr: ir.Expr) -> DimAtom | None:
        """A single-dimension atom for an atomic condition that one value dimension decides."""
        name = operand_name(expr)
        if name is None or name not in self.by_name:
            return None
        i = self.by_name[name]
        dim = self.dims[i]
        if dim.role not in ("value", "level"):
            return None
        order = self.levels if dim.role == "level" else None
        decl = self.schema.get(name)
        if decl is not None and decl.type.kind == "enum" and decl.type.members:
            order = decl.type.members
        mask = 0
        for a, atom in enumerate(dim.atoms):
            if atom_holds(expr, atom, order):
                mask |= 1 << a
        return DimAtom(i, mask)

    def opaque_atom(self, expr: ir.Expr) -> DimAtom:
        key = describe_expr(expr)
        return DimAtom(self._opaque[key], 0b10)

    # ------------------------------------------------------------------ points to records

    def point(self, box: Box) -> dict[str, object]:
        """The atom index chosen in each dimension for a box (lowest allowed atom)."""
        return {d.name: next(a for a in d.preference if m >> a & 1) for d, m in zip(self.dims, box)}

    def describe(self, box: Box) -> dict[str, str]:
        """Human description of the constraints of a box that are not the whole dimension."""
        out = {}
        for dim, mask, full in zip(self.dims, box, self.full):
            if mask != full and dim.role != "opaque":
                out[dim.name] = " | ".join(lab for a, lab in enumerate(dim.labels) if mask >> a & 1)
        return out

    def level_of(self, box: Box) -> str | None:
        i = self.by_name.get("level")
        if i is None:
            return None
        mask = box[i]
        return self.levels[(mask & -mask).bit_length() - 1]


def _present_mask(dim: Dim) -> int:
    return sum(1 << a for a, atom in enumerate(dim.atoms) if atom is not MISSING)


def _missing_mask(dim: Dim) -> int:
    return sum(1 << a for a, atom in enumerate(dim.atoms) if atom is MISSING)


def fold(text: str) -> str:
    """Case folding used by ``mentions`` (case-insensitive substring match)."""
    return text.casefold()


def _intervals(kind: str, constants: Iterable[object], uncovered: list[str], name: str) -> tuple[list, list[str]]:
    """Witness values of the points and open intervals cut by the constants a field is compared with."""
    points = sorted({_key(kind, c, uncovered, name) for c in constants} - {None})
    if not points:
        return [_default(kind)], ["any value"]
    atoms: list = []
    labels: list[str] = []

    def add(value, label):
        if value is not None:
            atoms.append(value)
            labels.append(label)

    add(_below(kind, points[0]), f"< {_show(points[0])}")
    for i, p in enumerate(points):
        if kind != "int" or p == int(p):
            add(int(p) if kind == "int" else p, f"= {_show(p)}")
        if i + 1 < len(points):
            add(_between(kind, p, points[i + 1]), f"between {_show(p)} and {_show(points[i + 1])}")
    add(_above(kind, points[-1]), f"> {_show(points[-1])}")
    return atoms, labels


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _key(kind: str, value: object, uncovered: list[str], name: str):
    """The constant as a value on the field's number line, or None (and a note) when it is not one."""
    if kind in ("int", "decimal") and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if kind == "money" and isinstance(value, ir.Money):
        return value.amount
    if kind == "money" and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    if kind == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if kind == "datetime" and isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    if kind == "duration" and (length := ir.fixed_length(value)) is not None:
        return length
    uncovered.append(f"comparison of {kind} field {name!r} with {value!r} is not analysed")
    return None


def _default(kind: str):
    return {
        "int": 0,
        "decimal": Decimal(0),
        "money": Decimal(0),
        "date": _BASE_DATE,
        "datetime": _BASE_TIME,
        "duration": dt.timedelta(hours=1),
    }[kind]


def _below(kind: str, p):
    if kind == "int":
        return math.ceil(p) - 1
    if kind in ("decimal", "money"):
        return p - 1
    if kind == "date":
        return p - dt.timedelta(days=1)
    if kind == "datetime":
        return p - dt.timedelta(hours=1)
    return p - dt.timedelta(minutes=1)


def _above(kind: str, p):
    if kind == "int":
        return math.floor(p) + 1
    if kind in ("decimal", "money"):
        return p + 1
    if kind == "date":
        return p + dt.timedelta(days=1)
    if kind == "datetime":
        return p + dt.timedelta(hours=1)
    return p + dt.timedelta(minutes=1)


def _between(kind: str, p, q):
    if kind == "int":
        v = math.floor(p) + 1
        return v if v < q else None
    if kind in ("decimal", "money"):
        return (p + q) / 2
    if kind == "date":
        v = p + dt.timedelta(days=1)
        return v if v < q else None
    v = p + (q - p) / 2
    return v if p < v < q else None


# ---------------------------------------------------------------------------- DNF compilation


def _lower(space: Space, expr: ir.Expr):
    """IR condition -> nested ('and'|'or'|'not', ...) of DimAtoms and bools."""
    if isinstance(expr, ir.Const) and isinstance(expr.value, bool):
        return expr.value
    if isinstance(expr, ir.Not):
        return ("not", _lower(space, expr.item))
    if isinstance(expr, (ir.And, ir.Or)):
        return ("and" if isinstance(expr, ir.And) else "or", [_lower(space, e) for e in expr.items])
    if not supported(expr, space.schema, space.levels):
        return space.opaque_atom(expr)
    name = operand_name(expr)
    decl = space.schema.get(name)
    if decl is not None and decl.type.kind == "set":
        if isinstance(expr, ir.Missing):
            i = space.by_name.get(f"{name}#?")
            if i is None:  # never missing
                return expr.negated
            return DimAtom(i, 0b01 if expr.negated else 0b10)
        if isinstance(expr, ir.Has):
            items = [_member(space, name, m) for m in sorted(expr.members)]
            return ("or" if expr.quantifier == "any" else "and", items)
        if isinstance(expr, ir.Compare):
            wanted = expr.right.value
            members = [d.name.split("#", 1)[1] for d in space.dims if d.role == "member" and d.field == name]
            if any(m not in members for m in wanted):
                eq = False
            else:
                eq = ("and", [_member(space, name, m, m in wanted) for m in members])
            missing = space.by_name.get(f"{name}#?")
            present = True if missing is None else DimAtom(missing, 0b01)
            # A missing set is neither equal nor unequal to anything: both tests are false.
            return ("and", [present, eq if expr.op == "==" else ("not", eq)])
    if isinstance(expr, ir.Mentions):
        items = [DimAtom(space.by_name[f"{name}~{k.casefold()}"], 0b10) for k in sorted(expr.keywords)]
        return ("or" if expr.quantifier == "any" else "and", items)
    atom = space.dim_atom(expr)
    if atom is None:  # e.g. `is missing` on a field that never is
        if isinstance(expr, ir.Missing) and name in space.schema:
            return expr.negated
        return space.opaque_atom(expr)
    return atom


def _member(space: Space, name: str, member: str, present: bool = True):
    """``member in name`` as an atom (False for a member the set cannot hold)."""
    i = space.by_name.get(f"{name}#{member}")
    if i is None:
        return not present
    return DimAtom(i, 0b10 if present else 0b01)


def _dnf(space: Space, node, positive: bool) -> Region:
    if isinstance(node, bool):
        return [space.full] if node == positive else []
    if isinstance(node, DimAtom):
        full = space.full[node.dim]
        mask = node.mask if positive else full & ~node.mask
        if not mask:
            return []
        box = list(space.full)
        box[node.dim] = mask
        return [tuple(box)]
    op, arg = node
    if op == "not":
        return _dnf(space, arg, not positive)
    conjunctive = (op == "and") == positive
    parts = [_dnf(space, item, positive) for item in arg]
    if not conjunctive:
        return or_regions(parts)
    region: Region = [space.full]
    for part in sorted(parts, key=len):
        region = and_regions(region, part)
        if not region:
            break
    return region
