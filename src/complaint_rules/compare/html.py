"""The diff as one self-contained web page: no script, no font, no image from the network.

Sections, each with an ``id`` a test or a reader can link to: ``summary`` (the verdict and the counts),
``structural`` (changed rules side by side with their locations), ``semantic`` (each region as a
condition, old and new outcome with the policy's labels, and its witness trimmed to the fields the region
reads), ``impact`` (the corpus: a bar chart per output, then the transitions) and ``whatif`` (old and new
totals over the corpus, each table with its chart), then ``notes``. Charts are inline SVG.
"""

from __future__ import annotations

from html import escape
from typing import Any

from .present import WORD, show, trimmed

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;color:#1d1d1f;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em}code{font:12.5px ui-monospace,Menlo,Consolas,monospace;background:#f3f3f5;padding:0 .2em}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}th,td{border:1px solid #ddd;padding:.3em .5em;
vertical-align:top;text-align:left}th{background:#f6f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.old{background:#fff1f0}.new{background:#effaf0}.loc{color:#666;font-size:.85em;display:block}
.verdict{font-size:1.1em;font-weight:600}.equal{color:#18794e}.differ{color:#b4261a}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.6em}.witness td:first-child{color:#555;width:40%}abbr{text-decoration:none;border-bottom:1px dotted #888}
svg text{font:12px system-ui,sans-serif}.note{color:#555}td code{overflow-wrap:anywhere}
"""

OLD_COLOUR, NEW_COLOUR = "#d9534f", "#2e8b57"


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _label(label: str, word: str) -> str:
    return f'<abbr title="{_e(word)}">{_e(label)}</abbr>'


def outcome_html(d, text: str) -> str:
    """An outcome with its unit and level ids as labels (the id kept as a tooltip), escaped piece by piece."""
    out, at = [], 0
    for m in WORD.finditer(text):
        label = d.labels.name(m.group(0))
        if label is not None:
            out.append(_e(text[at : m.start()]) + _label(label, m.group(0)))
            at = m.end()
    return "".join(out) + _e(text[at:])


def bar_chart(rows: list[tuple[str, int]], title: str) -> str:
    """A horizontal bar chart as inline SVG, one bar per (label, count)."""
    if not rows:
        return ""
    top = max(v for _, v in rows) or 1
    left, width, bar, gap = 300, 420, 18, 8
    height = len(rows) * (bar + gap) + 30
    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{left + width + 80}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{_e(title)}</title>']
    for n, (label, value) in enumerate(rows):
        y = 20 + n * (bar + gap)
        w = max(1, round(width * value / top))
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{_e(short_label(label))}</text>'
                     f'<rect class="bar" x="{left}" y="{y}" width="{w}" height="{bar}" fill="{NEW_COLOUR}">'
                     f'<title>{_e(label)}: {value}</title></rect>'
                     f'<text x="{left + w + 4}" y="{y + 13}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def paired_chart(rows: list[tuple[str, float, float]], title: str) -> str:
    """Old and new side by side per label (two bars each), as inline SVG with a legend."""
    if not rows:
        return ""
    top = max(max(o, n) for _, o, n in rows) or 1
    left, width, bar, gap = 300, 420, 11, 10
    height = len(rows) * (2 * bar + gap) + 40
    parts = [f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{left + width + 90}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{_e(title)}</title>'
             f'<rect x="{left}" y="2" width="10" height="10" fill="{OLD_COLOUR}"/><text x="{left + 14}" y="11">old</text>'
             f'<rect x="{left + 60}" y="2" width="10" height="10" fill="{NEW_COLOUR}"/>'
             f'<text x="{left + 74}" y="11">new</text>']
    for n, (label, old, new) in enumerate(rows):
        y = 24 + n * (2 * bar + gap)
        parts.append(f'<text x="{left - 6}" y="{y + bar + 3}" text-anchor="end">{_e(short_label(label))}</text>')
        for k, (value, colour, side) in enumerate(((old, OLD_COLOUR, "old"), (new, NEW_COLOUR, "new"))):
            w = max(1, round(width * value / top)) if value else 0
            yy = y + k * bar
            parts.append(f'<rect class="bar {side}" x="{left}" y="{yy}" width="{w}" height="{bar - 1}" '
                         f'fill="{colour}"><title>{_e(label)} {side}: {_num(value)}</title></rect>'
                         f'<text x="{left + w + 4}" y="{yy + bar - 2}">{_num(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def short_label(label: str, room: int = 44) -> str:
    """A chart label that fits left of the bars: wide (CJK) characters count twice; the tooltip has it whole."""
    out, used = "", 0
    for ch in label:
        used += 2 if ord(ch) > 0x2E80 else 1
        if used > room:
            return out + "…"
        out += ch
    return out


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:,.2f}"


def _summary(d) -> list[str]:
    verdict = ('<p class="verdict equal">Equivalent: no structural change, no decision changes.</p>' if d.empty
               else '<p class="verdict differ">The policies differ.</p>')
    cards = [("structural changes", len(d.structural))]
    if d.semantic is not None:
        cards.append(("regions decided differently", len(d.semantic)))
        cards.append(("outputs affected", len(d.outputs())))
    if d.impact is not None:
        cards.append((f"of {d.impact.records} corpus records change", d.impact.changed))
    out = ['<section id="summary"><h2>Summary</h2>', verdict, '<div class="cards">']
    out += [f'<div class="card"><b>{n}</b>{_e(what)}</div>' for what, n in cards]
    out.append("</div><table><tr><th></th><th>old</th><th>new</th></tr>")
    out.append(f'<tr><th>policy</th><td class="old"><code>{_e(d.old)}</code></td>'
               f'<td class="new"><code>{_e(d.new)}</code></td></tr>')
    out.append(f'<tr><th>fingerprint</th><td class="old"><code>{_e(d.old_fingerprint or "-")}</code></td>'
               f'<td class="new"><code>{_e(d.new_fingerprint or "-")}</code></td></tr></table></section>')
    return out


def _structural(d) -> list[str]:
    if not d.structural:
        return []
    out = [f'<section id="structural"><h2>Changed rules and values ({len(d.structural)})</h2>',
           "<table><tr><th>change</th><th>block</th><th>rule or value</th><th>field</th>"
           "<th>old</th><th>new</th></tr>"]
    for c in d.structural:
        old = f"<code>{_e(c.old)}</code>" if c.old is not None else ""
        new = f"<code>{_e(c.new)}</code>" if c.new is not None else ""
        if c.old_location:
            old += f'<span class="loc">{_e(c.old_location)}</span>'
        if c.new_location:
            new += f'<span class="loc">{_e(c.new_location)}</span>'
        if c.same:
            new += f'<span class="loc">({_e(c.same)})</span>'
        out.append(f'<tr class="change {c.kind}"><td>{c.kind}</td><td>{_e(c.block)}</td><td><code>{_e(c.key)}</code></td>'
                   f'<td>{_e(c.field or "")}</td><td class="old">{old}</td><td class="new">{new}</td></tr>')
    out.append("</table></section>")
    return out


def _witness(d, s) -> str:
    w = trimmed(s)
    if w is None:
        return ""
    rows = "".join(f"<tr><td>{_e(d.labels.field(k))}</td><td><code>{_e(show(v))}</code></td></tr>" for k, v in w.items())
    return f'<table class="witness"><tr><th colspan="2">example record</th></tr>{rows}</table>'


def _semantic(d) -> list[str]:
    if d.semantic is None:
        return []
    if not d.semantic:
        return ['<section id="semantic"><h2>Decisions that change</h2><p>No record is decided differently.</p></section>']
    out = [f'<section id="semantic"><h2>Decisions that change ({len(d.semantic)} regions)</h2>']
    for output in d.outputs():
        out.append(f'<h3 class="output">{_e(output)}</h3>')
        out.append('<table class="regions"><tr><th>for complaints where</th><th>old</th><th>new</th>'
                   "<th>example</th></tr>")
        for s in (s for s in d.semantic if s.output == output):
            seen = ""
            if s.verified is not None:
                seen = (f'<span class="loc">evaluated: {outcome_html(d, s.observed_old or "-")} → '
                        f'{outcome_html(d, s.observed_new or "-")}{"" if s.verified else " (not shown by the witness)"}</span>')
            rules = ", ".join([*s.old_rules, *(r for r in s.new_rules if r not in s.old_rules)])
            out.append(f'<tr class="region"><td><code>{_e(s.condition)}</code>'
                       + (f'<span class="loc">rules: {_e(rules)}</span>' if rules else "")
                       + f'</td><td class="old">{outcome_html(d, s.old)}</td><td class="new">{outcome_html(d, s.new)}{seen}</td>'
                       f"<td>{_witness(d, s)}</td></tr>")
        out.append("</table>")
    out.append("</section>")
    return out


def _impact(d) -> list[str]:
    i = d.impact
    if i is None:
        return []
    share = f" ({100 * i.changed / i.records:.1f}%)" if i.records else ""
    out = [f'<section id="impact"><h2>Impact on <code>{_e(i.corpus)}</code></h2>',
           f"<p><b>{i.changed}</b> of {i.records} records are decided differently{share}.</p>"]
    if i.errors:
        reasons = "; ".join(f"{_e(r)}: {c}" for r, c in sorted(i.reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(f'<p class="note">{i.errors} record(s) could not be decided ({reasons}), '
                   f"e.g. {_e(', '.join(i.error_examples))}.</p>")
    outputs = sorted(i.outputs, key=lambda o: -o.changed)
    out.append(bar_chart([(o.output, o.changed) for o in outputs], "records decided differently, per output"))
    if outputs:
        out.append("<table><tr><th>output</th><th>old</th><th>new</th><th>records</th><th>examples</th></tr>")
        for o in outputs:
            for t in sorted(o.transitions, key=lambda t: -t.count):
                new = f"same, {t.due}" if t.due else t.new
                out.append(f"<tr><td>{_e(o.output)}</td><td class=\"old\">{outcome_html(d, t.old)}</td>"
                           f'<td class="new">{outcome_html(d, new)}</td><td class="num">{t.count}</td>'
                           f"<td>{_e(', '.join(t.examples))}</td></tr>")
            if o.other:
                out.append(f'<tr><td>{_e(o.output)}</td><td colspan="2">(other changes)</td>'
                           f'<td class="num">{o.other}</td><td></td></tr>')
        out.append("</table>")
    out.append("</section>")
    return out


def _whatif(d) -> list[str]:
    w = getattr(d, "whatif", None)
    if w is None:
        return []
    out = [f'<section id="whatif"><h2>What if: old and new totals over <code>{_e(w.corpus)}</code></h2>',
           f"<p>{w.records} records decided under both policies.</p>"]
    for table in w.tables:
        if not table.rows:
            continue
        out.append(f'<h3 class="whatif-table">{_e(table.title)}</h3>')
        labelled = [(_plain(d, r.key), r.old, r.new) for r in table.rows]
        out.append(paired_chart(labelled, table.title))
        out.append(f"<table><tr><th>{_e(table.key)}</th><th>old</th><th>new</th><th>change</th></tr>")
        for r, (name, _, _) in zip(table.rows, labelled):
            delta = r.new - r.old
            out.append(f"<tr><td>{_e(name)}</td><td class=\"num\">{_num(r.old)}</td><td class=\"num\">{_num(r.new)}</td>"
                       f'<td class="num">{"+" if delta > 0 else ""}{_num(delta)}</td></tr>')
        out.append("</table>")
        if table.note:
            out.append(f'<p class="note">{_e(table.note)}</p>')
    out.append("</section>")
    return out


def _plain(d, key: str) -> str:
    label = d.labels.name(key)
    return f"{label} ({key})" if label else key


def render_html(d) -> str:
    """The diff as one HTML page (UTF-8, no external resources)."""
    body = [*_summary(d), *_structural(d), *_semantic(d), *_impact(d), *_whatif(d)]
    if d.notes:
        body.append('<section id="notes"><h2>Notes</h2><ul>' + "".join(f"<li>{_e(n)}</li>" for n in d.notes)
                    + "</ul></section>")
    title = f"Policy diff: {d.old} → {d.new}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{_e(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n")
