"""The compliance diff on fixture pairs: one per change kind, a branch overlay, git specs, formats and the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import complaint_rules
from complaint_rules.cli import main
from complaint_rules.compare import PolicyDiff, diff

FIX = Path(__file__).parent / "diff_fixtures"
ROOT = Path(__file__).parent.parent


def run(old: str, new: str, **kw) -> PolicyDiff:
    return diff(FIX / old, FIX / new, **kw)


def outputs(d: PolicyDiff) -> set[str]:
    return {c.output for c in d.semantic}


def test_package_exposes_diff():
    d = complaint_rules.diff(FIX / "base.policy", FIX / "cap_changed.policy")
    assert isinstance(d, PolicyDiff) and not d.empty


def test_identical_and_reformatted_are_equivalent():
    for other in ("base.policy", "reformatted.policy"):
        d = run("base.policy", other)
        assert d.empty and not d.structural and d.semantic == []
        assert "equivalent" in d.render("text")


def test_rule_added():
    d = run("base.policy", "rule_added.policy")
    assert [(c.kind, c.block, c.key) for c in d.structural] == [("added", "classify", "court")]
    level = [c for c in d.semantic if c.output == "level"]
    assert {(c.old, c.new) for c in level} == {("general", "major"), ("intermediate", "major")}
    assert all("external has any {court}" in c.condition for c in level)
    assert {"routes", "owner", "remedy tier", "obligation report_serious"} <= outputs(d)


def test_rule_removed():
    d = run("base.policy", "rule_removed.policy")
    assert [(c.kind, c.key) for c in d.structural] == [("removed", "powertrain")]
    level = {(c.old, c.new) for c in d.semantic if c.output == "level"}
    assert level == {("major", "general"), ("major", "intermediate")}


def test_condition_changed_names_the_interval():
    d = run("base.policy", "condition_changed.policy")
    assert [(c.kind, c.key, c.field) for c in d.structural] == [("changed", "large_loss", "when")]
    (level,) = [c for c in d.semantic if c.output == "level"]
    assert (level.old, level.new) == ("general", "intermediate")
    assert "claimed_amount in [1000 CNY, 5000 CNY)" in level.condition
    assert "repeat_count < 2" in level.condition
    assert level.verified is True
    amount = int(level.witness["claimed_amount"].split()[0])
    assert 1000 <= amount < 5000


def test_outcome_changed():
    d = run("base.policy", "outcome_changed.policy")
    assert [(c.key, c.field) for c in d.structural] == [("eng", "targets")]
    (routes,) = d.semantic
    assert (routes.output, routes.old, routes.new) == (
        "routes",
        "engineering, customer_service",
        "engineering",
    )
    assert routes.condition == "category != sales_service and level != major"


def test_moved():
    d = run("base.policy", "moved.policy")
    assert [(c.kind, c.key) for c in d.structural] == [("moved", "powertrain")]
    (level,) = [c for c in d.semantic if c.output == "level"]
    assert (level.old, level.new) == ("major", "intermediate")
    assert "demands has any" in level.condition and "claimed_amount >= 5000 CNY" in level.condition


@pytest.mark.parametrize(
    ("name", "output", "old", "new", "where"),
    [
        (
            "deadline_changed",
            "deadline first_contact",
            "2 hours after received_at",
            "1 hour after received_at",
            "category == product_quality",
        ),
        (
            "cap_changed",
            "remedy tier",
            "general: up to 500 CNY by supervisor",
            "general: up to 800 CNY by supervisor",
            "level == general",
        ),
        (
            "approver_changed",
            "remedy tier",
            "intermediate: up to 5000 CNY by general_manager",
            "intermediate: up to 5000 CNY by supervisor",
            "level == intermediate",
        ),
        ("label_changed", "level", 'general "一般抱怨"', 'general "一般投诉"', None),
    ],
)
def test_value_changed(name, output, old, new, where):
    d = run("base.policy", f"{name}.policy")
    assert len(d.structural) == 1 and d.structural[0].kind == "changed"
    mine = [c for c in d.semantic if c.output == output]
    assert [(c.old, c.new) for c in mine] == [(old, new)]
    if where:
        assert mine[0].condition == where
    assert mine[0].verified is True


def test_rate_changed():
    d = run("base.policy", "rate_changed.policy")
    assert [(c.key, c.field, c.old, c.new) for c in d.structural] == [("repairs", "rate", "30%", "50%")]
    (f,) = d.semantic
    assert f.output == "follow_up" and f.old.startswith("30%") and f.new.startswith("50%")
    assert f.condition == "category == after_sales and level != major and not anonymous"


def test_branch_overlay_against_base():
    d = run("base.policy", "branch.policy")
    kinds = {(c.kind, c.block, c.key) for c in d.structural}
    assert ("removed", "escalate", "repeat") in kinds and ("added", "escalate", "media") in kinds
    by = {c.output: c for c in d.semantic}
    assert by["deadline first_contact"].condition == "category != product_quality"
    assert by["deadline first_contact"].new == "4 business hours after received_at"
    assert by["escalation repeat"].condition == "repeat_count >= 2"
    assert by["escalation media"].condition == "external has any {media}"
    assert by["remedy authority"].condition == "claimed_amount in (500 CNY, 1000 CNY] and level == general"
    # the policy id seeds follow-up sampling, so a renamed branch samples other records
    assert "sample diff-branch/repairs" in by["follow_up"].new
    for c in d.semantic:  # the follow-up witness is renamed until the two samples differ on it
        assert c.verified is True, c.describe()
        assert c.observed_old != c.observed_new, c.describe()


def test_property_follow_up_regimes():
    old, new = (
        ROOT / "policies/property/follow-up-guide.policy",  # seed 001 part 1
        ROOT / "policies/property/follow-up-strict.policy",  # seed 001 part 3
    )
    d = diff(old, new)
    assert not d.empty
    follow = [c for c in d.semantic if c.output == "follow_up"]
    # part 1's lead / project manager / assistant against part 3's administrators, and part 1's 5-day window
    assert follow and all("administrator" in c.new and "administrator" not in c.old for c in follow)
    assert any("5 days" in c.old for c in follow)
    assert any("valid under one policy only" in n for n in d.notes)  # the two name their categories differently


def test_formats():
    d = run("base.policy", "condition_changed.policy")
    data = json.loads(d.render("json"))
    assert data["structural"][0]["key"] == "large_loss"
    assert PolicyDiff.model_validate(data).semantic[0].condition == d.semantic[0].condition
    md = d.render("markdown")
    assert md.startswith("### Policy diff") and "| `claimed_amount in [1000 CNY, 5000 CNY)" in md
    with pytest.raises(ValueError):
        d.render("pdf")


def test_impact_counts_changes(tmp_path):
    corpus = tmp_path / "c.jsonl"
    rows = [
        {"id": "a", "received_at": "2026-12-01T10:00:00+08:00", "claimed_amount": "3000 CNY"},
        {"id": "b", "received_at": "2026-12-01T10:00:00+08:00", "claimed_amount": "100 CNY"},
        {"id": "c", "received_at": "2026-12-01T10:00:00+08:00", "claimed_amount": "4000 CNY"},
        {"id": "bad", "received_at": "yesterday"},
    ]
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    d = run("base.policy", "condition_changed.policy", corpus=corpus)
    i = d.impact
    assert (i.records, i.changed, i.errors) == (5, 2, 2)
    level = next(o for o in i.outputs if o.output == "level")
    assert level.changed == 2
    assert [(t.old, t.new, t.count, t.examples) for t in level.transitions] == [
        ("general", "intermediate", 2, ["a", "c"])
    ]
    assert "2 of 5 record(s) decided differently" in d.render("text")


def test_cli_exit_codes_and_formats(tmp_path, capsys):
    assert main(["diff", str(FIX / "base.policy"), str(FIX / "reformatted.policy")]) == 0
    assert main(["diff", str(FIX / "base.policy"), str(FIX / "cap_changed.policy"), "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{") :])["structural"][0]["block"] == "compensate.tiers"
    assert main(["diff", str(FIX / "base.policy"), str(tmp_path / "nope.policy")]) == 2
    assert "no such file" in capsys.readouterr().err
    broken = tmp_path / "broken.policy"
    broken.write_text('policy "x" {\n', encoding="utf-8")
    assert main(["diff", str(FIX / "base.policy"), str(broken)]) == 2
    assert "broken.policy:" in capsys.readouterr().err


# Justified: `REV:path` specs run the git executable; on a machine without git there is no revision to
# resolve (CI has git, so there it runs).
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_revision_specs_resolve_extends_in_the_revision(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "p").mkdir()
    shutil.copy(FIX / "base.policy", repo / "p/base.policy")
    shutil.copy(FIX / "branch.policy", repo / "p/branch.policy")
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=repo, check=True)
    # the working tree's base changes after the commit: the revision must still use its own base
    shutil.copy(FIX / "cap_changed.policy", repo / "p/base.policy")
    monkeypatch.chdir(repo)
    d = diff("HEAD:p/branch.policy", "p/branch.policy")
    assert [c.key for c in d.structural] == [] and d.semantic == []  # branch overrides tier general in both
    d = diff("HEAD:p/base.policy", "p/base.policy")
    assert [(c.block, c.key) for c in d.structural] == [("compensate.tiers", "general")]
    assert main(["diff", "HEAD:p/missing.policy", "p/base.policy"]) == 2
