"""Incidents over time as SVG charts drawn on the server (no script, no external resource): per
governorate as lines, per district as small bars with their trailing averages; pages show the
same numbers in a table for those who cannot see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from markupsafe import Markup

from digest.trends import DistrictSeries

# Colour-blind-safe (Okabe-Ito) then greys for the long tail.
PALETTE = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#e69f00",
    "#56b4e9",
    "#000000",
    "#f0e442",
    "#7f7f7f",
    "#bcbcbc",
)
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 40, 170, 12, 28


@dataclass(frozen=True, slots=True)
class Series:
    code: str
    name: str
    counts: tuple[int, ...]  # one per day

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class Overview:
    days: tuple[date, ...]
    series: tuple[Series, ...]  # busiest first


def overview(
    rows: list[tuple[date, str, int]], first: date, last: date, names: dict[str, str]
) -> Overview:
    """Counts per (day, governorate P-code) as one series per governorate over [first, last]."""
    days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
    position = {day: n for n, day in enumerate(days)}
    counts: dict[str, list[int]] = {}
    for day, code, number in rows:
        if day in position:
            counts.setdefault(code, [0] * len(days))[position[day]] += number
    series = [
        Series(code, names.get(code, code) if code else "Place not stated", tuple(values))
        for code, values in counts.items()
    ]
    series.sort(key=lambda s: (-s.total, s.name))
    return Overview(days, tuple(series))


def svg(chart: Overview) -> Markup:
    """The chart; every label is escaped (governorate names come from the gazetteer)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((max(s.counts) for s in chart.series), default=0) or 1
    steps = max(len(chart.days) - 1, 1)

    def x(n: int) -> float:
        return LEFT + plot_w * n / steps

    def y(value: int) -> float:
        return TOP + plot_h * (1 - value / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="chart-title">',
        '<title id="chart-title">Incidents per governorate per day</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#999"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    if chart.days:
        for n in sorted({0, len(chart.days) // 2, len(chart.days) - 1}):
            label = chart.days[n].strftime("%d %b")
            parts.append(
                f'<text x="{x(n):.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'font-size="11">{label}</text>'
            )
    for index, series in enumerate(chart.series):
        colour = PALETTE[min(index, len(PALETTE) - 1)]
        points = " ".join(f"{x(n):.1f},{y(v):.1f}" for n, v in enumerate(series.counts))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
            f"<title>{escape(series.name)}: {series.total}</title></polyline>"
        )
        legend_y = TOP + 14 * index + 8
        parts.append(
            f'<rect x="{WIDTH - RIGHT + 12}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{colour}"/><text x="{WIDTH - RIGHT + 28}" y="{legend_y + 1}" '
            f'font-size="11">{escape(series.name)} ({series.total})</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


SMALL_W, SMALL_H = 330, 90
SMALL_LEFT, SMALL_BOTTOM, SMALL_TOP = 26, 16, 6


def district_svg(series: DistrictSeries) -> Markup:
    """One district's new incidents per day as bars, with the 7-day average as a line and the
    28-day one dashed: the numbers a digest of each day compared."""
    plot_w, plot_h = SMALL_W - SMALL_LEFT - 4, SMALL_H - SMALL_TOP - SMALL_BOTTOM
    averages = [v for v in (*series.week, *series.month) if v is not None]
    peak = max([*series.counts, *averages, 1])
    slot = plot_w / max(len(series.days), 1)

    def y(value: float) -> float:
        return SMALL_TOP + plot_h * (1 - value / peak)

    def line(values: tuple[float | None, ...], colour: str, dashes: str) -> str:
        points = " ".join(
            f"{SMALL_LEFT + slot * (n + 0.5):.1f},{y(v):.1f}"
            for n, v in enumerate(values)
            if v is not None
        )
        return (
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5"{dashes} '
            f'points="{points}"/>'
        )

    name = escape(series.district)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SMALL_W} {SMALL_H}" '
        f'class="chart small" role="img" aria-label="{name}: {series.total} incidents">',
        f"<title>{name}: {series.total} new incidents; bars per day, line the 7-day average, "
        "dashes the 28-day average</title>",
        f'<line x1="{SMALL_LEFT}" y1="{SMALL_TOP + plot_h}" x2="{SMALL_LEFT + plot_w}" '
        f'y2="{SMALL_TOP + plot_h}" stroke="#999"/>',
        f'<text x="{SMALL_LEFT - 4}" y="{SMALL_TOP + 8}" text-anchor="end" '
        f'font-size="10">{peak:g}</text>',
    ]
    for n, count in enumerate(series.counts):
        if count:
            top = y(count)
            parts.append(
                f'<rect x="{SMALL_LEFT + slot * n + 0.5:.1f}" y="{top:.1f}" '
                f'width="{max(slot - 1, 1):.1f}" height="{SMALL_TOP + plot_h - top:.1f}" '
                f'fill="#aab7b8"><title>{series.days[n]:%d %b}: {count}</title></rect>'
            )
    parts.append(line(series.week, PALETTE[0], ""))
    parts.append(line(series.month, PALETTE[1], ' stroke-dasharray="4 3"'))
    if series.days:
        for n, anchor in ((0, "start"), (len(series.days) - 1, "end")):
            x = SMALL_LEFT + (0 if anchor == "start" else plot_w)
            parts.append(
                f'<text x="{x:.1f}" y="{SMALL_H - 3}" text-anchor="{anchor}" '
                f'font-size="10">{series.days[n]:%d %b}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
