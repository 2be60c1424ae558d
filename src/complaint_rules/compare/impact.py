"""Impact: decide every record of a corpus under both policies and count what changes, per output.

Streaming: rows are read one at a time and only counters and a few example ids per transition are
kept, so memory stays bounded whatever the size of the corpus.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ComplaintRulesError, RecordError

MAX_EXAMPLES = 3  # record ids kept per transition
MAX_TRANSITIONS = 25  # distinct transitions kept per output; the rest are counted as "other"


class Transition(BaseModel):
    """Records whose output goes from ``old`` to ``new``: how many, and the first few record ids.

    When only the due time moved (the same deadline rule; the same action and recipients), ``new`` is
    ``old`` followed by how far it moved: ``response_from_sent`` -> ``response_from_sent, due 5 days
    earlier``. Records are so grouped by the kind of change, not by date.
    """

    old: str
    new: str
    count: int = 0
    examples: list[str] = Field(default_factory=list)

    @property
    def due(self) -> str | None:
        """How the due time moved (``due 5 days earlier``) when only it did; None otherwise."""
        return self.new[len(self.old) + 2 :] if self.new.startswith(self.old + ", due ") else None

    def describe(self) -> str:
        """``old -> new``; for a moved due time, ``new`` alone (``remind owner, due 5 days earlier``)."""
        return self.new if self.due else f"{self.old} -> {self.new}"


def moved_text(seconds: float) -> str:
    """How far a due time moved (new minus old): ``due 5 days earlier``, ``due between 1 and 2 hours later``.

    Whole days, hours or minutes are said exactly; anything else is placed between two whole numbers of
    its largest unit, so that records are grouped by how far their due time moved, not by date.
    """
    way = "earlier" if seconds < 0 else "later"
    left = abs(seconds)
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if left >= size:
            n, rest = divmod(int(left), size)
            if rest == 0 and left == int(left):
                return f"due {n} {name}{'s' * (n != 1)} {way}"
            return f"due between {n} and {n + 1} {name}s {way}"
    return f"due less than a minute {way}"


class OutputImpact(BaseModel):
    """How many records one output changes for, and how."""

    output: str
    changed: int = 0
    transitions: list[Transition] = Field(default_factory=list)
    other: int = 0  # changed records whose transition was not kept (beyond MAX_TRANSITIONS)


class Impact(BaseModel):
    """The corpus-level effect of the change."""

    corpus: str
    records: int = 0
    changed: int = 0
    errors: int = 0
    error_examples: list[str] = Field(default_factory=list)
    reasons: dict[str, int] = Field(default_factory=dict)  # why records could not be compared -> how many
    outputs: list[OutputImpact] = Field(default_factory=list)


def incomplete_reason(problems: Iterable[Any], country: str) -> str:
    """Why an incomplete decision (its problems as plain dicts) cannot be compared: its undecidable times,
    e.g. ``undecidable clock first_contact (no CN data for 2027)``."""
    parts = []
    for p in problems:
        if p["depends_on"] is not None:
            continue  # timed from one of the others
        what = "clock" if p["part"] == "deadline" else p["part"].replace("_", "-")
        why = f"no {country} data for {p['year']}" if p["year"] is not None else "calendar error"
        parts.append(f"undecidable {what} {p['name']} ({why})")
    return "; ".join(parts)


def error_reason(exc: Exception) -> str:
    """Why a record could not be decided, said without the record's own values (so that reasons group)."""
    if isinstance(exc, RecordError):
        return "invalid record: " + ", ".join(dict.fromkeys(exc.fields))
    return f"cannot decide: {type(exc).__name__}"


# ---------------------------------------------------------------------------- observing decisions


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """A part of a decision, given as models or as the plain dicts of ``CompiledPolicy.outcome``."""
    if type(obj) is dict:
        return obj.get(name, default)
    return getattr(obj, name, default)


def show_value(value: Any) -> str:
    """A decision value as the impact report writes it (``none`` for a missing one)."""
    if value is None:
        return "none"
    if type(value) is str:
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)


def authority_text(
    within_cap: bool | None, within_authority: bool | None, required: str | None, beyond: bool
) -> str:
    """The remedy's cap and authority checks as one line (the same words in every layer)."""
    yes_no = {True: "within", False: "above", None: "n/a"}
    text = f"cap: {yes_no[within_cap]}; authority: {yes_no[within_authority]}; "
    return text + ("beyond every authority" if beyond else f"approved by {required or '-'}")


def keys(decision: Any) -> dict[str, Any]:
    """The outputs of a decision that a diff compares, as comparison keys (cheap: no text is built)."""
    g = field_of
    out: dict[str, Any] = {
        "level": (g(decision, "level"), g(decision, "level_label")),
        "routes": frozenset(g(decision, "routes") or ()),
        "owner": g(decision, "owner"),
    }
    for d in g(decision, "deadlines") or ():
        out["deadline " + g(d, "clock")] = g(d, "due_at")
    for e in g(decision, "escalations") or ():
        if g(e, "status") != "inactive":  # listed for the record, not in force
            out["escalation " + g(e, "rule")] = (g(e, "action"), tuple(g(e, "targets") or ()), g(e, "due_at"))
    remedy = g(decision, "remedy")
    if remedy is not None:
        out["remedy tier"] = (g(remedy, "tier"), g(remedy, "cap"), g(remedy, "approver"))
        out["remedy authority"] = (
            g(remedy, "within_cap"),
            g(remedy, "within_authority"),
            g(remedy, "required_approver"),
            g(remedy, "beyond_authority"),
        )
        out["remedy options"] = tuple(g(remedy, "options") or ())
    follow = g(decision, "follow_up")
    if follow is not None:
        out["follow_up"] = tuple(g(follow, k) for k in ("status", "rate", "by", "via", "due_at"))
    for o in g(decision, "obligations") or ():
        out["obligation " + g(o, "rule")] = (g(o, "action"), tuple(g(o, "by") or ()), g(o, "due_at"))
    return out


def plain_keys(d: dict) -> dict[str, Any]:
    """:func:`keys` of a decision given as plain dicts (``CompiledPolicy.outcome``), read without ``field_of``."""
    out: dict[str, Any] = {
        "level": (d["level"], d["level_label"]),
        "routes": frozenset(d["routes"]),
        "owner": d["owner"],
    }
    for x in d["deadlines"]:
        out["deadline " + x["clock"]] = x["due_at"]
    for e in d["escalations"]:
        if e["status"] != "inactive":
            out["escalation " + e["rule"]] = (e["action"], tuple(e["targets"]), e["due_at"])
    r = d["remedy"]
    if r is not None:
        out["remedy tier"] = (r["tier"], r["cap"], r["approver"])
        out["remedy authority"] = (
            r["within_cap"], r["within_authority"], r["required_approver"], r["beyond_authority"]
        )  # fmt: skip
        out["remedy options"] = tuple(r["options"])
    f = d["follow_up"]
    if f is not None:
        out["follow_up"] = (f["status"], f["rate"], f["by"], f["via"], f["due_at"])
    for o in d["obligations"]:
        out["obligation " + o["rule"]] = (o["action"], tuple(o["by"]), o["due_at"])
    return out


def label(decision: Any, output: str) -> str:
    """What a decision says for one output, as the impact report groups it.

    For deadlines it names the deciding rule, since the due times differ from record to record.
    """
    kind, space, name = output.partition(" ")
    show = _LABELS.get(kind)
    if show is None or (kind == "remedy" and name not in _REMEDY_PARTS) or (not space) != (kind in _WHOLE):
        raise ValueError(f"unknown output {output!r}")
    return show(decision, name)


def _deadline_label(decision: Any, clock: str) -> str:
    g = field_of
    d = next((d for d in g(decision, "deadlines") or () if g(d, "clock") == clock), None)
    if d is None:
        return "none"
    return g(d, "rule") if g(d, "due_at") is not None else f"{g(d, 'rule')}: none"


def _item_label(decision: Any, rule: str, many: str, who: str) -> str:
    g = field_of
    item = next((i for i in g(decision, many) or () if g(i, "rule") == rule and g(i, "status") != "inactive"), None)
    if item is None:
        return "none"
    return f"{g(item, 'action')} {', '.join(g(item, who) or ())}"


def _remedy_label(decision: Any, part: str) -> str:
    g = field_of
    remedy = g(decision, "remedy")
    if part == "tier":
        tier = g(remedy, "tier") if remedy is not None else None
        return f"{tier}: up to {show_value(g(remedy, 'cap'))} by {g(remedy, 'approver')}" if tier else "none"
    if part == "authority":
        if remedy is None or g(remedy, "amount") is None:
            return "no amount claimed"
        return authority_text(
            g(remedy, "within_cap"), g(remedy, "within_authority"), g(remedy, "required_approver"),
            g(remedy, "beyond_authority"),
        )  # fmt: skip
    return show_value(tuple(g(remedy, "options") or ())) if remedy is not None else "none"


def _follow_up_label(decision: Any, _: str) -> str:
    g = field_of
    f = g(decision, "follow_up")
    if f is None or g(f, "status") in (None, "none"):
        return "none"
    return f"{g(f, 'status')} {show_value(g(f, 'rate'))}% by {', '.join(g(f, 'by') or ())} ({g(f, 'rule')})"


_REMEDY_PARTS = frozenset({"tier", "authority", "options"})
_WHOLE = frozenset({"level", "routes", "owner", "follow_up"})  # outputs named by one word
_LABELS: dict[str, Callable[[Any, str], str]] = {
    "level": lambda d, _: show_value(field_of(d, "level")),
    "routes": lambda d, _: "{" + ", ".join(field_of(d, "routes") or ()) + "}",
    "owner": lambda d, _: show_value(field_of(d, "owner")),
    "deadline": _deadline_label,
    "escalation": lambda d, rule: _item_label(d, rule, "escalations", "targets"),
    "obligation": lambda d, rule: _item_label(d, rule, "obligations", "by"),
    "remedy": _remedy_label,
    "follow_up": _follow_up_label,
}


def observe(decision: Any) -> dict[str, tuple[Any, str]]:
    """Every compared output of a decision: name -> (comparison key, label)."""
    return {name: (key, label(decision, name)) for name, key in keys(decision).items()}


def compare(old: Any, new: Any, written: dict[str, str] | None = None) -> Iterator[tuple[str, str, str]]:
    """(output, old label, new label) for each output whose key differs between two decisions.

    ``written`` (from :func:`written_labels`) names escalations and obligations as the policies write
    them, for a change of due time alone.
    """
    return changes(old, new, keys(old), keys(new), written)


def changes(
    old: Any, new: Any, a: dict[str, Any], b: dict[str, Any], written: dict[str, str] | None = None
) -> Iterator[tuple[str, str, str]]:
    """:func:`compare` given the two decisions' keys already."""
    # Names of ``a`` in order, then those only in ``b``; a missing key counts as None.
    for name, x in a.items():
        y = b.get(name)
        if x != y:
            yield _change(old, new, name, x, y, written)
    for name, y in b.items():
        if name not in a and None != y:
            yield _change(old, new, name, None, y, written)


def _change(
    old: Any, new: Any, name: str, x: Any, y: Any, written: dict[str, str] | None
) -> tuple[str, str, str]:
    la, lb = label(old, name), label(new, name)
    if la != lb:
        return name, la, lb
    kind = name.partition(" ")[0]
    due = None
    if kind == "deadline":  # the same rule, another due time
        due = _moved(x, y)
    elif kind in ("escalation", "obligation", "follow_up") and x and y and x[:-1] == y[:-1]:
        due = _moved(x[-1], y[-1])  # the same action and recipients, another due time
        if due is not None and kind != "follow_up" and written and name in written:
            # as written (``remind owner``): records whose owner differs but did not change count together
            la = lb = written[name]
    if due is not None:
        return name, la, f"{lb}, {due}"
    if kind == "level":  # the same level, relabelled
        return name, f'{la} "{x[1] if x else ""}"', f'{lb} "{y[1] if y else ""}"'
    if kind == "follow_up" and x and y and x[3] != y[3]:
        return name, f"{la} via {', '.join(x[3] or ())}", f"{lb} via {', '.join(y[3] or ())}"
    return name, f"{la} ({show_value(x)})", f"{lb} ({show_value(y)})"


def _moved(x: Any, y: Any) -> str | None:
    """How a due time moved from ``x`` to ``y`` (datetimes or None); None when they are not datetimes."""
    if x is None:
        return "due time added"
    if y is None:
        return "due time removed"
    if not (isinstance(x, dt.datetime) and isinstance(y, dt.datetime)):
        return None
    return moved_text((y - x).total_seconds())


def written_labels(old: Any, new: Any) -> dict[str, str]:
    """Escalation and obligation outputs labelled as both policies write them (``remind owner``).

    Only outputs whose rule reads the same under both are kept: impact groups a change of due time
    alone under this label, whatever the recipients (the owner, say) resolve to record by record.
    """
    out: dict[str, dict[int, str]] = {}
    for side, policy in enumerate((old, new)):
        p = getattr(policy, "ir", None)
        for r in getattr(p, "escalate", ()) or ():
            out.setdefault(f"escalation {r.id}", {})[side] = f"{r.action} {', '.join(r.targets)}"
        for r in getattr(p, "obligations", ()) or ():
            out.setdefault(f"obligation {r.id}", {})[side] = f"{r.action} {', '.join(r.by)}"
    return {name: texts[0] for name, texts in out.items() if len(texts) == 2 and texts[0] == texts[1]}


# ---------------------------------------------------------------------------- the corpus


class _Tally:
    """Changes by output and transition, with the first transitions and examples in corpus order."""

    def __init__(self) -> None:
        self.outputs: dict[str, OutputImpact] = {}
        self.index: dict[str, dict[tuple[str, str], Transition]] = {}

    def add(self, output: str, old: str, new: str, count: int, examples: list[str]) -> None:
        impact = self.outputs.get(output)
        if impact is None:
            impact = self.outputs[output] = OutputImpact(output=output)
            self.index[output] = {}
        impact.changed += count
        transitions = self.index[output]
        t = transitions.get((old, new))
        if t is None:
            if len(transitions) >= MAX_TRANSITIONS:
                impact.other += count
                return
            t = transitions[(old, new)] = Transition(old=old, new=new)
            impact.transitions.append(t)
        t.count += count
        if len(t.examples) < MAX_EXAMPLES:
            t.examples.extend(examples[: MAX_EXAMPLES - len(t.examples)])


# What deciding one chunk gives: (records, errors, first error ids, changed records,
# {(output, old label, new label): [count, first record ids]} in order of first appearance,
# {why records could not be compared: count}).
Done = tuple[int, int, list[str], int, dict[tuple[str, str, str], list], dict[str, int]]

WORKERS_FROM = 50_000  # records read in this process before ``workers=None`` starts worker processes


def impact(
    old: Any,
    new: Any,
    records: Iterable[Any],
    corpus: str = "<records>",
    now: dt.datetime | None = None,
    workers: int | None = None,
    chunk: int = 2000,
) -> Impact:
    """Decide each record under ``old`` and ``new`` (loaded Policies) and count the changes.

    ``records`` yields dicts, or :class:`~complaint_rules.batch.Row` objects (rows that failed to
    read are counted as errors). With ``workers > 1`` chunks of records are decided in that many
    processes, at most two chunks per worker in flight, so memory stays bounded. ``workers=None``
    decides the first ``WORKERS_FROM`` records here and, if the corpus is longer, the rest in one
    process per CPU (when there is more than one). The result is the same whatever the workers.
    """
    result = Impact(corpus=corpus)
    tally = _Tally()
    chunks = _chunks(records, chunk)
    judge = _Judge(old, new, now)
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = 1
        for done_records, items in enumerate(chunks, 1):
            _merge(result, tally, judge.run(items))
            if cpus > 1 and done_records * chunk >= WORKERS_FROM:
                workers = cpus
                break
    if workers > 1:
        _in_pool(old, new, now, workers, chunks, result, tally)
    else:
        for items in chunks:
            _merge(result, tally, judge.run(items))
    result.outputs = list(tally.outputs.values())
    return result


def _in_pool(old, new, now, workers: int, chunks: Iterator, result: Impact, tally: _Tally) -> None:
    """Decide the remaining chunks in ``workers`` processes, merging results in corpus order."""
    import concurrent.futures as cf
    from collections import deque

    with cf.ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(old, new, now)) as pool:
        pending: deque = deque()
        for items in chunks:
            pending.append(pool.submit(_run_worker, items))
            if len(pending) >= 2 * workers:
                _merge(result, tally, pending.popleft().result())
        while pending:
            _merge(result, tally, pending.popleft().result())


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[tuple[str, Any]]]:
    """(record id, raw record or None) in lists of ``size``."""
    items: list[tuple[str, Any]] = []
    for n, item in enumerate(records, 1):
        record = item if isinstance(item, dict) else getattr(item, "record", item)
        items.append((_rid(item, record, n), record))
        if len(items) >= size:
            yield items
            items = []
    if items:
        yield items


class _Judge:
    """Decides records under both policies; coerces once when both read the same schema.

    Decides through ``CompiledPolicy.outcome`` (plain dicts, the same closures as ``decide``) and
    compares with :func:`plain_keys`; labels are made only for the outputs that changed.
    """

    def __init__(self, old: Any, new: Any, now: dt.datetime | None):
        self.a, self.b, self.now = old.compiled, new.compiled, now
        self.shared = self.a.schema == self.b.schema
        self.written = written_labels(old, new)
        self.countries = (self.a.calendar.country, self.b.calendar.country)

    def run(self, items: list[tuple[str, Any]]) -> Done:
        """Decide one chunk and sum up its changes."""
        errors = 0
        error_ids: list[str] = []
        found: dict[tuple[str, str, str], list] = {}
        reasons: dict[str, int] = {}
        changed = 0
        a, b, now, shared, written = self.a, self.b, self.now, self.shared, self.written
        outcome_a, outcome_b = a.outcome, b.outcome

        def fail(rid: str, reason: str) -> None:
            nonlocal errors
            errors += 1
            reasons[reason] = reasons.get(reason, 0) + 1
            if len(error_ids) < MAX_EXAMPLES:
                error_ids.append(rid)

        for rid, record in items:
            if record is None:
                fail(rid, "unreadable row")
                continue
            try:
                record_id, values = a.coerce(record)
                da = outcome_a(values, record_id, now)
                if not shared:
                    record_id, values = b.coerce(record)
                db = outcome_b(values, record_id, now)
            except ComplaintRulesError as exc:
                fail(rid, error_reason(exc))
                continue
            if da["problems"] or db["problems"]:  # a time one side cannot place: nothing to compare it with
                why_a = incomplete_reason(da["problems"], self.countries[0])
                why_b = incomplete_reason(db["problems"], self.countries[1])
                if why_a == why_b:
                    fail(rid, why_a)
                else:
                    fail(rid, "; ".join(f"{side}: {why}" for side, why in (("old", why_a), ("new", why_b)) if why))
                continue
            ka, kb = plain_keys(da), plain_keys(db)
            if ka == kb:
                continue
            changed += 1
            for key in changes(da, db, ka, kb, written):
                seen = found.get(key)
                if seen is None:
                    found[key] = [1, [rid]]
                else:
                    seen[0] += 1
                    if len(seen[1]) < MAX_EXAMPLES:
                        seen[1].append(rid)
        return len(items), errors, error_ids, changed, found, reasons


_WORKER: _Judge | None = None


def _init_worker(old: Any, new: Any, now: dt.datetime | None) -> None:
    global _WORKER
    _WORKER = _Judge(old, new, now)


def _run_worker(items: list[tuple[str, Any]]) -> Done:
    assert _WORKER is not None
    return _WORKER.run(items)


def _merge(result: Impact, tally: _Tally, done: Done) -> None:
    records, errors, error_ids, changed, found, reasons = done
    for reason, count in reasons.items():
        result.reasons[reason] = result.reasons.get(reason, 0) + count
    result.records += records
    result.changed += changed
    result.errors += errors
    room = MAX_EXAMPLES - len(result.error_examples)
    if room > 0:
        result.error_examples.extend(error_ids[:room])
    for (output, la, lb), (count, examples) in found.items():
        tally.add(output, la, lb, count, examples)


def _rid(item: Any, record: Any, n: int) -> str:
    rid = getattr(item, "record_id", None)
    if rid is None and isinstance(record, dict):
        rid = record.get("id")
    return str(rid) if rid is not None else f"#{n}"


def read_corpus(path: str | Path, columns: str | Path | None = None) -> Iterator[Any]:
    """Rows of a JSONL or CSV corpus, streamed, with an optional column mapping file (as for ``eval``)."""
    from ..batch import ColumnMap, input_kind, read_rows

    mapping = ColumnMap.load(columns) if columns else None
    kind = input_kind(str(path))
    with open(path, "rb") as stream:
        yield from read_rows(stream, kind, mapping)
