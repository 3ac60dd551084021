"""House rules of the code's shape that import-linter cannot express (docs/ARCHITECTURE.md, "Layers").

- No module imports another app's private (``_name``) functions: what an app offers others is its public API.
- A package's ``__init__`` does not re-export private names of its modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("common", "tenants", "resident_records", "koseki", "bcp", "config", "finance", "payroll", "water_billing",
        "groupware")  # fmt: skip


# Re-exports still used inside their own app, to be renamed public (docs/ARCHITECTURE.md "Layers"); none may be added.
KNOWN_REEXPORTS = {"resident_records/services/__init__.py"}


def _sources() -> list[Path]:
    return sorted(
        path
        for app in APPS
        if (ROOT / app).is_dir()
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def _private_imports(path: Path) -> list[tuple[int, str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append((node.lineno, node.module, alias.name))
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_crosses_an_app_or_a_package_boundary(path: Path) -> None:
    app = path.relative_to(ROOT).parts[0]
    offending = []
    for line, module, name in _private_imports(path):
        other_app = module.split(".")[0] != app
        reexport = path.name == "__init__.py" and str(path.relative_to(ROOT)) not in KNOWN_REEXPORTS
        if other_app or reexport:
            offending.append(f"line {line}: from {module} import {name}")
    assert offending == []
