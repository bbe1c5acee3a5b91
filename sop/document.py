"""The human-readable SOP document: one standalone HTML page (inline stylesheet, inline SVG flow diagram,
nothing fetched) rendered from the same `SopDefinition` the workflow runs, so the two cannot disagree."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from documents.formats import rfc3339
from sop.diagram import flow_svg, step_exits
from sop.model import Outcome, PublishedSop

FOUR_EYES_TASKS = {
    "screening_review": "screening review",
    "inspection_findings": "inspection findings",
    "approval": "supervisor approval",
    "post_release_alert": "post-release alert",
    "exit_follow_up": "exit follow-up",
}


def render_sop_document(published: PublishedSop) -> str:
    """The SOP document of a published version, as a complete HTML document."""
    return _env.get_template("document.html.j2").render(_context(published))


def render_sop_embedded(published: PublishedSop) -> Markup:
    """The same document as a fragment (scoped stylesheet and page) to show inside another page's layout."""
    return Markup(_env.get_template("embedded.html.j2").render(_context(published)))


def _context(published: PublishedSop) -> dict[str, Any]:
    definition = published.definition
    # flow_svg escapes every text it draws, so its output is markup to embed as it is.
    return {
        "published": published,
        "ref": published.ref,
        "sop": definition,
        "steps": list(enumerate(definition.steps, start=1)),
        "exits": {step.id: step_exits(step) for step in definition.steps},
        "four_eyes": [FOUR_EYES_TASKS[kind] for kind in definition.settings.four_eyes],
        "diagram": Markup(flow_svg(definition)),
    }


def human_duration(delta: timedelta) -> str:
    """`1 day`, `4 hours`, `1 hour 30 minutes`: the largest units, at most two of them."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "immediately"
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts[:2])


def iso_duration(delta: timedelta) -> str:
    """ISO 8601 as the SOP file writes it: `PT4H`, `P1D`, `P1DT12H`."""
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    date = f"{days}D" if days else ""
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not date and not time:
        return "PT0S"
    return f"P{date}" + (f"T{time}" if time else "")


def _percent(rate: float) -> str:
    return f"{rate * 100:g} %"


def _outcome(value: Outcome | str) -> str:
    text = str(getattr(value, "value", value)).replace("_", " ")
    return text[:1].upper() + text[1:]


def _role(value: str) -> str:
    return value.replace("_", " ")


_env = Environment(
    loader=PackageLoader("sop", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    rfc3339=rfc3339,
    human_duration=human_duration,
    iso_duration=iso_duration,
    percent=_percent,
    outcome=_outcome,
    role=_role,
)
