"""The result of a diff, and its three renderings: text for a terminal, Markdown for a PR comment, JSON."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from .impact import Impact
from .present import Labels, show, trimmed
from .semantic import SemanticChange
from .structural import Change
from .whatif import WhatIf, whatif_text

FORMATS = ("text", "markdown", "json", "html")
MIN_BYTES = 400  # the smallest --max-bytes: the title, the verdict and the truncation note fit in it


class PolicyDiff(BaseModel):
    """What changed from ``old`` to ``new``: structural edits, regions of changed decisions, corpus impact."""

    old: str
    new: str
    old_fingerprint: str | None = None
    new_fingerprint: str | None = None
    structural: list[Change] = Field(default_factory=list)
    semantic: list[SemanticChange] | None = None  # None when the semantic layer was not run
    impact: Impact | None = None
    whatif: WhatIf | None = None  # old and new totals over the corpus; None without one
    notes: list[str] = Field(default_factory=list)
    labels: Labels = Field(default_factory=Labels)  # the policies' unit, level and field labels, for readers

    @property
    def empty(self) -> bool:
        """No structural edit and no changed decision: the two policies are equivalent."""
        return not self.structural and not self.semantic and not (self.impact and self.impact.changed)

    def __bool__(self) -> bool:
        return not self.empty

    def outputs(self) -> list[str]:
        """The outputs whose decision changes somewhere, in report order."""
        return list(dict.fromkeys(c.output for c in self.semantic or ()))

    def render(self, format: str = "text", *, max_bytes: int | None = None) -> str:
        """The report as ``text``, ``markdown``, ``json`` or ``html`` (one self-contained page).

        ``max_bytes`` (Markdown only, for pull-request comment limits) shortens the report until its UTF-8
        encoding fits: witnesses go first, then regions and rows beyond the first few, each counted in a note.
        """
        if max_bytes is not None and format != "markdown":
            raise ValueError("max_bytes applies to the markdown format only")
        if format == "text":
            return render_text(self)
        if format == "markdown":
            return render_markdown(self) if max_bytes is None else fit_markdown(self, max_bytes)
        if format == "json":
            return self.model_dump_json(indent=2)
        if format == "html":
            from .html import render_html

            return render_html(self)
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
    if d.whatif is not None:
        lines.append("")
        lines.extend(whatif_text(d.whatif))
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


def _md_witness(d: PolicyDiff, s: SemanticChange) -> str:
    w = trimmed(s)
    if w is None:
        return "-"
    rows = "<br>".join(f"{_md(d.labels.field(k))}: `{_md(show(v))}`" for k, v in w.items())
    return f"<details><summary>record</summary>{rows}</details>"


def render_markdown(d: PolicyDiff, *, witnesses: bool = True, keep: int | None = None) -> str:
    """The report for a pull-request comment; ``keep`` rows per table at most (the rest counted),
    ``witnesses`` False leaves the example records out (see :func:`fit_markdown`)."""

    def head(rows: list, what: str) -> tuple[list, list[str]]:
        if keep is None or len(rows) <= keep:
            return rows, []
        return rows[:keep], [f"| … {len(rows) - keep} more {what} left out for size | | | |"]

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
        shown, more = head(d.structural, "changes")
        for c in shown:
            out.append(
                f"| {c.kind} | {c.block} | `{c.key}` | {c.field or ''} | {_md(c.old or '')} | {_md(c.new or '')}"
                + (f" *({_md(c.same)})*" if c.same else "")
                + " |"
            )
        out += more
        out.append("")
    if d.semantic:
        out += [f"#### Decisions that change ({len(d.semantic)} regions)", ""]
        for output in d.outputs():
            out += [f"**{output}**", "", "| when | old | new | example |", "|---|---|---|---|"]
            shown, more = head([s for s in d.semantic if s.output == output], "regions")
            for s in shown:
                example = _md_witness(d, s) if witnesses else "(left out for size)"
                out.append(
                    f"| `{_md(s.condition)}` | {_md(d.labels.outcome(s.old))} | {_md(d.labels.outcome(s.new))} | "
                    f"{example} |"
                )
            out += more
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
                rows, more = head(sorted(o.transitions, key=lambda t: -t.count), "transitions")
                for t in rows:
                    new = f"same, {t.due}" if t.due else t.new
                    out.append(
                        f"| {o.output} | {_md(d.labels.outcome(t.old))} | {_md(d.labels.outcome(new))} | {t.count} | "
                        f"{', '.join(t.examples)} |"
                    )
                out += [m + " |" for m in more]
                if o.other:
                    out.append(f"| {o.output} | (other) | | {o.other} | |")
            out.append("")
    if d.whatif is not None:
        out += _whatif_markdown(d, d.whatif, keep)
    if d.notes:
        out += ["#### Notes", ""] + [f"- {_md(n)}" for n in d.notes] + [""]
    return "\n".join(out)


def _whatif_markdown(d: PolicyDiff, w: WhatIf, keep: int | None) -> list[str]:
    out = [f"#### What if: old and new totals on `{w.corpus}`", "",
           f"{w.decided} of {w.records} records decided under both.", ""]
    for t in w.tables:
        if not t.rows:
            continue
        rows = t.rows if keep is None else t.rows[:keep]
        out += [f"**{t.title}**", "", f"| {t.key} | old | new | change |", "|---|---:|---:|---:|"]
        for r in rows:
            name = d.labels.name(r.key)
            shown = f"{name} (`{r.key}`)" if name else f"`{r.key}`"
            sign = "+" if r.delta > 0 else ""
            out.append(f"| {_md(shown)} | {_n(r.old)} | {_n(r.new)} | {sign}{_n(r.delta)} |")
        if len(rows) < len(t.rows):
            out.append(f"| … {len(t.rows) - len(rows)} more left out for size | | | |")
        out += ([f"*{_md(t.note)}*"] if t.note else []) + [""]
    return out


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:,.2f}"


def fit_markdown(d: PolicyDiff, max_bytes: int) -> str:
    """The Markdown report shortened until its UTF-8 encoding is at most ``max_bytes`` long.

    Steps, each tried in turn: everything; without example records; at most 20, 10, 5, 3, 1 and 0 rows
    per table. What is left out is counted in the report itself. If even that does not fit, the report
    is cut at a line and ends with a note saying so.
    """
    if max_bytes < MIN_BYTES:
        raise ValueError(f"max_bytes must be at least {MIN_BYTES}, not {max_bytes}")
    full = render_markdown(d)
    if len(full.encode()) <= max_bytes:
        return full
    note = "\n*Shortened to fit {} bytes: run `complaint-rules diff` for the full report.*\n"
    tail = note.format(max_bytes)
    for keep in (None, 20, 10, 5, 3, 1, 0):
        text = render_markdown(d, witnesses=False, keep=keep) + tail
        if len(text.encode()) <= max_bytes:
            return text
    cut = "\n*Cut to fit {} bytes: run `complaint-rules diff` for the full report.*\n".format(max_bytes)
    room = max_bytes - len(cut.encode())
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        size = len(line.encode())
        if used + size > room:
            break
        kept.append(line)
        used += size
    return "".join(kept) + cut
