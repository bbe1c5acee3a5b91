"""A value already in the form it crosses to Temporal in: `Encoded(model)` holds the JSON a payload of `model`
carries (pydantic's `to_json`, as the payload converter writes it), taken when it is made.

Workflows schedule their local activities with it (`workflows.options.run_local`): the SDK converts an activity's
input when it is scheduled and again, from the same object, each time a local activity that backed off is
scheduled anew — by when the workflow may have moved its view on. Encoded once, the input is the one the workflow
scheduled, with no deep copy of the view to keep it so, and it is converted to JSON once rather than once per
attempt. `stack.codec.PayloadConverter` writes the bytes as they are; the activity decodes them as any JSON
payload, into its declared input type.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json


class Encoded:
    __slots__ = ("data",)

    def __init__(self, value: Any) -> None:
        self.data: bytes = to_json(value)

    def __repr__(self) -> str:
        return f"Encoded({len(self.data)} bytes)"
