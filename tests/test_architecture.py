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


# --- every test checks something ----------------------------------------------------------------------------

TESTS = ROOT / "tests"
CHECK_PREFIXES = ("assert", "expect")  # assert_*, unittest's assertEqual, Playwright's expect(...)
PYTEST_CHECKS = {"raises", "warns", "fail", "deprecated_call"}

Function = ast.FunctionDef | ast.AsyncFunctionDef


def _test_sources() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _is_fixture(function: Function) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (isinstance(target, ast.Attribute) and target.attr == "fixture") or (
            isinstance(target, ast.Name) and target.id == "fixture"
        ):
            return True
    return False


def _checks(function: Function, checkers: set[str]) -> bool:
    """An assert, pytest.raises/warns/fail, a call of assert_*/expect_* (or a method so named), or a call of one
    of ``checkers`` by its name."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and (func.attr in PYTEST_CHECKS or func.attr.startswith(CHECK_PREFIXES)):
            return True
        if isinstance(func, ast.Name) and (func.id.startswith(CHECK_PREFIXES) or func.id in checkers):
            return True
    return False


def _parsed() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in _test_sources()}


def _functions(tree: ast.Module) -> list[Function]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]


def _imported_from_tests(tree: ast.Module) -> dict[str, tuple[Path, str]]:
    """Names a test module imports from another module of the test suite: local name -> (file, name there)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
            path = ROOT.joinpath(*node.module.split(".")).with_suffix(".py")
            for alias in node.names:
                found[alias.asname or alias.name] = (path, alias.name)
    return found


def _checkers(trees: dict[Path, ast.Module]) -> dict[Path, set[str]]:
    """Per test module, the helpers callable by name that check something themselves — its own (not fixtures, not
    tests) and those it imports from the suite's helper modules — found to a fixed point."""
    helpers = {
        path: [f for f in _functions(tree) if not f.name.startswith("test_") and not _is_fixture(f)]
        for path, tree in trees.items()
    }
    imports = {path: _imported_from_tests(tree) for path, tree in trees.items()}
    checkers: dict[Path, set[str]] = {path: set() for path in trees}

    def visible(path: Path) -> set[str]:
        borrowed = {name for name, (origin, real) in imports[path].items() if real in checkers.get(origin, set())}
        return checkers[path] | borrowed

    changed = True
    while changed:
        changed = False
        for path, functions in helpers.items():
            found = {f.name for f in functions if _checks(f, visible(path))}
            if not found <= checkers[path]:
                checkers[path] |= found
                changed = True
    return {path: visible(path) for path in trees}


def test_every_test_checks_something() -> None:
    # A test that checks nothing passes whatever the code does.
    trees = _parsed()
    checkers = _checkers(trees)
    silent = [
        f"{path.relative_to(ROOT)}:{function.lineno} {function.name}"
        for path, tree in trees.items()
        for function in _functions(tree)
        if function.name.startswith("test_") and not _checks(function, checkers[path])
    ]
    assert silent == []
