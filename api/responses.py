"""JSON answers encoded by pydantic-core rather than the standard library's `json`: the same compact UTF-8 text
(keys in the order given, non-ASCII as is), about three times faster for the views a clearance answers with. The
app's default response class, and the one routes build explicitly (`from api.responses import JSONResponse`)."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from starlette.responses import JSONResponse as StarletteJSONResponse


class JSONResponse(StarletteJSONResponse):
    def render(self, content: Any) -> bytes:
        return to_json(content, inf_nan_mode="null")  # JSON has no NaN: null, never an invalid document
