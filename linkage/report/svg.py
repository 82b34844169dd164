"""Charts as inline SVG strings, drawn in Python (no script, no download; they print and zoom).

Bar charts, a heatmap, an UpSet chart and a histogram.  Label space is sized from the text
(CJK characters count one em, others about 0.6 em) so labels do not overlap the bars; long
labels are shortened with an ellipsis and keep their full text in a tooltip (`<title>`).
"""

from __future__ import annotations

import math
from html import escape
from typing import Callable, Sequence

FONT = 12
BAR = "#3b6ea8"
ACCENT = "#c0392b"
GRID = "#d9dee5"
TEXT = "#1f2933"
MUTED = "#5f6b7a"


def text_width(text: str, size: float = FONT) -> float:
    """Approximate rendered width: wide (CJK, full-width) characters 1 em, others 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else 0.6 * size for ch in text)


def shorten(text: str, width: float, size: float = FONT) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _text(x: float, y: float, label: str, anchor: str = "start", size: float = FONT,
          color: str = TEXT, full: str | None = None, extra: str = "") -> str:
    tip = f"<title>{escape(full)}</title>" if full and full != label else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" '
            f'text-anchor="{anchor}"{extra}>{tip}{escape(label)}</text>')


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def bar_chart(items: Sequence[tuple[str, float]], fmt: Callable[[float], str], title: str,
              width: int = 880, color: str = BAR) -> str:
    """Horizontal bars, one per (label, value), in the given order."""
    row, pad = 22, 6
    label_w = min(max((text_width(lbl) for lbl, _ in items), default=40) + 16, width * 0.4)
    value_w = max((text_width(fmt(v)) for _, v in items), default=30) + 10
    plot_w = width - label_w - value_w
    top = max((v for _, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        w = max(plot_w * (value or 0) / top, 0)
        body.append(_text(label_w - 8, y + 15, shorten(label, label_w - 16), "end", full=label))
        body.append(f'<rect x="{label_w:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                    f'fill="{color}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        body.append(_text(label_w + w + 4, y + 15, fmt(value), color=MUTED))
    return _svg(width, pad * 2 + row * len(items), body, title)


def _blend(share: float) -> str:
    """White to dark blue for 0..1."""
    share = min(max(share, 0.0), 1.0)
    low, high = (255, 255, 255), (31, 78, 140)
    return "#" + "".join(f"{round(a + (b - a) * share):02x}" for a, b in zip(low, high))


def heatmap(labels: Sequence[str], values: Sequence[Sequence[float | None]],
            cell_text: Callable[[float | None], str], title: str, cell: int = 46) -> str:
    """A square matrix: row i, column j coloured by values[i][j] (0..1)."""
    n = len(labels)
    label_w = min(max((text_width(lbl) for lbl in labels), default=40) + 10, 220)
    top = label_w * 0.75 + 10  # rotated column labels (-45°) need about w·sin45 of height
    body = []
    for j, label in enumerate(labels):
        x, y = label_w + j * cell + cell / 2, top - 6
        body.append(_text(x, y, shorten(label, label_w - 10), "start", full=label,
                          extra=f' transform="rotate(-45 {x:.1f} {y:.1f})"'))
    for i, label in enumerate(labels):
        y = top + i * cell
        body.append(_text(label_w - 6, y + cell / 2 + 4, shorten(label, label_w - 10), "end",
                          full=label))
        for j in range(n):
            v = values[i][j]
            x = label_w + j * cell
            fill = "#f1f3f5" if v is None else _blend(v)
            ink = "#ffffff" if v is not None and v > 0.55 else TEXT
            body.append(f'<rect x="{x}" y="{y:.1f}" width="{cell - 2}" height="{cell - 2}" '
                        f'fill="{fill}"><title>{escape(labels[i])} → {escape(labels[j])}: '
                        f'{escape(cell_text(v))}</title></rect>')
            body.append(_text(x + (cell - 2) / 2, y + cell / 2 + 3, cell_text(v), "middle",
                              size=11, color=ink))
    return _svg(label_w + n * cell + 10, top + n * cell + 10, body, title)


def upset(sets: Sequence[str], combinations: Sequence[tuple[Sequence[str], int]], title: str,
          axis_label: str, column: int = 34) -> str:
    """UpSet chart: one column per combination (bar = count), a dot matrix of its member sets."""
    label_w = min(max([text_width(s) for s in sets] + [text_width(axis_label)]) + 12, 200)
    head, bar_h, row = 22, 150, 22      # head: room for the count above the tallest bar
    top = max((c for _, c in combinations), default=0) or 1
    width = label_w + column * len(combinations) + 20
    base = head + bar_h                 # bars stand on this line
    matrix_top = base + 12
    body = [_text(label_w - 6, head + 4, axis_label, "end", color=MUTED),
            f'<line x1="{label_w}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="{GRID}"/>']
    for i, name in enumerate(sets):
        y = matrix_top + i * row
        if i % 2 == 0:
            body.append(f'<rect x="{label_w}" y="{y}" width="{width - label_w - 10}" '
                        f'height="{row}" fill="#f6f8fa"/>')
        body.append(_text(label_w - 6, y + 15, shorten(name, label_w - 12), "end", full=name))
    for k, (members, count) in enumerate(combinations):
        cx = label_w + k * column + column / 2
        h = bar_h * count / top
        body.append(f'<rect x="{cx - column * 0.35:.1f}" y="{base - h:.1f}" '
                    f'width="{column * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"><title>'
                    f'{escape(" + ".join(members))}: {count:,}</title></rect>')
        body.append(_text(cx, base - h - 4, f"{count:,}", "middle", size=10, color=MUTED))
        ys = [matrix_top + sets.index(m) * row + row / 2 for m in members if m in sets]
        if len(ys) > 1:
            body.append(f'<line x1="{cx:.1f}" y1="{min(ys):.1f}" x2="{cx:.1f}" y2="{max(ys):.1f}" '
                        f'stroke="{TEXT}" stroke-width="2"/>')
        for i in range(len(sets)):
            on = sets[i] in members
            body.append(f'<circle cx="{cx:.1f}" cy="{matrix_top + i * row + row / 2:.1f}" r="5" '
                        f'fill="{TEXT if on else "#d0d5db"}"/>')
    return _svg(width, matrix_top + row * len(sets) + 10, body, title)


def histogram(edges: Sequence[float], counts: Sequence[int], title: str, axis_label: str,
              marker: float | None = None, marker_label: str = "", width: int = 760,
              height: int = 220) -> str:
    """Vertical bars for bins [edges[i], edges[i+1]); an optional vertical marker line."""
    left, bottom, top_pad = 56, 28, 26
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    lo, hi = edges[0], edges[-1]
    span = (hi - lo) or 1
    peak = max(counts, default=0) or 1

    def x_of(v: float) -> float:
        return left + plot_w * (v - lo) / span

    body = [f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
            f'y2="{top_pad + plot_h}" stroke="{MUTED}"/>',
            _text(left - 6, top_pad + 4, f"{peak:,}", "end", size=10, color=MUTED),
            _text(left - 6, top_pad + plot_h, "0", "end", size=10, color=MUTED),
            _text(4, 12, axis_label, size=10, color=MUTED)]
    for a, b, n in zip(edges[:-1], edges[1:], counts):
        h = plot_h * n / peak
        body.append(f'<rect x="{x_of(a) + 0.5:.1f}" y="{top_pad + plot_h - h:.1f}" '
                    f'width="{max(x_of(b) - x_of(a) - 1, 0.5):.1f}" height="{h:.1f}" fill="{BAR}">'
                    f'<title>[{a:.1f}, {b:.1f}): {n:,}</title></rect>')
    step = _nice_step(span / 8)
    tick = math.ceil(lo / step) * step
    while tick <= hi + 1e-9:
        body.append(_text(x_of(tick), height - 10, f"{tick:g}", "middle", size=10, color=MUTED))
        tick += step
    if marker is not None and lo <= marker <= hi:
        x = x_of(marker)
        body.append(f'<line x1="{x:.1f}" y1="{top_pad - 8}" x2="{x:.1f}" y2="{top_pad + plot_h}" '
                    f'stroke="{ACCENT}" stroke-width="2" stroke-dasharray="4 3"/>')
        label = f"{marker_label} {marker:.2f}"
        right = x + 4 + text_width(label, 11) <= width
        body.append(_text(x + 4 if right else x - 4, top_pad - 10, label,
                          "start" if right else "end", size=11, color=ACCENT))
    return _svg(width, height, body, title)


def _nice_step(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 5, 10):
        if raw <= mult * power:
            return mult * power
    return 10 * power


def weight_chart(groups: Sequence[tuple[str, Sequence[tuple[str, float]]]],
                 fmt: Callable[[float], str], title: str, width: int = 880) -> str:
    """Match weights: one horizontal bar per (label, weight) from a zero line, positive to the
    right, negative to the left (accent colour), under a heading row per group."""
    row, pad = 20, 6
    labels = [lbl for _, items in groups for lbl, _ in items] + [g for g, _ in groups]
    label_w = min(max((text_width(lbl) for lbl in labels), default=40) + 24, width * 0.35)
    values = [v for _, items in groups for _, v in items]
    value_w = max((text_width(fmt(v)) for v in values), default=30) + 10
    lo, hi = min([0.0, *values]), max([0.0, *values])
    plot_w = width - label_w - 2 * value_w
    span = (hi - lo) or 1
    zero = label_w + value_w + plot_w * (-lo) / span
    body, y = [], pad
    for group, items in groups:
        body.append(_text(4, y + 14, shorten(group, label_w - 8), size=FONT, full=group,
                          extra=' font-weight="bold"'))
        y += row
        for label, value in items:
            w = plot_w * abs(value) / span
            x = zero if value >= 0 else zero - w
            color = BAR if value >= 0 else ACCENT
            body.append(_text(label_w - 8, y + 14, shorten(label, label_w - 24), "end", full=label))
            body.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                        f'fill="{color}"><title>{escape(group)} · {escape(label)}: '
                        f'{escape(fmt(value))}</title></rect>')
            body.append(_text(x + w + 4 if value >= 0 else x - 4, y + 14, fmt(value),
                              "start" if value >= 0 else "end", size=11, color=MUTED))
            y += row
    body.append(f'<line x1="{zero:.1f}" y1="{pad}" x2="{zero:.1f}" y2="{y}" stroke="{TEXT}"/>')
    return _svg(width, y + pad, body, title)
