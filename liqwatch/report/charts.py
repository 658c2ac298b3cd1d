"""Inline SVG charts for the HTML report, generated in Python (no JavaScript, no CDN).

Pure and deterministic: the same report gives the same bytes (coordinates are rounded to 0.1 px).
- `timeline`: liquidations per chart bucket, shorts above the axis and longs below, with the
  price line (when candles exist) on its own scale at the right;
- `coins`: per coin, long and short USD as stacked horizontal bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from liqwatch.report import words
from liqwatch.report.model import Bar, CoinRow, PriceLine

LONG = "#d9534f"
SHORT = "#2e9d5b"
PRICE = "#2f5fb3"
INK = "#333"
GRID = "#ddd"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _f(x: float) -> str:
    return f"{x:.1f}"


def _nice_max(v: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above v (v > 0)."""
    if v <= 0:
        return 1.0
    e = math.floor(math.log10(v))
    for mult in (1.0, 2.0, 2.5, 5.0, 10.0):
        candidate = mult * 10.0**e
        if candidate >= v * (1 - 1e-12):
            return candidate
    return 10.0 ** (e + 1)


def timeline(
    bars: list[Bar],
    line: PriceLine | None,
    start: int,
    end: int,
    unrecorded: Sequence[tuple[int, int]] = (),
    width: int = 720,
    height: int = 300,
) -> str:
    """Shorts up, longs down, per bucket; the price line over it. The x axis is the report's window
    (start, end], whatever stretch holds events, so it matches the caption; nothing is drawn outside
    the plot (a clip path)."""
    left, right, top, bottom = 60, 70 if line else 16, 24, 36
    plot_w = width - left - right
    plot_h = height - top - bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="Liquidations per period: shorts above the axis, longs below" {FONT}>'
    ]
    if not bars:
        out.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{INK}">No liquidations</text></svg>'
        )
        return "".join(out)
    t0, t1 = start, end
    span = max(t1 - t0, 1)
    peak = _nice_max(max(max(b.short_usd, b.long_usd) for b in bars))
    mid = top + plot_h / 2
    scale = (plot_h / 2) / peak

    def x_of(ts: int) -> float:
        return left + (ts - t0) / span * plot_w

    for off, on in unrecorded:  # outside the record: shaded and said, never drawn as zero
        x0, x1 = x_of(max(off, t0)), x_of(min(on, t1))
        out.append(
            f'<rect x="{_f(x0)}" y="{top}" width="{_f(x1 - x0)}" height="{plot_h}" fill="#eee"/>'
            + (
                f'<text x="{_f((x0 + x1) / 2)}" y="{_f(top + 14)}" text-anchor="middle" fill="#888">not recorded</text>'
                if x1 - x0 >= 80
                else ""
            )
        )
    # grid and y labels
    for frac in (1.0, 0.5):
        for sign in (1, -1):
            y = mid - sign * frac * peak * scale
            out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y)}" y2="{_f(y)}" stroke="{GRID}"/>')
            label = words.money_short(frac * peak)  # which side is which: the legend and the axis
            out.append(f'<text x="{left - 4}" y="{_f(y + 4)}" text-anchor="end" fill="{INK}">{escape(label)}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(mid)}" y2="{_f(mid)}" stroke="{INK}"/>')
    for b in bars:
        x = x_of(b.start) + 1
        w = max(x_of(b.end) - x_of(b.start) - 2, 1)
        if b.short_usd > 0:
            h = b.short_usd * scale
            out.append(
                f'<rect x="{_f(x)}" y="{_f(mid - h)}" width="{_f(w)}" height="{_f(h)}" fill="{SHORT}">'
                f"<title>{escape(words.clock(b.end))} shorts {escape(words.money(b.short_usd))}</title></rect>"
            )
        if b.long_usd > 0:
            h = b.long_usd * scale
            out.append(
                f'<rect x="{_f(x)}" y="{_f(mid)}" width="{_f(w)}" height="{_f(h)}" fill="{LONG}">'
                f"<title>{escape(words.clock(b.end))} longs {escape(words.money(b.long_usd))}</title></rect>"
            )
    out.append(  # which side is which, beside the axis where no amount label sits
        f'<text x="{left - 4}" y="{_f(mid - 6)}" text-anchor="end" fill="{SHORT}">shorts ↑</text>'
        f'<text x="{left - 4}" y="{_f(mid + 14)}" text-anchor="end" fill="{LONG}">longs ↓</text>'
    )
    # x labels: window ticks (every 3 hours for a day), the first left-aligned, the last right-aligned
    step = bars[0].end - bars[0].start if bars else span
    ticks = max(1, math.ceil(span / step / 8)) * step
    for i, ts in enumerate(range(t0, t1 + 1, ticks)):
        anchor = "start" if i == 0 else "end" if ts + ticks > t1 else "middle"
        out.append(
            f'<text x="{_f(x_of(ts))}" y="{height - bottom + 16}" text-anchor="{anchor}" fill="{INK}">'
            f"{escape(words.clock(ts)[:5])}</text>"
        )
    if line is not None and len(line.points) >= 2:
        lo = min(p for _, p in line.points)
        hi = max(p for _, p in line.points)
        pad = (hi - lo) * 0.05 or hi * 0.01 or 1.0
        lo, hi = lo - pad, hi + pad

        def y_of(p: float) -> float:
            return top + (hi - p) / (hi - lo) * plot_h

        path = " ".join(
            f"{'M' if i == 0 else 'L'}{_f(x_of(ts))},{_f(y_of(p))}" for i, (ts, p) in enumerate(line.points)
        )
        out.append(
            f'<clipPath id="plot"><rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/></clipPath>'
            f'<path d="{path}" fill="none" stroke="{PRICE}" stroke-width="2" clip-path="url(#plot)"/>'
        )
        for p in (hi - pad, lo + pad):
            out.append(
                f'<text x="{left + plot_w + 4}" y="{_f(y_of(p) + 4)}" fill="{PRICE}">{escape(words.price(p))}</text>'
            )
        out.append(f'<text x="{width - 4}" y="14" text-anchor="end" fill="{PRICE}">— {escape(line.coin)} price</text>')
    out.append(
        f'<text x="{left}" y="14" fill="{SHORT}">■ shorts liquidated</text>'
        f'<text x="{left + 130}" y="14" fill="{LONG}">■ longs liquidated</text>'
    )
    out.append("</svg>")
    return "".join(out)


def coins(rows: list[CoinRow], limit: int = 10, width: int = 720) -> str:
    """Per coin (the top `limit` by USD): longs and shorts as one stacked bar."""
    shown = [r for r in rows if r.total_usd > 0]
    shown = sorted(shown, key=lambda r: (-r.total_usd, r.coin))[:limit]
    row_h, top, left, right = 22, 24, 64, 110
    height = top + row_h * max(len(shown), 1) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="Liquidations by coin, longs and shorts" {FONT}>'
    ]
    if not shown:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No priced liquidations</text></svg>')
        return "".join(out)
    peak = max(r.total_usd for r in shown)
    plot_w = width - left - right
    for i, r in enumerate(shown):
        y = top + i * row_h
        wl = r.long_usd / peak * plot_w
        ws = r.short_usd / peak * plot_w
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{escape(r.coin)}</text>')
        if wl > 0:
            out.append(
                f'<rect x="{left}" y="{y + 3}" width="{_f(wl)}" height="{row_h - 6}" fill="{LONG}">'
                f"<title>{escape(r.coin)} longs {escape(words.money(r.long_usd))}</title></rect>"
            )
        if ws > 0:
            out.append(
                f'<rect x="{_f(left + wl)}" y="{y + 3}" width="{_f(ws)}" height="{row_h - 6}" fill="{SHORT}">'
                f"<title>{escape(r.coin)} shorts {escape(words.money(r.short_usd))}</title></rect>"
            )
        out.append(
            f'<text x="{_f(left + wl + ws + 6)}" y="{y + 14}" fill="{INK}">'
            f"{escape(words.money_short(r.total_usd))}</text>"
        )
    out.append(
        f'<text x="{left}" y="14" fill="{LONG}">■ longs</text>'
        f'<text x="{left + 60}" y="14" fill="{SHORT}">■ shorts</text>'
    )
    out.append("</svg>")
    return "".join(out)
