"""The import layers hold: the vocabulary imports nothing of the project, the SOP package never imports the
clearance's types (so the `sop` ↔ `domain` cycle cannot come back), and workflow code never imports activity,
adapter, store or API code (none of it may enter the workflow sandbox)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("activities", "adapters", "api", "documents", "domain", "screening", "sop", "stack", "store", "workflows")
LEAVES = ("domain.vocabulary", "domain.roles")


def _loaded_after(module: str) -> list[str]:
    """The project modules a fresh interpreter has loaded after importing `module`."""
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {PROJECT!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("leaf", LEAVES)
def test_the_vocabulary_and_the_roles_import_nothing_of_the_project(leaf: str) -> None:
    assert _loaded_after(leaf) == sorted({"domain", leaf})


@pytest.mark.parametrize("module", ["sop.model", "sop.catalogue", "sop.document", "sop.diagram", "sop.expressions"])
def test_the_sop_package_reaches_only_the_vocabulary_of_the_domain(module: str) -> None:
    loaded = _loaded_after(module)
    domain = {m for m in loaded if m.split(".")[0] == "domain"}
    assert domain <= {"domain", *LEAVES}, f"{module} pulls in {sorted(domain - {'domain', *LEAVES})}"
    assert not [m for m in loaded if m.split(".")[0] in ("workflows", "activities", "store", "api")]


def test_no_module_of_sop_imports_the_domain_beyond_its_vocabulary() -> None:
    for path in sorted((ROOT / "sop").glob("*.py")):
        domain = {m for m in _imports(path) if m.split(".")[0] == "domain"}
        assert domain <= set(LEAVES), f"sop/{path.name} imports {sorted(domain - set(LEAVES))}"


def test_the_domain_defines_no_word_of_the_vocabulary_again() -> None:
    from domain import clearance, vocabulary
    from sop import model

    for name in ("Lane", "Outcome", "Status", "TaskKind", "TaskState", "TASK_OUTCOMES"):
        defined = getattr(vocabulary, name)
        assert getattr(clearance, name, defined) is defined, f"domain.clearance defines its own {name}"
        assert getattr(model, name, defined) is defined, f"sop.model defines its own {name}"
    assert set(vocabulary.TASK_OUTCOMES) == set(vocabulary.TaskKind)


def test_workflow_code_imports_no_activity_adapter_store_or_api_code() -> None:
    for path in sorted((ROOT / "workflows").rglob("*.py")):
        banned = {m for m in _imports(path) if m.split(".")[0] in ("activities", "adapters", "store", "api", "stack")}
        assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}"
