"""YAML policies in editors: the schema shipped in the package, the yaml-language-server line, and the
schema's patterns for durations and field types (they agree with the grammar)."""

from __future__ import annotations

import json
import re

import pytest

import complaint_rules
from complaint_rules import PolicyError
from complaint_rules.cli import main
from complaint_rules.language.frontend import dsl
from complaint_rules.language.schema import (
    DURATION,
    FIELD_TYPE,
    json_schema,
    modeline,
    schema_file,
    schema_text,
)

DEALER = "examples/dealer.policy"


def test_the_shipped_schema_is_the_one_the_library_makes():
    # Regenerate with: complaint-rules schema -o src/complaint_rules/schema/policy.yaml.json
    assert schema_file().read_text(encoding="utf-8") == schema_text()
    assert json.loads(schema_text()) == json_schema()


def test_schema_command_prints_the_file_and_its_path(capsys):
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_file().read_text(encoding="utf-8")
    assert main(["schema", "--path"]) == 0
    assert capsys.readouterr().out == f"{schema_file()}\n"


def test_convert_writes_the_yaml_language_server_line(monkeypatch, capsys, tmp_path):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    assert main(["convert", DEALER, "--to", "yaml", "--schema", "policy.schema.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# yaml-language-server: $schema=policy.schema.json\npolicy:\n")
    assert out == modeline("policy.schema.json") + complaint_rules.load(DEALER).to_yaml()
    assert complaint_rules.loads(out, format="yaml") == complaint_rules.load(DEALER)  # a comment, nothing more
    assert main(["convert", DEALER, "--to", "dsl", "--schema", "x.json"]) == 2
    assert "use it with --to yaml" in capsys.readouterr().err


def _parses(text: str, kind: str) -> bool:
    try:
        dsl.parse_fragment(text, kind)
    except PolicyError:
        return False
    return True


@pytest.mark.parametrize("text", [
    "2 hours", "1 hour", "1 working day", "3 working days", "4 business hours", "30 minutes", "1 week", "2 months",
    "1 year", "3d", "2h", "45min", "1wd", "8bh", "1mo", "1day", "end of day", "end of 2 working days", "0.5 hours",
    "2 hourz", "soon", "2", "hours", "1 workday", "end of", "1 business day", "2 h", "-1 day", "1  working   day",
])  # fmt: skip
def test_the_duration_pattern_agrees_with_the_grammar(text):
    assert bool(re.match(DURATION, text)) == _parses(text, "due"), text


@pytest.mark.parametrize("text", [
    "text", "int", "bool", "decimal", "date", "datetime", "duration", "money", "money CNY", "enum {a, b}",
    "enum {a}", "set of enum {x, y_z}", "text required", 'int = 0 required "count"',
    "txt", "money cny", "enum {}", "enum {A}", "set {a}", "enum {a,}", "list",
])  # fmt: skip
def test_the_field_type_pattern_accepts_what_the_grammar_reads(text):
    valid = _parses_field(text)
    assert bool(re.match(FIELD_TYPE, text)) == valid, text


_FIELD_KINDS = ("bool", "int", "decimal", "money", "text", "date", "datetime", "duration")


def _parses_field(text: str) -> bool:
    # The grammar reads any name as a type; the checker knows the kinds: a field is valid when both accept it.
    source = f'policy "p" {{\n}}\nrecord {{\n  f: {text}\n}}\n'
    try:
        policy = dsl.parse(source)
    except PolicyError:
        return False
    [field] = policy.record
    return field.type.kind in (*_FIELD_KINDS, "enum", "set")


def test_the_schema_refuses_a_misspelt_duration_and_type_in_a_policy():
    import jsonschema
    import yaml

    data = yaml.safe_load(
        "policy: {id: p}\nrecord: {a: txt, b: {type: integr}, c: text}\n"
        "deadlines: [{id: d, clock: c, within: 2 hourz, after: received_at}]\n"
    )
    errors = sorted(".".join(map(str, e.absolute_path)) for e in jsonschema.Draft7Validator(json_schema()).iter_errors(data))
    assert errors == ["deadlines.0.within", "record.a", "record.b"]
