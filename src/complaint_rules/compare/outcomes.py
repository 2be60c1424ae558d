"""Each output of a decision as a piecewise-constant function of the record: pieces of the record space.

A :class:`Piece` is ``pos - union(neg)`` (a DNF region minus boxes) with one :class:`Outcome`. The
pieces of one output of one policy cover every record, and pieces that overlap agree on the outcome,
so two policies' outputs differ exactly on the pairs of pieces whose outcomes differ. Outcomes are
symbolic (``2 hours after received_at``), never concrete datetimes, so a region is a set of records
whose *rule* changed; the witness shows the concrete dates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal

from .. import ir
from ..analysis.conditions import MISSING
from ..analysis.domain import Space
from ..analysis.regions import Box, Region, and_regions, find_point, or_regions
from ..language.printer import duration as show_duration
from ..language.printer import timing as show_timing
from .durations import duration_key, on_calendar, timing_key
from .impact import authority_text

NONE_TEXT = "none"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What an output is on a piece: ``key`` is compared, ``text`` is shown, ``rules`` decided it.

    An outcome refined by what it depends on (an anchor clock, the owner) keeps its unrefined
    ``head`` (key, text) and the ``deps`` it was refined by, as (name, key, text): a diff shows and
    splits regions by a dependency only where it differs between the two sides.
    """

    key: Hashable
    text: str
    rules: tuple[str, ...] = dataclasses.field(default=(), compare=False)
    head: tuple[Hashable, str] | None = dataclasses.field(default=None, compare=False)
    deps: tuple[tuple[str, Hashable, str], ...] = dataclasses.field(default=(), compare=False)


NONE = Outcome(None, NONE_TEXT)


@dataclasses.dataclass
class Piece:
    """Records in ``pos`` and in no box of ``neg``, all with the same ``outcome``."""

    pos: Region
    neg: list[Box]
    outcome: Outcome
    src: Piece | None = None  # the piece before ``level`` was replaced by classify's regions

    @property
    def untied(self) -> Piece:
        return self.src if self.src is not None else self


class Pieces:
    """Builds the pieces of every output of one policy over a space shared with the other policy."""

    def __init__(
        self,
        policy: ir.Policy,
        space: Space,
        *,
        calendar_note: str | None = None,
        relabelled: frozenset[str] = frozenset(),
        zone_note: str | None = None,
    ):
        self.policy = policy
        self.space = space
        self.calendar_note = calendar_note  # shown after calendar-dependent durations when calendars differ
        self.zone_note = zone_note  # shown after zone-dependent durations (days, months) when zones differ
        self.relabelled = relabelled  # levels whose label differs between the two policies
        self._regions: dict[int, tuple[ir.Expr | None, Region]] = {}
        self.level_ids = tuple(lv.id for lv in policy.levels)
        self.labels = {lv.id: lv.label for lv in policy.levels}
        self.branches = self._branches()

    # ------------------------------------------------------------------ helpers

    def region(self, expr: ir.Expr | None) -> Region:
        if expr is None:
            return [self.space.full]
        hit = self._regions.get(id(expr))
        if hit is None or hit[0] is not expr:  # the id of a collected object may be reused
            hit = (expr, self.space.compile(expr))
            self._regions[id(expr)] = hit
        return hit[1]

    def empty(self, pos: Region, neg: list[Box]) -> bool:
        return find_point(pos, [*self.space.infeasible, *neg]) is None

    def first(
        self, items: Iterable[tuple[ir.Expr | None, Outcome]], otherwise: Outcome | None
    ) -> list[Piece]:
        """First hit: each rule decides where it holds and no earlier rule does; ``otherwise`` decides the rest."""
        pieces: list[Piece] = []
        negs: list[Box] = []
        for when, outcome in items:
            pos = self.region(when)
            if pos and not self.empty(pos, negs):
                pieces.append(Piece(pos, list(negs), outcome))
            negs.extend(pos)
            if when is None:
                return pieces
        pieces.append(Piece([self.space.full], negs, otherwise or NONE))
        return pieces

    def presence(self, when: ir.Expr | None, present: Outcome) -> list[Piece]:
        """An element that the decision holds where ``when`` holds and lacks elsewhere."""
        pos = self.region(when)
        return [Piece(pos, [], present), Piece([self.space.full], list(pos), NONE)]

    # ------------------------------------------------------------------ level and its tie to the record

    def _level_outcome(self, level: str | None, rule: str) -> Outcome:
        if level is None:
            return Outcome(None, NONE_TEXT, (rule,))
        label = self.labels.get(level)
        text = f'{level} "{label}"' if level in self.relabelled and label else level
        return Outcome((level, label), text, (rule,))

    def level(self) -> list[Piece]:
        c = self.policy.classify
        if c is None:
            return [Piece([self.space.full], [], NONE)]
        rules = list(c.rules)
        if c.hit == "highest":  # most severe first; among equals, source order
            sev = {lv: i for i, lv in enumerate(self.level_ids)}
            rules.sort(key=lambda r: -sev.get(r.level, -1))
        items = [(r.when, self._level_outcome(r.level, r.id)) for r in rules]
        return self.first(items, self._level_outcome(c.otherwise, "classify.otherwise"))

    def _branches(self) -> list[tuple[str, Region, list[Box]]]:
        """Per level: where classify gives it, with the level dimension pinned to it."""
        li = self.space.by_name.get("level")
        if li is None:
            return []
        out = []
        for piece in self.level():
            if piece.outcome.key is None:
                continue
            level = piece.outcome.key[0]
            if level not in self.space.levels:
                continue
            pin = self.space.box({li: 1 << self.space.levels.index(level)})
            out.append((level, and_regions(piece.pos, [pin]), piece.neg))
        return out

    def tie(self, pieces: list[Piece]) -> list[Piece]:
        """Replace conditions on ``level`` by the records that classify gives that level."""
        li = self.space.by_name.get("level")
        if li is None:
            return pieces
        full = self.space.full[li]
        if all(b[li] == full for p in pieces for b in (*p.pos, *p.neg)):
            return pieces
        out: list[Piece] = []
        for level, bpos, bneg in self.branches:
            bit = 1 << self.space.levels.index(level)
            for p in pieces:
                pos = and_regions(p.pos, bpos)
                if not pos:
                    continue
                neg = [b for b in p.neg if b[li] & bit] + bneg
                pos, neg = _unpin(pos, li, full), _unpin(neg, li, full)
                if not self.empty(pos, neg):
                    out.append(Piece(pos, neg, p.outcome, p.untied))
        return out

    def possible(self, box: Box) -> bool:
        """Whether some record lies in ``box`` once ``level`` is what classify gives."""
        li = self.space.by_name.get("level")
        if li is None or box[li] == self.space.full[li]:
            return find_point([box], self.space.infeasible) is not None
        for level, bpos, bneg in self.branches:
            if box[li] >> self.space.levels.index(level) & 1:
                pos = and_regions([box], bpos)
                if pos and not self.empty(pos, bneg):
                    return True
        return False

    # ------------------------------------------------------------------ outputs

    def level_pieces(self, level_fn: Callable[[str | None], Outcome]) -> list[Piece]:
        """An output that is a function of the level alone (the remedy tier)."""
        li = self.space.by_name.get("level")
        if li is None:
            return [Piece([self.space.full], [], level_fn(None))]
        pieces = [
            Piece([self.space.box({li: 1 << i})], [], level_fn(lv)) for i, lv in enumerate(self.space.levels)
        ]
        return self.tie(pieces)

    def routes(self) -> list[Piece]:
        r = self.policy.route
        if r is None:
            return [Piece([self.space.full], [], NONE)]
        items = [(rule.when, _units(rule.targets, rule.id)) for rule in r.rules]
        return self.tie(self.first(items, _units(r.otherwise, "route.otherwise") if r.otherwise else None))

    def routed_to(self, unit: str) -> list[Piece]:
        """Whether the decision routes to ``unit`` (used when either policy collects routes with ``all``)."""
        r = self.policy.route
        yes = Outcome(True, f"routed to {unit}")
        no = Outcome(False, f"not routed to {unit}")
        if r is None:
            return [Piece([self.space.full], [], no)]
        if r.hit != "all":
            pieces = self.first(
                [(rule.when, _units(rule.targets, rule.id)) for rule in r.rules],
                _units(r.otherwise, "route.otherwise") if r.otherwise else None,
            )
            return self.tie(
                [Piece(p.pos, p.neg, yes if p.outcome.key and unit in p.outcome.key else no) for p in pieces]
            )
        hits = [rule for rule in r.rules if unit in rule.targets]
        pieces = [
            Piece(self.region(rule.when), [], dataclasses.replace(yes, rules=(rule.id,))) for rule in hits
        ]
        every = [b for rule in r.rules for b in self.region(rule.when)]
        mine = [b for rule in hits for b in self.region(rule.when)]
        if r.otherwise and unit in r.otherwise:
            pieces.append(
                Piece([self.space.full], every, dataclasses.replace(yes, rules=("route.otherwise",)))
            )
            pieces.append(Piece(or_regions([every]), mine, no))
        else:
            pieces.append(Piece([self.space.full], mine, no))
        return self.tie(pieces)

    def owner(self) -> list[Piece]:
        r = self.policy.route
        if r is None:
            return [Piece([self.space.full], [], NONE)]
        items = [
            (rule.when, Outcome(rule.targets[0], rule.targets[0], (rule.id,)))
            for rule in r.rules
            if rule.targets
        ]
        otherwise = Outcome(r.otherwise[0], r.otherwise[0], ("route.otherwise",)) if r.otherwise else None
        return self.tie(self.first(items, otherwise))

    def clocks(self) -> list[str]:
        return list(dict.fromkeys(r.clock for r in self.policy.deadlines))

    def deadline(self, clock: str, _depth: int = 0) -> list[Piece]:
        """Per clock: the first matching rule, with its anchor chain spelt out and a missing anchor giving none."""
        clocks = set(self.clocks())
        rules = [r for r in self.policy.deadlines if r.clock == clock]
        items = [(r.when, Outcome((r.duration, r.anchor), "", (r.id,))) for r in rules]
        out: list[Piece] = []
        for p in self.first(items, None):
            if p.outcome.key is None:
                out.append(p)
                continue
            dur, anchor = p.outcome.key
            head = self._duration(dur)
            if anchor in clocks and _depth < 8:
                for q in self.deadline(anchor, _depth + 1):
                    pos = and_regions(p.pos, q.pos)
                    if not pos or self.empty(pos, [*p.neg, *q.neg]):
                        continue
                    if q.outcome.key is None:
                        outcome = Outcome(None, NONE_TEXT, p.outcome.rules + q.outcome.rules)
                    else:
                        outcome = Outcome(
                            (head[0], q.outcome.key),
                            f"{head[1]} after ({q.outcome.text})",
                            p.outcome.rules + q.outcome.rules,
                        )
                    out.append(Piece(pos, [*p.neg, *q.neg], outcome))
                continue
            outcome = Outcome((head[0], anchor), f"{head[1]} after {anchor}", p.outcome.rules)
            if anchor in self.space.by_name and self.space.optional(anchor):
                missing = self.region(ir.Missing(ir.Ref(anchor)))
                present = self.region(ir.Missing(ir.Ref(anchor), negated=True))
                out.append(Piece(and_regions(p.pos, present), p.neg, outcome))
                out.append(
                    Piece(and_regions(p.pos, missing), p.neg, Outcome(None, NONE_TEXT, p.outcome.rules))
                )
            else:
                out.append(Piece(p.pos, p.neg, outcome))
        return self.tie([p for p in out if p.pos])

    def _duration(self, d: ir.Duration) -> tuple[Hashable, str]:
        key = duration_key(d, self.policy.header)  # by length: 24 hours is 1440 minutes
        return key, show_duration(d) + self._note(d)

    def _note(self, d: ir.Duration | None) -> str:
        """The calendar (or zone) after a duration that depends on it, when the two sides' differ."""
        if d is None or not on_calendar(d, self.policy.header):
            return ""
        kind = duration_key(d, self.policy.header)[0]
        note = self.zone_note if kind in ("days", "months") else self.calendar_note
        return f" ({note})" if note else ""

    def _timing(self, t: ir.Timing) -> str:
        return show_timing(t) + self._note(t.duration)

    def escalation(self, rule_id: str) -> list[Piece]:
        rule = next((r for r in self.policy.escalate if r.id == rule_id), None)
        if rule is None:
            return [Piece([self.space.full], [], NONE)]
        text = f"{rule.action} {', '.join(rule.targets)} {self._timing(rule.timing)}"
        key = (rule.action, rule.targets, timing_key(rule.timing, self.policy.header))
        pieces = self.presence(rule.when, Outcome(key, text, (rule.id,)))
        return self.tie(self._dependent(pieces, rule.timing, rule.targets))

    def obligation(self, rule_id: str) -> list[Piece]:
        rule = next((r for r in self.policy.obligations if r.id == rule_id), None)
        if rule is None:
            return [Piece([self.space.full], [], NONE)]
        label = f' "{rule.label}"' if rule.label else ""
        text = f"{rule.action}{label} by {', '.join(rule.by)} {self._timing(rule.timing)}"
        key = (rule.action, rule.label, rule.by, timing_key(rule.timing, self.policy.header))
        pieces = self.presence(rule.when, Outcome(key, text, (rule.id,)))
        return self.tie(self._dependent(pieces, rule.timing, rule.by))

    def _dependent(self, pieces: list[Piece], timing: ir.Timing, who: tuple[str, ...]) -> list[Piece]:
        """Refine present pieces by what their due time and recipients depend on: an anchor clock, the owner."""
        if timing.anchor in self.clocks():
            pieces = _refine(self, pieces, self.untied(self.deadline(timing.anchor)), timing.anchor)
        if "owner" in who:
            pieces = _refine(self, pieces, self.untied(self.owner()), "owner")
        return pieces

    def untied(self, pieces: list[Piece]) -> list[Piece]:
        """Pieces already tied to classify are tied again by the caller: take their tied form as plain regions."""
        return [Piece(p.pos, p.neg, p.outcome) for p in pieces]

    def tier(self) -> list[Piece]:
        comp = self.policy.compensate
        tiers = {t.level: t for t in comp.tiers} if comp else {}

        def fn(level: str | None) -> Outcome:
            t = tiers.get(level) if level else None
            if t is None:
                return NONE
            return Outcome((level, t.cap, t.approver), f"{level}: up to {t.cap} by {t.approver}")

        return self.level_pieces(fn)

    def authority(self) -> list[Piece]:
        """Whether the amount claimed is within the tier cap and the approver's authority, and who must approve."""
        comp = self.policy.compensate
        ai = self.space.by_name.get(comp.amount) if comp is not None and comp.amount else None
        if comp is None or ai is None:
            return [Piece([self.space.full], [], NONE)]
        tiers = {t.level: t for t in comp.tiers}
        li = self.space.by_name.get("level")
        levels = list(self.space.levels) if li is not None else [None]
        pieces = []
        for i, level in enumerate(levels):
            for a, atom in enumerate(self.space.dims[ai].atoms):
                outcome = _authority(
                    comp, tiers.get(level), None if atom is MISSING else atom, self.policy.header.currency
                )
                masks = {ai: 1 << a} if li is None else {ai: 1 << a, li: 1 << i}
                pieces.append(Piece([self.space.box(masks)], [], outcome))
        return self.tie(pieces)

    def options(self) -> list[Piece]:
        """Remedy options: every matching ``exclude``/``prefer`` rule applies, in order."""
        comp = self.policy.compensate or ir.Compensate()
        ids = tuple(o.id for o in comp.options)
        pieces = [Piece([self.space.full], [], Outcome((ids, frozenset(), frozenset()), "", ()))]
        for rule in comp.rules:
            reg = self.region(rule.when)
            nxt: list[Piece] = []
            for p in pieces:
                pos = and_regions(p.pos, reg)
                if pos and not self.empty(pos, p.neg):
                    options, excluded, preferred = p.outcome.key
                    if rule.action == "exclude":
                        key = (options, excluded | frozenset(rule.options), preferred)
                    else:
                        key = (options, excluded, preferred | frozenset(rule.options))
                    nxt.append(Piece(pos, p.neg, Outcome(key, "", p.outcome.rules + (rule.id,))))
                if not self.empty(p.pos, [*p.neg, *reg]):
                    nxt.append(Piece(p.pos, [*p.neg, *reg], p.outcome))
            pieces = nxt
        out = []
        for p in pieces:
            options, excluded, preferred = p.outcome.key
            final = remedy_options(options, excluded, preferred)
            out.append(Piece(p.pos, p.neg, Outcome(final, "[" + ", ".join(final) + "]", p.outcome.rules)))
        return self.tie(out)

    def follow_up(self) -> list[Piece]:
        f = self.policy.follow_up
        if f is None:
            return [Piece([self.space.full], [], NONE)]
        again = f" until satisfied at most {f.until_satisfied} times" if f.until_satisfied else ""

        def outcome(r: ir.FollowUpRule) -> Outcome:
            if r.rate is None:
                return Outcome(("exempt",), "exempt (none)", (r.id,))
            text = f"{r.rate}"
            if r.window is not None:
                text += f" within {show_duration(r.window)}{self._note(r.window)} after {r.anchor}"
            if r.by:
                text += f" by {', '.join(r.by)}"
            if r.via:
                text += f" via {', '.join(r.via)}"
            window = duration_key(r.window, self.policy.header) if r.window is not None else None
            key: tuple = (r.rate, window, r.anchor, r.by, r.via, f.until_satisfied)
            if r.rate.value < 100:  # which records are sampled depends on the policy id and the rule id
                key += (self.policy.header.id, r.id)
                text += f" (sample {self.policy.header.id}/{r.id})"
            return Outcome(key, text + again, (r.id,))

        items = [(r.when, outcome(r)) for r in f.rules]
        return self.tie(self.first(items, outcome(f.otherwise) if f.otherwise else None))


def _refine(pieces_of: Pieces, pieces: list[Piece], by: list[Piece], name: str) -> list[Piece]:
    """Split each present piece by the pieces of what it depends on; absent pieces stay as they are."""
    out: list[Piece] = []
    for p in pieces:
        if p.outcome.key is None:
            out.append(p)
            continue
        for q in by:
            pos = and_regions(p.pos, q.pos)
            if not pos or pieces_of.empty(pos, [*p.neg, *q.neg]):
                continue
            outcome = Outcome(
                (p.outcome.key, q.outcome.key),
                f"{p.outcome.text} [{name}: {q.outcome.text}]",
                p.outcome.rules + q.outcome.rules,
                head=p.outcome.head or (p.outcome.key, p.outcome.text),
                deps=(*p.outcome.deps, (name, q.outcome.key, q.outcome.text)),
            )
            out.append(Piece(pos, [*p.neg, *q.neg], outcome))
    return out


def remedy_options(options: tuple[str, ...], excluded: frozenset, preferred: frozenset) -> tuple[str, ...]:
    """Options in cost order without the excluded ones; preferred ones first, each group in cost order."""
    kept = [o for o in options if o not in excluded]
    return tuple([o for o in kept if o in preferred] + [o for o in kept if o not in preferred])


def _authority(comp: ir.Compensate, tier: ir.Tier | None, value, currency: str | None) -> Outcome:
    """The interpreter's cap and authority checks for one amount (``value`` a number, or None when missing)."""
    currency = tier.cap.currency if tier else currency
    if value is None or currency is None:
        return Outcome((None, None, None, False), "no amount claimed")
    amount = ir.Money(value.amount if isinstance(value, ir.Money) else Decimal(value), currency)
    within_cap = amount.amount <= tier.cap.amount if tier and tier.cap.currency == currency else None
    comparable = sorted(
        (a for a in comp.authority if a.limit.currency == currency), key=lambda a: a.limit.amount
    )
    required = next((a.role for a in comparable if amount.amount <= a.limit.amount), None)
    within_authority = None
    if tier is not None:
        own = next((a for a in comp.authority if a.role == tier.approver), None)
        if own is None:
            within_authority = within_cap
        elif own.limit.currency == currency:
            within_authority = amount.amount <= own.limit.amount
    beyond = bool(comparable) and required is None
    key = (within_cap, within_authority, required, beyond)
    return Outcome(key, authority_text(*key))


def _units(targets: tuple[str, ...] | None, rule: str) -> Outcome:
    targets = targets or ()
    return Outcome(frozenset(targets), ", ".join(targets) or NONE_TEXT, (rule,))


def _unpin(boxes: list[Box], li: int, full: int) -> list[Box]:
    return [b[:li] + (full,) + b[li + 1 :] for b in boxes]
