"""The columnar back end: a policy decided over whole Arrow record batches instead of record by record.

Compiled from the checked IR beside :mod:`.compiler`, and deciding exactly as it does:

1. **Coercion per distinct value.** Each column is dictionary-encoded; each distinct value is coerced once by
   the record coercer itself (aware timestamps are taken as they are). A row with a value the coercer
   refuses, a missing required field or a ``follow_ups`` list is handed to the row engine.
2. **Conditions per distinct value.** Every atomic condition (a comparison, ``in``, ``has``, ``mentions``,
   ``is missing``) is compiled by :func:`.compiler.compile_condition` and run once per distinct value of
   the fields it reads (per distinct pair for field-to-field comparisons); ``and``/``or``/``not`` are
   array operations. The level is a column like any other.
3. **Classes.** Rows whose rules hold alike decide alike, except for times and the record id: each class
   of rows is decided once, by the compiled engine on one of its rows, for its level, label, routes,
   owner, winning deadline rules, escalation targets, remedy tier and options, follow-up rule, obligations
   and trace. The remedy's amount checks are worked out per distinct (tier, amount).
4. **Times per row**, as columns (:mod:`.columnar_times`): every clock, escalation, follow-up window and
   obligation; escalation statuses at ``now``; follow-up sampling with the same sha256 points.
5. **Fallback.** A row with a time the calendar cannot place (an incomplete decision), or a value the
   coercer refuses (an error row), is decided by the compiled row engine: its decision or its error is
   exactly the row path's. A policy using a construct outside :data:`COVERED` is decided wholly by the
   row engine (:func:`coverage` says why).

One module: coercion, conditions, classes and the assembly of the decision columns share the batch's
column codes and the per-class decisions; split, each would pass the whole batch state to the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import ir
from ..errors import ComplaintRulesError, EvaluationError
from ..fields import DERIVED_FIELDS, FOLLOW_UPS
from .arrow_decision import DECISION_SCHEMA, decision_record
from .columnar_times import ColumnShifter, from_micros, to_micros
from .compiler import LEVEL, CompiledPolicy, compile_condition
from .decision import Decision
from .interpreter import sample_point, severity_order
from .record import make_coercer

__all__ = ["COVERED", "BatchResult", "ColumnarPolicy", "coverage"]

# The policy's parts the columnar engine decides; a policy with anything else is decided row by row.
COVERED = frozenset({
    "header", "extends", "drops", "record", "units", "levels", "classify", "route", "deadlines", "escalate",
    "compensate", "follow_up", "obligations", "tests", "span", "comments", "invariants", "comment_slots",
})  # fmt: skip
# The decision's fields the columnar engine fills in (``DECISION_SCHEMA``).
DECIDED = frozenset(DECISION_SCHEMA.names)


def coverage(policy: ir.Policy) -> tuple[str, ...]:
    """Why the columnar engine cannot decide ``policy`` (empty when it can)."""
    reasons = []
    for f in dataclasses.fields(policy):
        if f.name not in COVERED and getattr(policy, f.name) not in (None, (), f.default):
            reasons.append(f"the policy's {f.name!r} block")
    extra = sorted(set(Decision.model_fields) - DECIDED)
    if extra:
        reasons.append(f"decision fields {', '.join(extra)}")
    return tuple(reasons)


class BatchResult(NamedTuple):
    """The decisions of a batch (in row order, :data:`DECISION_SCHEMA`), the row index of each, and each
    row that is not decided with its error (a :class:`ComplaintRulesError` or any other exception)."""

    decisions: pa.Table
    rows: np.ndarray
    errors: list[tuple[int, BaseException]]
    fallback: int  # rows the row engine decided


_DERIVED = frozenset(d.name for d in DERIVED_FIELDS)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclasses.dataclass
class _Col:
    """One field over a batch: its distinct coerced values and each row's code; for times, the instants."""

    values: list
    codes: np.ndarray
    micros: np.ndarray | None = None
    present: np.ndarray | None = None


def _refs(expr: ir.Expr) -> list[str]:
    out: list[str] = []

    def walk(e: Any) -> None:
        if isinstance(e, ir.Ref):
            out.append(e.name)
        elif isinstance(e, (ir.And, ir.Or)):
            for i in e.items:
                walk(i)
        elif isinstance(e, ir.Not):
            walk(e.item)
        elif isinstance(e, ir.Compare):
            walk(e.left)
            walk(e.right)
        elif isinstance(e, (ir.InSet, ir.Has, ir.Mentions, ir.Missing)):
            walk(e.operand)

    walk(expr)
    return list(dict.fromkeys(out))


def _clock_order(policy: ir.Policy) -> list[str]:
    clocks = list(dict.fromkeys(r.clock for r in policy.deadlines))
    done: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        for r in policy.deadlines:
            if r.clock == name and r.anchor in clocks and r.anchor != name:
                visit(r.anchor)
        if name not in done:
            done.append(name)

    for name in clocks:
        visit(name)
    return done


class ColumnarPolicy:
    """A compiled policy deciding whole Arrow batches (see the module docstring)."""

    def __init__(self, compiled: CompiledPolicy):
        self.compiled = compiled
        p = self.ir = compiled.ir
        self.reasons = coverage(p)
        self.schema = compiled.schema
        self.levels = severity_order(p)
        self.times = ColumnShifter(compiled.calendar)
        self._atoms: dict[int, tuple[Callable, list[str], ir.Expr]] = {}
        self._one: dict[str, Callable] = {}  # field -> a coercer of that field alone
        fu = p.follow_up
        self.follow_rules = (*(fu.rules if fu else ()), *((fu.otherwise,) if fu and fu.otherwise else ()))
        self.rules = [*(p.classify.rules if p.classify else ()), *(p.route.rules if p.route else ()), *p.deadlines,
                      *p.escalate, *(p.compensate.rules if p.compensate else ()),
                      *(fu.rules if fu else ()), *p.obligations]  # fmt: skip
        self.clock_order = _clock_order(p)
        self.clocks = list(dict.fromkeys(r.clock for r in p.deadlines))

    @property
    def covered(self) -> bool:
        return not self.reasons

    # ------------------------------------------------------------------ the batch

    def decide(self, batch: pa.RecordBatch | pa.Table, now: dt.datetime | None = None,
               strict: bool = False) -> BatchResult:  # fmt: skip
        """Decide every row of ``batch`` (columns named by record fields)."""
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        n = table.num_rows
        if now is not None and (not isinstance(now, dt.datetime) or now.utcoffset() is None):
            raise EvaluationError(None, f"'now' must be a timezone-aware datetime, got {now!r}")
        if not self.reasons and n:
            cols, ids, bad = self._coerce(table)
        else:
            cols, ids, bad = {}, [None] * n, np.ones(n, dtype=bool)
        good = ~bad
        parts: list[pa.Table] = []
        order: list[np.ndarray] = []
        fallback = bad.copy()
        if good.any():
            idx = np.flatnonzero(good)
            sub = {k: _take(c, idx) for k, c in cols.items()}
            decided, failed = self._decide(table, idx, sub, [ids[i] for i in idx], now)
            keep = ~failed
            parts.append(decided.filter(pa.array(keep)))
            order.append(idx[keep])
            fallback[idx[failed]] = True
        errors: list[tuple[int, BaseException]] = []
        rows_back = np.flatnonzero(fallback)
        if len(rows_back):
            records, where = [], []
            for i, raw in zip(rows_back.tolist(), table.take(rows_back).to_pylist()):
                try:
                    records.append(decision_record(self.compiled.evaluate(raw, now=now, strict=strict)))
                    where.append(i)
                except Exception as exc:  # noqa: BLE001 - every row comes out: a decision or its error
                    errors.append((i, exc))
            if records:
                parts.append(pa.Table.from_pylist(records, schema=DECISION_SCHEMA))
                order.append(np.array(where, dtype=np.int64))
        if not parts:
            return BatchResult(DECISION_SCHEMA.empty_table(), np.zeros(0, dtype=np.int64), errors, len(rows_back))
        rows = np.concatenate(order)
        out = pa.concat_tables(parts)
        sort = np.argsort(rows, kind="stable")
        return BatchResult(out.take(pa.array(sort)), rows[sort], errors, len(rows_back))

    # ------------------------------------------------------------------ coercion

    def _coerce(self, table: pa.Table) -> tuple[dict[str, _Col], list, np.ndarray]:
        n = table.num_rows
        bad = np.zeros(n, dtype=bool)
        names = set(table.column_names)
        if FOLLOW_UPS in names:  # follow-ups so far: decided row by row (they derive three fields)
            given = table.column(FOLLOW_UPS).to_pylist()
            bad |= np.array([bool(g) for g in given], dtype=bool)
        ids: list = [None] * n
        if "id" in names:
            ids = []
            for k, v in enumerate(table.column("id").to_pylist()):
                if type(v) is str and v.strip():
                    ids.append(v.strip())
                elif type(v) is int:
                    ids.append(str(v))
                else:
                    ids.append(None)
                    bad[k] = True
        else:
            bad[:] = True
        cols: dict[str, _Col] = {}
        for name, decl in self.schema.items():
            if name in _DERIVED or name == "id":
                continue
            if name not in names:
                if decl.required:
                    bad[:] = True
                cols[name] = _Col([decl.default], np.zeros(n, dtype=np.int64))
                continue
            col, wrong = self._column(name, decl, table.column(name).combine_chunks())
            cols[name] = col
            bad |= wrong
        for name in _DERIVED:  # no follow-ups yet: their defaults (as the coercer)
            value = 0 if name == "follow_up_count" else None
            cols[name] = _Col([value], np.zeros(n, dtype=np.int64))
        for name, col in cols.items():
            if self.schema.get(name) is not None and self.schema[name].type.kind == "datetime" and col.micros is None:
                lut_us = np.array([to_micros(v) if isinstance(v, dt.datetime) else 0 for v in col.values],
                                  dtype=np.int64)
                lut_ok = np.array([isinstance(v, dt.datetime) for v in col.values], dtype=bool)
                col.micros, col.present = lut_us[col.codes], lut_ok[col.codes]
        return cols, ids, bad

    def _column(self, name: str, decl: ir.FieldDecl, arr: pa.Array) -> tuple[_Col, np.ndarray]:
        n = len(arr)
        kind = decl.type.kind
        if kind == "datetime" and pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
            try:
                us = arr.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                us = None
            if us is not None:
                null = np.asarray(us.is_null())
                micros = np.asarray(us.fill_null(0))
                present = ~null
                if decl.default is not None and isinstance(decl.default, dt.datetime):
                    micros = np.where(null, to_micros(decl.default), micros)
                    present = np.ones(n, dtype=bool)
                wrong = null & decl.required
                return _Col([], np.zeros(0, dtype=np.int64), micros, present), np.asarray(wrong, dtype=bool)
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type) or pa.types.is_struct(arr.type) \
                or pa.types.is_map(arr.type):
            raw = arr.to_pylist()
            seen: dict[Any, int] = {}
            distinct: list = []
            codes = np.empty(n, dtype=np.int64)
            for k, v in enumerate(raw):
                key = repr(v)
                if key not in seen:
                    seen[key] = len(distinct)
                    distinct.append(v)
                codes[k] = seen[key]
        else:
            enc = pc.dictionary_encode(arr)
            distinct = enc.dictionary.to_pylist()
            indices = enc.indices
            codes = np.asarray(indices.fill_null(len(distinct)), dtype=np.int64)
            if indices.null_count:
                distinct.append(None)
        values, wrong_lut = [], np.zeros(len(distinct), dtype=bool)
        for k, v in enumerate(distinct):
            ok, value = self._coerce_value(name, decl, v)
            values.append(value)
            wrong_lut[k] = not ok
        return _Col(values, codes), wrong_lut[codes]

    def _coerce_value(self, name: str, decl: ir.FieldDecl, raw: Any) -> tuple[bool, Any]:
        """One distinct value as the record coercer takes it (a coercer of this one field, not required)."""
        if raw is None or (type(raw) is str and not raw.strip()):
            return (not decl.required), decl.default
        coerce = self._one.get(name)
        if coerce is None:
            coerce = self._one[name] = make_coercer({name: dataclasses.replace(decl, required=False)})
        try:
            _, values = coerce({name: raw})
        except ComplaintRulesError:
            return False, None
        return True, values.get(name)

    # ------------------------------------------------------------------ conditions

    def _test(self, expr: ir.Expr | None, cols: dict[str, _Col], n: int) -> np.ndarray:
        if expr is None:
            return np.ones(n, dtype=bool)
        if isinstance(expr, ir.And):
            out = np.ones(n, dtype=bool)
            for i in expr.items:
                out &= self._test(i, cols, n)
            return out
        if isinstance(expr, ir.Or):
            out = np.zeros(n, dtype=bool)
            for i in expr.items:
                out |= self._test(i, cols, n)
            return out
        if isinstance(expr, ir.Not):
            return ~self._test(expr.item, cols, n)
        atom = self._atoms.get(id(expr))
        if atom is None:
            atom = self._atoms[id(expr)] = (compile_condition(expr, self.schema, self.levels), _refs(expr), expr)
        cond, names, _ = atom
        key = [LEVEL if m == "level" else m for m in names]
        if not names:
            return np.full(n, bool(cond({})), dtype=bool)
        if isinstance(expr, ir.Missing) and cols[names[0]].present is not None and not len(cols[names[0]].values):
            return ~cols[names[0]].present if not expr.negated else cols[names[0]].present.copy()
        for m in names:
            _codes(cols[m])
        if len(names) == 1:
            col = cols[names[0]]
            lut = np.array([bool(cond({key[0]: v})) for v in col.values], dtype=bool)
            return lut[col.codes] if len(lut) else np.zeros(n, dtype=bool)
        mixed = np.zeros(n, dtype=np.int64)
        for m in names:
            mixed = mixed * len(cols[m].values) + cols[m].codes
        combos, inverse = np.unique(mixed, return_inverse=True)
        lut = np.zeros(len(combos), dtype=bool)
        for k, code in enumerate(combos.tolist()):
            parts = {}
            for m, kk in zip(reversed(names), reversed(key)):
                size = len(cols[m].values)
                code, at = divmod(code, size)
                parts[kk] = cols[m].values[at]
            lut[k] = bool(cond(parts))
        return lut[inverse.reshape(-1)]

    # ------------------------------------------------------------------ deciding

    def _decide(self, table: pa.Table, idx: np.ndarray, cols: dict[str, _Col], ids: list,
                now: dt.datetime | None) -> tuple[pa.Table, np.ndarray]:  # fmt: skip
        p, n = self.ir, len(idx)
        failed = np.zeros(n, dtype=bool)
        # classify: the level as a column
        level_names = list(dict.fromkeys([*(r.level for r in p.classify.rules), *((p.classify.otherwise,) if
                                          p.classify and p.classify.otherwise else ())] if p.classify else []))
        level_names.append(None)
        code_of = {name: k for k, name in enumerate(level_names)}
        bits = []
        level = np.full(n, code_of[p.classify.otherwise if p.classify else None], dtype=np.int64)
        if p.classify is not None:
            tests = [self._test(r.when, cols, n) for r in p.classify.rules]
            bits.extend(tests)
            if p.classify.hit == "highest":
                rank = {name: i for i, name in enumerate(self.levels)}
                best = np.full(n, -2, dtype=np.int64)
                chosen = np.full(n, -1, dtype=np.int64)
                for r, b in zip(p.classify.rules, tests):
                    better = b & (rank.get(r.level, -1) > best)
                    best = np.where(better, rank.get(r.level, -1), best)
                    chosen = np.where(better, code_of[r.level], chosen)
                level = np.where(chosen >= 0, chosen, level)
            else:
                for r, b in reversed(list(zip(p.classify.rules, tests))):
                    level = np.where(b, code_of[r.level], level)
        cols = {**cols, "level": _Col(level_names, level)}
        rest = self.rules[len(p.classify.rules) if p.classify else 0:]
        bits.extend(self._test(r.when, cols, n) for r in rest)
        # classes: rows whose rules hold alike
        if bits:
            packed = np.packbits(np.stack(bits, axis=1), axis=1)
            view = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).reshape(-1)
            _, first, klass = np.unique(view, return_index=True, return_inverse=True)
            klass = klass.reshape(-1)
        else:
            first, klass = np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64)
        reps = table.take(pa.array(idx[first])).to_pylist()
        decisions = [self.compiled.evaluate(raw) for raw in reps]
        return self._assemble(decisions, klass, cols, ids, now, failed, n)

    def _assemble(self, ds: list[Decision], klass: np.ndarray, cols: dict[str, _Col], ids: list,
                  now: dt.datetime | None, failed: np.ndarray, n: int) -> tuple[pa.Table, np.ndarray]:  # fmt: skip
        p = self.ir
        meta = self.compiled.meta

        def per_class(values: list, typ: pa.DataType) -> pa.Array:
            return pa.array(values, type=typ).take(pa.array(klass))

        def anchor(name: str | None, due: dict[str, tuple[np.ndarray, np.ndarray]]):
            if name is None:
                return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            if name in due:
                return due[name]
            col = cols.get(name)
            if col is None or col.micros is None:
                return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            return col.micros, col.present

        def shifted(rows: np.ndarray, start: tuple[np.ndarray, np.ndarray], duration: ir.Duration, sign: int = 1):
            us, present = start
            got, placed, bad = self.times.shift(us, rows & present, duration, sign)
            failed[bad] = True
            return got, placed

        # deadlines, in dependency order; each class's winner per clock from its decision
        due: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        winner_of: dict[str, np.ndarray] = {}
        by_id = {r.id: r for r in p.deadlines}
        for clock in self.clock_order:
            rules = [r for r in p.deadlines if r.clock == clock]
            lut = np.array([next((rules.index(by_id[x.rule]) for x in d.deadlines if x.clock == clock), -1)
                            for d in ds], dtype=np.int64)
            win = lut[klass]
            winner_of[clock] = win
            out_us, out_ok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            for k, r in enumerate(rules):
                rows = win == k
                if not rows.any():
                    continue
                got, placed = shifted(rows, anchor(r.anchor, due), r.duration)
                out_us = np.where(rows, got, out_us)
                out_ok = np.where(rows, placed, out_ok)
            due[clock] = (out_us, out_ok)
        deadline_slots = []
        for clock in self.clocks:
            rules = [r for r in p.deadlines if r.clock == clock]
            win = winner_of[clock]
            us, ok = due[clock]
            deadline_slots.append((win >= 0, {
                "clock": pa.array(np.full(n, clock, dtype=object), pa.string()),
                "due_at": _times(us, ok),
                "rule": pa.array([r.id for r in rules] + [None], pa.string()).take(pa.array(win % (len(rules) + 1))),
                "anchor": pa.array([r.anchor for r in rules] + [None], pa.string()).take(pa.array(win % (len(rules) + 1))),
            }))  # fmt: skip
        received = cols["received_at"].micros, cols["received_at"].present

        def timing(t: ir.Timing, rows: np.ndarray):
            if t.kind in ("before", "after") and t.duration is not None:
                if t.anchor is None:
                    return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
                return shifted(rows, anchor(t.anchor, due), t.duration, -1 if t.kind == "before" else 1)
            if t.kind == "for":
                return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            return received[0], received[1] & rows

        everyone = np.ones(n, dtype=bool)
        now_us = to_micros(now) if now is not None else None
        esc_slots = []
        for k, x in enumerate(p.escalate):
            us, ok = timing(x.timing, everyone)
            active = np.array([d.escalations[k].status != "inactive" for d in ds], dtype=bool)[klass]
            status = np.where(~active, "inactive", np.where((now_us is not None) & ok & (us <= (now_us or 0)),
                                                            "due", "pending"))  # fmt: skip
            esc_slots.append((everyone, {
                "rule": pa.array(np.full(n, x.id, dtype=object), pa.string()),
                "action": pa.array(np.full(n, x.action, dtype=object), pa.string()),
                "targets": per_class([list(d.escalations[k].targets) for d in ds], pa.list_(pa.string())),
                "due_at": _times(us, ok),
                "status": pa.array(status.astype(object), pa.string()),
            }))
        # follow-up: the class's rule; sampled rules per record id
        fu_rule = {r.id: r for r in self.follow_rules}
        chosen = [fu_rule.get(d.follow_up.rule) for d in ds]
        rule_k = np.array([self.follow_rules.index(r) if r is not None else -1 for r in chosen], dtype=np.int64)[klass]
        status = np.array([d.follow_up.status if r is None or r.rate is None or r.rate.value >= 100 else ""
                           for d, r in zip(ds, chosen)], dtype=object)[klass]
        points = np.full(n, np.nan)
        sampled = np.zeros(n, dtype=bool)
        fu_us, fu_ok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        for k, r in enumerate(self.follow_rules):
            rows = rule_k == k
            if not rows.any():
                continue
            if r.rate is not None and r.rate.value < 100:
                where = np.flatnonzero(rows)
                pts = [sample_point(meta.id, r.id, ids[i]) for i in where.tolist()]
                points[where] = pts
                sampled[where] = True
                status[where] = ["required" if pt < r.rate.value else "not_sampled" for pt in pts]
            if r.rate is not None and r.window is not None:
                base = anchor(r.anchor, due) if r.anchor else received
                got, placed = shifted(rows, base, r.window)
                fu_us = np.where(rows, got, fu_us)
                fu_ok = np.where(rows, placed, fu_ok)
        fu = ds[0].follow_up if ds else None
        follow_up = pa.StructArray.from_arrays([
            pa.array(status.astype(object), pa.string()),
            per_class([d.follow_up.rule for d in ds], pa.string()),
            per_class([None if d.follow_up.rate is None else str(d.follow_up.rate) for d in ds], pa.string()),
            pa.array(sampled),
            pa.array(points, pa.float64(), mask=~sampled),
            per_class([list(d.follow_up.by) for d in ds], pa.list_(pa.string())),
            per_class([list(d.follow_up.via) for d in ds], pa.list_(pa.string())),
            _times(fu_us, fu_ok & (status != "exempt")),
            pa.array(np.full(n, fu.until_satisfied if fu else None, dtype=object), pa.int64()),
            pa.array(np.zeros(n, dtype=np.int64)),
            pa.array(np.zeros(n, dtype=bool)),
        ], fields=list(DECISION_SCHEMA.field("follow_up").type))
        # obligations: those the class applies
        ob_slots = []
        for o in p.obligations:
            applies = np.array([any(x.rule == o.id for x in d.obligations) for d in ds], dtype=bool)[klass]
            us, ok = timing(o.timing, applies)
            if o.timing.kind == "for" and o.timing.duration is not None:
                ru, rok = shifted(applies, anchor("resolved_at", {}), o.timing.duration)
            else:
                ru, rok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            by = [next((list(x.by) for x in d.obligations if x.rule == o.id), []) for d in ds]
            ob_slots.append((applies, {
                "rule": pa.array(np.full(n, o.id, dtype=object), pa.string()),
                "action": pa.array(np.full(n, o.action, dtype=object), pa.string()),
                "label": pa.array(np.full(n, o.label, dtype=object), pa.string()),
                "by": per_class(by, pa.list_(pa.string())),
                "due_at": _times(us, ok & applies),
                "retain_until": _times(ru, rok & applies),
            }))
        columns = {
            "policy_id": pa.array(np.full(n, meta.id, dtype=object), pa.string()),
            "policy_version": pa.array(np.full(n, meta.version, dtype=object), pa.string()),
            "fingerprint": pa.array(np.full(n, meta.fingerprint, dtype=object), pa.string()),
            "record_id": pa.array(ids, pa.string()),
            "evaluated_at": pa.array(np.full(n, now_us if now_us is not None else 0, dtype=np.int64),
                                     mask=np.full(n, now is None)).cast(pa.timestamp("us", tz="UTC")),
            "level": per_class([d.level for d in ds], pa.string()),
            "level_label": per_class([d.level_label for d in ds], pa.string()),
            "routes": per_class([list(d.routes) for d in ds], pa.list_(pa.string())),
            "owner": per_class([d.owner for d in ds], pa.string()),
            "deadlines": _slots(n, deadline_slots, DECISION_SCHEMA.field("deadlines").type),
            "escalations": _slots(n, esc_slots, DECISION_SCHEMA.field("escalations").type),
            "remedy": self._remedy(ds, klass, cols, n),
            "follow_up": follow_up,
            "obligations": _slots(n, ob_slots, DECISION_SCHEMA.field("obligations").type),
            "trace": per_class([list(d.rule_ids) for d in ds], pa.list_(pa.string())),
            "problems": pa.array([[]] * n, DECISION_SCHEMA.field("problems").type),
        }
        return pa.Table.from_arrays(list(columns.values()), schema=DECISION_SCHEMA), failed

    def _remedy(self, ds: list[Decision], klass: np.ndarray, cols: dict[str, _Col], n: int) -> pa.Array:
        """The remedy: tier, cap and options per class; the amount's checks per distinct (class, amount)."""
        comp = self.ir.compensate
        typ = DECISION_SCHEMA.field("remedy").type
        if comp is None:
            return pa.nulls(n, typ)
        amount = cols.get(comp.amount) if comp.amount else None
        codes = _codes(amount).codes if amount is not None else np.zeros(n, dtype=np.int64)
        values = amount.values if amount is not None else [None]
        mixed = klass * max(1, len(values)) + codes
        combos, inverse = np.unique(mixed, return_inverse=True)
        out = []
        for code in combos.tolist():
            k, at = divmod(code, max(1, len(values)))
            out.append(decision_record_remedy(self.ir, comp, ds[k], values[at]))
        return pa.array(out, typ).take(pa.array(inverse.reshape(-1)))


def decision_record_remedy(policy: ir.Policy, comp: ir.Compensate, d: Decision, raw: Any) -> dict[str, Any]:
    """The remedy of a class's decision ``d`` for the coerced amount ``raw`` (as the row engines decide it)."""
    r = d.remedy
    tier = next((t for t in comp.tiers if t.level == d.level), None)
    currency = tier.cap.currency if tier else policy.header.currency
    money = None
    if isinstance(raw, ir.Money):
        money = raw
    elif isinstance(raw, (int, Decimal)) and not isinstance(raw, bool) and currency:
        money = ir.Money(Decimal(raw), currency)
    within_cap = None
    if money is not None and tier is not None and money.currency == tier.cap.currency:
        within_cap = money.amount <= tier.cap.amount
    required, comparable = None, []
    if money is not None:
        comparable = [a for a in comp.authority if a.limit.currency == money.currency]
        for a in sorted(comparable, key=lambda a: a.limit.amount):
            if money.amount <= a.limit.amount:
                required = a.role
                break
    within_authority = None
    if money is not None and tier is not None:
        own = next((a for a in comp.authority if a.role == tier.approver), None)
        if own is None:
            within_authority = within_cap
        elif own.limit.currency == money.currency:
            within_authority = money.amount <= own.limit.amount
    return {
        "tier": r.tier, "cap": None if r.cap is None else {"amount": str(r.cap.amount), "currency": r.cap.currency},
        "currency": r.currency, "approver": r.approver, "options": list(r.options),
        "amount": None if money is None else {"amount": str(money.amount), "currency": money.currency},
        "within_cap": within_cap, "within_authority": within_authority, "required_approver": required,
        "beyond_authority": money is not None and bool(comparable) and required is None,
    }  # fmt: skip


def _take(col: _Col, idx: np.ndarray) -> _Col:
    return _Col(col.values, col.codes[idx] if len(col.codes) else col.codes,
                None if col.micros is None else col.micros[idx], None if col.present is None else col.present[idx])


def _codes(col: _Col) -> _Col:
    """A time column's distinct values and codes, made when a condition first reads them."""
    if col.micros is not None and not len(col.values) and len(col.micros):
        keyed = np.where(col.present, col.micros, np.iinfo(np.int64).min)
        distinct, inverse = np.unique(keyed, return_inverse=True)
        col.values = [None if k == np.iinfo(np.int64).min else from_micros(k) for k in distinct.tolist()]
        col.codes = inverse.reshape(-1)
    return col


def _times(us: np.ndarray, ok: np.ndarray) -> pa.Array:
    return pa.array(us, pa.int64(), mask=~ok).cast(pa.timestamp("us", tz="UTC"))


def _slots(n: int, slots: list[tuple[np.ndarray, dict[str, pa.Array]]], typ: pa.ListType) -> pa.Array:
    """A list column of up to one struct per slot and row, kept where the slot's mask holds, in slot order."""
    fields = list(typ.value_type)
    if not slots:
        return pa.array([[]] * n, typ)
    present = np.stack([s[0] for s in slots], axis=1)  # rows x slots
    counts = present.sum(axis=1)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    flat = present.reshape(-1)
    pick = np.flatnonzero(flat)  # positions in row-major (row, slot) order
    row_of, slot_of = np.divmod(pick, len(slots))
    children = []
    for f in fields:
        stacked = pa.concat_arrays([s[1][f.name] for s in slots])  # slot-major
        children.append(stacked.take(pa.array(slot_of * n + row_of)))
    values = pa.StructArray.from_arrays(children, fields=fields)
    return pa.ListArray.from_arrays(pa.array(offsets), values, type=typ)
