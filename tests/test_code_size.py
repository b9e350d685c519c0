"""The house's size rules (issue 22): no module over 400 lines, no function over 40, migrations aside.

A module that grows past 400 lines does more than one job; a function past 40 hides its steps.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ["core", "audit", "articles", "appointments", "waitlist", "staff", "truffles", "tests", "bench", "tools"]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40


def our_modules() -> list[Path]:
    skipped = {"migrations", "node_modules"}
    return [
        path for package in CHECKED if (ROOT / package).is_dir()
        for path in (ROOT / package).rglob("*.py") if not skipped & set(path.parts)
    ]  # fmt: skip


def test_no_module_is_over_400_lines():
    long_modules = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in our_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long_modules == []


def test_no_function_is_over_40_lines():
    long_functions = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines"
        for path in our_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long_functions == []
