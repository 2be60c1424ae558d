"""find_point on packed boxes answers exactly as the plain search over tuples of masks it replaced."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from complaint_rules.analysis.regions import covers, find_point, intersects, packing, subtract_box

SIZES = (3, 1, 4, 2, 5)


def reference(positive, negatives):
    """The search as it was written over tuples: split on the negative that cuts the fewest dimensions."""
    for pos in positive:
        stack = [(pos, [n for n in negatives if intersects(pos, n)])]
        while stack:
            box, negs = stack.pop()
            if not negs:
                return box
            if any(covers(n, box) for n in negs):
                continue
            pivot = min(negs, key=lambda n: sum(1 for x, y in zip(box, n) if x & ~y))
            rest = [n for n in negs if n is not pivot]
            for piece in reversed(subtract_box(box, pivot)):
                stack.append((piece, [n for n in rest if intersects(piece, n)]))
    return None


def points(box):
    return set(itertools.product(*[[i for i in range(n) if m >> i & 1] for m, n in zip(box, SIZES)]))


masks = st.tuples(*[st.integers(1, (1 << n) - 1) for n in SIZES])
FULL = tuple((1 << n) - 1 for n in SIZES)


@settings(max_examples=300)
@given(st.lists(masks, min_size=0, max_size=3), st.lists(masks, max_size=12), st.integers(0, 12), st.booleans())
def test_packed_search_is_the_reference_search(positive, negatives, split, give_full):
    expected = reference(positive, negatives)
    full = FULL if give_full else None
    assert find_point(positive, negatives, full) == expected
    # The same negatives, some of them packed beforehand, in the same order: the same answer.
    pack = packing(FULL).pack_all
    head, tail = negatives[: split // 2], negatives[split // 2:]
    middle, tail = tail[: split - split // 2], tail[split - split // 2:]
    assert find_point(positive, middle, FULL, before=pack(head), after=pack(tail)) == expected
    if expected is None:
        assert not set().union(*map(points, positive)) - set().union(*map(points, negatives))
    else:
        assert points(expected) and points(expected) <= set().union(*map(points, positive))
        assert not any(points(expected) & points(n) for n in negatives)


def test_packing_round_trips_and_answers_box_questions():
    p = packing(FULL)
    for a, b in itertools.product([(1, 1, 1, 1, 1), (7, 1, 15, 3, 31), (4, 1, 8, 2, 16), (3, 1, 6, 1, 17)], repeat=2):
        pa, pb = p.pack(a), p.pack(b)
        assert p.unpack(pa) == a
        assert (((pa & pb) + p.low) & p.guards == p.guards) == intersects(a, b)
        assert (not (pb & ~pa)) == covers(a, b)
        if intersects(a, b):  # the search only splits a box by a negative that touches it
            assert [p.unpack(x) for x in p.subtract(pa, pb)] == subtract_box(a, b)


def test_widest_mask_decides_the_widths_without_a_full_box():
    # A dimension of width 5 whose widest mask in this question is 3 bits: still answered as with the full box.
    positive, negatives = [(7, 1, 15, 3, 4)], [(7, 1, 15, 3, 1), (7, 1, 15, 3, 2)]
    assert find_point(positive, negatives) == find_point(positive, negatives, FULL) == (7, 1, 15, 3, 4)
    assert find_point(positive, [*negatives, (7, 1, 15, 3, 4)]) is None
    assert find_point([], negatives) is None
