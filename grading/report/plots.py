"""Plots as inline SVG (`bar_chart`, `histogram`): no dependency, byte-for-byte reproducible,
every text escaped; bar labels wrap, never cut."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from markupsafe import Markup, escape

from datalit.grading.report.text import _fmt

# --- plots (inline SVG) ------------------------------------------------------------------------

_INK, _MUTED, _TRACK = "#1f2933", "#52606d", "#e4e7eb"
_GOOD, _SOME, _NONE = "#2f855a", "#b7791f", "#c53030"


def _svg_open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-weight="bold" fill="{_INK}">{escape(title)}</text>',
    ]


def _lines(label: str, width: int = 30) -> list[str]:
    """A label wrapped at spaces into lines of at most `width` characters (a longer word is
    split), so the whole label is shown within the label column."""
    return textwrap.wrap(label, width, break_on_hyphens=False) or [""]


def bar_chart(
    rows: Sequence[tuple[str, float, float]], *, title: str, percent: bool = False
) -> Markup:
    """Horizontal bars, one per (label, value, maximum): a grey track as long as the maximum,
    filled in green (full), amber (part) or red (nothing). Every text is escaped."""
    # 30 characters of 13 px sans-serif fit in the 240 px label column (about 7 px each).
    label_w, bar_w, line_h, bar_h, top = 240, 300, 16, 16, 28
    wrapped = [_lines(str(label)) for label, _, _ in rows]
    heights = [max(26, line_h * len(lines) + 10) for lines in wrapped]
    width, height = label_w + bar_w + 90, top + (sum(heights) if rows else 26) + 6
    out = _svg_open(width, height, title)
    if not rows:
        out.append(f'<text x="0" y="{top + 16}" fill="{_MUTED}">no data</text>')
    y = top
    for (_label, value, maximum), lines, row_h in zip(rows, wrapped, heights, strict=True):
        fraction = min(max(value / maximum, 0.0), 1.0) if maximum > 0 else 0.0
        color = _GOOD if fraction >= 0.999 else _NONE if fraction <= 0.001 else _SOME
        shown = f"{fraction:.0%}" if percent else f"{_fmt(value)} / {_fmt(maximum)}"
        middle = y + row_h / 2
        first = middle - line_h * (len(lines) - 1) / 2 + 4.5
        spans = "".join(
            f'<tspan x="{label_w - 8}" y="{first + k * line_h:g}">{escape(line)}</tspan>'
            for k, line in enumerate(lines)
        )
        out += [
            f'<text class="label" text-anchor="end" fill="{_INK}">{spans}</text>',
            f'<rect x="{label_w}" y="{middle - bar_h / 2:g}" width="{bar_w}" height="{bar_h}" '
            f'fill="{_TRACK}"/>',
            f'<rect x="{label_w}" y="{middle - bar_h / 2:g}" width="{bar_w * fraction:.1f}" '
            f'height="{bar_h}" fill="{color}"/>',
            f'<text x="{label_w + bar_w + 8}" y="{middle + 4.5:g}" fill="{_INK}">'
            f"{escape(shown)}</text>",
        ]
        y += row_h
    out.append("</svg>")
    return Markup("\n".join(out))


def histogram(bins: Sequence[dict], *, title: str) -> Markup:
    """Vertical bars, one per bin ({"from", "to", "count"}), count on top, range below."""
    left, top, plot_h, bar_w, gap = 8, 34, 140, 52, 6
    width = left + len(bins) * (bar_w + gap) + 8
    height = top + plot_h + 40
    out = _svg_open(max(width, 320), height, title)
    tallest = max((b["count"] for b in bins), default=0)
    base = top + plot_h
    for i, b in enumerate(bins):
        x = left + i * (bar_w + gap)
        h = plot_h * b["count"] / tallest if tallest else 0.0
        out += [
            f'<rect x="{x}" y="{base - h:.1f}" width="{bar_w}" height="{h:.1f}" fill="#3b6ea5"/>',
            f'<text x="{x + bar_w / 2}" y="{base - h - 4:.1f}" text-anchor="middle" '
            f'fill="{_INK}">{b["count"]}</text>',
            f'<text x="{x + bar_w / 2}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="{_MUTED}">{escape(_fmt(b["from"]))}–{escape(_fmt(b["to"]))}</text>',
        ]
    out.append(f'<line x1="{left}" y1="{base}" x2="{width - 8}" y2="{base}" stroke="{_MUTED}"/>')
    out.append("</svg>")
    return Markup("\n".join(out))
