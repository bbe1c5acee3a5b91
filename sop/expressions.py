"""CEL for SOP conditions and risk rules: compiled once, evaluated without `eval`, deterministic, so the same
module serves SOP validation at publish time and the workflow interpreter at run time."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

import cel


class ExpressionError(ValueError):
    """An SOP expression that does not parse, names an unknown variable, or does not yield a boolean."""


@lru_cache(maxsize=1024)
def _compile(expression: str) -> tuple[Any, frozenset[str]]:
    """The program and the names it refers to (its variables, and its comprehensions' own)."""
    try:
        program = cel.compile(expression)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ExpressionError(f"cannot parse {expression!r}: {_first_line(exc)}") from exc
    return program, frozenset(program.variables())


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def to_cel(value: Any) -> Any:
    """Plain JSON-like values CEL understands: Decimals become doubles, enums their values."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_cel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_cel(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def evaluate_condition(expression: str, context: dict[str, Any]) -> bool:
    """Only the variables the expression names are handed to CEL: each one is converted to a CEL value for
    every evaluation, and the declaration, which most conditions (`lane == 'red'`) never read, is most of it."""
    program, names = _compile(expression)
    try:
        result = program.execute({name: value for name, value in context.items() if name in names})
    except Exception as exc:  # the CEL runtime raises several kinds (IndexError, KeyError, TypeError, ...)
        raise ExpressionError(f"cannot evaluate {expression!r}: {_first_line(exc)}") from exc
    if not isinstance(result, bool):
        raise ExpressionError(f"{expression!r} yields {type(result).__name__}, not a boolean")
    return result


def check_expression(expression: str, sample_contexts: list[dict[str, Any]]) -> None:
    """Raise ExpressionError unless the expression parses and yields a boolean for every sample context."""
    for context in sample_contexts:
        evaluate_condition(expression, context)


def rule_context(
    *,
    declaration: dict[str, Any],
    controlled: bool,
    control_codes: list[str],
    screening_hits: int,
    lane: str,
) -> dict[str, Any]:
    """The variables SOP expressions see (README, "Writing an SOP", lists them; keep the two in step).

    `declaration` is the declaration as plain data (`to_cel(declaration.model_dump())`)."""
    items = declaration["goods_items"]
    return {
        "declaration": declaration,
        "destination": declaration["country_of_destination"],
        "aeo": bool(declaration.get("aeo", False)),
        "total_value": float(sum(float(i["statistical_value"]["amount"]) for i in items)),
        "item_count": len(items),
        "controlled": controlled,
        "control_codes": control_codes,
        "screening_hits": screening_hits,
        "lane": lane,
    }
