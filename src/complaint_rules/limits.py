"""Bounds on what a policy may hold; the loader refuses anything beyond them with a located error.

No real policy comes near these (the largest bundled policy is 30 KB with a few dozen rules per block),
and everything within them loads, checks and compiles: the bounds keep rejection linear in the size of
the input and keep CPython's recursion and parser limits out of reach. See docs/language.md, "Limits".
"""

from __future__ import annotations

#: Bytes in one policy file or text (256 KiB: about eight times the largest bundled one).
MAX_POLICY_BYTES = 256 * 1024
#: Levels of ``not``/``and``/``or``/parentheses in one condition, and of nested YAML collections.
MAX_NESTING = 64
#: Rules in one block, fields in ``record``, members of an enum or set, items of a YAML list or mapping.
MAX_ENTRIES = 1_000
#: Rules in ``deadlines`` (clocks may chain, and a long chain compiles in superlinear time).
MAX_DEADLINES = 200
#: Characters in one string (a title, a label, a note).
MAX_STRING = 10_000
#: Characters in one number literal (digits, sign and point).
MAX_NUMBER = 30
#: The largest amount of each duration unit: a thousand years.
MAX_DURATION = {
    "minutes": 1000 * 366 * 24 * 60,
    "hours": 1000 * 366 * 24,
    "business_hours": 1000 * 366 * 24,
    "days": 1000 * 366,
    "working_days": 1000 * 366,
    "end_of_day": 1000 * 366,
    "weeks": 1000 * 53,
    "months": 1000 * 12,
    "years": 1000,
}
#: Diagnostics kept for one file; beyond them only their number is reported.
MAX_DIAGNOSTICS = 100


def duration_problem(amount: int, unit: str) -> str | None:
    """Why ``amount unit`` is out of range, or None."""
    bound = MAX_DURATION.get(unit, MAX_DURATION["days"])
    if amount > bound:
        return f"a duration of {amount} {unit.replace('_', ' ')} is out of range (at most {bound}: a thousand years)"
    return None
