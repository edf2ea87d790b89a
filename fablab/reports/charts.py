"""Charts as inline SVG, drawn on the server: readable without JavaScript and in print.

Each chart carries a <title> and a <desc> that says every value in words (the text
equivalent read by screen readers); the figures are also in the tables beside it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#0b5563", "#b7410e", "#5b6b00", "#6f3c8f", "#8a5a00", "#1f5fa8")


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bar_chart(chart_id: str, title: str, bars: list[tuple[str, float]], unit: str) -> Markup:
    """Vertical bars, one per label (a month)."""
    width, height, top, bottom, left = 640, 240, 20, 50, 40
    desc = "; ".join(f"{label}: {_number(value)} {unit}" for label, value in bars) or "—"
    top_value = max([v for _, v in bars] + [1])
    step = (width - left) / max(len(bars), 1)
    bar_width = max(min(step * 0.7, 60), 4)
    parts = [f'<svg id="{chart_id}" class="report-chart" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
             f'stroke="#555" />']
    usable = height - top - bottom
    for index, (label, value) in enumerate(bars):
        bar_height = usable * value / top_value
        x = left + index * step + (step - bar_width) / 2
        y = height - bottom - bar_height
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
                     f'height="{bar_height:.1f}" fill="{PALETTE[0]}" />')
        parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" font-size="11" '
                     f'text-anchor="middle" aria-hidden="true">{escape(_number(value))}</text>')
        parts.append(f'<text x="{x + bar_width / 2:.1f}" y="{height - bottom + 16}" '
                     f'font-size="11" text-anchor="middle" aria-hidden="true">'
                     f'{escape(label[:14])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def share_chart(chart_id: str, title: str, shares: list[tuple[str, float]], unit: str) -> Markup:
    """One horizontal bar split into shares (audiences), with a legend."""
    width, bar_height = 640, 32
    total = sum(v for _, v in shares)
    desc = "; ".join(
        f"{label}: {_number(value)} {unit} ({round(100 * value / total) if total else 0} %)"
        for label, value in shares) or "—"
    legend_rows = len(shares)
    height = bar_height + 16 + 20 * legend_rows
    parts = [f'<svg id="{chart_id}" class="report-chart" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(desc)}</desc>']
    x = 0.0
    for index, (label, value) in enumerate(shares):
        part = width * value / total if total else 0
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="0" width="{part:.1f}" height="{bar_height}" '
                     f'fill="{colour}" />')
        x += part
        y = bar_height + 16 + 20 * index
        percent = round(100 * value / total) if total else 0
        parts.append(f'<rect x="0" y="{y - 11}" width="12" height="12" fill="{colour}" />')
        parts.append(f'<text x="18" y="{y}" font-size="12" aria-hidden="true">'
                     f'{escape(label)}: {escape(_number(value))} ({percent} %)</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
