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


# --- sizes a newcomer can hold ----------------------------------------------------------------------------------
# An application file stays under MAX_FILE_LINES (split a bigger one into modules by topic, a package whose
# __init__ re-exports the public names); a function under MAX_FUNCTION_LINES unless a comment line starting with
# "# long:" right above it (or above its decorators) says why it reads better whole.

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 60
LONG_REASON = "# long:"

# Files and functions over the limits that are being reworked elsewhere, to be split there; none may be added.
KNOWN_LONG_FILES: set[str] = set()
KNOWN_LONG_FUNCTIONS = {}


def _application_sources() -> list[Path]:
    return [path for path in _sources() if "tests" not in path.relative_to(ROOT).parts]


def _long_functions(path: Path, *, name: str) -> list[str]:
    """The functions of ``path`` (named ``name`` in the repository) over the limit without a reason."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        length = (node.end_lineno or node.lineno) - start + 1
        if length <= MAX_FUNCTION_LINES or f"{name}:{node.name}" in KNOWN_LONG_FUNCTIONS:
            continue
        above = start - 2  # index of the line above the def (or its first decorator)
        reasons = []
        while above >= 0 and lines[above].strip().startswith("#"):
            reasons.append(lines[above].strip())
            above -= 1
        if not any(reason.startswith(LONG_REASON) and reason[len(LONG_REASON) :].strip() for reason in reasons):
            found.append(f"line {node.lineno}: {node.name} ({length} lines)")
    return found


@pytest.mark.parametrize("path", _application_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_an_application_file_fits_in_a_newcomers_head(path: Path) -> None:
    if str(path.relative_to(ROOT)) in KNOWN_LONG_FILES:
        pytest.skip("being split where it is reworked")
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_FILE_LINES


@pytest.mark.parametrize("path", _application_sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_long_function_says_why_it_is_whole(path: Path) -> None:
    assert _long_functions(path, name=str(path.relative_to(ROOT))) == []


def test_the_size_rules_see_a_long_function_and_its_reason(tmp_path: Path) -> None:
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))
    plain = tmp_path / "plain.py"
    plain.write_text(f"def step():\n{body}")
    explained = tmp_path / "explained.py"
    explained.write_text(f"# long: one statute article, read top to bottom\n@decorator\ndef step():\n{body}")
    empty_reason = tmp_path / "empty.py"
    empty_reason.write_text(f"# long:\ndef step():\n{body}")
    assert [len(_long_functions(p, name=p.name)) for p in (plain, explained, empty_reason)] == [1, 0, 1]


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
