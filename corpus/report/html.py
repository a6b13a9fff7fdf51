"""``newsclean report --html``: one self-contained page, charts drawn as inline SVG.

No script, no font, no stylesheet from anywhere: the file opens offline, in any browser, and
can be mailed or archived with the run.
"""

from __future__ import annotations

import re
from html import escape

from corpus.report.summary import Report, group_title

BAR = "#2b6cb0"  # the bars' colour (the screenshot test looks for it)
ACCENT = "#c05621"


LABEL_WIDTH = 250  # px for the labels, left of the bars
LABEL_CHARS = 32  # what fits in it at 12px (7px a character, wide letters included): longer labels end in "…"


def bar_chart(title: str, rows: list[tuple[str, int]], colour: str = BAR, width: int = 640) -> str:
    """Horizontal bars, one per row, labelled with the key (from the left edge, cut on the right with "…"
    when too long, the whole of it on hover) and the count."""
    if not rows:
        return f"<section><h2>{escape(title)}</h2><p class='none'>none</p></section>"
    top = max(n for _, n in rows) or 1
    row_h, label_w = 22, LABEL_WIDTH
    height = row_h * len(rows) + 6
    clip = "labels-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")  # never into the bars, whatever the font
    bars = [f"<clipPath id='{clip}'><rect x='0' y='0' width='{label_w - 8}' height='{height}'/></clipPath>"]
    for i, (label, n) in enumerate(rows):
        y = i * row_h + 3
        w = max(2, int((width - label_w - 70) * n / top))
        short = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"
        bars.append(f"<text x='0' y='{y + 15}' text-anchor='start' clip-path='url(#{clip})'>"
                    f"<title>{escape(label)}</title>{escape(short)}</text>"
                    f"<rect x='{label_w}' y='{y + 2}' width='{w}' height='{row_h - 6}' fill='{colour}'>"
                    f"<title>{escape(label)}: {n}</title></rect>"
                    f"<text x='{label_w + w + 6}' y='{y + 15}'>{n:,}</text>")
    return (f"<section><h2>{escape(title)}</h2><svg width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' role='img' aria-label='{escape(title)}'>{''.join(bars)}</svg></section>")


def render(report: Report, name: str) -> str:
    lengths = [(f"{lo}+ words", report.lengths.get(lo, 0)) for lo in sorted(report.lengths)]
    sizes = [(f"{size} copies", n) for size, n in sorted(report.group_sizes.items())]
    groups = "".join(
        f"<tr><td>{g.size}</td><td>{escape(group_title(g))}</td>"
        f"<td>{escape(', '.join(g.sources))}</td></tr>" for g in report.largest)
    removed = "".join(
        f"<tr><td>{escape(rule)}</td><td>{escape(line)}</td><td>{n:,}</td></tr>"
        for rule, top in sorted(report.removed_lines.items()) for line, n in top.most_common(3))
    totals = (f"<p class='totals'>In the file: <b>{report.records:,}</b> records: <b>{report.kept:,}</b> kept, "
              f"<b>{report.duplicates:,}</b> duplicates; <b>{sum(report.rejects.values()):,}</b> rejects "
              f"and skips.</p>")
    manifest = ""
    if report.manifest:
        m = report.manifest
        manifest = (f"<p>Run {escape(str(m.get('started')))} to {escape(str(m.get('finished')))}, newsclean "
                    f"{escape(str(m.get('newsclean_version')))}, {len(m.get('inputs', []))} inputs.</p>"
                    f"<p class='run'>{escape(report.run_line() or '')}.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>newsclean report: {escape(name)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1a202c; background: #fff; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 15px; margin: 18px 0 6px; }}
section {{ display: inline-block; vertical-align: top; margin: 0 24px 12px 0; }}
svg text {{ font-size: 12px; fill: #2d3748; }} table {{ border-collapse: collapse; }}
td, th {{ border-bottom: 1px solid #e2e8f0; padding: 3px 8px; text-align: left; vertical-align: top; }}
.none {{ color: #718096; }}
</style></head><body>
<h1>newsclean report: {escape(name)}</h1>
{totals}{manifest}
{bar_chart("Languages", report.languages.most_common(12))}
{bar_chart("Text length", lengths)}
{bar_chart("Lines removed, by rule", report.rule_lines.most_common(12), ACCENT)}
{bar_chart("Rejects and skips, by reason", report.rejects.most_common(12), ACCENT)}
{bar_chart("Sites", report.sites.most_common(12))}
{bar_chart("Sources", report.sources.most_common(12))}
{bar_chart("Duplicate groups, by size", sizes)}
<h2>Largest duplicate groups</h2>
<table><tr><th>copies</th><th>title</th><th>sites</th></tr>{groups or "<tr><td colspan=3>none</td></tr>"}</table>
<h2>Most frequent removed lines</h2>
<table><tr><th>rule</th><th>line</th><th>times</th></tr>{removed or "<tr><td colspan=3>none</td></tr>"}</table>
</body></html>
"""
