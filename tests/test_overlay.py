"""Branch overlays: ``extends`` with named overrides, drops, positions and cycles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from complaint_rules import ir
from complaint_rules.errors import PolicyError
from complaint_rules.policy import fingerprint, parse_file

BASE = '''policy "base" {
  version "1"
  currency CNY
  holidays {2026-12-24}
}
units {
  cs "客服部"
  gm "总经理"
}
classify first {
  rule fire: hazards has any {fire} -> major
  rule big: claimed_amount >= 5000 CNY -> intermediate
  otherwise -> general
}
route first {
  rule to_gm: level == major -> gm
  otherwise -> cs
}
deadlines {
  rule contact: first_contact = 1 working day after received_at
}
compensate {
  tier general up to 500 CNY by cs
  tier major up to 5000 CNY by gm
}
test "base only" {
  given {}
  expect { level: general }
}
'''


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_overlay_replaces_adds_places_and_drops(tmp_path):
    write(tmp_path, "base.policy", BASE)
    branch = write(tmp_path, "branch.policy", '''policy "branch" {
  version "2"
  workdays {2026-12-27}
}
extends "base.policy"
drop big
units {
  cs "客户服务部"
  director "总监"
}
classify first {
  rule media before fire: external has any {media} -> major
  rule vip after fire: key_customer -> intermediate
}
deadlines {
  rule contact: first_contact = 4 hours after received_at
}
compensate {
  tier major up to 20000 CNY by director
}
''')
    source, resolved = parse_file(branch)
    assert source.extends == "base.policy"
    assert resolved.extends is None and resolved.drops == ()
    assert resolved.header.id == "branch" and resolved.header.version == "2"
    assert resolved.header.currency == "CNY"
    assert [str(d) for d in resolved.header.holidays] == ["2026-12-24"]
    assert [str(d) for d in resolved.header.workdays] == ["2026-12-27"]
    assert [u.id for u in resolved.units] == ["cs", "gm", "director"]
    assert resolved.units[0].label == "客户服务部"
    assert [r.id for r in resolved.classify.rules] == ["media", "fire", "vip"]
    assert all(r.position is None for r in resolved.classify.rules)
    assert resolved.classify.otherwise == "general"
    assert resolved.route.otherwise == ("cs",)
    assert resolved.deadlines[0].duration == ir.Duration(4, "hours")
    assert [(t.level, t.cap.amount, t.approver) for t in resolved.compensate.tiers] == [
        ("general", Decimal(500), "cs"),
        ("major", Decimal(20000), "director"),
    ]
    assert resolved.tests == ()


def test_overlay_that_changes_nothing_means_the_base(tmp_path):
    write(tmp_path, "base.policy", BASE)
    same = write(tmp_path, "same.policy", 'policy "base" {\n}\nextends "base.policy"\n')
    _, base = parse_file(tmp_path / "base.policy")
    _, resolved = parse_file(same)
    assert fingerprint(resolved) == fingerprint(base)


def test_overlay_chains_resolve_in_order(tmp_path):
    write(tmp_path, "base.policy", BASE)
    write(tmp_path, "mid.policy", 'policy "mid" {\n}\nextends "base.policy"\ndrop big\n')
    top = write(tmp_path, "top.policy", 'policy "top" {\n}\nextends "mid.policy"\n'
                'classify first {\n  rule big: claimed_amount >= 100 CNY -> intermediate\n}\n')
    _, resolved = parse_file(top)
    assert [r.id for r in resolved.classify.rules] == ["fire", "big"]


def test_extends_cycle_is_rejected_with_the_chain(tmp_path):
    write(tmp_path, "a.policy", 'policy "a" {\n}\nextends "b.policy"\n')
    write(tmp_path, "b.policy", 'policy "b" {\n}\nextends "a.policy"\n')
    with pytest.raises(PolicyError) as info:
        parse_file(tmp_path / "a.policy")
    message = info.value.render()
    assert "'extends' makes a cycle" in message
    assert ":3:1:" in message and "^~~~~~~" in message


def test_self_extension_is_a_cycle(tmp_path):
    write(tmp_path, "self.policy", 'policy "s" {\n}\nextends "self.policy"\n')
    with pytest.raises(PolicyError, match="cycle"):
        parse_file(tmp_path / "self.policy")


def test_missing_base_and_bad_drop_and_bad_position(tmp_path):
    write(tmp_path, "nobase.policy", 'policy "n" {\n}\nextends "nowhere.policy"\n')
    with pytest.raises(PolicyError, match="'nowhere.policy', which does not exist"):
        parse_file(tmp_path / "nobase.policy")
    write(tmp_path, "base.policy", BASE)
    bad = write(tmp_path, "bad.policy", 'policy "x" {\n}\nextends "base.policy"\ndrop bigg\n'
                'classify first {\n  rule r before nothere: true -> major\n}\n')
    with pytest.raises(PolicyError) as info:
        parse_file(bad)
    assert len(info.value.diagnostics) == 2
    assert "cannot drop 'bigg'" in str(info.value)
    assert "cannot place rule 'r' before 'nothere'" in str(info.value)
