"""What the reader-facing renderings (Markdown, HTML) share: witnesses trimmed to what a region reads,
and the policy's labels in place of unit and level ids.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from .. import ir

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SUMMARISED = "regions, e.g. the witness"  # the condition of a region too large to describe (semantic.py)


class Labels(BaseModel):
    """The display labels both policies declare, by kind; the new policy's label wins where both have one."""

    units: dict[str, str] = Field(default_factory=dict)
    levels: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, *policies: ir.Policy) -> Labels:
        units: dict[str, str] = {}
        levels: dict[str, str] = {}
        fields: dict[str, str] = {}
        for p in policies:  # later policies (the new side) override earlier ones
            units.update({u.id: u.label for u in p.units if u.label})
            levels.update({lv.id: lv.label for lv in p.levels if lv.label})
            fields.update({f.name: f.label for f in p.record if f.label})
        return cls(units=units, levels=levels, fields=fields)

    def name(self, word: str) -> str | None:
        """The label of a unit or level id, None when it has none."""
        return self.units.get(word) or self.levels.get(word)

    def outcome(self, text: str, mark: Any = None) -> str:
        """An outcome's text with each unit and level id replaced by its label.

        ``mark(label, id)`` renders one replacement (HTML keeps the id as a tooltip); by default the label
        alone. Conditions are not relabelled: they stay policy text a reviewer can search for.
        """

        def swap(m: re.Match) -> str:
            word = m.group(0)
            label = self.name(word)
            if label is None:
                return word
            return mark(label, word) if mark else label

        return WORD.sub(swap, text)

    def field(self, name: str) -> str:
        """A record field as shown beside a witness value: ``label (name)``, or the name alone."""
        label = self.fields.get(name)
        return f"{label} ({name})" if label else name


def read_fields(condition: str, old: str, new: str, witness: dict[str, Any]) -> list[str]:
    """The witness fields a region reads: those its condition or either outcome names, and ``id``.

    A region summarised without a condition (``N regions, e.g. the witness``) names none: all are kept.
    """
    if condition.endswith(SUMMARISED):
        return list(witness)
    words = set(WORD.findall(condition)) | set(WORD.findall(old)) | set(WORD.findall(new))
    return [k for k in witness if k == "id" or k in words]


def trimmed(change: Any) -> dict[str, Any] | None:
    """A semantic change's witness with only the fields its region reads (see :func:`read_fields`)."""
    w = change.witness
    if w is None:
        return None
    keep = read_fields(change.condition, change.old, change.new, w)
    return {k: w[k] for k in keep}


def show(value: Any) -> str:
    """A witness value as a reader sees it: lists as ``{a, b}``, booleans as policy text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "{" + ", ".join(show(v) for v in value) + "}"
    if value is None:
        return "none"
    return str(value)
