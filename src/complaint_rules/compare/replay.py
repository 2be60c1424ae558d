"""Replay a decision log: decide every logged input again and report each difference from what was logged.

Under the logged policy (each entry's ``policy_path``, loaded once per path) a replay shows that the log
still explains its decisions: 0 differences, unless the policy file changed since (its fingerprint then
differs from the logged one, and a note says so). Under another policy it is a what-if on real past
inputs. Outputs are compared as the diff's impact layer compares them (level, routes, owner, each
deadline, escalation, remedy, follow-up, obligation), so a difference reads as a transition. Each entry
is also checked against its own digest: an input edited after logging is reported, not replayed.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from ..errors import ComplaintRulesError
from ..logs import LogEntry, Sink, input_digest, open_log, replayable
from ..policy import Policy, load
from .impact import compare, written_labels

MAX_LISTED = 1000  # differences kept in the report; the count is exact beyond it


class Difference(BaseModel):
    """One output of one logged decision that the replay decides otherwise."""

    decision_id: str
    record_id: str | None
    output: str  # "level", "deadline response", ... or "input digest"
    logged: str
    replayed: str


class ReplayReport(BaseModel):
    """What a replay found: how many entries, how many decided alike, and every difference."""

    log: str
    policy: str | None  # the policy given; None: each entry's own
    entries: int = 0
    same: int = 0
    differing: int = 0  # entries with at least one difference
    failed: int = 0  # entries that could not be decided again
    differences: list[Difference] = Field(default_factory=list)
    more: int = 0  # differences beyond MAX_LISTED, counted only
    notes: list[str] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differing and not self.failed

    def render(self) -> str:
        who = f"under {self.policy}" if self.policy else "under the logged policies"
        lines = [f"replay {self.log} {who}: {self.entries} decision(s), {self.same} the same, "
                 f"{self.differing} different, {self.failed} not decided"]
        for d in self.differences:
            lines.append(f"  {d.decision_id} (record {d.record_id}): {d.output}: {d.logged} -> {d.replayed}")
        if self.more:
            lines.append(f"  ... and {self.more} more difference(s)")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines) + "\n"


def _now(entry: LogEntry) -> dt.datetime | None:
    return dt.datetime.fromisoformat(entry.evaluated_at) if entry.evaluated_at else None


def replay(log: Sink | str | os.PathLike | Iterable[LogEntry], policy: Any = None) -> ReplayReport:
    """Decide each logged input again, under ``policy`` (a Policy or a path) or, by default, under the
    policy each entry was logged from; the report lists every difference."""
    given: Policy | None = load(policy) if isinstance(policy, (str, os.PathLike)) else policy
    if isinstance(log, (str, os.PathLike)):
        sink: Any = open_log(log)
        name = sink.name
    else:
        sink, name = log, getattr(log, "name", "<log>")
    report = ReplayReport(log=name, policy=(given.path or given.id) if given is not None else None)
    loaded: dict[str, Policy | None] = {}
    noted: set[str] = set()
    labels: dict[int, dict[str, str]] = {}

    def policy_of(entry: LogEntry) -> Policy | None:
        if given is not None:
            return given
        path = entry.policy_path
        if path is None:
            return None
        if path not in loaded:
            try:
                loaded[path] = load(path)
            except (ComplaintRulesError, OSError) as exc:
                loaded[path] = None
                report.notes.append(f"cannot load the logged policy {path}: {str(exc).splitlines()[0]}")
        return loaded[path]

    def differ(entry: LogEntry, output: str, old: str, new: str) -> None:
        if len(report.differences) < MAX_LISTED:
            report.differences.append(Difference(decision_id=entry.decision_id, record_id=entry.record_id,
                                                 output=output, logged=old, replayed=new))
        else:
            report.more += 1

    for entry in sink:
        report.entries += 1
        digest = input_digest(entry.input)
        if digest != entry.input_digest:
            report.differing += 1
            differ(entry, "input digest", entry.input_digest, digest)
            continue
        p = policy_of(entry)
        if p is None:
            report.failed += 1
            if entry.policy_path is None and "no path" not in noted:
                noted.add("no path")
                report.notes.append("entries without a policy path need a policy to replay under (--policy)")
            continue
        if given is None and p.fingerprint != entry.fingerprint and p.path not in noted:
            noted.add(p.path or "")
            report.notes.append(f"{p.path} changed since it was logged (fingerprint {entry.fingerprint} -> "
                                f"{p.fingerprint}): differences may come from the change")
        try:
            decision = p.evaluate(replayable(entry.input), now=_now(entry))
        except ComplaintRulesError as exc:
            report.failed += 1
            differ(entry, "replay", "decided", f"not decided: {str(exc).splitlines()[0]}")
            continue
        written = labels.get(id(p))
        if written is None:
            written = labels[id(p)] = written_labels(p, p)
        found = list(compare(entry.decision, decision, written))
        if found:
            report.differing += 1
            for output, old, new in found:
                differ(entry, output, old, new)
        else:
            report.same += 1
    close = getattr(sink, "close", None)
    if close is not None and isinstance(log, (str, os.PathLike)):
        close()
    return report
