"""The HTTP API of the clearance engine (contract: ../shared/contract/API.md; OpenAPI at /openapi.json)."""
