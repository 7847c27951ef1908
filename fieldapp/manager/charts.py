"""Charts drawn on the server as SVG geometry (no chart library, no JavaScript): the page model gives the
template coordinates, and the template writes the <svg>. Phones scale the viewBox to their width."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Colour-blind-safe palette (Okabe–Ito); a rep keeps their colour across the page's charts.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    points: str  # "x,y x,y …" for <polyline>
    dots: list[tuple[float, float, int]]  # x, y, value (the value is the dot's tooltip)
    total: int


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    bottom: int
    series: list[Series]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if value <= step * 4:
            return step * 4
    return value


def trend_chart(
    weeks: list[date], rows: list[tuple[str, list[int]]], *, width: int = 420, height: int = 220
) -> LineChart:
    """One line per rep over the weeks (visits done per week)."""
    left, right, top, bottom = 36, 12, 12, 28
    top_value = _nice_max(max([v for _name, values in rows for v in values] + [1]))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(weeks) - 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return round(left + i * step, 1), round(top + plot_h * (1 - v / top_value), 1)

    series = []
    for index, (name, values) in enumerate(rows):
        coords = [xy(i, v) for i, v in enumerate(values)]
        series.append(
            Series(
                name=name,
                colour=colour(index),
                points=" ".join(f"{x},{y}" for x, y in coords),
                dots=[(x, y, v) for (x, y), v in zip(coords, values, strict=True)],
                total=sum(values),
            )
        )
    every = max(1, len(weeks) // 6)
    x_labels = [(xy(i, 0)[0], f"{w.month}/{w.day}") for i, w in enumerate(weeks) if i % every == 0]
    y_ticks = [(xy(0, v)[1], v) for v in range(0, top_value + 1, top_value // 4)]
    return LineChart(width, height, left, height - bottom, series, x_labels, y_ticks)


@dataclass(frozen=True)
class Bar:
    label: str
    colour: str
    y: float
    done_w: float
    planned_w: float
    done: int
    planned: int


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_w: int
    bars: list[Bar]


def made_vs_planned(
    rows: list[tuple[str, int, int]], *, width: int = 420, row_h: int = 30
) -> BarChart:
    """Per rep: planned stops (light bar) and visits made (dark bar over it)."""
    label_w, right = 120, 48
    top_value = max([max(made, planned) for _n, made, planned in rows] + [1])
    plot_w = width - label_w - right
    bars = [
        Bar(
            label=name,
            colour=colour(i),
            y=8 + i * row_h,
            done_w=round(plot_w * made / top_value, 1),
            planned_w=round(plot_w * planned / top_value, 1),
            done=made,
            planned=planned,
        )
        for i, (name, made, planned) in enumerate(rows)
    ]
    return BarChart(width, 16 + row_h * len(rows), label_w, bars)
