"""Region algebra over a finite product space: boxes, their unions (DNF), and point search.

A *dimension* has a finite number of atoms (an interval of a number line, an enum member, a keyword
present or absent, ...). A *box* is a tuple of bit masks, one per dimension: the set of atoms allowed
in that dimension; the box is their product. A *region* is a union of boxes (a DNF). Every question
the prover asks ("can this rule match a record that no earlier rule matches?") is one call to
:func:`find_point`: a box of a positive region that escapes a list of negative boxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

Box = tuple[int, ...]
Region = list[Box]

# Beyond this many boxes a DNF product is refused rather than allowed to eat the machine.
MAX_BOXES = 200_000


class RegionTooLarge(Exception):
    """A condition whose DNF would exceed :data:`MAX_BOXES` boxes."""


def full_box(sizes: Sequence[int]) -> Box:
    """The box of the whole space: every atom allowed in every dimension."""
    return tuple((1 << n) - 1 for n in sizes)


def meet(a: Box, b: Box) -> Box | None:
    """The intersection of two boxes, or None when it is empty."""
    out = []
    for x, y in zip(a, b):
        z = x & y
        if not z:
            return None
        out.append(z)
    return tuple(out)


def intersects(a: Box, b: Box) -> bool:
    for x, y in zip(a, b):
        if not x & y:
            return False
    return True


def covers(outer: Box, inner: Box) -> bool:
    """True when ``inner`` lies inside ``outer``."""
    for x, y in zip(outer, inner):
        if y & ~x:
            return False
    return True


def subtract_box(a: Box, b: Box) -> list[Box]:
    """``a - b`` as disjoint boxes (at most one per dimension where ``b`` cuts ``a``)."""
    if not intersects(a, b):
        return [a]
    pieces: list[Box] = []
    prefix = list(a)
    for i, (x, y) in enumerate(zip(a, b)):
        outside = x & ~y
        if outside:
            piece = list(prefix)
            piece[i] = outside
            pieces.append(tuple(piece))
            prefix[i] = x & y
    return pieces


def and_regions(a: Region, b: Region) -> Region:
    """The intersection of two DNF regions (pairwise products of boxes)."""
    out: Region = []
    for x in a:
        for y in b:
            z = meet(x, y)
            if z is not None:
                out.append(z)
        if len(out) > MAX_BOXES:
            raise RegionTooLarge(f"a condition expands to more than {MAX_BOXES} boxes")
    return prune(out)


def or_regions(regions: Iterable[Region]) -> Region:
    out: Region = []
    for r in regions:
        out.extend(r)
    return prune(out)


def prune(region: Region) -> Region:
    """Drop duplicate boxes and boxes inside another one (cheap absorption, not minimisation)."""
    unique = list(dict.fromkeys(region))
    if len(unique) < 2 or len(unique) > 2000:
        return unique
    # Larger boxes first so that absorption finds its absorber early.
    unique.sort(key=lambda box: -sum(m.bit_count() for m in box))
    kept: Region = []
    for box in unique:
        if not any(covers(k, box) for k in kept):
            kept.append(box)
    return kept


def subtract(a: Region, b: Region) -> Region:
    """``a - b`` as a DNF of disjoint pieces (may grow; prefer :func:`find_point` for questions)."""
    current = list(a)
    for neg in b:
        nxt: Region = []
        for box in current:
            nxt.extend(subtract_box(box, neg))
        current = nxt
        if len(current) > MAX_BOXES:
            raise RegionTooLarge(f"a region difference exceeds {MAX_BOXES} boxes")
    return current


def find_point(
    positive: Region,
    negatives: Sequence[Box],
    full: Box | None = None,
    before: Sequence[int] = (),
    after: Sequence[int] = (),
) -> Box | None:
    """A non-empty box inside ``positive`` and outside every negative box, or None when there is none.

    Depth-first: split a box by the first negative that cuts it, keep only the negatives that still
    touch each piece. A piece that no negative touches is the answer. Exhaustive when it answers None.
    ``full`` (the box of the whole space) gives each dimension's width; without it the widths are read
    from the boxes. The answer does not depend on it. ``before`` and ``after`` are more negatives (before and
    after ``negatives``: the order decides which box is found), already packed by :func:`packing` for
    ``full``: a caller that asks many questions against the same boxes packs them once.
    """
    if not positive:
        return None
    packing_ = packing(full if full is not None else _widest(positive, negatives))
    pack, known = packing_.pack, packing_.known
    negs = [*before, *[known.get(n) or pack(n) for n in negatives], *after]
    low, guards = packing_.low, packing_.guards
    for pos in positive:
        p = pack(pos)
        found = packing_.search(p, [n for n in negs if ((p & n) + low) & guards == guards])
        if found is not None:
            return packing_.unpack(found)
    return None


def _widest(positive: Region, negatives: Sequence[Box]) -> Box:
    widths = [0] * len(positive[0])
    for box in (*positive, *negatives):
        for i, m in enumerate(box):
            if m.bit_length() > widths[i]:
                widths[i] = m.bit_length()
    return tuple((1 << w) - 1 for w in widths)


class Packing:
    """Boxes of one space packed into one integer each, so that each question is a few integer operations.

    Dimension ``i`` takes ``w_i`` bits for its mask and one guard bit above them, always 0 in a packed box.
    ``a & b`` leaves every dimension non-empty exactly when adding ``low`` (all ones in every mask's bits)
    carries into every guard bit; no carry crosses a guard bit, since ``2 * (2**w - 1) < 2**(w + 1)``.
    """

    __slots__ = ("fields", "guards", "known", "low", "offsets", "widths")

    def __init__(self, full: Box):
        self.widths = tuple(m.bit_length() for m in full)
        offsets, at = [], 0
        for w in self.widths:
            offsets.append(at)
            at += w + 1
        self.offsets = tuple(offsets)
        self.fields = tuple(((1 << w) - 1) << o for w, o in zip(self.widths, self.offsets))
        self.low = sum(self.fields)
        self.guards = sum(1 << (o + w) for w, o in zip(self.widths, self.offsets))
        self.known: dict[Box, int] = {}  # packed boxes, by box

    def pack(self, box: Box) -> int:
        packed = self.known.get(box)
        if packed is None:
            if len(self.known) > 500_000:
                self.known.clear()
            packed = 0
            for m, o in zip(box, self.offsets):
                packed |= m << o
            self.known[box] = packed
        return packed

    def pack_all(self, boxes: Iterable[Box]) -> list[int]:
        return [self.pack(box) for box in boxes]

    def unpack(self, packed: int) -> Box:
        return tuple((packed >> o) & ((1 << w) - 1) for w, o in zip(self.widths, self.offsets))

    def subtract(self, a: int, b: int) -> list[int]:
        """:func:`subtract_box` on packed boxes, pieces in the same order."""
        pieces: list[int] = []
        prefix = a
        outside_all = a & ~b
        inside_all = a & b
        for field in self.fields:
            outside = outside_all & field
            if outside:
                pieces.append((prefix & ~field) | outside)
                prefix = (prefix & ~field) | (inside_all & field)
        return pieces

    def search(self, start: int, negatives: list[int]) -> int | None:
        """Depth-first from ``start``: split on the negative that cuts the fewest dimensions, keep the negatives
        that still touch each piece; a piece no negative touches is the answer. The same splits in the same
        order as the search over tuples it replaced (tests/test_regions.py), so the same answer."""
        low, guards = self.low, self.guards
        stack: list[tuple[int, list[int]]] = [(start, negatives)]
        while stack:
            box, negs = stack.pop()
            if not negs:
                return box
            if any(not (box & ~n) for n in negs):  # a negative covers the box
                continue
            # Split on the negative that constrains the fewest dimensions: fewest pieces per step.
            pivot = min(negs, key=lambda n: (((box & ~n) + low) & guards).bit_count())
            rest = [n for n in negs if n is not pivot]
            pieces = self.subtract(box, pivot)
            for piece in reversed(pieces):
                stack.append((piece, [n for n in rest if ((piece & n) + low) & guards == guards]))
        return None


_PACKINGS: dict[Box, Packing] = {}


def packing(full: Box) -> Packing:
    """The packing of boxes of the space whose whole box is ``full`` (one per set of dimension widths)."""
    key = tuple(m.bit_length() for m in full)
    found = _PACKINGS.get(key)
    if found is None:
        if len(_PACKINGS) > 64:
            _PACKINGS.clear()
        found = _PACKINGS[key] = Packing(full)
    return found


def is_empty(positive: Region, negatives: Sequence[Box] = ()) -> bool:
    return find_point(positive, negatives) is None


def lowest_atoms(box: Box) -> tuple[int, ...]:
    """One point of a box: the lowest allowed atom index in every dimension."""
    return tuple((m & -m).bit_length() - 1 for m in box)
