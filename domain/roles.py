"""The roles a principal can hold: the contract's, plus `duty_chief` (the escalation role SOPs may name) and
`partner_customs_officer` (an officer of a partner country's customs administration)."""

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
    "partner_customs_officer",
]
ROLES: tuple[str, ...] = get_args(Role)
