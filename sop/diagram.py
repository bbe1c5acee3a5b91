"""The SOP's flow diagram as inline SVG, drawn from the same definition the workflow runs.

A vertical flowchart: declaration intake, then each step in order, then the outcomes. A step with a `when`
condition is preceded by a decision diamond holding the CEL condition; its "no" branch is a dashed bypass on
the left. Step outcomes that end a clearance early leave the step box to the right and run down a channel,
one per outcome, to that outcome's terminal box. Pure Python, no JavaScript, no external renderer; every text
goes through `html.escape`, so the SVG is well-formed XML whatever the SOP says.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from html import escape

from sop.model import (
    ApprovalStep,
    InspectionStep,
    Lane,
    LicenceCheckStep,
    Outcome,
    RiskStep,
    ScreeningStep,
    SopDefinition,
    Step,
)

# Geometry (px). Fixed widths keep every SOP's diagram the same shape, whatever its texts.
MARGIN = 16
BYPASS_X = 24
BOX_W = 260
CX = 80 + BOX_W // 2  # the main column's centre line
BOX_RIGHT = CX + BOX_W // 2
DIAMOND_W = 320
GAP = 38
FIRST_CHANNEL_X = BOX_RIGHT + 180  # room for exit labels between the step boxes and the first channel
CHANNEL_STEP = 140
OUTCOME_W = 124
OUTCOME_H = 46
LINE_CHARS = 36  # characters of 12 px text that fit a step box

OUTCOME_LABELS = {
    Outcome.released: ("Released", "release notice"),
    Outcome.referred: ("Referred", "to enforcement"),
    Outcome.not_released: ("Not released", "no-release notice"),
    Outcome.invalidated: ("Invalidated", "invalidation notice"),
}
TONES = {  # stroke, fill
    "neutral": ("#5b6675", "#f7f9fb"),
    Outcome.released: ("#1b6e3a", "#e6f4ea"),
    Outcome.referred: ("#8a5300", "#fdf1dc"),
    Outcome.not_released: ("#a3231f", "#fbe7e6"),
    Outcome.invalidated: ("#4a5361", "#eceef1"),
}
LANE_COLOURS = {Lane.green: "#2e7d32", Lane.yellow: "#d4a20a", Lane.red: "#c62828", Lane.blue: "#1565c0"}


@dataclass(frozen=True)
class Exit:
    """A step outcome that ends the clearance early, as an edge to an outcome box."""

    label: str
    outcome: Outcome


@dataclass
class _Svg:
    parts: list[str] = field(default_factory=list)

    def add(self, fragment: str) -> None:
        self.parts.append(fragment)

    def text(self, x: float, y: float, content: str, *, cls: str, anchor: str = "start") -> None:
        self.add(f'<text x="{x:g}" y="{y:g}" class="{cls}" text-anchor="{anchor}">{escape(content)}</text>')

    def path(self, d: str, *, cls: str, marker: str | None = None) -> None:
        end = f' marker-end="url(#{marker})"' if marker else ""
        self.add(f'<path d="{d}" class="{cls}"{end}/>')


def flow_svg(definition: SopDefinition) -> str:
    """The flow diagram of `definition` as a standalone `<svg>` element."""
    svg = _Svg()
    outcomes = _outcome_columns(definition)
    channel_tops: dict[Outcome, float] = {}
    joins: list[tuple[float, float]] = []  # (x, y) of exits that meet a channel below its top

    y = float(MARGIN)
    y = _start_node(svg, y)
    for number, step in enumerate(definition.steps, start=1):
        svg.path(f"M{CX},{y} V{y + GAP}", cls="edge", marker="arrow")
        y += GAP
        if step.when:
            y = _conditional_step(svg, number, step, y, outcomes, channel_tops, joins)
        else:
            y = _step_node(svg, number, step, y, outcomes, channel_tops, joins)

    outcome_y = y + GAP + 8
    svg.path(f"M{CX},{y} V{outcome_y}", cls="edge", marker="arrow")
    _channels(svg, outcomes, channel_tops, joins, outcome_y)
    for outcome, x in outcomes.items():
        _outcome_node(svg, outcome, x, outcome_y)

    width = max(outcomes.values()) + OUTCOME_W // 2 + MARGIN
    height = outcome_y + OUTCOME_H + MARGIN
    title = f"Flow of {definition.title}, version {definition.version}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="sop-flow" role="img" width="{width:g}" '
        f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{_DEFS}{''.join(svg.parts)}</svg>"
    )


# --- what a step can end in ------------------------------------------------------------------------------


def step_exits(step: Step) -> list[Exit]:
    """The outcomes by which `step` can end a clearance before the last step, as the interpreter applies
    them (a possible screening match waits for review; a false positive continues)."""
    if isinstance(step, ScreeningStep):
        return [Exit("confirmed match", step.on_confirmed_match)]
    if isinstance(step, LicenceCheckStep):
        return _merge([Exit("embargo", step.on_embargo), Exit("missing licence", step.on_missing_licence)])
    if isinstance(step, InspectionStep):
        return [Exit("non-compliant", step.on_non_compliant)]
    if isinstance(step, ApprovalStep):
        return [Exit("reject", Outcome.not_released), Exit("refer", Outcome.referred)]
    return []


def _merge(exits: Iterable[Exit]) -> list[Exit]:
    """One edge per target outcome, its labels joined: 'embargo / missing licence'."""
    labels: dict[Outcome, list[str]] = {}
    for exit_ in exits:
        labels.setdefault(exit_.outcome, []).append(exit_.label)
    return [Exit(" / ".join(names), outcome) for outcome, names in labels.items()]


def _outcome_columns(definition: SopDefinition) -> dict[Outcome, float]:
    """x of each outcome box: released under the main column, the others each on its own channel. A channel
    to `released` (an odd SOP, but a valid one) is the innermost so it crosses nothing on its way back."""
    targets = {e.outcome for step in definition.steps for e in step_exits(step)}
    columns: dict[Outcome, float] = {Outcome.released: CX}
    channel = FIRST_CHANNEL_X
    if Outcome.released in targets:
        channel += CHANNEL_STEP // 2
    for outcome in (Outcome.referred, Outcome.not_released, Outcome.invalidated):
        if outcome in targets or outcome is not Outcome.invalidated:
            columns[outcome] = channel
            channel += CHANNEL_STEP
    return columns


def _channel_x(outcome: Outcome, outcomes: dict[Outcome, float]) -> float:
    return FIRST_CHANNEL_X if outcome is Outcome.released else outcomes[outcome]


# --- nodes -----------------------------------------------------------------------------------------------


def _start_node(svg: _Svg, y: float) -> float:
    h = 40
    svg.add('<g class="node start">')
    svg.add(f'<rect x="{CX - 110}" y="{y}" width="220" height="{h}" rx="{h / 2}" class="terminal"/>')
    svg.text(CX, y + 25, "Declaration intake", cls="title", anchor="middle")
    svg.add("</g>")
    return y + h


def _conditional_step(
    svg: _Svg,
    number: int,
    step: Step,
    y: float,
    outcomes: dict[Outcome, float],
    channel_tops: dict[Outcome, float],
    joins: list[tuple[float, float]],
) -> float:
    assert step.when is not None
    diamond_bottom, mid_y = _diamond(svg, step.when, y, step.id)
    svg.path(f"M{CX},{diamond_bottom} V{diamond_bottom + GAP}", cls="edge", marker="arrow")
    svg.text(CX + 8, diamond_bottom + GAP / 2 + 4, "yes", cls="branch")
    bottom = _step_node(svg, number, step, diamond_bottom + GAP, outcomes, channel_tops, joins)
    # The "no" branch: dashed, round the step on the left, back onto the main line below it.
    join_y = bottom + GAP / 2
    left = CX - DIAMOND_W / 2
    svg.path(f"M{left},{mid_y} H{BYPASS_X} V{join_y} H{CX - 1}", cls="edge bypass", marker="arrow")
    svg.text((left + BYPASS_X) / 2, mid_y - 6, "no", cls="branch", anchor="middle")
    label_x, label_y = BYPASS_X - 6, (mid_y + join_y) / 2
    svg.add(
        f'<text x="{label_x}" y="{label_y:g}" class="branch" text-anchor="middle" '
        f'transform="rotate(-90 {label_x} {label_y:g})">skip {escape(step.title)}</text>'
    )
    return bottom


def _diamond(svg: _Svg, condition: str, y: float, step_id: str) -> tuple[float, float]:
    lines = _condition_lines(condition)
    h = 32 + 20 * len(lines)
    mid = y + h / 2
    half = DIAMOND_W / 2
    svg.add(f'<g class="node condition" data-step="{escape(step_id)}">')
    svg.add(f"<title>when {escape(condition)}</title>")
    svg.add(f'<path d="M{CX},{y} L{CX + half},{mid:g} L{CX},{y + h} L{CX - half},{mid:g} Z" class="diamond"/>')
    first = mid - (len(lines) - 1) * 7 + 4
    for i, line in enumerate(lines):
        svg.text(CX, first + i * 14, line, cls="cel", anchor="middle")
    svg.add("</g>")
    return y + h, mid


def _condition_lines(condition: str) -> list[str]:
    condition = " ".join(condition.split())
    if len(condition) <= 34:
        return [condition]
    lines = textwrap.wrap(condition, width=26, break_long_words=True)
    if len(lines) > 3:
        lines = [*lines[:2], lines[2][:25] + "…"]
    return lines


def _step_node(
    svg: _Svg,
    number: int,
    step: Step,
    y: float,
    outcomes: dict[Outcome, float],
    channel_tops: dict[Outcome, float],
    joins: list[tuple[float, float]],
) -> float:
    details = step_details(step)
    h = 52 + 17 * len(details) + (6 if details else 0)
    left = CX - BOX_W / 2
    svg.add(f'<g class="node step" id="flow-step-{escape(step.id)}" data-step="{escape(step.id)}">')
    svg.add(f'<rect x="{left}" y="{y}" width="{BOX_W}" height="{h}" rx="6" class="box"/>')
    svg.text(left + 14, y + 22, _fit(f"{number}. {step.title}", 32), cls="title")
    svg.text(left + 14, y + 39, f"{step.kind} · {step.id}", cls="meta")
    for i, (text, lane) in enumerate(details):
        line_y = y + 60 + 17 * i
        x = left + 14
        if lane is not None:
            svg.add(f'<circle cx="{x + 4}" cy="{line_y - 4}" r="4" fill="{LANE_COLOURS[lane]}"/>')
            x += 14
        svg.text(x, line_y, _fit(text, LINE_CHARS), cls="detail")
    svg.add("</g>")
    _exits(svg, step, y, h, outcomes, channel_tops, joins)
    return y + h


def step_details(step: Step) -> list[tuple[str, Lane | None]]:
    """Lines shown in a step's box: its kind-specific parameters, a lane dot where a line sets a lane."""
    if isinstance(step, ScreeningStep):
        return [
            (f"possible match ≥ {step.review_threshold:g} → review task", None),
            (f"{_role(step.review.role)}, due {_short(step.review.due)}", None),
        ]
    if isinstance(step, LicenceCheckStep):
        return [("control list · embargo · licence", None)]
    if isinstance(step, RiskStep):
        lines: list[tuple[str, Lane | None]] = [(f"{rule.id} → {rule.lane.value}", rule.lane) for rule in step.rules]
        lines.append((f"otherwise → {step.default_lane.value}", step.default_lane))
        if step.random_selection:
            r = step.random_selection
            lines.append((f"random {_pct(r.rate)} (AEO {_pct(r.aeo_rate)}) → {r.lane.value}", r.lane))
        return lines
    if isinstance(step, InspectionStep):
        due = f"consolidated result due {_short(step.due)}"
        return [*((a.title, None) for a in step.agencies), (due, None)]
    if isinstance(step, ApprovalStep):
        return [(f"{_role(step.task.role)}, due {_short(step.task.due)}", None)]
    return []


def _exits(
    svg: _Svg,
    step: Step,
    y: float,
    h: float,
    outcomes: dict[Outcome, float],
    channel_tops: dict[Outcome, float],
    joins: list[tuple[float, float]],
) -> None:
    exits = step_exits(step)
    for i, exit_ in enumerate(exits):
        exit_y = round(y + h * (i + 1) / (len(exits) + 1))
        x = _channel_x(exit_.outcome, outcomes)
        tone = _tone_name(exit_.outcome)
        svg.path(f"M{BOX_RIGHT},{exit_y} H{x}", cls=f"edge exit {tone}")
        svg.text(BOX_RIGHT + 8, exit_y - 5, exit_.label, cls=f"exit-label {tone}")
        if exit_.outcome in channel_tops:
            joins.append((x, exit_y))
        else:
            channel_tops[exit_.outcome] = exit_y


def _channels(
    svg: _Svg,
    outcomes: dict[Outcome, float],
    channel_tops: dict[Outcome, float],
    joins: list[tuple[float, float]],
    outcome_y: float,
) -> None:
    for outcome, top in channel_tops.items():
        x = _channel_x(outcome, outcomes)
        tone = _tone_name(outcome)
        if outcome is Outcome.released:  # down the innermost channel, then back left into the box's side
            d = f"M{x},{top} V{outcome_y + OUTCOME_H / 2} H{CX + OUTCOME_W / 2}"
        else:
            d = f"M{x},{top} V{outcome_y}"
        svg.path(d, cls=f"edge exit {tone}", marker=f"arrow-{tone}")
    for x, y in joins:
        svg.add(f'<circle cx="{x:g}" cy="{y:g}" r="3" class="join"/>')


def _outcome_node(svg: _Svg, outcome: Outcome, x: float, y: float) -> None:
    label, note = OUTCOME_LABELS[outcome]
    stroke, fill = TONES[outcome]
    svg.add(f'<g class="node outcome" data-outcome="{outcome.value}">')
    svg.add(
        f'<rect x="{x - OUTCOME_W / 2:g}" y="{y:g}" width="{OUTCOME_W}" height="{OUTCOME_H}" '
        f'rx="{OUTCOME_H / 2:g}" fill="{fill}" stroke="{stroke}" stroke-width="1.6"/>'
    )
    svg.add(f'<text x="{x:g}" y="{y + 20:g}" class="title" text-anchor="middle" fill="{stroke}">{escape(label)}</text>')
    svg.text(x, y + 35, note, cls="meta", anchor="middle")
    svg.add("</g>")


# --- text ------------------------------------------------------------------------------------------------


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _role(role: str) -> str:
    return role.replace("_", " ")


def _pct(rate: float) -> str:
    return f"{rate * 100:g} %"


def _short(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _tone_name(outcome: Outcome) -> str:
    return outcome.value.replace("_", "-")


_MARKERS = "".join(
    f'<marker id="arrow{suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
    f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    for suffix, colour in (
        ("", TONES["neutral"][0]),
        *((f"-{_tone_name(o)}", TONES[o][0]) for o in OUTCOME_LABELS),
    )
)
_MONO = "ui-monospace,Menlo,Consolas,'DejaVu Sans Mono',monospace"
# Scoped to the diagram: inline in an HTML page, an SVG's stylesheet applies to the whole page.
_RULES = [
    "text{font-family:system-ui,-apple-system,'Segoe UI','Helvetica Neue',Arial,sans-serif;fill:#1c2430}",
    ".title{font-size:14px;font-weight:600}",
    f".meta{{font-size:10.5px;fill:#5b6675;font-family:{_MONO}}}",
    ".detail{font-size:12px;fill:#2b3440}",
    f".cel{{font-size:11.5px;font-family:{_MONO}}}",
    ".branch{font-size:11px;fill:#5b6675;font-style:italic}",
    ".exit-label{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}",
    ".box{fill:#f7f9fb;stroke:#6b7686;stroke-width:1.3}",
    ".terminal{fill:#eef1f5;stroke:#5b6675;stroke-width:1.4}",
    ".diamond{fill:#fffbea;stroke:#a08a2c;stroke-width:1.3}",
    ".edge{fill:none;stroke:#5b6675;stroke-width:1.4}",
    ".bypass{stroke-dasharray:5 4}",
    ".join{fill:#5b6675}",
    *(f".edge.{_tone_name(o)}{{stroke:{TONES[o][0]}}}" for o in OUTCOME_LABELS),
    *(f".exit-label.{_tone_name(o)}{{fill:{TONES[o][0]}}}" for o in OUTCOME_LABELS),
]
_STYLE = "<style>" + "".join(f".sop-flow {rule}" for rule in _RULES) + "</style>"
_DEFS = f"<defs>{_MARKERS}{_STYLE}</defs>"
