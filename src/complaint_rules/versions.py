"""Versions by date: a policy set is a folder of versions of one policy, each in force from its ``effective`` date.

:func:`load_set` loads every policy file of a folder; :meth:`PolicySet.at` picks the version in force on
a date (the latest ``effective`` on or before it, as a date in that version's time zone), and
:meth:`PolicySet.evaluate` decides a record under the version in force at its ``received_at``. A record
received before the first version is an error naming its date and the first ``effective`` date, unless
the set is loaded with ``before_effective="allow"`` (then the first version decides it).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import PolicyError, RecordError
from .policy import BEFORE_EFFECTIVE_CHOICES, DSL_SUFFIXES, YAML_SUFFIXES, Policy, load, local_date
from .span import Source, Span


class PolicySet:
    """The versions of one policy, oldest first; immutable."""

    __slots__ = ("before_effective", "path", "versions")

    def __init__(self, versions: list[Policy], path: str | None = None, before_effective: str = "error"):
        if before_effective not in BEFORE_EFFECTIVE_CHOICES:
            raise ValueError(f"before_effective must be one of {', '.join(BEFORE_EFFECTIVE_CHOICES)}, "
                             f"not {before_effective!r}")
        where = path or "<policy set>"
        if not versions:
            raise PolicyError(f"{where}: no policy file (.policy, .yaml, .yml) in the set", _span(where))
        for v in versions:
            if v.effective is None:
                raise PolicyError(f"{v.path or v.id}: a version of a policy set needs an 'effective' date",
                                  v.ir.header.span or _span(v.path or where))
        first = versions[0]
        for v in versions[1:]:
            if v.id != first.id:
                raise PolicyError(f"{v.path or v.id}: policy {v.id!r} in the set of {first.id!r} "
                                  f"({first.path or first.id}): a set holds versions of one policy",
                                  v.ir.header.span or _span(where))
        ordered = sorted(versions, key=lambda v: v.effective)
        for a, b in zip(ordered, ordered[1:]):
            if a.effective == b.effective:
                raise PolicyError(f"{b.path or b.id}: effective {b.effective.isoformat()}, as {a.path or a.id}: "
                                  "two versions cannot come into force on the same day",
                                  b.ir.header.span or _span(where))
        put = object.__setattr__
        put(self, "versions", tuple(ordered))
        put(self, "path", path)
        put(self, "before_effective", before_effective)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PolicySet is immutable: cannot set {name!r}")

    def __iter__(self) -> Iterator[Policy]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def __repr__(self) -> str:
        dates = ", ".join(f"{v.version or '?'}@{v.effective}" for v in self.versions)
        return f"<PolicySet {self.id!r} [{dates}]>"

    @property
    def id(self) -> str:
        """The policy id every version shares."""
        return self.versions[0].id

    def at(self, when: dt.date | dt.datetime) -> Policy:
        """The version in force on ``when`` (a date, or an aware datetime read in each version's zone).

        Raises ValueError naming both dates when ``when`` is before the first version (with
        ``before_effective="allow"`` the first version is returned instead).
        """
        chosen = None
        for v in self.versions:
            day = local_date(v.ir, when) if isinstance(when, dt.datetime) else when
            if day >= v.effective:
                chosen = v
        if chosen is None:
            first = self.versions[0]
            if self.before_effective == "allow":
                return first
            day = local_date(first.ir, when) if isinstance(when, dt.datetime) else when
            raise ValueError(f"{day.isoformat()} is before the first version of {self.id} "
                             f"({first.version or first.path}, effective {first.effective.isoformat()})")
        return chosen

    def version_for(self, record: Any) -> Policy:
        """The version in force at a record's ``received_at``; RecordError when it has none or none is in force."""
        newest = self.versions[-1]
        record_id, values = newest.compiled.coerce(_only_received(record))
        received = values.get("received_at")
        if not isinstance(received, dt.datetime):
            raise RecordError(record_id, [("received_at", "missing: a policy set picks its version by it")])
        try:
            return self.at(received)
        except ValueError as exc:
            raise RecordError(record_id, [("received_at", f"received {exc}")]) from None

    def evaluate(self, record: Any, now: dt.datetime | None = None, *, strict: bool = False):
        """Decide a record under the version in force at its ``received_at``; the decision's
        ``policy_version`` and ``fingerprint`` name that version."""
        return self.version_for(record).evaluate(record, now, strict=strict)


def _only_received(record: Any) -> Any:
    """The id and ``received_at`` of a raw record: enough to pick a version, whatever else it holds."""
    if isinstance(record, dict):
        return {k: record[k] for k in ("id", "received_at") if k in record}
    return record


def _span(name: str) -> Span:
    return Span(Source(name, ""), 1, 1)


def policy_files(folder: str | os.PathLike) -> list[Path]:
    """The policy files directly in ``folder``, by name."""
    suffixes = (*DSL_SUFFIXES, *YAML_SUFFIXES)
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix in suffixes)


def load_set(
    folder: str | os.PathLike, calendar_data: object = None, *, before_effective: str = "error"
) -> PolicySet:
    """Load every policy file of ``folder`` as the versions of one policy (see :class:`PolicySet`)."""
    path = Path(folder)
    if not path.is_dir():
        raise FileNotFoundError(f"{folder}: not a folder of policy versions")
    versions = [load(p, calendar_data, before_effective="allow") for p in policy_files(path)]
    return PolicySet(versions, os.fspath(folder), before_effective)
