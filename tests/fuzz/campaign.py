"""A fuzz campaign: mutated policies (DSL and YAML) and malformed records, counting foreign exceptions.

Every bundled policy is mutated as text (bytes cut, copied, swapped; hostile tokens put in: huge
numbers, deep nesting, lone surrogates, lone CRs, YAML tags) and loaded; every policy that loads
decides generated records (wrong types, huge and nested values, lone surrogates, hostile host
objects) with both evaluators. The library may only raise its own errors (``ComplaintRulesError``);
anything else, and any disagreement between the compiled evaluator and the interpreter, is a finding.

    python tests/fuzz/campaign.py --mutants 2000 --records 20000 --seed 1

The exit code is 1 when there are findings; each is printed with the seed and index that reproduce it.
The test suite runs a small campaign (tests/test_fuzz.py); the long campaign is run by hand (see
docs/reliability.md for the figures of the last one).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import complaint_rules as cr  # noqa: E402
from complaint_rules.errors import ComplaintRulesError  # noqa: E402

DSL_TOKENS = (
    "not ", "(", ")", "{", "}", " and ", " or ", "->", ":", ",", "=", "rule x: ", "otherwise -> x\n", "\n", "\r",
    "\r\n", "\t", '"', '"\\ud800"', '"\\u0000"', "\ud800", "\x00", "\ufeff", "9" * 40, "9" * 4301, "1000000000 days",
    "0.0000000001", "-1", "99999999999%", "2026-13-45", "2026-12-01T25:61:00+08:00", "end of 999999 working days",
    "not " * 70, "(" * 80, ")" * 80, "extends \"/dev/zero\"\n", "extends \"../x.policy\"\n", "drop x\n", "#",
    "policy \"p\" {\n}\n", "record {\n x: int\n}\n", "set of enum {a, a}", "enum {}", "{}", "日本", "\u202e",
)
YAML_TOKENS = (
    "!!binary ", "!!python/name:os.system ", "!!python/object:os.X ", "!custom ", "&a ", "*a ", "<<: *a\n",
    "[", "]", "{", "}", ": ", "- ", "\n  ", "\n", "'", '"', '"\\ud800"', "\t", "---\n", "...\n", "? ", "|\n  x\n",
    "~", "null", "yes", "1e400", "0x1F", "9" * 4301, "[" * 80, "{a: " * 70, "\r", "\x00", "\ufeff",
)


def bundled() -> list[Path]:
    return sorted((ROOT / "policies").rglob("*.policy")) + [ROOT / "examples" / "dealer.policy"]


def _sources(paths: list[Path]) -> list[tuple[str, str, str]]:
    """(name, format, text) of policies, in DSL and in YAML."""
    out = []
    for path in paths:
        policy = cr.load(path)
        out.append((path.name, "dsl", path.read_text(encoding="utf-8")))
        out.append((path.stem + ".yaml", "yaml", policy.to_yaml()))
    return out


def mutate(rng: random.Random, text: str, fmt: str) -> str:
    """One to four random edits of a policy text."""
    tokens = DSL_TOKENS if fmt == "dsl" else YAML_TOKENS
    for _ in range(rng.choice((1, 1, 1, 2, 4))):
        n = len(text)
        i = rng.randrange(n + 1)
        j = min(n, i + rng.choice((1, 2, 5, 20, 200)))
        op = rng.randrange(7)
        if op == 0:  # cut
            text = text[:i] + text[j:]
        elif op == 1:  # copy a span elsewhere
            k = rng.randrange(n + 1)
            text = text[:k] + text[i:j] * rng.choice((1, 2, 50)) + text[k:]
        elif op == 2:  # swap two lines
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif op == 3:  # a digit or letter changed
            if i < n:
                text = text[:i] + rng.choice("0123456789azAZ_-.%") + text[i + 1 :]
        elif op == 4:  # a number made huge
            digits = [k for k, ch in enumerate(text) if ch.isdigit()]
            if digits:
                k = rng.choice(digits)
                text = text[:k] + "9" * rng.choice((20, 31, 4301)) + text[k:]
        elif op == 5:  # truncated
            text = text[:i]
        else:  # a hostile token
            text = text[:i] + rng.choice(tokens) + text[i:]
    return text


class _Hostile:
    """A host object every one of whose hooks raises."""

    def __repr__(self):
        raise RuntimeError("repr")

    def __str__(self):
        raise RuntimeError("str")

    def __bool__(self):
        raise RuntimeError("bool")

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __hash__(self):
        raise RuntimeError("hash")

    def __iter__(self):
        raise RuntimeError("iter")

    def __len__(self):
        raise RuntimeError("len")


class _BadStr(str):
    def strip(self, *args):
        raise RuntimeError("strip")

    def lower(self):
        raise RuntimeError("lower")


class _BadTz(dt.tzinfo):
    def utcoffset(self, when):
        raise RuntimeError("utcoffset")

    def dst(self, when):
        raise RuntimeError("dst")


def _value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(26)
    if pick == 0:
        return rng.choice(("", " ", "yes", "no", "maybe", "product_quality", "\ud800", "a\udfffb", "\x00", "日本"))
    if pick == 1:
        return rng.choice((0, 1, -1, 2**63, 10**30, -(10**40)))
    if pick == 2:
        return rng.choice((0.5, float("nan"), float("inf"), -0.0, 1e308))
    if pick == 3:
        return rng.choice((Decimal("1.5"), Decimal("NaN"), Decimal("1e99999"), Decimal("-Infinity")))
    if pick == 4:
        return rng.choice((True, False, None))
    if pick == 5:
        return "x" * rng.choice((1000, 100_000))
    if pick == 6:
        return rng.choice(("2026-12-01T10:00:00+08:00", "2026-12-01T10:00:00", "2026-12-01", "9999-12-31T23:59:59+14:00",
                           "0001-01-01T00:00:00-14:00", "tomorrow", "2026-02-30T00:00:00Z"))
    if pick == 7:
        return rng.choice((dt.datetime(2026, 12, 1, 10), dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone.utc),
                           dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-14))),
                           dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))),
                           dt.datetime(2026, 1, 1, tzinfo=_BadTz()), dt.date(2026, 1, 1)))
    if pick == 8:
        return rng.choice(("500 CNY", "CNY 5,000.00", "1e9 USD", "-5 EUR", "5 cny", "五百元", {"amount": "5"},
                           {"amount": _Hostile(), "currency": "CNY"}))
    if pick == 9:
        return _Hostile()
    if pick == 10:
        return _BadStr(rng.choice(("product_quality", "yes", "2026-12-01T10:00:00+08:00", "5 CNY")))
    if pick == 11:
        nested: Any = []
        for _ in range(rng.choice((3, 50, 1200))):
            nested = [nested]
        return nested
    if pick == 12 and depth < 3:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if pick == 13 and depth < 3:
        return {str(rng.randrange(5)): _value(rng, depth + 1) for _ in range(rng.randrange(3))}
    if pick == 14:
        return b"\xff\xfe"
    if pick == 15:
        return rng.choice(("1 day", "2 hours", "-3 days", "99999999999 days", "P1D", "PT2H"))
    if pick == 16:
        return object()
    if pick == 17:
        return {"at": "2026-12-01T10:00:00+08:00", "satisfied": rng.choice((True, "no", _Hostile()))}
    return rng.choice((0, 1, 2, "a", "b", True, [], {}, "2026-12-01T10:00:00+08:00"))


def record(rng: random.Random, fields: list[str], good: dict[str, Any]) -> Any:
    """A record: a good one with a few fields replaced, or a hostile whole."""
    shape = rng.randrange(12)
    if shape == 0:
        return rng.choice(("{", "[]", '{"id": "\\ud800"}', "{" * 1000, '{"id": ' + "9" * 5000 + "}", b"\xff", 5,
                           None, _Hostile(), ["id"]))
    data = dict(good)
    for _ in range(rng.randint(1, 4)):
        name = rng.choice([*fields, "id", "follow_ups", "unknown", ""])
        data[name] = _value(rng)
    if shape == 1:
        try:
            return json.dumps(data, default=repr)
        except Exception:  # noqa: BLE001 - a hostile value cannot be JSON text: keep the dict
            return data
    if shape == 2:
        return _HostileMapping(data, rng.choice([*fields, "id"]))
    return data


class _HostileMapping(dict):
    """A mapping whose ``get`` raises for one key."""

    def __init__(self, data, bad):
        super().__init__(data)
        self.bad = bad

    def get(self, key, default=None):
        if key == self.bad:
            raise RuntimeError("get")
        return super().get(key, default)

    def __getitem__(self, key):
        if key == self.bad:
            raise RuntimeError("getitem")
        return super().__getitem__(key)


@dataclasses.dataclass
class Report:
    mutants: int = 0
    loaded: int = 0
    records: int = 0
    decided: int = 0
    findings: list[str] = dataclasses.field(default_factory=list)
    kinds: Counter = dataclasses.field(default_factory=Counter)
    seconds: float = 0.0

    def render(self) -> str:
        return (f"{self.mutants} mutants ({self.loaded} loaded), {self.records} records ({self.decided} decided): "
                f"{len(self.findings)} findings in {self.seconds:.1f} s")


def _finding(report: Report, what: str, exc: BaseException) -> None:
    report.kinds[type(exc).__name__] += 1
    report.findings.append(f"{what}: {type(exc).__name__}: {str(exc)[:200]!r}")


def _decide(policy, raw: Any, report: Report, what: str) -> None:
    report.records += 1
    try:
        decision = policy.evaluate(raw)
    except ComplaintRulesError:
        decision = None
    except Exception as exc:  # noqa: BLE001 - the finding
        _finding(report, f"evaluate {what}", exc)
        return
    try:
        oracle = policy.interpret(raw)
    except ComplaintRulesError:
        oracle = None
    except Exception as exc:  # noqa: BLE001 - the finding
        _finding(report, f"interpret {what}", exc)
        return
    if (decision is None) != (oracle is None) or (decision is not None and decision != oracle):
        report.findings.append(f"{what}: the compiled evaluator and the interpreter disagree")
        return
    if decision is not None:
        report.decided += 1
        try:
            decision.to_json().encode("utf-8")
        except Exception as exc:  # noqa: BLE001 - the finding
            _finding(report, f"to_json {what}", exc)


def run(mutants: int, records: int, seed: int = 1, paths: list[Path] | None = None) -> Report:
    """Load ``mutants`` mutated policies, then decide ``records`` generated records; count the findings.

    ``paths`` are the policies to mutate and decide with (default: every bundled one).
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    report = Report()
    paths = paths or bundled()
    sources = _sources(paths)
    decided_policies = []
    for index in range(mutants):
        name, fmt, text = sources[index % len(sources)]
        mutant = mutate(rng, text, fmt)
        report.mutants += 1
        try:
            policy = cr.loads(mutant, format=fmt, name=name)
        except cr.PolicyError as exc:
            if exc.line is None or exc.column is None or not exc.file:
                report.findings.append(f"mutant {seed}/{index} ({name}): unlocated PolicyError: {exc.message[:100]!r}")
            continue
        except Exception as exc:  # noqa: BLE001 - the finding
            _finding(report, f"mutant {seed}/{index} ({name})", exc)
            continue
        report.loaded += 1
        if len(decided_policies) < 8:
            decided_policies.append(policy)
    policies = [cr.load(p) for p in paths] + decided_policies
    goods = [_good(p) for p in policies]
    for index in range(records):
        k = index % len(policies)
        policy, (fields, good) = policies[k], goods[k]
        _decide(policy, record(rng, fields, good), report, f"record {seed}/{index} ({policy.id})")
    report.seconds = time.perf_counter() - started
    return report


def _good(policy) -> tuple[list[str], dict[str, Any]]:
    """A policy's field names and a record that has its required fields."""
    fields = [f.name for f in policy.ir.record]
    good: dict[str, Any] = {"id": "fuzz"}
    for f in policy.ir.record:
        if f.required:
            good[f.name] = "2026-12-01T10:00:00+08:00" if f.type.kind == "datetime" else (
                f.type.members[0] if f.type.members else "1")
    return fields, good


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=2000, help="mutated policies to load (default 2000)")
    parser.add_argument("--records", type=int, default=20000, help="generated records to decide (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    report = run(args.mutants, args.records, args.seed)
    print(report.render())
    for kind, count in report.kinds.most_common():
        print(f"  {count} x {kind}")
    for line in report.findings[:50]:
        print(f"  {line}")
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
