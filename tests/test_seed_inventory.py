"""Issue 20: every rule the seed review found has an answer in `policies/`, and the answer holds.

`policies/SEED-INVENTORY.md` is a copy of the review's inventory (the development tree's `shared/SEED-REVIEW.md`,
sections 4 and 7), so that a clean clone can run this. Each policy folder's README has a "Seed inventory" table,
`| row | clause | mark | answer |`, with one row per inventory row it owns. An answer is one of

* `rule ...`: the rules (or units, options, fields) in backticks that encode it, in a policy of that folder;
* `choice: ...`: the policy keeps its own reading, and says why;
* `known limit: ... needs ...`: the language cannot say it yet; the construct it would need is named.

A MISSING row must now be encoded (`rule`), and so must a DIFFERENT row that now follows the seed: such a rule
cites the row id in its comment, and an embedded test citing the row id exercises it.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules import ir

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
INVENTORY = POLICIES / "SEED-INVENTORY.md"
FOLDERS = {"T": "property", "LG": "property", "P1": "property", "P2": "property", "P3": "property",
           "D1": "automotive", "D2": "automotive", "D3": "automotive", "D4": "automotive", "D5": "automotive",
           "C": "callcenter", "M": "retail", "K": "hospitality"}  # fmt: skip
ROW_ID = re.compile(r"\b(?:DM|T|LG|P[1-3]|D[1-5]|C|M|K)-\d+\b")
ANSWER_HEAD = "| row | clause | mark | answer |"
KINDS = {
    "ENCODED": {"rule", "choice"},
    "DIFFERENT": {"rule", "choice"},
    "MISSING": {"rule"},
    "NOT EXPRESSIBLE": {"rule", "known limit"},
}


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


@cache
def inventory() -> dict[str, dict[str, str]]:
    """The inventory rows by id: the review's rule rows (section 7) and DOMAIN.md's misreadings (DM-, section 4)."""
    rows: dict[str, dict[str, str]] = {}
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| ") or not ROW_ID.fullmatch(cells(line)[0]):
            continue
        c = cells(line)
        assert c[0] not in rows, f"inventory row {c[0]} twice"
        if c[0].startswith("DM-"):
            rows[c[0]] = {"id": c[0], "clause": "DOMAIN.md", "mark": "MISREAD", "rule": c[1]}
        else:
            rows[c[0]] = {"id": c[0], "clause": c[1], "rule": c[2], "mark": c[5].strip("*")}
    return rows


@cache
def answers() -> list[dict[str, str]]:
    """Every answer row of every README under policies/, with the folder it is in."""
    found = []
    for readme in sorted(POLICIES.glob("*/README.md")):
        in_table = False
        for n, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() == ANSWER_HEAD:
                in_table = True
            elif in_table and line.startswith("|---"):
                continue
            elif in_table and line.startswith("| "):
                c = cells(line)
                assert len(c) == 4, f"{readme}:{n}: an answer row has four cells"
                found.append({"id": c[0], "clause": c[1], "mark": c[2], "answer": c[3],
                              "folder": readme.parent.name, "where": f"{readme.relative_to(ROOT)}:{n}"})
            else:
                in_table = False
    return found


def kind(answer: str) -> str:
    for k in ("known limit", "choice", "rule"):
        if answer.startswith(k):
            return k
    return ""


@cache
def folder_policies(folder: str) -> dict[str, complaint_rules.Policy]:
    return {p.name: complaint_rules.load(p) for p in sorted((POLICIES / folder).glob("*.policy"))}


def rule_names(policy: complaint_rules.Policy) -> set[str]:
    p = policy.ir
    names = {r.id for r in ir.all_rules(p)} | {i.id for i in p.invariants}
    names |= {f"{block}.otherwise" for block in ("classify", "route")
              if getattr(p, block) is not None and getattr(p, block).otherwise is not None}  # fmt: skip
    return names


def other_names(policy: complaint_rules.Policy) -> set[str]:
    p = policy.ir
    names = {u.id for u in p.units} | {f.name for f in p.record} | {lv.id for lv in p.levels}
    names |= {d.clock for d in p.deadlines} | {m for f in p.record for m in f.type.members}
    if p.compensate is not None:
        names |= {o.id for o in p.compensate.options}
    return names


def cited(answer: str) -> list[str]:
    return re.findall(r"`([a-z_][a-z0-9_.]*)`", answer)


# What an embedded test expects of a block's `otherwise`, which has no id to name in `rules`.
OTHERWISE_KEYS = {"classify": {"level", "label"}, "route": {"routes", "owner"}, "follow_up": {"follow_up", "follow_up_by"}}


def rules_expected_by_tests(policy: complaint_rules.Policy, row: str) -> set[str]:
    """The rules that an embedded test citing the row (in its comment) expects to fire."""
    seen: set[str] = set()
    for test in policy.ir.tests:
        if row not in ROW_ID.findall(" ".join(test.comments)):
            continue
        for e in test.expect:
            if e.key in ("rules", "obligations", "escalations"):
                seen |= {str(v) for v in e.value}
            seen |= {f"{block}.otherwise" for block, keys in OTHERWISE_KEYS.items() if e.key in keys}
    return seen


def rule_comment(policy_path: Path, rule: str) -> str:
    """The comment lines right above `rule ID:` in the policy's source."""
    lines = policy_path.read_text(encoding="utf-8").splitlines()
    block = rule.removesuffix(".otherwise") if rule.endswith(".otherwise") else None
    inside = None
    for n, line in enumerate(lines):
        if block and re.match(r"[a-z_]+ ", line):
            inside = line.split()[0]
        if (block and inside == block and re.match(r"\s+otherwise\b", line)) or (
            not block and re.match(rf"\s*rule {re.escape(rule)}\b", line)
        ):
            above = []
            for prev in reversed(lines[:n]):
                if not prev.strip().startswith("#"):
                    break
                above.append(prev)
            return "\n".join(above)
    return ""


# ---------------------------------------------------------------------------- the inventory copy


def test_the_inventory_copy_is_the_whole_review():
    rows = inventory()
    marks = Counter(r["mark"] for r in rows.values())
    assert marks == {"ENCODED": 164, "MISSING": 44, "DIFFERENT": 23, "NOT EXPRESSIBLE": 18, "MISREAD": 14}
    assert {r.split("-")[0] for r in rows} == set(FOLDERS) | {"DM"}


# ---------------------------------------------------------------------------- one answer per row, in its folder


def test_every_row_has_exactly_one_answer_in_the_readme_of_its_folder():
    by_id = Counter(a["id"] for a in answers() if not a["id"].startswith("DM-"))
    rows = {i: r for i, r in inventory().items() if not i.startswith("DM-")}
    assert sorted(set(rows) - set(by_id)) == []  # unanswered
    assert sorted(set(by_id) - set(rows)) == []  # answers to no row
    assert sorted(i for i, n in by_id.items() if n > 1) == []  # answered twice
    for a in answers():
        if a["id"].startswith("DM-"):
            continue
        row = rows[a["id"]]
        assert a["folder"] == FOLDERS[a["id"].split("-")[0]], a["where"]
        assert (a["clause"], a["mark"]) == (row["clause"], row["mark"]), a["where"]


def test_every_domain_misreading_is_answered_in_a_readme():
    said = {a["id"] for a in answers() if a["id"].startswith("DM-")}
    assert sorted({i for i in inventory() if i.startswith("DM-")} - said) == []
    for a in answers():
        if a["id"].startswith("DM-"):
            assert a["id"] in inventory(), a["where"]
            assert (a["clause"], a["mark"]) == ("DOMAIN.md", "MISREAD"), a["where"]
            assert len(a["answer"]) > 20, a["where"]


@pytest.mark.parametrize("answer", [a for a in answers() if not a["id"].startswith("DM-")], ids=lambda a: a["id"])
def test_the_answer_fits_the_mark(answer):
    k = kind(answer["answer"])
    assert k in KINDS[answer["mark"]], f"{answer['where']}: a {answer['mark']} row cannot be answered by {k!r}"
    if k == "known limit":
        assert " needs " in answer["answer"], f"{answer['where']}: a known limit names the construct it needs"
    if k == "choice":
        assert len(answer["answer"]) > len("choice: ") + 20, f"{answer['where']}: a choice says why"


# ---------------------------------------------------------------------------- the answers hold


@pytest.mark.parametrize("answer", [a for a in answers() if kind(a["answer"]) == "rule"], ids=lambda a: a["id"])
def test_the_rules_an_answer_names_exist(answer):
    policies = folder_policies(answer["folder"]).values()
    rules = set().union(*(rule_names(p) for p in policies))
    known = rules | set().union(*(other_names(p) for p in policies))
    names = cited(answer["answer"].split(";")[0])  # what follows a ';' may name a gap, not a rule
    assert names, f"{answer['where']}: a rule answer names its rules in backticks"
    assert [n for n in names if n not in known] == [], answer["where"]
    assert set(names) & rules, f"{answer['where']}: at least one of them is a rule"


CHANGED = [a for a in answers() if a["mark"] in ("MISSING", "DIFFERENT", "NOT EXPRESSIBLE") and kind(a["answer"]) == "rule"]


@pytest.mark.parametrize("answer", CHANGED, ids=lambda a: a["id"])
def test_a_row_encoded_now_is_cited_by_its_rule_and_by_an_embedded_test(answer):
    folder = POLICIES / answer["folder"]
    names = cited(answer["answer"].split(";")[0])
    hits = []
    for path in sorted(folder.glob("*.policy")):
        policy = folder_policies(answer["folder"])[path.name]
        for name in set(names) & rule_names(policy):
            if answer["id"] in ROW_ID.findall(rule_comment(path, name)) and name in rules_expected_by_tests(policy, answer["id"]):
                hits.append(f"{path.name}:{name}")
    assert hits, (f"{answer['where']}: none of {names} both cites {answer['id']} in its comment and is expected "
                  f"by an embedded test whose comment cites {answer['id']}")  # fmt: skip


def test_row_ids_cited_in_policies_are_real_rows_of_their_folder():
    for path in sorted(POLICIES.glob("*/*.policy")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "#" not in line:
                continue
            for row in ROW_ID.findall(line[line.index("#"):]):
                assert row in inventory(), f"{path.relative_to(ROOT)}:{n}: {row} is no inventory row"
                assert row.startswith("DM-") or FOLDERS[row.split("-")[0]] == path.parent.name, f"{path.relative_to(ROOT)}:{n}: {row}"
