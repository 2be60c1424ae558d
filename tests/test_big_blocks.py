"""A `first` block of thousands of rules loads, compiles and decides as the interpreter does (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest

from complaint_rules import PolicyError, limits, loads

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
UNITS = ("desk", "north", "south", "west")


def big_policy(n: int, block: str) -> str:
    members = ", ".join(f"c{i}" for i in range(n))
    lines = ['policy "big" {\n  currency CNY\n  calendar "CN"\n  timezone "Asia/Shanghai"\n}',
             "record {", f"  code: enum {{{members}}} = c0", "}", "units { " + "  ".join(UNITS) + " }"]
    if block == "route":
        lines.append("route first {")
        lines += [f"  rule r{i}: code == c{i} -> {UNITS[i % 4]}" for i in range(n)]
        lines += ["  otherwise -> desk", "}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def raised(monkeypatch):
    monkeypatch.setattr(limits, "MAX_POLICY_BYTES", 64 * 1024 * 1024)
    monkeypatch.setattr(limits, "MAX_ENTRIES", 1_000_000)


@pytest.mark.parametrize("n", [201, 10_000])
def test_big_first_block_decides_as_the_interpreter(raised, n):
    policy = loads(big_policy(n, "route"))
    for code, unit, rule in ((f"c{n - 1}", UNITS[(n - 1) % 4], f"r{n - 1}"), ("c0", "desk", "r0"),
                             (f"c{n // 2}", UNITS[(n // 2) % 4], f"r{n // 2}"),
                             (f"c{n - 2}", UNITS[(n - 2) % 4], f"r{n - 2}")):
        record = {"id": "x", "received_at": "2026-03-02T10:00:00+08:00", "code": code}
        compiled, oracle = policy.evaluate(record, NOW), policy.interpret(record, NOW)
        assert compiled.routes == oracle.routes == (unit,)
        assert compiled.rule_ids == oracle.rule_ids
        assert rule in compiled.rule_ids
        assert [r for r in compiled.rule_ids if r.startswith("r")] == [rule]


def test_a_block_over_the_limit_is_a_located_policy_error():
    with pytest.raises(PolicyError) as caught:
        loads(big_policy(limits.MAX_ENTRIES + 1, "route"))
    assert ":10:1:" in str(caught.value) and "too many entries" in str(caught.value)
