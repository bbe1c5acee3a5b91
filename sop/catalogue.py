"""Loading SOP definitions from YAML and validating them beyond the schema: every CEL expression must parse,
name only known variables and yield a boolean for realistic declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sop.expressions import ExpressionError, check_expression, rule_context
from sop.model import SopDefinition


class SopError(ValueError):
    """An SOP file or document that cannot be published; `errors` holds [{loc, msg}] like an HTTP 422."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))


def _sample_contexts() -> list[dict[str, Any]]:
    declaration: dict[str, Any] = {
        "lrn": "SAMPLE-1",
        "declaration_type": "EX",
        "procedure": "1000",
        "declarant": {"eori": "DE123456789012345", "name": "Sample Broker"},
        "exporter": {"eori": "DE1", "name": "Sample Exporter", "address": {"city": "Jena", "country": "DE"}},
        "consignee": {"name": "Sample Consignee", "address": {"city": "Toronto", "country": "CA"}},
        "end_user": None,
        "office_of_export": "DE004098",
        "office_of_exit": "DE002651",
        "country_of_destination": "CA",
        "transport": {"mode": "air", "identity": "LH0470"},
        "aeo": False,
        "goods_items": [
            {
                "sequence": 1,
                "commodity_code": "82054000",
                "description": "Screwdrivers",
                "origin_country": "DE",
                "net_mass_kg": 1.0,
                "gross_mass_kg": 1.5,
                "quantity": {"value": 1.0, "unit": "pcs"},
                "statistical_value": {"amount": 100.0, "currency": "EUR"},
                "control_code": None,
                "documents": [],
            }
        ],
    }
    return [
        rule_context(
            declaration=declaration, controlled=c, control_codes=["5A002"] if c else [], screening_hits=h, lane=lane
        )
        for c, h, lane in ((False, 0, ""), (True, 1, "red"), (False, 0, "green"), (True, 0, "yellow"))
    ]


SAMPLE_CONTEXTS = _sample_contexts()


def validate_definition(data: Any) -> SopDefinition:
    """Schema validation plus a trial evaluation of every expression; raises SopError with field paths."""
    if not isinstance(data, dict):
        raise SopError([{"loc": [], "msg": "an SOP must be a mapping (YAML or JSON object)"}])
    try:
        definition = SopDefinition.model_validate(data)
    except ValidationError as exc:
        raise SopError([{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]) from exc
    errors = []
    for where, expression in definition.expressions():
        try:
            check_expression(expression, SAMPLE_CONTEXTS)
        except ExpressionError as exc:
            errors.append({"loc": where.split("."), "msg": str(exc)})
    if errors:
        raise SopError(errors)
    return definition


MAX_DEPTH = 32  # an SOP nests about 8 deep; the YAML composer recurses once per level
MAX_NODES = 100_000


def _check_shape(text: str | bytes) -> None:
    """Depth, size and aliases bounded on the event stream (which does not recurse) before anything is composed:
    a document nested thousands deep would exhaust the stack, and aliases of aliases expand exponentially."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise SopError([{"loc": [], "msg": "YAML aliases (*name) are not allowed in an SOP; write it out"}])
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SopError([{"loc": [], "msg": f"the SOP is nested deeper than {MAX_DEPTH} levels"}])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if nodes > MAX_NODES:
            raise SopError([{"loc": [], "msg": f"the SOP has more than {MAX_NODES} values"}])


def parse_document(text: str | bytes) -> SopDefinition:
    try:
        _check_shape(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SopError([{"loc": [], "msg": f"not valid YAML or JSON: {exc}"}]) from exc
    return validate_definition(data)


def load_file(path: Path) -> SopDefinition:
    definition = parse_document(path.read_bytes())
    expected = f"v{definition.version}.yaml"
    if path.name != expected or path.parent.name != definition.name:
        raise SopError([{"loc": ["name"], "msg": f"{path} must be stored as {definition.name}/{expected}"}])
    return definition


def discover(sop_dir: Path) -> list[SopDefinition]:
    """Every SOP version under `sop_dir/<name>/v<N>.yaml`, oldest version first."""
    found = [load_file(p) for p in sorted(sop_dir.glob("*/v*.yaml"))]
    return sorted(found, key=lambda d: (d.name, d.version))
