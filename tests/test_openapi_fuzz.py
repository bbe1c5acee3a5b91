"""Schemathesis against the real `make run` stack (draft)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import yaml
from schemathesis.config import SchemathesisConfig

from api.main import create_app
from settings import Settings
from tests.support import ROOT, sop_data
from tests.test_faults import EmbeddedStack, _free_port, _wait_ready

pytestmark = pytest.mark.e2e
ROLES = ("declarant", "customs_officer", "supervisor")


@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "sop" / "test-clearance").mkdir(parents=True)
    (tmp / "sop" / "test-clearance" / "v1.yaml").write_text(yaml.safe_dump(sop_data(1)))
    api_port, temporal_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp / "data"),
        "API_PORT": str(api_port),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "TEMPORAL_UI_PORT": str(_free_port()),
        "SOP_DIR": str(tmp / "sop"),
        "SOP_NAME": "test-clearance",
        "UPDATE_TIMEOUT_SECONDS": "10",
        "LOG_FORMAT": "json",
    }
    env.pop("DATABASE_URL", None)
    output = tmp / "stack.out"
    process = subprocess.Popen(
        [sys.executable, "-m", "stack.cli", "run"], cwd=ROOT, env=env, stdout=output.open("wb"), stderr=subprocess.STDOUT
    )
    stack = EmbeddedStack(process, f"http://127.0.0.1:{api_port}", f"127.0.0.1:{temporal_port}", tmp / "data", output)
    try:
        _wait_ready(stack, timeout=120)
        stack.tokens = json.loads((tmp / "data" / "demo-tokens.json").read_text())
        yield stack
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module", params=ROLES)
def principal(request: pytest.FixtureRequest) -> str:
    return str(request.param)


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 9,
        "generation": {"max-examples": int(os.environ.get("FUZZ_EXAMPLES", "5")), "deterministic": True},
        "request-timeout": 30,
        "checks": {
            # The server checks rules a schema cannot say (an MRN's check digit, the SOP's declaration types,
            # what a compliant inspection must record): schema-valid input may still get a 422.
            "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "503"]},
        },
    }
)
schema = schemathesis.openapi.from_dict(create_app(Settings(environment="test")).openapi(), config=CONFIG)


@schema.parametrize()
def test_api_answers_as_documented(case: schemathesis.Case, fuzzed_stack: EmbeddedStack, principal: str) -> None:
    case.call_and_validate(base_url=fuzzed_stack.base, headers=fuzzed_stack.auth(principal))
