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


def find_point(positive: Region, negatives: Sequence[Box]) -> Box | None:
    """A non-empty box inside ``positive`` and outside every negative box, or None when there is none.

    Depth-first: split a box by the first negative that cuts it, keep only the negatives that still
    touch each piece. A piece that no negative touches is the answer. Exhaustive when it answers None.
    """
    for pos in positive:
        found = _search(pos, [n for n in negatives if intersects(pos, n)])
        if found is not None:
            return found
    return None


def _search(start: Box, negatives: list[Box]) -> Box | None:
    stack: list[tuple[Box, list[Box]]] = [(start, negatives)]
    while stack:
        box, negs = stack.pop()
        if not negs:
            return box
        if any(covers(n, box) for n in negs):
            continue
        # Split on the negative that constrains the fewest dimensions: fewest pieces per step.
        pivot = min(negs, key=lambda n: sum(1 for x, y in zip(box, n) if x & ~y))
        rest = [n for n in negs if n is not pivot]
        pieces = subtract_box(box, pivot)
        for piece in reversed(pieces):
            stack.append((piece, [n for n in rest if intersects(piece, n)]))
    return None


def is_empty(positive: Region, negatives: Sequence[Box] = ()) -> bool:
    return find_point(positive, negatives) is None


def lowest_atoms(box: Box) -> tuple[int, ...]:
    """One point of a box: the lowest allowed atom index in every dimension."""
    return tuple((m & -m).bit_length() - 1 for m in box)
