"""The stage-time chart, drawn on the server as inline SVG: per stage, a bar to the median and a marker at the 90th
percentile, on one scale per group. Every text is escaped; nothing runs in the browser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from api.console.formatting import duration, label

WIDTH = 720
LABEL_WIDTH = 190
VALUE_WIDTH = 150
ROW_HEIGHT = 30
BAR_HEIGHT = 16
TOP = 8


def stage_rows(group: Mapping[str, Any], order: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """(label, summary) per stage the group's clearances passed through, then the total to the decision."""
    stages = group.get("stages") or {}
    rows = [(label(stage), stages[stage]) for stage in order if stage in stages]
    total = group.get("total_to_decision") or {}
    if total.get("count"):
        rows.append(("Acceptance to decision", total))
    return rows


def stage_chart(group: Mapping[str, Any], order: list[str], title: str, chart_id: str) -> Markup:
    rows = [(name, s) for name, s in stage_rows(group, order) if s.get("median_s") is not None]
    if not rows:
        return Markup("")
    longest = max(max(s["median_s"], s["p90_s"]) for _, s in rows) or 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x(seconds: float) -> float:
        return LABEL_WIDTH + plot * seconds / longest

    height = TOP * 2 + ROW_HEIGHT * len(rows) + 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">Bars show the median time per stage; the dark marker shows the 90th '
        "percentile. The table that follows holds the same figures.</desc>",
    ]
    for n, (name, summary) in enumerate(rows):
        y = TOP + n * ROW_HEIGHT
        median, p90 = summary["median_s"], summary["p90_s"]
        mid = y + ROW_HEIGHT / 2
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{mid + 5:.1f}" text-anchor="end" class="chart-label">'
            f"{escape(name)}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{mid - BAR_HEIGHT / 2:.1f}" width="{max(x(median) - LABEL_WIDTH, 1.5):.1f}" '
            f'height="{BAR_HEIGHT}" class="chart-bar"><title>{escape(name)}: median {duration(median)}</title></rect>',
            f'<line x1="{x(p90):.1f}" x2="{x(p90):.1f}" y1="{mid - BAR_HEIGHT / 2 - 4:.1f}" '
            f'y2="{mid + BAR_HEIGHT / 2 + 4:.1f}" class="chart-p90"><title>{escape(name)}: 90th percentile '
            f"{duration(p90)}</title></line>",
            f'<text x="{WIDTH - VALUE_WIDTH + 8}" y="{mid + 5:.1f}" class="chart-value">'
            f"{escape(duration(median))} · p90 {escape(duration(p90))}</text>",
        ]
    axis_y = TOP + ROW_HEIGHT * len(rows) + 4
    parts += [
        f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH + plot}" y1="{axis_y}" y2="{axis_y}" class="chart-axis"/>',
        f'<text x="{LABEL_WIDTH}" y="{axis_y + 16}" class="chart-tick">0</text>',
        f'<text x="{LABEL_WIDTH + plot}" y="{axis_y + 16}" text-anchor="end" class="chart-tick">'
        f"{escape(duration(longest))}</text>",
        "</svg>",
    ]
    # Each number is formatted here and each text escaped above: the result is safe markup.
    return Markup("\n".join(parts))
