"""One subject per module, short functions: no module of ``pixivcrawl/`` over 400 lines, no function over 60 lines
unless its docstring says why ("long because …"). Alembic migrations are generated and exempt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pixivcrawl"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
EXCUSE = "long because"


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts)


def module_lines(path: Path) -> int:
    return path.read_text(encoding="utf-8").count("\n")


def long_functions(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """``file:line name (N lines)`` (file relative to ``root``) of every function or method of ``path`` over the
    limit whose docstring does not say why it is long."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        length = node.end_lineno - node.lineno + 1
        if length > MAX_FUNCTION_LINES and EXCUSE not in (ast.get_docstring(node) or ""):
            found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_the_package_is_found():
    paths = {p.relative_to(PACKAGE).as_posix() for p in modules()}
    assert {"cli/__init__.py", "spiders/base.py", "replica/server.py"} <= paths
    assert not any(p.startswith("db/migrations/") for p in paths)


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_is_at_most_400_lines(path):
    assert module_lines(path) <= MAX_MODULE_LINES, (
        f"{path.relative_to(PACKAGE.parent)} has {module_lines(path)} lines: split it by subject")


def test_no_function_over_60_lines_without_a_reason():
    offenders = [entry for path in modules() for entry in long_functions(path)]
    assert offenders == [], (f"functions over {MAX_FUNCTION_LINES} lines: split them into named steps, or say why "
                             f"in their docstring ('{EXCUSE} …'):\n" + "\n".join(offenders))


def test_the_checker_finds_a_long_function_and_accepts_a_reason(tmp_path):
    body = "\n".join(f"    x{n} = {n}" for n in range(MAX_FUNCTION_LINES))
    sample = tmp_path / "sample.py"
    sample.write_text(f'def plain():\n{body}\n\n\nasync def excused():\n    """One long run of reads: long because '
                      f'each line reads one field."""\n{body}\n', encoding="utf-8")
    assert long_functions(sample, tmp_path) == [f"sample.py:1 plain ({MAX_FUNCTION_LINES + 1} lines)"]
