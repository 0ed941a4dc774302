"""Small SVG charts drawn on the server (no JavaScript): daily outcomes as bars, feed sizes as a line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 600, 140, 24


@dataclass(frozen=True)
class Series:
    """One coloured series of a chart."""

    name: str
    css: str  # a class of static/console.css, so the colours live in one place
    values: Sequence[float]


def _scale(top: float) -> float:
    return (HEIGHT - 2 * PAD) / top if top > 0 else 0.0


def stacked_bars(labels: Sequence[str], series: Sequence[Series], title: str) -> Markup:
    """Bars per label, the series stacked; each bar has a tooltip with the figures."""
    count = len(labels)
    totals = [sum(s.values[i] for s in series) for i in range(count)]
    scale = _scale(max(totals, default=0))
    step = (WIDTH - 2 * PAD) / max(count, 1)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, label in enumerate(labels):
        x = PAD + i * step
        y: float = HEIGHT - PAD
        tip = ", ".join(f"{s.name} {int(s.values[i])}" for s in series)
        parts.append(f"<g><title>{escape(label)}: {escape(tip)}</title>")
        for s in series:
            h = s.values[i] * scale
            if h > 0:
                y -= h
                parts.append(f'<rect class="{escape(s.css)}" x="{x + 1:.1f}" y="{y:.1f}" '
                             f'width="{max(step - 2, 1):.1f}" height="{h:.1f}"/>')
        parts.append("</g>")
    if labels:
        parts.append(f'<text x="{PAD}" y="{HEIGHT - 6}">{escape(labels[0])}</text>')
        parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 6}" text-anchor="end">'
                     f"{escape(labels[-1])}</text>")
    parts.append(f'<text x="{PAD}" y="{PAD - 8}">max {int(max(totals, default=0))} per day</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped; the rest are numbers)


def line(labels: Sequence[str], values: Sequence[float], title: str) -> Markup:
    """A line through the values, with a dot and tooltip per point; a drop is seen at a glance."""
    top = max(values, default=0)
    scale = _scale(top)
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    points = [(PAD + i * step, HEIGHT - PAD - v * scale) for i, v in enumerate(values)]
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line" points="{path}"/>')
        for (x, y), label, v in zip(points, labels, values, strict=True):
            parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                         f"<title>{escape(label)}: {int(v)} items</title></circle>")
    parts.append(f'<text x="{PAD}" y="{PAD - 8}">max {int(top)} items</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped; the rest are numbers)
