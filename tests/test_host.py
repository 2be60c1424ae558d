"""The host kit: bundled policies (in the wheel too), the reloading policy store, naive date-times."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import complaint_rules
from complaint_rules import PolicyError, PolicyStore, RecordError

ROOT = Path(__file__).resolve().parent.parent

DEALER = """policy "dealer" {
  version "VERSION"
  currency CNY
  timezone "Asia/Shanghai"
}

classify first {
  rule big: claimed_amount >= 5000 CNY -> major
  otherwise -> general
}
"""


# ---------------------------------------------------------------- bundled policies


def test_every_bundled_policy_loads_by_name_and_equals_the_repository_file():
    names = complaint_rules.bundled_names()
    on_disk = sorted(p.stem for p in (ROOT / "policies").glob("*/*.policy"))
    assert list(names) == on_disk
    for name in names:
        policy = complaint_rules.bundled(name)
        [path] = (ROOT / "policies").glob(f"*/{name}.policy")
        assert policy == complaint_rules.load(path)


def test_bundled_takes_a_category_and_a_suffix_and_refuses_an_unknown_name():
    policy = complaint_rules.bundled("automotive/svw-dealer.policy")
    assert policy.id == "svw-dealer"
    with pytest.raises(LookupError, match=r"no bundled policy 'svw-dealr' \(did you mean 'svw-dealer'\?\); "
                                          r"the bundled policies are: .*mall"):
        complaint_rules.bundled("svw-dealr")


def test_bundled_overlay_resolves_its_base():
    shenzhen = complaint_rules.bundled("svw-dealer-shenzhen")
    assert shenzhen.source.extends == "svw-dealer.policy"
    assert shenzhen.ir.header.id == "svw-dealer-shenzhen"


def test_the_wheel_ships_the_bundled_policies_the_grammar_and_the_licence(tmp_path):
    # Built from a copy: a build writes src/*.egg-info, which would shadow the editable install's metadata.
    tree = tmp_path / "tree"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tree / name)
    for name in ("src", "policies", "grammar"):
        shutil.copytree(ROOT / name, tree / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(tree)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    [wheel] = out.glob("complaint_rules-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (ROOT / "policies").glob("*/*"):
        assert f"complaint_rules/policies/{path.parent.name}/{path.name}" in names
    assert "complaint_rules/grammar/policy.lark" in names
    assert "complaint_rules/py.typed" in names
    assert "complaint_rules/schema/policy.yaml.json" in names
    assert "complaint_rules/editor/policy.tmLanguage.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)


def test_licence_is_the_apache_licence_pyproject_names():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert 'license = {text = "Apache-2.0"}' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- naive date-times


def test_assume_timezone_reads_naive_times_as_local_and_keeps_aware_ones():
    policy = complaint_rules.bundled("svw-dealer")
    naive = {"id": "N1", "received_at": dt.datetime(2026, 9, 30, 17, 0)}
    with pytest.raises(RecordError, match="naive date-time"):
        policy.evaluate(naive)
    aware = policy.evaluate({"id": "N1", "received_at": "2026-09-30T17:00+08:00"})
    assert policy.evaluate(naive, assume_timezone="Asia/Shanghai") == aware
    assert policy.evaluate({"id": "N1", "received_at": "2026-09-30T17:00"}, assume_timezone="Asia/Shanghai") == aware
    assert policy.evaluate(naive, assume_timezone=ZoneInfo("Asia/Shanghai")) == aware
    # a time that has its offset keeps it, whatever zone is assumed
    assert policy.evaluate({"id": "N1", "received_at": "2026-09-30T17:00+08:00"},
                           assume_timezone="America/New_York") == aware  # fmt: skip
    # another zone is another instant: 17:00 in New York is 05:00 the next day in Shanghai
    other = policy.evaluate(naive, assume_timezone="America/New_York")
    assert other.deadline("first_contact") != aware.deadline("first_contact")


def test_assume_timezone_applies_to_follow_ups_and_decides_as_the_interpreter():
    policy = complaint_rules.bundled("lychee-garden")
    record = {"id": "F1", "received_at": dt.datetime(2026, 11, 2, 9, 0), "resolved_at": "2026-11-03T10:00",
              "follow_ups": [{"at": dt.datetime(2026, 11, 4, 9, 0), "satisfied": True}]}  # fmt: skip
    decided = policy.evaluate(record, assume_timezone="Asia/Shanghai")
    assert decided == policy.interpret(record, assume_timezone="Asia/Shanghai")
    _, values = policy.compiled.coercer("Asia/Shanghai")(record)
    assert values["last_follow_up_at"] == dt.datetime(2026, 11, 4, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert values["resolved_at"].utcoffset() == dt.timedelta(hours=8)


def test_assume_timezone_refuses_an_unknown_zone_and_still_names_bad_fields():
    policy = complaint_rules.bundled("svw-dealer")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        policy.evaluate({"id": "N1", "received_at": "2026-09-30T17:00"}, assume_timezone="Mars/Olympus")
    with pytest.raises(RecordError, match="received_at: expected an ISO 8601 date-time"):
        policy.evaluate({"id": "N1", "received_at": "soon"}, assume_timezone="Asia/Shanghai")


def test_loads_reads_yml_as_yaml():
    policy = complaint_rules.bundled("mall")
    assert complaint_rules.loads(policy.to_yaml(), format="yml") == policy
    with pytest.raises(ValueError, match="unknown policy format 'toml'"):
        complaint_rules.loads(policy.to_yaml(), format="toml")  # type: ignore[arg-type]


# ---------------------------------------------------------------- the policy store


def _write(path: Path, text: str) -> None:
    # A new mtime even on file systems with coarse timestamps: the size or the inode changes too, or
    # the mtime is moved on explicitly.
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_store_loads_a_directory_and_reloads_only_on_change(tmp_path):
    _write(tmp_path / "dealer.policy", DEALER.replace("VERSION", "1"))
    (tmp_path / "branch").mkdir()
    _write(tmp_path / "branch" / "branch.policy",
           'policy "branch" {\n  version "b1"\n}\n\nextends "../dealer.policy"\n')  # fmt: skip
    store = PolicyStore(tmp_path)
    assert sorted(store) == ["branch", "dealer"] and len(store) == 2 and not store.errors
    assert store.refresh() == complaint_rules.Refresh()  # nothing changed: nothing read
    first = store["dealer"]
    _write(tmp_path / "dealer.policy", DEALER.replace("VERSION", "2").replace("5000", "9000"))
    report = store.refresh()
    assert report.changed and report.loaded == ("branch", "dealer") and not report.failed
    assert store["dealer"].version == "2" and store["dealer"] is not first
    record = {"id": "S1", "received_at": "2026-11-02T10:00+08:00", "claimed_amount": "6000 CNY"}
    decision = store.evaluate("branch", record)  # the overlay follows its changed base
    assert decision.level == "general" and decision.policy_version == "b1"


def test_store_keeps_the_last_good_version_and_reports_the_failed_file(tmp_path):
    path = tmp_path / "dealer.policy"
    _write(path, DEALER.replace("VERSION", "1"))
    store = PolicyStore(tmp_path)
    good = store["dealer"]
    _write(path, DEALER.replace("VERSION", "2").replace("claimed_amount", "claimed_amout"))
    report = store.refresh()
    assert report.changed and report.loaded == ()
    [(failed, error)] = report.failed.items()
    assert failed == str(path) and isinstance(error, PolicyError)
    assert error.line == 8 and "unknown field 'claimed_amout'" in error.message
    assert store["dealer"] is good and store.errors == report.failed
    decision = store.evaluate("dealer", {"id": "S2", "received_at": "2026-11-02T10:00+08:00"})
    assert decision.policy_version == "1" and decision.fingerprint == good.fingerprint
    _write(path, DEALER.replace("VERSION", "3"))
    report = store.refresh()
    assert report.loaded == ("dealer",) and not report.failed and not store.errors
    assert store["dealer"].version == "3"


def test_store_drops_removed_files_and_refuses_duplicate_ids(tmp_path):
    _write(tmp_path / "a.policy", DEALER.replace("VERSION", "1"))
    _write(tmp_path / "b.policy", DEALER.replace("VERSION", "2"))
    store = PolicyStore(tmp_path)
    assert list(store) == ["dealer"] and store["dealer"].version == "1"
    [(failed, error)] = store.errors.items()
    assert failed.endswith("b.policy") and "policy id 'dealer' is also the id of" in error.message
    assert error.file is not None and error.file.endswith("b.policy") and error.line == 1
    (tmp_path / "a.policy").unlink()
    report = store.refresh()
    assert report.removed == () and report.loaded == ("dealer",) and store["dealer"].version == "2"
    (tmp_path / "b.policy").unlink()
    report = store.refresh()
    assert report.removed == ("dealer",) and len(store) == 0
    with pytest.raises(KeyError, match="no policy 'dealer'"):
        store.evaluate("dealer", {"id": "S3", "received_at": "2026-11-02T10:00+08:00"})


def test_store_refuses_a_file_instead_of_a_directory(tmp_path):
    _write(tmp_path / "a.policy", DEALER.replace("VERSION", "1"))
    with pytest.raises(NotADirectoryError, match="not a directory of policies"):
        PolicyStore(tmp_path / "a.policy")


def test_store_swaps_whole_states_while_readers_decide(tmp_path):
    path = tmp_path / "dealer.policy"
    _write(path, DEALER.replace("VERSION", "1"))
    store = PolicyStore(tmp_path)
    fingerprints = {"1": store["dealer"].fingerprint}
    seen: list[tuple[str | None, str]] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            d = store.evaluate("dealer", {"id": "T", "received_at": "2026-11-02T10:00+08:00"})
            seen.append((d.policy_version, d.fingerprint))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for version in range(2, 6):
            _write(path, DEALER.replace("VERSION", str(version)))
            store.refresh()
            fingerprints[str(version)] = store["dealer"].fingerprint
    finally:
        stop.set()
        reader.join()
    # every decision names a version and the fingerprint of that very version
    assert seen and all(fp == fingerprints[v] for v, fp in seen if v is not None)
    assert len(set(fingerprints.values())) == 5
