"""Compliance diff: what changed between two versions of a policy, and which complaints it affects.

Three layers, each usable alone: :func:`structural_diff` (rules and values, keyed by id),
:func:`semantic_diff` (regions of the record space whose decision changes, per output, with a
witness record each) and :func:`impact` (a corpus decided under both). :func:`diff` runs them all.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import Any

from .impact import Impact, impact, read_corpus
from .present import Labels
from .replay import Difference, ReplayReport, replay
from .report import FORMATS, PolicyDiff
from .semantic import SemanticChange, analyse, semantic_diff
from .sources import DiffSourceError, Side, resolve
from .structural import Change, length_notes, structural_diff
from .verify import verify_witnesses
from .whatif import WhatIf, whatif

__all__ = [
    "FORMATS",
    "Change",
    "Difference",
    "DiffSourceError",
    "Impact",
    "Labels",
    "PolicyDiff",
    "ReplayReport",
    "SemanticChange",
    "Side",
    "analyse",
    "diff",
    "impact",
    "read_corpus",
    "replay",
    "resolve",
    "semantic_diff",
    "structural_diff",
    "verify_witnesses",
    "WhatIf",
    "whatif",
]


def diff(
    old: Any,
    new: Any,
    corpus: str | os.PathLike[str] | Iterable[Any] | None = None,
    *,
    columns: str | os.PathLike[str] | None = None,
    semantic: bool = True,
    verify: bool = True,
    now: dt.datetime | None = None,
    as_of: dt.datetime | None = None,
    totals: bool = True,
) -> PolicyDiff:
    """Diff two policies (each a Policy, an ``ir.Policy``, a path or a git spec ``REV:path``).

    With ``corpus`` (a JSONL/CSV path, with an optional ``columns`` mapping file, or an iterable of
    records) the impact layer decides every record under both, and the what-if layer sums the old and
    new totals a manager plans with (:mod:`.whatif`; ``as_of`` as there; ``totals=False`` skips it). ``verify`` evaluates each
    semantic witness under both policies and records what it got (needs the evaluator).
    """
    a, b = resolve(old), resolve(new)
    result = PolicyDiff(
        old=a.label,
        new=b.label,
        old_fingerprint=a.policy.fingerprint,
        new_fingerprint=b.policy.fingerprint,
        structural=structural_diff(a.resolved, b.resolved),
        labels=Labels.of(a.resolved, b.resolved),
    )
    if semantic:
        changes, notes = semantic_diff(a.resolved, b.resolved)
        result.semantic = changes
        result.notes.extend(notes)
        result.notes.extend(length_notes(a.resolved, b.resolved))
        if verify and changes:
            result.notes.extend(verify_witnesses(a.policy, b.policy, changes, now=now))
    if corpus is not None:
        if isinstance(corpus, (str, os.PathLike)):
            rows: Iterable[Any] = read_corpus(corpus, columns)
            again: Iterable[Any] = read_corpus(corpus, columns)
            name = os.fspath(corpus)
        else:
            rows = again = list(corpus) if totals else corpus  # read twice: once per layer
            name = "<records>"
        result.impact = impact(a.policy, b.policy, rows, corpus=name, now=now)
        if totals:
            result.whatif = whatif(a.policy, b.policy, again, corpus=name, now=now, as_of=as_of)
    return result
