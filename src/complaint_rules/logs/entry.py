"""One logged decision: its id, the digest of its coerced input, the input with personal fields masked.

The input is logged as the policy coerced it (types settled, defaults filled), so that replaying it
decides the same record. A field the policy marks ``personal`` never appears in clear: it is replaced
by a :data:`MASK` object holding a hash of its value and, for text, the keywords of the policy's
``mentions`` tests that the value contains (the only tests the checker lets a policy make of a
personal field, with ``is missing``), so the logged input still decides as the original did.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .. import ir
from ..engine.decision import Decision
from ..errors import RecordError
from ..fields import DERIVED_FIELDS
from ..policy import before_effective_message

MASK = "masked"  # the key of a masked value: {"masked": "sha256:...", "mentions": [...]}
_DERIVED = frozenset(f.name for f in DERIVED_FIELDS)


class LogEntry(BaseModel):
    """A decision as a log keeps it. ``decision.policy_version`` and ``fingerprint`` name the version used."""

    decision_id: str
    input_digest: str
    policy_id: str
    policy_version: str | None
    fingerprint: str | None
    policy_path: str | None  # where the policy was loaded from, for replay under the logged policy
    record_id: str | None
    received_at: str | None
    evaluated_at: str | None  # the ``now`` it was decided at
    input: dict[str, Any]  # the coerced input, JSON, personal fields masked
    decision: Decision


def jsonable(value: Any) -> Any:
    """A coerced value as JSON the record reader reads back to the same value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, ir.Money):
        return f"{_decimal(value.amount)} {value.currency}"
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dt.timedelta):
        return f"{int(value.total_seconds() // 60)} minutes"
    if isinstance(value, (frozenset, set)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


def _decimal(d: Decimal) -> str:
    """One spelling per number: ``300``, not ``300.00``; ``1.5``, not ``1.50``."""
    return format(d.normalize(), "f") if d.is_finite() else str(d)


def canonical(data: Any) -> bytes:
    """The one byte string of a JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def personal_fields(policy: ir.Policy) -> tuple[str, ...]:
    return tuple(f.name for f in policy.record if f.personal)


def keywords(policy: ir.Policy) -> dict[str, tuple[str, ...]]:
    """Per text field, every keyword a ``mentions`` test of the policy looks for, casefolded, in order."""
    found: dict[str, dict[str, None]] = {}

    def walk(e: Any) -> None:
        if isinstance(e, ir.Mentions):
            found.setdefault(e.operand.name, {}).update(dict.fromkeys(k.casefold() for k in e.keywords))
        for item in getattr(e, "items", ()) or ():
            walk(item)
        if isinstance(e, ir.Not):
            walk(e.item)

    for cond in ir.all_conditions(policy):
        walk(cond)
    return {name: tuple(words) for name, words in found.items()}


def _hash(value: Any, key: bytes | None) -> str:
    data = canonical(jsonable(value))
    if key is None:
        return "sha256:" + hashlib.sha256(data).hexdigest()
    return "hmac-sha256:" + hmac.new(key, data, hashlib.sha256).hexdigest()


def masked_input(
    policy: ir.Policy, values: Mapping[str, Any], key: bytes | None = None
) -> dict[str, Any]:
    """The coerced values as JSON, without derived fields and missing values, personal fields masked.

    ``key`` makes the hash an HMAC (a secret of the host), so that short personal values (a postcode)
    cannot be found again by hashing every candidate.
    """
    personal = set(personal_fields(policy))
    words = keywords(policy)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or name in _DERIVED:
            continue
        if name in personal:
            mask: dict[str, Any] = {MASK: _hash(value, key)}
            if isinstance(value, str):
                text = value.casefold()
                mask["mentions"] = [k for k in words.get(name, ()) if k in text]
            out[name] = mask
        else:
            out[name] = jsonable(value)
    return out


def is_masked(value: Any) -> bool:
    return isinstance(value, dict) and MASK in value


def replayable(logged: Mapping[str, Any]) -> dict[str, Any]:
    """A record to decide again from a logged input: each masked text becomes its logged mentions, one a
    line (it mentions what the original mentioned, and nothing else the policy looks for); any other
    masked value is left out."""
    record: dict[str, Any] = {}
    for name, value in logged.items():
        if is_masked(value):
            if "mentions" in value:
                record[name] = "\n".join(value["mentions"])
            continue
        record[name] = value
    return record


def input_digest(logged: Mapping[str, Any]) -> str:
    """The digest of a logged (masked) input: it can be checked from the log alone."""
    return "sha256:" + hashlib.sha256(canonical(dict(logged))).hexdigest()


def decision_id(fingerprint: str | None, digest: str, now: dt.datetime | None) -> str:
    """The id of the decision of one policy version on one input at one time: the same in any process."""
    text = "\n".join((fingerprint or "", digest, now.isoformat() if now is not None else ""))
    return "dec-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def logged(
    policy: Any,
    record: Any,
    now: dt.datetime | None = None,
    *,
    decision_id_: str | None = None,
    key: bytes | None = None,
) -> LogEntry:
    """Decide ``record`` under ``policy`` (a loaded Policy) and make its log entry.

    The decision id is ``decision_id_`` when the host supplies one, else derived from the policy's
    fingerprint, the input digest and ``now`` (:func:`decision_id`). Raises as ``Policy.evaluate`` does
    (a record received before ``effective`` too, for a policy loaded with ``before_effective="error"``).
    """
    compiled = policy.compiled
    record_id, values = compiled.coerce(record)
    received = values.get("received_at")
    if policy.before_effective == "error" and isinstance(received, dt.datetime) and not policy.in_force(received):
        raise RecordError(record_id, [("received_at", before_effective_message(policy, received))])
    decision = compiled.decide(values, record_id, now)
    shown = masked_input(policy.ir, values, key)
    digest = input_digest(shown)
    return LogEntry(
        decision_id=decision_id_ or decision_id(policy.fingerprint, digest, now),
        input_digest=digest,
        policy_id=policy.id,
        policy_version=policy.version,
        fingerprint=policy.fingerprint,
        policy_path=os.path.abspath(policy.path) if policy.path else None,
        record_id=record_id,
        received_at=received.isoformat() if isinstance(received, dt.datetime) else None,
        evaluated_at=now.isoformat() if now is not None else None,
        input=shown,
        decision=decision,
    )


def entries_of(lines: Iterable[str]) -> Iterable[LogEntry]:
    for line in lines:
        if line.strip():
            yield LogEntry.model_validate_json(line)
