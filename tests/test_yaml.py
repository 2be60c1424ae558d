"""The YAML front end, the YAML printer, the JSON Schema and the convert/schema commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from strategies_ir import policies

from complaint_rules import ir
from complaint_rules.cli import main
from complaint_rules.errors import PolicyError, PolicySyntaxError
from complaint_rules.language.frontend import dsl
from complaint_rules.language.frontend import yaml as fy
from complaint_rules.language.printer import print_policy
from complaint_rules.language.schema import json_schema
from complaint_rules.language.yaml_printer import to_yaml

DOC = Path(__file__).resolve().parent.parent / "docs" / "yaml.md"


def doc_examples() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    policy = re.search(r"^```policy\n(.*?)^```", text, re.DOTALL | re.MULTILINE).group(1)
    yaml_text = re.search(r"^```yaml\n(.*?)^```", text, re.DOTALL | re.MULTILINE).group(1)
    return policy, yaml_text


def head(body: str = "") -> str:
    return "policy:\n  id: p\n" + body


def errors_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        fy.parse(text, "p.yaml")
    return [d.render() for d in info.value.diagnostics]


# ---------------------------------------------------------------------------- the documented example


def test_doc_yaml_example_equals_its_dsl_version():
    policy_text, yaml_text = doc_examples()
    from_dsl = dsl.parse(policy_text, "yaml.md")
    from_yaml = fy.parse(yaml_text, "yaml.md")
    assert from_yaml == from_dsl
    # Every block is there, so the comparison is not vacuous.
    for f in dataclasses.fields(ir.Policy):
        if f.compare and f.name not in ("extends",):
            assert getattr(from_yaml, f.name), f.name


def test_doc_example_spans_point_into_the_yaml():
    _, yaml_text = doc_examples()
    p = fy.parse(yaml_text, "yaml.md")
    rule = p.classify.rules[1]
    line = yaml_text.splitlines()[rule.when.span.line - 1]
    assert line[rule.when.span.column - 1 :].startswith("claimed_amount >= 5000 CNY")
    ref = rule.when.items[1].left
    assert line[ref.span.column - 1 :].startswith("repeat_count")
    field = p.field("received_at")
    assert yaml_text.splitlines()[field.span.line - 1].strip().startswith("received_at:")


def as_editor_sees(x):
    """YAML data as an editor's yaml-language-server reads it (YAML 1.2: dates stay strings)."""
    if isinstance(x, dict):
        return {k: as_editor_sees(v) for k, v in x.items()}
    if isinstance(x, list):
        return [as_editor_sees(v) for v in x]
    return x.isoformat() if isinstance(x, (dt.date, dt.datetime)) else x


def test_doc_example_matches_the_json_schema():
    import jsonschema  # a test dependency (the [test] extra): its absence is an error, not a skip
    import yaml

    schema = json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    _, yaml_text = doc_examples()
    assert list(validator.iter_errors(as_editor_sees(yaml.safe_load(yaml_text)))) == []
    bad = as_editor_sees(yaml.safe_load(yaml_text))
    bad["classify"]["hit"] = "all"
    bad["policy"]["titel"] = "x"
    assert len(list(validator.iter_errors(bad))) == 2


@pytest.mark.parametrize("path", sorted(Path(__file__).parent.parent.glob("policies/**/*.policy")),
                         ids=lambda p: p.name)
def test_every_bundled_policy_in_yaml_matches_the_json_schema(path):
    import jsonschema  # a test dependency (the [test] extra): its absence is an error, not a skip
    import yaml

    from complaint_rules import load

    validator = jsonschema.Draft7Validator(json_schema())
    data = as_editor_sees(yaml.safe_load(load(path).to_yaml()))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)] == []


# ---------------------------------------------------------------------------- round trips (laws)


@settings(max_examples=60, deadline=None)
@given(policies())
def test_yaml_round_trip(p):
    text = to_yaml(p)
    assert fy.parse(text, "p.yaml") == p
    assert to_yaml(fy.parse(text, "p.yaml")) == text  # canonical: printing is a fixed point


@settings(max_examples=60, deadline=None)
@given(policies())
def test_dsl_round_trip(p):
    assert dsl.parse(print_policy(p), "p.policy") == p


def test_dsl_round_trip_keeps_empty_header_strings():
    p = ir.Policy(ir.Header(id="p", title=""))
    assert dsl.parse(print_policy(p)) == p


@settings(max_examples=40, deadline=None)
@given(policies())
def test_yaml_and_dsl_agree(p):
    assert fy.parse(to_yaml(p)) == dsl.parse(print_policy(p))


def test_to_yaml_is_deterministic_across_equal_policies():
    policy_text, _ = doc_examples()
    a = dsl.parse(policy_text)
    b = dsl.parse(print_policy(a))
    assert to_yaml(a) == to_yaml(b)
    assert "  - id: fire\n" in to_yaml(a)


# ---------------------------------------------------------------------------- robustness


def _only_policy_errors(text: str) -> bool:
    """Whether ``text`` parses; a PolicyError with a message is the only other outcome allowed."""
    try:
        fy.parse(text, "fuzz.yaml")
    except PolicyError as exc:
        assert exc.render()
        return False
    return True


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_random_text_raises_only_policy_error(text):
    _only_policy_errors(text)
    try:
        dsl.parse(text, "fuzz.policy")
    except PolicyError:
        pass


def _damaged(p, data) -> str:
    text = to_yaml(p)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 6)))
        text = text[:i] + data.draw(st.text(st.sampled_from(":-[]{}#&*!|>'\"\n ab1%"), max_size=3)) + text[j:]
    return text


@settings(max_examples=60, deadline=None)
@given(policies(), st.data())
def test_damaged_yaml_raises_only_policy_error(p, data):
    assert _only_policy_errors(to_yaml(p))  # the undamaged document parses: the fuzzer starts from valid input
    _only_policy_errors(_damaged(p, data))


def test_some_damaged_yaml_still_parses():
    # The damage is small enough that it sometimes leaves a valid policy (a changed title, a comment): the
    # fuzzer reaches past the first syntax error, not only into it. Found, not shrunk: shrinking took minutes.
    find(st.tuples(policies(), st.data()).map(lambda pd: _damaged(*pd)), _only_policy_errors,
         settings=settings(database=None, max_examples=300, phases=[Phase.generate]))  # fmt: skip


_shapes = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from(["x", "yes", "1 day", "a ==", "30%", "enum"])
    ),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(st.sampled_from(fy.TOP_KEYS + fy.FU_RULE_KEYS), c, max_size=3)
    ),
    max_leaves=20,
)


# Shapes alone, and shapes beside a valid header (so some documents are valid and the rest fail further in).
_documents = st.dictionaries(st.sampled_from(fy.TOP_KEYS), _shapes, max_size=6) | st.builds(
    lambda rest: {"policy": {"id": "x"}, **rest},
    st.dictionaries(st.sampled_from([k for k in fy.TOP_KEYS if k not in ("policy", "extends")]), _shapes, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(_documents)
def test_wrong_shapes_raise_only_policy_error(doc):
    import yaml

    _only_policy_errors(yaml.safe_dump(doc))


def test_some_generated_shapes_are_valid_policies():
    # The documents reach valid policies beyond the header too (e.g. `units: {}` or `tests: []` beside it),
    # so the fuzzer above would notice a parser that rejected everything.
    import yaml

    doc = find(_documents.filter(lambda d: len(d) >= 2),
               lambda d: _only_policy_errors(yaml.safe_dump(d)), settings=settings(database=None, max_examples=2000))  # fmt: skip
    assert "policy" in doc


@pytest.mark.parametrize(
    "text",
    [
        "policy: " + "[" * 3000 + "]" * 3000,
        "policy: &a {id: x, title: *a}\n",
        "drop: &d [*d]\npolicy: {id: x}\n",
        "policy: {id: \x00}\n",
        "policy: {id: x}\n---\npolicy: {id: y}\n",
        "",
        "- a\n",
        "policy:\n\tid: x\n",
    ],
)
def test_hostile_documents_raise_policy_error(text):
    with pytest.raises(PolicyError):
        fy.parse(text, "h.yaml")


def test_aliased_list_used_twice_is_rejected():
    text = head("record:\n  a: {type: enum, members: &m [x, y]}\n  b: {type: set, members: *m}\n")
    (message,) = errors_of(text)
    # The composer keeps no position for the alias itself: the message points at the anchored list.
    assert "aliases" in message and message.startswith("p.yaml:4:28:")


# ---------------------------------------------------------------------------- diagnostics


def test_malformed_yaml_is_a_syntax_error_at_the_problem():
    with pytest.raises(PolicySyntaxError) as info:
        fy.parse("policy:\n  id: x\n  title: [a, b\n", "m.yaml")
    assert info.value.span.location().startswith("m.yaml:4:") or info.value.span.location().startswith(
        "m.yaml:3:"
    )
    assert "malformed YAML" in info.value.message
    assert info.value.render().count("\n") == 2  # message, source line, caret


def test_unknown_key_suggests_and_points_at_the_key():
    (message,) = errors_of(head("  titel: x\n"))
    assert message.splitlines()[0].startswith("p.yaml:3:3: unknown key 'titel'")
    assert "did you mean 'title'?" in message
    assert message.splitlines()[2] == "      ^~~~~"


def test_several_errors_are_collected():
    text = head(
        "classify:\n"
        "  hit: all\n"
        "  rules:\n"
        "    - {id: r, when: a ==, level: major}\n"
        "    - {id: s, wen: b, level: major}\n"
        "record:\n"
        "  c: intt\n"
    )
    messages = errors_of(text)
    assert len(messages) == 5, messages
    joined = "\n".join(messages)
    assert "classify takes hit policy 'first' or 'highest', not 'all'" in joined
    assert "p.yaml:6:25: unexpected end of file" in joined  # inside the condition, mapped into the file
    assert "unknown key 'wen'" in joined and "did you mean 'when'?" in joined
    assert "a classify rule is missing 'when'" in joined
    assert "unknown type 'intt' (did you mean 'int'?)" in joined


def test_fragment_errors_point_into_quoted_and_plain_scalars():
    plain = head("deadlines:\n  - {id: d, clock: c, within: 2 hourz, after: a}\n")
    quoted = head('deadlines:\n  - {id: d, clock: c, within: "2 hourz", after: a}\n')
    for text in (plain, quoted):
        (message,) = errors_of(text)
        column = text.splitlines()[3].index("hourz") + 5
        assert message.startswith(f"p.yaml:4:{column}: unexpected 'z'")
        assert message.splitlines()[2].index("^") == column - 1 + 4


def test_wrong_node_kinds_say_what_was_expected():
    (m1,) = errors_of(head("deadlines: {id: x}\n"))
    assert "expected 'deadlines' (a list of deadline rules), got a mapping" in m1
    (m2,) = errors_of(head("route:\n  rules:\n    - {id: r, when: true, to: {a: b}}\n"))
    assert "expected a list of names for 'to' (units), got a mapping" in m2
    (m3,) = errors_of("policy: [a]\n")
    assert "expected a mapping for 'policy' (the header)" in m3


def test_missing_keys_and_bad_names():
    messages = errors_of(head("escalate:\n  - {id: e, action: notfy, targets: [Boss]}\n"))
    joined = "\n".join(messages)
    assert "an escalation rule is missing 'timing'" in joined
    assert "did you mean 'notify'?" in joined
    assert "'Boss' is not a name" in joined


def test_duplicate_keys_are_reported():
    (message,) = errors_of(head("units:\n  a: x\n  a: y\n"))
    assert "'a' is given twice" in message and message.startswith("p.yaml:5:3:")


def test_exempt_follow_up_takes_no_window():
    (message,) = errors_of(head("follow_up:\n  rules:\n    - {id: f, rate: none, within: 3 days}\n"))
    assert "an exempt rule (rate: none) takes no 'within'" in message


# ---------------------------------------------------------------------------- reading values


def test_yaml_booleans_do_not_leak_into_names_and_values():
    p = fy.parse(
        head(
            "record:\n"
            "  answer: {type: enum, members: [yes, no, on, off], default: no}\n"
            "  flag: {type: bool, default: True}\n"
            "units: {no: null, on: 'On'}\n"
            "tests:\n"
            "  - name: t\n"
            '    given: {answer: yes, flag: false, tags: [no, "a b"], n: 1_000, x: 1.5e+3, d: 2026-12-01}\n'
            "    expect: {level: no}\n"
        ),
        "p.yaml",
    )
    answer = p.field("answer")
    assert answer.type.members == ("yes", "no", "on", "off") and answer.default == "no"
    assert p.field("flag").default is True
    assert [(u.id, u.label) for u in p.units] == [("no", None), ("on", "On")]
    given = {a.name: a.value for a in p.tests[0].given}
    assert given == {
        "answer": "yes",
        "flag": False,
        "tags": frozenset({"no", "a b"}),
        "n": 1000,
        "x": Decimal("1500.0"),
        "d": dt.date(2026, 12, 1),
    }
    assert p.tests[0].expect == (ir.Expectation("level", "no"),)


def test_text_keys_keep_the_text_as_written():
    p = fy.parse(head("  version: 1.10\n  title: yes\n  effective: 2026-12-01\n  hours: 09:00-18:30\n"), "p")
    assert (p.header.version, p.header.title) == ("1.10", "yes")
    assert p.header.effective == dt.date(2026, 12, 1)
    assert p.header.hours == (dt.time(9), dt.time(18, 30))


def test_quoted_values_are_text_and_plain_values_are_dsl():
    p = fy.parse(
        head(
            "record:\n"
            "  a: {type: money, default: 5 CNY}\n"
            '  b: {type: text, default: "5 CNY"}\n'
            "  c: {type: duration, default: 1wd}\n"
            "  d: {type: datetime, default: 2026-12-01T10:00+08:00}\n"
        ),
        "p",
    )
    assert p.field("a").default == ir.Money(Decimal(5), "CNY")
    assert p.field("b").default == "5 CNY"
    assert p.field("c").default == ir.Duration(1, "working_days")
    assert p.field("d").default == dt.datetime(2026, 12, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_expected_lists_are_sets_except_options_unless_said():
    p = fy.parse(
        head(
            "tests:\n"
            "  - name: t\n"
            "    expect:\n"
            "      routes: [b, a]\n"
            "      options: [b, a]\n"
            "      rules: {ordered: [b, a]}\n"
            "      obligations: {set: [b, a]}\n"
            "      deadline first_contact: none\n"
        ),
        "p",
    )
    values = [(e.key, e.arg, e.value) for e in p.tests[0].expect]
    assert values == [
        ("routes", None, frozenset("ab")),
        ("options", None, ("b", "a")),
        ("rules", None, ("b", "a")),
        ("obligations", None, frozenset("ab")),
        ("deadline", "first_contact", None),
    ]
    assert fy.parse(to_yaml(p)) == p


def test_compact_and_full_field_forms_are_the_same():
    compact = fy.parse(head("record:\n  a: money CNY\n  b: enum {x, y}\n  c: set of enum {x}\n"), "p")
    full = fy.parse(
        head(
            "record:\n  a: {type: money, currency: CNY}\n  b: {type: enum, members: [x, y]}\n"
            "  c: {type: set, members: [x]}\n"
        ),
        "p",
    )
    assert compact == full
    assert compact.field("a").type == ir.FieldType("money", (), "CNY")


def test_until_satisfied_forms():
    def until(v):
        return fy.parse(head(f"follow_up:\n  until_satisfied: {v}\n"), "p").follow_up.until_satisfied

    assert (until("true"), until("3"), until("false")) == (0, 3, None)
    assert "until_satisfied" in errors_of(head("follow_up:\n  until_satisfied: many\n"))[0]


# ---------------------------------------------------------------------------- printer details


def test_printer_quotes_what_yaml_would_misread():
    p = ir.Policy(
        ir.Header(id="p", version="1.10", title="null"),
        units=(ir.Named("no", "yes"), ir.Named("off")),
        record=(ir.FieldDecl("f", ir.FieldType("text"), default="true"),),
    )
    text = to_yaml(p)
    assert "version: '1.10'" in text and "title: 'null'" in text
    assert "'no': 'yes'" in text and "'off': null" in text
    assert 'default: "true"' in text
    assert fy.parse(text) == p


def test_printer_keeps_every_scalar_on_one_line():
    p = ir.Policy(ir.Header(id="a\nb\u2028c", title="x\ty"))
    text = to_yaml(p)
    assert text.count("\n") == 3
    assert fy.parse(text) == p


# ---------------------------------------------------------------------------- CLI


@pytest.fixture
def sketch(tmp_path):
    policy_text, yaml_text = doc_examples()
    (tmp_path / "dealer.policy").write_text(policy_text, encoding="utf-8")
    (tmp_path / "dealer.yaml").write_text(yaml_text, encoding="utf-8")
    return tmp_path


def test_convert_dsl_to_yaml_on_stdout(sketch, capsys):
    assert main(["convert", str(sketch / "dealer.policy"), "--to", "yaml"]) == 0
    out = capsys.readouterr().out
    assert fy.parse(out) == dsl.parse((sketch / "dealer.policy").read_text(encoding="utf-8"))


def test_convert_yaml_to_dsl_into_a_file(sketch, capsys):
    out = sketch / "out.policy"
    assert main(["convert", str(sketch / "dealer.yaml"), "--to", "dsl", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    text = out.read_text(encoding="utf-8")
    assert text == print_policy(fy.parse((sketch / "dealer.yaml").read_text(encoding="utf-8")))
    assert dsl.parse(text) == fy.parse((sketch / "dealer.yaml").read_text(encoding="utf-8"))


def test_convert_reports_errors_with_position(tmp_path, capsys):
    bad = tmp_path / "bad.yml"
    bad.write_text("policy:\n  id: x\nroute:\n  hit: fist\n", encoding="utf-8")
    assert main(["convert", str(bad), "--to", "dsl"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"bad\.yml:4:8: route takes hit policy", err)


def test_convert_rejects_unknown_suffix(tmp_path, capsys):
    other = tmp_path / "x.txt"
    other.write_text("", encoding="utf-8")
    assert main(["convert", str(other), "--to", "yaml"]) == 2
    assert "not a policy file" in capsys.readouterr().err


def test_schema_command_prints_the_schema(capsys, tmp_path):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_schema()
    assert set(printed["properties"]) == set(fy.TOP_KEYS)
    assert main(["schema", "-o", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8")) == printed


def test_bad_plain_values_explain_themselves():
    def given(v: str) -> str:
        (message,) = errors_of(head(f"tests:\n  - name: t\n    given: {{x: {v}}}\n"))
        return message

    assert given("hello world").startswith("p.yaml:5:22: unexpected 'world' (quote the value to write text)")
    assert given("2026-02-30").startswith("p.yaml:5:16: '2026-02-30' is not a valid date")
    assert "needs a UTC offset" in given("2026-12-01 10:00:00")
    assert "not a finite number" in given(".inf")
