"""Server-side SVG charts: geometry computed here, drawn by the `_bars.html` / `_trend.html`
templates as inline <svg> (no JavaScript, nothing from the internet; texts auto-escaped)."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 120
BAR_AREA = 200
ROW_HEIGHT = 26
CHART_WIDTH = LABEL_WIDTH + BAR_AREA + 40


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float


def _scale(values: list[int], room: float) -> float:
    top = max(values, default=0)
    return room / top if top else 0.0


def horizontal_bars(rows: list[tuple[str, int, str]]) -> dict:
    """(label, value, link) rows as horizontal bars, largest scaled to the bar area."""
    factor = _scale([value for _l, value, _h in rows], BAR_AREA)
    bars = []
    for index, (label, value, href) in enumerate(rows):
        width = max(value * factor, 1 if value else 0)
        y = index * ROW_HEIGHT
        bars.append(
            Bar(
                label,
                value,
                href,
                LABEL_WIDTH,
                y + 4,
                width,
                ROW_HEIGHT - 8,
                LABEL_WIDTH + width + 6,
                y + ROW_HEIGHT / 2 + 5,
            )
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": max(len(rows), 1) * ROW_HEIGHT,
        "label_x": LABEL_WIDTH - 8,
    }


TREND_HEIGHT = 180
TREND_TOP = 20
TREND_BOTTOM = 36
COLUMN_WIDTH = 60


def columns(points: list[tuple[str, int, str]]) -> dict:
    """(label, value, link) points as vertical columns, oldest on the left."""
    room = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM
    factor = _scale([value for _l, value, _h in points], room)
    bars = []
    baseline = TREND_HEIGHT - TREND_BOTTOM
    for index, (label, value, href) in enumerate(points):
        height = max(value * factor, 1 if value else 0)
        x = index * COLUMN_WIDTH + 6
        bars.append(
            Bar(
                label,
                value,
                href,
                x,
                baseline - height,
                COLUMN_WIDTH - 12,
                height,
                x + (COLUMN_WIDTH - 12) / 2,
                baseline - height - 5,
            )
        )
    return {
        "bars": bars,
        "width": max(len(points), 1) * COLUMN_WIDTH,
        "height": TREND_HEIGHT,
        "baseline": baseline,
        "label_y": baseline + 16,
        "year_y": baseline + 30,
    }
