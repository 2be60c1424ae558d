"""The result of a diff, and its three renderings: text for a terminal, Markdown for a PR comment, JSON."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from .impact import Impact
from .semantic import SemanticChange
from .structural import Change

FORMATS = ("text", "markdown", "json")


class PolicyDiff(BaseModel):
    """What changed from ``old`` to ``new``: structural edits, regions of changed decisions, corpus impact."""

    old: str
    new: str
    old_fingerprint: str | None = None
    new_fingerprint: str | None = None
    structural: list[Change] = Field(default_factory=list)
    semantic: list[SemanticChange] | None = None  # None when the semantic layer was not run
    impact: Impact | None = None
    notes: list[str] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """No structural edit and no changed decision: the two policies are equivalent."""
        return not self.structural and not self.semantic and not (self.impact and self.impact.changed)

    def __bool__(self) -> bool:
        return not self.empty

    def outputs(self) -> list[str]:
        """The outputs whose decision changes somewhere, in report order."""
        return list(dict.fromkeys(c.output for c in self.semantic or ()))

    def render(self, format: str = "text") -> str:
        if format == "text":
            return render_text(self)
        if format == "markdown":
            return render_markdown(self)
        if format == "json":
            return self.model_dump_json(indent=2)
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")


def _witness(record: dict[str, Any] | None) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True) if record is not None else "-"


def _where(c: Change) -> str:
    loc = c.new_location or c.old_location
    return f"  ({loc})" if loc else ""


def render_text(d: PolicyDiff) -> str:
    lines = [f"diff {d.old} -> {d.new}"]
    if d.empty:
        lines.append("equivalent: no structural change, no decision changes")
    if d.structural:
        lines.append("")
        lines.append(f"structural: {len(d.structural)} change(s)")
        for c in d.structural:
            lines.append(f"  {c.describe()}{_where(c)}")
    if d.semantic:
        lines.append("")
        lines.append(f"semantic: {len(d.semantic)} region(s) decide differently")
        for output in d.outputs():
            lines.append(f"  {output}")
            for s in (s for s in d.semantic if s.output == output):
                lines.append(f"    when {s.condition}")
                lines.append(f"      {s.old} -> {s.new}")
                lines.append(f"      e.g. {_witness(s.witness)}")
                if s.observed_old is not None or s.observed_new is not None:
                    lines.append(f"      evaluated: {s.observed_old} -> {s.observed_new}")
    elif d.semantic is not None and d.structural:
        lines.append("")
        lines.append("semantic: no record is decided differently")
    if d.impact is not None:
        lines.append("")
        lines.extend(_impact_text(d.impact))
    if d.notes:
        lines.append("")
        lines.append("notes:")
        lines.extend(f"  {n}" for n in d.notes)
    return "\n".join(lines) + "\n"


def _impact_text(i: Impact) -> list[str]:
    share = f" ({100 * i.changed / i.records:.1f}%)" if i.records else ""
    lines = [f"impact on {i.corpus}: {i.changed} of {i.records} record(s) decided differently{share}"]
    if i.errors:
        lines.append(f"  {i.errors} record(s) could not be decided, e.g. {', '.join(i.error_examples)}")
        for reason, count in sorted(i.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {reason}: {count}")
    for o in sorted(i.outputs, key=lambda o: -o.changed):
        lines.append(f"  {o.output}: {o.changed}")
        for t in sorted(o.transitions, key=lambda t: -t.count):
            lines.append(f"    {t.describe()}: {t.count} (e.g. {', '.join(t.examples)})")
        if o.other:
            lines.append(f"    other changes: {o.other}")
    return lines


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(d: PolicyDiff) -> str:
    out = [f"### Policy diff: `{d.old}` → `{d.new}`", ""]
    if d.empty:
        out += ["**Equivalent**: no structural change, no decision changes.", ""]
    if d.structural:
        out += [
            f"#### Structural changes ({len(d.structural)})",
            "",
            "| change | block | key | field | old | new |",
            "|---|---|---|---|---|---|",
        ]
        for c in d.structural:
            out.append(
                f"| {c.kind} | {c.block} | `{c.key}` | {c.field or ''} | {_md(c.old or '')} | {_md(c.new or '')}"
                + (f" *({_md(c.same)})*" if c.same else "")
                + " |"
            )
        out.append("")
    if d.semantic:
        out += [f"#### Decisions that change ({len(d.semantic)} regions)", ""]
        for output in d.outputs():
            out += [f"**{output}**", "", "| when | old | new | example |", "|---|---|---|---|"]
            for s in (s for s in d.semantic if s.output == output):
                out.append(
                    f"| `{_md(s.condition)}` | {_md(s.old)} | {_md(s.new)} | "
                    f"<details><summary>record</summary><code>{_md(_witness(s.witness))}</code></details> |"
                )
            out.append("")
    elif d.semantic is not None and d.structural:
        out += ["No record is decided differently.", ""]
    if d.impact is not None:
        i = d.impact
        out += [
            f"#### Impact on `{i.corpus}`",
            "",
            f"{i.changed} of {i.records} records decided differently"
            + (f"; {i.errors} could not be decided" if i.errors else "")
            + (" (" + "; ".join(f"{r}: {c}" for r, c in sorted(i.reasons.items(), key=lambda kv: (-kv[1], kv[0])))
               + ")" if i.errors and i.reasons else "")
            + ".",
            "",
        ]
        if i.outputs:
            out += ["| output | old | new | records | examples |", "|---|---|---|---|---|"]
            for o in sorted(i.outputs, key=lambda o: -o.changed):
                for t in sorted(o.transitions, key=lambda t: -t.count):
                    new = f"same, {t.due}" if t.due else t.new
                    out.append(
                        f"| {o.output} | {_md(t.old)} | {_md(new)} | {t.count} | {', '.join(t.examples)} |"
                    )
                if o.other:
                    out.append(f"| {o.output} | (other) | | {o.other} | |")
            out.append("")
    if d.notes:
        out += ["#### Notes", ""] + [f"- {_md(n)}" for n in d.notes] + [""]
    return "\n".join(out)
