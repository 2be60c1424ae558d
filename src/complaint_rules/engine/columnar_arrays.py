"""Arrow columns of decisions from codes: what the columnar engine builds its output with.

The engine works out, per row, small integer codes (which level, which routes, which rule of each clock)
and instants; these builders turn codes into string and list columns through dictionaries (a string
is made once and gathered, never formatted per row), and build the decision's lists of structs from
*slots*: one possible entry per rule, kept in a row where its mask holds, in slot order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["constant", "lists", "slots", "strings", "times"]

_TIME = pa.timestamp("us", tz="UTC")
_CATEGORY = pa.dictionary(pa.int32(), pa.string())
_LIST = pa.list_(_CATEGORY)


def strings(names: Sequence[str | None], codes: np.ndarray) -> pa.Array:
    """``names[code]`` per row (None: null), as a dictionary-encoded string column."""
    names = list(names)
    index = np.array([-1 if x is None else k for k, x in enumerate(names)], dtype=np.int32)
    dictionary = pa.array([x if x is not None else "" for x in names], pa.string())
    got = index[codes] if len(codes) else np.zeros(0, dtype=np.int32)
    mask = got < 0
    indices = pa.array(np.where(mask, 0, got).astype(np.int32), mask=mask if mask.any() else None)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def constant(value: Any, n: int, typ: pa.DataType) -> pa.Array:
    if value is None:
        return pa.nulls(n, typ)
    if pa.types.is_dictionary(typ):
        return strings([value], np.zeros(n, dtype=np.int64))
    return pa.repeat(pa.scalar(value, typ), n)


def times(us: np.ndarray, ok: np.ndarray) -> pa.Array:
    return pa.array(us, pa.int64(), mask=~ok).cast(_TIME)


def lists(luts: Sequence[Sequence[str]], codes: np.ndarray) -> pa.Array:
    """``luts[code]`` per row, as a list<dictionary string> column."""
    lengths = np.array([len(x) for x in luts], dtype=np.int64)
    starts = np.zeros(len(luts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    flat = [item for x in luts for item in x]
    row_len = lengths[codes] if len(codes) else np.zeros(0, dtype=np.int64)
    offsets = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(row_len, out=offsets[1:])
    total = int(offsets[-1])
    if total:
        pos = np.arange(total, dtype=np.int64) - np.repeat(offsets[:-1], row_len) + np.repeat(starts[codes], row_len)
    else:
        pos = np.zeros(0, dtype=np.int64)
    values = strings(flat, pos) if flat else pa.array([], _CATEGORY)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, type=_LIST)


def slots(n: int, present: list[np.ndarray], fields: dict[str, tuple], typ: pa.ListType) -> pa.Array:
    """A list<struct> column: slot ``s`` gives a row an entry where ``present[s]`` holds, in slot order.

    Each field of the struct is one of ``("const", [value per slot])``, ``("time", [us per slot],
    [ok per slot])``, ``("text", names, [codes per slot])`` or ``("lists", luts, [codes per slot])``.
    """
    if not present:
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)),
                                        pa.array([], typ.value_type), type=typ)  # fmt: skip
    count = len(present)
    matrix = np.stack(present, axis=1)  # rows x slots
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(matrix.sum(axis=1), out=offsets[1:])
    pick = np.flatnonzero(matrix.reshape(-1))  # (row, slot) pairs in row-major order
    row_of, slot_of = np.divmod(pick, count)
    children = []
    for f in typ.value_type:
        spec = fields[f.name]
        kind = spec[0]
        if kind == "const":
            names = list(dict.fromkeys(spec[1]))
            index = np.array([names.index(v) for v in spec[1]], dtype=np.int64)
            children.append(strings(names, index[slot_of]) if pa.types.is_dictionary(f.type)
                            else pa.array([spec[1][s] for s in slot_of.tolist()], f.type))  # fmt: skip
        elif kind == "time":
            us = np.stack(spec[1])[slot_of, row_of] if len(pick) else np.zeros(0, dtype=np.int64)
            ok = np.stack(spec[2])[slot_of, row_of] if len(pick) else np.zeros(0, dtype=bool)
            children.append(times(us, ok))
        elif kind == "text":
            codes = np.stack(spec[2])[slot_of, row_of] if len(pick) else np.zeros(0, dtype=np.int64)
            children.append(strings(spec[1], codes))
        else:  # lists
            codes = np.stack(spec[2])[slot_of, row_of] if len(pick) else np.zeros(0, dtype=np.int64)
            children.append(lists(spec[1], codes))
    values = pa.StructArray.from_arrays(children, fields=list(typ.value_type))
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, type=typ)
