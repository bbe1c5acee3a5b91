"""The OpenAPI document tells the truth: schemathesis (every check it has) against the real `make run` stack.

`python -m stack.cli run` in a tmp DATA_DIR on free ports (the Temporal dev server, a worker and the API as
processes, as a user starts them); the cases go over HTTP with the demo tokens, each operation's cases sent as a
declarant, a customs officer and a supervisor in turn. The run is bounded and derandomized (a fixed seed, no
example database, no shrinking): the coverage phase (boundary values, wrong types, missing fields, unexpected
methods) plus `FUZZ_EXAMPLES` fuzzed cases per operation. Any server error, response outside the documented
schema, undocumented status, content type or header fails the operation's test.

    /work/main/.venv/bin/python -m pytest -q -p no:cacheprovider tests/test_openapi_fuzz.py
    FUZZ_EXAMPLES=100 FUZZ_FULL=1 ...   # longer: 100 fuzzed cases and the coverage phase of every operation
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.transport.requests import REQUESTS_TRANSPORT, text_serializer

from api.main import create_app
from settings import Settings
from tests.test_faults import EmbeddedStack, running_stack

pytestmark = pytest.mark.e2e
ROLES = ("declarant", "customs_officer", "supervisor")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# The declaration is the largest body: its coverage phase alone is ~500 requests. Bounded runs fuzz it with more
# examples instead; FUZZ_FULL=1 runs its coverage phase too.
BOUNDED_OPERATIONS = (
    []
    if os.environ.get("FUZZ_FULL")
    else [
        {
            "include-path": "/v1/declarations",
            "include-method": "POST",
            "phases": {"coverage": {"enabled": False}},
            "generation": {"max-examples": 5 * EXAMPLES},
        }
    ]
)
# `POST /exchange/inbound` takes a compact JWS (application/jose): sent as the text it is.
REQUESTS_TRANSPORT.serializer("application/jose")(text_serializer)
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20260417,
        "request-timeout": 30,
        "generation": {"max-examples": EXAMPLES, "deterministic": True, "no-shrink": True, "database": "none"},
        "phases": {"coverage": {"unexpected-methods": ["PATCH", "OPTIONS"]}},
        "checks": {
            # The server checks rules a schema cannot say (an MRN's check digit, the SOP's declaration types,
            # what a compliant inspection must record): schema-valid input may still be refused with 422.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "503"]},
        },
        "operations": BOUNDED_OPERATIONS,
    }
)
# The document as the app builds it (the console is not in it); the cases go to the running stack.
schema = schemathesis.openapi.from_dict(create_app(Settings(environment="test")).openapi(), config=CONFIG)
_turns: dict[str, Iterator[str]] = {}


@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    with running_stack(tmp_path_factory.mktemp("fuzz")) as stack:
        yield stack


def principal_for(case: schemathesis.Case) -> str:
    """The three principals in turn, per operation: each operation meets a declarant, an officer and a supervisor."""
    return next(_turns.setdefault(case.operation.label, itertools.cycle(ROLES)))


@schema.parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case, fuzzed_stack: EmbeddedStack) -> None:
    case.call_and_validate(base_url=fuzzed_stack.base, headers=fuzzed_stack.auth(principal_for(case)))
