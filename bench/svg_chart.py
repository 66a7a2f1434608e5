"""Line and bar charts as SVG, drawn by the benches themselves.

docs/benchmarks.md shows the curves the benches measure (report cost against population,
audited throughput against concurrency) and the bars they compare (throughput and latency
per target of the own-graph and gateway-bound tables). An SVG is text a bench can write with
nothing installed, so every bench draws its own chart; the page links it beside the table
that holds the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import floor, log10
from pathlib import Path
from xml.sax.saxutils import escape

_PALETTE = ("#4c72b0", "#55a868", "#c44e52", "#8172b2", "#ccb974")
_WIDTH, _HEIGHT = 640, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 30, 40, 60


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: tuple[float, ...]  # one per point of the chart's x axis


@dataclass(frozen=True, slots=True)
class Guide:
    """A horizontal line marking a target."""

    value: float
    label: str


def line_chart(
    path: Path,
    *,
    title: str,
    x_label: str,
    y_label: str,
    xs: tuple[int, ...],
    series: tuple[Series, ...],
    guide: Guide | None = None,
    log_x: bool = False,
) -> None:
    """Write a chart of `series` over `xs` (evenly spaced, or on a log scale) to `path`."""
    tops = [max(s.values) for s in series] + ([guide.value] if guide else [])
    top = _nice(max(tops) * 1.1)
    plot_width = _WIDTH - _LEFT - _RIGHT
    plot_height = _HEIGHT - _TOP - _BOTTOM

    def x(index: int) -> float:
        if len(xs) == 1:
            return _LEFT + plot_width / 2
        if log_x:
            span = log10(xs[-1]) - log10(xs[0])
            return _LEFT + (log10(xs[index]) - log10(xs[0])) / span * plot_width
        return _LEFT + index / (len(xs) - 1) * plot_width

    def y(value: float) -> float:
        return _TOP + (1 - value / top) * plot_height

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    for step in range(5):
        value = top * step / 4
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{_LEFT - 8}" y="{y(value) + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    if guide is not None:
        parts.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y(guide.value):.1f}" '
            f'y2="{y(guide.value):.1f}" stroke="#c44e52" stroke-dasharray="5 4"/>'
        )
        parts.append(
            f'<text x="{_LEFT + plot_width / 2:.1f}" y="{y(guide.value) - 5:.1f}" '
            'text-anchor="middle" '
            f'fill="#c44e52">{escape(guide.label)}</text>'
        )
    for index, value in enumerate(xs):
        parts.append(
            f'<text x="{x(index):.1f}" y="{_HEIGHT - _BOTTOM + 18}" text-anchor="middle">'
            f"{value:,}</text>"
        )
    parts.append(
        f'<text x="{_WIDTH / 2}" y="{_HEIGHT - 18}" text-anchor="middle">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text x="16" y="{_TOP + plot_height / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {_TOP + plot_height / 2:.1f})">{escape(y_label)}</text>'
    )
    for number, line in enumerate(series):
        colour = _PALETTE[number % len(_PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        parts += [
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}"/>'
            for i, v in enumerate(line.values)
        ]
        parts.append(
            f'<text x="{_LEFT + 10}" y="{_TOP + 16 + 16 * number}" fill="{colour}">'
            f"{escape(line.name)}</text>"
        )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def bar_chart(
    path: Path,
    *,
    title: str,
    value_label: str,
    labels: tuple[str, ...],
    series: tuple[Series, ...],
) -> None:
    """Write horizontal bars to `path`: a group per label, a bar per series in each group
    (every series has one value per label), the value written at the end of each bar."""
    left = 170
    group = 14 * len(series) + 16
    height = _TOP + group * len(labels) + _BOTTOM
    top = _nice(max(max(s.values) for s in series) * 1.15)
    plot_width = _WIDTH - left - _RIGHT

    def x(value: float) -> float:
        return left + value / top * plot_width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{_WIDTH}" height="{height}" fill="white"/>',
        f'<text x="{_WIDTH / 2}" y="22" text-anchor="middle" font-size="14">{escape(title)}</text>',
    ]
    bottom = height - _BOTTOM
    for step in range(5):
        value = top * step / 4
        parts.append(
            f'<line x1="{x(value):.1f}" x2="{x(value):.1f}" y1="{_TOP}" y2="{bottom}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{x(value):.1f}" y="{bottom + 16}" text-anchor="middle">{value:g}</text>'
        )
    parts.append(
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 18}" text-anchor="middle">'
        f"{escape(value_label)}</text>"
    )
    for index, label in enumerate(labels):
        y = _TOP + group * index + 8
        parts.append(
            f'<text x="{left - 8}" y="{y + 7 * len(series) + 4:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
        for number, bars in enumerate(series):
            colour = _PALETTE[number % len(_PALETTE)]
            value = bars.values[index]
            parts.append(
                f'<rect x="{left}" y="{y + 14 * number}" width="{x(value) - left:.1f}" '
                f'height="12" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{x(value) + 4:.1f}" y="{y + 14 * number + 10}" fill="{colour}">'
                f"{value:,.1f}</text>"
            )
    if len(series) > 1:
        for number, bars in enumerate(series):
            parts.append(
                f'<text x="{_WIDTH - _RIGHT}" y="{_TOP + 4 + 16 * number}" text-anchor="end" '
                f'fill="{_PALETTE[number % len(_PALETTE)]}">{escape(bars.name)}</text>'
            )
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** floor(log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return 10.0 * power
