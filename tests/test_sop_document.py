"""The SOP document and its flow diagram: rendered from the definition that runs, so an author, an auditor
and the interpreter read the same procedure."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from markupsafe import escape

from sop.diagram import flow_svg
from sop.document import human_duration, iso_duration, render_sop_document
from sop.model import PublishedSop, RiskStep, SopDefinition, SopRef

SOP_DIR = Path(__file__).resolve().parent.parent / "sop" / "export-clearance"
SVG = "{http://www.w3.org/2000/svg}"
PUBLISHED_AT = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def _definition(version: int) -> SopDefinition:
    return SopDefinition.model_validate(yaml.safe_load((SOP_DIR / f"v{version}.yaml").read_text()))


def _published(definition: SopDefinition) -> PublishedSop:
    ref = SopRef(name=definition.name, version=definition.version, hash=definition.content_hash())
    return PublishedSop(ref=ref, published_at=PUBLISHED_AT, definition=definition)


def _svg_of(html: str) -> ET.Element:
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "the document embeds its flow diagram as inline SVG"
    return ET.fromstring(match.group(0))


def _nodes(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if cls in g.get("class", "").split()]


def _texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


@pytest.mark.parametrize("version", [1, 2])
def test_document_shows_every_step_and_rule_of_the_definition(version: int) -> None:
    definition = _definition(version)
    html = render_sop_document(_published(definition))

    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert escape(definition.title) in html and escape(definition.summary.strip()) in html
    assert definition.content_hash() in html
    assert "2026-01-12T09:00:00Z" in html
    assert "DEMO-CUSTOMS" in html and "four_eyes: [approval]" in html
    for step in definition.steps:
        assert escape(step.title) in html
        assert f'id="step-{step.id}"' in html
    # Every CEL expression, step conditions and risk rules alike, shown as code.
    for _where, expression in definition.expressions():
        assert f"<code>{escape(expression)}</code>" in html, expression
    risk = definition.step("risk")
    assert isinstance(risk, RiskStep)
    rule_rows = re.findall(r'<tr id="rule-([a-z0-9_]+)">', html)
    assert rule_rows == [rule.id for rule in risk.rules]  # in evaluation order
    for rule in risk.rules:
        assert escape(rule.reason) in html
    # Kind-specific parameters, durations both readable and as written in the file.
    for text in (
        "88",
        "4 hours",
        "PT4H",
        "1 day",
        "P1D",
        "8 hours",
        "PT8H",
        "2 %",
        "0.5 %",
        "Customs physical inspection",
        "Export-control verification",
        "Not released",
        "Referred",
    ):
        assert text in html, text


def test_v2_shows_the_high_value_rule_and_v1_does_not() -> None:
    v1 = render_sop_document(_published(_definition(1)))
    v2 = render_sop_document(_published(_definition(2)))
    assert "high_value" in v2 and "<code>total_value &gt; 50000.0</code>" in v2
    assert "high_value" not in v1 and "total_value" not in v1
    assert ">2</span>" in v2 and "high-value check" in v2


@pytest.mark.parametrize("version", [1, 2])
def test_flow_diagram_has_one_node_per_step_in_order(version: int) -> None:
    definition = _definition(version)
    svg = _svg_of(render_sop_document(_published(definition)))

    steps = _nodes(svg, "step")
    assert [g.get("data-step") for g in steps] == [s.id for s in definition.steps]
    for node, step in zip(steps, definition.steps, strict=True):
        assert any(step.title in text for text in _texts(node))
    # A diamond, holding the condition, before each conditional step.
    conditions = _nodes(svg, "condition")
    assert [g.get("data-step") for g in conditions] == [s.id for s in definition.steps if s.when]
    for node in conditions:
        step = next(s for s in definition.steps if s.id == node.get("data-step"))
        assert step.when is not None and step.when in " ".join(_texts(node))
    assert len(_nodes(svg, "start")) == 1
    outcomes = {g.get("data-outcome") for g in _nodes(svg, "outcome")}
    assert outcomes == {"released", "referred", "not_released"}


def test_flow_diagram_draws_the_early_endings_and_the_lanes() -> None:
    svg = _svg_of(render_sop_document(_published(_definition(2))))
    texts = _texts(svg)
    labels = ("confirmed match", "embargo / missing licence", "non-compliant", "reject", "refer", "no", "yes")
    for label in labels:
        assert label in texts, label
    risk_box = next(g for g in _nodes(svg, "step") if g.get("data-step") == "risk")
    risk_lines = _texts(risk_box)
    for line in (
        "controlled_goods → red",
        "sensitive_destination → yellow",
        "high_value → yellow",
        "otherwise → green",
    ):
        assert line in risk_lines, line
    # Skipped steps are dashed bypasses; arrowheads come from markers, not drawn by hand.
    assert any("bypass" in p.get("class", "") for p in svg.iter(f"{SVG}path"))
    assert svg.find(f"{SVG}defs/{SVG}marker") is not None


def test_document_is_offline() -> None:
    html = render_sop_document(_published(_definition(1)))
    for external in ("<script", "<link", "<img", "https://", "@import", "src="):
        assert external not in html
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}


def test_author_text_is_escaped_in_document_and_diagram() -> None:
    data: dict[str, Any] = yaml.safe_load((SOP_DIR / "v1.yaml").read_text())
    data["title"] = "Export <script>alert(1)</script> & co"
    data["steps"][0]["title"] = 'Screening "<b>bold</b>" & more'
    data["steps"][2]["rules"][0]["reason"] = "<img src=x onerror=alert(1)>"
    definition = SopDefinition.model_validate(data)

    svg_text = flow_svg(definition)
    ET.fromstring(svg_text)  # still well-formed XML
    html = render_sop_document(_published(definition))
    assert "<script" not in html and "<b>" not in html and "<img" not in html
    assert "Export &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    unquoted = html.replace("&#34;", '"').replace("&quot;", '"')
    assert 'Screening "&lt;b&gt;bold&lt;/b&gt;" &amp; more' in unquoted


def test_diagram_follows_configured_outcomes_and_long_conditions() -> None:
    data: dict[str, Any] = yaml.safe_load((SOP_DIR / "v1.yaml").read_text())
    data["steps"][1]["on_embargo"] = "referred"  # embargo refers, missing licence still refuses
    data["steps"][4]["when"] = "lane == 'red' || lane == 'yellow' || (controlled && destination in ['CN', 'RU'])"
    definition = SopDefinition.model_validate(data)
    svg = ET.fromstring(flow_svg(definition))
    texts = _texts(svg)
    assert "embargo" in texts and "missing licence" in texts
    condition = next(g for g in _nodes(svg, "condition") if g.get("data-step") == "approval")
    title = condition.find(f"{SVG}title")
    assert title is not None and title.text == f"when {definition.steps[4].when}"
    assert len(condition.findall(f"{SVG}text")) > 1  # wrapped inside the diamond


@pytest.mark.parametrize(
    ("delta", "human", "iso"),
    [
        (timedelta(hours=4), "4 hours", "PT4H"),
        (timedelta(days=1), "1 day", "P1D"),
        (timedelta(hours=1), "1 hour", "PT1H"),
        (timedelta(days=1, hours=12), "1 day 12 hours", "P1DT12H"),
        (timedelta(minutes=90), "1 hour 30 minutes", "PT1H30M"),
        (timedelta(days=2), "2 days", "P2D"),
        (timedelta(0), "immediately", "PT0S"),
    ],
)
def test_durations_read_as_words_and_as_iso_8601(delta: timedelta, human: str, iso: str) -> None:
    assert human_duration(delta) == human
    assert iso_duration(delta) == iso


def test_v3_documents_escalation_tolerance_reason_codes_and_officers_actions() -> None:
    html = render_sop_document(_published(_definition(3)))
    assert html.count("<dt>Escalation</dt>") == 3 and "moves to duty chief" in html
    assert "within 2 % of the declared one" in html
    assert 'id="code-INS_SEAL_BROKEN"' in html and "(optional)" in html
    assert "Re-route" in html and "Hold" in html
    v2 = render_sop_document(_published(_definition(2)))
    assert "<dt>Escalation</dt>" not in v2 and "Reason codes" not in v2 and "any counted quantity" in v2
