"""Small inline SVG charts drawn on the server: no chart library, no script, readable without colour.

Every chart has a title and a text description for screen readers, values are written beside the
bars, and each page shows the same figures in a table too.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

# colours with at least 3:1 contrast against white, and distinguishable in greyscale by order
PALETTE = ("#1d70b8", "#f47738", "#505a5f", "#00703c")
FONT = 'font-family="Arial, sans-serif" font-size="13"'


def _num(v: float | None, money: bool = False) -> str:
    if v is None:
        return "n/a"
    return f"£{v:,.0f}" if money else f"{v:,.0f}"


def _svg(width: int, height: int, title: str, desc: str, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{body}</svg>"
    )


def hbars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    money: bool = False,
    marks: dict[str, float] | None = None,
) -> Markup:
    """Horizontal bars, one per label, with the value written at the end of each."""
    left, width, row = 230, 720, 26
    top = 30
    vals = [v or 0 for v in values]
    top_value = max([*vals, *(marks or {}).values(), 1])
    scale = (width - left - 90) / top_value
    parts = [f'<text x="0" y="18" {FONT} font-weight="bold">{escape(title)}</text>']
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        w = max((v or 0) * scale, 1)
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" {FONT}>{escape(lab[:34])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 16}" {FONT}>{_num(v, money)}</text>')
    height = top + row * max(len(labels), 1) + 24
    for name, value in (marks or {}).items():
        x = left + value * scale
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - 20}" stroke="#0b0c0c" stroke-dasharray="4 3"/>'
        )
        parts.append(f'<text x="{x + 3:.1f}" y="{height - 6}" {FONT}>{escape(name)} ({value:,.0f})</text>')
    desc = "; ".join(f"{lab}: {_num(v, money)}" for lab, v in zip(labels, values, strict=True))
    return _svg(width, height, title, desc, "".join(parts))


def columns(
    labels: Sequence[str], values: Sequence[float | None], *, title: str, money: bool = False
) -> Markup:
    """Vertical columns in order (a time series), labelled below."""
    width, height, bottom, top = 720, 260, 50, 40
    n = max(len(labels), 1)
    slot = (width - 20) / n
    vals = [v or 0 for v in values]
    scale = (height - bottom - top) / max([*vals, 1])
    parts = [f'<text x="0" y="18" {FONT} font-weight="bold">{escape(title)}</text>']
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        h = (v or 0) * scale
        x = 10 + i * slot
        y = height - bottom - h
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"/>'
        )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" {FONT}>{_num(v, money)}</text>'
        )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" {FONT}>{escape(lab)}</text>'
        )
    desc = "; ".join(f"{lab}: {_num(v, money)}" for lab, v in zip(labels, values, strict=True))
    return _svg(width, height, title, desc, "".join(parts))


def grouped_bars(labels: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str) -> Markup:
    """Horizontal bars grouped by label, one bar per series, with a key."""
    left, width, bar = 230, 720, 14
    names = list(series)
    group = bar * len(names) + 12
    top = 30 + 22
    every = [v or 0 for vals in series.values() for v in vals]
    scale = (width - left - 70) / max([*every, 1])
    parts = [f'<text x="0" y="18" {FONT} font-weight="bold">{escape(title)}</text>']
    x = left
    for j, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="28" width="12" height="12" fill="{PALETTE[j % 4]}"/>')
        parts.append(f'<text x="{x + 16}" y="39" {FONT}>{escape(name)}</text>')
        x += 16 + 7 * len(name) + 18
    for i, lab in enumerate(labels):
        y = top + i * group
        parts.append(
            f'<text x="{left - 8}" y="{y + group / 2:.1f}" text-anchor="end" {FONT}>{escape(lab[:34])}</text>'
        )
        for j, name in enumerate(names):
            v = series[name][i]
            w = max((v or 0) * scale, 1)
            yy = y + j * bar
            parts.append(
                f'<rect x="{left}" y="{yy}" width="{w:.1f}" height="{bar - 2}" fill="{PALETTE[j % 4]}"/>'
            )
            parts.append(
                f'<text x="{left + w + 4:.1f}" y="{yy + bar - 3}" font-family="Arial, sans-serif" font-size="11">{_num(v)}</text>'
            )
    height = top + group * max(len(labels), 1) + 10
    desc = "; ".join(
        f"{lab}: " + ", ".join(f"{n} {_num(series[n][i])}" for n in names) for i, lab in enumerate(labels)
    )
    return _svg(width, height, title, desc, "".join(parts))
