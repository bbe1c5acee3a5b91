"""The roles a principal can hold (the contract's, plus `duty_chief`, the escalation role SOPs may name)."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal[
    "declarant",
    "customs_officer",
    "export_control_officer",
    "inspector",
    "supervisor",
    "sop_author",
    "auditor",
    "admin",
    "duty_chief",
]
ROLES: tuple[str, ...] = get_args(Role)
