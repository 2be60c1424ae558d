"""The public API: load, loads, Policy equality, fingerprints, pickling, conversions."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from strategies_ir import policies

import complaint_rules
from complaint_rules import PolicyError, load, loads
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy
from complaint_rules.language.printer import print_policy
from complaint_rules.language.yaml_printer import to_yaml
from complaint_rules.policy import fingerprint

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "policies").rglob("*.policy"))


STANDALONE = [p for p in BUNDLED if load(p).source.extends is None]
OVERLAYS = [p for p in BUNDLED if p not in STANDALONE]


@pytest.mark.parametrize("path", STANDALONE, ids=lambda p: p.name)
def test_bundled_policy_means_the_same_in_yaml(path):
    policy = load(path)
    again = loads(policy.to_yaml(), format="yaml", name=path.with_suffix(".yaml").name)
    assert again == policy
    assert again.fingerprint == policy.fingerprint


@pytest.mark.parametrize("path", OVERLAYS, ids=lambda p: p.name)
def test_bundled_overlay_means_the_same_in_yaml(path, tmp_path):
    # An overlay's YAML form is an overlay too: written beside a copy of its base, it loads to the same policy.
    policy = load(path)
    for sibling in path.parent.glob("*.policy"):
        shutil.copy(sibling, tmp_path / sibling.name)
    (tmp_path / path.name).unlink()
    yaml_path = tmp_path / path.with_suffix(".yaml").name
    yaml_path.write_text(policy.to_yaml(), encoding="utf-8")
    again = load(yaml_path)
    assert again.source.extends == policy.source.extends
    assert again.ir == policy.ir
    assert again.fingerprint == policy.fingerprint


def test_every_bundled_overlay_is_round_tripped():
    # Two overlays since issue 20 made follow-up-strict.policy its own organisation's policy instead of an overlay.
    assert len(OVERLAYS) >= 2 and len(STANDALONE) >= 5


def test_loads_rejects_extends_without_a_file():
    with pytest.raises(PolicyError, match="must be loaded from a file"):
        loads('policy "x" {\n}\nextends "base.policy"\n')


def test_loads_rejects_unknown_format():
    with pytest.raises(ValueError, match="unknown policy format"):
        loads('policy "x" {\n}\n', format="toml")


def test_fingerprint_ignores_layout_comments_and_tests():
    a = dsl.parse('policy "p" {\n}\nclassify first {\n  rule r: x -> major\n  otherwise -> general\n}\n')
    b = dsl.parse('# c\npolicy "p" {}\nclassify first { rule r: x -> major  otherwise -> general }\n'
                  'test "t" {\n  given {}\n  expect { level: general }\n}\n')
    c = dsl.parse('policy "p" {\n}\nclassify first {\n  rule r: x -> intermediate\n  otherwise -> general\n}\n')
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)
    assert fingerprint(a).startswith("sha256:")


@settings(max_examples=40)
@given(policies())
def test_dsl_and_yaml_forms_have_equal_fingerprints(p):
    from_dsl = dsl.parse(print_policy(p), "p.policy")
    from_yaml = fy.parse(to_yaml(p), "p.yaml")
    assert fingerprint(from_dsl) == fingerprint(from_yaml) == fingerprint(p)


def test_policy_equality_hash_and_pickle():
    path = ROOT / "policies" / "retail" / "mall.policy"
    a, b = load(path), load(path)
    assert a == b and hash(a) == hash(b)
    clone = pickle.loads(pickle.dumps(a))
    assert clone == a and clone.fingerprint == a.fingerprint
    assert repr(a).startswith("<Policy 'mall'")


def test_to_dsl_of_an_overlay_stays_an_overlay():
    path = ROOT / "policies" / "hospitality" / "leisure-club-branch.policy"
    policy = load(path)
    assert 'extends "leisure-club.policy"' in policy.to_dsl()
    assert "extends" not in policy.resolved_dsl()
    assert dsl.parse(policy.resolved_dsl()) == policy.ir


def test_public_calendar_factory():
    import datetime as dt

    cal = complaint_rules.calendar("CN", hours="09:00-18:30", timezone="Asia/Shanghai")
    start = dt.datetime.fromisoformat("2026-10-09T10:00+08:00")
    assert cal.add(start, "1 working day").date() == dt.date(2026, 10, 10)
    assert cal.is_working_day(dt.date(2026, 10, 10))
