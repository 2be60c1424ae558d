"""JSON Schema of the YAML form of policies, for editors (completion, hover, first-line validation).

The schema checks shapes and spellings; the meaning (conditions, names, types) is checked by
``complaint-rules check``, which reports positions. Keys mirror :mod:`complaint_rules.language.frontend.yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import ir
from .frontend import yaml as front

SCHEMA_ID = "https://complaint-rules.invalid/schema/policy.yaml.json"
NAME = r"^[a-z_][a-z0-9_]*$"
MONEY = r"^-?\d+(\.\d+)? [A-Z]{3}$"
PERCENT = r"^\d+(\.\d+)?%$"
_UNITS = r"(minutes?|hours?|days?|weeks?|months?|years?|working\s+days?|business\s+hours?)"
#: A duration as the grammar reads it (``2 hours``, ``1 working day``, ``3d``), or the close of working days
#: (``end of day``, ``end of 2 working days``).
DURATION = rf"^\s*(\d+\s*{_UNITS}|\d+(min|bh|wd|mo|h|d|w|y)|end\s+of\s+(day|\d+\s*{_UNITS}))\s*$"
_MEMBERS = r"\{\s*[a-z_][a-z0-9_]*(\s*,\s*[a-z_][a-z0-9_]*)*\s*\}"
#: The compact form of a record field: a type, ``money CNY``, ``enum {a, b}``, ``set of enum {a, b}``, and
#: after it what the DSL's field line may add (``= default``, ``required``, a label).
FIELD_TYPE = (rf"^\s*(bool|int|decimal|text|date|datetime|duration|money(\s+[A-Z]{{3}})?|enum\s*{_MEMBERS}"
              rf"|set\s+of\s+enum\s*{_MEMBERS})(\s*=.*|\s+required.*|\s+\".*)?$")


def _ref(name: str) -> dict:
    return {"$ref": f"#/definitions/{name}"}


def _obj(properties: dict, required: tuple[str, ...] = (), description: str | None = None) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def _rule(description: str, required: tuple[str, ...], **own: dict) -> dict:
    props = {
        "id": {**_ref("name"), "description": "stable rule id: traces, overlays, coverage and diffs use it"},
        "position": {
            "type": "string",
            "pattern": r"^(before|after)\s+[a-z_][a-z0-9_]*$",
            "description": "overlays only: 'before RULE_ID' or 'after RULE_ID'",
        },
        **own,
        "note": {"type": "string"},
    }
    return _obj(props, ("id", *required), description)


def _list(item: dict, description: str | None = None) -> dict:
    out: dict[str, Any] = {"type": "array", "items": item}
    if description:
        out["description"] = description
    return out


def _definitions() -> dict:
    when = _ref("condition")
    fu_body = {
        "rate": {
            "description": "a percentage such as 30%, or none (exempt: no follow-up, result recorded)",
            "anyOf": [{"type": "string", "pattern": PERCENT}, {"const": "none"}, {"type": "null"}],
        },
        "within": _ref("duration"),
        "after": {**_ref("name"), "description": "the datetime field the window starts from"},
        "by": _ref("names"),
        "via": _ref("names"),
    }
    return {
        "name": {"type": "string", "pattern": NAME},
        "names": {"description": "a name or a list of names", "anyOf": [_ref("name"), _list(_ref("name"))]},
        "labelled": {
            "description": "name: label (null for no label), in order",
            "anyOf": [
                {
                    "type": "object",
                    "propertyNames": _ref("name"),
                    "additionalProperties": {"type": ["string", "null"]},
                },
                _list(_ref("name")),
            ],
        },
        "condition": {
            "type": ["string", "boolean"],
            "description": 'a DSL condition, e.g. "category == product_quality and repeat_count >= 2"',
        },
        "duration": {"type": "string", "pattern": DURATION,
                     "description": "e.g. 2 hours, 1 working day, 4 business hours, 3d, end of day"},
        "timing": {
            "type": "string",
            "description": "immediately | DURATION before CLOCK | DURATION after CLOCK | for DURATION",
        },
        "money": {"type": "string", "pattern": MONEY, "description": "e.g. 500 CNY"},
        "value": {
            "description": "a DSL value when plain (0 CNY, 2 hours, 30%, 2026-12-01, a member name); "
            "quoted text is text; a list is a set",
            "anyOf": [{"type": ["string", "number", "boolean"]}, _list({"type": "string"})],
        },
        "expected": {
            "description": "an expected output: none, a value, a list, {set: [...]} or {ordered: [...]}",
            "anyOf": [
                {"type": ["string", "number", "boolean", "null"]},
                _list({"type": "string"}),
                _obj({"set": _list({"type": "string"})}, ("set",)),
                _obj({"ordered": _list(_ref("name"))}, ("ordered",)),
            ],
        },
        "field": {
            "anyOf": [
                {
                    "type": "string",
                    "pattern": FIELD_TYPE,
                    "description": "compact form: just the type, e.g. text, money CNY, enum {a, b}",
                },
                _obj(
                    {
                        "type": {
                            "type": "string",
                            "pattern": rf"^({'|'.join(ir.FIELD_KINDS)}|set of enum)$",
                            "description": "one of " + ", ".join(ir.FIELD_KINDS) + " (set of enum)",
                        },
                        "members": _list(_ref("name"), "enum and set: the members, in order"),
                        "currency": {"type": "string", "pattern": r"^[A-Z]{3}$"},
                        "default": _ref("value"),
                        "required": {"type": "boolean"},
                        "personal": {
                            "type": "boolean",
                            "description": "personal data: a decision log keeps it masked",
                        },
                        "label": {"type": "string"},
                    },
                    ("type",),
                ),
            ]
        },
        "fu_rule": _rule("a follow-up rule; the first matching one decides", ("rate",), **fu_body, when=when),
        "test": _obj(
            {
                "name": {"type": "string"},
                "given": {
                    "type": "object",
                    "propertyNames": _ref("name"),
                    "additionalProperties": {
                        "anyOf": [
                            _ref("value"),
                            _list(
                                {"type": "object", "propertyNames": _ref("name"), "additionalProperties": _ref("value")},
                                "a list of entries, e.g. follow_ups: [{at: ..., method: visit, satisfied: false}]",
                            ),
                        ]
                    },
                },
                "now": {
                    "type": "string",
                    "description": "date-time with offset, e.g. 2026-12-02T10:00+08:00",
                },
                "expect": {
                    "type": "object",
                    "propertyNames": {
                        "anyOf": [
                            {"enum": list(front.EXPECT_KEYS)},
                            {"pattern": r"^deadline [a-z_][a-z0-9_]*$"},
                        ]
                    },
                    "additionalProperties": _ref("expected"),
                },
            },
            ("name",),
            "an embedded test: given a record, expect outputs",
        ),
    }


def schema_file() -> Path:
    """The schema as a file inside the installed package (``complaint_rules/schema/policy.yaml.json``), for an
    editor's settings; the same text ``complaint-rules schema`` prints."""
    return Path(__file__).resolve().parent.parent / "schema" / "policy.yaml.json"


def schema_text() -> str:
    """:func:`json_schema` as the JSON text that :func:`schema_file` holds."""
    import json

    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def modeline(url: str) -> str:
    """The first line that tells yaml-language-server (VS Code, Neovim, ...) which schema a YAML policy follows."""
    return f"# yaml-language-server: $schema={url}\n"


def json_schema() -> dict:
    """The JSON Schema (draft-07) of a YAML policy file."""
    when = _ref("condition")
    header = _obj(
        {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "version": {"type": "string", "description": "quote it: '2026.11'"},
            "effective": {"type": "string", "description": "YYYY-MM-DD"},
            "currency": {"type": "string", "pattern": r"^[A-Z]{3}$"},
            "calendar": {"type": "string"},
            "nationwide": {"type": "boolean", "description": "the days common to every subdivision, on purpose"},
            "calendar_data": {"type": "string", "description": "a calendar data file, relative to this one"},
            "hours": {
                "type": "string",
                "pattern": r"^\d{2}:\d{2}\s*-\s*\d{2}:\d{2}$",
                "description": 'e.g. "09:00-18:30"',
            },
            "timezone": {"type": "string"},
            "holidays": _list({"type": "string"}, "extra non-working days"),
            "workdays": _list({"type": "string"}, "extra working days"),
        },
        ("id",),
        "identity, calendar and clock settings",
    )
    hit = {"classify": ["first", "highest"], "route": ["first", "all"]}
    properties = {
        "policy": header,
        "extends": {"type": "string", "description": "the base policy file, relative to this one"},
        "drop": {**_ref("names"), "description": "overlay only: remove rules of the base by id"},
        "record": {
            "type": "object",
            "propertyNames": _ref("name"),
            "additionalProperties": _ref("field"),
            "description": "the typed fields a policy decides on",
        },
        "units": {**_ref("labelled"), "description": "units and roles"},
        "levels": {
            **_ref("labelled"),
            "description": "levels used, ascending severity: " + ", ".join(ir.LEVEL_NAMES),
        },
        "statuses": {**_ref("labelled"), "description": "statuses a complaint's history may show"},
        "classify": _obj(
            {
                "hit": {"enum": hit["classify"]},
                "rules": _list(_rule("a classify rule", ("when", "level"), when=when, level=_ref("name"))),
                "otherwise": _ref("name"),
            }
        ),
        "route": _obj(
            {
                "hit": {"enum": hit["route"]},
                "rules": _list(_rule("a route rule", ("when", "to"), when=when, to=_ref("names"))),
                "otherwise": _ref("names"),
            }
        ),
        "deadlines": _list(
            _rule(
                "a clock: due WITHIN after AFTER; first matching rule per clock wins",
                ("clock", "within", "after"),
                clock=_ref("name"),
                within=_ref("duration"),
                after=_ref("name"),
                when=when,
                pause={**_ref("names"), "description": "statuses during which the clock does not run"},
                stop={**_ref("names"), "description": "datetime fields, statuses or rule ids that meet the clock"},
                restart={**_ref("name"), "description": "the status that starts a new cycle (a reopening)"},
                warn={"type": "string", "pattern": r"^\s*(at\s+\d+(\.\d+)?%|.+\s+before)\s*$",
                      "description": "'at 75%' (of the clock's length) or '1 day before' (its due time)"},
            )
        ),
        "escalate": _list(
            _rule(
                "remind, notify or escalate targets at a time",
                ("action", "targets", "timing"),
                action={"enum": ["remind", "notify", "escalate"]},
                targets=_ref("names"),
                timing=_ref("timing"),
                when=when,
            )
        ),
        "compensate": _obj(
            {
                "amount": _ref("name"),
                "options": {**_ref("labelled"), "description": "remedy options, cheapest first"},
                "authority": {
                    "type": "object",
                    "propertyNames": _ref("name"),
                    "additionalProperties": _ref("money"),
                },
                "tiers": _list(
                    _obj(
                        {"level": _ref("name"), "cap": _ref("money"), "by": _ref("name")},
                        ("level", "cap", "by"),
                    )
                ),
                "rules": _list(
                    _rule(
                        "exclude or prefer remedy options",
                        (),
                        exclude=_ref("names"),
                        prefer=_ref("names"),
                        when=when,
                    )
                ),
            }
        ),
        "follow_up": _obj(
            {
                "rules": _list(_ref("fu_rule")),
                "otherwise": _obj(
                    {
                        "rate": _definitions()["fu_rule"]["properties"]["rate"],
                        "within": _ref("duration"),
                        "after": _ref("name"),
                        "by": _ref("names"),
                        "via": _ref("names"),
                        "note": {"type": "string"},
                    },
                    ("rate",),
                ),
                "until_satisfied": {
                    "description": "true (no limit) or the most times",
                    "anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}],
                },
            }
        ),
        "obligations": _list(
            _rule(
                "a named action a condition requires, with who and by when",
                ("action", "by"),
                action=_ref("name"),
                label={"type": "string"},
                by=_ref("names"),
                timing=_ref("timing"),
                when=when,
            )
        ),
        "invariants": _list(
            _rule(
                "a property prove checks: exactly one of monotone, always, never",
                (),
                monotone={"type": "string", "pattern": r"^(cap|deadline [a-z_][a-z0-9_]*)$",
                          "description": "'cap' or 'deadline CLOCK': never worse for a more severe level"},
                always={"type": "string", "pattern": r"^(options|follow_up|(route|option) [a-z_][a-z0-9_]*)$",
                        "description": "'options', 'follow_up', 'route UNIT' or 'option OPTION'"},
                never={"type": "string", "pattern": r"^(route|option) [a-z_][a-z0-9_]*$",
                       "description": "'route UNIT' or 'option OPTION'"},
                when=when,
            )
        ),
        "tests": _list(_ref("test")),
    }
    assert set(properties) == set(front.TOP_KEYS)
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "complaint-rules policy (YAML form)",
        "description": "See docs/yaml.md. Conditions, durations, timings and values are DSL text in strings.",
        "type": "object",
        "properties": properties,
        "required": ["policy"],
        "additionalProperties": False,
        "definitions": _definitions(),
    }
