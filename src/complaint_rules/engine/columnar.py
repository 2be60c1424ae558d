"""The columnar back end: a policy decided over whole Arrow record batches instead of record by record.

Compiled from the checked IR beside :mod:`.compiler`, and deciding exactly as it does:

1. **Coercion per distinct value.** Each column is dictionary-encoded; each distinct value is coerced once by
   the record coercer itself (aware timestamps are taken as they are). A row with a value the coercer
   refuses, a missing required field or a ``follow_ups`` list is handed to the row engine.
2. **Conditions per distinct value.** Every atomic condition (a comparison, ``in``, ``has``, ``mentions``,
   ``is missing``) is compiled by :func:`.compiler.compile_condition` and run once per distinct value of
   the fields it reads (per distinct pair for field-to-field comparisons); ``and``/``or``/``not`` are
   array operations. The level is a column like any other.
3. **The decision from the rules that hold**, as array operations over the rules' condition columns: the
   level (first hit or highest), routes and owner per distinct combination of route rules, the winning
   rule of each clock, escalations active or not, remedy options per combination of compensate rules
   and the amount's checks per distinct (level, amount), the follow-up rule, obligations, and the trace
   of rule ids; the columns are built from codes (:mod:`.columnar_arrays`).
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
from ..fields import DERIVED_FIELDS, FOLLOW_UPS, HISTORY
from .arrow_decision import CATEGORY, DECISION_SCHEMA, decision_record
from .columnar_arrays import constant, lists, slots, strings, times
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
    if any(rule.life != ir.NO_LIFE for rule in policy.deadlines):
        reasons.append("clocks that pause, stop, restart or warn (a deadline rule's life)")
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
            parts.append(decided.filter(pa.array(keep)) if failed.any() else decided)
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
        if len(parts) == 1:  # one part: already in row order
            return BatchResult(out, rows, errors, len(rows_back))
        sort = np.argsort(rows, kind="stable")
        return BatchResult(out.take(pa.array(sort)), rows[sort], errors, len(rows_back))

    # ------------------------------------------------------------------ coercion

    def _coerce(self, table: pa.Table) -> tuple[dict[str, _Col], list, np.ndarray]:
        n = table.num_rows
        bad = np.zeros(n, dtype=bool)
        names = set(table.column_names)
        for name in (FOLLOW_UPS, HISTORY):  # follow-ups and a history: decided row by row (they derive fields,
            if name in names:                # and the history marks escalations and obligations done)
                given = table.column(name).to_pylist()
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
        """The decisions of rows ``idx`` (all coerced); and which of them the calendar could not place."""
        p, n = self.ir, len(idx)
        failed = np.zeros(n, dtype=bool)
        meta = self.compiled.meta
        trace: list[tuple[str, np.ndarray]] = []  # (rule id, rows it is traced for), in trace order

        def test(expr: ir.Expr | None) -> np.ndarray:
            return self._test(expr, cols, n)

        def first_true(tests: list[np.ndarray]) -> np.ndarray:
            """Index of the first test that holds per row, -1 where none does."""
            out = np.full(n, -1, dtype=np.int64)
            for k in range(len(tests) - 1, -1, -1):
                out = np.where(tests[k], k, out)
            return out

        # classify: the level as a column
        c = p.classify
        level_names = list(dict.fromkeys([*self.levels, *((r.level for r in c.rules) if c else ()),
                                          *((c.otherwise,) if c and c.otherwise else ())]))  # fmt: skip
        level_names.append(None)
        code_of = {name: k for k, name in enumerate(level_names)}
        level = np.full(n, code_of[None], dtype=np.int64)
        if c is not None:
            tests = [test(r.when) for r in c.rules]
            if c.hit == "highest":
                rank = {name: i for i, name in enumerate(self.levels)}
                best = np.full(n, -(2**62), dtype=np.int64)
                for r, b in zip(c.rules, tests):
                    better = b & (rank.get(r.level, -1) > best)
                    best = np.where(better, rank.get(r.level, -1), best)
                    level = np.where(better, code_of[r.level], level)
                trace.extend((r.id, b) for r, b in zip(c.rules, tests))
            else:
                hit = first_true(tests)
                for k, r in enumerate(c.rules):
                    level = np.where(hit == k, code_of[r.level], level)
                trace.extend((r.id, hit == k) for k, r in enumerate(c.rules))
            none = ~np.logical_or.reduce(tests) if tests else np.ones(n, dtype=bool)
            if c.otherwise is not None:
                level = np.where(none, code_of[c.otherwise], level)
                trace.append(("classify.otherwise", none))
        cols = {**cols, "level": _Col(level_names, level)}
        labels: dict[str, str | None] = {}
        for x in p.levels:
            labels.setdefault(x.id, x.label)

        # route: routes and owner per distinct combination of the rules that hold
        owners: list[str | None] = [None]
        owner = np.zeros(n, dtype=np.int64)
        route_luts: list[list[str]] = [[]]
        route_code = np.zeros(n, dtype=np.int64)
        rt = p.route
        if rt is not None:
            tests = [test(r.when) for r in rt.rules]
            if rt.hit == "all":
                hits = tests
            else:
                first = first_true(tests)
                hits = [first == k for k in range(len(tests))]
            none = ~np.logical_or.reduce(hits) if hits else np.ones(n, dtype=bool)
            key = _combination(hits, n)
            _, first_row, route_code = np.unique(key, return_index=True, return_inverse=True)
            route_code = route_code.reshape(-1)
            route_luts, owner_lut = [], []
            for row in first_row.tolist():
                matched = [r for r, h in zip(rt.rules, hits) if h[row]]
                routes = list(dict.fromkeys(t for r in matched for t in r.targets))
                if not matched and rt.otherwise is not None:
                    routes = list(dict.fromkeys(rt.otherwise))
                targets = matched[0].targets if matched else tuple(routes)
                route_luts.append(routes)
                owner_lut.append(targets[0] if targets else None)
            owners = list(dict.fromkeys([*owner_lut, None]))
            owner = np.array([owners.index(o) for o in owner_lut], dtype=np.int64)[route_code]
            trace.extend((r.id, h) for r, h in zip(rt.rules, hits))
            if rt.otherwise is not None:
                trace.append(("route.otherwise", none))

        def resolved(targets: tuple[str, ...]) -> tuple[list[list[str]], np.ndarray]:
            """Targets with ``owner`` as each row's owner: one list per owner, and each row's."""
            luts = [list(dict.fromkeys(o if t == "owner" and o is not None else t for t in targets)) for o in owners]
            return luts, owner

        # deadlines: the first rule of each clock that holds; clocks timed in dependency order
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

        due: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        winner_of: dict[str, np.ndarray] = {}
        for clock in self.clock_order:
            rules = [r for r in p.deadlines if r.clock == clock]
            win = winner_of[clock] = first_true([test(r.when) for r in rules])
            out_us, out_ok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            for k, r in enumerate(rules):
                rows = win == k
                if rows.any():
                    got, placed = shifted(rows, anchor(r.anchor, due), r.duration)
                    out_us = np.where(rows, got, out_us)
                    out_ok = np.where(rows, placed, out_ok)
            due[clock] = (out_us, out_ok)
        for r in p.deadlines:
            trace.append((r.id, winner_of[r.clock] == [x for x in p.deadlines if x.clock == r.clock].index(r)))
        dl_rules = [[r for r in p.deadlines if r.clock == clock] for clock in self.clocks]
        dl_names = list(dict.fromkeys([*(r.id for r in p.deadlines), *(r.anchor for r in p.deadlines), None]))
        deadlines = slots(n, [winner_of[clock] >= 0 for clock in self.clocks], {
            "clock": ("const", list(self.clocks)),
            "due_at": ("time", [due[clock][0] for clock in self.clocks], [due[clock][1] for clock in self.clocks]),
            "rule": ("text", dl_names, [np.array([dl_names.index(r.id) for r in rules] + [len(dl_names) - 1])[w]
                                        for rules, w in zip(dl_rules, (winner_of[c] for c in self.clocks))]),
            "anchor": ("text", dl_names, [np.array([dl_names.index(r.anchor) for r in rules] + [len(dl_names) - 1])[w]
                                          for rules, w in zip(dl_rules, (winner_of[c] for c in self.clocks))]),
        }, DECISION_SCHEMA.field("deadlines").type)  # fmt: skip

        received = cols["received_at"].micros, cols["received_at"].present

        def timing(t: ir.Timing, rows: np.ndarray):
            if t.kind in ("before", "after") and t.duration is not None:
                if t.anchor is None:
                    return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
                return shifted(rows, anchor(t.anchor, due), t.duration, -1 if t.kind == "before" else 1)
            if t.kind == "for":
                return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            return received[0], received[1] & rows

        # escalations: every rule, active or not, with its status at now
        everyone = np.ones(n, dtype=bool)
        now_us = to_micros(now) if now is not None else None
        esc_us, esc_ok, esc_status, esc_luts, esc_codes = [], [], [], [], []
        for x in p.escalate:
            us, ok = timing(x.timing, everyone)
            active = test(x.when)
            trace.append((x.id, active))
            reached = ok & (us <= now_us) if now_us is not None else np.zeros(n, dtype=bool)
            esc_status.append(np.where(active, np.where(reached, 2, 1), 0))
            esc_us.append(us)
            esc_ok.append(ok)
            luts, codes = resolved(x.targets)
            esc_codes.append(codes + len(esc_luts))
            esc_luts.extend(luts)
        escalations = slots(n, [everyone] * len(p.escalate), {
            "rule": ("const", [x.id for x in p.escalate]), "action": ("const", [x.action for x in p.escalate]),
            "targets": ("lists", esc_luts, esc_codes), "due_at": ("time", esc_us, esc_ok),
            "status": ("text", ["inactive", "pending", "due"], esc_status),
        }, DECISION_SCHEMA.field("escalations").type)  # fmt: skip

        # remedy
        remedy = self._remedy(test, trace, cols, level, level_names, n)

        # follow-up: the first rule that holds, or otherwise; sampled rules per record id
        fu = p.follow_up
        rules = list(fu.rules) if fu else []
        chosen = first_true([test(r.when) for r in rules]) if rules else np.full(n, -1, dtype=np.int64)
        if fu is not None and fu.otherwise is not None:
            chosen = np.where(chosen < 0, len(rules), chosen)
        follow = self.follow_rules
        trace.extend((r.id, chosen == k) for k, r in enumerate(follow))
        status = np.full(n, 0, dtype=np.int64)  # none, exempt, required, not_sampled
        points = np.zeros(n)
        sampled = np.zeros(n, dtype=bool)
        fu_us, fu_ok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        for k, r in enumerate(follow):
            rows = chosen == k
            if not rows.any():
                continue
            if r.rate is None:
                status[rows] = 1
            elif r.rate.value >= 100:
                status[rows] = 2
            else:
                where = np.flatnonzero(rows)
                pts = [sample_point(meta.id, r.id, ids[i]) for i in where.tolist()]
                points[where] = pts
                sampled[where] = True
                status[where] = [2 if pt < r.rate.value else 3 for pt in pts]
            if r.rate is not None and r.window is not None:
                got, placed = shifted(rows, anchor(r.anchor, due) if r.anchor else received, r.window)
                fu_us = np.where(rows, got, fu_us)
                fu_ok = np.where(rows, placed, fu_ok)
        fu_names = [r.id for r in follow] + [None]
        rates = [None if r.rate is None else str(r.rate.value) for r in follow] + [None]
        by_luts: list[list[str]] = []
        for r in follow:
            by_luts.extend(resolved(r.by)[0])
        by_luts.extend([[]] * len(owners))
        pick = np.where(chosen < 0, len(follow), chosen)
        limit = fu.until_satisfied if fu else None
        follow_up = pa.StructArray.from_arrays([
            strings(["none", "exempt", "required", "not_sampled"], status),
            strings(fu_names, pick), strings(rates, pick), pa.array(sampled),
            pa.array(points, pa.float64(), mask=~sampled),
            lists(by_luts, pick * len(owners) + owner),
            lists([list(r.via) for r in follow] + [[]], pick),
            times(fu_us, fu_ok),
            constant(limit, n, pa.int64()), pa.array(np.zeros(n, dtype=np.int64)), pa.array(np.zeros(n, dtype=bool)),
        ], fields=list(DECISION_SCHEMA.field("follow_up").type))  # fmt: skip

        # obligations: each that applies
        ob_present, ob_us, ob_ok, ob_ru, ob_rok, ob_luts, ob_codes, ob_status = [], [], [], [], [], [], [], []
        for o in p.obligations:
            applies = test(o.when)
            trace.append((o.id, applies))
            us, ok = timing(o.timing, applies)
            # status at now (no history here: records with one are decided row by row, so never 'done')
            if now_us is None:
                ob_status.append(np.zeros(n, dtype=np.int64))  # pending
            elif o.timing.kind in ("before", "after"):
                ob_status.append(np.where(ok & (now_us > us), 3, 0))  # overdue once its time has passed
            else:
                ob_status.append(np.full(n, 1 if o.timing.kind == "immediately" else 0, dtype=np.int64))
            if o.timing.kind == "for" and o.timing.duration is not None:
                ru, rok = shifted(applies, anchor("resolved_at", {}), o.timing.duration)
            else:
                ru, rok = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
            ob_present.append(applies)
            ob_us.append(us)
            ob_ok.append(ok)
            ob_ru.append(ru)
            ob_rok.append(rok)
            luts, codes = resolved(o.by)
            ob_codes.append(codes + len(ob_luts))
            ob_luts.extend(luts)
        obligations = slots(n, ob_present, {
            "rule": ("const", [o.id for o in p.obligations]), "action": ("const", [o.action for o in p.obligations]),
            "label": ("const", [o.label for o in p.obligations]), "by": ("lists", ob_luts, ob_codes),
            "due_at": ("time", ob_us, ob_ok), "retain_until": ("time", ob_ru, ob_rok),
            "status": ("text", ["pending", "due", "done", "overdue"], ob_status),
        }, DECISION_SCHEMA.field("obligations").type)  # fmt: skip

        names = [name for name, _ in trace]
        matrix = np.stack([rows for _, rows in trace], axis=1) if trace else np.zeros((n, 0), dtype=bool)
        columns = [
            constant(meta.id, n, CATEGORY), constant(meta.version, n, CATEGORY),
            constant(meta.fingerprint, n, CATEGORY), pa.array(ids, pa.string()),
            constant(now_us, n, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            strings(level_names, level), strings([labels.get(x) if x is not None else None for x in level_names], level),
            lists(route_luts, route_code), strings(owners, owner), deadlines, escalations, remedy, follow_up,
            obligations, _names(names, matrix), _empty_lists(n, DECISION_SCHEMA.field("problems").type),
            _empty_lists(n, DECISION_SCHEMA.field("clocks").type),  # no clock declares a life (coverage)
        ]  # fmt: skip
        return pa.Table.from_arrays(columns, schema=DECISION_SCHEMA), failed

    def _remedy(self, test, trace, cols, level, level_names, n) -> pa.Array:
        """The remedy: tier per level, options per combination of compensate rules, the amount's checks per
        distinct (level, amount)."""
        comp = self.ir.compensate
        typ = DECISION_SCHEMA.field("remedy").type
        if comp is None:
            return pa.nulls(n, typ)
        tests = [test(r.when) for r in comp.rules]
        trace.extend((r.id, t) for r, t in zip(comp.rules, tests))
        key = _combination(tests, n)
        _, first, option_code = np.unique(key, return_index=True, return_inverse=True)
        option_luts = []
        options = [o.id for o in comp.options]
        for row in first.tolist():
            excluded: set[str] = set()
            preferred: set[str] = set()
            for r, t in zip(comp.rules, tests):
                if t[row]:
                    (excluded if r.action == "exclude" else preferred).update(r.options)
            kept = [o for o in options if o not in excluded]
            option_luts.append([o for o in kept if o in preferred] + [o for o in kept if o not in preferred])
        tiers = [next((t for t in comp.tiers if t.level == x), None) if x is not None else None for x in level_names]
        amount = cols.get(comp.amount) if comp.amount else None
        values = amount.values if amount is not None else [None]
        codes = _codes(amount).codes if amount is not None else np.zeros(n, dtype=np.int64)
        pairs, inverse = np.unique(level * len(values) + codes, return_inverse=True)
        inverse = inverse.reshape(-1)
        parts = [_amount_part(self.ir, comp, tiers[k // len(values)], values[k % len(values)]) for k in pairs.tolist()]
        amount_names = list(dict.fromkeys(x[0] for x in parts))
        currencies = list(dict.fromkeys(x[1] for x in parts))
        roles = list(dict.fromkeys(x[4] for x in parts))

        def flag(i: int) -> pa.Array:
            lut = np.array([-1 if x[i] is None else int(x[i]) for x in parts], dtype=np.int8)[inverse]
            return pa.array(lut == 1, mask=lut < 0)

        amount_struct = pa.StructArray.from_arrays(
            [strings(amount_names, np.array([amount_names.index(x[0]) for x in parts])[inverse]),
             strings(currencies, np.array([currencies.index(x[1]) for x in parts])[inverse])],
            fields=list(typ.field("amount").type), mask=pa.array(np.array([x[0] is None for x in parts])[inverse]))
        cap_struct = pa.StructArray.from_arrays(
            [strings([str(t.cap.amount) if t else None for t in tiers], level),
             strings([t.cap.currency if t else None for t in tiers], level)],
            fields=list(typ.field("cap").type), mask=pa.array(np.array([t is None for t in tiers])[level]))
        return pa.StructArray.from_arrays([
            strings([t.level if t else None for t in tiers], level), cap_struct,
            strings([t.cap.currency if t else self.ir.header.currency for t in tiers], level),
            strings([t.approver if t else None for t in tiers], level), lists(option_luts, option_code.reshape(-1)),
            amount_struct, flag(2), flag(3), strings(roles, np.array([roles.index(x[4]) for x in parts])[inverse]),
            pa.array(np.array([x[5] for x in parts], dtype=bool)[inverse]),
        ], fields=list(typ))  # fmt: skip


def _amount_part(policy: ir.Policy, comp: ir.Compensate, tier: ir.Tier | None, raw: Any) -> tuple:
    """(amount text, currency, within_cap, within_authority, required approver, beyond authority) of one
    coerced amount under one tier, as the row engines decide them."""
    currency = tier.cap.currency if tier else policy.header.currency
    money = None
    if isinstance(raw, ir.Money):
        money = raw
    elif isinstance(raw, (int, Decimal)) and not isinstance(raw, bool) and currency:
        money = ir.Money(Decimal(raw), currency)
    if money is None:
        return None, None, None, None, None, False
    within_cap = money.amount <= tier.cap.amount if tier is not None and money.currency == tier.cap.currency else None
    comparable = [a for a in comp.authority if a.limit.currency == money.currency]
    required = next((a.role for a in sorted(comparable, key=lambda a: a.limit.amount)
                     if money.amount <= a.limit.amount), None)  # fmt: skip
    within_authority = None
    if tier is not None:
        own = next((a for a in comp.authority if a.role == tier.approver), None)
        if own is None:
            within_authority = within_cap
        elif own.limit.currency == money.currency:
            within_authority = money.amount <= own.limit.amount
    return str(money.amount), money.currency, within_cap, within_authority, required, bool(comparable) and required is None


def _combination(tests: list[np.ndarray], n: int) -> np.ndarray:
    """One key per row for the combination of tests that hold (equal keys, equal combinations)."""
    if not tests:
        return np.zeros(n, dtype=np.int64)
    if len(tests) <= 62:
        key = np.zeros(n, dtype=np.int64)
        for k, t in enumerate(tests):
            key |= t.astype(np.int64) << k
        return key
    packed = np.packbits(np.stack(tests, axis=1), axis=1)
    _, inverse = np.unique(np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).reshape(-1),
                           return_inverse=True)  # fmt: skip
    return inverse.reshape(-1).astype(np.int64)


def _names(names: list[str], matrix: np.ndarray) -> pa.Array:
    """The trace: per row the names whose column of ``matrix`` holds, in order."""
    n = matrix.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(matrix.sum(axis=1), out=offsets[1:])
    _, slot = np.divmod(np.flatnonzero(matrix.reshape(-1)), max(1, matrix.shape[1]))
    distinct = list(dict.fromkeys(names))
    index = np.array([distinct.index(x) for x in names], dtype=np.int64)
    values = strings(distinct, index[slot]) if len(slot) else pa.array([], CATEGORY)
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values, type=pa.list_(CATEGORY))


def _empty_lists(n: int, typ: pa.ListType) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], typ.value_type), type=typ)


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
