"""common.zengin is a foundation library: it imports no Kyodo app, only common.errors and libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import common.zengin

PACKAGE = Path(common.zengin.__file__).parent
ALLOWED_FIRST_PARTY = {"common.errors", "common.zengin"}
FIRST_PARTY = {
    "common",
    "config",
    "tenants",
    "resident_records",
    "koseki",
    "bcp",
    "finance",
    "payroll",
    "water_billing",
}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_zengin_imports_no_other_app() -> None:
    offending = {
        f"{path.name}: {module}"
        for path in PACKAGE.glob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in FIRST_PARTY
        and not any(module == allowed or module.startswith(f"{allowed}.") for allowed in ALLOWED_FIRST_PARTY)
    }
    assert offending == set()


def test_zengin_does_not_use_django() -> None:
    # Plain Python: callable from a Celery task, a command or a script without settings.
    assert not any(module.startswith("django") for path in PACKAGE.glob("*.py") for module in imported_modules(path))
